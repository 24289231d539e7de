from django.core.management.base import BaseCommand

from proteins import counts, jobs, tasks
from proteins.models import Job, Protein


class Command(BaseCommand):
    help = (
        "Count every protein's public interactions again (the TF, target and small-scale counts stored on "
        "each protein), e.g. after interactions were written without the portal's code."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--background", action="store_true", help="Queue the recount as a job for the worker (run_worker)."
        )

    def handle(self, *, background, **options):
        if background:
            job = jobs.queue(Job.Kind.RECOUNT, tasks.recount_interactions, description="every protein")
            self.stdout.write(self.style.SUCCESS(f"{job} is queued; the worker (manage.py run_worker) runs it."))
            return
        counts.interactions_changed()
        self.stdout.write(self.style.SUCCESS(f"Counted the interactions of {Protein.objects.count()} proteins."))
