"""The Django admin of the proteins app: reachable, searchable, fast at scale, safe; curation acts on
selections, locked edits, spreadsheets and uploads of pages."""

import csv
import html
import io
import re
import zipfile

import openpyxl
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from curation import workflow
from curation.models import CurationEvent, PendingSourceChange
from proteins import admin as proteins_admin
from proteins.admin import ImportRecordInline
from proteins.importing import deferred_indexes
from proteins.importing.run import import_pages
from proteins.models import (
    BindingSite,
    DeferredIndex,
    DetectionMethod,
    GeneId,
    ImportRecord,
    ImportRun,
    Interaction,
    Job,
    ModeTableRun,
    Organism,
    Ortholog,
    Protein,
    Publication,
    SitePage,
    SourceDatabase,
    Statement,
)
from proteins.resources import InteractionResource, ProteinResource
from tests.accounts import signed_in, staff
from tests.jobs import run_queued_jobs

Status = Interaction.Status
CHANGELIST = "admin:proteins_interaction_changelist"
UPLOAD = "admin:proteins_importrun_upload"
FORMATS = {"csv": "0", "tsv": "1", "xlsx": "2"}
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
DOMAIN_TABLE = re.compile(r'"(proteins|curation)_\w+"')

EVERY_MODEL = [
    Organism,
    Protein,
    GeneId,
    Ortholog,
    SourceDatabase,
    DetectionMethod,
    Publication,
    Interaction,
    BindingSite,
    ImportRun,
    ImportRecord,
    SitePage,
]
SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


def changelist_url(model):
    return reverse(f"admin:proteins_{model._meta.model_name}_changelist")


def change_url(obj):
    return reverse(f"admin:proteins_{obj._meta.model_name}_change", args=[obj.pk])


def shown_rows(response):
    """The objects listed on a changelist page, as the user sees them in the table."""
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def search(client, model, term):
    return shown_rows(client.get(changelist_url(model), {"q": term}))


@pytest.fixture
def imported(db, fixture_pages):
    report = import_pages([fixture_pages])
    assert not report.failures
    return report


def make_protein(accession, gene_name):
    return Protein.objects.create(
        accession=accession, gene_name=gene_name, organism=Organism.objects.get(name="Homo sapiens")
    )


def make_interactions(tf, count, first_number=1):
    """``count`` interactions of ``tf`` with new targets, each with a source, a method and a publication."""
    source, _ = SourceDatabase.objects.get_or_create(name="TRRUST")
    method, _ = DetectionMethod.objects.get_or_create(name="chromatin immunoprecipitation assay")
    publication, _ = Publication.objects.get_or_create(pmid=9733765)
    numbers = range(first_number, first_number + count)
    targets = Protein.objects.bulk_create(
        Protein(accession=f"Q{number:05d}", gene_name=f"TARGET{number}", organism=tf.organism) for number in numbers
    )
    interactions = Interaction.objects.bulk_create(
        Interaction(tf=tf, target=target, organism=tf.organism) for target in targets
    )
    for relation, value, column in (
        (Interaction.source_databases, source, "sourcedatabase"),
        (Interaction.detection_methods, method, "detectionmethod"),
        (Interaction.publications, publication, "publication"),
    ):
        relation.through.objects.bulk_create(
            relation.through(interaction=interaction, **{column: value}) for interaction in interactions
        )
    return interactions


def queries_to_list(client, url):
    cache.clear()  # every count includes storing the menu in the database cache, not only the first
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


# Every model is there for the staff admin.


def test_every_model_of_the_proteins_app_is_in_the_admin():
    # Field histories (django-simple-history) are shown on their record's "History" page.
    models = {m for m in apps.get_app_config("proteins").get_models() if not m.__name__.startswith("Historical")}

    # The last four have no rows after an import of pages.
    assert models == {*EVERY_MODEL, DeferredIndex, Statement, ModeTableRun, Job}
    assert all(admin.site.is_registered(model) for model in models)


