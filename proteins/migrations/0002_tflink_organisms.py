"""The seven TFLink species, with their NCBI taxon ids."""

from django.db import migrations

TFLINK_ORGANISMS = {
    "Homo sapiens": 9606,
    "Mus musculus": 10090,
    "Rattus norvegicus": 10116,
    "Danio rerio": 7955,
    "Drosophila melanogaster": 7227,
    "Caenorhabditis elegans": 6239,
    "Saccharomyces cerevisiae": 559292,
}


def add_organisms(apps, schema_editor):
    Organism = apps.get_model("proteins", "Organism")
    for name, taxon_id in TFLINK_ORGANISMS.items():
        Organism.objects.update_or_create(name=name, defaults={"taxon_id": taxon_id})


class Migration(migrations.Migration):
    dependencies = [("proteins", "0001_initial")]

    operations = [migrations.RunPython(add_organisms, migrations.RunPython.noop)]
