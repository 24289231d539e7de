"""The background tasks of the ``proteins`` app: thin calls of the import, the spreadsheet
resources and the recount, run by the worker inside ``jobs.running`` (see ``proteins.jobs``).
"""

import shutil
from pathlib import Path

import tablib
from django.utils.module_loading import import_string
from django_tasks import task

from . import counts, jobs
from .importing import uploads
from .importing.reading import find_pages
from .importing.run import import_pages
from .models import ImportRun, Protein


@task()
def import_uploaded_pages(job_id: int) -> None:
    """Import the pages an upload staged; its files are removed once the import has run through."""
    with jobs.running(job_id) as job:
        folder = Path(job.arguments["folder"])
        upload = uploads.load(folder, folder.name)
        if upload is None:
            raise FileNotFoundError(f"the staged files of this job are gone ({folder}): upload the pages again")
        paths = upload.import_paths()
        files, _missing = find_pages(paths)
        job.import_run = ImportRun.objects.create(user=job.user, paths="\n".join(upload.names))
        job.save(update_fields=["import_run"])
        report = import_pages(paths, run=job.import_run, root=upload.files, on_page=jobs.progress(job, len(files)))
        job.result = report.summary()
    uploads.discard(upload)


@task()
def import_spreadsheet(job_id: int) -> None:
    """Import a confirmed spreadsheet with its resource, as the admin's confirmation does for small ones."""
    with jobs.running(job_id) as job:
        staged = Path(job.arguments["file"])
        dataset = tablib.Dataset().load(staged.read_text(encoding="utf-8"), format="csv")
        resource = import_string(job.arguments["resource"])()
        job.total = len(dataset)
        result = resource.import_data(
            dataset,
            dry_run=False,
            file_name=job.arguments["file_name"],
            user=job.user,
            retain_instance_in_row_result=True,
        )
        problems = spreadsheet_problems(result)
        if problems:
            raise ValueError(f"nothing was imported: {problems}")
        job.done = len(dataset)
        job.result = ", ".join(f"{count} {kind}" for kind, count in result.totals.items() if count) or "no row"
    shutil.rmtree(staged.parent, ignore_errors=True)


def spreadsheet_problems(result) -> str:
    """The first errors of a spreadsheet's import (each naming its row), or ''."""
    lines = [f"row {number}: {error.error}" for number, errors in result.row_errors() for error in errors]
    lines += [f"row {row.number}: {row.error_dict}" for row in result.invalid_rows]
    lines += [str(error.error) for error in result.base_errors]
    shown = "; ".join(lines[:20])
    return f"{shown} (and {len(lines) - 20} more)" if len(lines) > 20 else shown


@task()
def recount_interactions(job_id: int) -> None:
    """Count every protein's public interactions again (``counts.interactions_changed``)."""
    with jobs.running(job_id) as job:
        counts.interactions_changed()
        job.result = f"Counted the interactions of {Protein.objects.count()} proteins."
