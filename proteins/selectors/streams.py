"""Whole sets of interactions and binding sites as export records, streamed a chunk at a time.

Keyset pagination (``WHERE key > last``) keeps every chunk an index range scan, never an
OFFSET; a few bounded caches (proteins, organisms, evidence names) mean a chunk costs a
handful of queries, whatever its number of rows, and memory stays flat however long the stream.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from ..exports import BindingSiteRecord, InteractionRecord
from ..models import BindingSite, DetectionMethod, GeneId, Interaction, Organism, Protein, SourceDatabase
from .sql import joined_in, select_in


def interaction_records(
    queryset: QuerySet,
    *,
    by_tf: bool = False,
    evidence: bool = True,
    dates: bool = False,
    chunk_size: int = 5000,
    caches: "StreamCaches | None" = None,
) -> Iterator[InteractionRecord]:
    """``InteractionRecord``s of ``queryset``, a chunk at a time: memory stays flat, a few queries per chunk.

    Rows come in id order, or ordered by TF then target with ``by_tf`` (for GMT). Keyset
    pagination (``WHERE key > last``) keeps every chunk an index range scan, never an OFFSET.
    A chunk costs a query for its interactions, without joins, and with ``evidence`` three for
    their evidence; proteins (accession, name, gene ids) come from a bounded cache that reads the
    ones a chunk is missing (two queries), and the few names of organisms, source databases and
    detection methods are read once.  ``dates`` fills ``updated_at`` (converting it costs time on
    every row).  ``caches``: those of a caller that streams several querysets.
    """
    ordering = ("tf_id", "target_id") if by_tf else ("pk",)
    columns = (
        "pk",
        "tf_id",
        "target_id",
        "organism_id",
        "small_scale",
        "status",
        "mode",
        "mode_decision",
        "confidence",
        *(("updated_at",) if dates else ()),
    )
    caches = caches or StreamCaches()
    names, organisms, proteins = caches.names, caches.organisms, caches.proteins
    last = None
    while True:
        chunk_query = queryset.order_by(*ordering)
        if last is not None:
            chunk_query = chunk_query.filter(after_key(ordering, last))
        rows = list(chunk_query.values_list(*columns)[:chunk_size])
        if not rows:
            return
        proteins.read({row[1] for row in rows} | {row[2] for row in rows})
        sources, methods, pmids = evidence_of([row[0] for row in rows], names) if evidence else ({}, {}, {})
        for pk, tf, target, organism_id, small_scale, status, mode, mode_decision, confidence, *updated_at in rows:
            tf_protein, target_protein = proteins.get(tf), proteins.get(target)
            if tf_protein is None or target_protein is None:
                continue  # deleted since the chunk was read (its interactions with it)
            tf_accession, tf_name, _, tf_gene_ids = tf_protein
            target_accession, target_name, target_organism_id, target_gene_ids = target_protein
            organism, taxon = organisms[organism_id]
            target_organism, target_taxon = (
                ("", None) if target_organism_id == organism_id else organisms[target_organism_id]
            )
            # By position, in the fields' order: keywords cost a stream more than the rest of building a record.
            yield InteractionRecord(
                pk,
                tf_accession,
                tf_name,
                tf_gene_ids,
                target_accession,
                target_name,
                target_gene_ids,
                organism,
                taxon,
                sources.get(pk, ()),  # source_databases
                methods.get(pk, ()),  # detection_methods
                pmids.get(pk, ()),
                small_scale,
                status,
                target_organism,
                target_taxon,
                updated_at[0] if updated_at else None,
                mode,
                mode_decision,
                confidence,
            )
        if len(rows) < chunk_size:
            return  # a short chunk is the last: no query for an empty one
        last = rows[-1][1:3] if by_tf else (rows[-1][0],)


def interaction_records_grouped(
    queryset: QuerySet, group_of: Callable[[str, str], str], *, chunk_size: int = 5000
) -> Iterator[InteractionRecord]:
    """``InteractionRecord``s of ``queryset`` with the records of the TFs of one group together,
    groups in sorted order: the stream of a writer that merges TFs by a name they may share
    (``proteins.networks.decoupler_network``).  ``group_of(gene name, accession)`` is a TF's group.

    One query counts each TF's rows and one names the TFs (memory: a few values per TF).  Whole
    groups are then read in batches of at most ``chunk_size`` rows (a larger group is a batch of
    its own, read a chunk at a time), each with ``interaction_records``' few queries per chunk
    and the caches they share; a batch of several groups is put in group order in memory, so
    memory stays that of a chunk.  Within a group, records come by TF, then target.
    """
    counts = dict(queryset.order_by().values("tf_id").annotate(rows=Count("pk")).values_list("tf_id", "rows"))
    accessions, groups = {}, {}
    tf_ids = sorted(counts)
    for start in range(0, len(tf_ids), chunk_size):  # within the databases' limits on parameters
        for tf, accession, name in select_in(
            Protein, ["id", "accession", "gene_name"], tf_ids[start : start + chunk_size]
        ):
            accessions[tf] = accession
            groups.setdefault(group_of(name, accession), []).append(tf)
    caches = StreamCaches()
    for batch in group_batches([groups[group] for group in sorted(groups)], counts, chunk_size):
        tfs = [tf for group in batch for tf in group]
        records = interaction_records(queryset.filter(tf_id__in=tfs), by_tf=True, chunk_size=chunk_size, caches=caches)
        if len(batch) == 1:
            yield from records
        else:
            rank = {accessions[tf]: number for number, group in enumerate(batch) for tf in group}
            yield from sorted(records, key=lambda record: rank[record.tf_accession])  # stable: by TF, target


MAX_BATCH_TFS = 1000  # TF ids in one query's IN list


def group_batches(groups: list[list[int]], counts: dict[int, int], size: int) -> Iterator[list[list[int]]]:
    """``groups`` (lists of TF ids) cut into consecutive batches of at most ``size`` rows (``counts``)
    and ``MAX_BATCH_TFS`` TFs; a group larger than that is a batch of its own."""
    batch, rows, tfs = [], 0, 0
    for group in groups:
        group_rows = sum(counts[tf] for tf in group)
        if batch and (rows + group_rows > size or tfs + len(group) > MAX_BATCH_TFS):
            yield batch
            batch, rows, tfs = [], 0, 0
        batch.append(group)
        rows, tfs = rows + group_rows, tfs + len(group)
    if batch:
        yield batch


class Organisms(dict):
    """``{organism id: (scientific name, NCBI taxon id)}``, read whole when an id is missing (a handful)."""

    def __missing__(self, pk):
        self.update((organism.pk, (organism.name, organism.taxon_id)) for organism in Organism.objects.all())
        if pk not in self:
            raise KeyError(pk)
        return self.get(pk)


def after_key(ordering, last):
    if len(ordering) == 1:
        return Q(pk__gt=last[0])
    (first, second), (first_value, second_value) = ordering, last
    return Q(**{f"{first}__gt": first_value}) | Q(**{first: first_value, f"{second}__gt": second_value})


class ProteinCache(dict):
    """``{protein id: (accession, gene name, organism id, NCBI Gene ids)}`` for a stream's chunks.

    A protein recurs in many chunks (a target of many TFs): each is read once, while the cache
    holds at most ``MAX_PROTEINS`` (then it starts again, so memory stays bounded).
    """

    MAX_PROTEINS = 50_000

    def read(self, protein_ids):
        """Make sure the cache holds ``protein_ids`` (those that still exist)."""
        missing = [pk for pk in protein_ids if pk not in self]
        if len(self) + len(missing) > self.MAX_PROTEINS:
            self.clear()
            missing = list(protein_ids)
        if missing:
            self.update(proteins_of(missing))


def proteins_of(protein_ids):
    """``{protein id: (accession, gene name, organism id, NCBI Gene ids ascending)}`` in two queries."""
    gene_ids = gene_ids_of(protein_ids)
    return {
        pk: (accession, name, organism, gene_ids.get(pk, ()))
        for pk, accession, name, organism in select_in(
            Protein, ["id", "accession", "gene_name", "organism"], protein_ids
        )
    }


def gene_ids_of(protein_ids):
    """``{protein id: its NCBI Gene ids, ascending}`` in one query."""
    found = {}
    for protein, gene_id in select_in(GeneId, ["protein", "gene_id"], protein_ids):
        found.setdefault(protein, []).append(gene_id)
    return {protein: tuple(sorted(values)) for protein, values in found.items()}


EVIDENCE = (
    # link table, its column naming the evidence, and the model whose name to show (None: the id is
    # the value, a PubMed id)
    (Interaction.source_databases.through, "sourcedatabase", SourceDatabase),
    (Interaction.detection_methods.through, "detectionmethod", DetectionMethod),
    (Interaction.publications.through, "publication", None),
)


def evidence_of(interaction_ids, names=None, links=EVIDENCE, owner="interaction"):
    """``(sources, methods, pmids)``: three ``{interaction id: tuple}`` of the interactions' source
    database and detection method names (sorted) and PubMed ids (ascending), in three queries.

    The database joins each interaction's linked ids into one string (no join of tables, no
    sort); ``names`` turns them into names, and is kept by a caller that reads many chunks.
    ``links`` and ``owner``: another owner's link tables and their column naming it (binding sites).
    """
    names = EvidenceNames() if names is None else names
    return tuple(
        names.sorted(model, joined_in(through, owner, column, interaction_ids)) for through, column, model in links
    )


class EvidenceNames:
    """Sorted tuples of evidence from the ids a link table joins into a string ("3,1").

    The source database and detection method names (few) are read once; each combination
    of ids (of names, or of PubMed ids) is named and sorted once, since many interactions share
    the same few combinations, and all of them share its one tuple.
    """

    MAX_COMBINATIONS = 10_000

    def __init__(self):
        self.names = {}
        self.combinations = {}

    def sorted(self, model, joined: dict[int, str]) -> dict[int, tuple]:
        """``{owner id: sorted tuple}`` of ``{owner id: its ids joined}`` (``sql.joined_in``) of ``model``'s
        evidence (None: PubMed ids, their own values)."""
        combinations = self.combinations.setdefault(model, {})
        new = set(joined.values()).difference(combinations)
        if len(combinations) + len(new) > self.MAX_COMBINATIONS:
            combinations.clear()
            new = set(joined.values())
        for ids in new:
            if model is None:
                combinations[ids] = tuple(sorted(map(int, ids.split(","))))
            else:
                combinations[ids] = tuple(sorted(self.name(model, int(pk)) for pk in ids.split(",")))
        return dict(zip(joined, map(combinations.__getitem__, joined.values()), strict=True))

    def name(self, model, pk):
        known = self.names.get(model)
        if known is None or pk not in known:  # first use, or added since
            known = self.names[model] = dict(model.objects.values_list("pk", "name"))
        return known[pk]


@dataclass
class StreamCaches:
    """What a stream reads once and keeps: evidence names, organisms, proteins (each bounded)."""

    names: EvidenceNames = field(default_factory=EvidenceNames)
    organisms: Organisms = field(default_factory=Organisms)
    proteins: ProteinCache = field(default_factory=ProteinCache)


# Binding sites.

SITE_EVIDENCE = (
    (BindingSite.source_databases.through, "sourcedatabase", SourceDatabase),
    (BindingSite.detection_methods.through, "detectionmethod", DetectionMethod),
    (BindingSite.publications.through, "publication", None),
)


def binding_site_records(queryset: QuerySet, chunk_size: int = 5000) -> Iterator[BindingSiteRecord]:
    """``BindingSiteRecord``s of ``queryset`` in id order (the order of the tables they came from),
    a chunk at a time (keyset pagination): a query for the chunk's sites, three for their evidence,
    and their TFs from a bounded cache."""
    columns = ("pk", "tflink_id", "tf_id", "assembly", "chromosome", "start", "end", "strand", "small_scale")
    names, organisms, proteins = EvidenceNames(), Organisms(), ProteinCache()
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list(*columns)[:chunk_size])
        if not rows:
            return
        proteins.read({row[2] for row in rows})
        sources, methods, pmids = evidence_of([row[0] for row in rows], names, SITE_EVIDENCE, "bindingsite")
        for pk, tflink_id, tf, assembly, chromosome, start, end, strand, small_scale in rows:
            if tf not in proteins:
                continue  # deleted since the chunk was read (its sites with it)
            tf_accession, tf_name, organism_id, _gene_ids = proteins[tf]
            yield BindingSiteRecord(
                tflink_id=tflink_id,
                tf_accession=tf_accession,
                tf_name=tf_name,
                organism=organisms[organism_id][0],
                assembly=assembly,
                chromosome=chromosome,
                start=start,
                end=end,
                strand=strand,
                source_databases=sources.get(pk, ()),
                detection_methods=methods.get(pk, ()),
                pmids=pmids.get(pk, ()),
                small_scale=small_scale,
            )
        if len(rows) < chunk_size:
            return
        last = rows[-1][0]
