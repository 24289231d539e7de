"""Drop each evidence link table's index on its owner column: the unique (owner, value) index serves it.

Django gives every many-to-many table an index on each of its two columns besides the unique
pair.  The index on the owner (``interaction_id``, ``bindingsite_id``) is a prefix of the
unique one, so it only costs: an import writes millions of link rows, each into every index.
The fields belong to Django's automatic through models, so the indexes are dropped by the
names Django gave them (the same on SQLite and PostgreSQL) and the model state is unchanged.
"""

from django.db import migrations

# (table, column, index name Django gave it)
OWNER_INDEXES = [
    (
        "proteins_interaction_source_databases",
        "interaction_id",
        "proteins_interaction_source_databases_interaction_id_d35ec07b",
    ),
    (
        "proteins_interaction_detection_methods",
        "interaction_id",
        "proteins_interaction_detection_methods_interaction_id_1dcf14f5",
    ),
    (
        "proteins_interaction_publications",
        "interaction_id",
        "proteins_interaction_publications_interaction_id_de16d3cc",
    ),
    (
        "proteins_bindingsite_source_databases",
        "bindingsite_id",
        "proteins_bindingsite_source_databases_bindingsite_id_537769cc",
    ),
    (
        "proteins_bindingsite_detection_methods",
        "bindingsite_id",
        "proteins_bindingsite_detection_methods_bindingsite_id_adbc0ec6",
    ),
    (
        "proteins_bindingsite_publications",
        "bindingsite_id",
        "proteins_bindingsite_publications_bindingsite_id_124f56d8",
    ),
]


def drop_indexes(apps, schema_editor):
    for _table, _column, name in OWNER_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_indexes(apps, schema_editor):
    for table, column, name in OWNER_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):
    dependencies = [
        ("proteins", "0011_interaction_lean_indexes"),
    ]

    operations = [migrations.RunPython(drop_indexes, create_indexes, elidable=False)]
