"""Settings of the TF-target curation portal, read from the environment (12-factor).

Local use needs nothing: ``DEBUG=1`` gives a development key and an SQLite file in the
project.  Production sets ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL`` (PostgreSQL)
and leaves ``DEBUG`` unset; ``manage.py check --deploy`` is then clean.
"""

import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_rq",  # the Redis backend's worker; installed either way, so the migrations never differ
    "proteins",
    "curation",
    "releases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they get the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "proteins.context_processors.site",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user@host:5432/name for production); SQLite by default.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the site's queries are short, and a large cost estimate made PostgreSQL spend far
    # longer compiling a plan than running it (bench/README.md, "Public pages").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work during an import; NORMAL sync is durable in WAL mode except
        # on power loss, and commits per page stay cheap.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    # Indexes "include" the id on PostgreSQL; SQLite's indexes hold the row id anyway.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The curator area's sign-in (django.contrib.auth views under /curation/).
LOGIN_URL = "curation:login"
LOGIN_REDIRECT_URL = "curation:dashboard"
LOGOUT_REDIRECT_URL = "proteins:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries come from the npm registry (package.json, installed by `make setup`).
    ("vendor/cytoscape", BASE_DIR / "node_modules" / "cytoscape" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Release files (``releases``): written once when a release is published, then served at stable
    # addresses. Files on disk by default; a deployment may set an object store's backend here.
    "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("RELEASES_DIR", BASE_DIR / "var" / "releases")},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Largest protein page (or download table) the importer reads, in bytes.
# Field histories keep a curator's whole reason (a flag's reason can be a visitor's report of
# thousands of characters); the default, 100 characters, is refused by PostgreSQL beyond that.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# The portal's name: the source database of the evidence its curators read in papers.
PORTAL_NAME = os.environ.get("PORTAL_NAME", "TF-target portal")
# The site's public address (https://portal.example.org): what a release published by
# `manage.py publish_release` names in its manifest and citation (the admin names the address it
# was reached at). Empty: the command asks for --url.
PORTAL_URL = os.environ.get("PORTAL_URL", "").strip()

IMPORT_MAX_PAGE_BYTES = int(os.environ.get("IMPORT_MAX_PAGE_BYTES", 10 * 1024 * 1024))
# Largest upload of pages (all files, or a zip's unpacked members) in the admin, in bytes.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024))
# Where uploaded pages wait between their preview and their import (default: the system's temp folder).
IMPORT_UPLOAD_DIR = os.environ.get("IMPORT_UPLOAD_DIR", "")
# SQLite page cache of an import's connection, in MB (the default 2 MB makes imports disk-bound).
IMPORT_SQLITE_CACHE_MB = int(os.environ.get("IMPORT_SQLITE_CACHE_MB", 128))
# An import of at least this many pages into an empty interaction table sets the indexes it does
# not read aside and builds them at the end (proteins.importing.deferred_indexes); 0 never does.
IMPORT_DEFER_INDEXES_PAGES = int(os.environ.get("IMPORT_DEFER_INDEXES_PAGES", 1000))


# The cache that every server process shares: the API's throttle counters, the organism
# summaries, the menu.  REDIS_URL (redis://host:6379/0) selects Redis; without it the cache is
# a table of the database (made by `manage.py migrate`, see proteins.apps), which every process
# on every machine of the site reaches with no other server, and whose counters are exact
# (portal.cache).  The file cache would be shared only on one machine, and each process's own
# memory is not shared at all.  CACHE_KEY_PREFIX keeps apart sites that share one Redis.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Django culls the table beyond MAX_ENTRIES (300 by default): counters would go with it.
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.DatabaseCache",
            "LOCATION": "django_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX", "")

# Background jobs (proteins.jobs) through Django's Tasks API: queued in a table of the database by
# default, which needs no other server; in Redis (RQ) when REDIS_URL is set.  `manage.py run_worker`
# runs them with either backend.
if REDIS_URL:
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker deletes the task backend's records of jobs finished this many days ago (the database
# backend's; RQ expires its own). The project's ``Job`` rows, what the admin lists, are kept.
TASK_RESULTS_KEEP_DAYS = int(os.environ.get("TASK_RESULTS_KEEP_DAYS", 14))
# A confirmed spreadsheet import of more rows than this runs as a job; smaller ones in the request.
JOBS_SPREADSHEET_ROWS = int(os.environ.get("JOBS_SPREADSHEET_ROWS", 300))


def env_networks(name):
    """Comma-separated addresses or networks (10.0.0.0/8, ::1) from the environment."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network.") from None
    return networks


# The proxies in front of the site (addresses or networks).  Only a request that comes from one
# of them has its client's address read from X-Forwarded-For, right to left, past the proxies
# named here (proteins.api.throttling.client_address); otherwise the client is the address the
# request came from, and X-Forwarded-For, which anyone can send, is ignored.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")


def env_rate(name, default):
    """A throttle rate ("3600/hour": requests per second, minute, hour or day) from the environment, or None."""
    rate = os.environ.get(name, "").strip() or default
    if rate.lower() == "off":
        return None
    if not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)", rate):
        raise ImproperlyConfigured(f'{name}: give a rate such as "3600/hour", or "off", not {rate!r}.')
    return rate


# Problem reports visitors may send per client address and hour (curation.reports; 0: no limit),
# counted in the shared cache so every server process agrees.
REPORTS_PER_HOUR = int(os.environ.get("REPORTS_PER_HOUR", 5))


# REST API (proteins/api/): reading is open, writing needs a session or a token.
# Anonymous clients are throttled per IP address (API_ANON_RATE, e.g. "3600/hour"; "off"
# disables it): a bulk pull is one streamed request, so the limit only bites scrapers that
# page through JSON one request after another.  Requests for a token are throttled per address
# and per user name (API_TOKEN_RATE), signed in or not.  The counters live in the shared cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": ["proteins.api.throttling.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_ANON_RATE", "3600/hour"),
        "token": env_rate("API_TOKEN_RATE", "10/minute"),  # POST /api/auth/token/: password guessing
    },
    # DRF's own reading of X-Forwarded-For (its default, None, trusts every address in it) is
    # not used by the portal's throttles; 0 keeps any DRF throttle on the connection's address.
    "NUM_PROXIES": 0,
    # Keyset pagination: no COUNT(*) over millions of rows, no OFFSET.
    "DEFAULT_PAGINATION_CLASS": "proteins.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every error is JSON: {"error": "<one line>", "detail": <message, or messages per parameter>}.
    "EXCEPTION_HANDLER": "proteins.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TF-target curation portal API",
    "DESCRIPTION": (
        "Transcription factor -> target gene interactions with their evidence, built from TFLink. "
        "Lists are JSON pages (cursor pagination); interactions also stream whole filtered sets as "
        "TSV (TFLink columns), PSI-MITAB 2.8, GMT or NDJSON with `?format=` or the Accept header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the drf-spectacular-sidecar package: served locally, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the curation states, whichever field holds them (status, from_status, to_status).
    "ENUM_NAME_OVERRIDES": {"InteractionStatusEnum": "proteins.models.Interaction.Status"},
}

# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and fetches
# from this site only, never inline (templates link static files: no <style>, no style="" or
# on...="" attributes), no plugins, nothing may frame the site, forms post here only. Images may
# also be data: URLs, as the icons inside Swagger UI's stylesheet are. Redoc's page alone gets
# more (inline styles, its search worker, its logo), on its view in proteins/api/urls.py.
# With DEBUG on, Django's error pages (inline styles) go without the header.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Security: strict whenever DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A load balancer may ask for the health check over plain HTTP (on loopback, say): answered, not redirected.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
