"""Benchmark the REST API's bulk pulls and JSON pages, on SQLite or PostgreSQL.

    python bench/bench_api.py [--rows 1000000] [--database-url postgres://postgres@127.0.0.1:5432/tfportal_apibench]
                              [--json-requests 300] [--refill] [--release]

Fills a database with ``--rows`` interactions (bulk inserts: COPY on PostgreSQL, executemany
on SQLite; reused by later runs unless ``--refill``), then, each in a fresh process so that its
peak memory is its own:

a. streams ``GET /api/interactions/?format=tsv``, ``?format=mitab`` and ``?format=decoupler`` (the
   whole table) through Django's request handler (in process, no HTTP server) and reports rows/s, MB/s, the peak
   resident memory, and how much it grew between the first 100,000 rows and the last;
b. times ``--json-requests`` JSON pages of 100 interactions (cursors at random places, and with
   filters: a TF, the largest organism, the other one, an organism and a source database) and
   reports p50, p95 and the slowest.

With ``--release`` it publishes the filled database as release 1 once (``releases.freezing``;
reused by later runs), then asks the streams and the JSON pages of it (``release=1``).

Settings are production ones (DEBUG off, no throttling). Results go to
``bench/out/api-<engine>-<rows>.json``; ``bench/README.md`` ("REST API") records them.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import random
import sqlite3
import time

from common import (
    OUT_DIR,
    PROJECT_DIR,
    MemorySampler,
    engine_name,
    insert,
    machine,
    memory_kb,
    migrate,
    percentiles,
    postgres_database,
    remove_sqlite,
    run_child,
)

TARGETS_PER_TF = 1000
TARGET_GENES = 20_000
SOURCES = ["GTRD", "ReMap", "TRRUST", "ChIP-Atlas", "IntAct_via_DoRothEA"]
METHODS = [
    "chromatin immunoprecipitation assay",
    "inferred by curator",
    "electrophoretic mobility shift assay",
    "luciferase reporter assay",
]
PUBLICATIONS = 50_000
FORMATS = ("tsv", "mitab", "decoupler")
GOAL_TSV_ROWS_PER_SECOND = 100_000
GOAL_JSON_P95_MS = 50
RNG_SEED = 1
MOUSE_TF_SHARE = 10  # one TF in ten (the last ones) and its interactions are Mus musculus ones


def environment(database_url):
    return {
        **{key: value for key, value in os.environ.items() if key not in ("DEBUG", "DATABASE_URL")},
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "testserver",
        "API_ANON_RATE": "off",
        "PYTHONPATH": str(PROJECT_DIR),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def run_step(step, database_url, *args):
    """This script in a fresh process (``step``), its one JSON line of results."""
    arguments = [__file__, "--step", step, "--database-url", database_url, *args]
    return run_child(f"step {step}", arguments, env=environment(database_url), quiet=True)


# The database.


def database_for(database_url, rows, refill):
    """A database URL, its engine's description, and whether it must be filled."""
    if database_url is None:
        path = OUT_DIR / f"api-{rows}.sqlite3"
        if refill:
            remove_sqlite(path)
        return f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version}"
    return database_url, f"PostgreSQL {postgres_database(database_url, recreate=refill)}"


def step_count():
    from proteins.models import Interaction

    return {"interactions": Interaction.objects.count()}


