"""The public pages' reads: a protein's partner tables, its network, the tables' filters, what a user may read."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import QueryDict
from django.urls import reverse

from curation import grading
from portal.query_strings import several

from .. import networks
from ..exports import PARTNER_SIDES
from ..models import (
    DetectionMethod,
    GeneId,
    Interaction,
    Mode,
    ModeDecision,
    Protein,
    Publication,
    SourceDatabase,
    Statement,
)
from ..querysets import linked_to

PARTNER_SORTS = {
    "name": ("{partner}__gene_name", "{partner}__accession"),
    "-name": ("-{partner}__gene_name", "-{partner}__accession"),
    "accession": ("{partner}__accession",),
    "-accession": ("-{partner}__accession",),
    "small_scale": ("-small_scale", "{partner}__gene_name", "{partner}__accession"),
    "status": ("status", "{partner}__gene_name", "{partner}__accession"),
    "confidence": ("confidence", "{partner}__gene_name", "{partner}__accession"),
}
SORT_LABELS = [
    ("name", "name, A to Z"),
    ("-name", "name, Z to A"),
    ("accession", "UniProt accession"),
    ("small_scale", "small-scale evidence first"),
    ("status", "curation status"),
    ("confidence", "confidence, A (most trusted) first"),
]
PER_PAGE = 50
# What the grades mean, for the titles of the cells that show them (the rules: ``curation.grading``).
DECISION_LABELS = dict(ModeDecision.choices)
CONFIDENCE_MEANINGS = {level.level: level.meaning for level in grading.CONFIDENCE_LEVELS}


def text_param(params: Mapping[str, str], key: str) -> str:
    """A query-string value as search text: trimmed, without NUL characters (databases refuse them)."""
    return params.get(key, "").replace("\x00", "").strip()


def choice_params(params: QueryDict, key: str, choices) -> list[str]:
    """The values of ``choices`` a query string gives for ``key``: repeated (key=A&key=B) or
    comma-separated (key=A,B), in the choices' order; other values are left out."""
    wanted = set(several(params.getlist(key)))
    return [value for value, _label in choices if value in wanted]


def grading_rules() -> dict[str, list[tuple[str, ...]]]:
    """The rules that grade interactions as the FAQ shows them, from the rules themselves:
    ``(mode decision, its rule)`` in the order they apply, ``(confidence level, its meaning, its
    weight in the decoupler network)``."""
    weights = dict(network_weights())
    return {
        "mode_rules": [(ModeDecision(decision).label, rule) for decision, rule in grading.MODE_RULES],
        "confidence_levels": [(level, meaning, weights[level]) for level, meaning in CONFIDENCE_MEANINGS.items()],
    }


def network_weights() -> list[tuple[str, str]]:
    """``(confidence level, its weight)`` as the decoupler network writes it for an activation."""
    return [
        (level, networks.weight_text(Mode.ACTIVATION, level, grading.CONFIDENCE_WEIGHTS))
        for level in grading.CONFIDENCE_WEIGHTS
    ]


def find_protein(accession: str) -> Protein | None:
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
    modes: list
    confidences: list

    sorts = SORT_LABELS
    mode_choices = Mode.choices
    confidence_choices = list(CONFIDENCE_MEANINGS.items())


def partner_table(protein: Protein, side: str, params: QueryDict) -> PartnerTable:
    """A filtered, sorted page of the protein's TFs or targets (``params``: the request's GET).

    The page's interaction ids are found first, sorted with only the partner joined; then the
    rows of those ids are read with their partners and evidence.  Sorting a hub's whole rows
    (three tables' columns) to cut out one page moves far more data than sorting ids, and spills
    to disk on PostgreSQL.
    """
    own, partner = PARTNER_SIDES[side]
    source = text_param(params, f"{side}-source")
    method = text_param(params, f"{side}-method")
    small_scale = params.get(f"{side}-small_scale") == "1"
    modes = choice_params(params, f"{side}-mode", Mode.choices)
    confidences = choice_params(params, f"{side}-confidence", Interaction.Confidence.choices)
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
    if modes:
        rows = rows.filter(mode__in=modes)
    if confidences:
        rows = rows.filter(confidence__in=confidences)
    ordering = [field.format(partner=partner) for field in PARTNER_SORTS[sort]]
    ids = rows.order_by(*ordering).values_list("pk", flat=True)
    filtered = bool(source or method or small_scale or modes or confidences)
    if filtered:
        # All the matching ids in one query (at most a hub's interactions): a separate COUNT would test
        # every row's evidence a second time.
        ids = list(ids)
    page = KnownCountPaginator(ids, PER_PAGE, None if filtered else total).get_page(params.get(f"{side}-page"))
    page.object_list = partner_rows(protein, side, list(page.object_list))
    name = protein.display_name
    title = f"Transcription factors of {name}" if side == "tfs" else f"Targets of {name}"
    # Every value of the other table's parameters: its filters can repeat a key (mode=a&mode=b).
    other_params = [
        (key, value) for key, values in params.lists() if not key.startswith(f"{side}-") for value in values
    ]
    return PartnerTable(side, title, page, source, method, small_scale, sort, total, other_params, modes, confidences)


