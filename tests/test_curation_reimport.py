"""Re-importing pages after curation: curators win, and what the pages add waits for their decision."""

import shutil

import pytest
from django.contrib.auth.models import Group, User

from curation import workflow
from curation.models import CurationEvent, PendingSourceChange
from proteins.importing.run import import_pages
from proteins.models import ImportRecord, ImportRun, Interaction

pytestmark = pytest.mark.django_db

Status = Interaction.Status
MITF = ("O75030", "P49335")
TRPS1 = ("Q9UHF7", "P49335")
PBX3 = ("P40426", "P49335")
# The rows of POU3F4's page (P49335.md) before and after the source changed them.
ROW_CHANGES = {
    "MITF,O75030,4286,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No": (
        "MITF,O75030,4286,GTRD;ReMap,chromatin immunoprecipitation assay,27924024%5Buid%5D+OR+11111111%5Buid%5D,Yes"
    ),
    "TRPS1,Q9UHF7,7227,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No": (
        "TRPS1,Q9UHF7,7227,GTRD;ORegAnno,chromatin immunoprecipitation assay,27924024%5Buid%5D,No"
    ),
    "PBX3,P40426,5090,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No": (
        "PBX3,P40426,5090,GTRD;ReMap,chromatin immunoprecipitation assay,27924024%5Buid%5D,Yes"
    ),
}


def user(name, role):
    person = User.objects.create_user(name, password="curation-pass-1234")
    person.groups.add(Group.objects.get(name=role))
    return person


def interaction(pair):
    return Interaction.objects.get(tf__accession=pair[0], target__accession=pair[1])


def evidence(pair):
    found = interaction(pair)
    return {
        "sources": sorted(found.source_databases.values_list("name", flat=True)),
        "methods": sorted(found.detection_methods.values_list("name", flat=True)),
        "pmids": sorted(found.publications.values_list("pmid", flat=True)),
        "small_scale": found.small_scale,
    }


def pending(pair):
    return PendingSourceChange.objects.get(interaction=interaction(pair))


@pytest.fixture
def curator():
    return user("curie", "curator")


@pytest.fixture
def reviewer():
    return user("rosalind", "reviewer")


@pytest.fixture
def page(fixture_pages, tmp_path):
    """POU3F4's page in a folder of its own, imported."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(fixture_pages / "P49335.md", folder / "P49335.md")
    report = import_pages([folder])
    assert report.pages_created == 1
    return folder / "P49335.md"


@pytest.fixture
def curated(page, curator, reviewer):
    """MITF -> POU3F4 approved; TRPS1 -> POU3F4's evidence edited by a curator; PBX3 -> POU3F4 untouched."""
    workflow.approve(interaction(MITF), reviewer)
    trps1 = interaction(TRPS1)
    workflow.edit_evidence(
        trps1,
        curator,
        trps1.version,
        source_databases=["GTRD"],
        detection_methods=["ChIP-seq"],
        pmids=[27924024, 99999],
        small_scale=False,
        reason="the peak is in the second intron",
    )
    return {pair: (interaction(pair).status, interaction(pair).version, evidence(pair)) for pair in (MITF, TRPS1)}


def change_the_page(page):
    text = page.read_text()
    for old, new in ROW_CHANGES.items():
        assert old in text
        text = text.replace(old, new)
    page.write_text(text)


@pytest.fixture
def reimported(curated, page):
    change_the_page(page)
    report = import_pages([page.parent])
    assert (report.pages_updated, report.pages_failed) == (1, 0)
    return report


def test_reimport_keeps_the_reviewer_decision_and_the_curator_edit(curated, reimported):
    for pair in (MITF, TRPS1):
        status, version, held = curated[pair]
        assert (interaction(pair).status, interaction(pair).version, evidence(pair)) == (status, version, held)
    assert interaction(TRPS1).last_edited_by.username == "curie"
    assert reimported.source_changes_held == 2


def test_reimport_holds_what_the_pages_add_to_a_reviewed_interaction(reimported):
    change = pending(MITF)

    assert (change.source_databases, change.detection_methods, change.pmids, change.small_scale) == (
        ["ReMap"],
        [],
        [11111111],
        True,
    )
    assert change.decision == PendingSourceChange.Decision.PENDING
    assert change.describe() == "adds sources: ReMap; PubMed: 11111111; small-scale evidence"


