"""Modes of regulation from TRRUST-format tables: the reader, the import, the command, the admin upload."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import workflow
from curation.mode_tables import import_mode_table
from curation.models import PendingSourceChange
from proteins.admin.mode_tables import staged_path
from proteins.models import (
    Interaction,
    Mode,
    ModeDecision,
    ModeTableRun,
    Organism,
    Protein,
    Statement,
)
from proteins.trrust import read_mode_table
from tests.accounts import signed_in, staff
from tests.jobs import run_queued_jobs

EXCERPT = Path(__file__).resolve().parent.parent / "fixtures" / "trrust" / "trrust_excerpt.human.tsv"
HEADER = "TF\tTarget\tRegulation\tReference"
# Gene names of the excerpt's proteins: DEC1's protein holds its symbol among others.
GENES = {
    "P35869": "AHR",
    "P04798": "CYP1A1",
    "P01106": "MYC",
    "P38936": "CDKN1A",
    "P04637": "TP53;P53",
    "P17948": "FLT1",
    "P25054": "APC",
    "P35354": "PTGS2",
    "P10275": "AR",
    "Q9UNE7": "aip",
}


def excerpt_lines():
    return EXCERPT.read_text().splitlines()


def table(tmp_path, lines, name="table.tsv", line_end="\n"):
    path = tmp_path / name
    path.write_bytes((line_end.join(lines) + line_end).encode())
    return path


@pytest.fixture
def human(db):
    organism = Organism.objects.get(taxon_id=9606)
    for accession, gene_name in GENES.items():
        Protein.objects.create(accession=accession, gene_name=gene_name, organism=organism)
    return organism


def protein(gene_name):
    return Protein.objects.get(gene_name=gene_name)


def interaction(tf, target, **fields):
    tf, target = protein(tf), protein(target)
    found = Interaction.objects.filter(tf=tf, target=target).first()
    return found or Interaction.objects.create(tf=tf, target=target, organism=tf.organism, **fields)


def statements(tf, target):
    return dict(Statement.objects.filter(interaction=interaction(tf, target)).values_list("publication_id", "mode"))


# The reader.


def test_reader_accepts_crlf_a_header_and_counts_duplicate_lines_once():
    lines = [HEADER, *excerpt_lines()]
    lines.insert(5, lines[3])
    text = "\r\n".join(lines) + "\r\n"
    read = read_mode_table(text.encode().splitlines(keepends=True), "trrust.tsv")
    assert read.duplicates == 1
    assert len(read.rows) == 48  # 50 rows, less the date-mangled symbol and the malformed PubMed id
    assert read.rows[0].tf == "AHR" and read.rows[0].target == "ABCG2" and read.rows[0].mode == "unknown"
    assert all("\r" not in row.target for row in read.rows)


def test_reader_names_file_line_and_reason_of_each_bad_row():
    read = read_mode_table(excerpt_lines(), "trrust.tsv")
    assert [str(error) for error in read.errors] == [
        "trrust.tsv:45: Sep-07 looks like a gene symbol a spreadsheet turned into a date (SEPT7?)",
        "trrust.tsv:50: malformed PubMed id '1724219e': expected a whole number such as 12213390",
    ]


@pytest.mark.parametrize(
    "line, reason",
    [
        ("AHR\tCYP1A1\tActivation", "expected 4 tab-separated columns (TF, target, mode, PubMed ids), found 3"),
        ("AHR\tCYP1A1\tInduction\t123", "unknown mode 'Induction': expected Activation, Repression or Unknown"),
        ("Dec-01\tCYP1A1\tActivation\t123", "Dec-01 looks like a gene symbol a spreadsheet turned into a date (DEC1?)"),
        ("AHR\tCYP1A1\tActivation\t", "no PubMed id"),
        ("\tCYP1A1\tActivation\t123", "the TF symbol is empty"),
    ],
)
def test_reader_refuses_a_bad_row_and_keeps_the_others(line, reason):
    read = read_mode_table(["AHR\tCYP1A2\tUnknown\t1", line, "AHR\tCYP1B1\tRepression\t2"], "t.tsv")
    assert [str(error) for error in read.errors] == [f"t.tsv:2: {reason}"]
    assert [row.target for row in read.rows] == ["CYP1A2", "CYP1B1"]


# Matching and statements.


def test_symbols_match_any_joined_gene_name_in_any_case(human, tmp_path):
    interaction("TP53;P53", "FLT1")
    interaction("aip", "AHR")
    import_mode_table(table(tmp_path, ["p53\tFLT1\tActivation\t16432214", "AIP\tAHR\tActivation\t11469723"]), human)
    assert statements("TP53;P53", "FLT1") == {16432214: Mode.ACTIVATION}
    assert statements("aip", "AHR") == {11469723: Mode.ACTIVATION}


def test_unmatched_and_ambiguous_rows_are_reported_with_their_lines(human, tmp_path):
    Protein.objects.create(accession="Q9Y6Q9", gene_name="NCOA3;AR", organism=human)
    Protein.objects.create(accession="P12345", gene_name="NOTHERE", organism=Organism.objects.get(taxon_id=10090))
    path = table(tmp_path, ["AHR\tCYP1A1\tActivation\t1", "AHR\tNOTHERE\tUnknown\t2", "AR\tMYC\tRepression\t3"])
    report = import_mode_table(path, human)
    assert [str(problem) for problem in report.problems] == [
        f"{path}:2: unmatched: the target NOTHERE names no protein of Homo sapiens",
        f"{path}:3: ambiguous: the TF AR names 2 proteins of Homo sapiens (P10275, Q9Y6Q9)",
    ]


def test_statements_carry_each_publications_mode_and_the_majority_decides(human):
    mixed = interaction("MYC", "CDKN1A")
    ahr = interaction("AHR", "CYP1A1")
    report = import_mode_table(EXCERPT, human)
    assert statements("MYC", "CDKN1A") == {
        16738884: Mode.ACTIVATION,
        **dict.fromkeys([12553001, 19150257, 21042278, 22371483, 23804320], Mode.REPRESSION),
        **dict.fromkeys([15757889, 17885207], Mode.UNKNOWN),
    }
    mixed.refresh_from_db()
    assert (mixed.mode, mixed.mode_decision) == (Mode.REPRESSION, ModeDecision.SOURCE_TABLE)
    assert set(mixed.source_databases.values_list("name", flat=True)) == {"TRRUST"}
    assert mixed.publications.count() == 8
    ahr.refresh_from_db()
    assert (ahr.mode, ahr.mode_decision) == (Mode.ACTIVATION, ModeDecision.SOURCE_TABLE)  # two to one
    assert report.statements_created == 8 + 11
    assert report.interactions_given_evidence == 2
    assert ModeTableRun.objects.get().statements_created == 19
    assert Statement.history.filter(history_type="+", history_change_reason="mode table import").count() == 19


def test_a_publication_given_two_modes_for_one_pair_is_dual_and_a_known_mode_beats_unknown(human, tmp_path):
    interaction("AHR", "CYP1A1")
    rows = ["AHR\tCYP1A1\tActivation\t1;2", "AHR\tCYP1A1\tRepression\t1", "AHR\tCYP1A1\tUnknown\t2;3"]
    import_mode_table(table(tmp_path, rows), human)
    assert statements("AHR", "CYP1A1") == {1: Mode.DUAL, 2: Mode.ACTIVATION, 3: Mode.UNKNOWN}


def test_a_second_import_changes_and_creates_nothing(human):
    interaction("MYC", "CDKN1A")
    import_mode_table(EXCERPT, human)
    before = list(Interaction.objects.values_list("pk", "version", "mode", "confidence"))
    again = import_mode_table(EXCERPT, human)
    assert not again.changed
    assert (again.statements_created, again.statements_updated, again.statements_unchanged) == (0, 0, 8)
    assert list(Interaction.objects.values_list("pk", "version", "mode", "confidence")) == before


def test_a_changed_mode_updates_the_statement(human, tmp_path):
    interaction("AHR", "CYP1A1")
    import_mode_table(table(tmp_path, ["AHR\tCYP1A1\tActivation\t1"]), human)
    report = import_mode_table(table(tmp_path, ["AHR\tCYP1A1\tRepression\t1"]), human)
    assert report.statements_updated == 1
    assert statements("AHR", "CYP1A1") == {1: Mode.REPRESSION}
    assert interaction("AHR", "CYP1A1").mode == Mode.REPRESSION


# Curators win.


def test_a_reviewers_mode_survives_and_the_difference_is_held(human, reviewer, tmp_path):
    reviewed = interaction("MYC", "CDKN1A", mode=Mode.ACTIVATION, mode_decision=ModeDecision.REVIEWER)
    workflow.approve(reviewed, reviewer)
    report = import_mode_table(EXCERPT, human)
    reviewed.refresh_from_db()
    assert (reviewed.mode, reviewed.mode_decision) == (Mode.ACTIVATION, ModeDecision.REVIEWER)
    held = PendingSourceChange.objects.get(interaction=reviewed)
    assert held.mode == Mode.REPRESSION
    assert "mode: repression" in held.describe()
    assert report.changes_held == 1


def test_accepting_a_held_mode_needs_a_reviewer_and_hands_the_mode_back_to_the_rule(human, reviewer, curator):
    reviewed = interaction("MYC", "CDKN1A", mode=Mode.ACTIVATION, mode_decision=ModeDecision.REVIEWER)
    workflow.approve(reviewed, reviewer)
    import_mode_table(EXCERPT, human)
    held = PendingSourceChange.objects.get(interaction=reviewed)
    with pytest.raises(workflow.NotAllowed, match="Only a reviewer"):
        workflow.decide_source_change(held, curator, accept=True)
    other_reviewer = staff("ada", "reviewer")
    workflow.decide_source_change(held, other_reviewer, accept=True)
    reviewed.refresh_from_db()
    assert (reviewed.mode, reviewed.mode_decision) == (Mode.REPRESSION, ModeDecision.SOURCE_TABLE)
    assert reviewed.publications.count() == 8


def test_a_curated_interactions_evidence_is_held_not_written(human, curator):
    edited = interaction("MYC", "CDKN1A", last_edited_by=curator)
    report = import_mode_table(EXCERPT, human)
    assert edited.publications.count() == 0 and edited.source_databases.count() == 0
    held = PendingSourceChange.objects.get(interaction=edited)
    assert (held.source_databases, len(held.pmids), held.mode) == (["TRRUST"], 8, "")
    assert report.interactions_given_evidence == 0 and report.changes_held == 1
    assert import_mode_table(EXCERPT, human).changes_held == 0  # held once, however often imported


# Missing pairs, dry runs, queries.


def test_pairs_the_portal_does_not_hold_are_reported_and_created_on_request(human):
    report = import_mode_table(EXCERPT, human)
    assert ("MYC", "CDKN1A") in report.missing_pairs and not Interaction.objects.exists()
    report = import_mode_table(EXCERPT, human, create_missing=True)
    created = interaction("MYC", "CDKN1A")
    assert created.status == Interaction.Status.UNREVIEWED
    assert list(created.source_databases.values_list("name", flat=True)) == ["TRRUST"]
    assert created.mode == Mode.REPRESSION and created.publications.count() == 8
    assert report.pairs_created == Interaction.objects.count() == len(report.missing_pairs)
    assert protein("MYC").target_count == 1  # the stored counts follow


def test_a_dry_run_writes_nothing_and_reports_what_would_change(human):
    interaction("MYC", "CDKN1A")
    report = import_mode_table(EXCERPT, human, dry_run=True, create_missing=True)
    assert report.statements_created > 8 and report.pairs_created > 0
    assert not Statement.objects.exists() and Interaction.objects.count() == 1
    assert not ModeTableRun.objects.exists()
    assert not interaction("MYC", "CDKN1A").publications.exists()


def test_the_number_of_queries_does_not_grow_with_the_rows(human, tmp_path):
    def queries(size, name):
        targets = [f"T{n}" for n in range(size)]
        first = Protein.objects.count()
        for n, symbol in enumerate(targets, start=first):
            Protein.objects.create(accession=f"Q{n:05d}", gene_name=f"{name}{symbol}", organism=human)
        interaction("MYC", "CDKN1A")
        rows = [f"MYC\t{name}{symbol}\tActivation\t{n + 1};{n + 2}" for n, symbol in enumerate(targets)]
        rows += ["MYC\tCDKN1A\tRepression\t7", "MYC\tNOTHERE\tUnknown\t8"]
        with CaptureQueriesContext(connection) as captured:
            import_mode_table(table(tmp_path, rows, f"{name}.tsv"), human, create_missing=True)
        Statement.objects.all().delete()
        Interaction.objects.all().delete()
        return len(captured)

    queries(2, "W")  # the source database and the caches are made once
    assert queries(5, "A") == queries(30, "B")


# The command.


def test_the_command_prints_a_summary_and_each_bad_row_and_fails_on_bad_rows(human):
    interaction("MYC", "CDKN1A")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 row"):
        call_command("import_modes", str(EXCERPT), organism="9606", stdout=out, stderr=err)
    assert f"{EXCERPT}:45: Sep-07 looks like a gene symbol" in err.getvalue()
    assert f"{EXCERPT}:50: malformed PubMed id '1724219e'" in err.getvalue()
    assert "statements created: 8" in out.getvalue()
    assert "interactions given evidence: 1" in out.getvalue()


def test_the_command_succeeds_on_a_clean_table_and_says_when_nothing_changed(human, tmp_path):
    interaction("AHR", "CYP1A1")
    path = table(tmp_path, ["AHR\tCYP1A1\tActivation\t1", "AHR\tNOTHERE\tUnknown\t2"])
    call_command("import_modes", str(path), organism="Homo sapiens", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_modes", str(path), organism="homo sapiens", stdout=out, stderr=io.StringIO())
    assert "Nothing changed." in out.getvalue()
    out = io.StringIO()
    call_command("import_modes", str(path), organism="9606", dry_run=True, stdout=out, stderr=io.StringIO())
    assert "Dry run: nothing was written." in out.getvalue()


def test_the_command_refuses_an_unknown_organism(db):
    with pytest.raises(CommandError, match="No organism"):
        call_command("import_modes", str(EXCERPT), organism="Homo erectus")


# The admin upload.

UPLOAD = "admin:proteins_modetablerun_upload"


def test_the_upload_is_refused_to_curators_and_linked_for_staff_who_may_import(human, curator):
    assert signed_in(curator).get(reverse(UPLOAD)).status_code == 403
    visitor = User.objects.create_user("vic", password="visitor-pass-1234")
    assert signed_in(visitor).get(reverse(UPLOAD)).status_code == 302  # to the admin's login
    importer = staff("ida", permissions=["add_modetablerun", "view_statement"])
    page = signed_in(importer).get(reverse("admin:proteins_statement_changelist"))
    assert reverse(UPLOAD) in page.content.decode()


def test_the_upload_previews_a_dry_run_then_imports_on_confirmation(human):
    interaction("MYC", "CDKN1A")
    client = signed_in(staff("ida", permissions=["add_modetablerun"]), enforce_csrf_checks=True)
    form = client.get(reverse(UPLOAD))
    token = form.cookies["csrftoken"].value
    data = {"organism": human.pk, "file": io.BytesIO(EXCERPT.read_bytes()), "csrfmiddlewaretoken": token}
    data["file"].name = "trrust.tsv"
    preview = client.post(reverse(UPLOAD), data)
    text = preview.content.decode()
    assert "Dry run: nothing has been written." in text
    assert "trrust.tsv:50: malformed PubMed id" in text
    assert not Statement.objects.exists()
    staged = preview.context["staged"]
    other = signed_in(staff("oda", permissions=["add_modetablerun"]))
    refused = other.post(reverse(UPLOAD), {"staged": staged}, follow=True)
    assert "This table is no longer waiting" in refused.content.decode()  # not previewed by this user
    queued = client.post(reverse(UPLOAD), {"staged": staged, "csrfmiddlewaretoken": token})
    assert not staged_path(staged).exists()  # no longer waiting for a confirmation: the job holds it
    run_queued_jobs()
    done = client.get(queued.url)
    assert "trrust.tsv" in done.content.decode()
    assert "statements created: 8" in done.content.decode()
    assert reverse("admin:proteins_modetablerun_change", args=[ModeTableRun.objects.get().pk]) in done.content.decode()
    assert Statement.objects.count() == 8
    assert ModeTableRun.objects.get().user.username == "ida"
    assert {record.history_user.username for record in Statement.history.all()} == {"ida"}


def test_the_upload_keeps_csrf_protection(human):
    client = signed_in(staff("ida", permissions=["add_modetablerun"]), enforce_csrf_checks=True)
    upload = io.BytesIO(EXCERPT.read_bytes())
    upload.name = "trrust.tsv"
    assert client.post(reverse(UPLOAD), {"organism": human.pk, "file": upload}).status_code == 403
