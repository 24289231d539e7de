"""API throttling as an abuser meets it: forged forwarded addresses, password guessing at the token
endpoint, and several server processes that count against one limit."""

import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from tests.servers import database_url_for_servers, free_port

PROJECT = Path(__file__).resolve().parent.parent
TOKEN_URL = "/api/auth/token/"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters(db):
    """No counts left by another test (a test's own rows in the database cache go with its transaction)."""
    cache.clear()


@pytest.fixture
def rates(settings):
    """Sets throttle rates for a test; the scopes it does not name are off."""

    def set_rates(**rates):
        throttle_rates = {"anon": None, "token": None, **rates}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": throttle_rates}

    return set_rates


@pytest.fixture
def curie():
    return User.objects.create_user("curie", password="radium-226")


def request_token(client, username, password="polonium", **headers):
    return client.post(TOKEN_URL, {"username": username, "password": password}, **headers)


# Whose address is counted.


def test_rotating_x_forwarded_for_does_not_escape_the_anonymous_limit(client, rates):
    rates(anon="3/minute")

    responses = [client.get("/api/sources/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(4)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert responses[-1].json()["error"].startswith("Too Many Requests")
    assert 0 < int(responses[-1]["Retry-After"]) <= 60


def test_rotating_x_forwarded_for_does_not_escape_the_token_limit(client, rates):
    rates(token="3/minute")

    responses = [request_token(client, f"user{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(4)]

    assert [response.status_code for response in responses] == [400, 400, 400, 429]
    assert responses[-1].json()["error"].startswith("Too Many Requests")


def test_behind_a_trusted_proxy_the_address_the_proxy_saw_is_counted(client, rates, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    rates(anon="3/minute")

    def through_proxy(forwarded):
        return client.get("/api/sources/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).status_code

    # The client forges the start of the header; the proxy (and a second one) append what they saw.
    forged = [through_proxy(f"198.51.100.{n}, 203.0.113.7") for n in range(3)]
    two_proxies = through_proxy("198.51.100.9, 203.0.113.7, 10.0.0.5")
    another_client = through_proxy("203.0.113.8")

    assert forged == [200, 200, 200]
    assert two_proxies == 429
    assert another_client == 200


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**os.environ, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
    )


def test_a_trusted_proxy_that_is_not_an_address_stops_the_site_with_the_variable_named():
    result = manage("check", TRUSTED_PROXIES="10.0.0.0/8, proxy.example.org")

    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.example.org' is not an IP address or network." in result.stderr


# The token endpoint.


def test_token_requests_are_throttled_when_signed_in_with_a_token(client, rates, curie):
    token = Token.objects.create(user=curie)
    rates(token="3/minute")

    statuses = [
        request_token(client, "curie", "radium-226", HTTP_AUTHORIZATION=f"Token {token.key}").status_code
        for _ in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_guessing_one_user_name_from_many_addresses_is_throttled(client, rates, curie):
    rates(token="3/minute")

    guesses = [request_token(client, "curie", REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(4)]
    other_name = request_token(client, "marie", REMOTE_ADDR="203.0.113.99").status_code

    assert guesses == [400, 400, 400, 429]
    assert other_name == 400


def test_case_variants_of_a_user_name_count_as_that_name(client, rates, curie):
    rates(token="3/minute")

    statuses = [
        request_token(client, name, REMOTE_ADDR=f"203.0.113.{n}").status_code
        for n, name in enumerate(["curie", "Curie", "CURIE", "\uff43\uff55\uff52\uff49\uff45"])  # last: full-width
    ]

    assert statuses == [400, 400, 400, 429]


# Every door that takes a password.


@pytest.mark.parametrize("login_url", ["/curation/login/", "/admin/login/"])
def test_sign_in_pages_count_password_guesses_per_user_name_whatever_the_address(client, rates, curie, login_url):
    rates(token="3/minute")

    def sign_in(password, n):
        return client.post(login_url, {"username": "curie", "password": password}, REMOTE_ADDR=f"203.0.113.{n}")

    guesses = [sign_in("polonium", n).status_code for n in range(3)]
    refused = sign_in("radium-226", 3)  # the right password, once over the limit

    assert guesses == [200, 200, 200]  # the form again, saying the password is wrong
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_guesses_at_the_sign_in_page_and_the_token_endpoint_share_one_count(client, rates, curie):
    rates(token="3/minute")

    client.post("/curation/login/", {"username": "curie", "password": "polonium"})
    client.post("/admin/login/", {"username": "curie", "password": "polonium"})

    assert request_token(client, "curie").status_code == 400
    assert request_token(client, "curie", "radium-226").status_code == 429


# Several server processes.


def test_redis_url_keeps_the_cache_in_redis():
    prefix = f"test-{uuid.uuid4().hex}"
    store = redis.Redis.from_url(REDIS_URL)

    result = manage(
        "shell",
        "-c",
        "from django.core.cache import cache; cache.set('probe', 7)",
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=prefix,
    )
    try:
        assert result.returncode == 0, result.stderr
        assert store.get(f"{prefix}:1:probe") == b"7"
    finally:
        store.delete(f"{prefix}:1:probe")


def start_server(env, log_path):
    """A runserver process; returns it and its base URL once it accepts connections."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
            cwd=PROJECT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"The server on port {port} did not start: {log_path.read_text()}")


LIMIT = 4


@pytest.fixture(params=["database", "redis"])
def two_servers(request, transactional_db, tmp_path):
    """Two runserver processes on one database and one cache (the database's table, or Redis),
    at an anonymous rate of LIMIT a minute; yields their base URLs."""
    prefix = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url_for_servers(tmp_path),
        "CACHE_KEY_PREFIX": prefix,
        "API_ANON_RATE": f"{LIMIT}/minute",
        "REDIS_URL": REDIS_URL if request.param == "redis" else "",
    }
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).ping()  # Redis is part of the setup (README); fail here, not later
    processes = []
    try:
        for number in range(2):
            processes.append(start_server(env, tmp_path / f"server{number}.log"))
        yield [url for _, url in processes]
    finally:
        for process, _ in processes:
            process.terminate()
            process.wait(timeout=30)
        # (Their rows in a database cache are the test database's, and carry the prefix.)
        if request.param == "redis" and (keys := redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")):
            redis.Redis.from_url(REDIS_URL).delete(*keys)


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_server_processes_count_against_one_limit(two_servers):
    first, second = two_servers

    statuses = [status(f"{base}/api/sources/") for base in [first, second] * (LIMIT // 2 + 1)]

    assert statuses == [200] * LIMIT + [429, 429]


def test_requests_arriving_at_once_at_two_processes_are_all_counted(two_servers):
    urls = [f"{base}/api/sources/" for base in two_servers] * (LIMIT + 2)

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        statuses = list(pool.map(status, urls))

    assert sorted(statuses) == [200] * LIMIT + [429] * (len(urls) - LIMIT)
