"""Helpers the benchmark scripts share (run them from the project: `python bench/<script>.py`).

The machine and the code measured, percentiles, CPU and memory accounting from ``/proc``,
the databases (SQLite files, PostgreSQL databases dropped and recreated), child processes,
production settings and the synthetic data's building blocks.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
INSERT_CHUNK = 50_000  # rows per executemany on SQLite

# UniProt's six-character accessions: [OPQ][0-9][A-Z0-9]{3}[0-9], numbered.
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACCESSION_COUNT = 3 * 10 * 36**3 * 10


# The machine and the code measured.


def machine(project: Path | None = None) -> dict:
    """Date, CPUs, memory and Python of this machine; with ``project``, the commit measured."""
    cpu_lines = Path("/proc/cpuinfo").read_text().splitlines()
    memory_lines = Path("/proc/meminfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpu_lines if line.startswith("model name")), "unknown")
    memory_kb = next((int(line.split()[1]) for line in memory_lines if line.startswith("MemTotal")), 0)
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_mb": memory_kb // 1024,
        "python": platform.python_version(),
    }
    if project is not None:
        info["commit"] = code_revision(project)
    return info


def machine_line(info: dict) -> str:
    """The machine in one line, as the scripts print it first."""
    return f"{info['nproc']} CPUs ({info['cpu']}), {info['memory_mb']:,} MB RAM, Python {info['python']}"


def code_revision(project: Path) -> str:
    """The commit benchmarked, and whether the apps' code differs from it (others may be editing the checkout)."""

    def git(*args):
        result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    if git("rev-parse", "--show-toplevel") != str(project):
        return f"snapshot in {project} (not a git checkout)"
    dirty = git("status", "--porcelain", "--", "proteins", "curation", "portal", "templates")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def relative(path: Path) -> Path:
    """``path`` relative to the project when it lies inside it."""
    try:
        return path.relative_to(PROJECT_DIR)
    except ValueError:
        return path


# Figures.


def percentiles(samples: list[float]) -> dict:
    """Median, nearest-rank 95th percentile, fastest and slowest of ``samples`` (milliseconds)."""
    ordered = sorted(samples)
    rank = max(0, -(-95 * len(ordered) // 100) - 1)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[rank], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
        "requests": len(ordered),
    }


def verdict(value: float, goal: float) -> str:
    return "OK" if value <= goal else "MISSED"


# CPU accounting: how busy the machine was while something was measured.


def cpu_snapshot() -> dict:
    """CPU seconds so far: the machine's busy and iowait time, PostgreSQL's and this process's."""
    user, nice, system, _idle, iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "time": time.perf_counter(),
        "busy": (user + nice + system + irq + softirq + steal) / CLOCK_TICKS,
        "iowait": iowait / CLOCK_TICKS,
        "self": usage.ru_utime + usage.ru_stime,
        "postgres": postgres_cpu_seconds(),
        "load": os.getloadavg()[0],
    }


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server processes (finished backends count in their parent's)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name, rest = stat.split("(", 1)[1].rsplit(")", 1)
        if name == "postgres":
            # utime, stime, cutime, cstime: fields 14-17 of /proc/<pid>/stat.
            total += sum(int(value) for value in rest.split()[11:15])
    return total / CLOCK_TICKS


def cpu_used(before: dict) -> dict:
    """CPUs kept busy since ``before``: by this process, by PostgreSQL (any client's), by everything else."""
    after = cpu_snapshot()
    elapsed = after["time"] - before["time"]
    own = (after["self"] - before["self"]) / elapsed
    postgres = (after["postgres"] - before["postgres"]) / elapsed
    busy = (after["busy"] - before["busy"]) / elapsed
    return {
        "self": round(own, 2),
        "postgres": round(postgres, 2),
        "others": round(max(0.0, busy - own - postgres), 2),
        "load_after": after["load"],
    }


# Memory: resident (VmRSS) and peak resident (VmHWM) sizes from /proc.


def memory_kb(pid: int | str = "self") -> dict:
    """VmRSS and VmHWM of a process in kB; empty if it has ended or is a zombie."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values if "VmHWM" in values else {}


def reset_peak_memory() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux: ``5`` into clear_refs); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class MemorySampler(threading.Thread):
    """Samples this process's VmRSS every ``interval`` seconds, from start to stop; ``peak_kb`` is the largest."""

    def __init__(self, interval: float = 0.01):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kb = memory_kb()["VmRSS"]
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, memory_kb()["VmRSS"])
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        self.join()
        self.peak_kb = max(self.peak_kb, memory_kb()["VmRSS"])


# The databases.


