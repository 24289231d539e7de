"""Read endpoints of the API: organisms, source databases, detection methods, proteins,
interactions (JSON pages, or whole filtered sets streamed as TSV, MITAB, GMT, a decoupler
network, NDJSON; live, or from a published release with ``release=``: ``releases.api``) and
binding sites; and the token endpoint for the scripts of curators.

Reading needs no login.  Views are thin: the queryset (``proteins.selectors``), the filters
(``filters``), the pagination (``pagination``) and the formats (``renderers``) do the work.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from releases import api as releases_api
from releases import selectors as releases_selectors

from .. import downloads
from ..counts import organism_summaries
from ..models import BindingSite, DetectionMethod, Interaction, Organism, Protein, SourceDatabase
from ..parser import page_site_id
from ..selectors import pages
from . import filters, renderers, serializers
from .throttling import TokenRequestThrottle

ERROR = serializers.ErrorSerializer


def error_responses(*codes):
    descriptions = {
        400: "A query parameter is not understood (its name and the reason are in `detail`).",
        401: "The credentials sent are not valid (reading needs none).",
        403: "The credentials sent are not valid (reading needs none), or they do not allow this.",
        404: "No such record.",
        406: "The Accept header names no format this endpoint offers.",
        429: "Too many requests from this address: wait the seconds the Retry-After header says.",
    }
    return {(code, "application/json"): OpenApiResponse(ERROR, description=descriptions[code]) for code in codes}


LIST_ERRORS = error_responses(400, 401, 403, 406, 429)
DETAIL_ERRORS = error_responses(400, 401, 403, 404, 406, 429)
# An interactions list is a 404 too, for an unknown release (release=).
RELEASE_LIST_ERRORS = error_responses(400, 401, 403, 404, 406, 429)


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Base of the read endpoints: strict django-filter filters, keyset pages, JSON errors.

    A record's own address (``retrieve``) is not filtered nor paged: it knows ``format`` and
    the view's ``detail_query_parameters``, and refuses any other query parameter with a 400.
    """

    filter_backends = [filters.StrictFilterBackend]
    content_negotiation_class = renderers.FormatNegotiation
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    pagination_key = "id"  # unique and indexed: the key of the cursor pages
    detail_query_parameters = ()
    not_found = "Not found: {value}."

    def get_object(self):
        filters.refuse_unknown_parameters(self.request.query_params, ("format", *self.detail_query_parameters))
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        key = self.lookup_value(value)
        found = None if key is None else self.get_queryset().filter(**self.lookup_filter(key)).first()
        if found is None:
            raise exceptions.NotFound(self.not_found.format(value=value))
        self.check_object_permissions(self.request, found)
        return found

    def lookup_value(self, value):
        """The value of the lookup field that the URL's ``value`` names, or None if it can name none."""
        return value

    def lookup_filter(self, key):
        """The filter that finds the record of the lookup value ``key``."""
        return {self.lookup_field: key}


class NumberLookupMixin:
    """Records looked up by a number in the URL (ids, taxon ids)."""

    def lookup_value(self, value):
        return int(value) if filters.is_number(value) and int(value) <= filters.MAX_POSITION else None


