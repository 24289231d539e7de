"""WSGI entry point for production servers (gunicorn, uWSGI, mod_wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# What start-up made (modules, settings, URL patterns, templates' libraries) lives as long as the
# process: frozen, it is left out of the collector's full collections, which otherwise walk all of
# it every few requests (bench/README.md, "Public pages", has the figures).  Start-up garbage
# is collected first so that it is not kept for good.
gc.collect()
gc.freeze()
