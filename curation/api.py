"""The curation API: flag, approve, reject and reopen interactions, comment, read their history; enter
interactions read in papers, set an interaction's mode; list the problems visitors reported, turn one
into a flag or dismiss it.

Thin edges over ``curation.workflow``: each endpoint parses the request, calls one workflow
function and reports what it did.  Clients authenticate with a token (``Authorization: Token
<key>``) or a session (then with the CSRF token).  Errors are the API's JSON errors: 401 without
credentials, 403 when the role does not allow the act (with the workflow's reason), 400 for a
missing reason or a transition the state does not allow, 404 for an unknown interaction and 409
when the interaction changed since the version the client names (with its current state).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from proteins.api.serializers import ErrorSerializer
from proteins.models import Interaction, Mode

from . import literature, reports, selectors, workflow
from .models import Comment, CurationEvent, ProblemReport

Action = CurationEvent.Action
READ_COMMENTS = "curation.view_comment"
READ_EVENTS = "curation.view_curationevent"
READ_STATE = "proteins.view_interaction"


class CurationStateSerializer(serializers.ModelSerializer):
    """Where an interaction stands in the workflow, and what the requesting user may do next."""

    tf = serializers.SlugRelatedField(
        slug_field="accession", read_only=True, help_text="UniProt accession of the transcription factor."
    )
    target = serializers.SlugRelatedField(
        slug_field="accession", read_only=True, help_text="UniProt accession of the target."
    )
    allowed_actions = serializers.SerializerMethodField(help_text="The transitions you may make on it now.")

    class Meta:
        model = Interaction
        fields = ["id", "tf", "target", "status", "version", "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, interaction) -> list[str]:
        return [str(action) for action in workflow.allowed_actions(self.context["request"].user, interaction)]


class CurationEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True, help_text="Who acted.")

    class Meta:
        model = CurationEvent
        fields = ["id", "action", "from_status", "to_status", "reason", "actor", "created_at"]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "text", "author", "created_at"]
        read_only_fields = fields


class TransitionRequestSerializer(serializers.Serializer):
    """The body of a flag, reject or reopen: the reason is required and not blank."""

    reason = serializers.CharField(
        min_length=1,
        max_length=10_000,
        help_text="Why: required, not blank. Kept in the interaction's curation history.",
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="The version of the interaction you based the act on. When given and the interaction has "
        "changed since, nothing is saved and the answer is 409 with its current state.",
    )

    def __init__(self, *args, action="act on", **kwargs):
        super().__init__(*args, **kwargs)
        # The workflow's own words, whichever way the reason is missing.
        message = f"A reason is required to {action} an interaction."
        self.fields["reason"].error_messages.update(required=message, blank=message, null=message)


class ApproveRequestSerializer(TransitionRequestSerializer):
    """The body of an approval: the reason is optional."""

    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10_000, help_text="Why (optional)."
    )


class TransitionResultSerializer(serializers.Serializer):
    interaction = CurationStateSerializer(read_only=True, help_text="The interaction after the act.")
    event = CurationEventSerializer(read_only=True, help_text="The record of the act.")


class CommentRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        min_length=1,
        max_length=10_000,
        help_text="The comment; not blank.",
        error_messages=dict.fromkeys(("required", "blank", "null"), "A comment cannot be empty."),
    )


class ConflictSerializer(ErrorSerializer):
    """The error of an act based on an older version, with the interaction as it is now."""

    current = CurationStateSerializer(help_text="The interaction as it is now.")


class Refused(exceptions.APIException):
    """The rules refuse the act: a state that does not allow it, a missing reason, an empty comment."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


