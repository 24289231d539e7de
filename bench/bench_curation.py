"""Benchmark the curator area on a large synthetic database, SQLite or PostgreSQL.

    python bench/bench_curation.py [--database-url URL] [--interactions 1000000] [--requests 50]
                                   [--bulk 1000] [--seed 1] [--reuse]

1. Builds a fresh database (``bench/out/curation-<interactions>.sqlite3``, or the PostgreSQL
   database of ``--database-url``, dropped and recreated), migrates it and fills it directly
   with bulk inserts (``proteins.importing.sql.insert_rows``): four organisms, ``--interactions``
   interactions with evidence, statuses as a curated portal has them (mostly unreviewed),
   last changes spread over two years, curators' flag and decision events. Then ANALYZE.
   ``--reuse`` keeps the database of an earlier run (migrating it, then ANALYZE again).
2. Times the review queue's first page in-process with ``django.test.Client`` (server time,
   no network), signed in as a reviewer: for each filter and sort, warm-up requests, then
   ``--requests`` timed ones; median and p95 against the goal, and the plan of the page's
   main query (EXPLAIN QUERY PLAN / EXPLAIN).
3. Times bulk approves: a full page of the queue (200 rows, one POST of its form), then
   ``--bulk`` unreviewed interactions through ``curation.workflow.bulk_transition`` (what the
   form, the admin and the API call), counting its queries and profiling it.
4. Writes the results to ``bench/out/curation-results-<engine>-<interactions>.json``.

Runs with production settings (``DEBUG=0``: with ``DEBUG=1`` Django records every query).
See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sqlite3
import sys
import time
from urllib.parse import urlencode

from common import (
    ACCESSION_COUNT,
    OUT_DIR,
    PROJECT_DIR,
    accession,
    analyse,
    engine_name,
    fetch,
    machine,
    machine_line,
    migrate,
    percentiles,
    pick_status,
    postgres_database,
    progress,
    remove_sqlite,
    reset_sequences,
    set_production_environment,
    set_up_django,
    verdict,
)

STATIC_ROOT = OUT_DIR / "curation-static"

GOAL_QUEUE_P95_MS = 200
GOAL_BULK_SECONDS = 5
WARM_UP_REQUESTS = 3
CHUNK = 50_000

# taxon id -> (share of the interactions, proteins per 1,000,000 interactions, name style)
ORGANISMS = {9606: (0.70, 20_000, str.upper), 10090: (0.20, 10_000, str.capitalize), 7227: (0.06, 4_000, str.lower)}
ORGANISMS[559292] = (0.04, 3_000, str.upper)
STATUS_SHARES = (("flagged", 0.02), ("approved", 0.04), ("rejected", 0.01))  # the rest: unreviewed
SMALL_SCALE_SHARE = 0.03
SOURCES = {"GTRD": 55, "ReMap": 30, "ChIP-Atlas": 20, "TRRUST": 4, "ORegAnno": 3, "PAZAR": 2, "HTRI": 2, "TRED": 2}
METHODS = {"chromatin immunoprecipitation assay": 80, "electrophoretic mobility shift assay": 10, "DAP-seq": 5}
FAMILIES = ("ZNF", "SLC", "KRT", "TMEM", "CCDC", "FAM", "SOX", "FOX", "KLF", "MYO", "COL", "RNF")
CURATORS = ("cora", "carl", "cleo", "cyd")
REVIEWERS = ("rex", "rita")
HISTORY_DAYS = 730


def main(argv=None):
    args = parse_arguments(argv)
    OUT_DIR.mkdir(exist_ok=True)
    set_production_environment()
    database_url, engine = database(args)
    os.environ["DATABASE_URL"] = database_url
    info = {
        **machine(PROJECT_DIR),
        "engine": engine,
        "load_before": " ".join(f"{load:.2f}" for load in os.getloadavg()),
    }
    print(f"Machine: {machine_line(info)}, {engine}, {info['date']}")
    print(f"Load average before starting: {info['load_before']}", flush=True)

    started = time.perf_counter()
    migrate()
    set_up_django()
    build = {"reused": args.reuse}
    if not args.reuse:
        build.update(fill_database(args.interactions, args.seed))
    build["analyze_seconds"] = round(analyse(), 1)
    build["seconds"] = round(time.perf_counter() - started, 1)
    build["counts"] = counts()
    report_build(build)

    collect_static()
    facts = facts_for_urls()
    queue = time_queue(facts, args.requests)
    extras = time_other_pages(facts, args.requests)
    report_pages(queue, extras)
    bulk = {"page": time_bulk_page(), "workflow": time_bulk_workflow(args.bulk)}
    report_bulk(bulk)

    results = {"machine": info, "build": build, "queue": queue, "other_pages": extras, "bulk_approve": bulk}
    path = OUT_DIR / f"curation-results-{engine_name(database_url)}-{args.interactions}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nResults saved to {path.relative_to(PROJECT_DIR)}")
    return 0


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Benchmark the review queue and bulk acts on a synthetic database.")
    parser.add_argument(
        "--database-url", help="postgres://user@host:port/name, dropped and recreated (default: SQLite)."
    )
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="Timed requests per queue view.")
    parser.add_argument("--bulk", type=int, default=1000, help="Interactions approved in one bulk act.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Keep the database of an earlier run.")
    return parser.parse_args(argv)


# The environment and the database.


def database(args):
    """The database URL (fresh unless ``--reuse``) and a description of the engine."""
    if args.database_url is None:
        path = OUT_DIR / f"curation-{args.interactions}.sqlite3"
        if not args.reuse:
            remove_sqlite(path)
        return f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version}"
    version = postgres_database(args.database_url, recreate=not args.reuse)
    return args.database_url, f"PostgreSQL {version}"


# Filling the database.


def fill_database(interactions, seed):
    from django.db import connection

    rng = random.Random(seed)
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    evidence = insert_vocabulary(rng, interactions)
    users = insert_users()
    next_ids = {"protein": 1, "interaction": 1, "event": 1}
    sizes = {
        taxon_id: (max(2000, proteins_per_million * interactions // 1_000_000), int(share * interactions), style)
        for taxon_id, (share, proteins_per_million, style) in ORGANISMS.items()
    }
    evidence["accessions"] = iter(rng.sample(range(ACCESSION_COUNT), sum(size[0] for size in sizes.values())))
    for taxon_id, (proteins, organism_interactions, style) in sizes.items():
        progress(f"  taxon {taxon_id}: {proteins:,} proteins, {organism_interactions:,} interactions ...")
        insert_organism(rng, taxon_id, proteins, organism_interactions, style, evidence, next_ids)
        insert_events(rng, taxon_id, users, next_ids)
    reset_sequences("proteins", "curation")
    return {"insert_seconds": round(time.perf_counter() - started, 1)}


def insert_vocabulary(rng, interactions):
    """Source databases, detection methods and PubMed ids: their ids, and weights to draw them by."""
    from proteins.importing.sql import insert_rows
    from proteins.models import DetectionMethod, Publication, SourceDatabase

    def vocabulary(model, weights):
        model.objects.bulk_create(model(name=name) for name in weights)
        ids = dict(model.objects.values_list("name", "pk"))
        return [ids[name] for name in weights], list(weights.values())

    pmids = rng.sample(range(1_000_000, 40_000_000), max(1000, interactions // 20))
    insert_rows(Publication, ["pmid"], [(pmid,) for pmid in pmids])
    sources, methods = vocabulary(SourceDatabase, SOURCES), vocabulary(DetectionMethod, METHODS)
    return {"sources": sources, "methods": methods, "pmids": pmids}


def insert_users():
    from django.contrib.auth.models import Group, User

    users = {}
    for role, names in (("curator", CURATORS), ("reviewer", REVIEWERS)):
        group = Group.objects.get(name=role)
        for name in names:
            user = User(username=name)
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            users[name] = user.pk
    return users


def gene_name(rng, numbers, style):
    family = rng.choice(FAMILIES)
    numbers[family] = numbers.get(family, 0) + 1
    return style(f"{family}{numbers[family]}")


def insert_organism(rng, taxon_id, proteins, interactions, style, evidence, next_ids):
    from django.db import connection, transaction
    from django.utils import timezone

    from proteins.importing.sql import insert_rows
    from proteins.models import Interaction, Organism, Protein

    organism_id = Organism.objects.get(taxon_id=taxon_id).pk
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    first = next_ids["protein"]
    protein_ids = list(range(first, first + proteins))
    next_ids["protein"] += proteins
    numbers = {}
    created = adapt(now)
    rows = [
        (pk, accession(next(evidence["accessions"])), gene_name(rng, numbers, style), "", organism_id, created, created)
        for pk in protein_ids
    ]
    columns = ["id", "accession", "gene_name", "description", "organism", "created_at", "updated_at"]
    insert_rows(
        Protein, [*columns, "jaspar_matrices", "provenance", "page_hash"], [(*row, "[]", "page", "") for row in rows]
    )

    # TFs: a tenth of the proteins, their numbers of targets falling off like 1/rank.
    tfs = rng.sample(protein_ids, max(2, proteins // 10))
    weights = [1 / (rank + 5) for rank in range(len(tfs))]
    pairs = set()
    while len(pairs) < interactions:
        for tf in rng.choices(tfs, weights, k=interactions - len(pairs)):
            target = rng.choice(protein_ids)
            if target != tf:
                pairs.add((tf, target))
    pairs = list(pairs)
    rng.shuffle(pairs)

    columns = ["id", "tf", "target", "organism", "small_scale", "status", "version", "created_at", "updated_at"]
    (sources, source_weights), (methods, method_weights) = evidence["sources"], evidence["methods"]
    pmids = evidence["pmids"]
    for start in range(0, len(pairs), CHUNK):
        chunk_rows, source_links, method_links, pmid_links = [], [], [], []
        for pk, (tf, target) in enumerate(pairs[start : start + CHUNK], start=next_ids["interaction"] + start):
            changed = adapt(now - datetime.timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400)))
            status = pick_status(rng.random(), STATUS_SHARES)
            chunk_rows.append(
                (pk, tf, target, organism_id, rng.random() < SMALL_SCALE_SHARE, status, 1, changed, changed)
            )
            source_links += [
                (pk, source) for source in set(rng.choices(sources, source_weights, k=rng.choice((1, 1, 2, 3))))
            ]
            method_links += [
                (pk, method) for method in set(rng.choices(methods, method_weights, k=rng.choice((1, 1, 2))))
            ]
            pmid_links += [(pk, pmid) for pmid in set(rng.choices(pmids, k=rng.choice((1, 1, 2))))]
        with transaction.atomic():
            insert_rows(Interaction, columns, chunk_rows)
            insert_rows(Interaction.source_databases.through, ["interaction", "sourcedatabase"], source_links)
            insert_rows(Interaction.detection_methods.through, ["interaction", "detectionmethod"], method_links)
            insert_rows(Interaction.publications.through, ["interaction", "publication"], pmid_links)
    next_ids["interaction"] += len(pairs)


def insert_events(rng, taxon_id, users, next_ids):
    """A flag event for every flagged interaction, a decision for every approved or rejected one."""
    from django.db import connection

    from curation.models import CurationEvent
    from proteins.importing.sql import insert_rows
    from proteins.models import Interaction

    decided = Interaction.objects.filter(organism__taxon_id=taxon_id).exclude(status="unreviewed")
    adapt = connection.ops.adapt_datetimefield_value
    rows = []
    for pk, status, changed in decided.values_list("pk", "status", "updated_at").iterator(chunk_size=CHUNK):
        if status == "flagged":
            actor, action, reason = users[rng.choice(CURATORS)], "flag", "ChIP peak far from the gene"
        else:
            actor, action = users[rng.choice(REVIEWERS)], "approve" if status == "approved" else "reject"
            reason = "no binding motif" if status == "rejected" else ""
        rows.append((next_ids["event"], pk, actor, action, "unreviewed", status, reason, adapt(changed)))
        next_ids["event"] += 1
    columns = ["id", "interaction", "actor", "action", "from_status", "to_status", "reason", "created_at"]
    for start in range(0, len(rows), CHUNK):
        insert_rows(CurationEvent, columns, rows[start : start + CHUNK])


def counts():
    from django.db.models import Count

    from curation.models import CurationEvent
    from proteins.models import Interaction, Protein

    return {
        "proteins": Protein.objects.count(),
        "interactions": Interaction.objects.count(),
        "by_status": dict(Interaction.objects.order_by().values_list("status").annotate(n=Count("pk"))),
        "small_scale": Interaction.objects.filter(small_scale=True).count(),
        "source_links": Interaction.source_databases.through.objects.count(),
        "events": CurationEvent.objects.count(),
    }


def report_build(build):
    counted = build["counts"]
    print(
        f"\nDatabase: {'reused' if build['reused'] else 'built'} in {build['seconds']} s "
        f"(ANALYZE {build['analyze_seconds']} s): {counted['interactions']:,} interactions "
        f"{counted['by_status']}, {counted['proteins']:,} proteins, {counted['small_scale']:,} small-scale, "
        f"{counted['source_links']:,} source links, {counted['events']:,} curation events",
        flush=True,
    )


# Timing.


def collect_static():
    """DEBUG=0 names static files by the hashes of collectstatic's manifest."""
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = STATIC_ROOT
    call_command("collectstatic", interactive=False, verbosity=0)


