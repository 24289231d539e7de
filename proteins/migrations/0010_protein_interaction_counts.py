"""Each protein's counts of public interactions, stored on it (see ``proteins.counts``); indexes that
cover a protein's public interactions in place of the single-column ones of ``tf`` and ``target``."""

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


def count_interactions(apps, schema_editor):
    """Fill every protein's counts: one pass over the interactions per count (proteins.counts.refresh_all)."""
    if schema_editor.connection.vendor == "postgresql":
        # Checked now, not at the commit: PostgreSQL cannot build the indexes below while the
        # updates' deferred foreign key checks are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute('UPDATE "proteins_protein" SET "tf_count" = 0, "target_count" = 0, "small_scale_count" = 0')
    public = "\"status\" <> 'rejected'"
    for column, value, side, condition in (
        ('"tf_count"', "counted.n", '"target_id"', public),
        ('"target_count"', "counted.n", '"tf_id"', public),
        ('"small_scale_count"', "counted.n", '"tf_id"', f'{public} AND "small_scale"'),
        ('"small_scale_count"', '"small_scale_count" + counted.n', '"target_id"', f'{public} AND "small_scale"'),
    ):
        schema_editor.execute(
            f'UPDATE "proteins_protein" SET {column} = {value} FROM (SELECT {side} AS protein, COUNT(*) AS n '
            f'FROM "proteins_interaction" WHERE {condition} GROUP BY {side}) AS counted '
            'WHERE "proteins_protein"."id" = counted.protein'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("proteins", "0009_protein_gene_name_upper"),
    ]

    operations = [
        migrations.AddField(
            model_name="protein",
            name="tf_count",
            field=models.PositiveIntegerField(
                db_default=0,
                default=0,
                editable=False,
                help_text="Its public transcription factors.",
                verbose_name="TFs held here",
            ),
        ),
        migrations.AddField(
            model_name="protein",
            name="target_count",
            field=models.PositiveIntegerField(
                db_default=0,
                default=0,
                editable=False,
                help_text="Its public targets.",
                verbose_name="targets held here",
            ),
        ),
        migrations.AddField(
            model_name="protein",
            name="small_scale_count",
            field=models.PositiveIntegerField(
                db_default=0,
                default=0,
                editable=False,
                help_text="Its public interactions with small-scale evidence, as TF and as target.",
                verbose_name="small-scale interactions",
            ),
        ),
        migrations.AddField(
            model_name="protein",
            name="interaction_count",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.expressions.CombinedExpression(
                    models.F("tf_count"), "+", models.F("target_count")
                ),
                output_field=models.PositiveIntegerField(),
                verbose_name="interactions held here",
            ),
        ),
        migrations.RunPython(count_interactions, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="protein",
            index=models.Index(fields=["organism", "-interaction_count", "id"], name="protein_organism_interactions"),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(fields=["tf", "status", "target"], include=["id"], name="interaction_tf_status_target"),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(fields=["target", "status", "tf"], include=["id"], name="interaction_target_status_tf"),
        ),
        # The foreign keys' own indexes are prefixes of the constraint's and of the indexes above.
        # Dropped by name: altering the fields would make SQLite copy the whole table twice.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="tf",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions_as_tf",
                        to="proteins.protein",
                        verbose_name="transcription factor",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="target",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions_as_target",
                        to="proteins.protein",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX "proteins_interaction_{column}_{suffix}"',
                    f'CREATE INDEX "proteins_interaction_{column}_{suffix}" ON "proteins_interaction" ("{column}")',
                )
                for column, suffix in (("tf_id", "8bd51c46"), ("target_id", "86a3fd8c"))
            ],
        ),
    ]
