"""Mode of regulation and confidence level: the rules (``curation.grading``) and their upkeep
by every writer (import, curation acts, evidence edits, the migration that grades old rows)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from curation import grading, workflow
from proteins.importing.run import import_pages
from proteins.models import Interaction, Mode, ModeDecision, Publication, SourceDatabase, Statement
from tests.accounts import staff

pytestmark = pytest.mark.django_db

A, R, D, U = Mode.ACTIVATION, Mode.REPRESSION, Mode.DUAL, Mode.UNKNOWN


@pytest.mark.parametrize(
    ("reviewer", "curated", "tables", "expected"),
    [
        (None, [], [], (U, ModeDecision.UNKNOWN)),
        (None, [U, U], [U], (U, ModeDecision.UNKNOWN)),
        (None, [], [A, A, R], (A, ModeDecision.SOURCE_TABLE)),
        # TRRUST's MYC -> CDKN1A: one paper says activation, five say repression.
        (None, [], [A, R, R, R, R, R], (R, ModeDecision.SOURCE_TABLE)),
        (None, [], [A, R], (D, ModeDecision.SOURCE_TABLE)),
        (None, [], [D], (D, ModeDecision.SOURCE_TABLE)),
        (None, [], [D, A], (A, ModeDecision.SOURCE_TABLE)),
        # What the portal's curators read comes before the source tables.
        (None, [R], [A, A, A], (R, ModeDecision.PUBLICATIONS)),
        (None, [U], [A], (A, ModeDecision.SOURCE_TABLE)),
        # A reviewer's mode stands whatever the publications say.
        (A, [R, R], [R], (A, ModeDecision.REVIEWER)),
        (U, [R], [], (U, ModeDecision.REVIEWER)),
    ],
)
def test_mode_is_decided_by_reviewer_then_curated_majority_then_source_tables(reviewer, curated, tables, expected):
    assert grading.decide_mode(reviewer, curated, tables) == expected


def facts(approved=False, small_scale=False, sources=1, methods=1, curated=0):
    return grading.Facts(approved, small_scale, sources, methods, curated)


@pytest.mark.parametrize(
    ("case", "level"),
    [
        (facts(approved=True, small_scale=True), "A"),
        (facts(approved=True, curated=1), "A"),
        (facts(approved=True), "B"),
        (facts(small_scale=True, sources=2), "B"),
        (facts(small_scale=True), "C"),
        (facts(curated=2), "C"),
        (facts(sources=3), "C"),
        (facts(sources=2), "D"),
        (facts(methods=2), "D"),
        (facts(), "E"),
        (facts(sources=0, methods=0), "E"),
    ],
)
def test_confidence_levels_follow_the_documented_table(case, level):
    assert grading.confidence_level(case) == level


def test_every_confidence_level_is_explained_and_reachable():
    assert [level.level for level in grading.CONFIDENCE_LEVELS] == list(Interaction.Confidence.values)
    assert all(level.meaning for level in grading.CONFIDENCE_LEVELS)
    assert [decision for decision, _text in grading.MODE_RULES] == list(ModeDecision.values)


def test_imported_interactions_are_graded_from_their_evidence(fixture_pages):
    import_pages([fixture_pages])

    graded = list(Interaction.objects.values_list("pk", "mode", "mode_decision", "confidence"))
    assert {mode for _pk, mode, _decision, _level in graded} == {Mode.UNKNOWN}
    assert {level for *_rest, level in graded} >= {"C", "E"}
    # What the import stored is what the rule gives.
    assert grading.regrade(pk for pk, *_rest in graded) == 0


def test_approval_raises_confidence_and_a_statement_sets_the_mode(fixture_pages):
    import_pages([fixture_pages / "P09022.md"])
    interaction = Interaction.objects.get(tf__accession="P09022", target__accession="Q03145")
    trrust = SourceDatabase.objects.for_names(["TRRUST"])["TRRUST"]
    for pmid, mode in ((1, A), (2, R), (3, R)):
        Publication.objects.get_or_create(pmid=pmid)
        Statement.objects.create(interaction=interaction, publication_id=pmid, source=trrust, mode=mode)

    grading.regrade([interaction.pk])
    interaction.refresh_from_db()
    assert (interaction.mode, interaction.mode_decision) == (R, ModeDecision.SOURCE_TABLE)
    assert interaction.confidence <= "C"  # curated publications count: C or better

    workflow.approve(interaction, staff("rex", "reviewer"))
    interaction.refresh_from_db()
    assert interaction.confidence == "A"


@pytest.mark.django_db(transaction=True)
def test_migration_grades_the_interactions_held_before_grades_existed():
    executor = MigrationExecutor(connection)
    executor.migrate([("proteins", "0016_modes_and_confidence")])
    old = executor.loader.project_state([("proteins", "0016_modes_and_confidence")]).apps
    organism, _ = old.get_model("proteins", "Organism").objects.get_or_create(name="Homo sapiens", taxon_id=9606)
    protein = old.get_model("proteins", "Protein")
    tf, target, other = (protein.objects.create(accession=a, organism=organism) for a in ("P04637", "Q07812", "P38398"))
    interaction = old.get_model("proteins", "Interaction")
    two_sources = interaction.objects.create(tf=tf, target=target, organism=organism, small_scale=True)
    one_source = interaction.objects.create(tf=tf, target=other, organism=organism)
    source = old.get_model("proteins", "SourceDatabase")
    two_sources.source_databases.add(source.objects.create(name="TRRUST"), source.objects.create(name="GTRD"))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Interaction.objects.get(pk=two_sources.pk).confidence == "B"
    assert Interaction.objects.get(pk=one_source.pk).confidence == "E"