class StaleVersion(exceptions.APIException):
    """The client acted on an older version; ``current`` is the interaction as it is now."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, error):
        super().__init__(str(error))
        self.current = error.current


def errors(*codes):
    """The documented error answers of an endpoint."""
    described = {
        400: "Refused: the state does not allow it, a reason is missing, or the body is invalid.",
        401: "No credentials: send `Authorization: Token <key>` or log in.",
        403: "Your role does not allow it (the reason says why), or the session's CSRF token is missing.",
        404: "No interaction with this id.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


class CurationView(APIView):
    """A curation endpoint about one interaction: login required, by token or by session with CSRF."""

    # Token first: an anonymous request is then answered 401 with ``WWW-Authenticate: Token``.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get_interaction(self):
        interaction = Interaction.objects.select_related("tf", "target").filter(pk=self.kwargs["pk"]).first()
        if interaction is None:
            raise exceptions.NotFound(f"No interaction with the id {self.kwargs['pk']}.")
        return interaction

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, StaleVersion):
            response.data["current"] = CurationStateSerializer(exc.current, context=self.get_serializer_context()).data
        return response

    def get_serializer_context(self):
        return {"request": self.request, "view": self}


def refuse_unless_role(user, action, interaction):
    """Raise 403 unless ``user``'s role allows ``action`` on ``interaction``.

    Asked before the version is compared, so a user without the role learns nothing about the
    interaction's current state; whether the state allows the act is judged afterwards, by
    ``workflow.transition`` under lock.
    """
    try:
        workflow.check(user, action, interaction)
    except workflow.NotAllowed as error:
        raise exceptions.PermissionDenied(str(error)) from error
    except workflow.CurationError:
        pass  # judged by ``workflow.transition``, after the version


def require_permission(user, permission, message):
    if not user.has_perm(permission):
        raise exceptions.PermissionDenied(message)


class TransitionView(CurationView):
    """POST one transition of the workflow (``curation_action``) on an interaction."""

    curation_action = None

    def post(self, request, pk):
        interaction = self.get_interaction()
        refuse_unless_role(request.user, self.curation_action, interaction)
        act = request_serializer(self.curation_action)(data=request.data, action=self.curation_action)
        act.is_valid(raise_exception=True)
        try:
            event = workflow.transition(interaction, self.curation_action, request.user, **act.validated_data)
        except workflow.ConcurrentEdit as error:
            raise StaleVersion(error) from error
        except workflow.NotAllowed as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except workflow.CurationError as error:
            raise Refused(str(error)) from error
        except Interaction.DoesNotExist as error:  # deleted since it was read
            raise exceptions.NotFound(f"No interaction with the id {pk}.") from error
        result = {"interaction": interaction, "event": event}
        return Response(TransitionResultSerializer(result, context=self.get_serializer_context()).data)


TRANSITION_DOCS = {
    Action.FLAG: ("Flag an interaction", "unreviewed → flagged, for a reviewer to decide. Curator role; reason."),
    Action.APPROVE: (
        "Approve an interaction",
        "unreviewed or flagged → approved. Reviewer role; not by the one who edited its evidence last.",
    ),
    Action.REJECT: (
        "Reject an interaction",
        "unreviewed or flagged → rejected: hidden from the public site and API. Reviewer role; reason.",
    ),
    Action.REOPEN: ("Reopen an interaction", "approved or rejected → flagged. Reviewer role; reason."),
}


def request_serializer(action):
    return ApproveRequestSerializer if action == Action.APPROVE else TransitionRequestSerializer


def transition_view(action):
    """The view of one transition, with its own OpenAPI operation."""
    summary, description = TRANSITION_DOCS[action]
    view = type(f"{action.capitalize()}View", (TransitionView,), {"curation_action": action})
    schema = extend_schema(
        operation_id=f"interactions_{action}",
        summary=summary,
        description=description,
        tags=["curation"],
        request=request_serializer(action),
        responses=errors(400, 401, 403, 404)
        | {
            200: TransitionResultSerializer,
            409: OpenApiResponse(ConflictSerializer, description="Changed since `version`: nothing saved."),
        },
    )
    return extend_schema_view(post=schema)(view).as_view()


class CommentsView(CurationView):
    @extend_schema(
        operation_id="interactions_comments_list",
        summary="Comments on an interaction",
        description="Newest first. Curator or reviewer role.",
        tags=["curation"],
        responses={200: CommentSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request, pk):
        interaction = self.get_interaction()
        require_permission(request.user, READ_COMMENTS, "Only curators and reviewers may read comments.")
        comments = interaction.comments.select_related("author")
        return Response(CommentSerializer(comments, many=True).data)

    @extend_schema(
        operation_id="interactions_comments_create",
        summary="Comment on an interaction",
        description="Curator or reviewer role.",
        tags=["curation"],
        request=CommentRequestSerializer,
        responses={201: CommentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        interaction = self.get_interaction()
        comment = CommentRequestSerializer(data=request.data)
        comment.is_valid(raise_exception=True)
        try:
            saved = workflow.add_comment(interaction, request.user, comment.validated_data["text"])
        except workflow.NotAllowed as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except workflow.CurationError as error:
            raise Refused(str(error)) from error
        return Response(CommentSerializer(saved).data, status=status.HTTP_201_CREATED)


class StateView(CurationView):
    @extend_schema(
        operation_id="interactions_curation_retrieve",
        summary="Curation state of an interaction",
        description="Its status, the version to send with the next act, and the acts you may make now. "
        "Curator or reviewer role.",
        tags=["curation"],
        responses={200: CurationStateSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, pk):
        interaction = self.get_interaction()
        require_permission(request.user, READ_STATE, "Only curators and reviewers may read the curation state.")
        return Response(CurationStateSerializer(interaction, context=self.get_serializer_context()).data)


class EventsView(CurationView):
    @extend_schema(
        operation_id="interactions_events_list",
        summary="Curation history of an interaction",
        description="Every curation act on it (flag, approve, reject, reopen, evidence edits), newest first. "
        "Curator or reviewer role.",
        tags=["curation"],
        responses={200: CurationEventSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request, pk):
        interaction = self.get_interaction()
        require_permission(request.user, READ_EVENTS, "Only curators and reviewers may read the curation history.")
        events = interaction.curation_events.select_related("actor")
        return Response(CurationEventSerializer(events, many=True).data)


# Entries from papers, reviewers' modes (``curation.literature``).


class GradedStateSerializer(CurationStateSerializer):
    """Where an interaction stands, with its mode (and how it was decided) and confidence."""

    class Meta(CurationStateSerializer.Meta):
        fields = [*CurationStateSerializer.Meta.fields, "mode", "mode_decision", "confidence"]
        read_only_fields = fields


class PublicationReadSerializer(serializers.Serializer):
    pmid = serializers.IntegerField(min_value=1, max_value=literature.PMID_MAX, help_text="PubMed id.")
    mode = serializers.ChoiceField(
        Mode.choices, required=False, default=Mode.UNKNOWN, help_text="The mode of regulation the publication reports."
    )
    sentence = serializers.CharField(
        max_length=literature.SENTENCE_MAX, help_text="The sentence of the publication that states the interaction."
    )


NEW_PROTEIN = "Only for a protein the portal lacks: it is added with these."


class EntryRequestSerializer(serializers.Serializer):
    """An interaction read in papers."""

    organism = serializers.CharField(max_length=200, help_text="NCBI taxon id (9606) or scientific name.")
    tf = serializers.CharField(
        max_length=100, allow_blank=True, help_text="The TF: UniProt accession, gene name or NCBI Gene id."
    )
    tf_accession = serializers.CharField(
        max_length=10, required=False, default="", allow_blank=True, help_text=f"TF's UniProt accession. {NEW_PROTEIN}"
    )
    tf_gene_name = serializers.CharField(
        max_length=literature.GENE_NAME_MAX,
        required=False,
        default="",
        allow_blank=True,
        help_text=f"TF's gene name. {NEW_PROTEIN}",
    )
    target = serializers.CharField(
        max_length=100, allow_blank=True, help_text="The target: UniProt accession, gene name or NCBI Gene id."
    )
    target_accession = serializers.CharField(
        max_length=10,
        required=False,
        default="",
        allow_blank=True,
        help_text=f"Target's UniProt accession. {NEW_PROTEIN}",
    )
    target_gene_name = serializers.CharField(
        max_length=literature.GENE_NAME_MAX,
        required=False,
        default="",
        allow_blank=True,
        help_text=f"Target's gene name. {NEW_PROTEIN}",
    )
    publications = PublicationReadSerializer(
        many=True,
        allow_empty=False,
        max_length=literature.PUBLICATIONS_MAX,
        error_messages={"empty": literature.NO_PUBLICATION},
        help_text="What each publication states; at least one.",
    )
    detection_methods = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list, help_text="Detection methods."
    )
    small_scale = serializers.BooleanField(required=False, default=False, help_text="Small-scale experiments.")
    comment = serializers.CharField(
        max_length=5000,
        required=False,
        default="",
        allow_blank=True,
        help_text="For the reviewers; for a pair already decided on, the reason it goes back to flagged "
        "(required then).",
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="For a pair the portal holds: the version you based the entry on (409 when it changed since).",
    )

    def entry(self):
        """The arguments of ``literature.enter_interaction``."""
        data = self.validated_data
        proteins = [
            literature.ProteinGiven(data[side], data[f"{side}_accession"], data[f"{side}_gene_name"])
            for side in ("tf", "target")
        ]
        return {
            "organism": data["organism"],
            "tf": proteins[0],
            "target": proteins[1],
            "publications": [literature.PublicationRead(**publication) for publication in data["publications"]],
            "detection_methods": data["detection_methods"],
            "small_scale": data["small_scale"],
            "comment": data["comment"],
            "version": data["version"],
        }


class EntryResultSerializer(serializers.Serializer):
    interaction = GradedStateSerializer(read_only=True, help_text="The interaction after the entry.")
    created = serializers.BooleanField(read_only=True, help_text="Whether the entry created the interaction.")
    event = CurationEventSerializer(read_only=True, help_text="The record of the act.")


class ModeRequestSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(
        [*Mode.choices, ("", "by the rule")],
        allow_blank=True,
        help_text="The mode; empty hands it back to the rule (the publications' majority, source tables).",
    )
    reason = serializers.CharField(min_length=1, max_length=10_000, help_text="Why: required, not blank.")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="The version you based the decision on (409 when it changed since).",
    )


class ModeResultSerializer(serializers.Serializer):
    interaction = GradedStateSerializer(read_only=True, help_text="The interaction after the act.")
    event = CurationEventSerializer(read_only=True, help_text="The record of the act.")


def refused_entry(error):
    """The API error of a refusal of ``curation.literature``."""
    if isinstance(error, workflow.ConcurrentEdit):
        return StaleVersion(error)
    if isinstance(error, workflow.NotAllowed):
        return exceptions.PermissionDenied(str(error))
    if isinstance(error, literature.InvalidEntry):
        return exceptions.ValidationError(error.errors)
    return Refused(str(error))


CONFLICT = OpenApiResponse(ConflictSerializer, description="Changed since `version`: nothing saved.")


class EntriesView(CurationView):
    @extend_schema(
        operation_id="curation_interactions_create",
        summary="Enter an interaction read in papers",
        description="A new TF -> target pair is created *proposed*: hidden until a reviewer other than you approves "
        "it (201). A pair the portal holds gains the publications, statements and methods (200): an approved or "
        "rejected one goes back to flagged, with the comment as the reason. Curator role. Errors name the field.",
        tags=["curation"],
        request=EntryRequestSerializer,
        responses={
            201: EntryResultSerializer,
            200: EntryResultSerializer,
            **errors(400, 401, 403),
            409: CONFLICT,
        },
    )
    def post(self, request):
        require_permission(request.user, workflow.FLAG_PERMISSION, "Only a curator may enter interactions.")
        entry = EntryRequestSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        try:
            done = literature.enter_interaction(request.user, **entry.entry())
        except workflow.CurationError as error:
            raise refused_entry(error) from error
        result = {"interaction": done.interaction, "created": done.created, "event": done.event}
        return Response(
            EntryResultSerializer(result, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if done.created else status.HTTP_200_OK,
        )


class ModeView(CurationView):
    @extend_schema(
        operation_id="curation_interactions_mode",
        summary="Set the mode of an interaction",
        description="A reviewer's mode (activation, repression, dual, unknown) stays until a reviewer changes it; "
        "an empty mode hands it back to the rule. The confidence is graded again. Reviewer role; reason.",
        tags=["curation"],
        request=ModeRequestSerializer,
        responses={200: ModeResultSerializer, **errors(400, 401, 403, 404), 409: CONFLICT},
    )
    def post(self, request, pk):
        interaction = self.get_interaction()
        require_permission(
            request.user, workflow.REVIEW_PERMISSION, "Only a reviewer may set the mode of an interaction."
        )
        decision = ModeRequestSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        try:
            event = literature.set_mode(interaction, request.user, **decision.validated_data)
        except workflow.CurationError as error:
            raise refused_entry(error) from error
        except Interaction.DoesNotExist as error:  # deleted since it was read
            raise exceptions.NotFound(f"No interaction with the id {pk}.") from error
        result = {"interaction": interaction, "event": event}
        return Response(ModeResultSerializer(result, context=self.get_serializer_context()).data)


# Problem reports from visitors.

REPORTS_LISTED = 500  # open reports in one answer, newest first


class ProblemReportSerializer(serializers.ModelSerializer):
    interaction = CurationStateSerializer(read_only=True, help_text="The interaction reported.")
    email = serializers.CharField(read_only=True, help_text="The visitor's e-mail address, or empty.")
    handled_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="The curator who flagged or dismissed it."
    )
    event = CurationEventSerializer(
        read_only=True, allow_null=True, help_text="The curation act it became: a flag, a reopening or its dismissal."
    )

    class Meta:
        model = ProblemReport
        fields = [
            "id",
            "interaction",
            "kind",
            "text",
            "email",
            "created_at",
            "state",
            "handled_by",
            "handled_at",
            "dismiss_reason",
            "event",
            "comment",
        ]
        read_only_fields = fields


class ReportFlagRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="The version of the interaction you saw. When given and the interaction has changed since, "
        "nothing is saved and the answer is 409 with its current state.",
    )


class ReportDismissRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        min_length=1,
        max_length=2000,
        help_text="Why the report is dismissed: required, not blank. Kept in the interaction's curation history.",
        error_messages=dict.fromkeys(("required", "blank", "null"), "A reason is required to dismiss a report."),
    )


class ReportConflictSerializer(ErrorSerializer):
    """The error of an act on a report handled already, or on an interaction changed since ``version``."""

    current = CurationStateSerializer(required=False, help_text="The interaction as it is now, when it changed.")


class AlreadyHandled(exceptions.APIException):
    """The report was flagged or dismissed already."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def report_errors(*codes):
    answers = errors(*[code for code in codes if code != 404])
    if 404 in codes:
        answers[404] = OpenApiResponse(ErrorSerializer, description="No report with this id.")
    return answers


