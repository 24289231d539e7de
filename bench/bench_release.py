"""Benchmark publishing releases and the difference between two, on SQLite or PostgreSQL.

    python bench/bench_release.py [--interactions 1300000] [--database-url postgres://postgres@127.0.0.1:5432/bench_release]
                                  [--changes 5000] [--seed 1] [--no-wait]

1. Builds a fresh database (``bench/out/release-<interactions>.sqlite3``, or the PostgreSQL
   database of ``--database-url``, dropped and recreated) the way ``bench_web.py`` does:
   Homo sapiens and Mus musculus (a tenth of it), ``--interactions`` in all, with evidence and
   curation states, a TF's rows spread over the table as an import leaves them; then a binding
   site for every tenth interaction.
2. Publishes release 1 (``releases.publishing.start`` and ``publish``, as ``manage.py
   publish_release --wait`` does): the freeze, the files (per organism: TSV, MITAB, three GMT,
   the decoupler network when the format exists; binding sites; the manifest) and the whole,
   with the peak resident memory of the process against what it held before.
3. Changes ``--changes`` interactions as curation would between two releases: a tenth rejected
   (with their curation acts), two tenths approved, the rest given another mode and confidence,
   and adds a tenth as many new interactions.
4. Publishes release 2 (its difference from release 1 is computed during its freeze), then
   times the difference alone as the diff page and files read it: the counts, then every
   added, withdrawn and changed row with what changed and why, in pages of 1,000.

Each step runs in a fresh process of this script, with production settings (``DEBUG=0``).
Release files go to ``bench/out/release-files-<engine>-<interactions>/``. Results go to
``bench/out/release-<engine>-<interactions>.json``; ``bench/README.md`` ("Releases") records them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

from common import (
    OUT_DIR,
    PROJECT_DIR,
    MemorySampler,
    cpu_snapshot,
    cpu_used,
    engine_name,
    insert,
    machine,
    machine_line,
    memory_kb,
    migrate,
    postgres_database,
    relative,
    remove_sqlite,
    reset_sequences,
    run_child,
    set_production_environment,
)

GOAL_PUBLISH_SECONDS = 180
GOAL_DIFFERENCE_SECONDS = 60
QUIET_LOAD = 1.0
BASE_URL = "https://portal.example.org"
SITES_PER_INTERACTION = 0.1
DIFFERENCE_PAGE = 1000


def main(argv=None):
    args = parse_arguments(argv)
    if args.step:
        print(json.dumps(STEPS[args.step](json.loads(args.plan))))
        return 0
    OUT_DIR.mkdir(exist_ok=True)
    set_production_environment()
    waited = wait_until_quiet() if args.wait else "not waited (--no-wait)"
    info = machine(PROJECT_DIR)
    database_url, info["engine"] = fresh_database(args.database_url, args.interactions)
    files = OUT_DIR / f"release-files-{engine_name(database_url)}-{args.interactions}"
    shutil.rmtree(files, ignore_errors=True)
    os.environ.update(DATABASE_URL=database_url, RELEASES_DIR=str(files))
    print(
        f"Machine: {machine_line(info)}, {info['engine']}, {info['date']}\nLoad before starting: {waited}", flush=True
    )

    plan = {"interactions": args.interactions, "changes": args.changes, "seed": args.seed}
    results = {"machine": info, "load_before": waited, "plan": plan}
    results["migrate_seconds"] = round(migrate(), 1)
    results["build"] = step("build", plan)
    print(f"Build: {results['build']['seconds']} s, {results['build']['counts']}", flush=True)
    results["release_1"] = step("publish", plan)
    report_publication(results["release_1"])
    results["changes"] = step("change", plan)
    print(f"Changes between the releases: {results['changes']}", flush=True)
    results["release_2"] = step("publish", plan)
    report_publication(results["release_2"])
    results["difference"] = step("difference", plan)
    report_difference(results["difference"])

    path = OUT_DIR / f"release-{engine_name(database_url)}-{args.interactions}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nResults saved to {relative(path)}")
    return 0


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Benchmark publishing releases and their difference.")
    parser.add_argument(
        "--database-url", help="postgres://user@host:port/name, dropped and recreated (default: SQLite)."
    )
    parser.add_argument("--interactions", type=int, default=1_300_000, help="Interactions of both organisms.")
    parser.add_argument("--changes", type=int, default=5000, help="Interactions curation changes between the releases.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic data.")
    parser.add_argument(
        "--no-wait", dest="wait", action="store_false", help=f"Do not wait for a load average below {QUIET_LOAD} first."
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--plan", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def wait_until_quiet(limit_seconds=15 * 60):
    deadline = time.monotonic() + limit_seconds
    while (load := os.getloadavg()[0]) >= QUIET_LOAD and time.monotonic() < deadline:
        print(f"  (load average {load:.2f}: waiting for it to fall below {QUIET_LOAD})", flush=True)
        time.sleep(60)
    return f"load average {load:.2f}" + ("" if load < QUIET_LOAD else ", measured anyway after 15 min")


def fresh_database(database_url, interactions):
    if database_url is None:
        path = OUT_DIR / f"release-{interactions}.sqlite3"
        remove_sqlite(path)
        return f"sqlite:///{path}", f"SQLite ({relative(path)})"
    return database_url, f"PostgreSQL {postgres_database(database_url)}"


def step(name, plan):
    """This script's ``name`` step in a fresh process; its JSON result."""
    return run_child(f"{name} step", [str(Path(__file__).resolve()), "--step", name, "--plan", json.dumps(plan)])


