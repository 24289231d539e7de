"""Grade the interactions held before modes and confidence existed.

They have no statements yet and no mode set by a reviewer: their mode stays unknown, and
their confidence follows from their evidence and status by ``curation.grading``'s rule.
"""

from django.db import migrations
from django.db.models import Count

CHUNK = 4000


def grade(apps, schema_editor):
    from curation.grading import Facts, confidence_level

    Interaction = apps.get_model("proteins", "Interaction")
    sources, methods = Interaction.source_databases.through, Interaction.detection_methods.through
    ids = list(Interaction.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        counted = [
            dict(
                through.objects.filter(interaction_id__in=chunk)
                .values("interaction_id")
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("interaction_id", "n")
            )
            for through in (sources, methods)
        ]
        by_level = {}
        for pk, status, small_scale in Interaction.objects.filter(pk__in=chunk).values_list(
            "pk", "status", "small_scale"
        ):
            facts = Facts(status == "approved", small_scale, counted[0].get(pk, 0), counted[1].get(pk, 0), 0)
            by_level.setdefault(confidence_level(facts), []).append(pk)
        for level, pks in by_level.items():
            Interaction.objects.filter(pk__in=pks).update(confidence=level)


class Migration(migrations.Migration):
    dependencies = [("proteins", "0016_modes_and_confidence")]

    operations = [migrations.RunPython(grade, migrations.RunPython.noop, elidable=True)]
