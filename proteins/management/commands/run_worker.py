import itertools
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from portal import jobs


class Command(BaseCommand):
    help = (
        "Run the background jobs (uploads, large spreadsheets, mode tables, recounts): the database "
        "backend's db_worker, or RQ's rqworker when REDIS_URL is set. Records a heartbeat while it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the jobs waiting now, then stop.")

    def handle(self, *, once, verbosity, **options):
        jobs.beat()
        jobs.prune_task_results()
        if not once:
            threading.Thread(target=keep_beating, daemon=True, name="worker heartbeat").start()
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
            # RQ's jobs must be the Tasks API's, which call the task and record its result.
            call_command(
                "rqworker", "default", burst=once, job_class="django_tasks_rq.backend.Job", verbosity=verbosity
            )
        else:
            call_command("db_worker", batch=once, reload=False, startup_delay=not once, verbosity=verbosity)


def keep_beating():
    """Beat while the process lives (the thread is a daemon: it ends with the worker), and prune the
    finished tasks' results every ``PRUNE_SECONDS``."""
    beats_per_prune = jobs.PRUNE_SECONDS // jobs.BEAT_SECONDS
    for count in itertools.count(1):
        time.sleep(jobs.BEAT_SECONDS)
        jobs.beat()
        if count % beats_per_prune == 0:
            jobs.prune_task_results()
        connection.close()  # this thread's own connection (the database cache, the pruning), not the worker's