def set_up():
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


# Step 1: the database.


def step_build(plan):
    """``bench_web.py``'s database of both organisms, then binding sites; counts of what was made."""
    from bench_web import fill_database

    started = time.perf_counter()
    human = round(plan["interactions"] / 1.1)  # bench_web adds Mus musculus with a tenth of Homo sapiens
    fill_database(
        {
            "proteins": 20_001,
            "interactions": human,
            "hub_targets": 20_000,
            "seed": plan["seed"],
            "project": str(PROJECT_DIR),
        }
    )
    set_up()
    insert_binding_sites(random.Random(plan["seed"]), round(plan["interactions"] * SITES_PER_INTERACTION))
    from proteins.models import BindingSite, Interaction

    counts = {
        "interactions": Interaction.objects.count(),
        "public": Interaction.objects.public().count(),
        "binding_sites": BindingSite.objects.count(),
    }
    return {"seconds": round(time.perf_counter() - started, 1), "counts": counts}


def insert_binding_sites(rng, count):
    from django.db import transaction

    from proteins.models import BindingSite, Interaction

    tfs = sorted(Interaction.objects.order_by().values_list("tf", flat=True).distinct())
    columns = ["id", "tflink_id", "tf", "assembly", "chromosome", "start", "end", "strand", "sequence", "small_scale"]
    with transaction.atomic():
        insert(
            BindingSite,
            columns,
            (
                (
                    pk,
                    f"TFLinkS{pk:08d}",
                    rng.choice(tfs),
                    "GRCh38",
                    f"chr{pk % 22 + 1}",
                    start,
                    start + 20,
                    "+",
                    "",
                    False,
                )
                for pk in range(1, count + 1)
                for start in [rng.randrange(1, 200_000_000)]
            ),
        )
        insert(
            BindingSite.source_databases.through,
            ["bindingsite", "sourcedatabase"],
            ((pk, 1) for pk in range(1, count + 1)),
        )
        insert(
            BindingSite.detection_methods.through,
            ["bindingsite", "detectionmethod"],
            ((pk, 1) for pk in range(1, count + 1)),
        )
    reset_sequences("proteins")


# Steps 2 and 4: a publication.


def step_publish(plan):
    set_up()
    from releases import publishing

    phases = {}

    def timed(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] = round(time.perf_counter() - started, 1)

        return run

    publishing.freeze = timed("freeze", publishing.freeze)
    publishing.write_files = timed("files", publishing.write_files)
    publishing.write_manifest = timed("manifest", publishing.write_manifest)
    baseline = memory_kb()["VmRSS"] / 1024
    sampler = MemorySampler(interval=0.05)
    sampler.start()
    cpu = cpu_snapshot()
    started = time.perf_counter()
    release = publishing.publish(publishing.start(None), base_url=BASE_URL)
    seconds = time.perf_counter() - started
    sampler.stop()
    files = list(release.files.order_by("name"))
    return {
        "release": release.number,
        "seconds": round(seconds, 1),
        "phases": phases,
        "cpu": cpu_used(cpu),
        "interactions": release.figures["interactions"],
        "binding_sites": release.figures["binding_sites"],
        "difference": release.difference,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        "files": len(files),
        "files_mb": round(sum(file.size for file in files) / 1e6, 1),
        "largest_files": [(file.name, round(file.size / 1e6, 1), file.rows) for file in files if file.size > 10**6],
    }


# Step 3: curation between the releases.


