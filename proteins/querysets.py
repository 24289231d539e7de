"""Read-side query building of the portal's models: ``Protein.objects``, ``Interaction.objects``, ...

``ProteinQuerySet.identified_by`` is the one rule for finding a protein by an identifier;
the public search, the admin, the API filters and the curation queue all call it.
"""

import time

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Exists, Func, OuterRef, Q
from django.db.models.functions import Upper

from .parser import MAX_INTEGER

SYMBOL_SEPARATOR = ";"
SYMBOL_CHUNK = 900  # symbols in one lookup: within every engine's limit on parameters


class JoinsSymbols(Func):
    """Whether a gene name joins several symbols (holds the separator).

    The separator is written into the SQL, not sent as a parameter: only then do the
    databases see that a query holding this condition may read the partial index of the
    joined names (``Protein.Meta.indexes``) instead of every protein.
    """

    function = "INSTR"
    template = f"%(function)s(%(expressions)s, '{SYMBOL_SEPARATOR}') > 0"
    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRPOS", **extra_context)


HAS_JOINED_SYMBOLS = Q(JoinsSymbols("gene_name"))


def is_gene_id(term: str) -> bool:
    """Whether ``term`` can be an NCBI Gene id (digits within the integer columns' range)."""
    return term.isascii() and term.isdecimal() and int(term) <= MAX_INTEGER


class ProteinQuerySet(models.QuerySet):
    def tfs(self):
        """Proteins that regulate at least one target in the public interactions."""
        return self.filter(target_count__gt=0)

    def targets(self):
        """Proteins regulated by at least one TF in the public interactions."""
        return self.filter(tf_count__gt=0)

    def with_small_scale(self, held=True):
        """Proteins with (``held``) or without small-scale evidence in their public interactions."""
        return self.filter(small_scale_count__gt=0) if held else self.filter(small_scale_count=0)

    def identified_by(self, *terms: str) -> "ProteinQuerySet":
        """Proteins that one of ``terms`` identifies.

        A term identifies a protein by its UniProt accession (any case), its gene name or one
        of the ``;``-joined symbols of its gene name (any case, the whole symbol: ``P53``
        finds ``TP53;P53``, ``P5`` does not), or one of its NCBI Gene ids.
        """
        if not any(term.strip() for term in terms):
            return self.none()
        return self.filter(pk__in=self.identified_ids(terms))

    def search(self, text: str) -> "ProteinQuerySet":
        """Proteins that ``text`` identifies (``identified_by``) or whose gene name contains it."""
        text = text.strip()
        if not text:
            return self.none()
        # One more branch of identified_ids' UNION rather than an OR beside it: PostgreSQL reads
        # it from the gene names' trigram index, which an OR with a subquery would not let it.
        containing = self.model._default_manager.order_by().filter(gene_name__icontains=text)
        return self.filter(pk__in=self.identified_ids([text], also=[containing.values_list("pk", flat=True)]))

    def identified_ids(self, terms, also=()) -> models.QuerySet:
        """The ids of the proteins ``terms`` identify (``identified_by``): a subquery, or a list once read.

        ``also``: querysets of more ids (``values_list("pk", flat=True)``) to add to them.

        One lookup per kind of identifier, joined by UNION: each is read from its own index
        (accession, upper-case gene name, the joined names' partial index, NCBI Gene id),
        which one query with OR would not be.
        """
        terms = list(dict.fromkeys(term.strip() for term in terms if term.strip()))
        upper = [term.upper() for term in terms]
        proteins = self.model._default_manager.order_by()
        lookups = [
            proteins.filter(accession__in=upper),
            proteins.alias(upper_gene_name=Upper("gene_name")).filter(upper_gene_name__in=upper),
        ]
        symbols = [term for term in upper if SYMBOL_SEPARATOR not in term]
        if symbols:
            lookups.append(proteins.filter(HAS_JOINED_SYMBOLS, HoldsSymbol(symbols)))
        ids = [lookup.values_list("pk", flat=True) for lookup in lookups]
        gene_ids = [int(term) for term in terms if is_gene_id(term)]
        if gene_ids:
            gene_id_rows = self.model._meta.get_field("gene_ids").related_model.objects.order_by()
            ids.append(gene_id_rows.filter(gene_id__in=gene_ids).values_list("protein_id", flat=True))
        ids.extend(also)
        return ids[0].union(*ids[1:])

    def ids_by_symbol(self, symbols) -> dict[str, list[int]]:
        """``{SYMBOL: [protein ids]}``: the proteins among these that each of ``symbols`` names.

        The gene-name part of ``identified_by``'s rule, for many symbols at once (mode tables):
        a symbol names a protein whose gene name, or one of its ``;``-joined symbols, it is, in
        any case.  Symbols are keys in upper case; a symbol naming no protein is left out.  One
        query per ``SYMBOL_CHUNK`` symbols by the upper-case gene name index, and one reading
        the joined names (the partial index: a few per cent of the proteins).
        """
        wanted = {symbol.strip().upper() for symbol in symbols if symbol.strip()}
        wanted -= {symbol for symbol in wanted if SYMBOL_SEPARATOR in symbol}
        found = {}
        ordered = sorted(wanted)
        proteins = self.order_by().alias(upper_gene_name=Upper("gene_name"))
        names = []
        for start in range(0, len(ordered), SYMBOL_CHUNK):
            chunk = ordered[start : start + SYMBOL_CHUNK]
            names.extend(proteins.filter(upper_gene_name__in=chunk).values_list("pk", "gene_name"))
        if wanted:
            names.extend(self.order_by().filter(HAS_JOINED_SYMBOLS).values_list("pk", "gene_name"))
        for pk, gene_name in set(names):
            for symbol in {gene_name.upper(), *gene_name.upper().split(SYMBOL_SEPARATOR)}:
                if symbol in wanted:
                    found.setdefault(symbol, []).append(pk)
        return {symbol: sorted(ids) for symbol, ids in found.items()}


