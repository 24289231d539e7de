"""Benchmark the public pages and the downloads on a large synthetic database, SQLite or PostgreSQL.

    python bench/bench_web.py [--database-url URL] [--interactions 1000000] [--proteins 15000]
                              [--hub-targets 20000] [--requests 50] [--seed 1] [--no-wait]
                              [--project DIR]

1. Builds a fresh database (``bench/out/web-<interactions>.sqlite3``, or the PostgreSQL
   database of ``--database-url``, dropped and recreated), migrates it with ``manage.py
   migrate`` and fills it directly with bulk inserts (``proteins.importing.sql.insert_rows``, COPY on
   PostgreSQL; the page importer has its own benchmark, ``bench_import.py``): Homo sapiens
   with ``--proteins`` proteins (at least ``--hub-targets`` + 1) and ``--interactions``
   interactions with evidence, one hub TF with ``--hub-targets`` targets, and Mus musculus
   with a tenth of both, the small organism whose download shows whether memory grows with
   rows. Then ANALYZE.
2. Times the pages in-process with ``django.test.Client`` (server time, no network), after
   importing the project's ``portal/wsgi.py`` as a server's worker would; warm-up requests,
   then ``--requests`` timed ones per page; median and p95 against the goal.
3. Streams the downloads through the client's ``streaming_content``: rows/s, and the peak
   resident memory of the process during the stream above what it held before.
4. Prints the machine and writes the results to ``bench/out/web-results-<engine>-<interactions>.json``.

With ``--existing`` it builds nothing: it measures the database of ``--database-url`` as it is
(such as one ``bench_import.py --keep-database`` imported, TFLink's full size): ANALYZE
(unless ``--no-analyze``), a curator account for the review queue, subjects picked from the
data (the TF with most targets, the largest organism, ...), then every page of issue 15's
goals: the hub's entry page and its filtered and deep tables, browse with every sort and
filter, search (p95 <= 150 ms); the API's JSON page of 100 with each filter (<= 50 ms); the
review queue's first page, signed in (<= 200 ms); the largest organism's TSV (>= 100,000
rows/s, flat memory)::

    python bench/bench_web.py --existing --database-url URL [--requests 50] [--no-analyze] [--no-wait]

Every measurement runs in a fresh child process of this script (``--child``), with production
settings (``DEBUG=0``: with ``DEBUG=1`` Django records every query), so that what one phase
allocated does not hide or inflate what the next one needs. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import base64
import gc
import itertools
import json
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

from common import (
    ACCESSION_COUNT,
    OUT_DIR,
    PROJECT_DIR,
    MemorySampler,
    accession,
    analyse,
    cpu_snapshot,
    cpu_used,
    engine_name,
    fetch,
    insert,
    machine,
    machine_line,
    memory_kb,
    migrate,
    percentiles,
    pick_status,
    postgres_database,
    progress,
    relative,
    remove_sqlite,
    reset_peak_memory,
    reset_sequences,
    run_child,
    set_production_environment,
    set_up_django,
    verdict,
)

STATIC_ROOT = OUT_DIR / "web-static"  # collectstatic's output: DEBUG=0 serves hashed names from its manifest

GOAL_P95_MS = 150
GOAL_API_P95_MS = 50
GOAL_QUEUE_P95_MS = 200
GOAL_TSV_ROWS_PER_SECOND = 100_000
CURATOR = "bench-curator"  # signed in for the review queue (--existing)
WARM_UP_REQUESTS = 3
# How much of a slow page's queries the console shows; the results file has all.
PLAN_LINES = 40
SQL_CHARS = 400
QUIET_LOAD = 1.5  # wait until the 1-minute load average is below this ...
QUIET_POLL_SECONDS = 60  # ... looking every minute ...
QUIET_WAIT_LIMIT = 15 * 60  # ... for at most this long, then measure anyway and say so.

HUMAN, MOUSE = 9606, 10090
SEARCH_TERM = "ZNF"  # the largest gene family: a search that matches many
HUB_NAME = "CTCF"
# ZNF<n> names this share of the proteins, the other families share the rest.
ZNF_SHARE = 0.07
FAMILIES = ("SLC", "KRT", "TMEM", "CCDC", "FAM", "KLHL", "ANKRD", "RNF", "PCDH", "SOX", "FOX", "KLF", "MYO", "COL")
SOURCE_DATABASES = {  # name -> weight: how often it supports an interaction
    "GTRD": 55,
    "ReMap": 30,
    "ChIP-Atlas": 20,
    "TRRUST": 4,
    "ORegAnno": 3,
    "PAZAR": 2,
    "HTRI": 2,
    "TRED": 2,
    "DoRothEA": 3,
    "InnateDB": 1,
    "CytReg": 1,
    "GEREDB": 1,
}
DETECTION_METHODS = {
    "chromatin immunoprecipitation assay": 70,
    "chromatin immunoprecipitation array": 10,
    "electrophoretic mobility shift assay": 5,
    "luciferase reporter assay": 5,
    "inferred by curator": 3,
    "DNase I footprinting": 2,
    "array technology/partial DNA sequence identification by hybridization": 2,
    "DAP-seq": 2,
    "one hybrid": 1,
}
STATUS_SHARES = (("rejected", 0.01), ("flagged", 0.02), ("approved", 0.03))  # the rest: unreviewed
SMALL_SCALE_SHARE = 0.03
MEMORY_CHECKPOINTS = 10  # resident memory noted this many times along each download
CHUNK = 50_000  # rows per insert


def main(argv=None):
    args = parse_arguments(argv)
    if args.child:
        # A measuring child: one phase, its result as JSON on the last line of stdout.
        print(json.dumps(CHILD_PHASES[args.child](json.loads(args.plan))))
        return 0
    OUT_DIR.mkdir(exist_ok=True)
    set_production_environment()
    if args.existing:
        return measure_existing(args)
    waited = wait_until_quiet() if args.wait else "not waited (--no-wait)"
    project = args.project.resolve()
    info = machine(project)
    database_url, info["engine"] = fresh_database(args.database_url, args.interactions)
    os.environ["DATABASE_URL"] = database_url
    print(
        f"Machine: {machine_line(info)}, {info['engine']}, {info['date']}\nLoad before starting: {waited}", flush=True
    )

    sizes = {
        "proteins": max(args.proteins, args.hub_targets + 1),
        "interactions": args.interactions,
        "hub_targets": args.hub_targets,
        "seed": args.seed,
        "project": str(project),
    }
    if sizes["proteins"] > args.proteins:
        print(
            f"Note: a hub with {args.hub_targets:,} distinct targets needs {args.hub_targets + 1:,} proteins; "
            f"Homo sapiens gets {sizes['proteins']:,} instead of {args.proteins:,}."
        )
    build = build_database(sizes)
    report_build(build)

    plan = {**build, "requests": args.requests, "project": str(project)}
    pages = run_phase("pages", plan)
    report_pages(pages)
    streams = [run_phase("stream", {**plan, **download}) for download in downloads(build)]
    report_streams(streams)

    results = {
        "machine": info,
        "load_before": waited,
        "sizes": sizes,
        "build": build,
        "pages": pages,
        "streams": streams,
    }
    path = OUT_DIR / f"web-results-{engine_name(database_url)}-{args.interactions}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nResults saved to {relative(path)}")
    return 0


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Benchmark the public pages and downloads on a synthetic database.")
    parser.add_argument(
        "--database-url", help="postgres://user@host:port/name, dropped and recreated (default: SQLite)."
    )
    parser.add_argument("--interactions", type=int, default=1_000_000, help="Homo sapiens interactions.")
    parser.add_argument(
        "--proteins",
        type=int,
        default=15_000,
        help="Homo sapiens proteins (raised to --hub-targets + 1 if lower: the hub's targets are distinct proteins).",
    )
    parser.add_argument("--hub-targets", type=int, default=20_000, help="Targets of the hub TF.")
    parser.add_argument("--requests", type=int, default=50, help="Timed requests per page.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic data.")
    parser.add_argument(
        "--no-wait", dest="wait", action="store_false", help="Do not wait for a load average below 1.5 first."
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=PROJECT_DIR,
        help="The Django project benchmarked, e.g. a snapshot made with git archive (default: %(default)s).",
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help="Measure the database of --database-url as it is (postgres://... or sqlite:////path): "
        "no build; subjects picked from its data.",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="With --existing: do not ANALYZE (VACUUM (ANALYZE) on PostgreSQL) before measuring.",
    )
    parser.add_argument("--child", choices=sorted(CHILD_PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--plan", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.existing and not args.database_url:
        parser.error("--existing measures the database of --database-url: give one (postgres://... or sqlite:////...).")
    return args


# The environment: production settings, a quiet machine, a fresh database.


def wait_until_quiet():
    """Wait until the 1-minute load average is below QUIET_LOAD; say how it went."""
    deadline = time.monotonic() + QUIET_WAIT_LIMIT
    waited = 0
    while True:
        load = os.getloadavg()[0]
        if load < QUIET_LOAD:
            return f"load average {load:.2f} after waiting {waited // 60} min"
        if time.monotonic() >= deadline:
            return f"load average still {load:.2f} after {waited // 60} min of waiting; measured anyway"
        print(f"  (load average {load:.2f}: waiting for it to fall below {QUIET_LOAD})", flush=True)
        time.sleep(QUIET_POLL_SECONDS)
        waited += QUIET_POLL_SECONDS


def fresh_database(database_url, interactions):
    """A URL naming a new, empty database, and a description of the engine."""
    if database_url is None:
        path = OUT_DIR / f"web-{interactions}.sqlite3"
        remove_sqlite(path)
        return f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version} ({relative(path)})"
    version = postgres_database(database_url)
    return database_url, f"PostgreSQL {version} ({urlsplit(database_url).path[1:]})"


# Children: each phase runs in a fresh process of this script.


def run_phase(phase, plan):
    """Run ``phase`` in a child process (its progress goes to our stderr) and return its JSON result."""
    arguments = [str(Path(__file__).resolve()), "--child", phase, "--plan", json.dumps(plan)]
    return run_child(f"{phase} phase", arguments, cwd=plan["project"])


# Phase 1: the database.


def build_database(sizes):
    """Migrate (a manage.py process), then fill the database (a child); the timings of both."""
    started = time.perf_counter()
    migrate_seconds = migrate(sizes["project"])
    build = run_phase("build", sizes)
    build["seconds"]["migrate"] = migrate_seconds
    build["seconds"]["total"] = time.perf_counter() - started
    return build


def fill_database(sizes):
    """The ``build`` child: generate and insert the data, ANALYZE, and describe what was made."""
    set_up_django(sizes["project"])
    from django.db import connection

    from proteins.models import Organism

    rng = random.Random(sizes["seed"])
    seconds = {}
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes of the link tables stay in memory
    organisms = {organism.taxon_id: organism.pk for organism in Organism.objects.filter(taxon_id__in=(HUMAN, MOUSE))}
    evidence = insert_vocabularies(rng, sizes["interactions"])
    accession_numbers = iter(rng.sample(range(ACCESSION_COUNT), sizes["proteins"] + sizes["proteins"] // 10))
    next_ids = {"protein": 1, "interaction": 1}
    state = {"rng": rng, "evidence": evidence, "accessions": accession_numbers, "next_ids": next_ids}
    human = insert_organism(state, organisms[HUMAN], sizes["proteins"], sizes["interactions"], sizes["hub_targets"])
    mouse = insert_organism(state, organisms[MOUSE], sizes["proteins"] // 10, sizes["interactions"] // 10, None)
    reset_sequences("proteins")
    seconds["generate_and_insert"] = time.perf_counter() - started
    progress("  counting each protein's interactions ...")
    started = time.perf_counter()
    count_interactions()
    seconds["count_interactions"] = time.perf_counter() - started
    progress("  analysing ...")
    seconds["analyze"] = analyse()
    return {
        "seconds": seconds,
        "counts": table_counts(),
        "database_mb": round(database_bytes() / 1e6),
        "human": human,
        "mouse": mouse,
        "search_term": SEARCH_TERM,
    }


def gene_names(rng, count, taxon_id):
    """``count`` gene symbols: ZNF<n> for ZNF_SHARE of them, other families for the rest; a few empty or double."""
    numbers = {}
    names = []
    for _ in range(count):
        family = "ZNF" if rng.random() < ZNF_SHARE else rng.choice(FAMILIES)
        numbers[family] = numbers.get(family, 0) + 1
        name = f"{family}{numbers[family]}"
        names.append(name if taxon_id == HUMAN else name.capitalize())
    for position in rng.sample(range(1, count), count // 100):
        names[position] = ""  # a partner row without a name
    for position in rng.sample(range(1, count), count // 100):
        names[position] = f"{names[position]};{names[position]}L" if names[position] else ""
    return names


def insert_vocabularies(rng, interactions):
    """Source databases, detection methods and publications; their ids and weights for sampling."""
    from proteins.models import DetectionMethod, Publication, SourceDatabase

    def vocabulary(model, weights):
        model.objects.bulk_create(model(name=name) for name in weights)
        ids = dict(model.objects.values_list("name", "pk"))
        return [ids[name] for name in weights], list(weights.values())

    pmids = rng.sample(range(1_000_000, 40_000_000), max(1000, interactions // 20))
    for start in range(0, len(pmids), CHUNK):
        insert(Publication, ["pmid"], [(pmid,) for pmid in pmids[start : start + CHUNK]])
    return {
        "sources": vocabulary(SourceDatabase, SOURCE_DATABASES),
        "methods": vocabulary(DetectionMethod, DETECTION_METHODS),
        "pmids": pmids,
    }


def insert_organism(state, organism_id, proteins, interactions, hub_targets):
    """Proteins and interactions of one organism; what the pages and downloads will be asked for.

    ``state`` holds what the organisms share: the random generator, the evidence to draw
    from, the unused accession numbers and the next free ids.
    """
    from proteins.models import Organism
    from proteins.parser import ACCESSION_RE

    rng, next_ids = state["rng"], state["next_ids"]
    taxon_id = Organism.objects.get(pk=organism_id).taxon_id
    progress(f"  taxon {taxon_id}: {proteins:,} proteins ...")
    first_protein = next_ids["protein"]
    protein_ids = list(range(first_protein, first_protein + proteins))
    next_ids["protein"] += proteins
    names = gene_names(rng, proteins, taxon_id)
    if hub_targets:
        names[0] = HUB_NAME
    accessions = [accession(next(state["accessions"])) for _ in protein_ids]
    invalid = [value for value in accessions if not ACCESSION_RE.fullmatch(value)]
    if invalid:
        raise SystemExit(f"Generated accessions that UniProt's pattern refuses: {invalid[:5]}")
    insert_proteins(rng, organism_id, protein_ids, accessions, names)

    progress(f"  taxon {taxon_id}: {interactions:,} interactions with evidence ...")
    pairs = interaction_pairs(rng, protein_ids, interactions, hub_targets)
    first_interaction = next_ids["interaction"]
    next_ids["interaction"] += len(pairs)
    statuses = insert_interactions(rng, organism_id, pairs, first_interaction, state["evidence"])

    hub_id = protein_ids[0] if hub_targets else Counter(tf for tf, _target in pairs).most_common(1)[0][0]
    index_of = {protein_id: index for index, protein_id in enumerate(protein_ids)}
    hub_rows = [(position, target) for position, (tf, target) in enumerate(pairs) if tf == hub_id]
    public_hub_rows = [(position, target) for position, target in hub_rows if statuses[position] != "rejected"]
    _position, shown_target = public_hub_rows[0]
    return {
        "taxon_id": taxon_id,
        "proteins": proteins,
        "interactions": len(pairs),
        "public_interactions": sum(status != "rejected" for status in statuses),
        "hub": accessions[index_of[hub_id]],
        "hub_targets": len(hub_rows),
        "hub_public_targets": len(public_hub_rows),
        "hub_target_shown": accessions[index_of[shown_target]],
        "proteins_named_like_search": sum(SEARCH_TERM.lower() in name.lower() for name in names),
    }


def insert_proteins(rng, organism_id, protein_ids, accessions, names):
    from django.db import connection
    from django.utils import timezone

    from proteins.models import GeneId, Protein

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    same = {"organism": organism_id, "jaspar_matrices": "[]", "provenance": "page", "page_hash": "", "created_at": now}
    same["updated_at"] = now
    columns = ["id", "accession", "gene_name", "description", *same]
    rows = [
        (pk, acc, name, f"Synthetic protein **{name or acc}** of the web benchmark.", *same.values())
        for pk, acc, name in zip(protein_ids, accessions, names, strict=True)
    ]
    insert(Protein, columns, rows)
    gene_ids = iter(rng.sample(range(1, 200_000_000), 2 * len(protein_ids)))
    links = []
    for protein_id in protein_ids:
        links.append((protein_id, next(gene_ids)))
        if rng.random() < 0.05:  # a UniProt entry of two genes
            links.append((protein_id, next(gene_ids)))
    insert(GeneId, ["protein", "gene_id"], links)


def interaction_pairs(rng, protein_ids, interactions, hub_targets):
    """(TF, target) pairs, distinct, shuffled: the hub (the first protein) and a tenth of the proteins as TFs.

    The other TFs' numbers of targets fall off like 1/rank (a few with thousands, most with
    a hundred or two), never above the hub's. Shuffled, so a TF's rows are spread over the
    table as an import of many pages leaves them, not stored together.
    """
    proteins = len(protein_ids)
    tf_count = max(2, proteins // 10)
    cap = min(proteins - 1, hub_targets or proteins - 1)
    others = interactions - (hub_targets or 0)
    if others < 0 or others > (tf_count - (1 if hub_targets else 0)) * cap:
        raise SystemExit(f"{interactions:,} interactions do not fit {proteins:,} proteins with {tf_count:,} TFs.")
    counts = ([hub_targets] if hub_targets else []) + spread(others, tf_count - (1 if hub_targets else 0), cap)
    tfs = [0, *rng.sample(range(1, proteins), tf_count - 1)]
    pairs = []
    for tf, count in zip(tfs, counts, strict=True):
        targets = [target for target in rng.sample(range(proteins), count + 1) if target != tf][:count]
        pairs.extend((protein_ids[tf], protein_ids[target]) for target in targets)
    rng.shuffle(pairs)
    return pairs


def spread(total, parts, cap):
    """``total`` split into ``parts`` counts falling off like 1/rank, each at most ``cap``."""
    weights = [1 / (rank + 10) for rank in range(parts)]
    counts = [0] * parts
    remaining = total
    while remaining:
        open_parts = [part for part in range(parts) if counts[part] < cap]
        scale = remaining / sum(weights[part] for part in open_parts)
        for part in open_parts:
            added = min(cap - counts[part], max(1, int(weights[part] * scale)), remaining)
            counts[part] += added
            remaining -= added
            if not remaining:
                break
    return counts


def insert_interactions(rng, organism_id, pairs, first_id, evidence):
    """The interactions and their evidence links, a chunk at a time; their statuses in order."""
    from django.db import connection, transaction
    from django.utils import timezone

    from proteins.models import Interaction

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    same = {"organism": organism_id, "version": 1, "created_at": now, "updated_at": now}
    columns = ["id", "tf", "target", "small_scale", "status", *same]
    links = {
        Interaction.source_databases.through: ("sourcedatabase", evidence["sources"], (1, 1, 1, 2, 2, 3)),
        Interaction.detection_methods.through: ("detectionmethod", evidence["methods"], (1, 1, 1, 2)),
    }
    statuses = []
    for start in range(0, len(pairs), CHUNK):
        rows = []
        for pk, (tf, target) in enumerate(pairs[start : start + CHUNK], start=first_id + start):
            status = pick_status(rng.random(), STATUS_SHARES)
            statuses.append(status)
            rows.append((pk, tf, target, rng.random() < SMALL_SCALE_SHARE, status, *same.values()))
        ids = [row[0] for row in rows]
        with transaction.atomic():
            insert(Interaction, columns, rows)
            for through, (column, (values, weights), sizes) in links.items():
                insert(through, ["interaction", column], weighted_links(rng, ids, values, weights, sizes))
            insert(
                Interaction.publications.through,
                ["interaction", "publication"],
                [(pk, pmid) for pk in ids for pmid in rng.sample(evidence["pmids"], rng.choice((1, 1, 2, 3)))],
            )
    return statuses


def weighted_links(rng, ids, values, weights, sizes):
    """(id, value) pairs: each id gets 1 to max(sizes) distinct values, drawn by weight."""
    links = []
    for pk in ids:
        chosen = set(rng.choices(values, weights, k=rng.choice(sizes)))
        links.extend((pk, value) for value in chosen)
    return links


def count_interactions():
    """Fill the counts stored on each protein, as ``manage.py recount_interactions`` does: the rows were
    written directly, not through the importer that keeps them."""
    from proteins import counts

    counts.interactions_changed()


def table_counts():
    from proteins.models import GeneId, Interaction, Protein, Publication

    return {
        "proteins": Protein.objects.count(),
        "gene_ids": GeneId.objects.count(),
        "interactions": Interaction.objects.count(),
        "source_links": Interaction.source_databases.through.objects.count(),
        "method_links": Interaction.detection_methods.through.objects.count(),
        "publication_links": Interaction.publications.through.objects.count(),
        "publications": Publication.objects.count(),
        "rejected": Interaction.objects.filter(status="rejected").count(),
        "flagged": Interaction.objects.filter(status="flagged").count(),
        "approved": Interaction.objects.filter(status="approved").count(),
        "small_scale": Interaction.objects.filter(small_scale=True).count(),
    }


def database_bytes():
    from django.db import connection

    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return sum(Path(name + suffix).stat().st_size for suffix in ("", "-wal") if Path(name + suffix).exists())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def report_build(build):
    seconds, counts = build["seconds"], build["counts"]
    human = build["human"]
    print(
        f"\nBuild: {seconds['total']:.1f} s (migrate {seconds['migrate']:.1f} s, generate and insert "
        f"{seconds['generate_and_insert']:.1f} s, counts {seconds['count_interactions']:.1f} s, "
        f"ANALYZE {seconds['analyze']:.1f} s), {build['database_mb']:,} MB\n"
        f"  {counts['proteins']:,} proteins, {counts['gene_ids']:,} gene ids, {counts['interactions']:,} interactions "
        f"({counts['rejected']:,} rejected, {counts['flagged']:,} flagged, {counts['approved']:,} approved, "
        f"{counts['small_scale']:,} small-scale), links: {counts['source_links']:,} source, "
        f"{counts['method_links']:,} method, {counts['publication_links']:,} PubMed ({counts['publications']:,} ids)\n"
        f"  Homo sapiens: {human['proteins']:,} proteins, {human['interactions']:,} interactions; hub {HUB_NAME} "
        f"{human['hub']} with {human['hub_targets']:,} targets; {human['proteins_named_like_search']:,} names "
        f"contain {SEARCH_TERM}\n"
        f"  Mus musculus: {build['mouse']['proteins']:,} proteins, {build['mouse']['interactions']:,} interactions",
        flush=True,
    )


# Phase 2: the pages.


def page(label, *urls, goal=GOAL_P95_MS, signed_in=False, redirects=False):
    """A page to time: its ``urls`` are requested in turn (one, or one per request: cursors at
    random places), its p95 held against ``goal``; ``signed_in``: as the curator ``CURATOR``;
    ``redirects``: it may answer with a redirect (a search finding one protein goes to its page)."""
    return {"label": label, "urls": list(urls), "goal": goal, "signed_in": signed_in, "redirects": redirects}


def pages_of(build):
    if build.get("existing"):
        return existing_pages(build)
    human = build["human"]
    hub, term = human["hub"], quote(build["search_term"])
    return [
        page("hub entry page", f"/protein/{hub}/"),
        page("hub targets, page 200", f"/protein/{hub}/?targets-page=200"),
        page("hub targets from GTRD", f"/protein/{hub}/?targets-source=GTRD"),
        page("browse, default sort", f"/browse/{HUMAN}/"),
        page("browse, most interactions first", f"/browse/{HUMAN}/?sort=-interactions"),
        page(f"browse, name contains {build['search_term']}", f"/browse/{HUMAN}/?name={term}"),
        page(f"search {build['search_term']}", f"/search/?q={term}"),
        page("interaction page", f"/interaction/{hub}/{human['hub_target_shown']}/"),
        page("network JSON, limit 2000", f"/protein/{hub}/network.json?limit=2000"),
    ]


def time_pages(plan):
    """The ``pages`` child: every page timed, its queries profiled, slow ones explained."""
    set_up_django(plan["project"])
    use_static_root(collect=True)
    start_like_a_server()
    from django.test import Client

    clients = {False: Client(), True: Client()}
    if any(entry["signed_in"] for entry in pages_of(plan)):
        from django.contrib.auth.models import User

        clients[True].force_login(User.objects.get(username=CURATOR))
    results = []
    for entry in pages_of(plan):
        client, urls = clients[entry["signed_in"]], itertools.cycle(entry["urls"])
        url = entry["urls"][0]
        progress(f"  {entry['label']}: {url}")
        redirects = entry["redirects"]
        for _ in range(WARM_UP_REQUESTS):
            fetch(client, next(urls), redirects)
        before = cpu_snapshot()
        samples = [fetch(client, next(urls), redirects) for _ in range(plan["requests"])]
        cpu = cpu_used(before)
        queries = profile_queries(client, url, redirects)
        result = {"label": entry["label"], "url": url, "goal_ms": entry["goal"], **percentiles(samples)}
        result.update(cpu=cpu, queries=len(queries))
        queries.sort(key=lambda query: query[0], reverse=True)
        result["queries_ms"] = round(sum(query[0] for query in queries), 1)
        result["query_log"] = [{"ms": round(ms, 1), "sql": sql} for ms, sql, _params in queries]
        if result["p95_ms"] > entry["goal"] and queries:
            _ms, sql, params = queries[0]
            result["slowest_plan"] = explain(sql, params)
        results.append(result)
    return results


def start_like_a_server():
    """Import the project's WSGI module, as a server's worker does before its first request.

    Whatever the project does there at start-up (such as ``gc.freeze()``) then applies to the
    requests timed here, which the test client serves through its own handler.
    """
    import importlib

    importlib.import_module("portal.wsgi")


def use_static_root(collect=False):
    """Static files from bench/out: with DEBUG=0, templates name them by the hashes of collectstatic's manifest.

    Called before the first request: WhiteNoise reads STATIC_ROOT when the middleware is built.
    """
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = STATIC_ROOT
    if collect:
        call_command("collectstatic", interactive=False, verbosity=0)


class QueryLog:
    """An execute wrapper noting each query's time (the execute call: the rows before the first are found)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql, params))