class ReportsView(CurationView):
    @extend_schema(
        operation_id="reports_list",
        summary="Open problem reports",
        description=f"What visitors reported and no curator has handled yet, newest first (at most "
        f"{REPORTS_LISTED}), with their e-mail addresses. Curator role.",
        tags=["curation"],
        responses={200: ProblemReportSerializer(many=True), **report_errors(401, 403)},
    )
    def get(self, request):
        require_report_role(request.user)
        rows = selectors.open_reports().select_related("handled_by", "event__actor")[:REPORTS_LISTED]
        return Response(ProblemReportSerializer(rows, many=True, context=self.get_serializer_context()).data)


def require_report_role(user):
    require_permission(user, workflow.FLAG_PERMISSION, "Only a curator may handle problem reports.")


class ReportActView(CurationView):
    """An act on one report: flag or dismiss."""

    def get_report(self):
        require_report_role(self.request.user)
        report = ProblemReport.objects.filter(pk=self.kwargs["pk"]).first()
        if report is None:
            raise exceptions.NotFound(f"No report with the id {self.kwargs['pk']}.")
        return report

    def answer(self, act):
        try:
            report = act()
        except reports.ReportHandled as error:
            raise AlreadyHandled(str(error)) from error
        except workflow.ConcurrentEdit as error:
            raise StaleVersion(error) from error
        except workflow.NotAllowed as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except workflow.CurationError as error:
            raise Refused(str(error)) from error
        report = ProblemReport.objects.select_related(
            "interaction__tf", "interaction__target", "handled_by", "event__actor"
        ).get(pk=report.pk)
        return Response(ProblemReportSerializer(report, context=self.get_serializer_context()).data)