def step_fill(rows):
    """Organisms come from the migrations; proteins, evidence and ``rows`` interactions are inserted here."""
    from django.db import connection, transaction
    from django.utils import timezone

    from proteins.models import DetectionMethod, GeneId, Interaction, Organism, Protein, Publication, SourceDatabase

    started = time.perf_counter()
    random.seed(RNG_SEED)
    human = Organism.objects.get(taxon_id=9606).pk
    mouse = Organism.objects.get(taxon_id=10090).pk
    now = timezone.now()
    tfs = -(-rows // TARGETS_PER_TF)
    proteins = tfs + TARGET_GENES
    first_mouse_tf = tfs - tfs // MOUSE_TF_SHARE + 1  # the last TFs, so the mouse rows have the last ids

    def organism(protein):
        return mouse if first_mouse_tf <= protein <= tfs else human

    with transaction.atomic():
        insert(
            Protein,
            [
                "id",
                "accession",
                "gene_name",
                "organism",
                "jaspar_matrices",
                "description",
                "provenance",
                "page_hash",
                "created_at",
                "updated_at",
            ],
            (
                (
                    number,
                    f"B{number:08d}",
                    f"TF{number}" if number <= tfs else f"GENE{number}",
                    organism(number),
                    "[]",
                    "",
                    "page",
                    "",
                    now,
                    now,
                )
                for number in range(1, proteins + 1)
            ),
        )
        insert(GeneId, ["protein", "gene_id"], ((number, 100_000 + number) for number in range(1, proteins + 1)))
        insert(SourceDatabase, ["id", "name"], enumerate(SOURCES, 1))
        insert(DetectionMethod, ["id", "name"], enumerate(METHODS, 1))
        insert(Publication, ["pmid"], ((10_000_000 + number,) for number in range(PUBLICATIONS)))

        def pairs():
            for number in range(rows):
                tf, position = divmod(number, TARGETS_PER_TF)
                yield number + 1, tf + 1, tfs + 1 + (tf * 7919 + position) % TARGET_GENES

        insert(
            Interaction,
            ["id", "tf", "target", "organism", "small_scale", "status", "version", "created_at", "updated_at"],
            (
                (pk, tf, target, organism(tf), pk % 10 == 0, "flagged" if pk % 97 == 0 else "unreviewed", 1, now, now)
                for pk, tf, target in pairs()
            ),
        )
        evidence = (
            # link table, its columns, the first id and number of ids linked to, links per interaction
            (Interaction.source_databases.through, ["interaction", "sourcedatabase"], 1, len(SOURCES), (1, 2)),
            (Interaction.detection_methods.through, ["interaction", "detectionmethod"], 1, len(METHODS), (1, 2)),
            (Interaction.publications.through, ["interaction", "publication"], 10_000_000, PUBLICATIONS, (0, 2)),
        )
        for through, columns, first_id, choices, (least, most) in evidence:
            insert(through, columns, evidence_rows(rows, first_id, choices, least, most))
    if connection.vendor == "postgresql":
        # PostgreSQL's autovacuum gathers statistics by itself; SQLite gathers none unless told,
        # and nothing in a lab's portal tells it: its planner guesses, as it does here.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT setval(pg_get_serial_sequence('proteins_interaction', 'id'), %s)", [rows])
    return {"seconds": round(time.perf_counter() - started, 1), "rows": rows, "tfs": tfs}


def evidence_rows(rows, first_id, choices, least, most):
    """Links of interactions 1..``rows`` to ``least``..``most`` distinct ids among ``choices`` from ``first_id``."""
    for pk in range(1, rows + 1):
        start = pk * 31 % choices
        for step in range(least + pk % (most - least + 1)):
            yield pk, first_id + (start + step * 17) % choices


# Measurements (each a step in its own process).


def rss_mb():
    return memory_kb()["VmRSS"] / 1024


def step_stream(file_format, release=False):
    from django.test import Client

    client = Client()
    client.get("/api/sources/", secure=True)  # import and connect before measuring
    baseline = rss_mb()
    sampler = MemorySampler(interval=0.05)
    sampler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.get(f"/api/interactions/?{'release=1&' if release else ''}format={file_format}", secure=True)
    assert response.status_code == 200, response.status_code
    lines = size = 0
    after_100k = None
    for block in response.streaming_content:
        lines += block.count(b"\n")
        size += len(block)
        if after_100k is None and lines >= 100_000:
            after_100k = rss_mb()
    response.close()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    sampler.stop()
    rows = lines - 1  # the header line
    return {
        "format": file_format,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        # This process only: with SQLite all the work, with PostgreSQL all but the server's.
        "cpu_seconds": round(cpu_seconds, 2),
        "rows_per_cpu_second": round(rows / cpu_seconds),
        "mb_per_second": round(size / seconds / 1e6, 1),
        "mb": round(size / 1e6, 1),
        "baseline_rss_mb": round(baseline, 1),
        "rss_after_100k_rows_mb": round(after_100k or 0, 1),
        "rss_at_end_mb": round(rss_mb(), 1),
        "peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        "growth_after_100k_rows_mb": round(rss_mb() - (after_100k or 0), 1),
    }


def step_release():
    """Release 1 of the whole database, frozen (and marked published) unless it is already there."""
    from django.db import connection

    from releases.freezing import freeze
    from releases.models import Release

    if Release.objects.filter(number=1, state=Release.State.PUBLISHED).exists():
        return {"seconds": None}
    Release.objects.filter(number=1).delete()
    started = time.perf_counter()
    release = freeze(Release.objects.create(number=1))
    Release.objects.filter(pk=release.pk).update(state=Release.State.PUBLISHED)
    seconds = round(time.perf_counter() - started, 1)
    if connection.vendor == "postgresql":
        # As after the fill: statistics of the new rows (autovacuum's analyse would take them within a
        # minute); the planner's of the empty table would sort a release's rows for every page.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE releases_releaseinteraction")
    return {"seconds": seconds, "rows": release.figures["interactions"]}


def step_json(requests, rows, release=False):
    from django.test import Client

    from proteins.models import Interaction

    random.seed(RNG_SEED)
    client = Client()
    api = "/api/interactions/?release=1&" if release else "/api/interactions/?"
    tf_name = Interaction.objects.order_by("?").values_list("tf__gene_name", flat=True).first()

    human_rows = Interaction.objects.filter(organism__taxon_id=9606).count()  # ids 1 to human_rows

    def random_cursor(end=rows):
        """A cursor at a random place, far enough from ``end`` (the last id) for a full page."""
        return base64.b64encode(f"p={random.randrange(end - 5000)}".encode()).decode()

    kinds = {
        "no filter, random cursor": lambda: f"{api}page_size=100&cursor={random_cursor()}",
        "tf=<gene name>": lambda: f"{api}page_size=100&tf={tf_name}",
        "organism=9606, random cursor": lambda: f"{api}page_size=100&organism=9606&cursor={random_cursor(human_rows)}",
        "organism=10090, random cursor": lambda: f"{api}page_size=100&organism=10090&cursor={random_cursor()}",
        "organism + source, random cursor": lambda: (
            f"{api}page_size=100&organism=9606&source=TRRUST&cursor={random_cursor(human_rows)}"
        ),
    }
    for make in kinds.values():  # warm up
        for _ in range(5):
            client.get(make(), secure=True)
    timings = {name: [] for name in kinds}
    for number in range(requests):
        name = list(kinds)[number % len(kinds)]
        url = kinds[name]()
        started = time.perf_counter()
        response = client.get(url, secure=True)
        timings[name].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.json()["results"]) == 100, (url, response.status_code)
    every = [ms for values in timings.values() for ms in values]
    return {
        "requests": requests,
        **summary_ms(every),
        "by_kind": {name: summary_ms(values) for name, values in timings.items()},
    }


