"""Indexes of the interactions' source and method links by (value, interaction).

A rare source or method finds its interactions through them, in id order from a cursor's
position on (``proteins.querysets.linked_to``).  The link tables are Django's own through
tables, which declare no indexes of their own, so the indexes are made here; they are plain
indexes, which a large cold import sets aside and builds again (``importing.deferred_indexes``).
"""

from django.db import migrations

INDEXES = [
    ("interaction_sources_by_value", "proteins_interaction_source_databases", "sourcedatabase_id"),
    ("interaction_methods_by_value", "proteins_interaction_detection_methods", "detectionmethod_id"),
]


class Migration(migrations.Migration):
    dependencies = [("proteins", "0023_job_kind_release")]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX "{name}" ON "{table}" ("{column}", "interaction_id")',
            reverse_sql=f'DROP INDEX "{name}"',
        )
        for name, table, column in INDEXES
    ]
