"""The curator area: dashboard, review queue, the workspace of one interaction, entries from papers,
problem reports; and the one public form, a visitor's report of a problem with an interaction.

Views read the request, call ``curation.workflow`` (the only code that changes a status or
evidence) and show what happened. Every write is a POST with its CSRF token. A refusal of
the rules is never a server error: a missing role is a 403 page with the reason, a rule the
act breaks is a form error, and an act on an old version is refused with the current values.
"""

from collections import defaultdict
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from proteins.models import Interaction
from proteins.selectors.pages import interaction_page, interaction_page_context

from . import literature, reports, selectors, workflow
from .forms import (
    ActForm,
    BulkActionForm,
    CommentForm,
    EntryForm,
    EvidenceForm,
    ModeForm,
    ProblemReportForm,
    PublicationFormSet,
    QueueFilterForm,
    ReportDismissForm,
    ReportFlagForm,
)
from .models import CurationEvent, PendingSourceChange, ProblemReport
from .workflow import FLAG_PERMISSION, REVIEW_PERMISSION, TRANSITIONS, ConcurrentEdit, CurationError, NotAllowed

NAMES_LISTED = 10  # interactions named in a bulk act's message; the rest are counted
REPORTS_LISTED = 20  # open reports on the dashboard, newest first
THANKS = "Thank you: your report was sent to the curators."


def curator_required(view):
    """Signed in (else to the login page) with the curator or reviewer role (else 403)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(FLAG_PERMISSION):
            raise PermissionDenied(
                "The curator area is for curators and reviewers; ask a staff admin to give your account a role."
            )
        return view(request, *args, **kwargs)

    return login_required(checked)


@curator_required
@require_safe
def dashboard(request):
    changes = selectors.pending_source_changes()
    open_reports = selectors.open_reports()
    return render(
        request,
        "curation/dashboard.html",
        {
            "counts": selectors.status_counts(),
            "reports": [
                (report, reports.what_flagging_does(report.interaction.status))
                for report in open_reports[:REPORTS_LISTED]
            ],
            "report_count": open_reports.count(),
            "my_events": selectors.recent_events(actor=request.user)[:10],
            "flags": selectors.recent_events(action=CurationEvent.Action.FLAG)[:10],
            "source_changes": changes[:20],
            "source_change_count": changes.count(),
        },
    )


@curator_required
@require_http_methods(["GET", "HEAD", "POST"])
def queue(request):
    if request.method == "POST":
        return bulk_act(request)
    filters = QueueFilterForm(request.GET)
    if filters.is_valid():
        rows = selectors.review_queue(**filters.filters())
        per_page = filters.cleaned_data["per_page"]
        page = selectors.queue_page(rows, filters.cleaned_data["page"] or 1, per_page)
    else:
        page = selectors.QueuePage([], 1, 0, has_next=False)
    return render(
        request,
        "curation/queue.html",
        {"filters": filters, "page": page, "transitions": TRANSITIONS.values()},
    )


def bulk_act(request):
    """The queue's bulk act on the ticked rows: what the rules allow is done, the rest is reported."""
    form = BulkActionForm(request.POST)
    back = request.get_full_path()
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    rule = TRANSITIONS[action]
    if not request.user.has_perm(rule.permission):
        role = "reviewer" if rule.permission == workflow.REVIEW_PERMISSION else "curator"
        raise PermissionDenied(f"Only a {role} may {action} interactions.")
    ids = form.cleaned_data["ids"]
    interactions = list(Interaction.objects.filter(pk__in=ids).select_related("tf", "target").order_by("pk"))
    done, refused = workflow.bulk_transition(interactions, action, request.user, reason)
    report_bulk_act(request, action, done, refused, missing=len(ids) - len(interactions))
    return redirect(back)


