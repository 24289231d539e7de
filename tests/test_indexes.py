"""Indexes serve the lookups made: an organism's API pages walk the rows in key order, and
"gene name contains" has a trigram index on PostgreSQL. Both engines run every test."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proteins.models import Interaction, Organism, Protein

pytestmark = pytest.mark.django_db

STATUSES = ["unreviewed", "approved", "rejected", "flagged", "proposed"]


@pytest.fixture(autouse=True)
def unthrottled_api(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "token": None}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_organisms():
    """Human and mouse interactions created in turn (their ids interleave), in every status."""
    human, mouse = Organism.objects.get(taxon_id=9606), Organism.objects.get(taxon_id=10090)
    proteins = {
        organism: Protein.objects.bulk_create(
            Protein(accession=f"Q{organism.taxon_id % 100:02d}{number:03d}", gene_name=f"G{number}", organism=organism)
            for number in range(12)
        )
        for organism in (human, mouse)
    }
    Interaction.objects.bulk_create(
        Interaction(
            tf=proteins[organism][tf],
            target=proteins[organism][target],
            organism=organism,
            status=STATUSES[(tf + target) % len(STATUSES)],
        )
        for tf in range(4)
        for target in range(4, 12)
        for organism in (human, mouse)
    )
    return human, mouse


def walk(client, url):
    """The ids of every page of ``url``, following the ``next`` links, and the number of pages."""
    ids, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
        ids.extend(row["id"] for row in response.json()["results"])
        url, pages = response.json()["next"], pages + 1
    return ids, pages


@pytest.mark.parametrize("taxon_id", [9606, 10090])
def test_an_organisms_pages_give_each_of_its_public_interactions_once_in_id_order(client, two_organisms, taxon_id):
    expected = list(
        Interaction.objects.public().filter(organism__taxon_id=taxon_id).order_by("id").values_list("id", flat=True)
    )
    ids, pages = walk(client, f"/api/interactions/?organism={taxon_id}&page_size=5")
    assert ids == expected
    assert len(expected) == 19 and pages == 4
    hidden = Interaction.objects.filter(status__in=Interaction.HIDDEN_STATUSES, organism__taxon_id=taxon_id)
    assert hidden.exists() and not hidden.filter(id__in=ids).exists()


def page_query(client, url):
    """The SQL of the query that picks the ids of the page at ``url``."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    (sql,) = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "proteins_interaction"."id" AS "id" FROM') and "LIMIT" in query["sql"]
    ]
    return sql


def query_plan(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def test_an_organisms_page_walks_the_rows_in_key_order_without_sorting_them(client, two_organisms):
    _human, mouse = two_organisms
    if connection.vendor == "sqlite":
        # A small organism beside a large one: walking every row in key order would skip most of them.
        Interaction.objects.filter(organism=mouse).exclude(
            pk__in=Interaction.objects.public().filter(organism=mouse).order_by("id").values("id")[:6]
        ).delete()
        # SQLite's plan does not depend on the table's size (a lab's database has no statistics).
        first = client.get("/api/interactions/?organism=10090&page_size=3").json()
        plan = query_plan(page_query(client, first["next"]))
        assert "TEMP B-TREE" not in plan
        assert "interaction_organism_id (organism_id=? AND id>?)" in plan
    else:
        # PostgreSQL's plan for a few dozen rows says nothing of millions (it may sort three rows
        # rather than walk an index); bench/README.md has the figures. The index is there:
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, Interaction._meta.db_table)
        assert indexes["interaction_organism_id"]["columns"][:2] == ["organism_id", "id"]


def test_gene_name_contains_has_a_trigram_index_on_postgresql_only(two_organisms):
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Protein._meta.db_table)
    if connection.vendor == "postgresql":
        assert indexes["protein_gene_name_trigram"]["type"] == "gin"
        # Browse's name filter (and the admin's search) make this lookup; the search a UNION with it.
        for proteins in (Protein.objects.filter(gene_name__icontains="G1"), Protein.objects.search("G1")):
            sql, params = proteins.order_by().values("id").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "protein_gene_name_trigram" in plan
    else:
        assert "protein_gene_name_trigram" not in indexes
