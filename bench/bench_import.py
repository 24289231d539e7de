"""Benchmark ``manage.py import_pages`` on a synthetic corpus, against SQLite or PostgreSQL.

    python bench/bench_import.py [--pages 15000] [--seed 1] [--database-url URL] [--jobs N]
    python bench/bench_import.py --shape tflink [--interactions 12000000] [--database-url URL] [--keep-database]

Generates the corpus once (``bench/out/corpus-<pages>-<seed>/``, or for TFLink's shape, pages
with their full download tables, ``bench/out/corpus-tflink-<interactions>-<seed>/``; reused
afterwards), creates a fresh database, migrates it, then times three imports, each a separate
``manage.py import_pages <dir> --progress never`` process:

a. cold: every page into the empty database;
b. unchanged: the same pages again (nothing to write);
c. changed: a copy of the corpus where 1,000 pages differ (hard links for the others).

For each it prints the wall time, pages/s, rows/s, CPU time and the peak memory of the
import process and of its parsing workers, next to the goals, and the database's size.  It
also checks the database against what the generator says a correct import holds.  With
``--keep-database`` the database stays for ``bench_web.py --existing``.  See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import generate_corpus
from common import (
    OUT_DIR,
    PROJECT_DIR,
    cpu_snapshot,
    engine_name,
    machine,
    machine_line,
    memory_kb,
    postgres_database,
    relative,
    remove_sqlite,
    verdict,
)

CHANGED_PAGES = 1000
# Before each import, wait (at most this long) until other processes use fewer than this many CPUs.
QUIET_WAIT_LIMIT = 900
QUIET_THRESHOLD = 0.3

# The goals, for 15,000 pages (times scale with the number of pages).
GOAL_PAGES = 15_000
GOAL_COLD_SECONDS = 60
GOAL_UNCHANGED_SECONDS = 10
GOAL_PEAK_MB = 500
# TFLink's shape: the goals of its full size on PostgreSQL (times scale with the interactions).
GOAL_TFLINK_INTERACTIONS = generate_corpus.TFLINK_INTERACTIONS
GOAL_TFLINK_COLD_SECONDS = 15 * 60
GOAL_TFLINK_UNCHANGED_SECONDS = 2 * 60

COUNT_SCRIPT = """
import json
from proteins.models import (
    BindingSite, DetectionMethod, GeneId, ImportRecord, Interaction, Ortholog, Protein, Publication, SourceDatabase,
)
counts = {
    "proteins": Protein.objects.count(),
    "proteins_with_page": Protein.objects.filter(provenance="page").count(),
    "gene_ids": GeneId.objects.count(),
    "orthologs": Ortholog.objects.count(),
    "orthologs_linked": Ortholog.objects.filter(ortholog__isnull=False).count(),
    "interactions": Interaction.objects.count(),
    "interaction_source_links": Interaction.source_databases.through.objects.count(),
    "interaction_method_links": Interaction.detection_methods.through.objects.count(),
    "interaction_publication_links": Interaction.publications.through.objects.count(),
    "binding_sites": BindingSite.objects.count(),
    "binding_site_links": sum(
        getattr(BindingSite, name).through.objects.count()
        for name in ("source_databases", "detection_methods", "publications")
    ),
    "publications": Publication.objects.count(),
    "source_databases": SourceDatabase.objects.count(),
    "detection_methods": DetectionMethod.objects.count(),
    "import_records": ImportRecord.objects.count(),
}
print(json.dumps(counts))
"""


# The corpus.


def corpus_name(args):
    """``<pages>`` or ``tflink-<interactions>``: names the corpus's folder, the SQLite file and the results."""
    return f"tflink-{args.interactions}" if args.shape == "tflink" else str(args.pages)


def ensure_corpus(args):
    """The corpus's folder and manifest, generating it unless a complete one is there."""
    folder = OUT_DIR / f"corpus-{corpus_name(args)}-{args.seed}"
    manifest = read_json(folder / generate_corpus.MANIFEST)
    if manifest and manifest.get("generator_version") == generate_corpus.GENERATOR_VERSION:
        print(f"Corpus: reusing {relative(folder)}")
        return folder, manifest
    size = f"{args.interactions:,} interactions, TFLink's shape" if args.shape == "tflink" else f"{args.pages:,} pages"
    print(f"Corpus: generating {size} (seed {args.seed}) into {relative(folder)} ...", flush=True)
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    if args.shape == "tflink":
        manifest = generate_corpus.generate_tflink(partial, args.interactions, args.seed)
    else:
        manifest = generate_corpus.generate(partial, args.pages, args.seed)
    partial.rename(folder)
    print(f"        done in {manifest['seconds']} s")
    return folder, manifest


