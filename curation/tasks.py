"""The background tasks of the ``curation`` app, run by the worker inside ``proteins.jobs.running``."""

import shutil
from pathlib import Path

from django.core.files.base import File
from django_tasks import task

from proteins import jobs
from proteins.models import Organism

from .mode_tables import import_mode_table


@task()
def import_staged_mode_table(job_id: int) -> None:
    """Import a previewed mode table with the options previewed (one transaction: all or nothing);
    its staged file is removed once the import has run through."""
    with jobs.running(job_id) as job:
        staged = Path(job.arguments["file"])
        organism = Organism.objects.get(pk=job.arguments["organism"])
        with staged.open("rb") as table:
            report = import_mode_table(
                File(table, name=job.arguments["name"]),
                organism,
                create_missing=job.arguments["create_missing"],
                user=job.user,
            )
        job.mode_table_run = report.run
        job.done = job.total = report.rows_read
        job.result = ", ".join(f"{label}: {count}" for label, count in report.summary())
    shutil.rmtree(staged.parent, ignore_errors=True)