def report_bulk_act(request, action, done, refused, missing):
    if done:
        names = name_list([event.interaction for event in done])
        messages.success(request, f"{workflow.past(action).capitalize()} {count(len(done))}: {names}.")
    by_reason = defaultdict(list)
    for interaction, reason in refused:
        by_reason[reason].append(interaction)
    for reason, interactions in by_reason.items():
        messages.warning(
            request, f"Not {workflow.past(action)}, {count(len(interactions))}: {reason} ({name_list(interactions)})"
        )
    if missing:
        messages.warning(request, f"Not found (deleted meanwhile): {count(missing)}.")
    if not done and not refused and not missing:
        messages.info(request, "Nothing was changed.")


def count(number):
    return f"{number} interaction{'s' if number != 1 else ''}"


def name_list(interactions):
    names = ", ".join(str(interaction) for interaction in interactions[:NAMES_LISTED])
    more = len(interactions) - NAMES_LISTED
    return f"{names} and {more} more" if more > 0 else names


# The workspace of one interaction.


def workspace_interaction(pk):
    return get_object_or_404(Interaction.objects.with_evidence().select_related("last_edited_by"), pk=pk)


@curator_required
@require_safe
def workspace(request, pk):
    return render_workspace(request, workspace_interaction(pk))


def render_workspace(
    request, interaction, *, status=200, evidence_form=None, comment_form=None, act=None, unsaved=None, mode_form=None
):
    """The workspace page; ``act`` is ``(action, bound ActForm)`` after a refused transition."""
    user = request.user
    act_forms = {
        action: ActForm(initial={"version": interaction.version})
        for action in workflow.allowed_actions(user, interaction)
    }
    if act is not None and act[0] in act_forms:
        act_forms[act[0]] = act[1]
    full_history = request.GET.get("history") == "all"
    history, truncated = selectors.interaction_history(
        interaction, limit=None if full_history else selectors.HISTORY_LIMIT
    )
    return render(
        request,
        "curation/workspace.html",
        {
            "interaction": interaction,
            "evidence_form": evidence_form or EvidenceForm.of(interaction),
            "comment_form": comment_form or CommentForm(),
            "acts": [(TRANSITIONS[action], form) for action, form in act_forms.items()],
            "unavailable": [
                (action, workflow.refusal(user, action, interaction))
                for action in TRANSITIONS
                if action not in act_forms
            ],
            "unsaved": unsaved,
            "history": history,
            "history_truncated": truncated,
            "source_changes": interaction.pending_source_changes.filter(decision=PendingSourceChange.Decision.PENDING),
            "public": Interaction.is_public_status(interaction.status),
            "edit_returns_to": workflow.status_after_evidence_change(interaction.status),
            "statements": selectors.statements(interaction),
            "mode_form": (mode_form or ModeForm(initial={"version": interaction.version}))
            if user.has_perm(REVIEW_PERMISSION)
            else None,
        },
        status=status,
    )


def refused_as_stale(request, pk, error, unsaved=None):
    """409: the interaction changed since the user opened it. Show what it is now; keep their input visible."""
    messages.error(request, str(error))
    return render_workspace(request, workspace_interaction(pk), status=409, unsaved=unsaved)


@curator_required
@require_POST
def edit_evidence(request, pk):
    interaction = get_object_or_404(Interaction, pk=pk)
    form = EvidenceForm(request.POST)
    if not form.is_valid():
        return render_workspace(request, workspace_interaction(pk), status=400, evidence_form=form)
    data = form.cleaned_data
    try:
        workflow.edit_evidence(
            interaction,
            request.user,
            data["version"],
            source_databases=data["source_databases"],
            detection_methods=data["detection_methods"],
            pmids=data["pmids"],
            small_scale=data["small_scale"],
            reason=data["reason"],
        )
    except ConcurrentEdit as error:
        return refused_as_stale(request, pk, error, unsaved=data)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except CurationError as error:
        form.add_error(None, str(error))
        return render_workspace(request, workspace_interaction(pk), status=400, evidence_form=form)
    messages.success(request, f"Evidence saved: {interaction} is now version {interaction.version}.")
    return redirect("curation:workspace", pk=pk)


