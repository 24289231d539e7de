"""The API's release=: a script pins a release and gets the same rows whatever curation happens since,
with every filter and format of the live API."""

import itertools
import json

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from curation import workflow
from proteins.models import Interaction, Protein, SourceDatabase
from releases import selectors
from releases.freezing import freeze
from releases.models import Release
from tests.test_api import (
    SINGLE_FILTERS,
    all_pages,
    get_json,
    ids_of,
    make_world,
    rows,
    streamed,
)

pytestmark = pytest.mark.django_db

STREAMED_FORMATS = ("tsv", "mitab", "ndjson", "gmt")


@pytest.fixture(autouse=True)
def unthrottled_api(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "token": None}}
    cache.clear()
    yield
    cache.clear()


def publish(number, **fields):
    release = freeze(Release.objects.create(number=number, **fields))
    Release.objects.filter(pk=release.pk).update(state=Release.State.PUBLISHED)
    release.refresh_from_db()
    return release


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def released_world(world):
    """The API's test world, frozen as release 1."""
    publish(1)
    return world


@pytest.mark.parametrize(("query", "predicate"), SINGLE_FILTERS, ids=[query for query, _ in SINGLE_FILTERS])
def test_each_filter_on_a_release_returns_exactly_the_matching_frozen_rows(client, released_world, query, predicate):
    assert ids_of(client, f"release=1&{query}", released_world) == rows(predicate)


def test_two_filters_on_a_release_return_the_rows_matching_both(client, released_world):
    checked = 0
    for (first, first_matches), (second, second_matches) in itertools.combinations(SINGLE_FILTERS, 2):
        if first.split("=")[0] == second.split("=")[0] or checked % 3:  # a third of the pairs: enough kinds
            checked += 1
            continue
        expected = rows(lambda row, a=first_matches, b=second_matches: a(row) and b(row))
        assert ids_of(client, f"release=1&{first}&{second}", released_world) == expected, (first, second)
        checked += 1
    assert checked > 250


def test_a_release_keeps_what_it_froze_while_the_live_api_shows_curation_since(client, released_world, reviewer):
    rejected, regraded = released_world[5], released_world[2]  # TP53 -> H2AC11;H2AC12, TP53 -> MDM2
    workflow.reject(rejected, reviewer, "The cited assay shows no binding.")
    Interaction.objects.filter(pk=regraded.pk).update(mode="activation", confidence="A")

    live = {row["id"]: row for row in all_pages(client, "/api/interactions/")}
    frozen = {row["id"]: row for row in all_pages(client, "/api/interactions/?release=1")}

    assert rejected.pk not in live
    assert frozen[rejected.pk]["status"] == "unreviewed"
    assert (live[regraded.pk]["mode"], live[regraded.pk]["confidence"]) == ("activation", "A")
    assert (frozen[regraded.pk]["mode"], frozen[regraded.pk]["confidence"]) == ("repression", "C")
    assert ids_of(client, "release=1&status=unreviewed&tf=TP53", released_world) == [2, 5]
    assert get_json(client, f"/api/interactions/{rejected.pk}/", status=404)["detail"].startswith("No interaction")
    assert get_json(client, f"/api/interactions/{rejected.pk}/?release=1")["status"] == "unreviewed"
    for file_format in STREAMED_FORMATS:
        _response, live_text = streamed(client, f"/api/interactions/?tf=TP53&format={file_format}")
        _response, frozen_text = streamed(client, f"/api/interactions/?release=1&tf=TP53&format={file_format}")
        assert "P0C0S8" not in live_text and "P0C0S8" in frozen_text, file_format  # the rejected row's target


def test_right_after_publication_a_release_answers_every_format_as_the_live_api_did(client, released_world):
    for file_format in ("tsv", "mitab", "ndjson"):
        _response, live_text = streamed(client, f"/api/interactions/?format={file_format}")
        response, frozen_text = streamed(client, f"/api/interactions/?release=latest&format={file_format}")
        assert frozen_text == live_text, file_format
        assert "interactions_release_1." in response["Content-Disposition"]
    for key in ("uniprot", "gene_id", "name"):
        _response, live_gmt = streamed(client, f"/api/interactions/?format=gmt&by={key}")
        _response, frozen_gmt = streamed(client, f"/api/interactions/?release=1&format=gmt&by={key}")
        assert gene_sets(frozen_gmt) == gene_sets(live_gmt), key  # a release lists targets by accession
    assert all_pages(client, "/api/interactions/?release=1") == all_pages(client, "/api/interactions/")


def gene_sets(gmt):
    lines = (line.split("\t") for line in gmt.splitlines())
    return {name: (description, set(members)) for name, description, *members in lines}


def test_each_json_page_names_its_release_and_the_live_ones_name_none(client, released_world):
    publish(2, doi="10.5281/zenodo.42")

    page = get_json(client, "/api/interactions/?release=latest&page_size=2")
    second = get_json(client, page["next"])
    live = get_json(client, "/api/interactions/")

    assert page["release"]["number"] == second["release"]["number"] == 2
    assert page["release"]["url"] == "http://testserver/releases/2/"
    assert page["release"]["doi"] == "10.5281/zenodo.42"
    assert page["release"]["published_at"].endswith("Z")
    assert get_json(client, "/api/interactions/?release=1")["release"]["doi"] is None
    assert "release" not in live


