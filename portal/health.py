"""``/healthz``: whether this server process can serve, for a load balancer or a process manager.

Public, not throttled and cheap (one query to the database, two reads of the shared cache), so it
may be asked every few seconds.  The status is the web process's: 200 when it can serve
(database, migrations, cache), 503 naming what is wrong otherwise, for a load balancer.  The
worker (``manage.py run_worker``) is checked too, for monitoring: ``healthy`` is false while no
worker was seen for ``WORKER_LATE_SECONDS``, but a late worker does not take the web processes
out of service (pages and the API do not need it; queued jobs wait for it).
The answer names no host, user or error text of the database: anyone may read it.  The logs have
the errors.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal import jobs

logger = logging.getLogger(__name__)

# Set once the database holds every migration this process's code has: the code's migrations do
# not change while it runs, and nobody unapplies them under a running site, so this is asked of the
# database until it is true and never again.
migrated = False


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database cannot be reached.")
        return {"ok": False, "detail": "The database cannot be reached."}
    return {"ok": True}


def migrations_status() -> dict:
    """Whether the database holds every migration of the code (``manage.py migrate`` was run)."""
    global migrated
    if not migrated:
        try:
            executor = MigrationExecutor(connection)
            unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            logger.exception("Health check: the applied migrations cannot be read.")
            return {"ok": False, "detail": "The applied migrations cannot be read from the database."}
        if unapplied:
            names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in unapplied)
            return {"ok": False, "detail": f"Not applied (run manage.py migrate): {names}."}
        migrated = True
    return {"ok": True}


def cache_status() -> dict:
    """Whether the cache every process shares (throttle counts, cached figures) answers."""
    try:
        cache.get("healthz")
    except Exception:  # the error is Redis's or the database's, whichever holds the cache
        logger.exception("Health check: the shared cache cannot be reached.")
        return {"ok": False, "detail": "The shared cache cannot be reached."}
    return {"ok": True}


# A worker beats every jobs.BEAT_SECONDS: three beats missed means it is gone (or stuck).
WORKER_LATE_SECONDS = 3 * jobs.BEAT_SECONDS


def worker_status() -> dict:
    """Whether a worker said it was alive in the last ``WORKER_LATE_SECONDS``."""
    try:
        seen = jobs.worker_last_seen()
    except Exception:  # the cache's error: cache_status reports it
        return {"ok": False, "detail": "The worker's heartbeat cannot be read."}
    if seen is None:
        return {"ok": False, "last_seen": None, "detail": "No worker was seen: start manage.py run_worker."}
    late = (timezone.now() - seen).total_seconds() > WORKER_LATE_SECONDS
    status = {"ok": not late, "last_seen": seen.isoformat()}
    if late:
        status["detail"] = f"No worker was seen for over {WORKER_LATE_SECONDS} s."
    return status


@never_cache
@require_safe
def healthz(request):
    database = database_status()
    checks = {
        "database": database,
        "migrations": migrations_status() if database["ok"] else {"ok": False, "detail": "Not checked."},
        "cache": cache_status(),
    }
    serving = all(check["ok"] for check in checks.values())
    checks["worker"] = worker_status()
    healthy = serving and checks["worker"]["ok"]
    return JsonResponse({"healthy": healthy, "serving": serving, "checks": checks}, status=200 if serving else 503)