def facts_for_urls():
    """Real values for the filters: a busy TF, a gene name, a rare source."""
    from django.db.models import Count

    from proteins.models import Interaction, Organism, Protein

    busiest = Interaction.objects.values("tf").annotate(n=Count("pk")).order_by("-n")[0]
    tf = Protein.objects.get(pk=busiest["tf"])
    target = Protein.objects.filter(interactions_as_target__isnull=False).order_by("pk").first()
    return {
        "tf": tf.accession,
        "tf_targets": busiest["n"],
        "tf_name": tf.gene_name.lower(),
        "target_name": target.gene_name,
        "human": Organism.objects.get(taxon_id=9606).pk,
        "yeast": Organism.objects.get(taxon_id=559292).pk,
        "interaction": Interaction.objects.filter(status="flagged").order_by("pk").values_list("pk", flat=True)[0],
    }


def queue_views(facts):
    human, yeast = facts["human"], facts["yeast"]
    return [
        ("everything, newest first", {}),
        ("everything, oldest first", {"sort": "updated"}),
        ("everything by TF name", {"sort": "tf"}),
        ("everything by target name", {"sort": "target"}),
        ("everything by status", {"sort": "status"}),
        ("unreviewed", {"status": "unreviewed"}),
        ("flagged", {"status": "flagged"}),
        ("flagged by TF name", {"status": "flagged", "sort": "tf"}),
        ("unreviewed by target name", {"status": "unreviewed", "sort": "target"}),
        ("human", {"organism": human}),
        ("yeast, unreviewed", {"organism": yeast, "status": "unreviewed"}),
        ("human, flagged, oldest first", {"organism": human, "status": "flagged", "sort": "updated"}),
        ("human by TF name", {"organism": human, "sort": "tf"}),
        ("human by TF name, page 20", {"organism": human, "sort": "tf", "page": 20}),
        ("yeast by target name", {"organism": yeast, "sort": "target"}),
        (f"TF {facts['tf']} ({facts['tf_targets']:,} targets)", {"tf": facts["tf"]}),
        (f"TF named {facts['tf_name']} by target", {"tf": facts["tf_name"], "sort": "target"}),
        (f"target named {facts['target_name']}", {"target": facts["target_name"]}),
        ("source TRRUST (rare)", {"source": "TRRUST"}),
        ("source GTRD (common), unreviewed", {"source": "GTRD", "status": "unreviewed"}),
        ("small-scale", {"small_scale": "yes"}),
        ("small-scale by target name", {"small_scale": "yes", "sort": "target"}),
        ("small-scale, flagged, by TF", {"small_scale": "yes", "status": "flagged", "sort": "tf"}),
        ("flagged by cora", {"flagged_by": "cora"}),
        ("page 20 (offset 950), newest first", {"page": 20}),
        ("200 rows per page", {"per_page": 200}),
    ]


