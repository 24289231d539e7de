"""Curation in the staff admin: acts on selections, locked edits, the curation record, spreadsheets, uploads."""

import csv
import html
import io
import re
import zipfile

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import workflow
from curation.models import Comment, CurationEvent, PendingSourceChange
from proteins import admin as proteins_admin
from proteins.importing.run import import_pages
from proteins.models import (
    DetectionMethod,
    ImportRecord,
    ImportRun,
    Interaction,
    Organism,
    Protein,
    SourceDatabase,
)
from proteins.resources import InteractionResource, ProteinResource

Status = Interaction.Status
CHANGELIST = "admin:proteins_interaction_changelist"
UPLOAD = "admin:proteins_importrun_upload"
FORMATS = {"csv": "0", "tsv": "1", "xlsx": "2"}
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
DOMAIN_TABLE = re.compile(r'"(proteins|curation)_\w+"')


@pytest.fixture
def imported(db, fixture_pages):
    report = import_pages([fixture_pages])
    assert not report.failures
    return report


def staff(username, *groups, permissions=()):
    user = User.objects.create_user(username, password="staff-pass-1234", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return user


def signed_in(user, **client_options):
    client = Client(**client_options)
    client.force_login(user)
    return client


@pytest.fixture
def curator(db):
    return staff("curie", "curator")


@pytest.fixture
def reviewer(db):
    return staff("rosalind", "reviewer")


@pytest.fixture
def plain_staff(db):
    return staff("helper", permissions=["view_interaction"])


def interactions_of(accession, count):
    """``count`` interactions whose target is ``accession``, in a stable order."""
    return list(Interaction.objects.filter(target__accession=accession).order_by("pk")[:count])


def mitf():
    """MITF -> POU3F4: GTRD, chromatin immunoprecipitation assay, PubMed 27924024, no small-scale evidence."""
    return Interaction.objects.get(tf__accession="O75030", target__accession="P49335")


def statuses(interactions):
    return [Interaction.objects.get(pk=interaction.pk).status for interaction in interactions]


def act(client, action, interactions, **data):
    """POST a changelist action on ``interactions``, as the action bar sends it (``index``) or its confirmation."""
    data = {"action": action, "_selected_action": [i.pk for i in interactions], **data}
    return client.post(reverse(CHANGELIST), data)


def text_of(response):
    """The page as a reader sees its text: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


def shown_messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def action_names(client):
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


# Curation acts on a selection.


def test_curator_is_asked_for_a_reason_then_flags_the_selection(imported, curator):
    client = signed_in(curator)
    chosen = interactions_of("P49335", 2)

    question = act(client, "flag_selected", chosen, index=0)

    assert question.status_code == 200
    page = text_of(question)
    assert "Reason to flag" in page
    assert all(str(interaction.tf.gene_name) in page for interaction in chosen)
    assert 'name="csrfmiddlewaretoken"' in page
    assert statuses(chosen) == [Status.UNREVIEWED] * 2

    done = act(client, "flag_selected", chosen, apply="yes", reason="ChIP peak far from the gene")

    assert done.status_code == 302
    assert statuses(chosen) == [Status.FLAGGED] * 2
    events = CurationEvent.objects.filter(interaction__in=chosen)
    assert {(e.actor, e.action, e.reason) for e in events} == {(curator, "flag", "ChIP peak far from the gene")}
    assert "Flagged 2 interactions." in shown_messages(done)


@pytest.mark.parametrize("action", ["flag", "reject", "reopen"])
def test_an_act_that_needs_a_reason_is_refused_without_one(imported, reviewer, action):
    client = signed_in(reviewer)
    chosen = interactions_of("P49335", 1)
    if action == "reopen":
        workflow.approve(chosen[0], staff("other", "reviewer"))
    before = statuses(chosen)

    response = act(client, f"{action}_selected", chosen, apply="yes", reason="   ")

    assert response.status_code == 200
    assert f"A reason is required to {action} interactions." in text_of(response)
    assert statuses(chosen) == before


def test_reviewer_approves_and_rejects_with_the_reason_recorded(imported, reviewer):
    client = signed_in(reviewer)
    first, second = interactions_of("P49335", 2)

    act(client, "approve_selected", [first], index=0)
    act(client, "reject_selected", [second], apply="yes", reason="not in the cited paper")

    assert statuses([first, second]) == [Status.APPROVED, Status.REJECTED]
    assert CurationEvent.objects.get(interaction=second).reason == "not in the cited paper"


def test_reviewer_reopens_a_decided_interaction(imported, reviewer):
    chosen = interactions_of("P49335", 1)
    workflow.reject(chosen[0], staff("other", "reviewer"), "doubtful")

    act(signed_in(reviewer), "reopen_selected", chosen, apply="yes", reason="new evidence")

    assert statuses(chosen) == [Status.FLAGGED]


def test_refused_items_are_listed_with_their_reasons_and_the_others_done(imported, reviewer, curator):
    fresh, decided, own_edit = interactions_of("P49335", 3)
    workflow.approve(decided, staff("other", "reviewer"))
    workflow.edit_evidence(
        own_edit,
        reviewer,
        own_edit.version,
        source_databases=["GTRD"],
        detection_methods=["ChIP-seq"],
        pmids=[27924024],
        small_scale=False,
    )

    response = act(signed_in(reviewer), "approve_selected", [fresh, decided, own_edit], index=0)

    assert statuses([fresh, decided, own_edit]) == [Status.APPROVED, Status.APPROVED, Status.UNREVIEWED]
    done, refused = shown_messages(response)
    assert done == "Approved 1 interaction."
    assert "Left 2 interactions unchanged" in refused
    assert f"{decided}: An approved interaction cannot be approved." in refused
    assert f"{own_edit}: You edited this interaction last: another reviewer must approve it." in refused


def test_curator_is_offered_flag_only_and_cannot_approve(imported, curator):
    client = signed_in(curator)
    chosen = interactions_of("P49335", 1)

    assert action_names(client) == {"flag_selected"}
    response = act(client, "approve_selected", chosen, index=0)

    assert statuses(chosen) == [Status.UNREVIEWED]
    assert "No action selected." in shown_messages(response)


def test_reviewer_is_offered_every_curation_act(imported, reviewer):
    assert action_names(signed_in(reviewer)) == {
        "flag_selected",
        "approve_selected",
        "reject_selected",
        "reopen_selected",
    }


@pytest.mark.parametrize("action", ["flag_selected", "approve_selected"])
def test_staff_without_a_curation_role_can_list_but_not_act(imported, plain_staff, action):
    client = signed_in(plain_staff)
    chosen = interactions_of("P49335", 1)

    assert action_names(client) == set()
    act(client, action, chosen, index=0)
    act(client, action, chosen, apply="yes", reason="because")

    assert statuses(chosen) == [Status.UNREVIEWED]
    assert not CurationEvent.objects.exists()


def test_a_selection_over_the_limit_is_refused_whole(imported, reviewer, monkeypatch):
    monkeypatch.setattr(proteins_admin, "MAX_CURATION_SELECTION", 2)
    chosen = interactions_of("P49335", 3)

    response = act(signed_in(reviewer), "approve_selected", chosen, index=0)

    assert statuses(chosen) == [Status.UNREVIEWED] * 3
    assert "Select at most 2 interactions" in shown_messages(response)[0]


def test_the_confirmation_of_an_act_needs_the_csrf_token(imported, curator):
    chosen = interactions_of("P49335", 1)

    response = act(signed_in(curator, enforce_csrf_checks=True), "flag_selected", chosen, apply="yes", reason="x")

    assert response.status_code == 403
    assert statuses(chosen) == [Status.UNREVIEWED]


# The change form: evidence only, never over someone else's change.


def change_url(interaction):
    return reverse("admin:proteins_interaction_change", args=[interaction.pk])


def evidence_form(interaction, **changes):
    form = {
        "seen_version": interaction.version,
        "source_databases": [s.pk for s in interaction.source_databases.all()],
        "detection_methods": [m.pk for m in interaction.detection_methods.all()],
        "publications": ",".join(str(p.pmid) for p in interaction.publications.all()),
    }
    if interaction.small_scale:
        form["small_scale"] = "on"
    form.update(changes)
    return form


def test_status_is_shown_but_not_editable_on_the_change_form(admin_client, imported):
    interaction = interactions_of("P49335", 1)[0]

    page = admin_client.get(change_url(interaction)).content.decode()

    assert 'name="status"' not in page
    assert 'name="tf"' not in page
    assert 'name="seen_version"' in page
    assert "unreviewed" in page
    assert "curation acts" in page


def test_a_stale_change_form_is_refused_with_the_current_values(admin_client, imported, reviewer):
    interaction = mitf()
    form = evidence_form(interaction, publications="29126285")  # opened at version 1
    workflow.reject(interaction, reviewer, "no binding site")  # meanwhile: version 2

    response = admin_client.post(change_url(interaction), form)

    assert response.status_code == 200
    page = text_of(response)
    assert "Someone else changed this interaction since you opened it" in page
    assert "you edited version 1, it is now version 2" in page
    assert "status rejected" in page
    assert "PubMed ids: 27924024" in page
    interaction.refresh_from_db()
    assert (interaction.version, interaction.status, interaction.last_edited_by) == (2, Status.REJECTED, None)
    assert list(interaction.publications.values_list("pmid", flat=True)) == [27924024]


def test_a_change_between_the_check_and_the_save_is_refused_by_the_workflow(admin_client, imported, monkeypatch):
    interaction = mitf()

    def changed_meanwhile(*args, **kwargs):
        raise workflow.ConcurrentEdit("Someone else changed this interaction.", interaction)

    monkeypatch.setattr(workflow, "edit_evidence", changed_meanwhile)
    response = admin_client.post(change_url(interaction), evidence_form(interaction, publications="29126285"))

    assert response.status_code == 302
    assert "Someone else changed this interaction." in shown_messages(response)
    assert list(Interaction.objects.get(pk=interaction.pk).publications.values_list("pmid", flat=True)) == [27924024]


def test_an_evidence_edit_in_the_admin_is_a_curator_edit_the_import_keeps(admin_client, imported, fixture_pages):
    interaction = mitf()

    admin_client.post(change_url(interaction), evidence_form(interaction, publications="29126285"))

    interaction.refresh_from_db()
    assert workflow.is_curated(interaction.status, interaction.last_edited_by_id)
    assert CurationEvent.objects.get(interaction=interaction).action == CurationEvent.Action.EDIT
    assert interaction.history.count() >= 2


def test_staff_who_may_change_interactions_but_is_no_curator_cannot_edit_evidence(imported):
    user = staff("editor", permissions=["view_interaction", "change_interaction"])
    interaction = mitf()

    response = signed_in(user).post(change_url(interaction), evidence_form(interaction, publications="29126285"))

    assert response.status_code == 200
    assert "Only a curator may edit" in text_of(response)
    assert Interaction.objects.get(pk=interaction.pk).version == 1


def test_an_admin_edit_of_an_approved_interaction_sends_it_back_to_flagged_with_the_reason(
    admin_client, imported, reviewer
):
    interaction = mitf()
    workflow.approve(interaction, reviewer)
    form = evidence_form(interaction, publications="27924024,29126285", reason="PMID 29126285 shows the peak")

    response = admin_client.post(change_url(interaction), form)

    assert response.status_code == 302
    interaction.refresh_from_db()
    assert (interaction.status, interaction.last_edited_by.username) == (Status.FLAGGED, "admin")
    event = interaction.curation_events.first()
    assert (event.action, event.from_status, event.to_status, event.reason) == (
        CurationEvent.Action.EDIT,
        Status.APPROVED,
        Status.FLAGGED,
        "PMID 29126285 shows the peak",
    )


def test_an_admin_edit_of_a_rejected_interaction_without_a_reason_is_refused_on_the_form(
    admin_client, imported, reviewer
):
    interaction = mitf()
    workflow.reject(interaction, reviewer, "no peak")

    response = admin_client.post(change_url(interaction), evidence_form(interaction, publications="29126285"))

    assert response.status_code == 200
    assert (
        "A rejected interaction goes back to flagged when its evidence changes: give the reviewers a reason."
        in text_of(response)
    )
    interaction.refresh_from_db()
    assert (interaction.status, interaction.version, interaction.last_edited_by) == (Status.REJECTED, 2, None)
    assert list(interaction.publications.values_list("pmid", flat=True)) == [27924024]


def test_an_interaction_entered_in_the_admin_is_a_curation_act_of_its_author(admin_client, imported):
    tf = Protein.objects.get(accession="O75030")
    target = Protein.objects.create(accession="Q9ZZZ1", gene_name="NEW1", organism=tf.organism)
    form = {"tf": tf.pk, "target": target.pk, "organism": tf.organism_id, "seen_version": "", "reason": "Table 2"}

    response = admin_client.post(reverse("admin:proteins_interaction_add"), form)

    assert response.status_code == 302
    entered = Interaction.objects.get(tf=tf, target=target)
    event = entered.curation_events.get()
    assert (entered.last_edited_by.username, event.actor.username, event.action, event.reason) == (
        "admin",
        "admin",
        CurationEvent.Action.EDIT,
        "Table 2",
    )


def test_history_is_shown_but_cannot_be_reverted(admin_client, imported, reviewer):
    interaction = interactions_of("P49335", 1)[0]
    workflow.flag(interaction, reviewer, "check the peak")
    record = interaction.history.earliest()

    history = admin_client.get(reverse("admin:proteins_interaction_history", args=[interaction.pk]))
    revert_url = reverse("admin:proteins_interaction_simple_history", args=[interaction.pk, record.history_id])
    revert = admin_client.post(revert_url, evidence_form(interaction))

    assert history.status_code == 200
    assert "flag: check the peak" in text_of(history)
    assert revert.status_code == 403
    assert Interaction.objects.get(pk=interaction.pk).status == Status.FLAGGED


# The curation record, read-only.


@pytest.fixture
def curation_record(imported, curator, reviewer):
    first, second = interactions_of("P49335", 2)
    workflow.flag(first, curator, "odd")
    workflow.add_comment(first, curator, "see the 2019 paper")
    change = PendingSourceChange.objects.create(interaction=second, source_databases=["ReMap"], pmids=[11111111])
    return {"event": CurationEvent.objects.get(), "comment": Comment.objects.get(), "change": change}


@pytest.mark.parametrize("kind", ["event", "comment", "change"])
def test_curation_records_can_be_read_but_not_added_changed_or_deleted(admin_client, curation_record, kind):
    record = curation_record[kind]
    name = f"admin:curation_{record._meta.model_name}"

    page = admin_client.get(reverse(f"{name}_change", args=[record.pk]))

    assert page.status_code == 200
    assert 'name="_save"' not in text_of(page)
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_change", args=[record.pk]), {}).status_code == 403
    assert admin_client.get(reverse(f"{name}_delete", args=[record.pk])).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("kind", ["event", "comment", "change"])
def test_curation_records_are_found_by_tf_or_target_accession(admin_client, curation_record, kind):
    record = curation_record[kind]
    url = reverse(f"admin:curation_{record._meta.model_name}_changelist")

    by_tf = admin_client.get(url, {"q": record.interaction.tf.accession}).context["cl"].result_list
    by_target = admin_client.get(url, {"q": "P49335"}).context["cl"].result_list
    by_other = admin_client.get(url, {"q": "Q07812"}).context["cl"].result_list

    assert list(by_tf) == [record]
    assert list(by_target) == [record]
    assert list(by_other) == []


def test_curation_event_list_filters_by_action(admin_client, curation_record):
    url = reverse("admin:curation_curationevent_changelist")

    assert len(admin_client.get(url, {"action__exact": "flag"}).context["cl"].result_list) == 1
    assert len(admin_client.get(url, {"action__exact": "approve"}).context["cl"].result_list) == 0


def test_curator_accepts_a_pending_source_change_from_the_admin(curation_record, curator):
    change = curation_record["change"]

    response = signed_in(curator).post(
        reverse("admin:curation_pendingsourcechange_changelist"),
        {"action": "accept_selected", "_selected_action": [change.pk], "index": 0},
    )

    change.refresh_from_db()
    assert change.decision == PendingSourceChange.Decision.ACCEPTED
    assert "ReMap" in change.interaction.source_databases.values_list("name", flat=True)
    assert 11111111 in change.interaction.publications.values_list("pmid", flat=True)
    assert "Accepted 1 source change." in shown_messages(response)


def test_dismissing_a_source_change_leaves_the_evidence_and_a_second_decision_is_refused(curation_record, curator):
    change = curation_record["change"]
    url = reverse("admin:curation_pendingsourcechange_changelist")
    client = signed_in(curator)

    client.post(url, {"action": "dismiss_selected", "_selected_action": [change.pk], "index": 0})
    again = client.post(url, {"action": "accept_selected", "_selected_action": [change.pk], "index": 0})

    change.refresh_from_db()
    assert change.decision == PendingSourceChange.Decision.DISMISSED
    assert "ReMap" not in change.interaction.source_databases.values_list("name", flat=True)
    assert any("This source change was already dismissed." in message for message in shown_messages(again))


def test_staff_without_a_curation_role_cannot_decide_source_changes(curation_record):
    change = curation_record["change"]
    client = signed_in(staff("helper", permissions=["view_pendingsourcechange"]))

    client.post(
        reverse("admin:curation_pendingsourcechange_changelist"),
        {"action": "accept_selected", "_selected_action": [change.pk], "index": 0},
    )

    assert PendingSourceChange.objects.get(pk=change.pk).decision == PendingSourceChange.Decision.PENDING


# Spreadsheets: export what the database holds; import within the curation rules.


def export(client, model, file_format):
    return read_table(exported_file(client, model, file_format), file_format)


def exported_file(client, model, file_format):
    resource = f"{model._meta.model_name}resource"
    fields = (InteractionResource if model is Interaction else ProteinResource).Meta.fields
    data = {"format": FORMATS[file_format], "resource": "0", **{f"{resource}_{name}": "on" for name in fields}}
    response = client.post(reverse(f"admin:proteins_{model._meta.model_name}_export"), data)
    assert response.status_code == 200, response.content[:2000]
    return response.content


def read_table(content, file_format):
    if file_format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    else:
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if file_format == "tsv" else ","))
    return rows[0], rows[1:]


def interaction_rows():
    rows = []
    for i in Interaction.objects.with_evidence().order_by("pk"):
        rows.append(
            [
                i.tf.accession,
                i.target.accession,
                i.tf.gene_name,
                i.target.gene_name,
                i.organism.name,
                ";".join(s.name for s in i.source_databases.all()),
                ";".join(m.name for m in i.detection_methods.all()),
                ";".join(str(p.pmid) for p in i.publications.all()),
                "Yes" if i.small_scale else "No",
                i.status,
                str(i.version),
            ]
        )
    return rows


@pytest.mark.parametrize("file_format", ["csv", "tsv", "xlsx"])
def test_interaction_export_rows_equal_the_database(admin_client, imported, reviewer, file_format):
    workflow.approve(interactions_of("P49335", 1)[0], reviewer)

    header, rows = export(admin_client, Interaction, file_format)

    assert header[:2] == ["tf_accession", "target_accession"]
    assert "status" in header and "pubmed_ids" in header
    assert rows == interaction_rows()
    assert len(rows) == Interaction.objects.count() == 919


@pytest.mark.parametrize("file_format", ["csv", "tsv", "xlsx"])
def test_protein_export_rows_equal_the_database(admin_client, imported, file_format):
    header, rows = export(admin_client, Protein, file_format)

    expected = [
        [
            p.accession,
            p.gene_name,
            ";".join(str(g.gene_id) for g in p.gene_ids.all()),
            p.organism.name,
            str(p.organism.taxon_id),
            ";".join(p.jaspar_matrices),
            "" if p.reported_interaction_count is None else str(p.reported_interaction_count),
            p.provenance,
        ]
        for p in Protein.objects.select_related("organism").prefetch_related("gene_ids").order_by("pk")
    ]
    assert header == [
        "accession",
        "gene_name",
        "ncbi_gene_ids",
        "organism",
        "taxon_id",
        "jaspar_matrices",
        "reported_interaction_count",
        "provenance",
    ]
    assert rows == expected


def test_interaction_export_makes_as_many_queries_for_900_rows_as_for_10(imported):
    resource = InteractionResource()
    few = Interaction.objects.filter(pk__in=Interaction.objects.order_by("pk").values("pk")[:10])

    with CaptureQueriesContext(connection) as for_few:
        assert len(resource.export(few)) == 10
    with CaptureQueriesContext(connection) as for_all:
        assert len(resource.export(Interaction.objects.all())) == 919

    assert len(for_all.captured_queries) == len(for_few.captured_queries) <= 5


def test_export_is_refused_past_the_row_limit(admin_client, imported, monkeypatch):
    monkeypatch.setattr(proteins_admin.InteractionAdmin, "max_export_rows", 100)

    data = {"format": "0", "resource": "0", "interactionresource_tf_accession": "on"}
    response = admin_client.post(reverse("admin:proteins_interaction_export"), data)

    assert "More than 100 rows selected" in text_of(response)


# Imported names that a spreadsheet program would compute: MITF is "=1+2", its target "-2+3".
FORMULA_LIKE = {"=1+2", "-2+3", "@SUM(A1:A9)", "+3-1"}


@pytest.fixture
def formula_names(db):
    human = Organism.objects.get(name="Homo sapiens")
    tf = Protein.objects.create(accession="O75030", gene_name="=1+2", organism=human)
    target = Protein.objects.create(accession="P49335", gene_name="-2+3", organism=human)
    interaction = Interaction.objects.create(tf=tf, target=target, organism=human)
    interaction.source_databases.set([SourceDatabase.objects.create(name="@SUM(A1:A9)")])
    interaction.detection_methods.set([DetectionMethod.objects.create(name="+3-1")])
    return interaction


@pytest.mark.parametrize("model", [Interaction, Protein])
def test_xlsx_export_holds_formula_like_names_as_text_not_formulae(admin_client, formula_names, model):
    sheet = openpyxl.load_workbook(io.BytesIO(exported_file(admin_client, model, "xlsx"))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]

    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    shown = {cell.value for cell in cells}
    assert FORMULA_LIKE & shown == (FORMULA_LIKE if model is Interaction else {"=1+2", "-2+3"})


@pytest.mark.parametrize("file_format", ["csv", "tsv"])
def test_text_exports_neutralise_formulae_and_import_back_as_they_were(admin_client, formula_names, file_format):
    content = exported_file(admin_client, Interaction, file_format)
    _header, rows = read_table(content, file_format)

    assert [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@"))] == []
    assert rows[0][2:7] == ["'=1+2", "'-2+3", "Homo sapiens", "'@SUM(A1:A9)", "'+3-1"]

    sheet = SimpleUploadedFile(f"interactions.{file_format}", content)
    data = {"format": FORMATS[file_format], "resource": "0", "import_file": sheet}
    preview = admin_client.post(reverse("admin:proteins_interaction_import"), data)
    confirm(admin_client, preview)

    interaction = Interaction.objects.get(pk=formula_names.pk)
    assert list(interaction.source_databases.values_list("name", flat=True)) == ["@SUM(A1:A9)"]
    assert list(interaction.detection_methods.values_list("name", flat=True)) == ["+3-1"]
    assert (interaction.version, interaction.curation_events.count()) == (1, 0)  # unchanged: skipped


def test_downloads_and_the_api_give_formula_like_names_verbatim(client, formula_names):
    cache.clear()
    row = "O75030\tP49335\t-\t-\t=1+2\t-2+3\t+3-1\t-\tHomo sapiens\t@SUM(A1:A9)\tNo"

    download = client.get(reverse("proteins:organism_tsv", args=[9606]))
    api = client.get("/api/interactions/", {"tf": "O75030", "format": "tsv"})

    assert row in b"".join(download.streaming_content).decode().splitlines()
    assert row in b"".join(api.streaming_content).decode().splitlines()


def upload_sheet(client, rows, name="interactions.csv"):
    """The import's first step: a dry run with its preview; returns the response."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    data = {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, out.getvalue().encode())}
    return client.post(reverse("admin:proteins_interaction_import"), data)


def confirm(client, preview):
    assert preview.status_code == 200
    form = preview.context["confirm_form"]
    assert form is not None, preview.context["result"].invalid_rows
    return client.post(reverse("admin:proteins_interaction_process_import"), form.initial)


SHEET_HEADER = [
    "tf_accession",
    "target_accession",
    "source_databases",
    "detection_methods",
    "pubmed_ids",
    "small_scale",
]


def test_interaction_import_previews_then_creates_unreviewed_interactions(admin_client, imported):
    count = Interaction.objects.count()
    rows = [
        [*SHEET_HEADER, "status"],
        ["P49335", "Q07812", "TRRUST;NewDB", "inferred by curator", "PMID:12345;67890", "Yes", "approved"],
    ]

    preview = upload_sheet(admin_client, rows)

    assert Interaction.objects.count() == count  # the preview writes nothing
    assert "New" in text_of(preview)
    assert confirm(admin_client, preview).status_code == 302
    created = Interaction.objects.get(tf__accession="P49335", target__accession="Q07812")
    assert created.status == Status.UNREVIEWED  # status is exported, never imported
    assert created.organism.name == "Homo sapiens"
    assert sorted(created.source_databases.values_list("name", flat=True)) == ["NewDB", "TRRUST"]
    assert sorted(created.publications.values_list("pmid", flat=True)) == [12345, 67890]
    assert created.small_scale


def test_interaction_import_replaces_the_evidence_of_an_unreviewed_interaction(admin_client, imported):
    rows = [SHEET_HEADER, ["O75030", "P49335", "GTRD;ReMap", "chromatin immunoprecipitation assay", "27924024", "No"]]

    confirm(admin_client, upload_sheet(admin_client, rows))

    interaction = mitf()
    assert sorted(interaction.source_databases.values_list("name", flat=True)) == ["GTRD", "ReMap"]
    assert (interaction.version, interaction.status, interaction.last_edited_by.username) == (
        2,
        Status.UNREVIEWED,
        "admin",
    )


def test_a_reviewer_who_imported_a_spreadsheet_cannot_approve_what_it_changed(imported, reviewer):
    importer = staff("ida", "reviewer", permissions=["add_interaction", "change_interaction"])
    client = signed_in(importer)
    rows = [SHEET_HEADER, ["O75030", "P49335", "GTRD;ReMap", "chromatin immunoprecipitation assay", "27924024", "No"]]
    confirm(client, upload_sheet(client, rows, name="mitf.csv"))

    refused = act(client, "approve_selected", [mitf()], index=0)
    assert mitf().status == Status.UNREVIEWED
    approved = act(signed_in(reviewer), "approve_selected", [mitf()], index=0)

    why = f"{mitf()}: You edited this interaction last: another reviewer must approve it."
    assert any(why in message for message in shown_messages(refused))
    assert shown_messages(approved) == ["Approved 1 interaction."]
    assert mitf().status == Status.APPROVED
    edit = CurationEvent.objects.get(interaction=mitf(), action=CurationEvent.Action.EDIT)
    assert (edit.actor, edit.from_status, edit.to_status, edit.reason) == (
        importer,
        Status.UNREVIEWED,
        Status.UNREVIEWED,
        "spreadsheet import: mitf.csv, row 1",
    )


def test_interaction_import_skips_curated_interactions_and_says_so(admin_client, imported, reviewer):
    interaction = mitf()
    workflow.approve(interaction, reviewer)
    rows = [SHEET_HEADER, ["O75030", "P49335", "ReMap", "inferred by curator", "1", "Yes"]]

    preview = upload_sheet(admin_client, rows)
    assert "curated (approved)" in text_of(preview)
    done = confirm(admin_client, preview)

    interaction.refresh_from_db()
    assert list(interaction.source_databases.values_list("name", flat=True)) == ["GTRD"]
    assert (interaction.status, interaction.version, interaction.small_scale) == (Status.APPROVED, 2, False)
    assert any("curated (approved)" in message for message in shown_messages(done))


def test_interaction_import_refuses_a_row_exported_before_a_change(admin_client, imported, reviewer):
    interaction = mitf()
    rows = [[*SHEET_HEADER, "version"], ["O75030", "P49335", "ReMap", "inferred by curator", "1", "No", "3"]]

    preview = upload_sheet(admin_client, rows)

    assert preview.context.get("confirm_form") is None
    assert "exported at version 3" in text_of(preview)
    assert Interaction.objects.get(pk=interaction.pk).version == 1


def test_interaction_import_reports_an_unknown_protein_and_imports_nothing(admin_client, imported):
    rows = [SHEET_HEADER, ["P49335", "P99999", "GTRD", "", "", "No"]]

    preview = upload_sheet(admin_client, rows)

    assert preview.context.get("confirm_form") is None
    assert "no protein P99999 here" in text_of(preview)


def test_spreadsheet_import_needs_add_and_change_permission(imported, curator):
    client = signed_in(curator)

    assert client.get(reverse("admin:proteins_interaction_import")).status_code == 403
    assert client.post(reverse("admin:proteins_interaction_export"), {"format": "0"}).status_code != 403


def test_protein_import_creates_and_updates_by_accession(admin_client, imported):
    sheet = io.StringIO()
    csv.writer(sheet).writerows(
        [
            ["accession", "gene_name", "ncbi_gene_ids", "organism", "jaspar_matrices", "reported_interaction_count"],
            ["Q07812", "BAX", "581;582", "Homo sapiens", "MA0106.3", "12"],
            ["X9ZZZ9", "NCOA3", "8202", "Homo sapiens", "", ""],
        ]
    )
    data = {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("p.csv", sheet.getvalue().encode())}
    assert not Protein.objects.filter(accession="X9ZZZ9").exists()
    preview = admin_client.post(reverse("admin:proteins_protein_import"), data)
    assert not Protein.objects.filter(accession="X9ZZZ9").exists()

    admin_client.post(reverse("admin:proteins_protein_process_import"), preview.context["confirm_form"].initial)

    bax = Protein.objects.get(accession="Q07812")
    assert (bax.gene_name, bax.jaspar_matrices, bax.reported_interaction_count) == ("BAX", ["MA0106.3"], 12)
    assert sorted(bax.gene_ids.values_list("gene_id", flat=True)) == [581, 582]
    assert Protein.objects.get(accession="X9ZZZ9").organism == Organism.objects.get(name="Homo sapiens")


# Uploading pages: a preview first, then the same importer.


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def uploader(db):
    return staff("importer", permissions=["add_importrun"])


def page_file(fixture_pages, name, text=None):
    return SimpleUploadedFile(name, (text or (fixture_pages / name).read_text()).encode())


def zip_file(name, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def upload(client, *files):
    return client.post(reverse(UPLOAD), {"files": list(files)})


def confirm_upload(client, preview, button="confirm"):
    assert preview.context["stage"] == "preview"
    return client.post(reverse(UPLOAD), {"token": preview.context["upload"].token, button: "yes"})


def domain_rows():
    return {
        "proteins": Protein.objects.count(),
        "interactions": Interaction.objects.count(),
        "runs": ImportRun.objects.count(),
        "records": ImportRecord.objects.count(),
    }


def test_upload_of_pages_previews_a_dry_run_then_imports_on_confirmation(db, fixture_pages, uploader):
    client = signed_in(uploader)
    files = [page_file(fixture_pages, name) for name in ("Q07812.md", "tfs_of_Q07812.tsv", "P09022.md")]

    with CaptureQueriesContext(connection) as queries:
        preview = upload(client, *files)

    assert preview.status_code == 200
    page = text_of(preview)
    assert "Dry run: nothing has been written." in page
    report = preview.context["report"]
    assert (report.pages_read, report.pages_created, report.pages_failed) == (2, 2, 0)
    assert report.interactions_created > 100  # the download table's rows beyond the page's first 100
    assert domain_rows() == {"proteins": 0, "interactions": 0, "runs": 0, "records": 0}
    writes = [q["sql"] for q in queries.captured_queries if WRITE_SQL.match(q["sql"])]
    assert not [sql for sql in writes if DOMAIN_TABLE.search(sql)]

    done = confirm_upload(client, preview)

    assert done.status_code == 200
    assert done.context["stage"] == "report"
    run = ImportRun.objects.get()
    assert run.user == uploader
    assert run.paths.splitlines() == ["Q07812.md", "tfs_of_Q07812.tsv", "P09022.md"]
    assert (run.pages_created, run.pages_failed) == (2, 0)
    bax = Protein.objects.get(accession="Q07812")
    assert run.records.get(path="Q07812.md").protein == bax
    assert reverse("admin:proteins_protein_change", args=[bax.pk]) in text_of(done)
    assert bax.interactions_as_target.count() == report.interactions_created - 1


def test_upload_of_a_zip_imports_its_pages_and_tables_and_leaves_out_other_files(db, fixture_pages, uploader):
    client = signed_in(uploader)
    members = {
        f"TFLink pages/{name}": (fixture_pages / name).read_text() for name in ("Q07812.md", "tfs_of_Q07812.tsv")
    }
    members |= {"TFLink pages/README.txt": "notes", "__MACOSX/TFLink pages/._Q07812.md": "junk", "x/Q0 7812.md": ""}

    preview = upload(client, zip_file("tflink.zip", members))

    assert preview.context["upload"].ignored == [
        ("tflink.zip/TFLink pages/README.txt", "not a page (.md) or download table (.tsv)"),
        ("tflink.zip/__MACOSX/TFLink pages/._Q07812.md", "hidden or system file"),
        ("tflink.zip/x/Q0 7812.md", "a file name may hold letters, digits, '_', '.' and '-' only"),
    ]
    assert preview.context["report"].pages_created == 1
    confirm_upload(client, preview)
    run = ImportRun.objects.get()
    assert run.paths == "tflink.zip"
    assert [record.path for record in run.records.all()] == ["tflink.zip/TFLink pages/Q07812.md"]
    assert Protein.objects.get(accession="Q07812").interactions_as_target.count() > 100


def test_a_bad_page_is_reported_with_its_file_field_and_row_and_the_good_ones_imported(db, fixture_pages, uploader):
    client = signed_in(uploader)
    good = "MITF,O75030,4286,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No"
    bad_text = (fixture_pages / "P49335.md").read_text().replace(good, good.removesuffix("No") + "Maybe")

    preview = upload(client, page_file(fixture_pages, "P49335.md", bad_text), page_file(fixture_pages, "P09022.md"))

    (failure,) = preview.context["report"].failures
    assert (failure.path, failure.field, failure.row) == ("P49335.md", "tfs", 2)
    assert "small-scale evidence must be" in text_of(preview)
    done = confirm_upload(client, preview)
    run = ImportRun.objects.get()
    assert (run.pages_created, run.pages_failed) == (1, 1)
    assert run.records.get(outcome="failed").message.startswith("P49335.md (field 'tfs', row 2)")
    assert "P49335.md" in text_of(done)
    assert not Protein.objects.filter(accession="P49335").exists()


@pytest.mark.parametrize("member", ["../evil.md", "/etc/evil.md", "pages/../../evil.md", "C:/evil.md"])
def test_a_zip_member_outside_its_folder_refuses_the_whole_upload(db, fixture_pages, uploader, upload_dir, member):
    members = {"P09022.md": (fixture_pages / "P09022.md").read_text(), member: "---\n"}

    response = upload(signed_in(uploader), zip_file("evil.zip", members))

    assert response.context["stage"] == "form"
    assert "points outside the archive's folder" in text_of(response)
    assert list(upload_dir.iterdir()) == []
    assert not (upload_dir.parent / "evil.md").exists()
    assert domain_rows()["runs"] == 0


def test_files_over_the_size_limits_are_refused(db, fixture_pages, uploader, settings, upload_dir):
    client = signed_in(uploader)
    settings.IMPORT_MAX_PAGE_BYTES = 1000

    per_file = upload(client, page_file(fixture_pages, "Q07812.md"))
    settings.IMPORT_MAX_PAGE_BYTES = 10_000_000
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    in_total = upload(client, zip_file("pages.zip", {"Q07812.md": (fixture_pages / "Q07812.md").read_text()}))

    assert "Q07812.md is 12.5 kB; the limit per file is 1.0 kB." in text_of(per_file)
    assert "The upload is larger than 1.0 kB (at pages.zip/Q07812.md)." in text_of(in_total)
    assert list(upload_dir.iterdir()) == []


def test_only_pages_tables_and_zips_are_accepted(db, uploader):
    response = upload(signed_in(uploader), SimpleUploadedFile("notes.txt", b"hello"))

    assert "only pages (.md), download tables (.tsv) and .zip archives are accepted" in text_of(response)


def test_a_discarded_upload_imports_nothing_and_cannot_be_confirmed_later(db, fixture_pages, uploader):
    client = signed_in(uploader)
    preview = upload(client, page_file(fixture_pages, "P09022.md"))

    confirm_upload(client, preview, button="discard")
    late = confirm_upload(client, preview)

    assert late.status_code == 302
    assert any("no longer waiting" in message for message in shown_messages(late))
    assert domain_rows() == {"proteins": 0, "interactions": 0, "runs": 0, "records": 0}


def test_an_upload_previewed_by_someone_else_cannot_be_confirmed(db, fixture_pages, uploader):
    preview = upload(signed_in(uploader), page_file(fixture_pages, "P09022.md"))
    other = signed_in(staff("other", permissions=["add_importrun"]))

    response = other.post(reverse(UPLOAD), {"token": preview.context["upload"].token, "confirm": "yes"})

    assert response.status_code == 302
    assert domain_rows()["runs"] == 0


def test_upload_is_for_staff_who_may_import_only(db, client, fixture_pages):
    url = reverse(UPLOAD)
    visitor = User.objects.create_user("visitor", password="not-staff-1234")

    assert client.get(url).status_code == 302
    assert signed_in(visitor).get(url).status_code == 302
    assert signed_in(staff("helper", permissions=["view_importrun"])).get(url).status_code == 403
    assert signed_in(staff("importer", permissions=["add_importrun"])).get(url).status_code == 200
    refused = signed_in(staff("helper2")).post(url, {"files": [page_file(fixture_pages, "P09022.md")]})
    assert refused.status_code == 403
    assert domain_rows()["proteins"] == 0


def test_upload_needs_the_csrf_token(db, fixture_pages, uploader):
    client = signed_in(uploader, enforce_csrf_checks=True)

    assert upload(client, page_file(fixture_pages, "P09022.md")).status_code == 403


def test_more_files_than_django_reads_at_once_are_refused_on_the_upload_form(db, uploader, settings):
    too_many = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    files = [SimpleUploadedFile(f"P{number:05d}.md", b"") for number in range(too_many)]

    response = upload(signed_in(uploader), *files)

    assert "At most 100 files at once: put the pages in a .zip archive." in text_of(response)
    assert 'type="file" name="files"' in text_of(response)
    assert (response.status_code, response.context["stage"]) == (400, "form")
    assert domain_rows()["runs"] == 0


def test_import_runs_page_offers_the_upload_and_shows_the_uploader(admin_client, db, fixture_pages):
    preview = upload(admin_client, page_file(fixture_pages, "P09022.md"))
    confirm_upload(admin_client, preview)
    run = ImportRun.objects.get()

    listing = admin_client.get(reverse("admin:proteins_importrun_changelist")).content.decode()
    page = admin_client.get(reverse("admin:proteins_importrun_change", args=[run.pk])).content.decode()

    assert reverse(UPLOAD) in listing
    assert "admin" in page
    assert "P09022.md" in page


def test_an_upload_after_curation_keeps_the_curated_interaction_and_holds_the_change(db, fixture_pages, uploader):
    client = signed_in(uploader)
    confirm_upload(client, upload(client, page_file(fixture_pages, "P49335.md")))
    workflow.approve(mitf(), staff("rosalind", "reviewer"))
    row = "MITF,O75030,4286,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No"
    changed = (fixture_pages / "P49335.md").read_text().replace(row, row.replace("GTRD", "GTRD;ReMap"))

    preview = upload(client, page_file(fixture_pages, "P49335.md", changed))
    assert preview.context["report"].source_changes_held == 1
    assert not PendingSourceChange.objects.exists()
    confirm_upload(client, preview)

    change = PendingSourceChange.objects.get()
    assert (change.interaction, change.source_databases) == (mitf(), ["ReMap"])
    assert change.import_record == ImportRun.objects.latest("started_at").records.get(path="P49335.md")
    assert list(mitf().source_databases.values_list("name", flat=True)) == ["GTRD"]


# Names in any case; numbers beyond the database's columns.


def test_interaction_import_matches_source_and_method_names_in_any_case(admin_client, imported):
    rows = [SHEET_HEADER, ["O75030", "P49335", "gtrd;REMAP", "CHROMATIN IMMUNOPRECIPITATION ASSAY", "27924024", "No"]]

    confirm(admin_client, upload_sheet(admin_client, rows))

    interaction = mitf()
    assert sorted(interaction.source_databases.values_list("name", flat=True)) == ["GTRD", "ReMap"]
    assert list(interaction.detection_methods.values_list("name", flat=True)) == ["chromatin immunoprecipitation assay"]
    assert SourceDatabase.objects.filter(name__iexact="gtrd").count() == 1


def test_interaction_import_of_the_same_names_in_another_case_leaves_the_interaction_unchanged(admin_client, imported):
    rows = [SHEET_HEADER, ["O75030", "P49335", "gtrd", "CHROMATIN IMMUNOPRECIPITATION ASSAY", "27924024", "No"]]

    preview = upload_sheet(admin_client, rows)

    assert [row.import_type for row in preview.context["result"].rows] == ["skip"]
    confirm(admin_client, preview)
    assert (mitf().version, mitf().last_edited_by_id, mitf().curation_events.count()) == (1, None, 0)


def test_upload_of_a_page_with_a_20_digit_gene_id_names_it_and_imports_the_others(db, fixture_pages, uploader):
    client = signed_in(uploader)
    bad_text = (
        (fixture_pages / "P49335.md").read_text().replace("MITF,O75030,4286,", "MITF,O75030,12345678901234567890,")
    )

    preview = upload(client, page_file(fixture_pages, "P49335.md", bad_text), page_file(fixture_pages, "P09022.md"))

    (failure,) = preview.context["report"].failures
    assert (failure.path, failure.field, failure.row) == ("P49335.md", "tfs", 2)
    assert "NCBI Gene id 12345678901234567890 is out of range" in failure.message
    done = confirm_upload(client, preview)
    assert done.status_code == 200
    run = ImportRun.objects.get()
    assert (run.finished_at is not None, run.pages_created, run.pages_failed) == (True, 1, 1)
    assert Protein.objects.filter(accession="P09022").exists()
    assert not Protein.objects.filter(accession="P49335").exists()
