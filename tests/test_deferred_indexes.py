"""A large import into empty tables sets indexes aside and always builds them again."""

import pytest
from django.db import IntegrityError, connection, transaction

from proteins.importing import deferred_indexes
from proteins.importing.run import PageImporter, import_pages
from proteins.models import DeferredIndex, Interaction, Protein
from tests.test_counts import assert_counts_are_right

pytestmark = pytest.mark.django_db


def indexes():
    """``{(table, index name): (columns, unique)}`` of the interaction and evidence tables."""
    found = {}
    with connection.cursor() as cursor:
        for table in deferred_indexes.tables():
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if (info["index"] or info["unique"]) and not info["primary_key"] and not info["foreign_key"]:
                    found[(table, name)] = (tuple(info["columns"]), bool(info["unique"]))
    return found


def evidence():
    """Every interaction with its evidence, by accession and name: equal whatever the ids."""
    rows = Interaction.objects.values_list("tf__accession", "target__accession", "small_scale", "status")
    links = {
        field: sorted(
            getattr(Interaction, field)
            .through.objects.values_list("interaction__tf__accession", "interaction__target__accession", column)
            .order_by()
        )
        for field, column in (
            ("source_databases", "sourcedatabase__name"),
            ("detection_methods", "detectionmethod__name"),
            ("publications", "publication__pmid"),
        )
    }
    return sorted(rows), links


@pytest.fixture
def small_threshold(settings):
    settings.IMPORT_DEFER_INDEXES_PAGES = 5


def test_a_large_import_into_empty_tables_sets_plain_indexes_aside_and_builds_them_again(
    fixture_pages, small_threshold
):
    before = indexes()
    during = []

    report = import_pages([fixture_pages], on_page=lambda _path: during.append(set(indexes())))

    deferred = set(before) - during[0]
    deferred_names = {name for _table, name in deferred}
    # The interactions by TF, target, organism, status and date, and the links by value, waited...
    assert {
        "interaction_tf_status_target",
        "interaction_target_status_tf",
        "interaction_status_updated",
        "interaction_organism_id",
    } <= deferred_names
    # So does the gene names' trigram index, which PostgreSQL alone has.
    assert ("protein_gene_name_trigram" in deferred_names) == (connection.vendor == "postgresql")
    assert {table for table, _name in deferred} == set(deferred_indexes.tables())
    # ...but not the unique ones, which keep the data right and which the import looks rows up by.
    assert all(not before[key][1] for key in deferred)
    assert ("tf_id", "target_id") in {columns for columns, unique in before.values() if unique}
    # Built again, exactly as they were, and said so.
    assert indexes() == before
    assert not DeferredIndex.objects.exists()
    assert report.indexes_rebuilt == len(deferred)
    assert f"built again: {len(deferred)}" in report.summary()


def test_the_proteins_counts_are_right_after_an_import_that_set_indexes_aside(fixture_pages, small_threshold):
    # Such an import counts the interactions once at the end, not batch by batch.
    report = import_pages([fixture_pages], batch_size=3)

    assert report.indexes_rebuilt > 0
    assert Protein.objects.filter(tf_count__gt=0).exists()
    assert Protein.objects.filter(small_scale_count__gt=0).exists()
    assert_counts_are_right()


def test_the_data_is_the_same_with_deferred_indexes(fixture_pages, small_threshold, settings):
    import_pages([fixture_pages])
    deferred = evidence()
    Interaction.objects.all().delete()
    Protein.objects.all().delete()
    settings.IMPORT_DEFER_INDEXES_PAGES = 0

    report = import_pages([fixture_pages])

    assert report.indexes_rebuilt == 0
    assert evidence() == deferred
    assert len(deferred[0]) == report.interactions_created > 0


def test_the_unique_indexes_still_refuse_a_duplicate_pair_during_the_import(fixture_pages, small_threshold):
    refused = []

    def add_duplicate(_path):
        if refused or not Interaction.objects.exists():
            return
        first = Interaction.objects.first()
        try:
            with transaction.atomic():
                Interaction.objects.create(tf=first.tf, target=first.target, organism=first.organism)
        except IntegrityError:
            refused.append(True)

    import_pages([fixture_pages], on_page=add_duplicate, batch_size=2)

    assert refused == [True]


def test_an_interrupted_import_still_builds_the_indexes_again(fixture_pages, small_threshold):
    before = indexes()

    def interrupt(_path):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_pages([fixture_pages], on_page=interrupt)

    assert indexes() == before
    assert not DeferredIndex.objects.exists()