def ensure_changed_corpus(folder, manifest, seed):
    """A copy of the corpus with ``CHANGED_PAGES`` pages changed, and what changed."""
    changed = folder.with_name(folder.name + "-changed")
    summary = read_json(changed / "changes.json")
    if summary:
        return changed, summary
    partial = changed.with_name(f"{changed.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(changed, ignore_errors=True)
    summary = generate_corpus.change_pages(folder, partial, CHANGED_PAGES, seed)
    summary["rows"] = manifest["rows"] + summary["rows_delta"]
    (partial / "changes.json").write_text(json.dumps(summary, indent=2) + "\n")
    partial.rename(changed)
    return changed, summary


def read_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# The database.


def fresh_database(database_url, name):
    """A database URL naming a new, empty database, and a description of the engine."""
    if database_url is None:
        # One file per run, so that runs at the same time do not share a database.
        path = OUT_DIR / f"import-{name}-{os.getpid()}.sqlite3"
        remove_sqlite(path)
        return f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version} ({relative(path)})"
    return database_url, f"PostgreSQL {postgres_database(database_url)} ({urlsplit(database_url).path[1:]})"


def database_size(database_url):
    """Bytes the database takes on disk (SQLite files, or ``pg_database_size``)."""
    if database_url.startswith("sqlite:///"):
        files = [Path(database_url.removeprefix("sqlite:///") + suffix) for suffix in ("", "-wal")]
        return sum(file.stat().st_size for file in files if file.exists())
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]


# Running manage.py and watching its memory.


