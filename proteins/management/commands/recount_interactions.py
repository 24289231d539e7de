from django.core.management.base import BaseCommand

from proteins import counts


class Command(BaseCommand):
    help = (
        "Count every protein's public interactions again (the TF, target and small-scale counts stored on "
        "each protein), e.g. after interactions were written without the portal's code."
    )

    def handle(self, **options):
        updated = counts.refresh_all()
        self.stdout.write(self.style.SUCCESS(f"Counted the interactions of {updated} proteins."))