class HoldsSymbol(Func):
    """Whether one of ``symbols`` (upper case) is a whole symbol of a ``;``-joined gene name."""

    output_field = BooleanField()

    def __init__(self, symbols):
        self.symbols = list(symbols)
        super().__init__(Upper("gene_name"))

    def as_sql(self, compiler, connection, **extra_context):
        names, params = compiler.compile(self.source_expressions[0])
        joined = f"('{SYMBOL_SEPARATOR}' || {names} || '{SYMBOL_SEPARATOR}')"
        found = " OR ".join(f"INSTR({joined}, %s) > 0" for _ in self.symbols)
        wrapped = [f"{SYMBOL_SEPARATOR}{symbol}{SYMBOL_SEPARATOR}" for symbol in self.symbols]
        return f"({found})", [value for symbol in wrapped for value in (*params, symbol)]

    def as_postgresql(self, compiler, connection, **extra_context):
        # One comparison per row, however many symbols are asked for.
        names, params = compiler.compile(self.source_expressions[0])
        return f"string_to_array({names}, '{SYMBOL_SEPARATOR}') && %s::text[]", [*params, self.symbols]


class EvidenceNameQuerySet(models.QuerySet):
    """Source databases or detection methods, which are one row per name whatever its case."""

    def for_names(self, names, *, create=True) -> dict:
        """``{name: row}`` for each of ``names``, matched without regard to case (``jaspar`` is ``JASPAR``).

        The spelling stored first is the name's only spelling; a name no row has is created as it
        is first given (unless ``create`` is false: then it is left out).  Every path that turns
        names into rows uses this: the importer, curators' edits, spreadsheet imports.  Two
        queries at most: the tables hold a few hundred names, read whole.
        """
        names = list(dict.fromkeys(names))
        rows = self.by_lower_name()
        missing = {}
        for name in names:
            if name.lower() not in rows:
                missing.setdefault(name.lower(), name)
        if missing and create:
            # A writer adding the same name meanwhile makes these conflict with its row: that row is read.
            self.bulk_create([self.model(name=name) for name in missing.values()], ignore_conflicts=True)
            rows = self.by_lower_name()
        return {name: rows[name.lower()] for name in names if name.lower() in rows}

    def portal(self):
        """The source database of what the portal's own curators read in papers (``settings.PORTAL_NAME``)."""
        return self.for_names([settings.PORTAL_NAME])[settings.PORTAL_NAME]

    def by_lower_name(self):
        rows = {}
        for row in self.order_by("pk"):
            rows.setdefault(row.name.lower(), row)
        return rows


