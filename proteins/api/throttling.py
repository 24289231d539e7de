"""Throttles of the API. Their rates are read from settings at each request, not once at import,
so a deployment (and a test) sets them in one place: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousRateThrottle(AnonRateThrottle):
    """Anonymous clients, per IP address, at the "anon" rate (None: not throttled)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRequestThrottle(AnonymousRateThrottle):
    """Requests for an API token (a user name and password), per IP address, at the "token" rate."""

    scope = "token"