@curator_required
@require_POST
def transition(request, pk, action):
    interaction = get_object_or_404(Interaction.objects.select_related("tf", "target"), pk=pk)
    form = ActForm(request.POST)
    if not form.is_valid():
        return render_workspace(request, workspace_interaction(pk), status=400, act=(action, form))
    try:
        workflow.transition(
            interaction, action, request.user, form.cleaned_data["reason"], version=form.cleaned_data["version"]
        )
    except ConcurrentEdit as error:
        return refused_as_stale(request, pk, error)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except CurationError as error:
        form.add_error(None, str(error))
        current = workspace_interaction(pk)
        if action not in workflow.allowed_actions(request.user, current):
            messages.error(request, str(error))
        return render_workspace(request, current, status=400, act=(action, form))
    messages.success(request, f"{interaction}: {workflow.past(action)}.")
    return redirect("curation:workspace", pk=pk)


@curator_required
@require_POST
def add_comment(request, pk):
    interaction = get_object_or_404(Interaction, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            workflow.add_comment(interaction, request.user, form.cleaned_data["text"])
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except CurationError as error:
            form.add_error("text", str(error))
        else:
            messages.success(request, "Comment added.")
            return redirect(reverse("curation:workspace", args=[pk]) + "#comments")
    return render_workspace(request, workspace_interaction(pk), status=400, comment_form=form)


@curator_required
@require_POST
def decide_source_change(request, pk, accept):
    change = get_object_or_404(
        PendingSourceChange.objects.select_related("interaction__tf", "interaction__target"), pk=pk
    )
    try:
        workflow.decide_source_change(change, request.user, accept)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except CurationError as error:
        messages.error(request, str(error))
    else:
        verb = "accepted" if accept else "dismissed"
        messages.success(request, f"Source change for {change.interaction} {verb}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("curation:dashboard")
    return redirect(back)


@curator_required
@require_POST
def set_mode(request, pk):
    interaction = get_object_or_404(Interaction.objects.select_related("tf", "target"), pk=pk)
    form = ModeForm(request.POST)
    if not form.is_valid():
        return render_workspace(request, workspace_interaction(pk), status=400, mode_form=form)
    data = form.cleaned_data
    try:
        literature.set_mode(interaction, request.user, data["mode"], data["reason"], data["version"])
    except ConcurrentEdit as error:
        return refused_as_stale(request, pk, error)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except literature.InvalidEntry as error:
        for field, field_messages in error.errors.items():
            form.add_error(field if field in form.fields else None, field_messages)
        return render_workspace(request, workspace_interaction(pk), status=400, mode_form=form)
    except CurationError as error:
        form.add_error(None, str(error))
        return render_workspace(request, workspace_interaction(pk), status=400, mode_form=form)
    messages.success(request, f"{interaction}: mode {literature.described_mode(interaction)}.")
    return redirect("curation:workspace", pk=pk)


# Entries from papers.


@curator_required
@require_http_methods(["GET", "HEAD", "POST"])
def enter(request):
    """Add an interaction read in papers; a pair the portal holds is shown first, for the curator to confirm."""
    if request.method != "POST":
        return render_entry(request, EntryForm(), PublicationFormSet(prefix="publications"))
    form, publications = EntryForm(request.POST), PublicationFormSet(request.POST, prefix="publications")
    if not (form.is_valid() & publications.is_valid()):
        return render_entry(request, form, publications, status=400)
    data = form.cleaned_data
    tf, target = form.proteins()
    try:
        if data["version"] is None:
            existing = literature.existing_interaction(data["organism"], tf, target)
            if existing is not None:
                return confirm_existing(request, existing, publications)
        entry = literature.enter_interaction(
            request.user,
            data["organism"],
            tf,
            target,
            publications.read(),
            detection_methods=data["detection_methods"],
            small_scale=data["small_scale"],
            comment=data["comment"],
            version=data["version"],
        )
    except ConcurrentEdit as error:
        messages.error(request, str(error))
        return confirm_existing(request, error.current, publications, status=409)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except literature.InvalidEntry as error:
        publication_errors = error.errors.pop("publications", [])
        for field, field_messages in error.errors.items():
            form.add_error(field if field in form.fields else None, field_messages)
        return render_entry(request, form, publications, status=400, publication_errors=publication_errors)
    except CurationError as error:
        form.add_error(None, str(error))
        return render_entry(request, form, publications, status=400)
    if entry.created:
        messages.success(request, f"{entry.interaction} entered: proposed, hidden until another reviewer approves it.")
    else:
        messages.success(
            request, f"Your evidence was added to {entry.interaction}, now {entry.interaction.get_status_display()}."
        )
    return redirect("curation:workspace", pk=entry.interaction.pk)


def confirm_existing(request, existing, publications, status=200):
    """The entry again, with the version of the pair the portal holds: saving adds the evidence to it."""
    data = request.POST.copy()
    data["version"] = existing.version
    form = EntryForm(data)
    form.is_valid()
    return render_entry(request, form, publications, status=status, existing=existing)


def render_entry(request, form, publications, *, status=200, existing=None, publication_errors=()):
    return render(
        request,
        "curation/enter.html",
        {
            "form": form,
            "publications": publications,
            "publication_errors": publication_errors,
            "existing": existing,
            "returns_to": existing and workflow.status_after_evidence_change(existing.status),
        },
        status=status,
    )


# Problem reports: sent by visitors from an interaction's public page, handled by curators.


@require_POST
def report_problem(request, tf, target):
    """A visitor's report. A post that fills the hidden field (a bot's) is thanked and stored nowhere."""
    try:
        interaction = interaction_page(tf, target)
    except Interaction.DoesNotExist:
        raise Http404(f"No public interaction of {tf} with {target}.") from None
    form = ProblemReportForm(request.POST)
    if form.is_from_a_bot():
        messages.success(request, THANKS)
        return redirect(interaction)
    if not form.is_valid():
        return render_interaction_page(request, interaction, form, status=400)
    wait = reports.wait_before_report(request)
    if wait is not None:
        minutes = -(-wait // 60)
        form.add_error(
            None,
            f"Too many reports from your address in the last hour: please try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
        )
        response = render_interaction_page(request, interaction, form, status=429)
        response["Retry-After"] = str(wait)
        return response
    data = form.cleaned_data
    reports.submit_report(interaction, kind=data["kind"], text=data["text"], email=data["email"])
    messages.success(request, THANKS)
    return redirect(interaction)


def render_interaction_page(request, interaction, report_form, status):
    """The public interaction page, with the visitor's report form as they sent it."""
    context = {**interaction_page_context(interaction), "report_form": report_form}
    return render(request, "proteins/interaction.html", context, status=status)


def back_to_reports():
    return redirect(reverse("curation:dashboard") + "#reports")


@curator_required
@require_POST
def flag_report(request, pk):
    report = get_object_or_404(ProblemReport.objects.select_related("interaction__tf", "interaction__target"), pk=pk)
    form = ReportFlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The form lacks the version of the interaction: reload the page and try again.")
        return back_to_reports()
    try:
        handled = reports.flag_from_report(report, request.user, form.cleaned_data["version"])
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except CurationError as error:  # handled already, or the interaction changed meanwhile
        messages.error(request, str(error))
    else:
        done = "added as a comment to" if handled.comment_id else f"{workflow.past(handled.event.action)}:"
        messages.success(request, f"Report {done} {report.interaction}.")
    return back_to_reports()


@curator_required
@require_POST
def dismiss_report(request, pk):
    report = get_object_or_404(ProblemReport.objects.select_related("interaction__tf", "interaction__target"), pk=pk)
    form = ReportDismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return back_to_reports()
    try:
        reports.dismiss_report(report, request.user, form.cleaned_data["reason"])
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except CurationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Report on {report.interaction} dismissed.")
    return back_to_reports()