def remove_sqlite(path: Path | str) -> None:
    """Delete an SQLite database file and its journals."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


SERVER_SETTINGS = ("shared_buffers", "max_wal_size")  # what a large import's server time depends on


def postgres_database(database_url: str, recreate: bool = True) -> str:
    """Create the URL's PostgreSQL database (dropped first if ``recreate``); return the server's version and settings.

    The settings (``SERVER_SETTINGS``) are part of a figure: the cold import of TFLink's full size
    costs the server twice the CPU with PostgreSQL's default 128 MB of shared buffers.
    """
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url)
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("--database-url: give a postgres://user@host:port/name URL (SQLite is the default).")
    name = unquote(url.path.lstrip("/"))
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"--database-url: refusing to drop the database {name!r}; name a benchmark database.")
    connection = psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or "") or None,
        dbname="postgres",
        autocommit=True,
    )
    with connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if recreate and exists:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if recreate or not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = connection.execute("SHOW server_version").fetchone()[0]
        settings = ", ".join(f"{name} {connection.execute(f'SHOW {name}').fetchone()[0]}" for name in SERVER_SETTINGS)
        return f"{version}; {settings}"


def engine_name(database_url: str) -> str:
    """``sqlite`` or ``postgresql``: the engine's part of a results file's name."""
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def migrate(project: Path = PROJECT_DIR, env: dict | None = None) -> float:
    """``manage.py migrate`` in a fresh process; the seconds it took."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(Path(project, "manage.py")), "migrate", "--no-input"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit("manage.py migrate failed.")
    return time.perf_counter() - started


# Processes and Django.


def run_child(
    what: str, arguments: list[str], cwd: Path | str = PROJECT_DIR, env: dict | None = None, quiet: bool = False
):
    """``python <arguments>`` in a fresh process; the JSON on its last line of output.

    Its stderr (progress) goes to ours, or, when ``quiet``, is shown only if it fails.
    """
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if quiet else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-5000:] + (result.stderr or "")[-5000:])
        raise SystemExit(f"The {what} failed with exit status {result.returncode}.")
    return json.loads(result.stdout.strip().splitlines()[-1])


def set_production_environment() -> None:
    """DEBUG off (with DEBUG on Django records every query), a secret key, the test client's host allowed."""
    debug = os.environ.get("DEBUG", "").strip().lower()
    if debug not in ("", "0", "false", "no", "off"):
        print(f"Note: DEBUG={debug} ignored; the benchmark runs with DEBUG=0 (DEBUG=1 records every query).")
    os.environ["DEBUG"] = "0"
    if len(os.environ.get("SECRET_KEY", "")) < 50:
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("LOG_LEVEL", "ERROR")


def set_up_django(project: Path | str = PROJECT_DIR) -> None:
    sys.path.insert(0, str(project))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fetch(client, url: str, redirects: bool = False, **post) -> float:
    """Milliseconds to serve a GET of ``url``, or a POST of ``post`` (secure: DEBUG=0 redirects plain HTTP).

    ``redirects``: a GET may answer with a redirect (a search that finds one protein), not followed.
    """
    started = time.perf_counter()
    response = client.post(url, post, secure=True) if post else client.get(url, secure=True)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in ((200, 302) if post or redirects else (200,)):
        raise SystemExit(f"{url}: status {response.status_code}")
    return elapsed


# Building a synthetic database (in a process where Django is set up).


def accession(number: int) -> str:
    """The ``number``-th accession of the pattern [OPQ][0-9][A-Z0-9]{3}[0-9]."""
    number, last = divmod(number, 10)
    number, third = divmod(number, 36)
    number, second = divmod(number, 36)
    number, first = divmod(number, 36)
    letter, digit = divmod(number, 10)
    return f"{'OPQ'[letter]}{digit}{ALPHANUMERIC[first]}{ALPHANUMERIC[second]}{ALPHANUMERIC[third]}{last}"


def pick_status(draw: float, shares) -> str:
    """The status whose share of ``shares`` (status, share) a random ``draw`` in [0, 1) falls in; else unreviewed."""
    for status, share in shares:
        if draw < share:
            return status
        draw -= share
    return "unreviewed"


def insert(model, columns: list[str], rows) -> None:
    """Insert ``rows`` (any iterable): COPY on PostgreSQL, where executemany is the slow part of a build;
    ``proteins.importing.sql.insert_rows`` in chunks on SQLite."""
    from django.db import connection

    from proteins.importing.sql import insert_rows

    if connection.vendor != "postgresql":
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == INSERT_CHUNK:
                insert_rows(model, columns, batch)
                batch = []
        insert_rows(model, columns, batch)
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(column).column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def reset_sequences(*app_labels: str) -> None:
    """PostgreSQL: move the apps' id sequences past the ids inserted explicitly."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [
        model for label in app_labels for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def analyse() -> float:
    """Statistics for the planner (on PostgreSQL also VACUUM, which autovacuum would otherwise run mid-benchmark);
    the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM (ANALYZE)")
    return time.perf_counter() - started
