"""``/healthz``: whether this server process can serve, for a load balancer or a process manager.

Public, not throttled and cheap (one query to the database, one read of the shared cache), so it
may be asked every few seconds.  200 when every check passes; 503 naming what is wrong otherwise.
The answer names no host, user or error text of the database: anyone may read it.  The logs have
the errors.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

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


@never_cache
@require_safe
def healthz(request):
    database = database_status()
    checks = {
        "database": database,
        "migrations": migrations_status() if database["ok"] else {"ok": False, "detail": "Not checked."},
        "cache": cache_status(),
    }
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"healthy": healthy, "checks": checks}, status=200 if healthy else 503)
