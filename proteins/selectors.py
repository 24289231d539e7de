"""Read-side queries of the public site and the API: what to show, built in one place."""

from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q

from .models import DetectionMethod, Interaction, Organism, Protein, SourceDatabase

PARTNER_SIDES = {
    # side of the table -> (the protein's role in its rows, the partner's role)
    "tfs": ("target", "tf"),
    "targets": ("tf", "target"),
}
PARTNER_SORTS = {
    "name": ("{partner}__gene_name", "{partner}__accession"),
    "-name": ("-{partner}__gene_name", "-{partner}__accession"),
    "accession": ("{partner}__accession",),
    "-accession": ("-{partner}__accession",),
    "small_scale": ("-small_scale", "{partner}__gene_name", "{partner}__accession"),
    "status": ("status", "{partner}__gene_name", "{partner}__accession"),
}
SORT_LABELS = [
    ("name", "name, A to Z"),
    ("-name", "name, Z to A"),
    ("accession", "UniProt accession"),
    ("small_scale", "small-scale evidence first"),
    ("status", "curation status"),
]
PER_PAGE = 50


def text_param(params, key):
    """A query-string value as search text: trimmed, without NUL characters (databases refuse them)."""
    return params.get(key, "").replace("\x00", "").strip()


def find_protein(accession):
    """The protein with this accession, whatever its case, or None."""
    return Protein.objects.select_related("organism").filter(accession=accession.upper()).first()


@dataclass
class PartnerTable:
    """One of the entry page's tables: the TFs of a protein, or its targets."""

    side: str
    title: str
    page: object
    source: str
    method: str
    small_scale: bool
    sort: str
    total: int
    other_params: list

    sorts = SORT_LABELS


def partner_table(protein, side, params):
    """A filtered, sorted page of the protein's TFs or targets (``params``: the request's GET)."""
    own, partner = PARTNER_SIDES[side]
    source = text_param(params, f"{side}-source")
    method = text_param(params, f"{side}-method")
    small_scale = params.get(f"{side}-small_scale") == "1"
    sort = params.get(f"{side}-sort", "name")
    if sort not in PARTNER_SORTS:
        sort = "name"
    rows = Interaction.objects.public().filter(**{own: protein})
    total = rows.count()
    if source:
        rows = rows.filter(
            Exists(
                Interaction.source_databases.through.objects.filter(
                    interaction=OuterRef("pk"), sourcedatabase__name=source
                )
            )
        )
    if method:
        rows = rows.filter(
            Exists(
                Interaction.detection_methods.through.objects.filter(
                    interaction=OuterRef("pk"), detectionmethod__name=method
                )
            )
        )
    if small_scale:
        rows = rows.filter(small_scale=True)
    ordering = [field.format(partner=partner) for field in PARTNER_SORTS[sort]]
    rows = (
        rows.order_by(*ordering)
        .select_related("tf", "target")
        .prefetch_related(f"{partner}__gene_ids", "source_databases", "detection_methods", "publications")
    )
    page = Paginator(rows, PER_PAGE).get_page(params.get(f"{side}-page"))
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.partner = getattr(row, partner)
    name = protein.display_name
    title = f"Transcription factors of {name}" if side == "tfs" else f"Targets of {name}"
    other_params = [(key, value) for key, value in params.items() if not key.startswith(f"{side}-")]
    return PartnerTable(side, title, page, source, method, small_scale, sort, total, other_params)


def evidence_choices(protein):
    """Source databases and detection methods that occur among the protein's interactions."""
    mine = Q(interactions__tf=protein) | Q(interactions__target=protein)
    return {
        "sources": list(SourceDatabase.objects.filter(mine).distinct().values_list("name", flat=True)),
        "methods": list(DetectionMethod.objects.filter(mine).distinct().values_list("name", flat=True)),
    }


def network(protein, limit):
    """Nodes and edges around ``protein``: its TFs and targets, at most ``limit`` partners.

    Nodes are keyed by accession (names are not unique); small-scale edges come first so a
    capped picture keeps the best-supported interactions.
    """
    rows = (
        Interaction.objects.public()
        .filter(Q(tf=protein) | Q(target=protein))
        .order_by("-small_scale", "pk")
        .values_list(
            "tf__accession", "tf__gene_name", "target__accession", "target__gene_name", "small_scale", "status"
        )
    )
    total = rows.count()
    nodes = {protein.accession: {"id": protein.accession, "label": protein.display_name, "center": True}}
    edges = []
    for tf, tf_name, target, target_name, small_scale, status in rows[:limit]:
        for accession, name in ((tf, tf_name), (target, target_name)):
            nodes.setdefault(accession, {"id": accession, "label": name or accession, "center": False})
        edges.append({"source": tf, "target": target, "small_scale": small_scale, "status": status})
    return {"nodes": list(nodes.values()), "edges": edges, "total": total, "shown": len(edges)}


