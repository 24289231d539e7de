"""Load parsed protein pages into the database: idempotent, atomic per page, in bulk.

Pages are applied in batches: one transaction writes a whole batch with a fixed number of
bulk queries, whatever the number of rows.  Should a batch fail in the database, each of
its pages is applied again on its own, so one bad page never takes good ones down with it
and never leaves half a record.  With ``dry_run`` the same plan is computed from reads only
and nothing is written.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import threading
from array import array
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import counts, deferred_indexes
from .bulk import count_present, insert_instances, insert_returning, insert_rows, rows_by_keys, update_rows
from .models import (
    BindingSite,
    DeferredIndex,
    DetectionMethod,
    GeneId,
    ImportRecord,
    ImportRun,
    Interaction,
    Organism,
    Ortholog,
    Protein,
    Publication,
    SourceDatabase,
)
from .parser import Evidence, PageError, load_page, load_pages, start_worker

PAGE_SUFFIX = ".md"
UNREVIEWED = Interaction.Status.UNREVIEWED.value
# Longest values the database columns hold; longer ones are reported, not truncated.
MAX_LENGTHS = {
    "source database": SourceDatabase._meta.get_field("name").max_length,
    "detection method": DetectionMethod._meta.get_field("name").max_length,
    "ortholog species": Ortholog._meta.get_field("species").max_length,
    "binding-site id": BindingSite._meta.get_field("tflink_id").max_length,
    "assembly": BindingSite._meta.get_field("assembly").max_length,
    "chromosome": BindingSite._meta.get_field("chromosome").max_length,
}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    pages_read: int = 0
    pages_created: int = 0
    pages_updated: int = 0
    pages_unchanged: int = 0
    interactions_created: int = 0
    interactions_updated: int = 0
    source_changes_held: int = 0
    indexes_rebuilt: int = 0
    index_seconds: float = 0.0
    failures: list[PageError] = field(default_factory=list)

    @property
    def pages_failed(self):
        return len(self.failures)

    def summary(self):
        verb = "would be " if self.dry_run else ""
        return (
            f"Pages read: {self.pages_read}, {verb}created: {self.pages_created}, {verb}updated: "
            f"{self.pages_updated}, unchanged: {self.pages_unchanged}, failed: {self.pages_failed}. "
            f"Interactions {verb}created: {self.interactions_created}, {verb}updated: {self.interactions_updated}"
            f"{self.held_summary()}.{self.index_summary()}"
        )

    def index_summary(self):
        if not self.indexes_rebuilt:
            return ""
        built = f"{self.indexes_rebuilt} ({self.index_seconds:.1f} s, with the proteins' interaction counts)"
        return f" Indexes set aside during the import and built again: {built}."

    def held_summary(self):
        if not self.source_changes_held:
            return ""
        return f", curated and left as curated: {self.source_changes_held} (source changes held for curators)"


def find_pages(paths):
    """Page files named by ``paths`` (files, or folders searched recursively), in a stable order.

    Returns ``(files, errors)``: a path that does not exist is an error, not an exception.
    """
    files, errors, seen = [], [], set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{PAGE_SUFFIX}") if p.is_file())
        elif path.is_file():
            found = [path]
        else:
            errors.append(PageError(path, "no such file or folder"))
            continue
        for page_path in found:
            key = page_path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(page_path)
    return files, errors


def import_pages(paths, *, dry_run=False, batch_size=200, jobs=1, on_page=None, run=None, root=None):
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
            for loaded in read_pages(files, importer.known_hashes, jobs, ahead=batch_size * 5 // 4):
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
# generations walks all of them: at 700, collections took about a tenth of a cold import
# (unpickling a chunk of pages ran 7 times slower than with the collector off).  Imports make
# little cyclic garbage, and what they make is still collected.
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


def read_pages(files, known_hashes, jobs=1, chunk_size=16, ahead=250):
    """Loaded pages in file order, parsed in ``jobs`` processes with a bounded backlog.

    The processes parse up to ``ahead`` pages ahead of the pages taken: more than a batch, so
    while a batch is written the next one is parsed whole, and the writer does not wait for
    parsing when it comes back.  (Batches of 200, cold import of 15,000 pages: 51 s with 128
    pages ahead, 43-46 s with 256.)
    """
    max_bytes = settings.IMPORT_MAX_PAGE_BYTES
    if jobs <= 1 or len(files) <= chunk_size:
        for path in files:
            yield load_page(path, known_hashes, max_bytes)
        return
    chunks = iter([files[i : i + chunk_size] for i in range(0, len(files), chunk_size)])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=start_worker, initargs=(known_hashes, max_bytes)
    ) as pool:
        pending = [
            pool.submit(load_pages, chunk) for chunk in itertools.islice(chunks, max(jobs, -(-ahead // chunk_size)))
        ]
        while pending:
            loaded_chunk = pending.pop(0).result()
            next_chunk = next(chunks, None)
            if next_chunk is not None:
                pending.append(pool.submit(load_pages, next_chunk))
            yield from loaded_chunk


def default_jobs():
    return max(1, min(4, (os.cpu_count() or 1)))


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
        self.indexes_deferred = False  # indexes set aside (proteins.deferred_indexes) wait to be built

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
                self.check(loaded.page)
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

    def check(self, page):
        """Reject what the parser cannot know is wrong: unknown organisms, over-long values."""
        for organism in {page.organism} | {row.partner_organism for row in page.tfs + page.targets} - {""}:
            if organism not in self.organisms:
                known = ", ".join(sorted(self.organisms))
                field_name = "organism" if organism == page.organism else "Organism"
                raise PageError(page.path, f"unknown organism {organism!r}; known: {known}", field_name)
        for field_name, rows in (
            ("tfs", page.tfs),
            ("targets", page.targets),
            ("binding_sites_ls", page.binding_sites),
        ):
            if evidence_too_long(rows):  # one pass over the distinct names, then find the row
                for number, row in enumerate(rows, start=1):
                    check_lengths(page.path, field_name, number, evidence_values(row))
        for number, site in enumerate(page.binding_sites, start=1):
            values = {"binding-site id": [site.tflink_id], "assembly": [site.assembly], "chromosome": [site.chromosome]}
            check_lengths(page.path, "binding_sites_ls", number, values)
        check_lengths(page.path, "orthologs", None, {"ortholog species": [o.species for o in page.orthologs]})

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
            counts.refresh_all()

    def save_records(self, records):
        if records and not self.dry_run:
            ImportRecord.objects.bulk_create(records)

    def hold_for_curators(self, changes, records):
        """Store what the pages say differently about curated interactions, linked to the page's record."""
        if self.dry_run or not changes:
            return
        from curation.models import PendingSourceChange  # the workflow app owns the decisions on them

        record_of = {record.accession: record for record in records}
        sources, methods = self.lookup_names[SourceDatabase], self.lookup_names[DetectionMethod]
        proposed = {
            pk: (
                sorted(sources[i] for i in added["source_databases"]),
                sorted(methods[i] for i in added["detection_methods"]),
                sorted(added["pmids"]),
                gains_small_scale,
                accession,
            )
            for pk, accession, added, gains_small_scale in changes
        }
        # A change already waiting, or already dismissed, is not proposed again by the next import.
        decided = PendingSourceChange.objects.filter(
            interaction_id__in=list(proposed),
            decision__in=[PendingSourceChange.Decision.PENDING, PendingSourceChange.Decision.DISMISSED],
        ).values_list("interaction_id", "source_databases", "detection_methods", "pmids", "small_scale")
        known = {(pk, *map(tuple, (s, m, p)), small) for pk, s, m, p, small in decided}
        PendingSourceChange.objects.bulk_create(
            PendingSourceChange(
                interaction_id=pk,
                import_record=record_of.get(accession),
                source_databases=source_names,
                detection_methods=method_names,
                pmids=pmids,
                small_scale=small_scale,
            )
            for pk, (source_names, method_names, pmids, small_scale, accession) in proposed.items()
            if (pk, tuple(source_names), tuple(method_names), tuple(pmids), small_scale) not in known
        )


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