def profile_queries(client, url, redirects=False):
    from django.db import connection

    log = QueryLog()
    with connection.execute_wrapper(log):
        fetch(client, url, redirects)
    return log.queries


def explain(sql, params):
    """The plan of a query: EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL)."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [f"{parent}/{node}: {detail}" for node, parent, _unused, detail in rows]
    return [row[0] for row in rows]


def report_pages(pages):
    print(f"\nPages: server time in-process, {pages[0]['requests']} requests each after {WARM_UP_REQUESTS} warm-ups")
    print(
        f"  {'page':52} {'median':>8} {'p95':>8}  {'goal p95':17} "
        "queries: number, ms in SQL, slowest (one profiled request)"
    )
    for result in pages:
        slowest = result["query_log"][0]["ms"] if result["query_log"] else 0
        met = f"<= {result['goal_ms']} ms {verdict(result['p95_ms'], result['goal_ms'])}"
        print(
            f"  {result['label'][:52]:52} {result['median_ms']:6.1f} ms {result['p95_ms']:6.1f} ms  {met:17} "
            f"{result['queries']:3}, {result['queries_ms']:6.1f} ms, {slowest:6.1f} ms"
        )
    missed = [result for result in pages if result["p95_ms"] > result["goal_ms"]]
    print(f"  {len(pages) - len(missed)} of {len(pages)} pages meet their goal.")
    for result in pages:
        if "slowest_plan" in result:
            print(f"\n  {result['label']} misses the goal ({result['url']}); its slowest queries:")
            for query in result["query_log"][:5]:
                print(f"    {query['ms']:7.1f} ms  {without_columns(query['sql'])[:SQL_CHARS]}")
            plan = result["slowest_plan"]
            shown = (
                plan if len(plan) <= PLAN_LINES else [*plan[:PLAN_LINES], f"... {len(plan) - PLAN_LINES} more lines"]
            )
            print("    plan of the slowest:\n      " + "\n      ".join(shown))
    if any(result["cpu"]["others"] > 0.3 for result in pages):
        print("  WARNING: other processes kept CPUs busy while pages were timed (see 'cpu' in the results).")


def without_columns(sql):
    """``sql`` with its outer SELECT list cut to "...": the FROM, WHERE and ORDER BY tell where the time goes."""
    depth = 0
    for position, character in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and sql.startswith(" FROM ", position):
            keyword = "SELECT DISTINCT " if sql.startswith("SELECT DISTINCT ") else "SELECT "
            return keyword + "..." + sql[position:]
    return sql


# Phase 3: the downloads.


def downloads(build):
    human, mouse = build["human"], build["mouse"]
    warm_up = f"/protein/{human['hub']}/tfs.tsv"
    return [
        {**download, "warm_up_url": warm_up}
        for download in [
            {
                "label": f"hub's targets TSV ({human['hub']})",
                "url": f"/protein/{human['hub']}/targets.tsv",
                "rows": human["hub_public_targets"],
            },
            {
                "label": "Mus musculus TSV",
                "url": f"/downloads/{MOUSE}/interactions.tsv",
                "rows": mouse["public_interactions"],
            },
            {
                "label": "Homo sapiens TSV",
                "url": f"/downloads/{HUMAN}/interactions.tsv",
                "rows": human["public_interactions"],
            },
            {
                "label": "Mus musculus MITAB",
                "url": f"/downloads/{MOUSE}/interactions.mitab",
                "rows": mouse["public_interactions"],
            },
            {
                "label": "Homo sapiens MITAB",
                "url": f"/downloads/{HUMAN}/interactions.mitab",
                "rows": human["public_interactions"],
            },
        ]
    ]


def stream_download(plan):
    """The ``stream`` child: one download read through, with the process's memory watched."""
    set_up_django(plan["project"])
    use_static_root()
    from django.test import Client

    client = Client()
    # Warm up on a short download: imports, URL resolver, database connection.
    warm_up = client.get(plan["warm_up_url"], secure=True)
    b"".join(warm_up.streaming_content)
    warm_up.close()
    gc.collect()
    before_kb = memory_kb()["VmRSS"]
    peak_reset = reset_peak_memory()
    sampler = MemorySampler(interval=0.01)
    sampler.start()
    cpu_before = cpu_snapshot()
    started = time.perf_counter()
    response = client.get(plan["url"], secure=True)
    if response.status_code != 200:
        raise SystemExit(f"{plan['url']}: status {response.status_code}")
    size = lines = 0
    first_row = None
    step = max(1, plan["rows"] // MEMORY_CHECKPOINTS)
    memory_by_rows = []  # (rows so far, resident MB): flat, or growing with rows?
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
        if first_row is None and lines > 1:
            first_row = time.perf_counter() - started
        if lines >= (len(memory_by_rows) + 1) * step:
            memory_by_rows.append((lines - 1, round(memory_kb()["VmRSS"] / 1024, 1)))
    response.close()
    seconds = time.perf_counter() - started
    cpu = cpu_used(cpu_before)
    sampler.stop()
    peak_kb = max(sampler.peak_kb, memory_kb()["VmHWM"] if peak_reset else 0)
    rows = lines - 1  # the header line
    if rows != plan["rows"]:
        raise SystemExit(f"{plan['url']}: {rows:,} rows streamed, {plan['rows']:,} public interactions expected")
    return {
        "label": plan["label"],
        "url": plan["url"],
        "rows": rows,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "first_row_ms": round((first_row or seconds) * 1000, 1),
        "rows_per_second": round(rows / seconds),
        "rss_before_mb": round(before_kb / 1024, 1),
        "rss_peak_mb": round(peak_kb / 1024, 1),
        "rss_increase_mb": round((peak_kb - before_kb) / 1024, 1),
        "peak_from": "VmHWM reset before the stream" if peak_reset else "VmRSS sampled every 10 ms",
        "rss_mb_by_rows": memory_by_rows,
        "cpu": cpu,
        "goal_rows_per_second": plan.get("goal_rows_per_second"),
    }


def report_streams(streams):
    print("\nDownloads: streamed in-process through streaming_content (server time, no network)")
    print(
        f"  {'download':34} {'rows':>10} {'MB':>7} {'s':>7} {'rows/s':>9} {'first row':>9}  "
        "resident memory: before, peak, increase"
    )
    for stream in streams:
        print(
            f"  {stream['label']:34} {stream['rows']:>10,} {stream['megabytes']:>7.1f} {stream['seconds']:>7.1f} "
            f"{stream['rows_per_second']:>9,} {stream['first_row_ms']:>6.0f} ms  {stream['rss_before_mb']:.0f} MB, "
            f"{stream['rss_peak_mb']:.0f} MB, +{stream['rss_increase_mb']:.1f} MB"
        )
        goal = stream.get("goal_rows_per_second")
        if goal:
            met = "OK" if stream["rows_per_second"] >= goal else "MISSED"
            print(f"  {'':34} goal >= {goal:,} rows/s {met}")
    print(f"  Resident MB after each {100 // MEMORY_CHECKPOINTS}% of the rows (flat, or growing with rows?):")
    for stream in streams:
        print(f"  {stream['label']:34} " + " ".join(f"{mb:.0f}" for _rows, mb in stream["rss_mb_by_rows"]))


# --existing: a database as an import left it (bench_import.py --keep-database), measured as it is.


def measure_existing(args):
    """Survey the database of ``--database-url``, then time the pages and stream the downloads of issue 15's goals."""
    waited = wait_until_quiet() if args.wait else "not waited (--no-wait)"
    project = args.project.resolve()
    info = machine(project)
    info["engine"] = existing_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["API_ANON_RATE"] = "off"  # every API request comes from one address
    print(
        f"Machine: {machine_line(info)}, {info['engine']}, {info['date']}\nLoad before starting: {waited}", flush=True
    )
    survey = run_phase("survey", {"project": str(project), "analyze": args.analyze})
    report_survey(survey)
    plan = {**survey, "existing": True, "requests": args.requests, "project": str(project)}
    pages = run_phase("pages", plan)
    report_pages(pages)
    streams = [run_phase("stream", {**plan, **download}) for download in existing_downloads(survey)]
    report_streams(streams)
    results = {"machine": info, "load_before": waited, "survey": survey, "pages": pages, "streams": streams}
    path = OUT_DIR / f"web-results-{engine_name(args.database_url)}-existing-{survey['counts']['interactions']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nResults saved to {relative(path)}")
    return 0


