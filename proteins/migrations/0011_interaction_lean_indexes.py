"""Drop the interaction indexes that others make redundant: each costs every import its time.

``organism`` and ``status`` lead the indexes (organism, status) and (status, updated_at);
(target, tf) is a prefix of (target, status, tf).  The single-column indexes are dropped by
name, as in 0010: altering the fields would make SQLite copy the whole table.
"""

import django.db.models.deletion
from django.db import migrations, models

STATUS_CHOICES = [
    ("unreviewed", "unreviewed"),
    ("flagged", "flagged"),
    ("approved", "approved"),
    ("rejected", "rejected"),
]
# (table, column, index name Django gave it); PostgreSQL also has a "<name>_like" index of varchar columns.
SINGLE_COLUMN_INDEXES = [
    ("proteins_interaction", "organism_id", "proteins_interaction_organism_id_0dc0e126"),
    ("proteins_interaction", "status", "proteins_interaction_status_79a6a171"),
    ("proteins_historicalinteraction", "status", "proteins_historicalinteraction_status_808940cf"),
]


def drop_indexes(apps, schema_editor):
    for _table, column, name in SINGLE_COLUMN_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        if column == "status" and schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}_like"')


def create_indexes(apps, schema_editor):
    for table, column, name in SINGLE_COLUMN_INDEXES:
        schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
        if column == "status" and schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'CREATE INDEX "{name}_like" ON "{table}" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):
    dependencies = [
        ("proteins", "0010_protein_interaction_counts"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="interaction", name="proteins_in_target__ef6835_idx"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="organism",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="The organism of the TF.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="interactions",
                        to="proteins.organism",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="status",
                    field=models.CharField(choices=STATUS_CHOICES, default="unreviewed", max_length=10),
                ),
                migrations.AlterField(
                    model_name="historicalinteraction",
                    name="status",
                    field=models.CharField(choices=STATUS_CHOICES, default="unreviewed", max_length=10),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
