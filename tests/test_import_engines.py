"""The import writes the same data on every engine: a generated corpus against what its pages say.

The expectations come from the parsed pages alone, not from a database, so the suite run on
SQLite and on PostgreSQL (whose rows go in with ``COPY``) proves both write the same rows.
"""

import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db import connection

from proteins import parser
from proteins.importing.run import import_pages
from proteins.models import BindingSite, GeneId, Interaction, Ortholog, Protein, Publication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import generate_corpus  # bench/ holds scripts, not a package

PAGES = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A small corpus of the benchmark's generator, with its manifest and its parsed pages."""
    folder = tmp_path_factory.mktemp("corpus")
    manifest = generate_corpus.generate(folder, pages=PAGES, seed=7)
    pages = [parser.parse_page(path.read_text(), str(path)) for path in sorted(folder.glob("*.md"))]
    return folder, manifest, pages


def names(values):
    return frozenset(value.lower() for value in values)


def evidence_key(evidence):
    return (
        names(evidence.source_databases),
        names(evidence.detection_methods),
        frozenset(evidence.pmids),
        evidence.small_scale,
    )


def expected_interactions(pages):
    """``{(tf accession, target accession): evidence}``: the union of what both pages of a pair say."""
    merged = defaultdict(lambda: (set(), set(), set(), False))
    for page in pages:
        rows = [((row.partner_accession, page.accession), row.evidence) for row in page.tfs]
        rows += [((page.accession, row.partner_accession), row.evidence) for row in page.targets]
        for pair, evidence in rows:
            sources, methods, pmids, small_scale = merged[pair]
            merged[pair] = (
                sources | names(evidence.source_databases),
                methods | names(evidence.detection_methods),
                pmids | set(evidence.pmids),
                small_scale or evidence.small_scale,
            )
    return {
        pair: (frozenset(sources), frozenset(methods), frozenset(pmids), small_scale)
        for pair, (sources, methods, pmids, small_scale) in merged.items()
    }


def stored_interactions():
    found = {}
    rows = Interaction.objects.select_related("tf", "target").prefetch_related(
        "source_databases", "detection_methods", "publications"
    )
    for interaction in rows:
        found[interaction.tf.accession, interaction.target.accession] = (
            names(source.name for source in interaction.source_databases.all()),
            names(method.name for method in interaction.detection_methods.all()),
            frozenset(publication.pmid for publication in interaction.publications.all()),
            interaction.small_scale,
        )
    return found


def stored_binding_sites():
    rows = BindingSite.objects.select_related("tf").prefetch_related(
        "source_databases", "detection_methods", "publications"
    )
    return {
        site.tflink_id: (
            site.tf.accession,
            site.start,
            site.end,
            names(source.name for source in site.source_databases.all()),
            names(method.name for method in site.detection_methods.all()),
            frozenset(publication.pmid for publication in site.publications.all()),
            site.small_scale,
        )
        for site in rows
    }


@pytest.mark.django_db
@pytest.mark.parametrize("defer_indexes", [False, True], ids=["indexes kept", "indexes set aside"])
def test_a_generated_corpus_imports_to_exactly_what_its_pages_say(corpus, settings, defer_indexes):
    folder, manifest, pages = corpus
    settings.IMPORT_DEFER_INDEXES_PAGES = 1 if defer_indexes else 0

    # Small batches: pairs met again in later batches, publications and links already stored.
    report = import_pages([folder], batch_size=15)

    assert (report.pages_created, report.pages_failed) == (PAGES, 0), report.failures[:2]
    expected = manifest["expected"]
    assert Protein.objects.count() == expected["proteins"]
    assert GeneId.objects.count() == expected["gene_ids"]
    assert Ortholog.objects.count() == expected["orthologs"]
    assert Publication.objects.count() == expected["publications"]
    assert report.interactions_created == Interaction.objects.count() == expected["interactions"]

    interactions = expected_interactions(pages)
    assert stored_interactions() == interactions

    assert stored_binding_sites() == {
        site.tflink_id: (
            page.accession,
            site.start,
            site.end,
            *evidence_key(site.evidence),
        )
        for page in pages
        for site in page.binding_sites
    }

    tfs, targets, small_scale = Counter(), Counter(), Counter()
    for (tf, target), (*_evidence, small) in interactions.items():
        tfs[target] += 1
        targets[tf] += 1
        if small:
            small_scale.update((tf, target))
    assert {
        accession: (tf_count, target_count, small_count)
        for accession, tf_count, target_count, small_count in Protein.objects.values_list(
            "accession", "tf_count", "target_count", "small_scale_count"
        )
    } == {
        accession: (tfs[accession], targets[accession], small_scale[accession])
        for accession in {accession for pair in interactions for accession in pair}
    }


def analysed_columns(table):
    """The columns of ``table`` whose statistics PostgreSQL's planner holds (only ANALYZE gathers them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname FROM pg_stats WHERE tablename = %s", [table])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_a_large_import_leaves_the_planner_knowing_the_tables_it_filled(corpus, settings):
    folder, _manifest, _pages = corpus
    settings.IMPORT_DEFER_INDEXES_PAGES = 1

    import_pages([folder], batch_size=15)

    if connection.vendor == "postgresql":  # SQLite plans without statistics
        assert {"tf_id", "target_id", "organism_id", "status"} <= analysed_columns(Interaction._meta.db_table)
        links = Interaction.source_databases.through._meta.db_table
        assert {"interaction_id", "sourcedatabase_id"} <= analysed_columns(links)


@pytest.mark.django_db
def test_importing_the_corpus_again_writes_nothing_new(corpus):
    folder, manifest, _pages = corpus
    import_pages([folder], batch_size=15)
    before = stored_interactions()

    # Every page changed in a trivial way: each is written again, every row a conflict.
    for path in folder.glob("*.md"):
        path.write_text(path.read_text() + "\n")
    try:
        report = import_pages([folder], batch_size=15)
    finally:
        for path in folder.glob("*.md"):
            path.write_text(path.read_text().removesuffix("\n"))

    assert report.pages_updated == PAGES
    assert report.interactions_created == 0
    assert stored_interactions() == before
    assert Publication.objects.count() == manifest["expected"]["publications"]