def test_superuser_sees_indexes_a_killed_import_left_aside_and_cannot_delete_them(admin_client, imported):
    deferred_indexes.defer()  # what a killed large import leaves
    row = DeferredIndex.objects.get(name="interaction_target_status_tf")

    listing = admin_client.get(changelist_url(DeferredIndex))
    page = admin_client.get(change_url(row))

    assert row in shown_rows(listing)
    assert escape(row.sql) in page.content.decode()
    assert admin_client.post(reverse("admin:proteins_deferredindex_delete", args=[row.pk])).status_code == 403
    assert DeferredIndex.objects.filter(pk=row.pk).exists()
    deferred_indexes.restore()


def test_staff_read_statements_of_publications_but_write_them_only_through_curation(admin_client, imported):
    interaction = Interaction.objects.get(tf__accession="P09022", target__accession="Q03145")
    statement = Statement.objects.create(
        interaction=interaction,
        publication=interaction.publications.first(),
        source=SourceDatabase.objects.get(name="TRRUST"),
        mode="repression",
    )

    listing = admin_client.get(changelist_url(Statement))
    page = admin_client.get(change_url(statement))

    assert statement in shown_rows(listing)
    assert page.status_code == 200 and "repression" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:proteins_statement_add")).status_code == 403


@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda model: model.__name__)
def test_superuser_opens_the_list_of_every_model(admin_client, imported, model):
    assert shown_rows(admin_client.get(changelist_url(model)))


@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda model: model.__name__)
def test_superuser_opens_the_page_of_every_model(admin_client, imported, model):
    obj = model.objects.first()

    response = admin_client.get(change_url(obj))

    assert response.status_code == 200
    assert escape(str(obj)) in response.content.decode()


def test_protein_page_shows_gene_ids_orthologs_and_its_interactions(admin_client, imported):
    bax = Protein.objects.get(accession="Q07812")

    page = admin_client.get(change_url(bax)).content.decode()

    assert 'value="581"' in page
    assert 'value="Q07813"' in page
    assert bax.page_hash in page
    as_target = bax.interactions_as_target.count()
    assert as_target > 0
    assert f"{as_target} as target" in page
    assert f"?target__id__exact={bax.pk}" in page


def test_interaction_page_shows_its_evidence(admin_client, imported):
    interaction = Interaction.objects.get(tf__accession="P09022", target__accession="Q03145")

    page = admin_client.get(change_url(interaction)).content.decode()

    trrust = SourceDatabase.objects.get(name="TRRUST")
    assert f'<option value="{trrust.pk}" selected>TRRUST</option>' in page
    assert "9733765" in page
    assert "29087512" in page


def test_saving_an_interaction_in_the_admin_saves_its_evidence_raises_its_version_and_ignores_status(
    admin_client, imported
):
    interaction = Interaction.objects.get(tf__accession="P09022", target__accession="Q03145")
    form = {
        "status": Interaction.Status.APPROVED,  # read-only: the curation workflow alone changes it
        "seen_version": interaction.version,
        "small_scale": "on",
        "source_databases": [source.pk for source in interaction.source_databases.all()],
        "detection_methods": [method.pk for method in interaction.detection_methods.all()],
        "publications": "9733765",
    }

    response = admin_client.post(change_url(interaction), form)

    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.status == Interaction.Status.UNREVIEWED
    assert interaction.version == 2
    assert interaction.last_edited_by.username == "admin"
    assert list(interaction.publications.values_list("pmid", flat=True)) == [9733765]


# Imports are a record, not something to edit.