# A value of evidence linked to fewer than one in RARE_EVIDENCE_SHARE of its link table's rows is rare;
# counting a common value's links stops at RARE_EVIDENCE_COUNT_CAP (tens of ms through its index, once
# per process and RARITY_SECONDS).
RARE_EVIDENCE_SHARE = 50
RARE_EVIDENCE_COUNT_CAP = 250_000
RARITY_SECONDS = 600  # how long a process trusts what it counted: a value's share moves slowly
_rarity = {}  # {(link table, value pk): (rare, time.monotonic() when counted)}


def linked_to(relation: models.ManyToManyField, evidence: int, *, key_bound: tuple[str, int] | None = None) -> Q:
    """A condition (for ``filter``) on rows linked through ``relation`` (interactions' or binding
    sites' sources or methods) to the ``evidence`` of that pk: the one rule of the API's filters and
    the entry page's.

    A rare value drives the query from its links (the link table's (value, row) index): walking
    the rows and probing each for the value read 75,000 rows for one page of TRRUST's.  A common
    value keeps that probe ("+ 0": the index of (row, value) for each row): as a join or
    semi-join, PostgreSQL hashed every link of the value to match one protein's rows, or
    merge-joined from the link table's start for every cursor page.  Which is which needs the
    value's share, which the planner does not see through the condition (``is_rare``).

    ``key_bound`` (``("gt", 42)``: the position of a keyset page on the rows' pk) is read in the
    rare value's links too: the databases do not carry an inequality across a join, and without
    it each deep page read the value's links from the start.
    """
    through = relation.remote_field.through
    own, other = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    links = through.objects.filter(**{other: evidence})
    if is_rare(through, other, evidence):
        if key_bound is not None:
            lookup, position = key_bound
            links = links.filter(**{f"{own}__{lookup}": position})
        return Q(pk__in=links.values(own))
    return Q(Exists(links.filter(**{own: OuterRef("pk") + 0})))


def is_rare(through, column: str, evidence: int) -> bool:
    """Whether fewer than one in ``RARE_EVIDENCE_SHARE`` links of ``through`` name ``evidence``.

    Two queries: the links' last id (their count, give or take deletions) and a count of the
    value's links through its own index, bounded by that share and ``RARE_EVIDENCE_COUNT_CAP``.
    Each process remembers the answer for ``RARITY_SECONDS``: it only chooses the plan, never
    which rows match, so a stale answer costs time, not correctness.
    """
    key = (through._meta.db_table, evidence)
    now = time.monotonic()
    known = _rarity.get(key)
    if known is not None and now - known[1] < RARITY_SECONDS:
        return known[0]
    last_link = through.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    limit = min(max(last_link // RARE_EVIDENCE_SHARE, 1), RARE_EVIDENCE_COUNT_CAP)
    rare = through.objects.filter(**{column: evidence}).values(column)[:limit].count() < limit
    _rarity[key] = (rare, now)
    return rare


def forget_rarity() -> None:
    """Count again at the next filter (tests, whose data changes under one process)."""
    _rarity.clear()


class InteractionQuerySet(models.QuerySet):
    def public(self):
        """What visitors and the public API see (``Interaction.is_public_status``)."""
        return self.exclude(status__in=self.model.HIDDEN_STATUSES)

    def for_protein(self, protein, side):
        """Interactions where ``protein`` is the ``side`` ("tf" or "target")."""
        return self.filter(**{side: protein})

    def with_evidence(self):
        return self.select_related("tf", "target", "organism").prefetch_related(
            "source_databases",
            "detection_methods",
            "publications",
            "tf__gene_ids",
            "target__gene_ids",
        )