def evidence_values(row):
    return {"source database": row.evidence.source_databases, "detection method": row.evidence.detection_methods}


def evidence_too_long(rows):
    sources = {name for row in rows for name in row.evidence.source_databases}
    methods = {name for row in rows for name in row.evidence.detection_methods}
    return (
        max(map(len, sources), default=0) > MAX_LENGTHS["source database"]
        or max(map(len, methods), default=0) > MAX_LENGTHS["detection method"]
    )


def check_lengths(path, field_name, row, values):
    for what, items in values.items():
        for value in items:
            if len(value) > MAX_LENGTHS[what]:
                raise PageError(
                    path, f"{what} longer than {MAX_LENGTHS[what]} characters: {value[:40]!r}...", field_name, row
                )


def union(first, second):
    """One pair's evidence from two rows (its TF's page and its target's page)."""
    return Evidence(
        source_databases=tuple(dict.fromkeys(first.source_databases + second.source_databases)),
        detection_methods=tuple(dict.fromkeys(first.detection_methods + second.detection_methods)),
        pmids=tuple(dict.fromkeys(first.pmids + second.pmids)),
        small_scale=first.small_scale or second.small_scale,
    )


# Each kind of evidence: its attribute on Evidence, its many-to-many field, the through column.
EVIDENCE_KINDS = (
    ("source_databases", "source_databases", "sourcedatabase_id"),
    ("detection_methods", "detection_methods", "detectionmethod_id"),
    ("pmids", "publications", "publication_id"),
)
CHUNK = 5000  # values in one IN (...): far below SQLite's 32,766 and PostgreSQL's 65,535


