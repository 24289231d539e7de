"""How the portal grades an interaction: its mode of regulation and its confidence level.

Both are stored on the interaction and follow from its evidence and its curation by the rules
below, each in one place:

* ``decide_mode``: the mode (activation, repression, dual, unknown) and how it was decided;
* ``CONFIDENCE_LEVELS`` / ``confidence_level``: the level, A (most trusted) to E, and the
  weight each level gives an interaction in the decoupler network (``CONFIDENCE_WEIGHTS``).

``regrade(ids)`` applies both to interactions whose evidence, statements or status changed,
with a fixed number of queries per few thousand interactions.  Every writer calls it: the
import of pages (which grades new interactions itself, with ``confidence_level``), the
curation workflow, the spreadsheet import, the mode tables (TRRUST) and the curators'
entries from papers.  The FAQ page shows the rules from ``MODE_RULES`` and
``CONFIDENCE_LEVELS``, so the explanation is the rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from proteins.importing.sql import update_rows
from proteins.models import Interaction, Mode, ModeDecision, SourceDatabase, Statement

CHUNK = 4000  # interactions graded per round of queries, within SQLite's parameter limit


# Mode of regulation.

MODE_RULES = [
    (ModeDecision.REVIEWER, "A reviewer set the mode: it stays until a reviewer changes it."),
    (
        ModeDecision.PUBLICATIONS,
        "Otherwise, the majority of the modes reported by the publications the portal's curators read: "
        "more activation than repression gives activation, more repression gives repression, as many "
        "of each gives dual; a publication reporting both counts for each.",
    ),
    (
        ModeDecision.SOURCE_TABLE,
        "Otherwise, the same majority over the publications of a curated source table (TRRUST).",
    ),
    (ModeDecision.UNKNOWN, "Otherwise, unknown (TFLink gives no mode)."),
]


def majority_mode(modes: Iterable[str]) -> str:
    """The mode most of ``modes`` report (publications' modes): dual for a tie, unknown if none has one."""
    votes = Counter()
    for mode in modes:
        if mode in (Mode.ACTIVATION, Mode.DUAL):
            votes[Mode.ACTIVATION] += 1
        if mode in (Mode.REPRESSION, Mode.DUAL):
            votes[Mode.REPRESSION] += 1
    activation, repression = votes[Mode.ACTIVATION], votes[Mode.REPRESSION]
    if activation == repression:
        return Mode.DUAL if activation else Mode.UNKNOWN
    return Mode.ACTIVATION if activation > repression else Mode.REPRESSION


def decide_mode(reviewer_mode: str | None, curated: Iterable[str], from_tables: Iterable[str]) -> tuple[str, str]:
    """``(mode, how it was decided)`` by ``MODE_RULES``.

    ``reviewer_mode``: the mode a reviewer set, or None; ``curated``: the modes reported by the
    publications the portal's curators read; ``from_tables``: those of source tables.
    """
    if reviewer_mode is not None:
        return reviewer_mode, ModeDecision.REVIEWER
    for modes, decision in ((curated, ModeDecision.PUBLICATIONS), (from_tables, ModeDecision.SOURCE_TABLE)):
        mode = majority_mode(modes)
        if mode != Mode.UNKNOWN:
            return mode, decision
    return Mode.UNKNOWN, ModeDecision.UNKNOWN


# Confidence.


@dataclass(frozen=True)
class Facts:
    """What the confidence of an interaction is judged on."""

    approved: bool  # a reviewer approved it
    small_scale: bool  # small-scale experiments support it
    sources: int  # independent source databases
    methods: int  # detection methods
    curated_publications: int  # publications read by the portal's curators or a curated source table


@dataclass(frozen=True)
class Level:
    level: str
    meaning: str
    weight: float  # an interaction's weight in the decoupler network, before its mode's sign
    holds: Callable[[Facts], bool]


# The first level whose condition holds is the interaction's.  Weights: 1 / the level's rank (A 1,
# B 1/2, ... to 4 decimals), the weights decoupler's own DoRothEA loader gives levels A-D.
CONFIDENCE_LEVELS = [
    Level(
        "A",
        "approved by a reviewer, and supported by small-scale experiments or a curated publication",
        1.0,
        lambda f: f.approved and (f.small_scale or f.curated_publications > 0),
    ),
    Level(
        "B",
        "approved by a reviewer; or small-scale experiments reported by at least two source databases",
        0.5,
        lambda f: f.approved or (f.small_scale and f.sources >= 2),
    ),
    Level(
        "C",
        "small-scale experiments, or a curated publication, or at least three source databases",
        0.3333,
        lambda f: f.small_scale or f.curated_publications > 0 or f.sources >= 3,
    ),
    Level(
        "D",
        "two source databases, or two detection methods",
        0.25,
        lambda f: f.sources >= 2 or f.methods >= 2,
    ),
    Level(
        "E",
        "one source database and one high-throughput method (e.g. a single ChIP-seq study)",
        0.2,
        lambda f: True,
    ),
]
# The weights alone, for the decoupler network's writer (``proteins.networks``, which reads no Django).
CONFIDENCE_WEIGHTS = {level.level: level.weight for level in CONFIDENCE_LEVELS}


def confidence_level(facts: Facts) -> str:
    """The confidence level of an interaction with these ``facts`` (``CONFIDENCE_LEVELS``)."""
    return next(level.level for level in CONFIDENCE_LEVELS if level.holds(facts))


# Grading stored interactions.


def regrade(interaction_ids: Iterable[int]) -> int:
    """Decide again the mode and confidence of ``interaction_ids``; store what changed; return how many changed.

    Call it in the writer's transaction after the evidence, statements or status changed.
    """
    ids = sorted(set(interaction_ids))
    portal = portal_source_id()
    changed = 0
    for start in range(0, len(ids), CHUNK):
        rows = _grades(ids[start : start + CHUNK], portal)
        update_rows(Interaction, ["mode", "mode_decision", "confidence"], rows)
        changed += len(rows)
    return changed


def portal_source_id() -> int | None:
    """The id of the portal's own source database, if any statement or evidence made it exist."""
    found = SourceDatabase.objects.for_names([settings.PORTAL_NAME], create=False)
    return found[settings.PORTAL_NAME].pk if found else None


def _grades(ids: list[int], portal: int | None) -> list[tuple]:
    """``(pk, mode, decision, confidence)`` of those of ``ids`` whose grades change."""
    current = Interaction.objects.filter(pk__in=ids).values_list(
        "pk", "status", "small_scale", "mode", "mode_decision", "confidence"
    )
    sources = _link_counts(Interaction.source_databases.through, ids)
    methods = _link_counts(Interaction.detection_methods.through, ids)
    curated, from_tables = defaultdict(dict), defaultdict(dict)
    for interaction, pmid, source, mode in Statement.objects.filter(interaction_id__in=ids).values_list(
        "interaction_id", "publication_id", "source_id", "mode"
    ):
        by_publication = curated if source == portal else from_tables
        by_publication[interaction][pmid, source] = mode
    changed = []
    for pk, status, small_scale, mode, decision, confidence in current:
        reviewer_mode = mode if decision == ModeDecision.REVIEWER else None
        new_mode, new_decision = decide_mode(reviewer_mode, curated[pk].values(), from_tables[pk].values())
        publications = {pmid for pmid, _source in (*curated[pk], *from_tables[pk])}
        facts = Facts(
            approved=status == Interaction.Status.APPROVED,
            small_scale=small_scale,
            sources=sources.get(pk, 0),
            methods=methods.get(pk, 0),
            curated_publications=len(publications),
        )
        grade = (new_mode, new_decision, confidence_level(facts))
        if grade != (mode, decision, confidence):
            changed.append((pk, *grade))
    return changed


def _link_counts(through, ids: list[int]) -> dict[int, int]:
    rows = through.objects.filter(interaction_id__in=ids).values("interaction_id").annotate(n=Count("pk"))
    return {row["interaction_id"]: row["n"] for row in rows.order_by()}
