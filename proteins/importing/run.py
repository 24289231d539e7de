"""The import's entry point: ``import_pages``, which the ``import_pages`` command and the admin's
upload call, and the run it records.

Pages are applied in batches: one transaction writes a whole batch with a fixed number of
bulk queries, whatever the number of rows (``writer``).  Should a batch fail in the database,
each of its pages is applied again on its own, so one bad page never takes good ones down
with it and never leaves half a record.  With ``dry_run`` the same plan is computed from
reads only and nothing is written.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from curation import rules

from .. import counts
from ..models import (
    DeferredIndex,
    DetectionMethod,
    ImportRecord,
    ImportRun,
    Interaction,
    Organism,
    Protein,
    SourceDatabase,
)
from ..pages import PageError
from . import deferred_indexes
from .checks import check_page
from .planning import EvidenceFingerprints
from .reading import find_pages, read_pages
from .report import ImportReport
from .writer import BatchWriter


def import_pages(
    paths, *, dry_run=False, batch_size=200, jobs=1, on_page=None, run: ImportRun | None = None, root=None
) -> ImportReport:
    """Import the pages named by ``paths`` and return an ``ImportReport``.

    ``on_page(path)`` is called after each page is done (for progress bars); ``jobs`` > 1
    parses pages in that many processes while this one writes.  ``run``: an unsaved
    ``ImportRun`` to record into (an upload's, with its user and file names); ``root``: a
    folder the paths lie in, which records and failures then name paths relative to.
    """
    files, missing = find_pages(paths)
    importer = PageImporter(dry_run=dry_run, batch_size=batch_size, root=root)
    with fewer_collections():
        try:
            importer.start(paths, run, page_count=len(files))
            for error in missing:
                importer.fail(error)
            for loaded in read_pages(
                files, importer.known_hashes, settings.IMPORT_MAX_PAGE_BYTES, jobs, ahead=batch_size * 5 // 4
            ):
                importer.add(loaded)
                if on_page:
                    on_page(loaded.path)
            return importer.finish()
        except BaseException as error:
            importer.stop(error)  # the run's record says it ended, and why; the error goes on
            raise
        finally:
            importer.restore_indexes()  # also when interrupted: never leave the tables without them


# While imports run, the cyclic garbage collector's youngest generation is collected every
# GC_FIRST_THRESHOLD allocations instead of Python's 700.  An import allocates millions of
# tuples that live until their batch is written, and every collection of the older
# generations walks all of them, so at 700 the collections take a large share of a cold
# import, unpickling pages most of all (bench/README.md).  Imports make little cyclic
# garbage, and what they make is still collected.
GC_FIRST_THRESHOLD = 50_000
_gc_lock = threading.Lock()
_gc_state = {"imports": 0, "saved": None}


@contextmanager
def fewer_collections():
    """Raise the collector's first threshold while any import of this process runs; restore it after the last."""
    with _gc_lock:
        if _gc_state["imports"] == 0:
            _gc_state["saved"] = gc.get_threshold()
            first, *older = _gc_state["saved"]
            gc.set_threshold(max(first, GC_FIRST_THRESHOLD), *older)
        _gc_state["imports"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["imports"] -= 1
            if _gc_state["imports"] == 0:
                gc.set_threshold(*_gc_state["saved"])


class PageImporter:
    """Collects loaded pages into batches and applies them (see the module docstring)."""

    def __init__(self, dry_run=False, batch_size=200, root=None):
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.root = Path(root) if root is not None else None
        self.report = ImportReport(dry_run=dry_run)
        self.batch = {}  # accession -> loaded page, in the order read: one page per protein a batch
        self.failed_records = []  # written with the next batch, not one query each
        self.run = None
        self.organisms = {}
        self.known_hashes = frozenset()
        self.lookups = {SourceDatabase: {}, DetectionMethod: {}}  # {name as spelt in a page: id}
        self.lookup_names = {SourceDatabase: {}, DetectionMethod: {}}  # {id: the name as stored}
        self.proteins = None  # accession -> (pk, organism id, has a page), loaded with the first batch
        self.known_pmids = set()
        self.fingerprints = EvidenceFingerprints()
        # In a dry run nothing is written, so later batches must remember what earlier
        # ones would have created to count it once.
        self.planned_pairs = set()
        # The interactions were empty when the run began: a pair can exist only if a page of one of
        # its proteins came before (``BatchWriter.pairs_that_may_exist``).  Dropped at any refusal.
        self.started_empty = False
        self.indexes_deferred = False  # indexes set aside (``deferred_indexes``) wait to be built

    def start(self, paths, run=None, page_count=0):
        self.organisms = dict(Organism.objects.values_list("name", "id"))
        self.load_lookups()
        self.known_hashes = frozenset(Protein.objects.exclude(page_hash="").values_list("page_hash", flat=True))
        self.started_empty = not Interaction.objects.exists()
        if not self.dry_run:
            self.run = run or ImportRun()
            self.run.paths = self.run.paths or "\n".join(self.shown_path(path) for path in paths)
            self.run.save()
            # Left by an import that was killed: built before anything else.
            self.indexes_deferred = DeferredIndex.objects.exists()
            self.restore_indexes()
            if deferred_indexes.should_defer(page_count):
                self.indexes_deferred = bool(deferred_indexes.defer(self.run))

    def restore_indexes(self):
        if not self.indexes_deferred:
            return
        self.indexes_deferred = False
        built, seconds = deferred_indexes.restore()
        self.report.indexes_rebuilt += built
        self.report.index_seconds += seconds

    def shown_path(self, path):
        """``path`` as records and reports name it: relative to ``root`` when one is given."""
        if self.root is not None and Path(path).is_relative_to(self.root):
            return str(Path(path).relative_to(self.root))
        return str(path)

    def load_lookups(self):
        """Cache lookup ids; called again after a rollback, which may undo cached rows."""
        self.proteins = None
        for model, cache in self.lookups.items():
            names = self.lookup_names[model]
            names.clear()
            names.update(model.objects.values_list("pk", "name"))
            cache.clear()
            cache.update((name, pk) for pk, name in names.items())
        self.known_pmids.clear()
        self.fingerprints = EvidenceFingerprints()  # a rollback may hand the same ids out again

    def add(self, loaded):
        self.report.pages_read += 1
        if loaded.error:
            self.fail(loaded.error)
        elif loaded.unchanged:
            self.report.pages_unchanged += 1
        else:
            try:
                check_page(loaded.page, self.organisms)
            except PageError as error:
                self.fail(error)
                return
            if loaded.page.accession in self.batch:
                self.flush()
            self.batch[loaded.page.accession] = loaded
            if len(self.batch) >= self.batch_size:
                self.flush()

    def fail(self, error):
        if self.root is not None:
            error = PageError(self.shown_path(error.path), error.message, error.field, error.row)
        self.report.failures.append(error)
        self.failed_records.append(ImportRecord(run=self.run, path=error.path, outcome="failed", message=str(error)))

    def finish(self):
        self.flush()
        self.save_records(self.failed_records)
        self.restore_indexes()
        if not self.dry_run:
            self.record_run()
        return self.report

    def stop(self, error):
        """After an unexpected error (or an interruption): record what the run did, that it ended, and why.

        The batch being written was rolled back; its pages are not recorded.  Should the
        database refuse this too, the error says so in a note.
        """
        if self.dry_run or self.run is None or self.run.pk is None:
            return
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        try:
            self.save_records(self.failed_records)
            self.failed_records = []
            self.record_run(error=f"The import stopped before its end: {reason}")
        except DatabaseError as database_error:
            error.add_note(f"The import run {self.run.pk} could not be recorded as stopped: {database_error}")

    def record_run(self, error=""):
        report = self.report
        self.run.finished_at = timezone.now()
        for name in ("pages_read", "pages_created", "pages_updated", "pages_unchanged", "pages_failed"):
            setattr(self.run, name, getattr(report, name))
        self.run.interactions_created = report.interactions_created
        self.run.interactions_updated = report.interactions_updated
        self.run.error = error
        self.run.save()

    def flush(self, retry=True):
        """Apply the batch; if the database refuses it, apply each page again alone with fresh caches.

        (A page refused alone is failed; a batch of one page is also tried again once, since its
        refusal may come from a cached id that someone deleted meanwhile.)
        """
        self.save_records(self.failed_records)
        self.failed_records = []
        batch, self.batch = list(self.batch.values()), {}
        if not batch:
            return
        try:
            self.apply(batch)
        except DatabaseError as error:
            self.load_lookups()
            self.started_empty = False  # e.g. another writer's pair: look every pair up from now on
            if not retry:
                self.fail(PageError(batch[0].path, f"the database refused the page: {error}"))
                return
            for loaded in batch:
                self.batch = {loaded.page.accession: loaded}
                self.flush(retry=False)

    def known_proteins(self):
        """Every protein's id, organism and whether it has a page: one query a run, not one a batch."""
        if self.proteins is None:
            tune_connection()
            rows = Protein.objects.values_list("accession", "pk", "organism_id", "page_hash")
            self.proteins = {
                accession: (pk, organism, bool(page_hash))
                for accession, pk, organism, page_hash in rows.iterator(chunk_size=10000)
            }
        return self.proteins

    def apply(self, batch):
        """Write one batch and its import records in one transaction.

        On SQLite the batch runs with foreign-key checks off and checks its references once, as
        sets, before it commits (``BatchWriter.check_references``).
        """
        with connection.constraint_checks_disabled(), transaction.atomic():
            relax_commit()
            self.count_if_indexes_were_built()
            writer = BatchWriter(self, batch)
            counts = writer.write()
            records = [
                ImportRecord(
                    run=self.run,
                    path=self.shown_path(loaded.path),
                    content_hash=loaded.content_hash,
                    accession=loaded.page.accession,
                    protein_id=None if self.dry_run else protein_id,
                    outcome=outcome,
                )
                for loaded, outcome, protein_id in counts["pages"]
            ]
            self.save_records(records)
            self.hold_for_curators(counts["held_changes"], records)
            if not self.dry_run:
                writer.remembered[ImportRun].add(self.run.pk)
                writer.check_references()
        self.report.interactions_created += counts["interactions_created"]
        self.report.source_changes_held += len(counts["held_changes"])
        self.report.interactions_updated += counts["interactions_updated"]
        for record in records:
            if record.outcome == ImportRecord.Outcome.CREATED:
                self.report.pages_created += 1
            else:
                self.report.pages_updated += 1

    def count_if_indexes_were_built(self):
        """Back to counting batch by batch if another import built the indexes this one set aside.

        (An import that finds ``DeferredIndex`` rows at its start builds them.)  The batches
        before were not counted: every protein is counted again, in this batch's transaction,
        so the counts are right at each commit even if this import is killed later.
        """
        if self.indexes_deferred and not DeferredIndex.objects.exists():
            self.indexes_deferred = False
            counts.interactions_changed()

    def save_records(self, records):
        if records and not self.dry_run:
            ImportRecord.objects.bulk_create(records)

    def hold_for_curators(self, changes, records):
        """Hold what the pages say differently about curated interactions, linked to the page's record."""
        if self.dry_run or not changes:
            return
        sources, methods = self.lookup_names[SourceDatabase], self.lookup_names[DetectionMethod]
        proposed = [
            rules.ProposedChange(
                interaction_id=pk,
                accession=accession,
                source_databases=sorted(sources[i] for i in added["source_databases"]),
                detection_methods=sorted(methods[i] for i in added["detection_methods"]),
                pmids=sorted(added["pmids"]),
                small_scale=gains_small_scale,
            )
            for pk, accession, added, gains_small_scale in changes
        ]
        rules.hold_source_changes(proposed, {record.accession: record for record in records})


def tune_connection():
    """Give SQLite room for an import: its B-tree pages stay in memory between batches.

    With the default 2 MB cache, every batch re-reads and re-writes the index pages it
    touches, and an import spends most of its time waiting for the disk.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{settings.IMPORT_SQLITE_CACHE_MB * 1024}")
            # Checkpoint the write-ahead log every ~400 MB rather than 4 MB: index pages written
            # by many batches are copied back to the database once, not once per batch.
            cursor.execute("PRAGMA wal_autocheckpoint = 100000")


def relax_commit():
    """In a batch's transaction on PostgreSQL: its commit does not wait for the WAL to reach the disk.

    A crash may then lose the last batches (never half of one); importing the pages again
    restores them.  ``SET LOCAL`` ends with the transaction, so other work on the connection
    keeps its durable commits.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