def chunked(values, size=CHUNK):
    values = list(values)
    return (values[i : i + size] for i in range(0, len(values), size))


class EvidenceFingerprints:
    """What the import wrote as evidence of each interaction it created, as one 64-bit hash per id.

    The same pair is listed on its TF's page and on its target's page, nearly always with the
    same evidence.  When the second page comes, a matching fingerprint says there is nothing to
    add, without reading the pair's links back from the database.  The hashes live in an array
    indexed by ``id - first id``: 8 bytes an interaction (8 MB for a million).  Only
    interactions no curator has touched are trusted (curators change links, not the import).
    """

    def __init__(self):
        self.base = None
        self.hashes = array("q")

    @staticmethod
    def of(evidence):
        return hash(
            (
                frozenset(evidence.source_databases),
                frozenset(evidence.detection_methods),
                frozenset(evidence.pmids),
                evidence.small_scale,
            )
        )

    def remember(self, pk, evidence):
        if self.base is None:
            self.base = pk
        index = pk - self.base
        if index < 0:
            return
        if index >= len(self.hashes):
            self.hashes.frombytes(bytes(8 * (index + 1 - len(self.hashes))))
        self.hashes[index] = self.of(evidence) or 1

    def forget(self, pk):
        if self.base is not None and 0 <= pk - self.base < len(self.hashes):
            self.hashes[pk - self.base] = 0

    def matches(self, found, evidence):
        """Whether ``found`` (an unreviewed interaction's row) holds exactly ``evidence``, as written by this run."""
        pk, _small_scale, _version, status, editor = found
        if self.base is None or status != UNREVIEWED or editor is not None:
            return False
        index = pk - self.base
        if not 0 <= index < len(self.hashes):
            return False
        stored = self.hashes[index]
        return stored != 0 and stored == (self.of(evidence) or 1)