@dataclass(slots=True)
class PartnerRow:
    """A row of a partner table as plain values: its page, the partner, the evidence (names and
    PubMed ids ascending), the small-scale flag, the curation status and the grades."""

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
    mode: str
    mode_decision: str
    confidence: str

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS[self.mode_decision]

    @property
    def confidence_meaning(self) -> str:
        return CONFIDENCE_MEANINGS[self.confidence]


def partner_rows(protein: Protein, side: str, interaction_ids: list[int]) -> list[PartnerRow]:
    """``PartnerRow``s of ``interaction_ids`` (a page of ``protein``'s rows on ``side``), in their order.

    Five queries of plain values, one for the rows with their partners, one for the partners'
    NCBI Gene ids and one per kind of evidence.  Model instances with prefetched relations cost
    far more Python than their queries, and their reference cycles (an instance and its prefetch
    querysets) filled the collector's oldest generation: a full collection every few requests.
    """
    own, partner = PARTNER_SIDES[side]
    rows = Interaction.objects.filter(pk__in=interaction_ids).values_list(
        "pk",
        f"{partner}_id",
        f"{partner}__accession",
        f"{partner}__gene_name",
        "small_scale",
        "status",
        "mode",
        "mode_decision",
        "confidence",
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
        _, partner_id, accession, gene_name, small_scale, status, mode, mode_decision, confidence = found[pk]
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
                mode=mode,
                mode_decision=mode_decision,
                confidence=confidence,
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
    """A condition on interactions linked to the evidence called ``name`` (a source or a method),
    looked up first (``querysets.linked_to``: a rare value is read from its links)."""
    evidence = model.objects.filter(name__iexact=name).values_list("pk", flat=True).first()  # one row in any case
    if evidence is None:
        return Q(pk__in=[])
    return linked_to(relation.field, evidence)


def evidence_choices() -> dict[str, list[str]]:
    """Every source database and detection method, for the tables' filters.

    Both lists are short; narrowing them to one protein's interactions would cost a
    DISTINCT over all the evidence of a hub's interactions.
    """
    return {
        "sources": list(SourceDatabase.objects.values_list("name", flat=True)),
        "methods": list(DetectionMethod.objects.values_list("name", flat=True)),
    }


def network(protein: Protein, limit: int) -> dict:
    """Nodes and edges around ``protein``: its TFs and targets, at most ``limit`` partners.

    Nodes are keyed by accession (names are not unique); small-scale edges come first so a
    capped picture keeps the best-supported interactions.  Each edge carries its mode of
    regulation, which the page draws (arrow, bar, both, or plain).
    """
    interactions = Interaction.objects.public().filter(Q(tf=protein) | Q(target=protein))
    total = interactions.count()  # without the joins to name the proteins: read from the indexes alone
    rows = interactions.order_by("-small_scale", "pk").values_list(
        "tf__accession", "tf__gene_name", "target__accession", "target__gene_name", "small_scale", "status", "mode"
    )
    nodes = {protein.accession: {"id": protein.accession, "label": protein.display_name, "center": True}}
    edges = []
    for tf, tf_name, target, target_name, small_scale, status, mode in rows[:limit]:
        for accession, name in ((tf, tf_name), (target, target_name)):
            nodes.setdefault(accession, {"id": accession, "label": name or accession, "center": False})
        edges.append({"source": tf, "target": target, "small_scale": small_scale, "status": status, "mode": mode})
    return {"nodes": list(nodes.values()), "edges": edges, "total": total, "shown": len(edges)}


@dataclass
class PublicationStatements:
    """A publication of an interaction with what its readers (the portal's curators, source tables) state."""

    publication: Publication
    statements: list


def interaction_page(tf: str, target: str) -> Interaction:
    """The public interaction of the ``tf`` and ``target`` accessions (any case), with its evidence and
    statements; ``Interaction.DoesNotExist`` if there is none."""
    statements = Prefetch("statements", queryset=Statement.objects.select_related("source", "publication"))
    return (
        Interaction.objects.public()
        .with_evidence()
        .prefetch_related(statements)
        .get(tf__accession=tf.upper(), target__accession=target.upper())
    )


def publication_statements(interaction: Interaction) -> list[PublicationStatements]:
    """Each publication of ``interaction`` (evidence or statement), by PubMed id, with its statements;
    reads only what ``interaction_page`` prefetched."""
    found = {publication.pmid: PublicationStatements(publication, []) for publication in interaction.publications.all()}
    for statement in interaction.statements.all():
        found.setdefault(statement.publication_id, PublicationStatements(statement.publication, []))
        found[statement.publication_id].statements.append(statement)
    return [found[pmid] for pmid in sorted(found)]


def interaction_page_context(interaction: Interaction) -> dict:
    """What the interaction page shows of ``interaction`` (read with ``interaction_page``)."""
    return {
        "interaction": interaction,
        "publications": publication_statements(interaction),
        "confidence_meaning": CONFIDENCE_MEANINGS[interaction.confidence],
    }


def visible_interactions(user) -> QuerySet:
    """The interactions ``user`` may read: staff see every one, everyone else all but rejected ones."""
    if user.is_staff:
        return Interaction.objects.all()
    return Interaction.objects.public()
