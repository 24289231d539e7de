"""The worker's heartbeat, in the cache every server process shares (``settings.CACHES``), and
its housekeeping.

``manage.py run_worker`` calls ``beat`` when it starts and every ``BEAT_SECONDS`` while it
runs; a health check reads ``worker_last_seen``.  Every ``PRUNE_SECONDS`` it also deletes the
task backend's records of jobs finished ``settings.TASK_RESULTS_KEEP_DAYS`` ago
(``prune_task_results``), so that the queue's table does not grow for ever.
"""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

BEAT_SECONDS = 30
PRUNE_SECONDS = 3600
CACHE_KEY = "jobs:worker-last-seen"


def beat() -> None:
    """Record that a worker is alive now."""
    cache.set(CACHE_KEY, timezone.now().isoformat(), timeout=None)


def worker_last_seen() -> datetime | None:
    """When a worker last said it was alive, or None if none ever did (or the cache was cleared)."""
    seen = cache.get(CACHE_KEY)
    return datetime.fromisoformat(seen) if seen else None


def prune_task_results() -> None:
    """Delete the database backend's results of tasks finished ``TASK_RESULTS_KEEP_DAYS`` ago or more
    (RQ expires its own results); the ``Job`` rows, the project's record, stay."""
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        call_command("prune_db_task_results", min_age_days=settings.TASK_RESULTS_KEEP_DAYS, verbosity=0)