class BatchWriter:
    """Plans and writes one batch of pages with a fixed number of bulk queries."""

    def __init__(self, importer, batch):
        self.importer = importer
        self.dry_run = importer.dry_run
        self.pages = [loaded.page for loaded in batch]
        self.batch = batch
        self.ids = {}
        self.organism_of = {}
        self.gene_ids = {}
        self.created_proteins = []
        self.held_changes = []  # (interaction id, page accession, added evidence ids, gains small-scale)
        self.new_ids = itertools.count(-1, -1)
        # {model: ids} this batch refers to that come from the run's caches, not from rows it wrote.
        self.remembered = defaultdict(set)

    def write(self):
        existing = self.write_proteins()
        self.write_gene_ids(existing)
        self.write_orthologs(existing)
        created, updated = self.write_interactions(existing)
        self.write_binding_sites()
        pages = [
            (
                loaded,
                ImportRecord.Outcome.UPDATED if existing.get(loaded.page.accession) else ImportRecord.Outcome.CREATED,
                self.ids[loaded.page.accession],
            )
            for loaded in self.batch
        ]
        return {
            "interactions_created": created,
            "interactions_updated": updated,
            "pages": pages,
            "held_changes": self.held_changes,
        }

    # Proteins: the pages' own, and every partner named in a row.

    def write_proteins(self):
        """Create missing proteins, update the pages' own; return ``{accession: had a page}`` of known ones."""
        wanted = self.wanted_proteins()
        known = self.importer.known_proteins()
        existing = {}
        for accession in wanted:
            if accession in known:
                pk, organism, has_page = known[accession]
                existing[accession] = has_page
                self.ids[accession] = pk
                self.organism_of[pk] = organism
                self.remembered[Protein].add(pk)
        hashes = {loaded.page.accession: loaded.content_hash for loaded in self.batch}
        to_create, to_update = [], []
        for accession, (page, row, organism_id) in wanted.items():
            if accession in existing and page is None:
                continue
            protein = self.new_protein(accession, page, row, organism_id)
            if page:
                protein.page_hash = hashes[accession]
            if accession not in existing:
                to_create.append(protein)
            else:
                protein.pk = self.ids[accession]
                to_update.append(protein)
        if self.dry_run:
            for protein in to_create:
                protein.pk = next(self.new_ids)
        else:
            insert_instances(Protein, to_create, key="accession")
            self.update_proteins(to_update)
        for protein in to_create:
            self.ids[protein.accession] = protein.pk
            self.organism_of[protein.pk] = protein.organism_id
        if not self.dry_run:
            for protein in itertools.chain(to_create, to_update):
                known[protein.accession] = (protein.pk, protein.organism_id, bool(protein.page_hash))
        self.created_proteins = to_create
        self.remembered[Organism].update(organism_id for _page, _row, organism_id in wanted.values())
        return existing

    @staticmethod
    def update_proteins(proteins):
        columns = [*PAGE_FIELDS, "page_hash", "updated_at"]
        fields = [Protein._meta.get_field(name) for name in columns]
        now = timezone.now()
        rows = []
        for protein in proteins:
            protein.updated_at = now
            rows.append((protein.pk, *(f.get_db_prep_save(getattr(protein, f.attname), connection) for f in fields)))
        update_rows(Protein, columns, rows)

    def wanted_proteins(self):
        """``{accession: (page, row, organism id)}`` of every protein named: a page wins over a row."""
        organisms = self.importer.organisms
        wanted = {}
        for page in self.pages:
            for row in itertools.chain(page.tfs, page.targets):
                if row.partner_accession not in wanted:
                    wanted[row.partner_accession] = (None, row, organisms[row.partner_organism or page.organism])
        for page in self.pages:
            wanted[page.accession] = (page, None, organisms[page.organism])
        return wanted

    def new_protein(self, accession, page, row, organism_id):
        if page is None:
            self.gene_ids[accession] = row.partner_gene_ids
            return Protein(
                accession=accession,
                gene_name=row.partner_name,
                organism_id=organism_id,
                provenance=Protein.Provenance.ROW,
            )
        self.gene_ids[accession] = page.gene_ids
        return Protein(
            accession=accession,
            gene_name=page.name,
            organism_id=organism_id,
            jaspar_matrices=page.jaspar_matrices,
            reported_interaction_count=page.reported_interaction_count,
            description=page.body,
            provenance=Protein.Provenance.PAGE,
        )

    def write_gene_ids(self, existing):
        """Gene ids of new proteins, and of every page protein (the page is authoritative)."""
        if self.dry_run:
            return
        existing_pages = self.page_accessions & set(existing)
        owners = [p.accession for p in self.created_proteins] + list(existing_pages)
        rows = [
            (self.ids[accession], value) for accession in owners for value in dict.fromkeys(self.gene_ids[accession])
        ]
        GeneId.objects.filter(protein_id__in=[self.ids[a] for a in existing_pages]).delete()
        insert_rows(GeneId, ["protein", "gene_id"], rows)

    def write_orthologs(self, existing):
        """Replace the pages' orthologs; link them, and older ones, to proteins held here."""
        if self.dry_run:
            return
        known = self.importer.known_proteins()
        rows = [
            (self.ids[page.accession], o.accession, o.species, known[o.accession][0] if o.accession in known else None)
            for page in self.pages
            for o in page.orthologs
        ]
        self.remembered[Protein].update(row[3] for row in rows if row[3] is not None)
        Ortholog.objects.filter(protein_id__in=[self.ids[a] for a in self.page_accessions & set(existing)]).delete()
        insert_rows(Ortholog, ["protein", "accession", "species", "ortholog"], rows)
        for new_accessions in chunked(p.accession for p in self.created_proteins):
            Ortholog.objects.filter(ortholog__isnull=True, accession__in=new_accessions).update(
                ortholog=Subquery(Protein.objects.filter(accession=OuterRef("accession")).values("pk")[:1])
            )

    @cached_property
    def page_accessions(self):
        return {page.accession for page in self.pages}

    # Interactions and their evidence.

    def merged_pairs(self):
        """``{(TF accession, target accession): Evidence}``, the union when several rows name a pair."""
        pairs = {}
        for page in self.pages:
            rows = itertools.chain(
                (((row.partner_accession, page.accession), row.evidence) for row in page.tfs),
                (((page.accession, row.partner_accession), row.evidence) for row in page.targets),
            )
            for pair, evidence in rows:
                known = pairs.get(pair)
                pairs[pair] = evidence if known is None else union(known, evidence)
        return pairs

    def write_interactions(self, had_page):
        """Create new pairs, add new evidence to known ones; return (created, updated) counts.

        ``had_page``: ``{accession: whether it had a page}`` of the proteins known before this batch.
        """
        pairs = self.merged_pairs()
        existing = self.interactions_of(
            self.pairs_that_may_exist(pairs, had_page), "small_scale", "version", "status", "last_edited_by_id"
        )
        fingerprints = self.importer.fingerprints
        known, new_pairs = [], []
        for (tf, target), evidence in pairs.items():
            key = (self.ids[tf], self.ids[target])
            found = existing.get(key)
            if found is None:
                new_pairs.append((tf, target, key, evidence))
            elif not fingerprints.matches(found, evidence):
                known.append((tf, target, found, evidence))
        held = self.held_evidence(found[0] for _tf, _target, found, _evidence in known)
        lookup_ids = self.lookup_ids(pairs.values())
        now = timezone.now()
        to_update, gained_small_scale, links = [], [], defaultdict(list)
        for tf, target, found, evidence in known:
            pk, small_scale, version, status, editor = found
            added = {
                attribute: [
                    v for v in lookup_ids[attribute](getattr(evidence, attribute)) if (pk, v) not in held[attribute]
                ]
                for attribute, _field, _column in EVIDENCE_KINDS
            }
            gains_small_scale = evidence.small_scale and not small_scale
            if not gains_small_scale and not any(added.values()):
                continue
            if status != UNREVIEWED or editor is not None:
                # Curators win: what the source now says is held for them to accept or dismiss.
                self.held_changes.append((pk, tf if tf in self.page_accessions else target, added, gains_small_scale))
                continue
            for attribute, values in added.items():
                links[attribute].extend((pk, value) for value in values)
            to_update.append((pk, small_scale or evidence.small_scale, version + 1, now))
            fingerprints.forget(pk)  # its evidence is now a union: read it from the database next time
            if gains_small_scale:
                gained_small_scale.append((self.ids[tf], self.ids[target]))
        new_pairs.sort(key=itemgetter(2))  # the (tf, target) index's order: inserts walk it forwards
        created = self.count_new_pairs([(tf, target) for tf, target, _key, _evidence in new_pairs])
        if self.dry_run:
            return created, len(to_update)
        timestamp = Interaction._meta.get_field("created_at").get_db_prep_save(now, connection)
        inserted = insert_returning(
            Interaction,
            ["tf", "target", "organism", "small_scale", "status", "version", "created_at", "updated_at"],
            [
                (key[0], key[1], self.organism_of[key[0]], evidence.small_scale, UNREVIEWED, 1, timestamp, timestamp)
                for _tf, _target, key, evidence in new_pairs
            ],
            returning=["id", "tf", "target"],
        )
        if new_pairs:
            ids = {(tf, target): pk for pk, tf, target in inserted}
            for _tf, _target, key, evidence in new_pairs:
                pk = ids[key]
                fingerprints.remember(pk, evidence)
                for attribute, _field, _column in EVIDENCE_KINDS:
                    links[attribute].extend(
                        (pk, value_id) for value_id in lookup_ids[attribute](getattr(evidence, attribute))
                    )
        update_rows(
            Interaction, ["small_scale", "version", "updated_at"], [(pk, s, v, timestamp) for pk, s, v, _ in to_update]
        )
        # New interactions are unreviewed, so public: their proteins' stored counts grow (unless
        # indexes wait: then they are all counted once, when the indexes are built).
        if not self.importer.indexes_deferred:
            counts.add_interactions(
                [(key[0], key[1], evidence.small_scale) for _tf, _target, key, evidence in new_pairs],
                gained_small_scale,
            )
        self.write_links(Interaction, links, "interaction")
        return created, len(to_update)

    def pairs_that_may_exist(self, pairs, had_page):
        """The pairs to look up: every one, unless the interactions were empty when the run began.

        Then only pages of this run wrote interactions, so a pair exists only if one of its two
        proteins had a page before this batch; in a cold import that is about half of them.  (Two
        pages of one batch naming a pair are merged in ``merged_pairs``.)  Should another writer
        have added a pair meanwhile, the unique (tf, target) index refuses the batch, and it is
        applied again with every pair looked up.
        """
        if not self.importer.started_empty:
            return pairs
        paged = {accession for accession, has_page in had_page.items() if has_page}
        return [pair for pair in pairs if pair[0] in paged or pair[1] in paged]

    def interactions_of(self, pairs, *columns):
        """``{(tf id, target id): (pk, *columns)}`` of the interactions among ``pairs`` (accessions) that exist.

        Looked up pair by pair through the unique (tf, target) index: a batch reads only its own
        pairs, and needs no index by target (a large import sets that one aside).
        """
        keys = sorted((self.ids[tf], self.ids[target]) for tf, target in pairs)
        rows = rows_by_keys(Interaction, ["tf", "target"], keys, ["id", "tf", "target", *columns])
        return {(tf, target): (pk, *rest) for pk, tf, target, *rest in rows}

    def count_new_pairs(self, pairs):
        if not self.dry_run:
            return len(pairs)
        new = set(pairs) - self.importer.planned_pairs
        self.importer.planned_pairs.update(new)
        return len(new)

    @staticmethod
    def held_evidence(interaction_ids):
        """``{kind: {(interaction_id, value_id)}}`` for the interactions ``interaction_ids``.

        Read by interaction id from each link table's unique (interaction, value) index; a
        join to the interactions by TF or target made PostgreSQL scan the whole link table.
        """
        held = {attribute: set() for attribute, *_ in EVIDENCE_KINDS}
        for chunk in chunked(interaction_ids):
            for attribute, field_name, column in EVIDENCE_KINDS:
                through = getattr(Interaction, field_name).through
                held[attribute].update(
                    through.objects.filter(interaction_id__in=chunk).values_list("interaction_id", column)
                )
        return held

    def lookup_ids(self, evidences):
        """Functions mapping evidence values to ids, creating missing lookup rows first."""
        pmids = set().union(*(e.pmids for e in evidences)) - self.importer.known_pmids
        if pmids and not self.dry_run:
            insert_rows(Publication, ["pmid"], [(pmid,) for pmid in pmids], ignore_conflicts=True)
            self.importer.known_pmids.update(pmids)
        # In the order met: of two spellings new to the database, the first one met is stored.
        names = {
            SourceDatabase: dict.fromkeys(itertools.chain.from_iterable(e.source_databases for e in evidences)),
            DetectionMethod: dict.fromkeys(itertools.chain.from_iterable(e.detection_methods for e in evidences)),
        }
        for model, values in names.items():
            self.ensure_lookup(model, values)
        sources, methods = self.importer.lookups[SourceDatabase], self.importer.lookups[DetectionMethod]
        return {
            "source_databases": lambda values: [sources[v] for v in values],
            "detection_methods": lambda values: [methods[v] for v in values],
            "pmids": lambda values: list(values),
        }

    def ensure_lookup(self, model, names):
        """Ids of the source databases or detection methods ``names``, in any case; missing ones created.

        The cache holds each spelling met, so rows are looked up by the spelling they give.
        """
        cache = self.importer.lookups[model]
        missing = [name for name in names if name not in cache]
        if not missing:
            return
        found = model.objects.for_names(missing, create=not self.dry_run)
        cache.update((name, row.pk) for name, row in found.items())
        self.importer.lookup_names[model].update((row.pk, row.name) for row in found.values())
        would_create = {}
        for name in missing:
            if name not in found:  # in a dry run: one planned id per name in any case
                cache[name] = would_create.setdefault(name.lower(), next(self.new_ids))

    def write_links(self, model, links, owner):
        for attribute, field_name, column in EVIDENCE_KINDS:
            through = getattr(model, field_name).through
            # In the unique (owner, value) index's order: new owners have the largest ids, so their
            # rows are appended to it.  (The value index, if kept, is walked in random order.)
            rows = sorted(links[attribute])
            value = column.removesuffix("_id")
            insert_rows(through, [owner, value], rows, ignore_conflicts=True)
            self.remembered[through._meta.get_field(value).related_model].update(v for _owner, v in rows)

    def check_references(self):
        """Raise ``IntegrityError`` if a row this batch refers to by a remembered id was deleted.

        SQLite checks every foreign key of every row it inserts: a fifth of the time of the
        evidence links.  Batches run with those checks off (``PageImporter.apply``) and check
        here, per table, the ids they took from the run's caches (proteins, organisms, evidence
        names, publications, the run); the other ids are rows written in this transaction.  The
        batch holds SQLite's write lock, so none can be deleted between this check and the commit.
        A batch refused this way is applied again page by page with fresh caches.  (PostgreSQL
        keeps its checks, run at the commit; this check gives the same outcome earlier.)
        """
        for model, ids in self.remembered.items():
            if count_present(model, ids) != len(ids):
                raise IntegrityError(f"a {model._meta.verbose_name} the pages refer to was deleted during the import")

    # Binding sites: owned by their TF's page, replaced with it.

    def write_binding_sites(self):
        sites = {site.tflink_id: (page, site) for page in self.pages for site in page.binding_sites}
        if self.dry_run or not sites:
            return
        lookup_ids = self.lookup_ids([site.evidence for _page, site in sites.values()])
        objects = [
            BindingSite(
                tflink_id=site.tflink_id,
                tf_id=self.ids[page.accession],
                assembly=site.assembly,
                chromosome=site.chromosome,
                start=site.start,
                end=site.end,
                strand=site.strand,
                sequence=site.sequence,
                score=site.score,
                small_scale=site.evidence.small_scale,
            )
            for page, site in sites.values()
        ]
        BindingSite.objects.bulk_create(
            objects, update_conflicts=True, unique_fields=["tflink_id"], update_fields=BINDING_SITE_FIELDS
        )
        site_ids = [site.pk for site in objects]
        links = defaultdict(list)
        for obj, (_page, site) in zip(objects, sites.values(), strict=True):
            for attribute, _field, _column in EVIDENCE_KINDS:
                links[attribute].extend(
                    (obj.pk, value) for value in lookup_ids[attribute](getattr(site.evidence, attribute))
                )
        for _attribute, field_name, _column in EVIDENCE_KINDS:
            through = getattr(BindingSite, field_name).through
            for chunk in chunked(site_ids):
                through.objects.filter(bindingsite_id__in=chunk).delete()
        self.write_links(BindingSite, links, "bindingsite")


PAGE_FIELDS = ["gene_name", "organism", "jaspar_matrices", "reported_interaction_count", "description", "provenance"]
BINDING_SITE_FIELDS = ["tf", "assembly", "chromosome", "start", "end", "strand", "sequence", "score", "small_scale"]
