"""Read-side queries of the public site and the API: what to show, built in one place."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse

from .models import BindingSite, DetectionMethod, GeneId, Interaction, Organism, Protein, SourceDatabase

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


class KnownCountPaginator(Paginator):
    """A paginator told its count when the caller already has it (no second COUNT query)."""

    def __init__(self, object_list, per_page, count=None):
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property


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
    """A filtered, sorted page of the protein's TFs or targets (``params``: the request's GET).

    The page's interaction ids are found first, sorted with only the partner joined; then the
    rows of those ids are read with their partners and evidence.  Sorting a hub's 20,000 whole
    rows (three tables' columns) to cut out 50 cost 30-90 ms, and spilled to disk on PostgreSQL.
    """
    own, partner = PARTNER_SIDES[side]
    source = text_param(params, f"{side}-source")
    method = text_param(params, f"{side}-method")
    small_scale = params.get(f"{side}-small_scale") == "1"
    sort = params.get(f"{side}-sort", "name")
    if sort not in PARTNER_SORTS:
        sort = "name"
    rows = Interaction.objects.public().filter(**{own: protein})
    total = protein.tf_count if side == "tfs" else protein.target_count  # stored: no count of a hub's rows
    if source:
        rows = rows.filter(has_evidence(Interaction.source_databases, SourceDatabase, source))
    if method:
        rows = rows.filter(has_evidence(Interaction.detection_methods, DetectionMethod, method))
    if small_scale:
        rows = rows.filter(small_scale=True)
    ordering = [field.format(partner=partner) for field in PARTNER_SORTS[sort]]
    ids = rows.order_by(*ordering).values_list("pk", flat=True)
    filtered = bool(source or method or small_scale)
    if filtered:
        # All the matching ids in one query (at most a hub's 20,000): a separate COUNT would test
        # every row's evidence a second time.
        ids = list(ids)
    page = KnownCountPaginator(ids, PER_PAGE, None if filtered else total).get_page(params.get(f"{side}-page"))
    page.object_list = partner_rows(protein, side, list(page.object_list))
    name = protein.display_name
    title = f"Transcription factors of {name}" if side == "tfs" else f"Targets of {name}"
    other_params = [(key, value) for key, value in params.items() if not key.startswith(f"{side}-")]
    return PartnerTable(side, title, page, source, method, small_scale, sort, total, other_params)


@dataclass(slots=True)
class PartnerRow:
    """A row of a partner table as plain values: its page, the partner, the evidence (names and
    PubMed ids ascending), the small-scale flag and the curation status."""

    url: str
    partner_name: str
    partner_accession: str
    partner_url: str
    gene_ids: tuple
    sources: tuple
    methods: tuple
    pmids: tuple
    small_scale: bool
    status: str


def partner_rows(protein, side, interaction_ids):
    """``PartnerRow``s of ``interaction_ids`` (a page of ``protein``'s rows on ``side``), in their order.

    Five queries of plain values, one for the rows with their partners, one for the partners'
    NCBI Gene ids and one per kind of evidence.  Model instances with prefetched relations cost
    far more Python than their queries, and their reference cycles (an instance and its prefetch
    querysets) filled the collector's oldest generation: a full collection every few requests.
    """
    own, partner = PARTNER_SIDES[side]
    rows = Interaction.objects.filter(pk__in=interaction_ids).values_list(
        "pk", f"{partner}_id", f"{partner}__accession", f"{partner}__gene_name", "small_scale", "status"
    )
    found = {row[0]: row for row in rows}
    gene_ids = grouped(GeneId.objects.filter(protein__in={row[1] for row in found.values()}), "protein", "gene_id")
    sources, methods, pmids = (
        grouped(through.objects.filter(interaction__in=interaction_ids), "interaction", value)
        for through, value in (
            (Interaction.source_databases.through, "sourcedatabase__name"),
            (Interaction.detection_methods.through, "detectionmethod__name"),
            (Interaction.publications.through, "publication"),
        )
    )
    result = []
    for pk in interaction_ids:
        if pk not in found:
            continue  # deleted since its id was read
        _, partner_id, accession, gene_name, small_scale, status = found[pk]
        tf, target = (protein.accession, accession) if own == "tf" else (accession, protein.accession)
        result.append(
            PartnerRow(
                url=reverse("proteins:interaction", args=[tf, target]),
                partner_name=gene_name,
                partner_accession=accession,
                partner_url=reverse("proteins:protein", args=[accession]),
                gene_ids=gene_ids.get(partner_id, ()),
                sources=sources.get(pk, ()),
                methods=methods.get(pk, ()),
                pmids=pmids.get(pk, ()),
                small_scale=small_scale,
                status=status,
            )
        )
    return result


def grouped(queryset, key, value):
    """``{key: values of value, ascending}`` of ``queryset``'s rows, in one query of two columns."""
    found = {}
    for group, item in queryset.values_list(key, value):
        found.setdefault(group, []).append(item)
    return {group: tuple(sorted(items)) for group, items in found.items()}


def has_evidence(relation, model, name):
    """``Exists`` of a link from the interaction to the evidence called ``name`` (a source or a method).

    The name is looked up first, and "+ 0" keeps the subquery a probe of the link table's unique
    (interaction, evidence) index for each row: joined to the names, or as a plain semi-join,
    PostgreSQL hashed every link of that evidence in the database (650,000 for GTRD) to match a
    hub's 20,000 rows.
    """
    through = relation.through
    evidence = model.objects.filter(name__iexact=name).values_list("pk", flat=True).first()  # one row in any case
    if evidence is None:
        return Exists(through.objects.none())
    own, other = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()
    return Exists(through.objects.filter(**{own: OuterRef("pk") + 0, other: evidence}))


def evidence_choices():
    """Every source database and detection method, for the tables' filters.

    Both lists are short (tens of names); narrowing them to one protein's interactions
    cost a DISTINCT over all the evidence of a hub's 20,000 interactions.
    """
    return {
        "sources": list(SourceDatabase.objects.values_list("name", flat=True)),
        "methods": list(DetectionMethod.objects.values_list("name", flat=True)),
    }


def network(protein, limit):
    """Nodes and edges around ``protein``: its TFs and targets, at most ``limit`` partners.

    Nodes are keyed by accession (names are not unique); small-scale edges come first so a
    capped picture keeps the best-supported interactions.
    """
    interactions = Interaction.objects.public().filter(Q(tf=protein) | Q(target=protein))
    total = interactions.count()  # without the joins to name the proteins: read from the indexes alone
    rows = interactions.order_by("-small_scale", "pk").values_list(
        "tf__accession", "tf__gene_name", "target__accession", "target__gene_name", "small_scale", "status"
    )
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


def interaction_records(queryset, *, by_tf=False, evidence=True, dates=False, chunk_size=5000):
    """``InteractionRecord``s of ``queryset``, a chunk at a time: memory stays flat, a few queries per chunk.

    Rows come in id order, or ordered by TF then target with ``by_tf`` (for GMT). Keyset
    pagination (``WHERE key > last``) keeps every chunk an index range scan, never an OFFSET.
    A chunk costs a query for its interactions, without joins, and with ``evidence`` three for
    their evidence; proteins (accession, name, gene ids) come from a bounded cache that reads the
    ones a chunk is missing (two queries), and the few names of organisms, source databases and
    detection methods are read once.  ``dates`` fills ``updated_at`` (converting it costs time on
    every row).
    """
    from .exports import InteractionRecord

    ordering = ("tf_id", "target_id") if by_tf else ("pk",)
    columns = ("pk", "tf_id", "target_id", "organism_id", "small_scale", "status", *(("updated_at",) if dates else ()))
    names = EvidenceNames()
    organisms = Organisms()
    proteins = ProteinCache()
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
        for pk, tf, target, organism_id, small_scale, status, *updated_at in rows:
            if tf not in proteins or target not in proteins:
                continue  # deleted since the chunk was read (its interactions with it)
            tf_accession, tf_name, _, tf_gene_ids = proteins[tf]
            target_accession, target_name, target_organism_id, target_gene_ids = proteins[target]
            organism, taxon = organisms[organism_id]
            target_organism, target_taxon = (
                ("", None) if target_organism_id == organism_id else organisms[target_organism_id]
            )
            yield InteractionRecord(
                id=pk,
                tf_accession=tf_accession,
                tf_name=tf_name,
                tf_gene_ids=tf_gene_ids,
                target_accession=target_accession,
                target_name=target_name,
                target_gene_ids=target_gene_ids,
                organism=organism,
                taxon_id=taxon,
                source_databases=sources.get(pk, ()),
                detection_methods=methods.get(pk, ()),
                pmids=pmids.get(pk, ()),
                small_scale=small_scale,
                status=status,
                target_organism=target_organism,
                target_taxon_id=target_taxon,
                updated_at=updated_at[0] if updated_at else None,
            )
        if len(rows) < chunk_size:
            return  # a short chunk is the last: no query for an empty one
        last = rows[-1][1:3] if by_tf else (rows[-1][0],)


def gmt_lines(queryset, key: str, request) -> Iterator[str]:
    """GMT gene sets of ``queryset``'s interactions, a TF's targets by ``key`` (``exports.GMT_KEYS``).

    Each set's description is the address of its TF's entry page on the site ``request`` reached,
    the GSEA convention that makes it a link in GSEA's reports.
    """
    from .exports import gmt

    def entry_url(accession):
        return request.build_absolute_uri(reverse("proteins:protein", args=[accession]))

    return gmt(interaction_records(queryset, by_tf=True, evidence=False), key, entry_url=entry_url)


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
    sort); ``names`` turns it into names, and is kept by a caller that reads many chunks.
    ``links`` and ``owner``: another owner's link tables and their column naming it (binding sites).
    """
    names = EvidenceNames() if names is None else names
    return tuple(
        {
            interaction: names.sorted(model, joined)
            for interaction, joined in select_in(through, [owner, column], interaction_ids, joined=True)
        }
        for through, column, model in links
    )


class EvidenceNames:
    """Sorted tuples of evidence from the ids a link table joins into a string ("3,1").

    The few hundred source database and detection method names are read once; each combination
    of ids is named and sorted once, since many interactions share the same few combinations.
    """

    MAX_COMBINATIONS = 10_000

    def __init__(self):
        self.names = {}
        self.combinations = {}

    def sorted(self, model, joined):
        if model is None:  # PubMed ids are their own values
            return (int(joined),) if "," not in joined else tuple(sorted(map(int, joined.split(","))))
        combinations = self.combinations.setdefault(model, {})
        found = combinations.get(joined)
        if found is None:
            if len(combinations) >= self.MAX_COMBINATIONS:
                combinations.clear()
            found = combinations[joined] = tuple(sorted(self.name(model, int(pk)) for pk in joined.split(",")))
        return found

    def name(self, model, pk):
        known = self.names.get(model)
        if known is None or pk not in known:  # first use, or added since
            known = self.names[model] = dict(model.objects.values_list("pk", "name"))
        return known[pk]


def select_in(model, columns, ids, joined=False):
    """Rows of ``columns`` of ``model`` whose first column is one of ``ids`` (at most a few ten
    thousand), in plain SQL; with ``joined`` (two columns), one row per id, the second column's
    values joined by ",".

    Django's ``__in`` prepares every value in Python, which costs more than the query itself for
    the thousands of ids of a chunk; here they go to the driver as they are (on PostgreSQL as one
    array).  Ids close together, as in a chunk of an unfiltered or an organism's stream, are read
    as one index range and the rows of the ids in between dropped.
    """
    ids = list(ids)
    if not ids:
        return []
    quote = connection.ops.quote_name
    key, *others = (quote(model._meta.get_field(name).column) for name in columns)
    if joined:
        aggregate = "STRING_AGG({}::text, ',')" if connection.vendor == "postgresql" else "GROUP_CONCAT({})"
        select, grouping = f"{key}, {aggregate.format(others[0])}", f" GROUP BY {key}"
    else:
        select, grouping = ", ".join([key, *others]), ""
    low, high = min(ids), max(ids)
    dense = high - low < 2 * len(ids)
    if dense:
        where, parameters = f"{key} BETWEEN %s AND %s", [low, high]
    elif connection.vendor == "postgresql":
        where, parameters = f"{key} = ANY(%s)", [ids]
    else:
        where, parameters = f"{key} IN ({', '.join(['%s'] * len(ids))})", ids
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {quote(model._meta.db_table)} WHERE {where}{grouping}", parameters)
        rows = cursor.fetchall()
    if dense and high - low + 1 > len(ids):
        wanted = set(ids)
        rows = [row for row in rows if row[0] in wanted]
    return rows


def visible_interactions(user):
    """The interactions ``user`` may read: staff see every one, everyone else all but rejected ones."""
    if user.is_staff:
        return Interaction.objects.all()
    return Interaction.objects.public()


# Binding sites.

SITE_EVIDENCE = (
    (BindingSite.source_databases.through, "sourcedatabase", SourceDatabase),
    (BindingSite.detection_methods.through, "detectionmethod", DetectionMethod),
    (BindingSite.publications.through, "publication", None),
)


def binding_site_records(queryset, chunk_size=5000):
    """``BindingSiteRecord``s of ``queryset`` in id order (the order of the tables they came from),
    a chunk at a time (keyset pagination): a query for the chunk's sites, three for their evidence,
    and their TFs from a bounded cache."""
    from .exports import BindingSiteRecord

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
