"""Binding sites without a genome location; one source database or detection method per name in any case.

Before the schema changes, the data is brought to the rules the new constraints and the
importer keep (fixtures/FORMAT.md):

* names that differ only in case (``JASPAR``, ``jaspar``) become the row stored first, with
  every link of the others (interactions, binding sites, their history) moved to it;
* binding sites read from ``bindingSites_of_<ACC>.tsv`` as ``TFLinkLT<n>`` take the id the
  pages give them, ``TFLinkLS<n>``; where the page's site is held already, the table's copy
  goes (the next import of the page writes the site from the table again);
* a ``-`` strand, which TFLink writes for a strand it does not know, becomes unknown (every
  strand held came from an import).
"""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Concat, Substr

EVIDENCE = (
    ("SourceDatabase", "sourcedatabase", "source_databases"),
    ("DetectionMethod", "detectionmethod", "detection_methods"),
)
TABLE_SITE_ID = r"^TFLinkLT[0-9]+$"


def merge_case_variants(apps, schema_editor):
    for model_name, column, field_name in EVIDENCE:
        model = apps.get_model("proteins", model_name)
        first_of, variants = {}, {}
        for pk, name in model.objects.order_by("pk").values_list("pk", "name"):
            first = first_of.setdefault(name.lower(), pk)
            if first != pk:
                variants[pk] = first
        if not variants:
            continue
        for owner_name, owner in (("Interaction", "interaction"), ("BindingSite", "bindingsite")):
            through = getattr(apps.get_model("proteins", owner_name), field_name).through
            for variant, first in variants.items():
                linked_to_first = through.objects.filter(**{column: first}).values(owner)
                through.objects.filter(**{column: variant, f"{owner}__in": linked_to_first}).delete()
                through.objects.filter(**{column: variant}).update(**{column: first})
        history = apps.get_model("proteins", f"HistoricalInteraction_{field_name}")
        for variant, first in variants.items():
            history.objects.filter(**{column: variant}).update(**{column: first})
        model.objects.filter(pk__in=list(variants)).delete()


def name_table_sites_as_pages_do(apps, schema_editor):
    BindingSite = apps.get_model("proteins", "BindingSite")
    page_id = Concat(Value("TFLinkLS"), Substr("tflink_id", 9), output_field=models.CharField())
    table_sites = BindingSite.objects.filter(tflink_id__regex=TABLE_SITE_ID).alias(page_id=page_id)
    table_sites.filter(Exists(BindingSite.objects.filter(tflink_id=OuterRef("page_id")))).delete()
    table_sites.update(tflink_id=page_id)


def unknown_dash_strands(apps, schema_editor):
    apps.get_model("proteins", "BindingSite").objects.filter(strand="-").update(strand="")


def check_links_now(apps, schema_editor):
    """Run PostgreSQL's deferred foreign-key checks of the rows changed above before the tables are altered."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("proteins", "0013_deferred_index"),
    ]

    operations = [
        migrations.RunPython(merge_case_variants, migrations.RunPython.noop),
        migrations.RunPython(name_table_sites_as_pages_do, migrations.RunPython.noop),
        migrations.RunPython(unknown_dash_strands, migrations.RunPython.noop),
        migrations.RunPython(check_links_now, migrations.RunPython.noop),
        migrations.AddField(
            model_name="importrun",
            name="error",
            field=models.TextField(
                blank=True, help_text="Why the run stopped before its end; empty when it ran through."
            ),
        ),
        migrations.AlterField(
            model_name="bindingsite",
            name="assembly",
            field=models.CharField(blank=True, max_length=40, verbose_name="genome assembly"),
        ),
        migrations.AlterField(
            model_name="bindingsite",
            name="chromosome",
            field=models.CharField(blank=True, help_text="Empty for a site without a genome location.", max_length=100),
        ),
        migrations.AlterField(
            model_name="bindingsite",
            name="end",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="bindingsite",
            name="start",
            field=models.PositiveBigIntegerField(
                blank=True,
                help_text="Empty for a site without a genome location (known from in-vitro experiments).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="bindingsite",
            name="strand",
            field=models.CharField(
                blank=True,
                choices=[("+", "+"), ("-", "-"), ("", "unknown")],
                help_text="Imported pages give '+' or an unknown strand.",
                max_length=1,
            ),
        ),
        migrations.AddConstraint(
            model_name="bindingsite",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("end__isnull", True), ("start__isnull", True)),
                    models.Q(("end__isnull", False), ("start__isnull", False)),
                    _connector="OR",
                ),
                name="binding_site_start_and_end",
                violation_error_message="Give both start and end, or neither for a site without a genome location.",
            ),
        ),
        migrations.AddConstraint(
            model_name="detectionmethod",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                name="detection_method_name_any_case",
                violation_error_message="A detection method of this name, in some case, exists already.",
            ),
        ),
        migrations.AddConstraint(
            model_name="sourcedatabase",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                name="source_database_name_any_case",
                violation_error_message="A source database of this name, in some case, exists already.",
            ),
        ),
    ]
