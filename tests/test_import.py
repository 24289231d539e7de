"""The importer as a curator running `import_pages` sees it: what lands in the database."""

import gc
import re
import shutil
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from proteins import parser
from proteins.importing.run import GC_FIRST_THRESHOLD, import_pages
from proteins.importing.writer import BatchWriter
from proteins.models import (
    BindingSite,
    DetectionMethod,
    GeneId,
    ImportRecord,
    ImportRun,
    Interaction,
    Ortholog,
    Protein,
    Publication,
    SourceDatabase,
)
from tests.quirk_pages import (
    BINDING_SITE_TABLE_HEADER,
    IN_VITRO_SITE,
    LOCATED_SITE,
    TARGET_ROW,
    TFS_TABLE_HEADER,
    page_text,
    table_text,
    write_page,
)

pytestmark = pytest.mark.django_db

# The migration under test: 0014_binding_sites_without_location_and_names_in_any_case.
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def copy_pages(source, destination, *names):
    destination.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(source / name, destination / name)
    return destination


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def snapshot():
    """Every domain row, without timestamps: what two imports must agree on."""
    return {
        "proteins": sorted(
            Protein.objects.values_list(
                "accession", "gene_name", "organism__name", "reported_interaction_count", "description", "provenance"
            )
        ),
        "gene_ids": sorted(GeneId.objects.values_list("protein__accession", "gene_id")),
        "orthologs": sorted(Ortholog.objects.values_list("protein__accession", "accession", "species", "ortholog_id")),
        "interactions": sorted(
            Interaction.objects.values_list("tf__accession", "target__accession", "small_scale", "status", "version")
        ),
        "sources": sorted(
            Interaction.source_databases.through.objects.values_list("interaction_id", "sourcedatabase_id")
        ),
        "methods": sorted(
            Interaction.detection_methods.through.objects.values_list("interaction_id", "detectionmethod_id")
        ),
        "publications": sorted(
            Interaction.publications.through.objects.values_list("interaction_id", "publication_id")
        ),
        "binding_sites": sorted(
            BindingSite.objects.values_list("tflink_id", "tf__accession", "start", "end", "sequence")
        ),
    }


def evidence_of(tf, target):
    interaction = Interaction.objects.get(tf__accession=tf, target__accession=target)
    return {
        "sources": sorted(interaction.source_databases.values_list("name", flat=True)),
        "methods": sorted(interaction.detection_methods.values_list("name", flat=True)),
        "pmids": sorted(interaction.publications.values_list("pmid", flat=True)),
        "small_scale": interaction.small_scale,
    }


# Importing the real pages.


def test_import_of_the_sample_pages_creates_every_page_and_interaction(fixture_pages):
    report = import_pages([fixture_pages])

    assert report.failures == []
    assert (report.pages_read, report.pages_created, report.pages_updated) == (11, 11, 0)
    # 922 rows over the pages and tables, three of them listed on both pages of their pair.
    assert report.interactions_created == Interaction.objects.count() == 919
    assert Protein.objects.filter(provenance=Protein.Provenance.PAGE).count() == 11


def test_download_tables_extend_a_page_beyond_its_first_100_rows(fixture_pages):
    import_pages([fixture_pages])

    bax = Protein.objects.get(accession="Q07812")
    assert bax.interactions_as_target.count() == bax.reported_interaction_count == 571
    assert Protein.objects.get(accession="O01789").interactions_as_tf.count() == 103


def test_partner_without_a_page_becomes_a_protein_from_its_row(fixture_pages):
    import_pages([fixture_pages / "O01789.md"])

    histone = Protein.objects.get(accession="P09588")
    assert histone.provenance == Protein.Provenance.ROW
    assert histone.gene_name.startswith("his-3;his-7;")
    assert histone.organism.name == "Caenorhabditis elegans"
    assert len(histone.gene_ids.all()) == 16


def test_page_fields_are_stored_as_the_page_gives_them(fixture_pages):
    import_pages([fixture_pages / "P46152.md"])

    gata4 = Protein.objects.get(accession="P46152")
    assert (gata4.gene_name, gata4.organism.taxon_id, gata4.reported_interaction_count) == ("Gata4", 10116, 6)
    assert list(gata4.gene_ids.values_list("gene_id", flat=True)) == [54254]
    assert gata4.description.startswith(">TFLinkSS10035817;P46152;Gata4")
    site = BindingSite.objects.get(tflink_id="TFLinkSS10035818")
    assert (site.chromosome, site.start, site.end, site.strand, site.sequence) == (
        "chr15",
        33630451,
        33630456,
        "+",
        "GATAG",
    )
    assert list(site.publications.values_list("pmid", flat=True)) == [8007990]
    assert evidence_of("P46152", "G3V885") == {
        "sources": ["ORegAnno"],
        "methods": ["inferred by curator"],
        "pmids": [8007990, 26578589],
        "small_scale": True,
    }