@pytest.mark.parametrize("model", [ImportRun, ImportRecord], ids=lambda model: model.__name__)
def test_import_history_can_be_viewed_and_deleted_but_not_added_or_changed(admin_client, imported, model):
    obj = model.objects.first()
    add_url = reverse(f"admin:proteins_{model._meta.model_name}_add")
    delete_url = reverse(f"admin:proteins_{model._meta.model_name}_delete", args=[obj.pk])

    page = admin_client.get(change_url(obj)).content.decode()

    assert 'name="_save"' not in page
    assert admin_client.get(add_url).status_code == 403
    assert admin_client.post(change_url(obj), {}).status_code == 403
    assert admin_client.get(delete_url).status_code == 200


def test_import_run_page_lists_its_records_with_links_to_their_proteins(admin_client, imported):
    run = ImportRun.objects.get()
    bax = Protein.objects.get(accession="Q07812")

    page = admin_client.get(change_url(run)).content.decode()

    assert "Q07812.md" in page
    assert f'<a href="{change_url(bax)}">{bax}</a>' in page
    assert f"all {run.records.count()} records" in page


@pytest.fixture
def run_with_a_failure(db, fixture_pages, tmp_path):
    """An import of two good pages and an empty one."""
    for name in ("P09022.md", "Q03145.md"):
        (tmp_path / name).write_text((fixture_pages / name).read_text())
    (tmp_path / "P00000.md").write_text("")
    import_pages([tmp_path])
    return ImportRun.objects.latest("started_at")


def test_import_run_page_shows_failures_first_and_at_most_a_page_of_records(
    admin_client, run_with_a_failure, monkeypatch
):
    monkeypatch.setattr(ImportRecordInline, "max_shown", 1)

    page = admin_client.get(change_url(run_with_a_failure)).content.decode()

    assert "P00000.md" in page
    assert "the file is empty" in page
    assert "P09022.md" not in page
    assert "1 failed" in page


def test_import_run_page_makes_as_many_queries_for_many_records_as_for_few(admin_client, imported, tmp_path):
    (tmp_path / "P00000.md").write_text("")
    import_pages([tmp_path])
    many, one = ImportRun.objects.order_by("started_at")
    assert many.records.count() > 10
    assert one.records.count() == 1

    assert queries_to_list(admin_client, change_url(many)) == queries_to_list(admin_client, change_url(one))


# Searching.


@pytest.mark.parametrize("term", ["Q07812", "q07812"])
def test_protein_search_by_accession_finds_that_protein(admin_client, imported, term):
    assert [protein.accession for protein in search(admin_client, Protein, term)] == ["Q07812"]


def test_protein_search_by_gene_name_finds_proteins_named_so(admin_client, imported):
    found = {protein.accession for protein in search(admin_client, Protein, "bax")}

    assert "Q07812" in found
    assert all("bax" in protein.gene_name.lower() for protein in Protein.objects.filter(accession__in=found))


def test_protein_search_by_ncbi_gene_id_finds_that_protein(admin_client, imported):
    assert [protein.accession for protein in search(admin_client, Protein, "581")] == ["Q07812"]


def test_protein_search_by_an_unknown_id_finds_nothing(admin_client, imported):
    assert search(admin_client, Protein, "99999999999999") == []
    assert search(admin_client, Protein, "P99999") == []


def test_exact_protein_searches_use_equality_not_a_like_scan(admin_client, imported):
    for term in ("Q07812", "581"):
        with CaptureQueriesContext(connection) as context:
            search(admin_client, Protein, term)
        assert not [query for query in context.captured_queries if "LIKE" in query["sql"].upper()]


def test_interaction_search_by_tf_gene_name_finds_its_interactions(admin_client, imported):
    hoxa1 = Protein.objects.get(accession="P09022")

    found = search(admin_client, Interaction, "Hoxa1")

    assert {(i.tf.accession, i.target.accession) for i in found} >= {("P09022", "Q03145")}
    assert all(hoxa1 in (i.tf, i.target) for i in found)