def organism_summaries():
    """Each organism with its numbers of proteins and public interactions (cached: a full count)."""

    def compute():
        proteins = dict(Protein.objects.values("organism").annotate(n=Count("pk")).values_list("organism", "n"))
        interactions = dict(
            Interaction.objects.public().values("organism").annotate(n=Count("pk")).values_list("organism", "n")
        )
        return [
            {
                "organism": organism,
                "proteins": proteins.get(organism.pk, 0),
                "interactions": interactions.get(organism.pk, 0),
            }
            for organism in Organism.objects.all()
        ]

    return cache.get_or_set("organism-summaries", compute, timeout=300)


def forget_summaries():
    """Drop cached counts after data changed (an import, a curation decision)."""
    cache.delete("organism-summaries")


def interaction_records(queryset, *, by_tf=False, evidence=True, chunk_size=5000):
    """``InteractionRecord``s of ``queryset``, a chunk at a time: memory stays flat, a few queries per chunk.

    Rows come in id order, or ordered by TF then target with ``by_tf`` (for GMT). Keyset
    pagination (``WHERE key > last``) keeps every chunk an index range scan, never an OFFSET.
    """
    from .exports import InteractionRecord

    ordering = ("tf_id", "target_id") if by_tf else ("pk",)
    columns = (
        "pk",
        "tf_id",
        "target_id",
        "tf__accession",
        "tf__gene_name",
        "target__accession",
        "target__gene_name",
        "organism__name",
        "organism__taxon_id",
        "target__organism__name",
        "target__organism__taxon_id",
        "small_scale",
        "status",
    )
    last = None
    while True:
        chunk_query = queryset.order_by(*ordering)
        if last is not None:
            chunk_query = chunk_query.filter(after_key(ordering, last))
        rows = list(chunk_query.values_list(*columns)[:chunk_size])
        if not rows:
            return
        ids = [row[0] for row in rows]
        gene_ids = gene_ids_of({row[1] for row in rows} | {row[2] for row in rows})
        links = evidence_of(ids) if evidence else {}
        empty = ((), (), ())
        for (
            pk,
            tf,
            target,
            tf_acc,
            tf_name,
            target_acc,
            target_name,
            organism,
            taxon,
            t_organism,
            t_taxon,
            small,
            status,
        ) in rows:
            sources, methods, pmids = links.get(pk, empty)
            yield InteractionRecord(
                id=pk,
                tf_accession=tf_acc,
                tf_name=tf_name,
                tf_gene_ids=gene_ids.get(tf, ()),
                target_accession=target_acc,
                target_name=target_name,
                target_gene_ids=gene_ids.get(target, ()),
                organism=organism,
                taxon_id=taxon,
                source_databases=sources,
                detection_methods=methods,
                pmids=pmids,
                small_scale=small,
                status=status,
                target_organism=t_organism if t_organism != organism else "",
                target_taxon_id=t_taxon if t_taxon != taxon else None,
            )
        last = rows[-1][1:3] if by_tf else (rows[-1][0],)


def after_key(ordering, last):
    if len(ordering) == 1:
        return Q(pk__gt=last[0])
    (first, second), (first_value, second_value) = ordering, last
    return Q(**{f"{first}__gt": first_value}) | Q(**{first: first_value, f"{second}__gt": second_value})


def gene_ids_of(protein_ids):
    from .models import GeneId

    found = {}
    for protein, gene_id in (
        GeneId.objects.filter(protein_id__in=protein_ids).order_by("gene_id").values_list("protein_id", "gene_id")
    ):
        found.setdefault(protein, []).append(gene_id)
    return {protein: tuple(values) for protein, values in found.items()}


def evidence_of(interaction_ids):
    """``{interaction id: (sources, methods, pmids)}`` in three queries."""
    kinds = (
        (Interaction.source_databases.through, "sourcedatabase__name"),
        (Interaction.detection_methods.through, "detectionmethod__name"),
        (Interaction.publications.through, "publication_id"),
    )
    found = {}
    for position, (through, value) in enumerate(kinds):
        rows = through.objects.filter(interaction_id__in=interaction_ids).order_by(value)
        for interaction, item in rows.values_list("interaction_id", value):
            found.setdefault(interaction, ([], [], []))[position].append(item)
    return {pk: tuple(tuple(values) for values in lists) for pk, lists in found.items()}