def existing_database(database_url):
    """The engine of the database ``database_url`` names, described; nothing is created or dropped."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise SystemExit(f"--database-url: no SQLite database at {path}")
        return f"SQLite {sqlite3.sqlite_version} ({relative(path)}, existing)"
    import psycopg

    try:
        with psycopg.connect(database_url) as connection:
            version = connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as error:
        raise SystemExit(f"--database-url: cannot connect: {error}") from error
    return f"PostgreSQL {version} ({urlsplit(database_url).path[1:]}, existing)"


def survey_database(plan):
    """The ``survey`` child: ANALYZE, the curator's account, and the subjects the pages ask about.

    The hub is the protein with most (public) targets, the busiest target the one with most
    TFs; browse, the API's organism pages and the TSV take the organism with most interactions.
    """
    set_up_django(plan["project"])
    from django.db.models import Count, Max, Min

    from proteins.filters import ProteinFilter
    from proteins.models import GeneId, Interaction, Organism, Protein
    from proteins.selectors.pages import PARTNER_SORTS, PER_PAGE

    seconds = {}
    if plan["analyze"]:
        progress("  analysing ...")
        seconds["analyze"] = analyse()
    progress("  picking subjects ...")
    started = time.perf_counter()
    ensure_curator()
    public = Interaction.objects.public()
    by_organism = dict(public.order_by().values_list("organism").annotate(rows=Count("pk")))
    organisms = {
        pk: {
            "pk": pk,
            "taxon_id": organism.taxon_id,
            "name": organism.name,
            "public": by_organism[pk],
        }
        for pk, organism in Organism.objects.in_bulk(list(by_organism)).items()
    }
    hub = Protein.objects.order_by("-target_count", "pk").first()
    hub_rows = public.filter(tf=hub)
    confidences = Counter(dict(hub_rows.order_by().values_list("confidence").annotate(rows=Count("pk"))))
    busiest_target = Protein.objects.order_by("-tf_count", "pk").first()
    small_scale = Interaction.objects.filter(small_scale=True).order_by("pk").first()
    ids = Interaction.objects.aggregate(first=Min("pk"), last=Max("pk"))
    largest = max(organisms.values(), key=lambda organism: organism["public"])
    subjects = {
        "largest": largest,
        "smallest": min(organisms.values(), key=lambda organism: organism["public"]),
        "hub": {
            "accession": hub.accession,
            "name": hub.gene_name.split(";")[0],
            "gene_id": GeneId.objects.filter(protein=hub).values_list("gene_id", flat=True).first(),
            "targets": hub.target_count,
            "public_targets": hub_rows.count(),
            "last_page": max(1, -(-hub.target_count // PER_PAGE)),
            "shown_target": hub_rows.order_by("pk").values_list("target__accession", flat=True).first(),
            "confidence": confidences.most_common(1)[0][0],
        },
        "busiest_target": {"accession": busiest_target.accession, "tfs": busiest_target.tf_count},
        "sources": evidence_names("source_databases", ("GTRD", "TRRUST")),
        "methods": evidence_names("detection_methods", ("chromatin immunoprecipitation assay", "inferred by curator")),
        "pmid": small_scale.publications.values_list("pmid", flat=True).first() if small_scale else None,
        "ids": [ids["first"], ids["last"]],
        "partner_sorts": list(PARTNER_SORTS),
        "browse_sorts": [sort for name in ProteinFilter.base_filters["sort"].param_map for sort in (name, f"-{name}")],
        "search_term": SEARCH_TERM,
        "search_matches": Protein.objects.filter(organism_id=largest["pk"], gene_name__icontains=SEARCH_TERM).count(),
    }
    seconds["subjects"] = time.perf_counter() - started
    return {
        "seconds": seconds,
        "analyzed": plan["analyze"],
        "database_mb": round(database_bytes() / 1e6),
        "counts": {
            "interactions": Interaction.objects.count(),
            "public_interactions": sum(by_organism.values()),
            "proteins": Protein.objects.count(),
        },
        "organisms": sorted(organisms.values(), key=lambda organism: -organism["public"]),
        **subjects,
    }


def ensure_curator():
    """The curator signed in for the review queue: a role, no password."""
    from django.contrib.auth.models import Group, User

    user, _created = User.objects.get_or_create(username=CURATOR)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name="curator"))


def evidence_names(field_name, preferred):
    """A common and a rare name of a kind of evidence: ``preferred`` where the database has them."""
    from proteins.models import Interaction

    model = getattr(Interaction, field_name).field.related_model
    names = list(model.objects.order_by("name").values_list("name", flat=True))
    known = {name.lower(): name for name in names}
    fallbacks = (names[0], names[-1])
    return [known.get(wanted.lower(), fallback) for wanted, fallback in zip(preferred, fallbacks, strict=True)]


def report_survey(survey):
    seconds, hub, largest = survey["seconds"], survey["hub"], survey["largest"]
    analysed = f"ANALYZE {seconds['analyze']:.1f} s, " if survey["analyzed"] else "not analysed (--no-analyze), "
    print(
        f"\nDatabase: {survey['counts']['interactions']:,} interactions ({survey['counts']['public_interactions']:,} "
        f"public), {survey['counts']['proteins']:,} proteins, {survey['database_mb']:,} MB; {analysed}"
        f"subjects picked in {seconds['subjects']:.1f} s\n"
        f"  organisms: " + ", ".join(f"{o['name']} {o['public']:,}" for o in survey["organisms"]) + "\n"
        f"  hub {hub['accession']} ({hub['name'] or 'no name'}): {hub['targets']:,} targets, last table page "
        f"{hub['last_page']}; busiest target {survey['busiest_target']['accession']}: "
        f"{survey['busiest_target']['tfs']:,} TFs\n"
        f"  largest organism {largest['name']}: {largest['public']:,} public interactions, "
        f"{survey['search_matches']:,} gene names contain {survey['search_term']}",
        flush=True,
    )


def existing_pages(survey):
    """Every page of issue 15's goals, asked about the subjects of ``survey_database``."""
    hub, taxon = survey["hub"], survey["largest"]["taxon_id"]
    entry, term = f"/protein/{hub['accession']}/", quote(survey["search_term"])
    (source, rare_source), (method, rare_method) = survey["sources"], survey["methods"]
    tables = [
        ("last page", f"targets-page={hub['last_page']}"),
        *[(f"sorted by {sort}", f"targets-sort={sort}") for sort in survey["partner_sorts"]],
        (f"from {source}", f"targets-source={quote(source)}"),
        (f"from {source}, last page", f"targets-source={quote(source)}&targets-page=99999"),
        (f"from {rare_source}", f"targets-source={quote(rare_source)}"),
        (f"by {method}", f"targets-method={quote(method)}"),
        (f"by {rare_method}", f"targets-method={quote(rare_method)}"),
        ("small-scale", "targets-small_scale=1"),
        ("mode unknown", "targets-mode=unknown"),
        (f"confidence {hub['confidence']}", f"targets-confidence={hub['confidence']}"),
    ]
    browse = [
        ("default sort", ""),
        *[(f"sort {sort}", f"sort={sort}") for sort in survey["browse_sorts"]],
        (f"name contains {survey['search_term']}", f"name={term}"),
        (f"name contains {hub['name']}", f"name={quote(hub['name'])}"),
        (f"name contains {survey['search_term']}, most interactions first", f"name={term}&sort=-interactions"),
        ("accession starts with Q9", "accession=Q9"),
        (f"NCBI Gene id {hub['gene_id']}", f"gene_id={hub['gene_id']}"),
        *[(f"function {function}", f"function={function}") for function in ("tf", "target", "both")],
        ("small-scale yes", "small_scale=true"),
        ("small-scale no", "small_scale=false"),
    ]
    search = [survey["search_term"], hub["accession"], hub["gene_id"], hub["name"]]
    return [
        page(f"hub entry page ({hub['accession']}, {hub['targets']:,} targets)", entry),
        *[page(f"hub targets, {label}", f"{entry}?{query}") for label, query in tables],
        page(
            f"busiest target's entry page ({survey['busiest_target']['tfs']:,} TFs)",
            f"/protein/{survey['busiest_target']['accession']}/",
        ),
        page("interaction page", f"/interaction/{hub['accession']}/{hub['shown_target']}/"),
        page("network JSON, limit 2000", f"{entry}network.json?limit=2000"),
        *[page(f"browse, {label}", f"/browse/{taxon}/" + (f"?{query}" if query else "")) for label, query in browse],
        *[page(f"search {text}", f"/search/?q={quote(str(text))}", redirects=True) for text in search if text],
        *api_pages(survey),
        *[
            page(f"review queue, first page{label}", f"/curation/queue/{query}", goal=GOAL_QUEUE_P95_MS, signed_in=True)
            for label, query in (
                ("", ""),
                (f", {survey['largest']['name']}", f"?organism={survey['largest']['pk']}"),
                (f", TF {hub['accession']}", f"?tf={hub['accession']}"),
            )
        ],
    ]