def test_interaction_search_by_accession_or_gene_id_finds_all_interactions_of_that_protein(admin_client, imported):
    bax = Protein.objects.get(accession="Q07812")
    held = Interaction.objects.filter(Q(tf=bax) | Q(target=bax)).count()
    assert held > 100

    for term in ("Q07812", "581"):
        response = admin_client.get(changelist_url(Interaction), {"q": term})
        assert f"{held} interactions" in response.content.decode()
        assert all(bax in (i.tf, i.target) for i in shown_rows(response))


def test_interaction_search_by_two_names_finds_the_pair(admin_client, imported):
    found = search(admin_client, Interaction, "Hoxa1 Epha2")

    assert [(i.tf.accession, i.target.accession) for i in found] == [("P09022", "Q03145")]


def test_publication_search_by_pubmed_id_finds_it(admin_client, imported):
    for term in ("9733765", "PMID:9733765"):
        assert [publication.pmid for publication in search(admin_client, Publication, term)] == [9733765]


def test_interaction_list_filters_by_source_database(admin_client, imported):
    trrust = SourceDatabase.objects.get(name="TRRUST")
    from_trrust = trrust.interactions.count()
    assert 0 < from_trrust < Interaction.objects.count()

    response = admin_client.get(changelist_url(Interaction), {"source": trrust.pk, "all": ""})

    assert all(trrust in interaction.source_databases.all() for interaction in shown_rows(response))
    assert f"{from_trrust} interactions" in response.content.decode()


def test_source_database_page_links_to_its_interactions(admin_client, imported):
    trrust = SourceDatabase.objects.get(name="TRRUST")

    page = admin_client.get(change_url(trrust)).content.decode()

    assert f'href="{changelist_url(Interaction)}?source={trrust.pk}"' in page


def test_protein_autocomplete_of_the_interaction_form_finds_by_accession(admin_client, imported):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "proteins", "model_name": "interaction", "field_name": "tf", "term": "q07812"},
    )

    assert [result["text"] for result in response.json()["results"]] == [str(Protein.objects.get(accession="Q07812"))]


# Fast at TFLink's size.


def test_interaction_list_makes_as_many_queries_for_100_rows_as_for_10(admin_client, db):
    tf = make_protein("P04637", "TP53")
    make_interactions(tf, 10)
    with_10 = queries_to_list(admin_client, changelist_url(Interaction))
    make_interactions(tf, 90, first_number=11)

    with_100 = queries_to_list(admin_client, changelist_url(Interaction))

    assert len(shown_rows(admin_client.get(changelist_url(Interaction)))) == 100
    assert with_100 == with_10


def test_interaction_list_counts_each_rows_sources_and_publications(admin_client, db):
    make_interactions(make_protein("P04637", "TP53"), 3)

    rows = shown_rows(admin_client.get(changelist_url(Interaction)))

    assert [(row.source_count, row.publication_count) for row in rows] == [(1, 1)] * 3


def test_protein_list_makes_as_many_queries_for_100_rows_as_for_10(admin_client, db):
    tf = make_protein("P04637", "TP53")
    make_interactions(tf, 9)
    with_10 = queries_to_list(admin_client, changelist_url(Protein))
    make_interactions(tf, 90, first_number=10)

    with_100 = queries_to_list(admin_client, changelist_url(Protein))

    assert with_100 == with_10


# Imported text is data, never markup.


@pytest.fixture
def hostile_page(db, fixture_pages, tmp_path):
    """Hoxa1's page with markup in its name and body, imported."""
    text = (fixture_pages / "P09022.md").read_text()
    text = text.replace("protein_name: Hoxa1", f"protein_name: '{SCRIPT} {IMAGE}'")
    path = tmp_path / "P09022.md"
    path.write_text(f"{text}\nA body with {SCRIPT} and {IMAGE} in it.\n")
    report = import_pages([path])
    assert not report.failures
    protein = Protein.objects.get(accession="P09022")
    assert SCRIPT in protein.gene_name
    assert SCRIPT in protein.description
    return protein