# Idempotence.


def test_importing_twice_changes_nothing_and_reports_every_page_unchanged(fixture_pages):
    import_pages([fixture_pages])
    before = snapshot()

    again = import_pages([fixture_pages])

    assert snapshot() == before
    assert (again.pages_read, again.pages_unchanged, again.pages_created, again.pages_updated) == (11, 11, 0, 0)
    assert (again.interactions_created, again.interactions_updated) == (0, 0)


def test_unchanged_pages_are_skipped_without_writing_data(fixture_pages):
    import_pages([fixture_pages])

    with CaptureQueriesContext(connection) as queries:
        import_pages([fixture_pages])

    written = {
        re.search(r'(?:INTO|UPDATE|FROM) "?(\w+)', q["sql"]).group(1) for q in queries if WRITE_SQL.match(q["sql"])
    }
    assert written == {"proteins_importrun"}
    assert len(queries) <= 8


def test_a_changed_page_is_updated_and_its_new_evidence_added(fixture_pages, tmp_path):
    pages = copy_pages(fixture_pages, tmp_path / "pages", "P09022.md")
    import_pages([pages])
    edit(pages / "P09022.md", "TRRUST,inferred by curator", "TRRUST;ORegAnno,inferred by curator")

    report = import_pages([pages])

    assert (report.pages_updated, report.interactions_updated, report.interactions_created) == (1, 1, 0)
    assert evidence_of("P09022", "Q03145")["sources"] == ["ORegAnno", "TRRUST"]
    assert Interaction.objects.get(tf__accession="P09022").version == 2


# One interaction per pair, whichever page lists it.


@pytest.mark.parametrize("order", [("P09022.md", "Q03145.md"), ("Q03145.md", "P09022.md")])
def test_an_interaction_on_both_pages_is_one_row_with_the_union_of_its_evidence(fixture_pages, tmp_path, order):
    pages = copy_pages(fixture_pages, tmp_path / "pages", *order)
    edit(pages / "P09022.md", "9733765%5Buid%5D+OR+29087512%5Buid%5D,Yes", "11111111%5Buid%5D,No")
    edit(pages / "P09022.md", "TRRUST,inferred by curator", "GTRD,chromatin immunoprecipitation assay")

    for name in order:
        import_pages([pages / name])

    assert Interaction.objects.filter(tf__accession="P09022", target__accession="Q03145").count() == 1
    assert evidence_of("P09022", "Q03145") == {
        "sources": ["GTRD", "TRRUST"],
        "methods": ["chromatin immunoprecipitation assay", "inferred by curator"],
        "pmids": [9733765, 11111111, 29087512],
        "small_scale": True,
    }


@pytest.mark.parametrize("order", [("P09022.md", "Q03145.md"), ("Q03145.md", "P09022.md")])
def test_the_second_page_of_a_pair_in_a_later_batch_of_the_same_run_adds_only_new_evidence(
    fixture_pages, tmp_path, order
):
    pages = copy_pages(fixture_pages, tmp_path / "pages", *order)
    import_pages([pages], batch_size=1)  # one page a batch: the pair is created, then met again
    assert Interaction.objects.get(tf__accession="P09022", target__accession="Q03145").version == 1
    before = evidence_of("P09022", "Q03145")

    edit(pages / "P09022.md", "9733765%5Buid%5D+OR+29087512%5Buid%5D,Yes", "11111111%5Buid%5D,No")
    edit(pages / "P09022.md", "TRRUST,inferred by curator", "GTRD,chromatin immunoprecipitation assay")
    Interaction.objects.all().delete()
    Protein.objects.all().delete()
    report = import_pages([pages], batch_size=1)

    interaction = Interaction.objects.get(tf__accession="P09022", target__accession="Q03145")
    assert evidence_of("P09022", "Q03145") == {
        "sources": sorted({"GTRD", *before["sources"]}),
        "methods": sorted({"chromatin immunoprecipitation assay", *before["methods"]}),
        "pmids": sorted({11111111, *before["pmids"]}),
        "small_scale": True,
    }
    assert (interaction.version, report.interactions_updated) == (2, 1)


def test_pages_of_both_partners_in_one_run_give_one_interaction(fixture_pages):
    import_pages([fixture_pages / "P46152.md", fixture_pages / "G3V885.md", fixture_pages / "P63059.md"])

    assert Interaction.objects.filter(target__accession="G3V885").count() == 3
    assert Interaction.objects.filter(tf__accession="P46152", target__accession="G3V885").count() == 1


