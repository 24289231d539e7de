"""The API's ``release=``: interactions answered from a release's frozen rows instead of the live set.

``/api/interactions/?release=3`` (or ``release=latest``) reads the rows release 3 froze
(``ReleaseInteraction``) with the same filters, formats and pages as the live endpoint
(``proteins.api.views.InteractionViewSet``): the filters' parameters and their checks are the
live ones (``proteins.api.filters.InteractionFilter``), applied to the frozen columns by
``FrozenInteractionFilter``; the streamed formats write the frozen rows through
``releases.selectors.interaction_records``; each JSON page names its release (``ReleasePages``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connections
from django.db.models import BooleanField, F, Func, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat, StrIndex
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

from proteins.api import filters
from proteins.api.pagination import KeysetPagination
from proteins.exports import iso_datetime
from proteins.models import DetectionMethod, Protein, SourceDatabase

from . import selectors
from .models import SEPARATOR, Release, ReleaseInteraction

PARAMETER = "release"
LATEST = "latest"
PARAMETER_SCHEMA = OpenApiParameter(
    PARAMETER,
    {"type": "string", "pattern": rf"^([1-9][0-9]{{0,8}}|{LATEST})$"},
    description="Answer from a published release instead of the live data: its number (see /releases/), or "
    "`latest`. A release never changes: the same request gives the same rows, whatever curation happened since. "
    "Every filter and format works on it; each JSON page names the release. An unknown release is a 404.",
)
BAD_VALUE = "Give the number of a published release (e.g. 3) or latest; see /releases/."


def requested_release(params: Mapping) -> Release | None:
    """The published release the query ``params`` name (``release=<number>`` or ``latest``), or None for
    the live data; a ValidationError (400) for a value that names no release, NotFound (404) for an
    unknown one."""
    values = params.getlist(PARAMETER)
    if not values:
        return None
    text = values[-1].strip()
    number = int(text) if filters.is_number(text) else 0
    if len(set(values)) > 1 or not (text == LATEST or 0 < number <= filters.MAX_INTEGER):
        raise exceptions.ValidationError({PARAMETER: [BAD_VALUE]})
    if text == LATEST:
        found = selectors.latest()
        if found is None:
            raise exceptions.NotFound("No release has been published yet; see /releases/.")
        return found
    found = selectors.published().filter(number=number).first()
    if found is None:
        raise exceptions.NotFound(f"No published release {number}; see /releases/.")
    return found


def reference(release: Release, request) -> dict:
    """What a JSON page says of the release it comes from."""
    return {
        "number": release.number,
        "published_at": iso_datetime(release.published_at),
        "url": request.build_absolute_uri(release.get_absolute_url()),
        "doi": release.doi or None,
    }


REFERENCE_SCHEMA = {
    "type": "object",
    "description": "The release the rows come from (only with `release=`).",
    "required": ["number", "published_at", "url", "doi"],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "published_at": {"type": "string", "format": "date-time", "description": "When its copy was taken."},
        "url": {"type": "string", "format": "uri", "description": "Its page: notes, figures, files, how to cite it."},
        "doi": {"type": "string", "nullable": True, "description": "Its DOI, if one was minted."},
    },
}


class ReleasePages(KeysetPagination):
    """The API's keyset pages of interactions; with ``release=`` a page names its release."""

    def paginate_queryset(self, queryset, request, view=None):
        self.release = getattr(view, "release", None)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.release is not None:
            response.data = {PARAMETER: reference(self.release, self.request), **response.data}
        return response

    def get_paginated_response_schema(self, schema):
        found = super().get_paginated_response_schema(schema)
        found["properties"] = {PARAMETER: REFERENCE_SCHEMA, **found["properties"]}
        return found


# The live filters on a release's frozen columns: proteins by accession, evidence by name within the
# ";"-joined text.


def accessions_identified_by(identifiers: list[str]) -> list[str]:
    """The UniProt accessions of the proteins ``identifiers`` identify (``Protein.objects.identified_by``).

    Each identifier counts as an accession too (the rule's first part, on the frozen rows): a
    protein gone since the release is still found by the accession the release holds.
    """
    found = set(Protein.objects.identified_by(*identifiers).values_list("accession", flat=True))
    return sorted(found | {identifier.upper() for identifier in identifiers})


