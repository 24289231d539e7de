"""gunicorn's settings for the portal's web processes, read from the environment like portal/settings.py.

``gunicorn --config gunicorn.conf.py`` (the Procfile's ``web``) serves ``portal.wsgi`` on
``BIND`` (``127.0.0.1:8000`` by default; ``PORT`` alone gives ``127.0.0.1:$PORT``): loopback, for a
proxy on the same machine in front.  A proxy elsewhere needs ``BIND=0.0.0.0:8000`` and a firewall.
"""

import os

wsgi_app = "portal.wsgi:application"

# Loopback unless told otherwise: gunicorn's own default with PORT set would be every interface.
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"

# gunicorn's rule of thumb, two processes a core and one more (five on a two-core machine), each
# with a few threads.  Each thread holds its own database connection (CONN_MAX_AGE), so
# workers x threads must stay under PostgreSQL's max_connections with the workers' and the admin's.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
# Threads, not sync workers: a sync worker streaming a whole organism's TSV for longer than the
# timeout would be killed as hung; a threaded worker's heartbeat goes on while a thread streams.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

# A worker silent this long (hung) is killed and replaced; on a restart, requests in flight
# get graceful_timeout to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
# Longer than gunicorn's 2 s: connections come from the proxy, which reuses them.
keepalive = 5

# Logs go to the process manager: requests to stdout, errors to stderr.
accesslog = "-"
errorlog = "-"

# The proxies whose X-Forwarded-Proto gunicorn believes (wsgi.url_scheme, so Django knows a
# request came over HTTPS): the ones the portal trusts for X-Forwarded-For, else loopback.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES") or "127.0.0.1,::1"

# gunicornc's control socket only when asked for: its default path is one per user, which two
# servers on one machine would both claim.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
