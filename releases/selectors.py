"""Reads of releases: the published ones, and their frozen rows as the export writers' records.

A release's rows become ``proteins.exports`` records again (``interaction_records``,
``binding_site_records``), so every writer of the live downloads (TSV, MITAB, GMT, NDJSON, the
decoupler network) writes a release's files and answers the API's ``release=`` unchanged.
One query per chunk of rows (keyset pagination on the id, never an OFFSET, or whole TFs at a time
for GMT), no join.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db.models import Count, QuerySet

from proteins.exports import BindingSiteRecord, InteractionRecord, Memo
from proteins.selectors.streams import Organisms, group_batches

from .models import (
    INTERACTION_RECORD_COLUMNS,
    SEPARATOR,
    SITE_RECORD_COLUMNS,
    Release,
    ReleaseBindingSite,
    ReleaseInteraction,
)


def published() -> QuerySet[Release]:
    return Release.objects.filter(state=Release.State.PUBLISHED)


def latest() -> Release | None:
    return published().order_by("-number").first()


def split(text: str, convert=str) -> tuple:
    return tuple(map(convert, text.split(SEPARATOR))) if text else ()


INTERACTION_FIELDS = ("pk", "interaction_id", "organism_id", *INTERACTION_RECORD_COLUMNS)


def frozen(queryset: QuerySet[ReleaseInteraction]):
    """The records of a release's frozen rows in the order a download format asks for
    (``proteins.downloads.Records``): the way a release answers every format."""

    def records(*, by_tf=False, evidence=True, dates=False, group=None):
        # A frozen row holds its evidence: ``evidence`` changes nothing.
        return interaction_records(queryset, by_tf=by_tf or group is not None, dates=dates, group=group)

    return records


def interaction_records(
    queryset: QuerySet[ReleaseInteraction],
    chunk_size: int = 5000,
    *,
    by_tf: bool = False,
    dates: bool = True,
    group: Callable[[str, str], str] | None = None,
) -> Iterator[InteractionRecord]:
    """``InteractionRecord``s of frozen rows of one release, in the live interactions' id order
    (``rows_by_id``), a query per chunk; with ``by_tf``, each TF's rows together, TFs by accession
    or by ``group`` (``rows_by_tf``), as GMT's sets and the decoupler network need.  Without
    ``dates``, ``updated_at`` is not read (converting it is a good part of reading a row)."""
    organisms = Organisms()
    taxa = None  # organism name -> taxon id, for cross-species targets
    # Gene ids, evidence and PubMed ids recur row after row: each text is split once.
    numbers, texts = Memo(lambda text: split(text, int)), Memo(split)
    fields = INTERACTION_FIELDS if dates else INTERACTION_FIELDS[:-1]
    chunks = rows_by_tf(queryset, chunk_size, fields, group) if by_tf else rows_by_id(queryset, chunk_size, fields)
    for rows in chunks:
        for row in rows:
            organism, taxon = organisms[row[2]]
            target_organism = row[9]
            if target_organism and taxa is None:  # the organisms are all read by now (``Organisms``)
                taxa = dict(organisms.values())
            # By position, in the fields' order: keywords cost a stream more than the rest of building a record.
            yield InteractionRecord(
                row[1],  # id
                row[3],  # tf_accession
                row[4],  # tf_name
                numbers[row[5]],  # tf_gene_ids
                row[6],  # target_accession
                row[7],  # target_name
                numbers[row[8]],  # target_gene_ids
                organism,
                taxon,
                texts[row[10]],  # source_databases
                texts[row[11]],  # detection_methods
                numbers[row[12]],  # pmids
                row[13],  # small_scale
                row[14],  # status
                target_organism,
                taxa.get(target_organism) if target_organism else None,  # target_taxon_id
                row[18] if dates else None,  # updated_at
                row[15],  # mode
                row[16],  # mode_decision
                row[17],  # confidence
            )


def rows_by_id(queryset: QuerySet[ReleaseInteraction], chunk_size: int, fields) -> Iterator[list[tuple]]:
    """Chunks of ``fields`` in the live interactions' id order (``interaction_id``, unique in a release):
    keyset pagination, never an OFFSET.  The index of the release's unique constraint, or of its
    organism's rows, hands them over in that order, where the row's own id would have SQLite sort
    the whole release for every chunk."""
    last = 0
    while True:
        rows = list(
            queryset.filter(interaction_id__gt=last).order_by("interaction_id").values_list(*fields)[:chunk_size]
        )
        yield rows
        if len(rows) < chunk_size:
            return
        last = rows[-1][1]


def rows_by_tf(
    queryset: QuerySet[ReleaseInteraction], chunk_size: int, fields, group: Callable[[str, str], str] | None = None
) -> Iterator[list[tuple]]:
    """Chunks of ``fields`` with each TF's rows together (by target), TFs by accession, or with ``group``
    (a function of a TF's name and accession) the TFs of one group together, groups in sorted order.

    A query counts each TF's rows (the TF index, grouped); then whole groups are read in batches of
    about ``chunk_size`` rows, cut as the live stream cuts them (``streams.group_batches``: a larger
    group is a batch of its own, so memory is bounded by the largest TF's targets), by the TF index,
    and put in the TFs' order in memory: no sort of the whole set.
    """
    counts, groups = {}, {}
    for accession, name, rows in queryset.order_by().values_list("tf_accession", "tf_name").annotate(Count("pk")):
        counts[accession] = rows
        groups.setdefault(group(name, accession) if group else accession, []).append(accession)
    for batch in group_batches([sorted(groups[key]) for key in sorted(groups)], counts, chunk_size):
        yield tf_rows(queryset, [accession for members in batch for accession in members], fields)


def tf_rows(queryset, tf_accessions, fields):
    """The rows of the TFs ``tf_accessions``, in that order of TFs, each TF's by target accession."""
    rank = {accession: number for number, accession in enumerate(tf_accessions)}
    rows = queryset.filter(tf_accession__in=tf_accessions).order_by("tf_accession", "target_accession")
    rows = list(rows.values_list(*fields))
    rows.sort(key=lambda row: rank[row[3]])  # stable: each TF's rows stay in target order
    return rows


SITE_FIELDS = ("pk", "organism_id", *SITE_RECORD_COLUMNS)


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
