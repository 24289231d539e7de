"""The machine's yardstick for the import benchmark: libyaml parsing plus a plain ``sqlite3`` bulk insert.

    python bench/bench_reference.py [CORPUS_DIR] [--pages 15000] [--seed 1]

One process, no Django: every page's front matter is parsed with PyYAML's libyaml
``CSafeLoader``, its ``tfs``, ``targets`` and ``binding_sites_ls`` values are split into CSV
rows, and each row goes as-is (page accession, list name, its cells as text) into one table
without indexes, through ``executemany``, one transaction per 200 pages.  Nothing is
validated, normalized or deduplicated, and there is one table: a floor under any importer of
the same pages, far below one that writes the portal's tables.  Its use is as a yardstick of
the machine's speed at the moment: these shared machines run the same code up to 40 % slower
from one hour to the next, so import figures are compared with a reference run beside them.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import OUT_DIR

LISTS = ("tfs", "targets", "binding_sites_ls")
BATCH_PAGES = 200


def page_rows(path):
    text = path.read_text(encoding="utf-8")
    _, front_matter, _body = text.split("---\n", 2)
    data = yaml.load(front_matter, Loader=yaml.CSafeLoader)
    accession = data["uniprot_accession"]
    for name in LISTS:
        value = data.get(name) or ""
        for cells in csv.reader(value.splitlines()):
            yield (accession, name, "\t".join(cells))


def run(corpus, database):
    files = sorted(corpus.rglob("*.md"))
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("CREATE TABLE row (id INTEGER PRIMARY KEY, accession TEXT, list TEXT, cells TEXT)")
    rows = 0
    started = time.perf_counter()
    cpu = time.process_time()
    for start in range(0, len(files), BATCH_PAGES):
        batch = [row for path in files[start : start + BATCH_PAGES] for row in page_rows(path)]
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO row (accession, list, cells) VALUES (?, ?, ?)", batch)
        connection.execute("COMMIT")
        rows += len(batch)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    connection.close()
    return len(files), rows, wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, help="Folder of pages (default: the generated corpus).")
    parser.add_argument("--pages", type=int, default=15000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    corpus = args.corpus or OUT_DIR / f"corpus-{args.pages}-{args.seed}"
    if not corpus.is_dir():
        sys.exit(f"{corpus}: no such folder; generate it with bench/generate_corpus.py or run bench_import.py once")
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as folder:
        pages, rows, wall, cpu = run(corpus, Path(folder) / "reference.sqlite3")
    print(
        f"reference (libyaml + plain sqlite3, {os.cpu_count()} CPUs): {pages:,} pages, {rows:,} rows "
        f"in {wall:.1f} s wall, {cpu:.1f} s CPU ({rows / wall:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
