"""The Django admin of proteins and interactions: reachable, searchable, fast at scale, safe."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

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
    Organism,
    Ortholog,
    Protein,
    Publication,
    SitePage,
    SourceDatabase,
)

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

    assert models == {*EVERY_MODEL, DeferredIndex}  # the last one has no rows after an import
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