def test_reimport_holds_what_the_pages_add_to_an_edited_interaction_including_what_the_curator_removed(reimported):
    change = pending(TRPS1)

    assert (change.source_databases, change.detection_methods, change.pmids, change.small_scale) == (
        ["ORegAnno"],
        ["chromatin immunoprecipitation assay"],
        [],
        False,
    )


def test_held_changes_are_linked_to_the_page_record_of_the_import(reimported):
    run = ImportRun.objects.latest("started_at")
    record = run.records.get()

    assert (record.path.endswith("P49335.md"), record.outcome) == (True, ImportRecord.Outcome.UPDATED)
    assert {change.import_record for change in PendingSourceChange.objects.all()} == {record}
    assert set(record.pending_changes.values_list("interaction__tf__accession", flat=True)) == {MITF[0], TRPS1[0]}


def test_reimport_updates_unreviewed_interactions_freely(reimported):
    pbx3 = interaction(PBX3)

    assert evidence(PBX3)["sources"] == ["GTRD", "ReMap"]
    assert evidence(PBX3)["small_scale"] is True
    assert (pbx3.status, pbx3.version, pbx3.last_edited_by) == (Status.UNREVIEWED, 2, None)
    assert not PendingSourceChange.objects.filter(interaction=pbx3).exists()


def test_accepting_a_held_change_applies_it_and_sends_the_approved_interaction_back_to_flagged(
    reimported, curator, curated
):
    _status, version, _held = curated[MITF]

    workflow.decide_source_change(pending(MITF), curator, accept=True)

    assert evidence(MITF) == {
        "sources": ["GTRD", "ReMap"],
        "methods": ["chromatin immunoprecipitation assay"],
        "pmids": [11111111, 27924024],
        "small_scale": True,
    }
    accepted = interaction(MITF)
    assert (accepted.status, accepted.version, accepted.last_edited_by) == (Status.FLAGGED, version + 1, curator)
    assert pending(MITF).decision == PendingSourceChange.Decision.ACCEPTED
    event = CurationEvent.objects.get(interaction=accepted, action=CurationEvent.Action.ACCEPT_SOURCE)
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        curator,
        Status.APPROVED,
        Status.FLAGGED,
        pending(MITF).describe(),
    )


def test_dismissing_a_held_change_leaves_the_curated_evidence(reimported, curator, curated):
    workflow.decide_source_change(pending(TRPS1), curator, accept=False)

    assert evidence(TRPS1) == curated[TRPS1][2]
    assert interaction(TRPS1).version == curated[TRPS1][1]
    assert pending(TRPS1).decision == PendingSourceChange.Decision.DISMISSED


def test_reimporting_the_same_pages_again_holds_nothing_more(reimported, page):
    report = import_pages([page.parent])

    assert (report.pages_unchanged, report.source_changes_held) == (1, 0)
    assert PendingSourceChange.objects.count() == 2


def test_a_changed_page_does_not_propose_a_waiting_or_dismissed_change_again(reimported, page, curator):
    workflow.decide_source_change(pending(TRPS1), curator, accept=False)
    page.write_text(page.read_text().replace("POU3F4", "POU3F4 ", 1))  # some other change to the page

    import_pages([page.parent])

    assert PendingSourceChange.objects.filter(interaction=interaction(TRPS1)).count() == 1
    assert PendingSourceChange.objects.filter(interaction=interaction(MITF)).count() == 1
    assert PendingSourceChange.objects.count() == 2


@pytest.mark.parametrize("act", ["flag", "reject"])
def test_flagged_and_rejected_interactions_are_kept_too(page, curator, reviewer, act):
    if act == "flag":
        workflow.flag(interaction(PBX3), curator, "check")
    else:
        workflow.reject(interaction(PBX3), reviewer, "no support")
    before = (interaction(PBX3).status, evidence(PBX3))

    change_the_page(page)
    import_pages([page.parent])

    assert (interaction(PBX3).status, evidence(PBX3)) == before
    assert pending(PBX3).source_databases == ["ReMap"]