def signed_in_client():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=REVIEWERS[0]))
    return client


def time_queue(facts, requests):
    client = signed_in_client()
    results = []
    for label, params in queue_views(facts):
        url = "/curation/queue/" + (f"?{urlencode(params)}" if params else "")
        progress(f"  {label}: {url}")
        for _ in range(WARM_UP_REQUESTS):
            fetch(client, url)
        samples = [fetch(client, url) for _ in range(requests)]
        results.append({"label": label, "url": url, **percentiles(samples), "plan": queue_plan(params)})
    return results


def queue_plan(params):
    """The plan of the query finding the page's rows, as the database will run it."""
    from django.db import connection
    from django.http import QueryDict

    from curation import selectors
    from curation.forms import QueueFilterForm

    form = QueueFilterForm(QueryDict(urlencode(params)))
    if not form.is_valid():
        raise SystemExit(f"{params}: {form.errors.as_text()}")
    per_page = form.cleaned_data["per_page"]
    offset = ((form.cleaned_data["page"] or 1) - 1) * per_page
    ids = selectors.review_queue(**form.filters()).values_list("pk", flat=True)  # the query that finds the page
    sql, sql_params = ids[offset : offset + per_page + 1].query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, sql_params)
        found = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [detail for _node, _parent, _unused, detail in found]
    return [row[0] for row in found]


