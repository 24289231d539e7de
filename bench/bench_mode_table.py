"""Benchmark the import of a TRRUST-format mode table, SQLite or PostgreSQL.

    python bench/bench_mode_table.py [--database-url URL] [--proteins 20000] [--interactions 200000]
                                     [--rows 10000] [--seed 1]

1. Builds a fresh database (``bench/out/mode-table-<interactions>.sqlite3``, or the PostgreSQL
   database of ``--database-url``, dropped and recreated), migrates it and fills it with bulk
   inserts: ``--proteins`` human proteins (one in ten with ``;``-joined gene names) and
   ``--interactions`` interactions, one in twenty approved (half of those with a reviewer's mode).
2. Writes a TRRUST-format table of ``--rows`` rows (header, CRLF line ends): pairs the portal
   holds, pairs it does not, symbols naming no protein, several modes per pair, a few exact
   duplicate lines.
3. Times ``curation.mode_tables.import_mode_table``: a dry run, the import, the same import
   again (which changes nothing), and again with ``create_missing``; rows per second of each.
4. Writes the results to ``bench/out/mode-table-results-<engine>-<rows>.json``.

Runs with production settings (``DEBUG=0``). See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time

from common import (
    OUT_DIR,
    PROJECT_DIR,
    accession,
    analyse,
    engine_name,
    insert,
    machine,
    machine_line,
    migrate,
    postgres_database,
    progress,
    remove_sqlite,
    reset_sequences,
    set_production_environment,
    set_up_django,
)

MODES = ("Activation", "Repression", "Unknown")
PROTEIN_COLUMNS = [
    *("id", "accession", "gene_name", "organism", "jaspar_matrices", "description", "provenance", "page_hash"),
    *("created_at", "updated_at"),
]


def main(argv=None):
    args = parse_arguments(argv)
    OUT_DIR.mkdir(exist_ok=True)
    set_production_environment()
    if args.database_url is None:
        path = OUT_DIR / f"mode-table-{args.interactions}.sqlite3"
        remove_sqlite(path)
        database_url, engine = f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version}"
    else:
        database_url = args.database_url
        engine = f"PostgreSQL {postgres_database(database_url)}"
    os.environ["DATABASE_URL"] = database_url
    info = {**machine(PROJECT_DIR), "engine": engine}
    print(f"Machine: {machine_line(info)}, {engine}, {info['date']}", flush=True)

    migrate()
    set_up_django()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    pairs = fill_database(args.proteins, args.interactions, rng)
    analyse()
    progress(
        f"built {args.proteins:,} proteins and {len(pairs):,} interactions in {time.perf_counter() - started:.1f} s"
    )
    table = OUT_DIR / f"mode-table-{args.rows}.tsv"
    table.write_bytes(trrust_table(args.rows, args.proteins, pairs, rng))

    results = {"machine": info, "rows": args.rows, "proteins": args.proteins, "interactions": len(pairs)}
    steps = (
        ("dry run", {"dry_run": True}),
        ("import", {}),
        ("again (no change)", {}),
        ("create missing", {"create_missing": True}),
    )
    for name, options in steps:
        results[name] = time_import(table, options)
        figures = results[name]
        print(f"{name:>18}: {figures['seconds']:.2f} s, {figures['rows_per_second']:,.0f} rows/s, {figures['report']}")
    path = OUT_DIR / f"mode-table-results-{engine_name(database_url)}-{args.rows}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"Results saved to {path.relative_to(PROJECT_DIR)}")
    return 0


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Benchmark the import of a TRRUST-format mode table.")
    parser.add_argument("--database-url", help="postgres://… (dropped and recreated); SQLite by default.")
    parser.add_argument("--proteins", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def symbol(number: int) -> str:
    return f"GENE{number}"


def fill_database(proteins: int, interactions: int, rng: random.Random) -> list[tuple[int, int]]:
    """Human proteins (ids 1…) and random interactions between them; the (TF, target) numbers of those."""
    from django.utils import timezone

    from proteins.models import Interaction, Organism, Protein

    human = Organism.objects.get(taxon_id=9606).pk
    now = timezone.now()
    insert(
        Protein,
        PROTEIN_COLUMNS,
        (
            (
                n,
                accession(n),
                f"{symbol(n)};ALIAS{n}" if n % 10 == 0 else symbol(n),
                human,
                "[]",
                "",
                "page",
                "",
                now,
                now,
            )
            for n in range(1, proteins + 1)
        ),
    )
    pairs = set()
    while len(pairs) < interactions:
        pairs.add((rng.randint(1, proteins // 10), rng.randint(1, proteins)))
    pairs = sorted(pairs)
    rows = []
    for n, (tf, target) in enumerate(pairs, start=1):
        approved = n % 20 == 0
        reviewer_mode = approved and n % 40 == 0
        rows.append(
            (
                n,
                tf,
                target,
                human,
                False,
                "approved" if approved else "unreviewed",
                "activation" if reviewer_mode else "unknown",
                "reviewer" if reviewer_mode else "unknown",
                "E",
                1,
                now,
                now,
            )
        )
    columns = ["id", "tf", "target", "organism", "small_scale", "status", "mode", "mode_decision", "confidence"]
    insert(Interaction, [*columns, "version", "created_at", "updated_at"], rows)
    reset_sequences("proteins")
    return pairs


def trrust_table(rows: int, proteins: int, pairs: list[tuple[int, int]], rng: random.Random) -> bytes:
    """``rows`` lines of a TRRUST-format table, with its quirks; CRLF, header first."""
    lines = ["TF\tTarget\tRegulation\tReference"]
    pmid = 10_000_000
    while len(lines) <= rows:
        draw = rng.random()
        if draw < 0.7:
            tf, target = map(symbol, rng.choice(pairs))
        elif draw < 0.9:
            tf, target = symbol(rng.randint(1, proteins // 10)), symbol(rng.randint(1, proteins))
        else:
            tf, target = symbol(rng.randint(1, proteins)), f"NOSUCH{rng.randint(1, 10**6)}"
        for mode in rng.sample(MODES, rng.choice((1, 1, 2, 3))):
            pmids = [pmid + n for n in range(rng.randint(1, 4))]
            pmid += len(pmids)
            lines.append(f"{tf}\t{target}\t{mode}\t{';'.join(map(str, pmids))}")
            if rng.random() < 0.01:
                lines.append(lines[-1])
    return ("\r\n".join(lines[: rows + 1]) + "\r\n").encode()


def time_import(table, options: dict) -> dict:
    from curation.mode_tables import import_mode_table
    from proteins.models import Organism

    human = Organism.objects.get(taxon_id=9606)
    started = time.perf_counter()
    report = import_mode_table(table, human, **options)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "rows_per_second": round(report.rows_read / seconds),
        "report": dict(report.summary()),
    }


if __name__ == "__main__":
    sys.exit(main())