@dataclass
class Measurement:
    """One timed run of a command, with the peak memory of its processes."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    exit_status: int = 0
    database_cpu_seconds: float = 0.0  # PostgreSQL server processes (SQLite runs inside the import)
    other_cpu_seconds: float = 0.0  # everything else on the machine: a busy machine skews the figures
    iowait_seconds: float = 0.0
    main_peak_mb: float = 0.0
    worker_peak_mb: float = 0.0  # the largest single parsing worker
    workers: int = 0
    total_peak_mb: float = 0.0  # the import process and all its workers at the same moment
    stdout: str = ""
    stderr: str = ""
    extra: dict = field(default_factory=dict)


class MemoryWatcher(threading.Thread):
    """Polls /proc for the peak resident memory of a process and of its descendants."""

    INTERVAL = 0.05

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks = {}  # pid -> (VmHWM in kB, role)
        self.total_peak = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.INTERVAL)

    def sample(self):
        total = 0
        for pid in [self.pid, *descendants(self.pid)]:
            status = memory_kb(pid)
            if not status:
                continue  # gone, or a zombie: no memory left and no command line to tell its role
            total += status["VmRSS"]
            role = "main" if pid == self.pid else role_of(pid)
            peak, known_role = self.peaks.get(pid, (0, role))
            # A new role means the process has just exec'd: what it held before was its parent's.
            self.peaks[pid] = (max(peak, status["VmHWM"]) if known_role == role else status["VmHWM"], role)
        self.total_peak = max(self.total_peak, total)

    def stop(self):
        self.done.set()
        self.join()

    def fill(self, measurement):
        workers = [peak for peak, role in self.peaks.values() if role == "worker"]
        measurement.main_peak_mb = self.peaks.get(self.pid, (0, ""))[0] / 1024
        measurement.worker_peak_mb = max(workers, default=0) / 1024
        measurement.workers = len(workers)
        measurement.total_peak_mb = self.total_peak / 1024


def descendants(root):
    """Process ids of ``root``'s children, grandchildren, ... (from /proc/<pid>/task/*/children)."""
    found, queue = [], [root]
    while queue:
        for child in children_of(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def children_of(pid):
    children = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            children += map(int, Path(task.path, "children").read_text().split())
    except OSError:
        pass  # the process has ended
    return children


def role_of(pid):
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    # Parsing workers are spawned processes; the resource tracker is a helper, not a worker.
    if "resource_tracker" in command:
        return "other"
    return "worker" if "multiprocessing" in command else "other"


def manage(args, database_url, project, watch=False):
    """Run ``manage.py <args>`` in a fresh process and measure it."""
    # As in production: DEBUG off (with DEBUG on Django also logs every query, about 3 s of a cold import).
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, str(project / "manage.py"), *args]
    before = cpu_snapshot()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = MemoryWatcher(process.pid) if watch else None
    if watcher:
        watcher.start()
    output = {}
    readers = [
        threading.Thread(target=collect, args=(stream, name, output))
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    spent = {key: value - before[key] for key, value in cpu_snapshot().items()}
    if database_url.startswith("sqlite"):
        spent["postgres"] = 0.0  # SQLite works inside the import; a PostgreSQL at work serves someone else
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    measurement = Measurement(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        database_cpu_seconds=spent["postgres"],
        other_cpu_seconds=max(0.0, spent["busy"] - spent["postgres"] - spent["self"] - usage.ru_utime - usage.ru_stime),
        iowait_seconds=spent["iowait"],
        exit_status=process.returncode,
        stdout=output["stdout"],
        stderr=output["stderr"],
    )
    if watcher:
        watcher.stop()
        watcher.fill(measurement)
    return measurement


def collect(stream, name, output):
    output[name] = stream.read()


def checked(measurement, what):
    if measurement.exit_status != 0:
        sys.stderr.write(measurement.stdout[-5000:] + measurement.stderr[-5000:])
        raise SystemExit(f"{what} failed with exit status {measurement.exit_status}.")
    return measurement


def wait_until_quiet(limit=QUIET_WAIT_LIMIT, threshold=QUIET_THRESHOLD):
    """Wait, at most ``limit`` seconds, until other processes use fewer than ``threshold`` CPUs."""
    deadline = time.monotonic() + limit
    waited = False
    while True:
        before = cpu_snapshot()
        time.sleep(3)
        after = cpu_snapshot()
        busy = (after["busy"] - before["busy"] - (after["self"] - before["self"])) / 3
        if busy < threshold:
            return
        if time.monotonic() > deadline:
            print(f"  (still {busy:.1f} CPUs busy after {limit} s of waiting; measuring anyway)")
            return
        if not waited:
            print(f"  (waiting for the machine to be quiet: other processes keep {busy:.1f} CPUs busy)", flush=True)
            waited = True


def import_pages(folder, database_url, project, jobs, wait=True):
    if wait:
        wait_until_quiet()
    args = ["import_pages", str(folder), "--progress", "never"]
    if jobs:
        args += ["--jobs", str(jobs)]
    return manage(args, database_url, project, watch=True)


def database_counts(database_url, project):
    measurement = checked(manage(["shell", "-c", COUNT_SCRIPT], database_url, project), "Counting rows")
    return json.loads(measurement.stdout.strip().splitlines()[-1])


# Reporting.


def summary_line(measurement):
    match = re.search(r"Pages read: .*", measurement.stdout)
    return match.group(0) if match else measurement.stdout.strip()[-300:]


def report_scenario(label, measurement, pages, rows, goal_seconds, jobs, goal_mb=GOAL_PEAK_MB):
    print(f"\n{label}")
    print(f"  importer says : {summary_line(measurement)}")
    failures = [line for line in measurement.stderr.splitlines() if line.startswith("FAILED")]
    if failures:
        print(f"  FAILED pages  : {len(failures)}, first: {failures[0]}")
    time_goal = f"goal <= {goal_seconds:.2g} s {verdict(measurement.seconds, goal_seconds)}" if goal_seconds else ""
    print(f"  wall time     : {measurement.seconds:8.1f} s   {time_goal}")
    print(f"  throughput    : {pages / measurement.seconds:8,.0f} pages/s, {rows / measurement.seconds:,.0f} rows/s")
    server = f"{measurement.database_cpu_seconds:.1f} s PostgreSQL server, " if measurement.database_cpu_seconds else ""
    print(
        f"  CPU (user+sys): {measurement.cpu_seconds:8.1f} s import process and workers, {server}"
        f"{measurement.other_cpu_seconds:.1f} s other processes; iowait {measurement.iowait_seconds:.1f} s"
    )
    if measurement.other_cpu_seconds > 0.1 * measurement.seconds:
        busy = measurement.other_cpu_seconds / measurement.seconds
        print(f"  WARNING       : other processes kept {busy:.1f} of {os.cpu_count()} CPUs busy; the times are skewed")
    print(f"  peak memory   : import process {measurement.main_peak_mb:.0f} MB; ", end="")
    if measurement.workers:
        print(f"largest of {measurement.workers} parsing workers {measurement.worker_peak_mb:.0f} MB; ", end="")
    else:
        print(f"no parsing workers (jobs={jobs}); ", end="")
    goal = f"   goal <= {goal_mb} MB {verdict(measurement.total_peak_mb, goal_mb)}" if goal_mb else ""
    print(f"all together {measurement.total_peak_mb:.0f} MB{goal}")


def report_counts(counts, expected):
    print("\nDatabase after the cold import (expected = what the generator wrote on the pages):")
    for name, value in counts.items():
        wanted = expected.get(name)
        note = "" if wanted is None else ("  ok" if wanted == value else f"  EXPECTED {wanted:,}")
        print(f"  {name:30} {value:>12,}{note}")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Benchmark manage.py import_pages on a synthetic corpus.")
    parser.add_argument(
        "--shape",
        choices=("pages", "tflink"),
        default="pages",
        help="pages: --pages pages, lists cut at 100 rows; tflink: TFLink's shape, --interactions "
        "interactions, pages with their full download tables (default: %(default)s).",
    )
    parser.add_argument(
        "--pages", type=int, help=f"Corpus size, shape pages (default: {generate_corpus.DEFAULT_PAGES})."
    )
    parser.add_argument(
        "--interactions",
        type=int,
        help=f"Corpus size, shape tflink (default: {generate_corpus.TFLINK_INTERACTIONS:,}).",
    )
    parser.add_argument("--seed", type=int, default=generate_corpus.DEFAULT_SEED, help="Corpus seed.")
    parser.add_argument("--database-url", help="postgres://user@host/name, dropped and recreated (default: SQLite).")
    parser.add_argument("--jobs", type=int, help="Passed to import_pages --jobs (default: the command's default).")
    parser.add_argument(
        "--project",
        type=Path,
        default=PROJECT_DIR,
        help="The Django project whose manage.py is benchmarked, e.g. a snapshot made with git archive "
        "(default: %(default)s).",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="Do not wait for other processes to quieten before each import."
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="Keep the SQLite file after the run (a PostgreSQL database is always kept), "
        "e.g. for bench_web.py --existing.",
    )
    args = parser.parse_args(argv)
    args.project = args.project.resolve()
    if args.shape == "tflink":
        if args.pages is not None:
            parser.error("--pages is for the pages shape; the tflink shape takes --interactions.")
        args.interactions = args.interactions or generate_corpus.TFLINK_INTERACTIONS
    elif args.interactions is not None:
        parser.error("--interactions is for the tflink shape; the pages shape takes --pages.")
    else:
        args.pages = args.pages or generate_corpus.DEFAULT_PAGES
    return args


def main(argv=None):
    args = parse_arguments(argv)
    OUT_DIR.mkdir(exist_ok=True)
    info = machine(args.project)
    folder, manifest = ensure_corpus(args)
    changed_folder, changes = ensure_changed_corpus(folder, manifest, args.seed)
    database_url, info["engine"] = fresh_database(args.database_url, corpus_name(args))
    try:
        results = run_scenarios(args, info, database_url, (folder, manifest), (changed_folder, changes))
    finally:
        if not args.keep_database and database_url.startswith("sqlite:///"):
            remove_sqlite(database_url.removeprefix("sqlite:///"))
    name = manifest["pages"] if args.shape == "pages" else corpus_name(args)
    results_path = OUT_DIR / f"import-results-{engine_name(database_url)}-{name}.json"
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nResults saved to {relative(results_path)}")
    if args.keep_database or not database_url.startswith("sqlite:///"):
        print(
            f"Database kept: {database_url}\nPages on it: .venv/bin/python bench/bench_web.py --existing "
            f"--database-url {database_url}"
        )


def run_scenarios(args, info, database_url, corpus, changed_corpus):
    """Migrate, then time the three imports; return everything measured."""
    (folder, manifest), (changed_folder, changes) = corpus, changed_corpus
    project, wait = args.project, not args.no_wait
    jobs = args.jobs or f"default ({default_jobs(database_url, project)})"
    tables = f", {manifest['tables']:,} download tables" if "tables" in manifest else ""
    print(
        f"Machine: {machine_line(info)}, {info['engine']}\nCode: {info['commit']}, import_pages --jobs {jobs}\n"
        f"Corpus: {manifest['pages']:,} pages{tables}, {manifest['rows']:,} rows "
        f"({manifest['interaction_rows']:,} tfs/targets, {manifest['binding_site_rows']:,} binding sites), "
        f"{manifest['expected']['interactions']:,} interactions, {manifest['bytes'] / 1e6:.0f} MB"
    )
    migrate = checked(manage(["migrate", "--no-input"], database_url, project), "migrate")
    print(f"migrate: {migrate.seconds:.1f} s")
    goals = Goals(args, manifest)

    cold = checked(import_pages(folder, database_url, project, args.jobs, wait), "Cold import")
    title = f"(a) cold import of {manifest['pages']:,} pages{tables}"
    report_scenario(title, cold, manifest["pages"], manifest["rows"], goals.cold, jobs, goals.peak_mb)
    counts = database_counts(database_url, project)
    counts["database_mb"] = round(database_size(database_url) / 1e6)
    report_counts(counts, manifest["expected"])
    print(f"  {'database size':30} {counts['database_mb']:>9,} MB ({size_source(database_url)})")

    unchanged = checked(import_pages(folder, database_url, project, args.jobs, wait), "Re-import")
    title = "(b) re-import, nothing changed"
    report_scenario(title, unchanged, manifest["pages"], manifest["rows"], goals.unchanged, jobs, goals.peak_mb)

    changed = checked(import_pages(changed_folder, database_url, project, args.jobs, wait), "Changed import")
    title = (
        f"(c) import with {changes['changed_pages']:,} pages changed "
        f"({changes['added_rows']} gain a new TF row, {changes['enriched_rows']} gain evidence on a row)"
    )
    report_scenario(title, changed, changes["pages"], changes["rows"], None, jobs, goals.peak_mb)
    after = database_counts(database_url, project)
    after["database_mb"] = round(database_size(database_url) / 1e6)
    report_changes(counts, after, changes)
    print(f"  database size : {after['database_mb']:,} MB ({size_source(database_url)})")
    if goals.note:
        print(f"\n{goals.note}")
    return {
        "machine": info,
        "corpus": manifest,
        "changes": changes,
        "jobs": args.jobs,
        "migrate_seconds": migrate.seconds,
        "counts_after_cold": counts,
        "counts_after_changed": after,
        "scenarios": {
            name: {key: value for key, value in asdict(m).items() if key not in ("stdout", "stderr")}
            | {"summary": summary_line(m)}
            for name, m in (("cold", cold), ("unchanged", unchanged), ("changed", changed))
        },
    }


class Goals:
    """The time goals of the corpus's shape, scaled to its size, and what the report says of them."""

    def __init__(self, args, manifest):
        self.note = ""
        if args.shape == "tflink":
            scale = manifest["expected"]["interactions"] / GOAL_TFLINK_INTERACTIONS
            self.cold, self.unchanged = GOAL_TFLINK_COLD_SECONDS * scale, GOAL_TFLINK_UNCHANGED_SECONDS * scale
            self.peak_mb = None  # none set for TFLink's full size
            self.note = (
                f"Goals are TFLink's full size on PostgreSQL ({GOAL_TFLINK_INTERACTIONS:,} interactions: cold <= "
                f"{GOAL_TFLINK_COLD_SECONDS // 60} min, unchanged <= {GOAL_TFLINK_UNCHANGED_SECONDS // 60} min)"
            )
            if scale != 1:
                self.note += f", scaled to {manifest['expected']['interactions']:,} interactions."
            return
        scale = manifest["pages"] / GOAL_PAGES
        self.cold, self.unchanged, self.peak_mb = (
            GOAL_COLD_SECONDS * scale,
            GOAL_UNCHANGED_SECONDS * scale,
            GOAL_PEAK_MB,
        )
        if manifest["pages"] != GOAL_PAGES:
            self.note = (
                f"Goals are for {GOAL_PAGES:,} pages; the time goals above are scaled to {manifest['pages']:,} pages."
            )


def size_source(database_url):
    return "SQLite file and write-ahead log" if database_url.startswith("sqlite") else "pg_database_size"


def report_changes(before, after, changes):
    links = after["interaction_publication_links"] - before["interaction_publication_links"]
    print(
        f"  interactions  : {after['interactions'] - before['interactions']:+,} "
        f"(expected +{changes['added_rows']:,}), proteins {after['proteins'] - before['proteins']:+,}, "
        f"publication links {links:+,} (expected +{changes['added_rows'] + changes['enriched_rows']:,})"
    )


def default_jobs(database_url, project):
    """What ``import_pages`` uses without --jobs, as its --help says."""
    help_text = manage(["import_pages", "--help"], database_url, project).stdout
    match = re.search(r"\(default:\s*(\d+)\)", help_text[help_text.find("--jobs") :])
    return match.group(1) if match else "?"


if __name__ == "__main__":
    sys.exit(main())