def api_pages(survey):
    """JSON pages of 100 interactions, one filter each; the unfiltered and organism pages at random cursors."""
    hub, busiest, rng = survey["hub"], survey["busiest_target"]["accession"], random.Random(1)
    (source, rare_source), (method, rare_method) = survey["sources"], survey["methods"]
    api = "/api/interactions/?format=json&page_size=100"

    def at_random_cursors(query):
        first, last = survey["ids"]
        cursors = [base64.b64encode(f"p={rng.randrange(first, last)}".encode()).decode() for _ in range(200)]
        return [f"{api}{query}&cursor={quote(cursor)}" for cursor in cursors]

    filters = [
        (f"organism={survey['smallest']['taxon_id']}", f"&organism={survey['smallest']['taxon_id']}"),
        (f"tf={hub['accession']} (the hub)", f"&tf={hub['accession']}"),
        (f"target={busiest} (the busiest target)", f"&target={busiest}"),
        (f"protein={hub['accession']}", f"&protein={hub['accession']}"),
        (f"source={source}", f"&source={quote(source)}"),
        (f"source={rare_source}", f"&source={quote(rare_source)}"),
        (f"method={method}", f"&method={quote(method)}"),
        (f"method={rare_method}", f"&method={quote(rare_method)}"),
        ("mode=unknown", "&mode=unknown"),
        (f"confidence={hub['confidence']}", f"&confidence={hub['confidence']}"),
        ("small_scale=true", "&small_scale=true"),
        ("status=unreviewed", "&status=unreviewed"),
        *([(f"pmid={survey['pmid']}", f"&pmid={survey['pmid']}")] if survey["pmid"] else []),
    ]
    return [
        page("API JSON, no filter, random cursors", *at_random_cursors(""), goal=GOAL_API_P95_MS),
        page(
            f"API JSON, organism={survey['largest']['taxon_id']}, random cursors",
            *at_random_cursors(f"&organism={survey['largest']['taxon_id']}"),
            goal=GOAL_API_P95_MS,
        ),
        *[page(f"API JSON, {label}", api + query, goal=GOAL_API_P95_MS) for label, query in filters],
    ]


def existing_downloads(survey):
    hub, largest = survey["hub"], survey["largest"]
    warm_up = f"/protein/{hub['accession']}/tfs.tsv"
    return [
        {
            "label": f"hub's targets TSV ({hub['accession']})",
            "url": f"/protein/{hub['accession']}/targets.tsv",
            "rows": hub["public_targets"],
            "warm_up_url": warm_up,
        },
        {
            "label": f"{largest['name']} TSV",
            "url": f"/downloads/{largest['taxon_id']}/interactions.tsv",
            "rows": largest["public"],
            "warm_up_url": warm_up,
            "goal_rows_per_second": GOAL_TSV_ROWS_PER_SECOND,
        },
    ]


CHILD_PHASES = {"build": fill_database, "survey": survey_database, "pages": time_pages, "stream": stream_download}


if __name__ == "__main__":
    sys.exit(main())