def summary_ms(values):
    """The median, 95th percentile and slowest, under this script's names."""
    figures = percentiles(values)
    return {"p50_ms": figures["median_ms"], "p95_ms": figures["p95_ms"], "max_ms": figures["max_ms"]}


# The run.


def load_average():
    return os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="postgres://user@host:port/name (default: an SQLite file in bench/out)")
    parser.add_argument("--json-requests", type=int, default=300)
    parser.add_argument("--refill", action="store_true", help="drop and fill the database again")
    parser.add_argument("--release", action="store_true", help="the streams and JSON pages of release 1 (release=1)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        import django

        django.setup()
        steps = {
            "count": step_count,
            "fill": lambda: step_fill(options.rows),
            "stream": lambda: step_stream(options.format, options.release),
            "json": lambda: step_json(options.json_requests, options.rows, options.release),
            "release": step_release,
        }
        print(json.dumps(steps[options.step]()))
        return

    OUT_DIR.mkdir(exist_ok=True)
    database_url, engine = database_for(options.database_url, options.rows, options.refill)
    print(f"Database: {engine}, {options.rows:,} interactions")
    migrate(env=environment(database_url))
    results = {
        "engine": engine,
        "rows": options.rows,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(PROJECT_DIR),
    }
    held = run_step("count", database_url)["interactions"]
    if held != options.rows:
        if held:
            raise SystemExit(f"The database holds {held:,} interactions, not {options.rows:,}: run with --refill.")
        print("Filling ...", flush=True)
        results["fill"] = run_step("fill", database_url, "--rows", str(options.rows))
        print(f"  {results['fill']['seconds']} s")
    if options.release:
        print("Release 1 ...", flush=True)
        results["release"] = run_step("release", database_url)
        print(f"  frozen in {results['release']['seconds']} s" if results["release"]["seconds"] else "  reused")
    results["streams"] = []
    for file_format in FORMATS:
        load = load_average()
        stream = run_step("stream", database_url, "--format", file_format, *(["--release"] if options.release else []))
        stream["load_average_before"] = round(load, 2)
        results["streams"].append(stream)
        goal = f" (goal >= {GOAL_TSV_ROWS_PER_SECOND:,})" if file_format == "tsv" else ""
        print(
            f"{file_format:>5}: {stream['rows']:,} rows in {stream['seconds']} s = {stream['rows_per_second']:,} rows/s"
            f"{goal}, {stream['rows_per_cpu_second']:,} per CPU second of this process, "
            f"{stream['mb_per_second']} MB/s; RSS peak {stream['peak_rss_mb']} MB, "
            f"+{stream['growth_after_100k_rows_mb']} MB after the first 100k rows (load {load:.2f})"
        )
    load = load_average()
    json_options = ["--json-requests", str(options.json_requests), "--rows", str(options.rows)]
    pages = run_step("json", database_url, *json_options, *(["--release"] if options.release else []))
    pages["load_average_before"] = round(load, 2)
    results["json_pages"] = pages
    print(
        f" json: {pages['requests']} pages of 100: p50 {pages['p50_ms']} ms, p95 {pages['p95_ms']} ms "
        f"(goal <= {GOAL_JSON_P95_MS}), max {pages['max_ms']} ms (load {load:.2f})"
    )
    for name, figures in pages["by_kind"].items():
        print(f"       {name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
    output = OUT_DIR / f"api-{engine_name(database_url)}-{options.rows}{'-release' if options.release else ''}.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Results: {output.relative_to(PROJECT_DIR)}")


if __name__ == "__main__":
    main()