@pytest.mark.parametrize("order", [("Q07812.md", "Q9I9N4.md"), ("Q9I9N4.md", "Q07812.md")])
def test_orthologs_link_to_local_proteins_whatever_the_import_order(fixture_pages, order):
    for name in order:
        import_pages([fixture_pages / name])

    human_to_fish = Ortholog.objects.get(protein__accession="Q07812", accession="Q9I9N4")
    fish_to_human = Ortholog.objects.get(protein__accession="Q9I9N4", accession="Q07812")
    assert human_to_fish.ortholog.accession == "Q9I9N4"
    assert fish_to_human.ortholog.accession == "Q07812"
    assert human_to_fish.species == "Danio rerio"
    unresolved = Ortholog.objects.get(protein__accession="Q07812", accession="Q07813")
    assert unresolved.ortholog is None


def test_orthologs_keep_the_accession_and_drop_the_markup(fixture_pages):
    import_pages([fixture_pages / "G3V885.md"])

    worm = Ortholog.objects.filter(protein__accession="G3V885", species="Caenorhabditis elegans")
    assert sorted(worm.values_list("accession", flat=True)) == ["P02566", "P02567", "P12844", "P12845", "Q21000"]
    assert not Ortholog.objects.filter(accession__contains="<").exists()


# Bad pages: reported with file, field, row and reason; no trace; good pages still imported.

GOOD_PAGE = "P09022.md"


def write_bad(tmp_path, fixture_pages, kind):
    """A bad version of G3V885's page (a new accession to the database) of the given kind."""
    page = tmp_path / "G3V885.md"
    text = (fixture_pages / "G3V885.md").read_text()
    bad = {
        "empty": lambda: "",
        "no front matter": lambda: "just some text\n",
        "yaml syntax": lambda: text.replace("organism: Rattus norvegicus", "organism: [Rattus norvegicus"),
        "missing key": lambda: text.replace("organism: Rattus norvegicus\n", ""),
        "invalid accession": lambda: text.replace("uniprot_accession: G3V885", "uniprot_accession: NOT-AN-ACC"),
        "wrong column count": lambda: text.replace("Gata4,P46152,54254,", "Gata4,P46152,"),
        "count not a number": lambda: text.replace("number_of_interactions: '3'", "number_of_interactions: three"),
        "unknown organism": lambda: text.replace("organism: Rattus norvegicus", "organism: Rattus rattus"),
    }
    if kind == "invalid utf-8":
        page.write_bytes(text.encode().replace(b"Myh6", b"My\xff6", 1))
    elif kind == "50 MB page":
        page.write_bytes(text.encode() + b"\n" * (50 * 1024 * 1024))
    else:
        page.write_text(bad[kind]())
    return page


BAD_PAGES = {
    "empty": ("the file is empty", None, None),
    "no front matter": ("expected '---'", None, None),
    "yaml syntax": ("line 8", None, None),
    "missing key": ("organism", "organism", None),
    "invalid accession": ("not a UniProt accession", "uniprot_accession", None),
    "wrong column count": ("found 6", "tfs", 2),
    "count not a number": ("whole number", "number_of_interactions", None),
    "invalid utf-8": ("invalid UTF-8", None, None),
    "50 MB page": ("the limit is", None, None),
    "unknown organism": ("unknown organism 'Rattus rattus'", "organism", None),
}


@pytest.mark.parametrize("kind", BAD_PAGES)
def test_a_bad_page_is_reported_leaves_no_trace_and_does_not_stop_good_pages(fixture_pages, tmp_path, kind):
    bad = write_bad(tmp_path, fixture_pages, kind)
    good = copy_pages(fixture_pages, tmp_path, GOOD_PAGE) / GOOD_PAGE
    message, field, row = BAD_PAGES[kind]

    report = import_pages([bad, good])

    assert report.pages_created == 1
    assert Protein.objects.filter(accession="P09022", provenance=Protein.Provenance.PAGE).exists()
    [error] = report.failures
    assert error.path == str(bad)
    assert message in error.message
    assert (error.field, error.row) == (field, row)
    assert not Protein.objects.filter(accession__in=["G3V885", "P63059", "Q3HW36"]).exists()
    assert ImportRecord.objects.get(outcome="failed").message == str(error)


def test_a_page_refused_by_the_database_is_rolled_back_alone(fixture_pages, tmp_path, monkeypatch):
    pages = copy_pages(fixture_pages, tmp_path / "pages", "P46152.md", "P09022.md", "Q9I9N4.md")
    write_binding_sites = BatchWriter.write_binding_sites

    def refuse_gata4(writer):
        if any(page.accession == "P46152" for page in writer.pages):
            raise IntegrityError("simulated constraint failure")
        return write_binding_sites(writer)

    monkeypatch.setattr(BatchWriter, "write_binding_sites", refuse_gata4)

    report = import_pages([pages])

    assert [error.path for error in report.failures] == [str(pages / "P46152.md")]
    assert "simulated constraint failure" in report.failures[0].message
    assert report.pages_created == 2
    assert not Protein.objects.filter(accession__in=["P46152", "G3V885"]).exists()
    assert not Interaction.objects.filter(tf__accession="P46152").exists()
    assert Interaction.objects.filter(tf__accession="P09022", target__accession="Q03145").exists()
    assert Interaction.objects.filter(target__accession="Q9I9N4").count() == 2