def time_other_pages(facts, requests):
    client = signed_in_client()
    results = []
    for label, url in (
        ("dashboard", "/curation/"),
        ("workspace of a flagged interaction", f"/curation/interaction/{facts['interaction']}/"),
    ):
        progress(f"  {label}: {url}")
        for _ in range(WARM_UP_REQUESTS):
            fetch(client, url)
        results.append({"label": label, "url": url, **percentiles([fetch(client, url) for _ in range(requests)])})
    return results


def unreviewed_ids(size):
    from proteins.models import Interaction

    return list(Interaction.objects.filter(status="unreviewed").order_by("pk").values_list("pk", flat=True)[:size])


def time_bulk_page():
    """The queue's form approving a full page (200 rows, the largest page): one POST."""
    from proteins.models import Interaction

    client = signed_in_client()
    ids = unreviewed_ids(200)
    progress(f"  bulk approve of {len(ids)} interactions through the queue's form ...")
    seconds = fetch(client, "/curation/queue/", action="approve", reason="", ids=ids) / 1000
    approved = Interaction.objects.filter(pk__in=ids, status="approved").count()
    if approved != len(ids):
        raise SystemExit(f"The bulk approve changed {approved} of {len(ids)} interactions.")
    return {"interactions": len(ids), "seconds": round(seconds, 2)}


