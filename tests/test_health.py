"""/healthz as a load balancer meets it: public, JSON, cheap, never throttled or redirected, and a
503 naming what is wrong when the process cannot serve."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from portal import health, jobs
from tests.servers import free_port

PROJECT = Path(__file__).resolve().parent.parent
ASK = (
    "from django.test import Client; import json; client = Client(HTTP_HOST='localhost'); "
    "answers = {{path: client.get(path) for path in {paths!r}}}; "
    "print(json.dumps({{path: [answer.status_code, answer.get('Location'), answer.content.decode()] "
    "for path, answer in answers.items()}}))"
)


def ask(paths, **env):
    """The answers to ``paths`` of a process started with ``env``: {path: [status, Location, body]}."""
    environment = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", ASK.format(paths=list(paths))],
        cwd=PROJECT,
        env={**environment, "ALLOWED_HOSTS": "localhost", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.django_db
def test_a_healthy_process_answers_200_with_each_check_in_a_few_queries(client, django_assert_max_num_queries):
    jobs.beat()  # a worker is running
    client.get("/healthz")  # the first answer also reads the applied migrations

    with django_assert_max_num_queries(3):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    answer = response.json()
    assert (answer["healthy"], answer["serving"]) == (True, True)
    assert answer["checks"]["worker"]["ok"] is True
    assert {name: check for name, check in answer["checks"].items() if name != "worker"} == {
        "database": {"ok": True},
        "migrations": {"ok": True},
        "cache": {"ok": True},
    }


@pytest.mark.django_db
def test_without_a_worker_the_web_process_still_serves_but_is_not_healthy(client):
    cache.delete(jobs.CACHE_KEY)
    never = client.get("/healthz")
    cache.set(jobs.CACHE_KEY, (timezone.now() - timedelta(seconds=health.WORKER_LATE_SECONDS + 5)).isoformat())
    late = client.get("/healthz")

    assert never.status_code == late.status_code == 200
    assert never.json()["serving"] is True and never.json()["healthy"] is False
    assert "No worker was seen" in never.json()["checks"]["worker"]["detail"]
    assert late.json()["healthy"] is False
    assert f"over {health.WORKER_LATE_SECONDS} s" in late.json()["checks"]["worker"]["detail"]


@pytest.mark.django_db
def test_the_health_check_is_never_throttled(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"}}

    statuses = [client.get("/healthz").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


def test_a_database_that_cannot_be_reached_is_a_503_that_names_no_host():
    nobody_listens = free_port()

    answers = ask(["/healthz"], DEBUG="1", DATABASE_URL=f"postgres://portal@127.0.0.1:{nobody_listens}/portal")

    status, _, body = answers["/healthz"]

    assert status == 503
    answer = json.loads(body)
    assert answer["healthy"] is False
    assert answer["checks"]["database"] == {"ok": False, "detail": "The database cannot be reached."}
    assert answer["checks"]["migrations"]["ok"] is False
    assert str(nobody_listens) not in body and "portal@" not in body


def test_in_production_the_health_check_is_answered_over_plain_http_and_names_unapplied_migrations(tmp_path):
    answers = ask(
        ["/", "/healthz"],
        SECRET_KEY="x9" * 32 + "-production-secret-key-for-the-health-check",
        DATABASE_URL=f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}",
    )

    home_status, home_location, _ = answers["/"]
    health_status, health_location, body = answers["/healthz"]
    assert (home_status, home_location) == (301, "https://localhost/")
    assert health_status == 503 and health_location is None
    migrations = json.loads(body)["checks"]["migrations"]
    assert migrations["ok"] is False
    assert "run manage.py migrate" in migrations["detail"]
    assert "proteins.0001_initial" in migrations["detail"]