def test_a_protein_deleted_between_batches_is_created_again_not_referred_to(fixture_pages, tmp_path):
    # Both pages name G3V885; the run remembers its id from the first batch.
    pages = copy_pages(fixture_pages, tmp_path / "pages", "P46152.md", "P63059.md")
    deleted = []

    def delete_partner(_path):
        if not deleted:
            deleted.append(Protein.objects.get(accession="G3V885").pk)
            Protein.objects.filter(pk=deleted[0]).delete()

    report = import_pages([pages], batch_size=1, on_page=delete_partner)

    assert report.failures == []
    assert report.pages_created == 2
    again = Protein.objects.get(accession="G3V885")
    assert again.pk != deleted[0]
    assert (
        Interaction.objects.filter(tf__accession="P63059", target=again).exists()
        or Interaction.objects.filter(tf=again, target__accession="P63059").exists()
    )


@pytest.mark.django_db(transaction=True)
def test_foreign_keys_are_enforced_again_after_an_import(sample_data):
    # Batches may run with SQLite's per-row foreign-key checks off: the connection gets them back.
    interaction = Interaction.objects.first()

    with pytest.raises(IntegrityError):
        Interaction.objects.create(tf_id=10**9, target=interaction.target, organism=interaction.organism)


def test_a_path_that_does_not_exist_is_reported(tmp_path, fixture_pages):
    report = import_pages([tmp_path / "nowhere", fixture_pages / GOOD_PAGE])

    assert [str(error) for error in report.failures] == [f"{tmp_path / 'nowhere'}: no such file or folder"]
    assert report.pages_created == 1


# Dry run.


def test_dry_run_writes_nothing_and_reports_what_an_import_would_do(fixture_pages):
    with CaptureQueriesContext(connection) as queries:
        dry = import_pages([fixture_pages], dry_run=True)

    assert [q["sql"] for q in queries if WRITE_SQL.match(q["sql"])] == []
    assert Protein.objects.count() == 0
    real = import_pages([fixture_pages])
    assert (dry.pages_created, dry.interactions_created, dry.pages_failed) == (
        real.pages_created,
        real.interactions_created,
        0,
    )


def test_dry_run_after_a_change_reports_the_update(fixture_pages, tmp_path):
    pages = copy_pages(fixture_pages, tmp_path / "pages", "P09022.md")
    import_pages([pages])
    edit(pages / "P09022.md", "TRRUST,inferred by curator", "TRRUST;ORegAnno,inferred by curator")
    before = snapshot()

    report = import_pages([pages], dry_run=True)

    assert (report.pages_updated, report.interactions_updated) == (1, 1)
    assert snapshot() == before


# Imported text is data.


def test_markup_in_a_page_is_stored_as_plain_text(fixture_pages, tmp_path):
    pages = copy_pages(fixture_pages, tmp_path / "pages", "P09022.md")
    edit(pages / "P09022.md", "protein_name: Hoxa1", "protein_name: <script>alert(1)</script>")
    with (pages / "P09022.md").open("a") as page:
        page.write('<img src=x onerror="alert(1)">\n')

    import_pages([pages])

    protein = Protein.objects.get(accession="P09022")
    assert protein.gene_name == "<script>alert(1)</script>"
    assert protein.description == '<img src=x onerror="alert(1)">\n'


# Cost: queries per batch of pages, never per row.


def count_import_queries(pages):
    with CaptureQueriesContext(connection) as queries:
        import_pages([pages])
    return len(queries)


def page_with_targets(accession, count, first=10000):
    """A page of a TF with ``count`` target rows (P10000, P10001, ... from ``first``), as yaml.dump gives real pages."""
    rows = [
        f"T{i},P{first + i},{100 + i},GTRD;ReMap,chromatin immunoprecipitation assay,{27924024 + i}%5Buid%5D,No"
        for i in range(count)
    ]
    values = {
        "type": "protein",
        "layout": "protein",
        "title": accession,
        "protein_name": "TF",
        "uniprot_accession": accession,
        "ncbi_gene_id": "7157",
        "organism": "Homo sapiens",
        "function": "transcription factor",
        "number_of_interactions": str(count),
        "orthologs": "",
        "jaspar_matrices": "",
        "tfs": "",
        "targets": "\n".join(rows),
    }
    return "---\n" + yaml.dump(values, sort_keys=False) + "\n---\n"


