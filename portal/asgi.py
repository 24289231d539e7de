"""ASGI entry point for asynchronous servers (uvicorn, daphne)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_asgi_application()

# What start-up made (modules, settings, URL patterns, templates' libraries) lives as long as the
# process: frozen, it is left out of the collector's full collections, which otherwise walk all of
# it every few requests (bench/README.md, "Public pages", has the figures).  Start-up garbage
# is collected first so that it is not kept for good.
gc.collect()
gc.freeze()