def assert_escaped(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert IMAGE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_markup_in_a_protein_name_is_escaped_in_the_protein_list(admin_client, hostile_page):
    assert_escaped(admin_client.get(changelist_url(Protein)))


def test_markup_in_a_protein_name_and_description_is_escaped_on_its_page(admin_client, hostile_page):
    response = admin_client.get(change_url(hostile_page))

    assert_escaped(response)
    assert f"A body with {escape(SCRIPT)} and {escape(IMAGE)} in it." in response.content.decode()


def test_markup_in_a_protein_name_is_escaped_in_the_interaction_list_and_page(admin_client, hostile_page):
    interaction = Interaction.objects.get(tf=hostile_page)

    assert_escaped(admin_client.get(changelist_url(Interaction)))
    assert_escaped(admin_client.get(change_url(interaction)))


# Only staff get in.


@pytest.mark.parametrize("model", [Protein, Interaction, ImportRun], ids=lambda model: model.__name__)
def test_anonymous_visitor_is_sent_to_the_admin_login(client, db, model):
    response = client.get(changelist_url(model))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_signed_in_user_who_is_not_staff_is_sent_to_the_admin_login(client, django_user_model, imported):
    client.force_login(django_user_model.objects.create_user("visitor", password="not-staff-1234"))

    response = client.get(changelist_url(Protein))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(change_url(Protein.objects.first())).status_code == 302


def test_staff_without_permissions_cannot_see_proteins(client, imported):
    user = User.objects.create_user("helper", password="staff-1234", is_staff=True)
    client.force_login(user)

    assert client.get(changelist_url(Protein)).status_code == 403


def test_staff_with_view_permission_sees_proteins_but_cannot_change_them(client, imported):
    user = User.objects.create_user("reader", password="staff-1234", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_protein"))
    client.force_login(user)
    protein = Protein.objects.get(accession="Q07812")

    assert shown_rows(client.get(changelist_url(Protein)))
    assert 'name="_save"' not in client.get(change_url(protein)).content.decode()
    assert client.post(change_url(protein), {"accession": "P04637"}).status_code == 403


# Curation in the admin of interactions: helpers.


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
    monkeypatch.setattr(proteins_admin.interactions, "MAX_CURATION_SELECTION", 2)
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
    row = "O75030\tP49335\t-\t-\t=1+2\t-2+3\t+3-1\t-\tHomo sapiens\t@SUM(A1:A9)\tNo\tunknown\tE\tunreviewed"

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
    """Confirm (or discard) a previewed upload; a confirmed import is queued, run by the worker, and its
    job's page returned."""
    assert preview.context["stage"] == "preview"
    response = client.post(reverse(UPLOAD), {"token": preview.context["upload"].token, button: "yes"})
    if button == "confirm" and response.status_code == 302 and "/job/" in response.url:
        run_queued_jobs()
        return client.get(response.url)
    return response


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
    assert "Done" in text_of(done)
    assert "Pages read: 2, created: 2" in text_of(done)
    run = ImportRun.objects.get()
    assert run.user == uploader
    assert run.paths.splitlines() == ["Q07812.md", "tfs_of_Q07812.tsv", "P09022.md"]
    assert (run.pages_created, run.pages_failed) == (2, 0)
    bax = Protein.objects.get(accession="Q07812")
    assert run.records.get(path="Q07812.md").protein == bax
    run_page = signed_in(uploader).get(reverse("admin:proteins_importrun_change", args=[run.pk]))
    assert reverse("admin:proteins_importrun_change", args=[run.pk]) in text_of(done)
    assert reverse("admin:proteins_protein_change", args=[bax.pk]) in text_of(run_page)
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
    assert "failed: 1" in text_of(done)
    run_page = signed_in(uploader).get(reverse("admin:proteins_importrun_change", args=[run.pk]))
    assert "P49335.md (field &#x27;tfs&#x27;, row 2)" in run_page.content.decode()
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
