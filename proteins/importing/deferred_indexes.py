"""Secondary indexes set aside while a large import fills empty tables, and built again after it.

Every row inserted goes into each index of its table.  An index whose rows arrive in random
order (the interactions by TF, the evidence links by publication) costs a random B-tree
insert per row, and dirty pages at every commit; built once at the end it is one sort, much
cheaper on both engines (the figures are in ``bench/README.md``).

So an import of many pages into an empty interaction table (``should_defer``) drops the
plain indexes of the tables it fills most (``tables``, ``deferrable``) and builds them again
when it ends.  It keeps the unique ones: they guard the data (one row per TF/target pair, one
link per value) and are all the import reads by (interactions by their pair, links by their
interaction, proteins by accession).  Readers see the same rows meanwhile, more slowly.

On PostgreSQL the foreign keys of those tables wait too.  Each row inserted fires a check of
each of its references (a lookup and a row lock in the referenced table), most of the
server's work in a cold import; added again at the end, each foreign key checks every row in
one join.  Meanwhile each batch checks and locks the rows it refers to itself
(``BatchWriter.check_references``), once per row referred to.  (SQLite's imports run with
its foreign-key checks off in any case.)

The proteins' stored interaction counts (``proteins.counts``) wait too: while indexes are
set aside the import does not add each batch's interactions to them (a row update per protein
per batch), and ``restore()`` counts them all in one pass first.

The statements that build the indexes (and foreign keys) again are stored as ``DeferredIndex`` rows in the
transaction that drops them, so a killed import loses nothing: the next import (or
``restore()``) counts and builds them first.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction

from .. import counts
from ..models import DeferredIndex, ImportRun, Interaction, Protein


def tables() -> list[str]:
    """The tables whose indexes may be deferred: proteins, interactions and their evidence links.

    (Each batch adds to the proteins' stored counts, which moves their rows in the index that
    sorts proteins by interactions.)
    """
    links = (getattr(Interaction, name).through for name in ("source_databases", "detection_methods", "publications"))
    return [Protein._meta.db_table, Interaction._meta.db_table, *(through._meta.db_table for through in links)]


def deferrable() -> list[tuple[str, str]]:
    """``[(table, index name)]`` of the plain (not unique) secondary indexes: no import step reads them."""
    found = []
    with connection.cursor() as cursor:
        for table in tables():
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in sorted(constraints.items()):
                if not info["index"] or info["unique"] or info["primary_key"]:
                    continue
                found.append((table, name))
    return found


def deferrable_foreign_keys() -> list[tuple[str, str, str]]:
    """``[(table, constraint name, definition)]`` of the foreign keys of ``tables()`` (PostgreSQL; none on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid::regclass::text, conname",
            [tables()],
        )
        return cursor.fetchall()


def is_foreign_key(deferred: DeferredIndex) -> bool:
    return deferred.sql.startswith("ALTER TABLE ")


def foreign_key_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s AND contype = 'f'", [name])
        return cursor.fetchone() is not None


def index_sql(name: str) -> str:
    """The ``CREATE INDEX`` statement of the index ``name``, as the database holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        row = cursor.fetchone()
    if row is None or not row[0]:
        raise LookupError(f"no index {name!r}")
    return row[0]


def should_defer(page_count: int) -> bool:
    """Whether an import of ``page_count`` pages should defer indexes: many pages, no interactions yet."""
    threshold = settings.IMPORT_DEFER_INDEXES_PAGES
    return threshold > 0 and page_count >= threshold and not Interaction.objects.exists()


def defer(run: ImportRun | None = None) -> list[str]:
    """Drop the deferrable indexes and foreign keys, remembering how to build each; return the indexes' names."""
    names = []
    quote = connection.ops.quote_name
    with transaction.atomic():
        for table, name in deferrable():
            DeferredIndex.objects.create(name=name, table=table, sql=index_sql(name), run=run)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {quote(name)}")
            names.append(name)
        foreign_keys = deferrable_foreign_keys()
        if foreign_keys:
            with connection.cursor() as cursor:
                # As in ``restore``: no table is altered with foreign-key checks pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, definition in foreign_keys:
            sql = f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
            DeferredIndex.objects.create(name=name, table=table, sql=sql, run=run)
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    return names


def restore() -> tuple[int, float]:
    """Count the proteins' interactions again, then build every deferred index and foreign key.

    Returns ``(indexes built, seconds)``.

    The count runs while the ``DeferredIndex`` rows still mark the import as unfinished, so an
    interrupted restore counts again the next time.  (An import that set indexes aside calls
    this at its end even when another import, started meanwhile, has built them: its own later
    batches were not counted either.)
    """
    started = time.perf_counter()
    built = 0
    counts.interactions_changed()
    for deferred in DeferredIndex.objects.order_by("id"):
        # IF NOT EXISTS, or not at all: a migration may have built it meanwhile.
        sql = deferred.sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # PostgreSQL alters no table with foreign-key checks still pending in the
                # transaction (an import's commit runs them; an enclosing transaction may not have).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if not (is_foreign_key(deferred) and foreign_key_exists(deferred.name)):
                cursor.execute(sql)
            deferred.delete()
        built += not is_foreign_key(deferred)
    analyse()
    return built, time.perf_counter() - started


def analyse() -> None:
    """Give the planner the statistics of the tables a large import filled (``tables()``).

    Until then PostgreSQL plans from what the empty tables said: after the cold import of 12
    million interactions, an import of 1,000 changed pages spent 220 s in the server, and pages
    were planned as if the tables were empty.  Autovacuum analyses them in time, where it runs;
    this does not wait for it.  (SQLite plans well enough without statistics; ``ANALYZE`` there
    reads every index whole.)
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables())}")
