"""Jobs: long work queued from the admin or a command and run by the worker (``manage.py run_worker``).

Each job is a ``Job`` row, whatever the task backend (the database or Redis): ``queue`` makes it
and hands its id to a task (``proteins.tasks``, ``curation.tasks``); the task runs the work inside
``running(job_id)``, which records the attempt, its progress, its result or its error.  A task
leaves its staged files until the work succeeds, so a failed job can be queued again
(``run_again``) and the work, which is idempotent, done anew.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.utils import timezone

from .models import Job

# Progress is written about this many times a job, not once a page.
PROGRESS_STEPS = 100


def queue(kind: Job.Kind, task, *, user=None, description: str = "", arguments: dict | None = None) -> Job:
    """Record a job and enqueue ``task`` (a ``django_tasks`` task taking the job's id).

    Called outside a transaction (the admin's views and commands are not atomic), so the job's
    row is committed before a worker on Redis can look for it; the database backend's queue is
    a table written beside it.
    """
    job = Job.objects.create(kind=kind, user=user, description=description[:1000], arguments=arguments or {})
    task.enqueue(job.pk)
    return job


def run_again(job: Job, task) -> None:
    """Queue a failed job again, with the arguments (and staged files) it kept."""
    if job.state != Job.State.FAILED:
        raise ValueError(f"{job} is {job.state}: only a failed job runs again.")
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED)
    task.enqueue(job.pk)


@contextmanager
def running(job_id: int) -> Iterator[Job]:
    """Run one attempt of a job: it is running, then done, or failed with the error (which goes on)."""
    job = Job.objects.get(pk=job_id)
    job.state, job.started_at, job.finished_at = Job.State.RUNNING, timezone.now(), None
    job.attempts += 1
    job.done = job.total = 0
    job.error = job.result = ""
    job.save()
    try:
        yield job
    except BaseException as error:
        job.state, job.finished_at = Job.State.FAILED, timezone.now()
        job.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        job.save()
        raise
    job.state, job.finished_at = Job.State.DONE, timezone.now()
    job.done = max(job.done, job.total)
    job.save()


def progress(job: Job, total: int) -> Callable[..., None]:
    """A callback for the importer's ``on_page``: counts pages done of ``total``, and writes the
    count about ``PROGRESS_STEPS`` times, so that the admin's list shows it while the job runs."""
    job.total = total
    Job.objects.filter(pk=job.pk).update(total=total, done=0)
    step = max(1, total // PROGRESS_STEPS)

    def page_done(*_args) -> None:
        job.done += 1
        if job.done % step == 0 or job.done == total:
            Job.objects.filter(pk=job.pk).update(done=job.done)

    return page_done


def row_progress(job: Job) -> Callable[[int, int], None]:
    """A callback ``(done, total)`` for work counted in rows (a release's publication): writes the
    job's progress about ``PROGRESS_STEPS`` times, and whenever the total changes."""

    def rows_done(done: int, total: int) -> None:
        step = max(1, total // PROGRESS_STEPS)
        if total != job.total or done - job.done >= step or done == total:
            job.done, job.total = done, total
            Job.objects.filter(pk=job.pk).update(done=done, total=total)

    return rows_done


def staging_folder(root: Path, token: str) -> Path:
    """Where a job's staged files wait: apart from the uploads waiting for their preview's
    confirmation, which are removed after a day, since a failed job keeps its files."""
    return Path(root) / "jobs" / token