def time_bulk_workflow(size):
    """``workflow.bulk_transition`` approving ``size`` interactions (as the admin and the API call it)."""
    import cProfile
    import pstats
    from io import StringIO

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from curation import workflow
    from proteins.models import Interaction

    reviewer = User.objects.get(username=REVIEWERS[1])
    progress(f"  bulk approve of {size:,} interactions through workflow.bulk_transition ...")
    interactions = list(Interaction.objects.filter(pk__in=unreviewed_ids(size)).select_related("tf", "target"))
    started = time.perf_counter()
    done, refused = workflow.bulk_transition(interactions, "approve", reviewer)
    seconds = time.perf_counter() - started
    if refused or len(done) != size:
        raise SystemExit(f"The bulk approve did {len(done)} of {size}; refused: {refused[:3]}")
    # Again on the next interactions, counting queries and profiling (which slows it down).
    interactions = list(Interaction.objects.filter(pk__in=unreviewed_ids(size)).select_related("tf", "target"))
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profile.runcall(workflow.bulk_transition, interactions, "approve", reviewer)
    text = StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(20)
    return {
        "interactions": size,
        "seconds": round(seconds, 2),
        "queries": len(queries),
        "profile": text.getvalue().splitlines(),
    }


def report_pages(queue, extras):
    print(f"\nReview queue, first page: server time in-process, {queue[0]['requests']} requests each")
    print(f"  {'view':44} {'median':>9} {'p95':>9}   goal p95 <= {GOAL_QUEUE_P95_MS} ms")
    for result in [*queue, *extras]:
        met = "" if result in extras else verdict(result["p95_ms"], GOAL_QUEUE_P95_MS)
        print(f"  {result['label']:44} {result['median_ms']:6.1f} ms {result['p95_ms']:6.1f} ms   {met}")
    worst = max(queue, key=lambda result: result["p95_ms"])
    print(f"  worst queue p95: {worst['p95_ms']} ms ({worst['label']})")
    for result in queue:
        if result["p95_ms"] > GOAL_QUEUE_P95_MS:
            print(f"  plan of '{result['label']}':\n    " + "\n    ".join(result["plan"]))
    sys.stdout.flush()


def report_bulk(bulk):
    page, flow = bulk["page"], bulk["workflow"]
    met = verdict(flow["seconds"], GOAL_BULK_SECONDS)
    print(
        f"\nBulk approve, the queue's form with a full page of {page['interactions']} rows (one POST): "
        f"{page['seconds']} s\n"
        f"Bulk approve of {flow['interactions']:,} interactions (workflow.bulk_transition): {flow['seconds']} s, "
        f"{flow['queries']:,} queries   goal <= {GOAL_BULK_SECONDS} s: {met}"
    )
    if met != "OK":
        print("  profile (cumulative):\n    " + "\n    ".join(flow["profile"][:40]))


if __name__ == "__main__":
    sys.exit(main())
