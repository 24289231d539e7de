"""Several web processes (gunicorn, as the Procfile runs it) on one database and one shared cache:
what a curator does through one is what every visitor sees through the other, at once, and the
API's limits count requests to both together."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
from rest_framework.authtoken.models import Token

from proteins.models import Interaction
from tests.accounts import staff
from tests.servers import database_url_for_servers, free_port

PROJECT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
# Anonymous API requests an address may make a minute, in both processes together.
LIMIT = 5


def start_web_process(env, log_path):
    """``gunicorn --config gunicorn.conf.py`` with one worker on a free loopback port; returns the
    process and its base URL once its health check answers 200."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
            cwd=PROJECT,
            env={**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def wait_until_healthy(process, url, log_path):
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if fetch(f"{url}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"The web process at {url} did not become healthy: {log_path.read_text()}")


def fetch(url, data=None, headers=None):
    """The status and body of a request (a POST of ``data`` as JSON when given)."""
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def reviewer_token(sample_data):
    """The sample pages imported and a reviewer's API token, before the processes start (on SQLite
    they get a copy of the database as it is then)."""
    return Token.objects.create(user=staff("rosalind", "reviewer")).key


@pytest.fixture(params=["database", "redis"])
def two_web_processes(request, transactional_db, reviewer_token, tmp_path):
    """Two gunicorn processes on the test database and one cache (the database's table, or Redis),
    behind a trusted proxy on loopback; yields their base URLs."""
    prefix = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url_for_servers(tmp_path),
        "CACHE_KEY_PREFIX": prefix,
        "API_ANON_RATE": f"{LIMIT}/minute",
        "TRUSTED_PROXIES": "127.0.0.1",
        "REDIS_URL": REDIS_URL if request.param == "redis" else "",
    }
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).ping()  # Redis is part of the setup (README); fail here, not later
    processes = [start_web_process(env, tmp_path / f"web{number}.log") for number in range(2)]
    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        for number, (process, url) in enumerate(processes):
            wait_until_healthy(process, url, tmp_path / f"web{number}.log")
        yield [url for _, url in processes]
    finally:
        for process in [worker, *(process for process, _ in processes)]:
            process.terminate()
            process.wait(timeout=30)
        # (Their rows in a database cache are the test database's, and carry the prefix.)
        if request.param == "redis" and (keys := redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")):
            redis.Redis.from_url(REDIS_URL).delete(*keys)


def home_page_interactions(base, organism_name):
    """The number of interactions the home page shows for ``organism_name``."""
    status, page = fetch(f"{base}/")
    assert status == 200
    row = re.search(rf"<i>{re.escape(organism_name)}</i>.*?</td>\s*<td[^>]*>\d+</td>\s*<td[^>]*>(\d+)</td>", page)
    return int(row.group(1))


def api_interactions(base, taxon_id):
    status, body = fetch(f"{base}/api/organisms/{taxon_id}/")
    assert status == 200
    return json.loads(body)["interactions"]


def worker_seen_through(base):
    """Whether the web process at ``base`` sees the worker alive (its heartbeat in the shared cache)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if json.loads(fetch(f"{base}/healthz")[1])["checks"]["worker"]["ok"]:
            return True
        time.sleep(0.2)
    return False


def test_a_rejection_through_one_process_shows_at_once_through_the_other_where_the_worker_is_seen(
    two_web_processes, reviewer_token
):
    acting, reading = two_web_processes
    interaction = Interaction.objects.public().select_related("organism").order_by("pk").first()
    organism = interaction.organism
    shown_before = home_page_interactions(reading, organism.name)
    counted_before = api_interactions(reading, organism.taxon_id)  # now cached, in the shared cache

    status, body = fetch(
        f"{acting}/api/interactions/{interaction.pk}/reject/",
        {"reason": "The cited paper shows no binding.", "version": interaction.version},
        {"Authorization": f"Token {reviewer_token}"},
    )

    assert status == 200, body
    assert home_page_interactions(reading, organism.name) == shown_before - 1
    assert worker_seen_through(reading)
    assert api_interactions(reading, organism.taxon_id) == counted_before - 1
    assert fetch(f"{reading}/api/interactions/{interaction.pk}/")[0] == 404


def test_two_processes_count_a_clients_requests_against_one_limit(two_web_processes):
    visitor = {"X-Forwarded-For": "198.51.100.7"}  # as the proxy on loopback says

    statuses = [fetch(f"{base}/api/sources/", headers=visitor)[0] for base in two_web_processes * 3]

    assert statuses == [200] * LIMIT + [429]