def step_change(plan):
    """Reject, approve and regrade ``changes`` interactions, and add a tenth as many: bulk writes with
    the curation acts the difference reads (the curation's own speed has its benchmark)."""
    set_up()
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.db.models import Max

    from curation.models import CurationEvent
    from proteins.models import Interaction

    rng = random.Random(plan["seed"] + 1)
    reviewer, _created = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    public = list(Interaction.objects.public().filter(status="unreviewed").values_list("pk", flat=True))
    chosen = rng.sample(public, plan["changes"])
    rejected, approved, regraded = (
        chosen[: len(chosen) // 10],
        chosen[len(chosen) // 10 : 3 * len(chosen) // 10],
        chosen[3 * len(chosen) // 10 :],
    )
    started = time.perf_counter()
    with transaction.atomic():
        Interaction.objects.filter(pk__in=rejected).update(status="rejected")
        Interaction.objects.filter(pk__in=approved).update(status="approved", confidence="B")
        Interaction.objects.filter(pk__in=regraded).update(
            mode="activation", mode_decision="publications", confidence="C"
        )
        CurationEvent.objects.bulk_create(
            [
                CurationEvent(
                    interaction_id=pk,
                    actor=reviewer,
                    action=action,
                    from_status="unreviewed",
                    to_status=status,
                    reason=reason,
                )
                for pks, action, status, reason in (
                    (rejected, "reject", "rejected", "No binding in the cited assay."),
                    (approved, "approve", "approved", ""),
                )
                for pk in pks
            ],
            batch_size=1000,
        )
        added = add_interactions(rng, plan["changes"] // 10, Interaction.objects.aggregate(last=Max("pk"))["last"])
    return {
        "rejected": len(rejected),
        "approved": len(approved),
        "regraded": len(regraded),
        "added": added,
        "seconds": round(time.perf_counter() - started, 1),
    }


def add_interactions(rng, count, last_id):
    """``count`` new interactions of human TFs with targets they did not have."""
    from django.db import connection
    from django.utils import timezone

    from proteins.models import Interaction

    held = set(Interaction.objects.values_list("tf", "target"))
    human = Interaction.objects.filter(organism__taxon_id=9606)
    tfs = sorted(set(human.values_list("tf", flat=True)[:100_000]))
    targets = sorted(set(human.values_list("target", flat=True)[:100_000]))
    organism = human.values_list("organism", flat=True).first()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    pairs = set()
    while len(pairs) < count:
        pair = (rng.choice(tfs), rng.choice(targets))
        if pair not in held and pair[0] != pair[1]:
            pairs.add(pair)
    rows = [
        (last_id + n, tf, target, organism, False, "unreviewed", 1, now, now)
        for n, (tf, target) in enumerate(sorted(pairs), 1)
    ]
    insert(
        Interaction,
        ["id", "tf", "target", "organism", "small_scale", "status", "version", "created_at", "updated_at"],
        rows,
    )
    insert(Interaction.source_databases.through, ["interaction", "sourcedatabase"], [(row[0], 1) for row in rows])
    reset_sequences("proteins")
    return len(rows)


# Step 5: the difference alone.


def step_difference(plan):
    set_up()
    from releases.differences import KINDS, Difference
    from releases.models import Release

    old, new = Release.objects.get(number=1), Release.objects.get(number=2)
    cpu = cpu_snapshot()
    started = time.perf_counter()
    difference = Difference(old, new)
    counts = difference.counts()
    counted = time.perf_counter() - started
    listed = {}
    for kind in KINDS:
        rows, last = 0, 0
        while True:
            page = list(difference.of_kind(kind).filter(interaction_id__gt=last)[:DIFFERENCE_PAGE])
            if not page:
                break
            if kind == "changed":
                difference.changed_fields(page)
            elif kind == "withdrawn":
                difference.withdrawal_reasons(page)
            rows += len(page)
            last = page[-1].interaction_id
        listed[kind] = rows
    return {
        "counts": counts,
        "listed": listed,
        "counts_seconds": round(counted, 2),
        "seconds": round(time.perf_counter() - started, 1),
        "cpu": cpu_used(cpu),
    }


STEPS = {"build": step_build, "publish": step_publish, "change": step_change, "difference": step_difference}


# Reports.


def report_publication(result):
    phases = ", ".join(f"{name} {seconds} s" for name, seconds in result["phases"].items())
    verdict = "OK" if result["seconds"] <= GOAL_PUBLISH_SECONDS else "MISSED"
    print(
        f"Release {result['release']}: {result['interactions']:,} interactions, {result['binding_sites']:,} binding "
        f"sites in {result['seconds']} s ({phases}; goal <= {GOAL_PUBLISH_SECONDS} s: {verdict}); "
        f"{result['files']} files, {result['files_mb']} MB; RSS {result['baseline_rss_mb']} MB before, "
        f"peak {result['peak_rss_mb']} MB; CPU {result['cpu']}; difference {result['difference']}",
        flush=True,
    )


def report_difference(result):
    verdict = "OK" if result["seconds"] <= GOAL_DIFFERENCE_SECONDS else "MISSED"
    print(
        f"Difference of releases 1 and 2: counts {result['counts']} in {result['counts_seconds']} s; every row "
        f"listed ({result['listed']}) in {result['seconds']} s in all (goal <= {GOAL_DIFFERENCE_SECONDS} s: "
        f"{verdict}); CPU {result['cpu']}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