@extend_schema_view(
    list=extend_schema(
        summary="Organisms",
        description="Organisms with their numbers of proteins and public interactions.",
        responses={200: serializers.OrganismSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One organism, by NCBI taxon id", responses={200: serializers.OrganismSerializer, **DETAIL_ERRORS}
    ),
)
class OrganismViewSet(NumberLookupMixin, ReadOnlyViewSet):
    """An organism by its NCBI taxon id, with its numbers of proteins and public interactions."""

    queryset = Organism.objects.all()
    serializer_class = serializers.OrganismSerializer
    pagination_key = "name"
    lookup_field = "taxon_id"
    not_found = "No organism with the NCBI taxon id {value}."

    def get_serializer_context(self):
        counts = {summary["organism"].pk: summary for summary in organism_summaries()}
        return {**super().get_serializer_context(), "counts": counts}


@extend_schema_view(
    list=extend_schema(
        summary="Source databases",
        description="Names to use in the `source` filter of interactions and binding sites.",
        responses={200: serializers.SourceDatabaseSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One source database", responses={200: serializers.SourceDatabaseSerializer, **DETAIL_ERRORS}
    ),
)
class SourceDatabaseViewSet(NumberLookupMixin, ReadOnlyViewSet):
    """A source database of interactions and binding sites (its name is what the `source` filter takes)."""

    queryset = SourceDatabase.objects.all()
    serializer_class = serializers.SourceDatabaseSerializer
    pagination_key = "name"
    not_found = "No source database with the id {value}."


@extend_schema_view(
    list=extend_schema(
        summary="Detection methods",
        description="Names to use in the `method` filter of interactions and binding sites.",
        responses={200: serializers.DetectionMethodSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One detection method", responses={200: serializers.DetectionMethodSerializer, **DETAIL_ERRORS}
    ),
)
class DetectionMethodViewSet(NumberLookupMixin, ReadOnlyViewSet):
    """A detection method of interactions and binding sites (its name is what the `method` filter takes)."""

    queryset = DetectionMethod.objects.all()
    serializer_class = serializers.DetectionMethodSerializer
    pagination_key = "name"
    not_found = "No detection method with the id {value}."


@extend_schema_view(
    list=extend_schema(
        summary="Proteins",
        description="Proteins with their NCBI Gene ids, organism, orthologs and the numbers of their TFs and "
        "targets held here, ordered by UniProt accession.",
        responses={200: serializers.ProteinSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One protein, by UniProt accession (any case)",
        responses={200: serializers.ProteinDetailSerializer, **DETAIL_ERRORS},
    ),
)
class ProteinViewSet(ReadOnlyViewSet):
    """A protein by UniProt accession: gene name, NCBI Gene ids, organism, orthologs, the numbers of its
    TFs and targets held here, and the description of its page."""

    serializer_class = serializers.ProteinSerializer
    filterset_class = filters.ProteinFilter
    pagination_key = "accession"
    lookup_field = "accession"
    not_found = "No protein with the UniProt accession {value}."

    def get_queryset(self):
        return Protein.objects.select_related("organism").prefetch_related("gene_ids", "orthologs")

    def get_serializer_class(self):
        return serializers.ProteinDetailSerializer if self.action == "retrieve" else serializers.ProteinSerializer

    def lookup_value(self, value):
        return value.upper()


FORMATS = {
    "json": "a page of rows (cursor pagination), the default",
    **{download.name: download.description for download in downloads.FORMATS.values()},
}
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=list(FORMATS),
    description="Format of the answer (the Accept header can choose it too; this parameter wins):\n\n"
    + "\n".join(f"* `{name}`: {text}" for name, text in FORMATS.items())
    + "\n\nAll formats but `json` hold the whole filtered set in one streamed response.",
)
# The options of the streamed formats (GMT's and the decoupler network's ``by``): parameter -> its formats.
OPTION_FORMATS = {}
for download in downloads.FORMATS.values():
    if download.option:
        OPTION_FORMATS.setdefault(download.option.parameter, []).append(download)


def option_parameter(parameter, formats):
    """The schema of a format option's query parameter: every format's values, and what each means."""
    values = list(dict.fromkeys(value for download in formats for value in download.option.labels))
    description = "\n".join(
        f"* `format={download.name}` only: "
        + ", ".join(f"`{value}` ({label})" for value, label in download.option.labels.items())
        + "; the first is the default."
        for download in formats
    )
    return OpenApiParameter(parameter, str, enum=values, description=description)


OPTION_PARAMETERS = [option_parameter(parameter, formats) for parameter, formats in OPTION_FORMATS.items()]


def interaction_responses(serializer, errors):
    streamed = {(200, renderer.media_type): OpenApiTypes.STR for renderer in renderers.STREAMED_FORMATS}
    return {(200, "application/json"): serializer, **streamed, **errors}


@extend_schema_view(
    list=extend_schema(
        summary="Interactions, filtered: a JSON page, or the whole set streamed",
        description="TF -> target interactions with their evidence, in id order. Filters combine (AND). "
        "Anonymous users never see rejected interactions; staff see every status. With `release=`, the "
        "interactions a published release holds (what the public saw when it was taken), whoever asks.",
        parameters=[FORMAT_PARAMETER, *OPTION_PARAMETERS, releases_api.PARAMETER_SCHEMA],
        responses=interaction_responses(serializers.InteractionSerializer(many=True), RELEASE_LIST_ERRORS),
    ),
    retrieve=extend_schema(
        summary="One interaction, by id",
        parameters=[FORMAT_PARAMETER, *OPTION_PARAMETERS, releases_api.PARAMETER_SCHEMA],
        responses=interaction_responses(serializers.InteractionSerializer, DETAIL_ERRORS),
    ),
)
class InteractionViewSet(NumberLookupMixin, ReadOnlyViewSet):
    """A TF -> target interaction with its evidence, as a JSON object or in any streamed format.

    With ``release=`` (``releases.api``) it reads the release's frozen rows: the same filters
    (``FrozenInteractionFilter``), pages keyed on the live interaction's id (in a release, as
    live, the order of the ids), the same formats.
    """

    serializer_class = serializers.InteractionSerializer
    pagination_class = releases_api.ReleasePages
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, *renderers.STREAMED_FORMATS]
    extra_query_parameters = detail_query_parameters = (*OPTION_FORMATS, releases_api.PARAMETER)
    release = None  # the published release asked for, if any (``initial``)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # negotiates the format
        self.release = releases_api.requested_release(request.query_params)
        renderer = self.streamed_format()
        option = renderer.download.option if renderer else None
        for parameter, formats in OPTION_FORMATS.items():
            if parameter in request.query_params and (option is None or option.parameter != parameter):
                names = " and ".join(download.name for download in formats)
                add = " or ".join(f"format={download.name}" for download in formats)
                raise exceptions.ValidationError(
                    {parameter: [f"Only the {names} formats take {parameter}: add {add}."]}
                )

    def streamed_format(self):
        """The streamed format the request negotiated, or None for JSON (and the browsable API)."""
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer if isinstance(renderer, renderers.StreamedFormat) else None

    @property
    def filterset_class(self):
        return releases_api.FrozenInteractionFilter if self.release else filters.InteractionFilter

    @property
    def pagination_key(self):
        return "interaction_id" if self.release else "id"

    @property
    def not_found(self):
        where = f" in release {self.release.number}" if self.release else ""
        return "No interaction with the id {value}" + where + "."

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Interaction.objects.none()
        if self.release:
            return self.release.interactions.all()
        return pages.visible_interactions(self.request.user)

    def lookup_filter(self, key):
        return {"interaction_id": key} if self.release else super().lookup_filter(key)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        renderer = self.streamed_format()
        if renderer is not None:
            stem = self.file_stem("interactions")
            return renderers.streamed_response(renderer, self.records(queryset), request, stem)
        # The page's ids, then their rows with evidence by the export's own queries: no model instances.
        if self.release:
            page = self.paginate_queryset(queryset.values("pk", "interaction_id"))
            records = releases_api.page_records(page)
        else:
            page = self.paginate_queryset(queryset.values("id"))
            records = self.records(Interaction.objects.filter(pk__in=[row["id"] for row in page]))(dates=True)
        return self.get_paginated_response(self.get_serializer(list(records), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        found = self.get_object()
        one = self.get_queryset().filter(pk=found.pk)
        renderer = self.streamed_format()
        if renderer is not None:
            stem = self.file_stem(f"interaction_{self.kwargs['pk']}")
            return renderers.streamed_response(renderer, self.records(one), request, stem)
        record = next(self.records(one)(dates=True))
        return Response(self.get_serializer(record).data)

    def records(self, queryset):
        """The records of ``queryset``'s rows, frozen or live, read when called (``downloads.Records``)."""
        return releases_selectors.frozen(queryset) if self.release else downloads.live(queryset)

    def file_stem(self, stem):
        return f"{stem}_release_{self.release.number}" if self.release else stem

    def finalize_response(self, request, response, *args, **kwargs):
        # Whatever format was asked for, errors (and any other data DRF renders) are JSON.
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), renderers.StreamedFormat
        ):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="Binding sites",
        description="Transcription factor binding sites, ordered by TFLink id.",
        responses={200: serializers.BindingSiteSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One binding site, by TFLink id", responses={200: serializers.BindingSiteSerializer, **DETAIL_ERRORS}
    ),
)
class BindingSiteViewSet(ReadOnlyViewSet):
    """A binding site of a transcription factor, by TFLink id."""

    queryset = BindingSite.objects.select_related("tf__organism").prefetch_related(
        "tf__gene_ids", "source_databases", "detection_methods", "publications"
    )
    serializer_class = serializers.BindingSiteSerializer
    filterset_class = filters.BindingSiteFilter
    pagination_key = "tflink_id"
    lookup_field = "tflink_id"
    not_found = "No binding site with the TFLink id {value}."

    def lookup_value(self, value):
        return page_site_id(value)  # the id of an older table (TFLinkLT<n>) names the page's site


@extend_schema(
    summary="An API token for a user name and password",
    description="For scripts of curators: send the token as `Authorization: Token <token>`. Reading needs no token.",
    request=AuthTokenSerializer,
    responses={200: serializers.TokenSerializer, **error_responses(400, 429)},
)
class TokenView(ObtainAuthToken):
    throttle_classes = [TokenRequestThrottle]


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
def not_found(request, path):
    """Any other address under /api/: a JSON 404, like every error of the API."""
    raise exceptions.NotFound(f"No API endpoint at /api/{path}; see /api/ and /api/docs/.")