def test_a_pair_another_writer_adds_during_an_import_into_empty_tables_stays_one_interaction(tmp_path):
    # After the first page, P10000 and P10001 exist as partners without pages.  The run began
    # with no interactions, so it does not look their pair up; the unique index must catch it.
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "P04636.md").write_text(page_with_targets("P04636", 2))
    (pages / "P10000.md").write_text(page_with_targets("P10000", 1, first=10001))
    added = []

    def add_pair(_path):
        if not added:
            tf, target = Protein.objects.get(accession="P10000"), Protein.objects.get(accession="P10001")
            added.append(Interaction.objects.create(tf=tf, target=target, organism=tf.organism).pk)

    report = import_pages([pages], batch_size=1, on_page=add_pair)

    assert report.failures == []
    assert report.pages_created == 2
    assert (report.interactions_created, report.interactions_updated) == (2, 1)
    pair = Interaction.objects.get(tf__accession="P10000", target__accession="P10001")
    assert pair.pk == added[0]
    assert sorted(pair.source_databases.values_list("name", flat=True)) == ["GTRD", "ReMap"]
    assert list(pair.publications.values_list("pmid", flat=True)) == [27924024]


def test_import_queries_do_not_grow_with_the_number_of_rows(tmp_path):
    # On SQLite each table's rows go in one executemany of 100-row statements (76 for the 13
    # columns of a protein: 999 values at most) and one of one-row statements for the rest;
    # both pages have full statements and a rest in every table.
    for folder, accession, rows in (("warm-up", "P04636", 1), ("few", "P04637", 130), ("many", "P04638", 990)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{accession}.md").write_text(page_with_targets(accession, rows))
    import_pages([tmp_path / "warm-up"])  # creates the source databases and method both pages use

    few = count_import_queries(tmp_path / "few")
    many = count_import_queries(tmp_path / "many")

    assert Interaction.objects.filter(tf__accession="P04638").count() == 990
    assert many == few


def test_a_batch_of_pages_costs_a_fixed_number_of_queries(fixture_pages):
    queries = count_import_queries(fixture_pages)

    rows = (
        sum(
            model.objects.count()
            for model in (Protein, GeneId, Ortholog, Interaction, Interaction.source_databases.through)
        )
        + Interaction.detection_methods.through.objects.count()
        + Interaction.publications.through.objects.count()
    )
    assert rows > 4000
    # A fixed set of queries per batch of pages, and bulk inserts of about a hundred rows each
    # (SQLite binds at most 999 values a statement).
    assert queries <= 30 + rows // 80


# The command.


def run_command(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_pages", *map(str, args), "--progress", "never", stdout=out, stderr=err)
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue(), err.getvalue()


def test_command_prints_a_summary_and_exits_zero(fixture_pages):
    status, out, err = run_command(fixture_pages)

    assert status == 0
    assert "Pages read: 11, created: 11, updated: 0, unchanged: 0, failed: 0." in out
    assert "Interactions created: 919, updated: 0." in out
    assert err == ""
    run = ImportRun.objects.get()
    assert (run.pages_created, run.interactions_created) == (11, 919)
    assert run.records.filter(outcome="created").count() == 11


def test_command_lists_each_failed_page_and_exits_one(fixture_pages, tmp_path):
    bad = write_bad(tmp_path, fixture_pages, "wrong column count")

    status, out, err = run_command(bad, fixture_pages / GOOD_PAGE)

    assert status == 1
    assert f"FAILED {bad} (field 'tfs', row 2): expected 7 comma-separated columns" in err
    assert "failed: 1." in out


def test_command_dry_run_says_nothing_was_written(fixture_pages):
    status, out, _err = run_command(fixture_pages, "--dry-run")

    assert status == 0
    assert out.startswith("Dry run, nothing written.")
    assert "would be created: 11" in out
    assert Protein.objects.count() == 0
    assert ImportRun.objects.count() == 0


def test_parsing_in_several_processes_gives_the_same_database(fixture_pages, tmp_path):
    pages = tmp_path / "many"
    pages.mkdir()
    template = (fixture_pages / "P09022.md").read_text()
    for number in range(40):
        accession = f"Q9{number:03d}0"
        (pages / f"{accession}.md").write_text(
            template.replace("P09022", accession).replace("Epha2,Q03145", f"Epha2,P{number:04d}0")
        )

    report = import_pages([pages], jobs=2, batch_size=7)

    assert (report.pages_created, report.pages_failed) == (40, 0)
    assert Interaction.objects.count() == 40
    assert Protein.objects.count() == 80


def test_an_import_runs_the_garbage_collector_less_often_and_gives_the_threshold_back(fixture_pages):
    # A server process that imports an upload keeps Python's collector settings afterwards.
    before = gc.get_threshold()
    during = []

    def interrupt(_path):
        during.append(gc.get_threshold())
        raise KeyboardInterrupt

    import_pages([fixture_pages], on_page=lambda _path: during.append(gc.get_threshold()))
    with pytest.raises(KeyboardInterrupt):
        import_pages([fixture_pages / GOOD_PAGE], on_page=interrupt)

    assert during[0][0] == max(before[0], GC_FIRST_THRESHOLD)
    assert during[-1][0] == during[0][0]
    assert gc.get_threshold() == before


# Quirks of real pages beyond the corpus (fixtures/FORMAT.md, "Quirks of real pages and tables").


def site_values(*tflink_ids):
    return [
        BindingSite.objects.filter(tflink_id=tflink_id)
        .values_list("tflink_id", "tf__accession", "assembly", "chromosome", "start", "end", "strand", "score")
        .get()
        for tflink_id in tflink_ids
    ]


def test_a_page_with_sites_without_a_genome_location_imports_them(tmp_path):
    page = write_page(tmp_path, page_text(binding_sites=f"{IN_VITRO_SITE}\n{LOCATED_SITE}"))

    report = import_pages([page])

    assert report.failures == []
    assert site_values("TFLinkLS04951731", "TFLinkLS04951732") == [
        ("TFLinkLS04951731", "Q21446", "", "", None, None, "", None),
        ("TFLinkLS04951732", "Q21446", "ce11", "chrX", 5716076, 5716086, "", 1),  # "-" strand: unknown
    ]
    in_vitro = BindingSite.objects.get(tflink_id="TFLinkLS04951731")
    assert (in_vitro.location, in_vitro.genome_browser_url) == (None, None)
    assert list(in_vitro.source_databases.values_list("name", flat=True)) == ["JASPAR"]
    assert list(in_vitro.detection_methods.values_list("name", flat=True)) == ["selex"]
    assert list(in_vitro.publications.values_list("pmid", flat=True)) == [16314527]
    assert import_pages([page]).pages_unchanged == 1


def test_a_count_with_a_thousands_separator_is_stored_as_a_number(tmp_path):
    import_pages([write_page(tmp_path, page_text(count="1,050"))])

    assert Protein.objects.get(accession="Q21446").reported_interaction_count == 1050


def test_na_gene_id_in_a_download_table_gives_the_partner_no_gene_id(tmp_path):
    row = "Q04206\tNA\tp65\tinferred by curator\t8007990\tCaenorhabditis elegans\tTRRUST\tNo"
    (tmp_path / "tfs_of_Q21446.tsv").write_text(table_text(TFS_TABLE_HEADER, row))
    page = write_page(
        tmp_path,
        page_text(
            tfs="p65,Q04206,-,TRRUST,inferred by curator,8007990%5Buid%5D,No", downloads={"tfs": "tfs_of_Q21446.tsv"}
        ),
    )

    assert import_pages([page]).failures == []

    partner = Protein.objects.get(accession="Q04206")
    assert (partner.gene_name, list(partner.gene_ids.all())) == ("p65", [])


def test_partner_names_with_a_space_or_in_lower_case_are_stored_as_written(tmp_path):
    targets = "\n".join(
        [
            "OR2M7 D,Q96R28,-,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No",
            "p65,Q04206,-,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No",
        ]
    )

    import_pages([write_page(tmp_path, page_text(targets=targets, count="2"))])

    assert dict(Protein.objects.filter(provenance="row").values_list("accession", "gene_name")) == {
        "Q96R28": "OR2M7 D",
        "Q04206": "p65",
    }


def test_a_source_or_method_spelt_in_two_cases_is_one_record_with_the_first_spelling(tmp_path):
    # JASPAR and selex on lin-14's page; jaspar and SELEX for the same pair on its target's page.
    first = write_page(tmp_path / "first", page_text(targets=TARGET_ROW.replace("GTRD", "JASPAR;GTRD")))
    later_row = "lin-14,Q21446,180803,jaspar,SELEX,16314527%5Buid%5D,No"
    later = write_page(tmp_path / "later", page_text("P18835", "col-19", targets="", tfs=later_row), "P18835")
    import_pages([first])

    report = import_pages([later])

    assert report.failures == []
    assert list(SourceDatabase.objects.filter(name__iexact="jaspar").values_list("name", flat=True)) == ["JASPAR"]
    assert list(DetectionMethod.objects.filter(name__iexact="selex").values_list("name", flat=True)) == ["SELEX"]
    assert evidence_of("Q21446", "P18835")["sources"] == ["GTRD", "JASPAR"]
    assert evidence_of("Q21446", "P18835")["methods"] == ["SELEX", "chromatin immunoprecipitation assay"]


def test_two_spellings_of_a_new_name_in_one_batch_give_one_record(tmp_path):
    rows = "\n".join(
        [
            "col-19,P18835,180520,TFactS_via_DoRothea,inferred by curator,8007990%5Buid%5D,No",
            "lin-4,P34575,-,TFactS_via_DoRothEA,Inferred By Curator,8007990%5Buid%5D,No",
        ]
    )

    assert import_pages([write_page(tmp_path, page_text(targets=rows, count="2"))], dry_run=True).failures == []
    import_pages([tmp_path])

    assert list(SourceDatabase.objects.values_list("name", flat=True)) == ["TFactS_via_DoRothea"]
    assert list(DetectionMethod.objects.filter(name__iexact="inferred by curator").values_list("name", flat=True)) == [
        "inferred by curator"
    ]
    assert evidence_of("Q21446", "P34575")["sources"] == ["TFactS_via_DoRothea"]


def test_a_table_site_tflinklt_and_the_pages_tflinkls_are_one_site(tmp_path):
    text = page_text(binding_sites=LOCATED_SITE, downloads={"bindingSites": "Q21446_TFBS_annot.tsv"})
    page = write_page(tmp_path, text)
    import_pages([page])  # the page alone: TFLinkLS04951732
    cells = "Q21446\tlin-14\tCaenorhabditis elegans\tchromatin immunoprecipitation assay\t27924024\tGTRD\tNo\tce11"
    table = [f"TFLinkLT04951732\t{cells}\tchrX\t5716076\t5716086\t-", f"TFLinkLT04951790\t{cells}\tchrI\t5\t9\t+"]
    (tmp_path / "bindingSites_of_Q21446.tsv").write_text(table_text(BINDING_SITE_TABLE_HEADER, *table))

    report = import_pages([page])

    assert (report.failures, report.pages_updated) == ([], 1)
    assert site_values("TFLinkLS04951732", "TFLinkLS04951790") == [
        ("TFLinkLS04951732", "Q21446", "ce11", "chrX", 5716076, 5716086, "", None),
        ("TFLinkLS04951790", "Q21446", "ce11", "chrI", 5, 9, "+", None),
    ]
    assert BindingSite.objects.count() == 2


def test_fasta_records_give_sequences_to_table_sites_and_make_no_site_alone(tmp_path):
    body = (
        ">TFLinkSS00000001;Q21446;lin-14;ce11;chrI:10-14\nGATA\n"
        ">TFLinkSS00000002;Q21446;lin-14;ce11;chrI:30-35\nCACGT\n"
        ">TFLinkSS00000003;Q21446;lin-14;ce11;chrI:50-53\nTTA\n"
    )
    row = "TFLinkSS00000001,Q21446,lin-14,Caenorhabditis elegans,ce11,chrI,10,14,+,-,"
    row += "inferred by curator,8007990%5Buid%5D,ORegAnno,Yes,0"
    page = write_page(tmp_path, page_text(binding_sites=row, body=body))
    cells = "Q21446\tlin-14\tCaenorhabditis elegans\tinferred by curator\t8007990\tORegAnno\tYes\tce11\tchrI"
    (tmp_path / "bindingSites_of_Q21446.tsv").write_text(
        table_text(
            BINDING_SITE_TABLE_HEADER, f"TFLinkSS00000001\t{cells}\t10\t14\t+", f"TFLinkSS00000002\t{cells}\t30\t35\t+"
        )
    )

    assert import_pages([page]).failures == []

    assert dict(BindingSite.objects.values_list("tflink_id", "sequence")) == {
        "TFLinkSS00000001": "GATA",
        "TFLinkSS00000002": "CACGT",
    }
    assert Protein.objects.get(accession="Q21446").description == body


# Numbers beyond the database's columns: the page is refused by name, on every engine.

TOO_LARGE = "12345678901234567890"
TOO_LARGE_PAGES = {
    "gene id": (lambda: page_text(gene_id=TOO_LARGE), "ncbi_gene_id", None),
    "row gene id": (lambda: page_text(targets=TARGET_ROW.replace("180520", TOO_LARGE)), "targets", 1),
    "pmid": (lambda: page_text(targets=TARGET_ROW.replace("27924024%5Buid", f"{TOO_LARGE}%5Buid")), "targets", 1),
    "count": (lambda: page_text(count=TOO_LARGE), "number_of_interactions", None),
    "position": (lambda: page_text(binding_sites=LOCATED_SITE.replace("5716086", TOO_LARGE)), "binding_sites_ls", 1),
}


@pytest.mark.parametrize("kind", TOO_LARGE_PAGES)
def test_a_number_beyond_the_database_refuses_only_its_page_and_the_run_finishes(fixture_pages, tmp_path, kind):
    text, field, row = TOO_LARGE_PAGES[kind]
    bad = write_page(tmp_path / "pages", text())
    copy_pages(fixture_pages, tmp_path / "pages", GOOD_PAGE)

    report = import_pages([tmp_path / "pages"])

    [error] = report.failures
    assert (error.path, error.field, error.row) == (str(bad), field, row)
    assert "out of range" in error.message
    assert report.pages_created == 1
    assert Protein.objects.filter(accession="P09022", provenance=Protein.Provenance.PAGE).exists()
    assert not Protein.objects.filter(accession="Q21446").exists()
    run = ImportRun.objects.get()
    assert run.finished_at is not None
    assert (run.pages_created, run.pages_failed, run.error) == (1, 1, "")
    assert run.records.get(outcome="failed").message == str(error)


def test_command_refuses_a_page_with_a_20_digit_gene_id_and_imports_the_others(fixture_pages, tmp_path):
    bad = write_page(tmp_path / "pages", page_text(targets=TARGET_ROW.replace("180520", TOO_LARGE)))
    copy_pages(fixture_pages, tmp_path / "pages", GOOD_PAGE)

    status, out, err = run_command(tmp_path / "pages")

    assert status == 1
    assert f"FAILED {bad} (field 'targets', row 1): NCBI Gene id {TOO_LARGE} is out of range" in err
    assert "created: 1, updated: 0, unchanged: 0, failed: 1." in out


def test_parser_bounds_are_the_ranges_of_the_database_columns():
    ranges = BaseDatabaseOperations.integer_field_ranges
    columns = {
        parser.MAX_INTEGER: [
            GeneId._meta.get_field("gene_id"),
            Publication._meta.get_field("pmid"),
            Protein._meta.get_field("reported_interaction_count"),
            BindingSite._meta.get_field("score"),
        ],
        parser.MAX_POSITION: [BindingSite._meta.get_field("start"), BindingSite._meta.get_field("end")],
    }
    for largest, fields in columns.items():
        for model_field in fields:
            assert ranges[model_field.get_internal_type()][1] == largest, model_field
    assert ranges[BindingSite._meta.get_field("score").get_internal_type()][0] == parser.MIN_INTEGER


def test_an_unexpected_error_mid_run_finishes_the_run_says_why_and_goes_on(fixture_pages, tmp_path, monkeypatch):
    pages = copy_pages(fixture_pages, tmp_path / "pages", "P09022.md", "P46152.md")

    def fail(writer):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(BatchWriter, "write_binding_sites", fail)

    with pytest.raises(RuntimeError, match="the disk is on fire"):
        import_pages([pages], batch_size=1)

    run = ImportRun.objects.get()
    assert run.finished_at is not None
    assert run.error == "The import stopped before its end: RuntimeError: the disk is on fire"
    assert (run.pages_read, run.pages_created) == (1, 0)  # the first batch was rolled back
    assert not Protein.objects.exists()


def test_an_interrupted_run_is_finished_and_says_so(fixture_pages):
    def interrupt(_path):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_pages([fixture_pages / GOOD_PAGE], on_page=interrupt)

    run = ImportRun.objects.get()
    assert (run.finished_at is not None, run.error) == (True, "The import stopped before its end: KeyboardInterrupt")


# The migration that brings held data to these rules.


@pytest.mark.django_db(transaction=True)
def test_migration_merges_case_variants_names_table_sites_as_pages_do_and_makes_dash_strands_unknown():
    before = [("proteins", "0013_deferred_index")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    source, method, site = (
        old.get_model("proteins", name) for name in ("SourceDatabase", "DetectionMethod", "BindingSite")
    )
    organism, _ = old.get_model("proteins", "Organism").objects.get_or_create(name="Caenorhabditis elegans")
    protein = old.get_model("proteins", "Protein")
    tf, target, other = (protein.objects.create(accession=a, organism=organism) for a in ("Q21446", "P18835", "P34575"))
    interaction = old.get_model("proteins", "Interaction")
    both, variant_only = (interaction.objects.create(tf=tf, target=t, organism=organism) for t in (target, other))
    jaspar, jaspar_lower = source.objects.create(name="JASPAR"), source.objects.create(name="jaspar")
    method.objects.create(name="selex")
    selex_upper = method.objects.create(name="SELEX")
    both.source_databases.add(jaspar, jaspar_lower)
    both.detection_methods.add(selex_upper)
    variant_only.source_databases.add(jaspar_lower)
    located = {"assembly": "ce11", "chromosome": "chrI", "start": 1, "end": 2}
    for tflink_id, strand in (("TFLinkLS1", "+"), ("TFLinkLT1", "+"), ("TFLinkLT2", "+"), ("TFLinkSS3", "-")):
        site.objects.create(tflink_id=tflink_id, tf=tf, strand=strand, **located).source_databases.add(jaspar_lower)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # 0014, and the ones after it

    assert list(SourceDatabase.objects.values_list("name", flat=True)) == ["JASPAR"]
    assert list(DetectionMethod.objects.values_list("name", flat=True)) == ["selex"]
    for pk in (both.pk, variant_only.pk):
        assert list(Interaction.objects.get(pk=pk).source_databases.values_list("name", flat=True)) == ["JASPAR"]
    assert list(Interaction.objects.get(pk=both.pk).detection_methods.values_list("name", flat=True)) == ["selex"]
    assert dict(BindingSite.objects.values_list("tflink_id", "strand")) == {
        "TFLinkLS1": "+",
        "TFLinkLS2": "+",
        "TFLinkSS3": "",
    }
    assert BindingSite.source_databases.through.objects.count() == 3