def test_pages_of_a_release_visit_each_row_once_in_id_order_in_a_fixed_number_of_queries(
    client, released_world, django_assert_max_num_queries
):
    url, seen = "/api/interactions/?release=1&page_size=2", []
    while url:
        with django_assert_max_num_queries(4):
            page = get_json(client, url)
        seen.extend(row["id"] for row in page["results"])
        url = page["next"]
    assert seen == sorted(interaction.pk for number, interaction in released_world.items() if number != 4)
    with django_assert_max_num_queries(7):  # and with filters that read names and proteins
        get_json(client, "/api/interactions/?release=1&organism=9606&tf=TP53&source=GTRD&page_size=1000")


def test_staff_get_the_frozen_rows_too(client, released_world):
    client.force_login(User.objects.create_user("curie", password="radium-226", is_staff=True))

    frozen = [row["id"] for row in all_pages(client, "/api/interactions/?release=1")]

    assert released_world[4].pk not in frozen  # rejected before the release: not in it, whoever asks
    assert released_world[4].pk in [row["id"] for row in all_pages(client, "/api/interactions/")]


def test_a_source_is_matched_by_its_whole_name_in_the_frozen_rows(client, world):
    longer = SourceDatabase.objects.create(name="TRRUST_v2")
    world[2].source_databases.add(longer)  # TP53 -> MDM2: GTRD and TRRUST_v2, not TRRUST
    publish(1)

    assert ids_of(client, "release=1&source=TRRUST", world) == rows(lambda row: "TRRUST" in row["sources"])
    assert ids_of(client, "release=1&source=trrust_V2", world) == [2]


def test_a_protein_gone_since_the_release_is_still_found_by_its_accession(client, released_world):
    Interaction.objects.filter(pk__in=[released_world[2].pk, released_world[6].pk]).delete()  # MDM2's
    Protein.objects.filter(accession="Q00987").delete()  # MDM2

    assert ids_of(client, "release=1&protein=q00987", released_world) == [2, 6]
    assert ids_of(client, "release=1&protein=MDM2", released_world) == []  # names are looked up live


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ("release=abc", 400, "release"),
        ("release=0", 400, "release"),
        ("release=-1", 400, "release"),
        ("release=", 400, "release"),
        ("release=1&release=2", 400, "release"),
        ("release=99999999999", 400, "release"),
        ("release=1&colour=red", 400, "colour"),
        ("release=1&tf=", 200, None),
        ("release=1&organism=Atlantis", 400, "organism"),
        ("release=1&source=Nowhere", 400, "source"),
        ("release=1&format=gmt&by=colour", 400, "by"),
        ("release=1&format=tsv&by=name", 400, "by"),
        ("release=7", 404, None),
    ],
)
def test_bad_or_unknown_releases_get_a_json_error_naming_the_parameter(
    client, released_world, query, status, parameter
):
    answer = get_json(client, f"/api/interactions/?{query}", status=status)
    if parameter:
        assert parameter in answer["detail"]
    if status == 404:
        assert answer["detail"] == "No published release 7; see /releases/."


def test_releases_being_built_or_failed_and_no_release_at_all_are_404(client, world):
    assert get_json(client, "/api/interactions/?release=latest", status=404)["detail"].startswith("No release has")
    Release.objects.create(number=1)
    Release.objects.create(number=2, state=Release.State.FAILED)

    for query in ("release=1", "release=2", "release=latest", "release=1&format=tsv"):
        get_json(client, f"/api/interactions/?{query}", status=404)
    get_json(client, f"/api/interactions/{world[1].pk}/?release=1", status=404)


def test_one_interaction_of_a_release_by_id_in_json_and_streamed(client, released_world):
    one = released_world[1]

    row = get_json(client, f"/api/interactions/{one.pk}/?release=1")
    response, text = streamed(client, f"/api/interactions/{one.pk}/?release=1&format=ndjson")

    assert row == get_json(client, f"/api/interactions/{one.pk}/")
    assert json.loads(text) == row
    assert f"interaction_{one.pk}_release_1.ndjson" in response["Content-Disposition"]
    rejected_before = released_world[4].pk
    answer = get_json(client, f"/api/interactions/{rejected_before}/?release=1", status=404)
    assert answer["detail"] == f"No interaction with the id {rejected_before} in release 1."


def test_the_schema_describes_the_release_parameter_and_the_page_naming_its_release(client):
    schema = client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/interactions/"]["get"]
    parameter = next(parameter for parameter in operation["parameters"] if parameter["name"] == "release")
    assert "latest" in parameter["schema"]["pattern"]
    assert "404" in operation["responses"]
    page = schema["components"]["schemas"]["PaginatedInteractionList"]
    assert page["properties"]["release"]["properties"]["number"]["type"] == "integer"


def test_a_release_streams_in_chunks_in_id_order_or_by_tf_without_losing_or_repeating_a_row(released_world):
    frozen = Release.objects.get(number=1).interactions.all()
    whole = list(selectors.interaction_records(frozen))
    by_tf = list(selectors.interaction_records(frozen, by_tf=True))
    numbers = {interaction.pk: number for number, interaction in released_world.items()}

    assert [numbers[record.id] for record in whole] == rows(lambda row: True)
    assert list(selectors.interaction_records(frozen, chunk_size=2)) == whole
    assert by_tf == sorted(whole, key=lambda record: (record.tf_accession, record.target_accession))
    assert list(selectors.interaction_records(frozen, by_tf=True, chunk_size=2)) == by_tf
    human = selectors.interaction_records(frozen.filter(organism__taxon_id=9606), chunk_size=2)
    assert [numbers[record.id] for record in human] == rows(lambda row: row["taxon"] == 9606)
