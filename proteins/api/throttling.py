"""Throttles of the API. Their rates are read from settings at each request, not once at import,
so a deployment (and a test) sets them in one place: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``.

Each throttle counts requests per identity (an address, a user name) in the shared cache, in
windows that open at an identity's first request and last the rate's period: a counter is one
atomic increment, so requests that several server processes receive at once are all counted.
"""

import functools
import hashlib
import ipaddress
import math
import time
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.shortcuts import render
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    The connection's address, unless it is one of ``settings.TRUSTED_PROXIES``: then the proxy's
    X-Forwarded-For is read from its end (the address the proxy itself saw), past any further
    trusted proxies.  The addresses before them are whatever the client wrote, and never read.
    """
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while forwarded and is_trusted_proxy(address):
        address = forwarded.pop()
    return address


def is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # a dual-stack server's view of IPv4
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def normalized_user_name(name) -> str:
    """A posted user name as the token throttle counts it: case and Unicode forms of one name are one."""
    return unicodedata.normalize("NFKC", str(name)).casefold().strip()


class CountingThrottle(BaseThrottle):
    """At most the scope's rate of requests per identity and period (None: not throttled)."""

    scope: str

    def identities(self, request, view) -> list[str]:
        """What the request is counted against; each has its own counter."""
        raise NotImplementedError

    def rate(self) -> str | None:
        """The scope's rate ("5/hour"), or None when it is not throttled."""
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.seconds_to_wait = None
        rate = self.rate()
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
        return [f"address {client_address(request)}"]


class TokenRequestThrottle(CountingThrottle):
    """Password guesses: requests for an API token and sign-ins (``limit_password_guesses``), at
    the "token" rate per address and per user name, signed in or not.  One counter for every door
    that takes a password, so guesses spread over them are counted together.

    Per address, so one client cannot try many names quickly; per name, so many clients (or one
    behind many addresses) cannot try many passwords for one name.
    """

    scope = "token"

    def identities(self, request, view):
        identities = [f"address {client_address(request)}"]
        data = request.data if hasattr(request, "data") else request.POST  # an API or a plain Django request
        name = data.get("username") if hasattr(data, "get") else None
        if name is not None and normalized_user_name(name):
            identities.append(f"user {normalized_user_name(name)}")
        return identities


def limit_password_guesses(view):
    """``view`` (a sign-in page) with its posted passwords counted by ``TokenRequestThrottle``:
    over the rate, a 429 page says when to try again, and the password is not checked."""
    throttle = TokenRequestThrottle()

    @functools.wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST" and not throttle.allow_request(request, None):
            wait = math.ceil(throttle.wait())
            response = render(request, "429.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return limited