REPORT_ACT_ANSWERS = {
    200: ProblemReportSerializer,
    409: OpenApiResponse(
        ReportConflictSerializer,
        description="Handled already, or the interaction changed since `version` (then with `current`): nothing saved.",
    ),
}


class FlagReportView(ReportActView):
    @extend_schema(
        operation_id="reports_flag",
        summary="Turn a problem report into a flag",
        description="Its kind and text become the reason. An unreviewed interaction is flagged; an approved or "
        "rejected one is reopened (reviewer role); one already waiting for a reviewer (flagged, proposed) gets "
        "the report as a comment. Curator role.",
        tags=["curation"],
        request=ReportFlagRequestSerializer,
        responses=REPORT_ACT_ANSWERS | report_errors(400, 401, 403, 404),
    )
    def post(self, request, pk):
        report = self.get_report()
        body = ReportFlagRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.answer(lambda: reports.flag_from_report(report, request.user, body.validated_data["version"]))


class DismissReportView(ReportActView):
    @extend_schema(
        operation_id="reports_dismiss",
        summary="Dismiss a problem report",
        description="With a reason, kept in the interaction's curation history. Curator role.",
        tags=["curation"],
        request=ReportDismissRequestSerializer,
        responses=REPORT_ACT_ANSWERS | report_errors(400, 401, 403, 404),
    )
    def post(self, request, pk):
        report = self.get_report()
        body = ReportDismissRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.answer(lambda: reports.dismiss_report(report, request.user, body.validated_data["reason"]))
