"""Reads of releases: the published ones, and their frozen rows as the export writers' records.

A release's rows become ``proteins.exports`` records again (``interaction_records``,
``binding_site_records``), so every writer of the live downloads (TSV, MITAB, GMT, NDJSON, the
decoupler network) writes a release's files and answers the API's ``release=`` unchanged.
One query per chunk of rows (keyset pagination, never an OFFSET), no join.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q, QuerySet

from proteins.exports import BindingSiteRecord, InteractionRecord
from proteins.selectors.streams import Organisms

from .models import SEPARATOR, Release, ReleaseBindingSite, ReleaseInteraction


def published() -> QuerySet[Release]:
    return Release.objects.filter(state=Release.State.PUBLISHED)


def latest() -> Release | None:
    return published().order_by("-number").first()


def split(text: str, convert=str) -> tuple:
    return tuple(map(convert, text.split(SEPARATOR))) if text else ()


INTERACTION_FIELDS = (
    "pk",
    "interaction_id",
    "organism_id",
    "tf_accession",
    "tf_name",
    "tf_gene_ids",
    "target_accession",
    "target_name",
    "target_gene_ids",
    "target_organism",
    "source_databases",
    "detection_methods",
    "pmids",
    "small_scale",
    "status",
    "mode",
    "mode_decision",
    "confidence",
    "updated_at",
)


def interaction_records(
    queryset: QuerySet[ReleaseInteraction],
    *,
    by_tf: bool = False,
    evidence: bool = True,
    dates: bool = True,
    chunk_size: int = 5000,
) -> Iterator[InteractionRecord]:
    """``InteractionRecord``s of frozen rows of one release, in the live interactions' id order, or by
    TF then target accession with ``by_tf`` (for GMT); a query per chunk.

    Chunks follow the live id (``interaction_id``, unique in a release), not the row's own: the
    index of the release's unique constraint, or of its organism's rows, hands them over in that
    order, where the row's id would have SQLite sort the whole release for every chunk.

    It takes the arguments of ``proteins.selectors.streams.interaction_records`` (so that
    ``proteins.downloads`` writes either): ``evidence`` and ``dates`` change nothing, a frozen row
    holds its evidence and date.
    """
    ordering = ("tf_accession", "target_accession") if by_tf else ("interaction_id",)
    organisms, last = Organisms(), None
    taxa = {}  # a cross-species target's organism name -> its taxon id
    while True:
        chunk_query = queryset.order_by(*ordering)
        if last is not None:
            chunk_query = chunk_query.filter(after(ordering, last))
        rows = list(chunk_query.values_list(*INTERACTION_FIELDS)[:chunk_size])
        for row in rows:
            organism, taxon = organisms[row[2]]
            target_organism = row[9]
            if target_organism and target_organism not in taxa:
                taxa.update((name, taxon_id) for name, taxon_id in organisms.values())
            yield InteractionRecord(
                id=row[1],
                tf_accession=row[3],
                tf_name=row[4],
                tf_gene_ids=split(row[5], int),
                target_accession=row[6],
                target_name=row[7],
                target_gene_ids=split(row[8], int),
                organism=organism,
                taxon_id=taxon,
                source_databases=split(row[10]),
                detection_methods=split(row[11]),
                pmids=split(row[12], int),
                small_scale=row[13],
                status=row[14],
                target_organism=target_organism,
                target_taxon_id=taxa.get(target_organism) if target_organism else None,
                updated_at=row[18],
                mode=row[15],
                mode_decision=row[16],
                confidence=row[17],
            )
        if len(rows) < chunk_size:
            return
        last = (rows[-1][3], rows[-1][6]) if by_tf else (rows[-1][1],)


def after(ordering: tuple[str, ...], last: tuple) -> Q:
    """Rows after ``last`` in ``ordering`` (one field, or two): the keyset condition of the next chunk."""
    if len(ordering) == 1:
        return Q(**{f"{ordering[0]}__gt": last[0]})
    (first, second), (first_value, second_value) = ordering, last
    return Q(**{f"{first}__gt": first_value}) | Q(**{first: first_value, f"{second}__gt": second_value})


SITE_FIELDS = (
    "pk",
    "organism_id",
    "tflink_id",
    "tf_accession",
    "tf_name",
    "assembly",
    "chromosome",
    "start",
    "end",
    "strand",
    "source_databases",
    "detection_methods",
    "pmids",
    "small_scale",
)


def binding_site_records(queryset: QuerySet[ReleaseBindingSite], chunk_size: int = 5000) -> Iterator[BindingSiteRecord]:
    """``BindingSiteRecord``s of frozen sites, in the order they were frozen, a query per chunk."""
    organisms, last = Organisms(), 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list(*SITE_FIELDS)[:chunk_size])
        for row in rows:
            yield BindingSiteRecord(
                tflink_id=row[2],
                tf_accession=row[3],
                tf_name=row[4],
                organism=organisms[row[1]][0],
                assembly=row[5],
                chromosome=row[6],
                start=row[7],
                end=row[8],
                strand=row[9],
                source_databases=split(row[10]),
                detection_methods=split(row[11]),
                pmids=split(row[12], int),
                small_scale=row[13],
            )
        if len(rows) < chunk_size:
            return
        last = rows[-1][0]
