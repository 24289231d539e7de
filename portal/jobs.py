"""The worker's heartbeat, in the cache every server process shares (``settings.CACHES``).

``manage.py run_worker`` calls ``beat`` when it starts and every ``BEAT_SECONDS`` while it
runs; a health check reads ``worker_last_seen``.
"""

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

BEAT_SECONDS = 30
CACHE_KEY = "jobs:worker-last-seen"


def beat() -> None:
    """Record that a worker is alive now."""
    cache.set(CACHE_KEY, timezone.now().isoformat(), timeout=None)


def worker_last_seen() -> datetime | None:
    """When a worker last said it was alive, or None if none ever did (or the cache was cleared)."""
    seen = cache.get(CACHE_KEY)
    return datetime.fromisoformat(seen) if seen else None
