"""Throttles of the API. Their rates are read from settings at each request, not once at import,
so a deployment (and a test) sets them in one place: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``.

Each throttle counts requests per identity (an address, a user name) in the shared cache, in
windows that open at an identity's first request and last the rate's period: a counter is one
atomic increment, so requests that several server processes receive at once are all counted.
"""

import hashlib
import math
import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


class CountingThrottle(BaseThrottle):
    """At most the scope's rate of requests per identity and period (None: not throttled)."""

    scope: str

    def identities(self, request, view) -> list[str]:
        """What the request is counted against; each has its own counter."""
        raise NotImplementedError

    def allow_request(self, request, view):
        self.seconds_to_wait = None
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None:
            return True
        number, period = rate.split("/")
        limit, duration = int(number), PERIODS[period[0]]
        waits = [self.count(identity, limit, duration) for identity in self.identities(request, view)]
        waits = [wait for wait in waits if wait is not None]
        if waits:
            self.seconds_to_wait = max(waits)
        return not waits

    def count(self, identity, limit, duration):
        """Count one request of ``identity``; the seconds until its window ends if it is over the limit, else None."""
        key = f"throttle:{self.scope}:{hashlib.sha256(identity.encode()).hexdigest()}"
        now = time.time()
        try:
            requests = cache.incr(key)
        except ValueError:  # no open window
            if cache.add(key, 1, timeout=duration):
                cache.set(f"{key}:ends", now + duration, timeout=duration)
                requests = 1
            else:  # another process opened it meanwhile
                requests = cache.incr(key)
        if requests <= limit:
            return None
        return max(1, math.ceil(cache.get(f"{key}:ends", now + duration) - now))

    def wait(self):
        return self.seconds_to_wait


class AnonymousRateThrottle(CountingThrottle):
    """Anonymous clients, per address, at the "anon" rate."""

    scope = "anon"

    def identities(self, request, view):
        if request.user and request.user.is_authenticated:
            return []
        return [f"address {self.get_ident(request)}"]


class TokenRequestThrottle(AnonymousRateThrottle):
    """Requests for an API token (a user name and password), per IP address, at the "token" rate."""

    scope = "token"