def holding(queryset: QuerySet, field: str, value: str) -> QuerySet:
    """Rows whose ``field`` (values joined by ``SEPARATOR``) holds ``value`` whole, in its exact case."""
    padded = Concat(Value(SEPARATOR), F(field), Value(SEPARATOR), output_field=TextField())
    position = f"{field}_holding"
    return queryset.alias(**{position: StrIndex(padded, Value(f"{SEPARATOR}{value}{SEPARATOR}"))}).filter(
        **{f"{position}__gt": 0}
    )


def with_proteins(queryset: QuerySet, release_rows: QuerySet, fields: list[str], accessions: list[str]) -> QuerySet:
    """Rows of ``queryset`` whose protein in one of ``fields`` (``tf_accession``, ``target_accession``) is one
    of ``accessions``.

    The live ids of those rows are read first, from each field's index (a subquery on
    ``release_rows``, the release's rows), then a page probes the release's unique index for them.
    Filtered in place, or joined to the subquery, the engines may walk the whole release in id
    order looking for the proteins' rows instead (measured at 1.3 million rows: 150 ms a page on
    SQLite without statistics, 200 ms on PostgreSQL when two accessions are asked for), so
    PostgreSQL gets the ids as an array (``IsAnyOf``) and SQLite as ``IN (subquery)``, the form
    each plans as a probe.
    """
    rows = release_rows.order_by()
    found = [rows.filter(**{f"{field}__in": accessions}).values("interaction_id") for field in fields]
    ids = found[0].union(*found[1:]) if len(found) > 1 else found[0]
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(IsAnyOf(F("interaction_id"), Subquery(ids)))
    return queryset.filter(interaction_id__in=ids)


class IsAnyOf(Func):
    """``<value> = ANY(ARRAY(<subquery>))`` (PostgreSQL): the subquery is read once, before the query,
    and its values probe an index; the planner cannot turn it into a join."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        (value, value_params), (values, values_params) = map(compiler.compile, self.get_source_expressions())
        return f"{value} = ANY(ARRAY{values})", (*value_params, *values_params)


class AccessionFilter(filters.ProteinIdentifierFilter):
    def filter(self, queryset, value):
        if not value:
            return queryset
        return with_proteins(queryset, self.parent.queryset, [self.field_name], accessions_identified_by(value))


class JoinedNameFilter(filters.NamedFilter):
    """The live filter's name (checked against the source databases or detection methods), in the frozen text."""

    def filter(self, queryset, value):
        return holding(queryset, self.field_name, value.name) if value else queryset


class JoinedNumberFilter(filters.IntegerFilter):
    def filter(self, queryset, value):
        return holding(queryset, self.field_name, str(value)) if value is not None else queryset


class FrozenInteractionFilter(filters.InteractionFilter):
    """``InteractionFilter``'s parameters, checked the same way, on a release's rows (``ReleaseInteraction``).

    Organism, small-scale, status, mode, confidence and updated-since are the same columns; the
    others are declared again here for the frozen ones.
    """

    tf = AccessionFilter(field_name="tf_accession")
    target = AccessionFilter(field_name="target_accession")
    protein = AccessionFilter(method="filter_protein")
    source = JoinedNameFilter(
        field_name="source_databases",
        model=SourceDatabase,
        listing="/api/sources/",
    )
    method = JoinedNameFilter(
        field_name="detection_methods",
        model=DetectionMethod,
        listing="/api/methods/",
    )
    pmid = JoinedNumberFilter(field_name="pmids")

    class Meta:
        model = ReleaseInteraction
        fields = []

    def filter_protein(self, queryset, name, value):
        if not value:
            return queryset
        accessions = accessions_identified_by(value)
        return with_proteins(queryset, self.queryset, ["tf_accession", "target_accession"], accessions)


def page_records(rows: list[dict]) -> list:
    """The records of a page of frozen rows (``{"pk": ...}`` each), in one query (and the organisms' names).

    By their ids alone: with the release's id beside them, SQLite reads the release's rows from
    an index on the release and sorts them all.
    """
    return list(selectors.interaction_records(ReleaseInteraction.objects.filter(pk__in=[row["pk"] for row in rows])))
