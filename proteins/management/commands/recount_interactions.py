from django.core.management.base import BaseCommand

from proteins import counts
from proteins.models import Protein


class Command(BaseCommand):
    help = (
        "Count every protein's public interactions again (the TF, target and small-scale counts stored on "
        "each protein), e.g. after interactions were written without the portal's code."
    )

    def handle(self, **options):
        counts.interactions_changed()
        self.stdout.write(self.style.SUCCESS(f"Counted the interactions of {Protein.objects.count()} proteins."))