def test_indexes_a_killed_import_left_aside_are_built_by_the_next_import(fixture_pages):
    before = indexes()
    names = deferred_indexes.defer()  # what a killed import leaves: the indexes dropped, their rows kept
    assert names and set(indexes()) == set(before) - {(row.table, row.name) for row in DeferredIndex.objects.all()}

    report = import_pages([fixture_pages / "P09022.md"])

    assert indexes() == before
    assert report.indexes_rebuilt == len(names)
    assert not DeferredIndex.objects.exists()


def test_counts_a_killed_import_left_undone_are_counted_by_the_next_import(fixture_pages, small_threshold):
    import_pages([fixture_pages])
    # What an import killed before its end leaves: indexes set aside, interactions not yet counted.
    deferred_indexes.defer()
    Protein.objects.update(tf_count=0, target_count=0, small_scale_count=0)

    import_pages([fixture_pages / "P09022.md"])

    assert Protein.objects.filter(tf_count__gt=0).exists()
    assert_counts_are_right()


def test_small_imports_dry_runs_and_imports_into_filled_tables_keep_every_index(fixture_pages, settings):
    before = indexes()
    seen = []

    def look(_path):
        seen.append(indexes() == before)

    settings.IMPORT_DEFER_INDEXES_PAGES = 50  # more than the 11 pages
    import_pages([fixture_pages], dry_run=True, on_page=look)
    import_pages([fixture_pages / "P09022.md"], on_page=look)
    settings.IMPORT_DEFER_INDEXES_PAGES = 5
    import_pages([fixture_pages], dry_run=True, on_page=look)  # a dry run writes nothing, indexes included
    import_pages([fixture_pages], on_page=look)  # interactions exist already

    assert seen and all(seen)
    assert not DeferredIndex.objects.exists()


def test_an_import_whose_indexes_another_import_built_counts_every_interaction_even_if_killed(
    fixture_pages, small_threshold, monkeypatch
):
    seen = []

    def another_import_starts_then_this_one_is_killed(_path):
        seen.append(_path)
        if len(seen) == 4:  # two batches of two pages written, uncounted
            deferred_indexes.restore()  # what an import started now does with the rows it finds
        if len(seen) == 9:
            raise KeyboardInterrupt

    # Killed: no ``finally`` runs, so nothing is built or counted at the end.
    monkeypatch.setattr(PageImporter, "restore_indexes", lambda self: None)
    with pytest.raises(KeyboardInterrupt):
        import_pages([fixture_pages], batch_size=2, on_page=another_import_starts_then_this_one_is_killed)

    assert Interaction.objects.count() > 0
    assert not DeferredIndex.objects.exists()
    assert_counts_are_right()


def foreign_keys():
    """``{(table, constraint name): definition}`` of the foreign keys an import may set aside."""
    return {(table, name): definition for table, name, definition in deferred_indexes.deferrable_foreign_keys()}


def test_on_postgresql_foreign_keys_wait_too_and_come_back_as_they_were(fixture_pages, small_threshold):
    before = foreign_keys()
    during = []

    report = import_pages([fixture_pages], on_page=lambda _path: during.append(foreign_keys()))

    assert report.pages_created == len(during) > 0
    assert foreign_keys() == before
    assert not DeferredIndex.objects.exists()
    if connection.vendor == "postgresql":
        # The references of interactions and evidence links waited...
        assert {"proteins_interaction", "proteins_interaction_publications"} <= {table for table, _ in before}
        assert during[0] == {}
        # ...and are enforced again.
        interaction = Interaction.objects.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            Interaction.objects.create(tf_id=10**9, target=interaction.target, organism=interaction.organism)
            connection.check_constraints()
    else:
        # SQLite's imports check references per batch, with its own checks off in any case.
        assert before == {}


def test_a_protein_deleted_while_foreign_keys_wait_is_created_again_not_referred_to(fixture_pages, small_threshold):
    deleted = []

    def delete_a_partner(_path):
        if not deleted and Protein.objects.filter(accession="G3V885").exists():
            deleted.append(Protein.objects.get(accession="G3V885").pk)
            Protein.objects.filter(pk=deleted[0]).delete()

    report = import_pages([fixture_pages], batch_size=1, on_page=delete_a_partner)

    assert report.failures == []
    assert deleted and not Protein.objects.filter(pk=deleted[0]).exists()
    again = Protein.objects.get(accession="G3V885")
    assert Interaction.objects.filter(tf=again).exists() or Interaction.objects.filter(target=again).exists()
    assert not Interaction.objects.filter(tf_id=deleted[0]).exists()
    assert not Interaction.objects.filter(target_id=deleted[0]).exists()
    assert not DeferredIndex.objects.exists()
