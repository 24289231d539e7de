"""A trigram index on the proteins' gene names, on PostgreSQL only.

Browse's name filter and the search find proteins whose gene name contains a text
(``gene_name__icontains``: ``UPPER(gene_name) LIKE UPPER('%text%')``), which no B-tree serves.
A GIN index of ``pg_trgm`` trigrams on ``UPPER(gene_name)`` serves that very expression.
SQLite has no such index: it reads the proteins' table, a few tens of thousands of rows.
The import sets it aside on a large cold import like every plain index of the proteins.
"""

from django.db import migrations

INDEX = "protein_gene_name_trigram"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON proteins_protein USING gin (UPPER(gene_name) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("proteins", "0021_interactions_by_organism_in_id_order"),
    ]

    operations = [migrations.RunPython(create, drop)]
