"""Row-level bulk writes for the import's hot path, in the SQL of each supported database.

``bulk_create`` builds a model instance and compiles a multi-row statement for every few
hundred rows; for the millions of link rows of an import that costs more than the database
work itself.  These helpers send plain tuples with names quoted by the backend:

* SQLite: ``executemany`` (the ``sqlite3`` module's C loop) over statements of many rows each
  (``_sqlite_insert``): a statement per row costs SQLite a statement's setup and, with
  ``AUTOINCREMENT``, a write of its sequence table per row;
* PostgreSQL: one ``INSERT … SELECT * FROM unnest(%s::type[], …)`` a chunk, each column sent as
  one array, where psycopg's ``executemany`` sends a statement per row.  (``COPY`` would be
  faster still but has no ``ON CONFLICT`` and no ``RETURNING``.)

Both engines accept ``ON CONFLICT DO NOTHING`` and ``RETURNING``.  The figures behind these
choices are in ``bench/README.md``.
"""

import itertools
import json

from django.db import connection

ARRAY_CHUNK = 50_000  # rows in one unnest statement: bounded memory for the arrays
# Values in one SQLite statement: 999 is the limit of SQLite builds before 3.32, as Django assumes.
SQLITE_MAX_PARAMS = 999
SQLITE_MAX_ROWS = 100  # rows in one statement: longer statements gain nothing more


def _quote(name):
    return connection.ops.quote_name(name)


def _fields(model, columns):
    return [model._meta.get_field(c) for c in columns]


def _head(model, fields):
    return f"INSERT INTO {_quote(model._meta.db_table)} ({', '.join(_quote(f.column) for f in fields)})"


def _arrays(fields):
    """``unnest(%s::integer[], …)``: a set of rows sent as one array parameter per column (PostgreSQL)."""
    return f"unnest({', '.join(f'%s::{f.db_type(connection)}[]' for f in fields)})"


def _unnest(fields):
    return f"SELECT * FROM {_arrays(fields)}"


def _columns_of(rows, width):
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def insert_rows(model, columns: list[str], rows, ignore_conflicts: bool = False) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``model``'s table."""
    rows = list(rows)
    if not rows:
        return
    fields = _fields(model, columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"{_head(model, fields)} {_unnest(fields)}{conflict}"
            for start in range(0, len(rows), ARRAY_CHUNK):
                cursor.execute(sql, _columns_of(rows[start : start + ARRAY_CHUNK], len(fields)))
        else:
            _sqlite_insert(cursor, _head(model, fields), len(fields), rows, conflict)


def _sqlite_insert(cursor, head, width, rows, tail=""):
    """``head VALUES (…), (…), … tail`` for ``rows`` of ``width`` values on SQLite, in their order.

    Full statements of ``rows_per`` rows go through one ``executemany`` (one statement shape, so
    the connection compiles it once); the remainder, fewer than ``rows_per`` rows, through a
    one-row statement.
    """
    row = "(" + ", ".join(["%s"] * width) + ")"
    rows_per = max(1, min(SQLITE_MAX_ROWS, SQLITE_MAX_PARAMS // width))
    full = len(rows) - len(rows) % rows_per
    if full:
        values = list(itertools.chain.from_iterable(rows[:full]))
        step = rows_per * width
        cursor.executemany(
            f"{head} VALUES {', '.join([row] * rows_per)}{tail}",
            [values[i : i + step] for i in range(0, full * width, step)],
        )
    if full < len(rows):
        cursor.executemany(f"{head} VALUES {row}{tail}", rows[full:])


def insert_returning(model, columns: list[str], rows, returning: list[str]) -> list[tuple]:
    """Insert ``rows`` and return the ``returning`` columns of every row inserted, in no set order.

    Callers match the returned rows to theirs by a unique key among ``returning``.  On SQLite
    the rows go through ``_sqlite_insert`` and are read back by primary key: the write
    transaction holds the database's only write lock, so every id above the largest one
    before the insert is one of these rows.  (A multi-row ``VALUES … RETURNING`` statement of a
    different length each batch would fill the connection's statement cache with compiled
    statements; ``_sqlite_insert`` uses two shapes.)
    """
    rows = list(rows)
    if not rows:
        return []
    fields = _fields(model, columns)
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    back = ", ".join(_quote(f.column) for f in _fields(model, returning))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            found = []
            sql = f"{_head(model, fields)} {_unnest(fields)} RETURNING {back}"
            for start in range(0, len(rows), ARRAY_CHUNK):
                cursor.execute(sql, _columns_of(rows[start : start + ARRAY_CHUNK], len(fields)))
                found.extend(cursor.fetchall())
            return found
        if not connection.in_atomic_block:
            raise RuntimeError("insert_returning needs a transaction on SQLite")
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")
        (largest,) = cursor.fetchone()
        _sqlite_insert(cursor, _head(model, fields), len(fields), rows)
        cursor.execute(f"SELECT {back} FROM {table} WHERE {pk} > %s", [largest])
        return cursor.fetchall()


def insert_instances(model, objects, key: str) -> None:
    """Insert unsaved instances of ``model`` as ``bulk_create`` would, and set their primary keys.

    ``key``: a unique field that tells the new rows apart.  The same rows in two statement
    shapes (``insert_returning``) where ``bulk_create`` compiles a statement every 999 values,
    which for the thirteen columns of a protein is every 76 rows.
    """
    objects = list(objects)
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key and not f.generated]
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objects]
    ids = dict(insert_returning(model, [f.name for f in fields], rows, returning=[key, model._meta.pk.name]))
    for obj in objects:
        obj.pk = ids[getattr(obj, key)]
        obj._state.adding = False
        obj._state.db = connection.alias


def update_rows(model, columns: list[str], rows) -> None:
    """Set ``columns`` of the rows whose primary key is the first item of each tuple."""
    rows = list(rows)
    if not rows:
        return
    fields = _fields(model, columns)
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [_quote(f.column) for f in fields]
            assignments = ", ".join(f"{name} = new.{name}" for name in names)
            source = _unnest([model._meta.pk, *fields])
            sql = (
                f"UPDATE {table} SET {assignments} FROM ({source}) AS new ({pk}, {', '.join(names)}) "
                f"WHERE {table}.{pk} = new.{pk}"
            )
            for start in range(0, len(rows), ARRAY_CHUNK):
                cursor.execute(sql, _columns_of(rows[start : start + ARRAY_CHUNK], len(fields) + 1))
        else:
            assignments = ", ".join(f"{_quote(f.column)} = %s" for f in fields)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [(*v, key) for key, *v in rows])


KEY_CHUNK = 4000  # keys in one lookup statement: 8,000 parameters for a pair, under SQLite's 32,766


def rows_by_keys(model, key_columns: list[str], keys, columns: list[str]) -> list[tuple]:
    """``columns`` of the rows whose ``key_columns`` equal one of ``keys`` (tuples), in no set order.

    One join per chunk of keys to the table's index on ``key_columns``: the rows of exactly
    these keys, not of everything that shares one column with them.  On SQLite the keys are a
    ``VALUES`` list joined first (``CROSS JOIN`` keeps that order) and the last chunk is padded
    with keys that match nothing (ids start at 1), so every chunk is the same statement and the
    connection's statement cache holds one; on PostgreSQL they are arrays, ``unnest``-ed.
    """
    keys = list(keys)
    if not keys:
        return []
    key_fields = _fields(model, key_columns)
    table = _quote(model._meta.db_table)
    wanted = ", ".join(f"t.{_quote(f.column)}" for f in _fields(model, columns))
    found = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [f"k{n}" for n in range(len(key_fields))]
            on = " AND ".join(f"t.{_quote(f.column)} = k.{name}" for f, name in zip(key_fields, names, strict=True))
            sql = f"SELECT {wanted} FROM {_arrays(key_fields)} AS k ({', '.join(names)}) JOIN {table} AS t ON {on}"
            for start in range(0, len(keys), ARRAY_CHUNK):
                cursor.execute(sql, _columns_of(keys[start : start + ARRAY_CHUNK], len(key_fields)))
                found.extend(cursor.fetchall())
            return found
        row = "(" + ", ".join(["%s"] * len(key_fields)) + ")"
        on = " AND ".join(f"t.{_quote(f.column)} = k.column{n}" for n, f in enumerate(key_fields, start=1))
        sql = f"SELECT {wanted} FROM (VALUES {', '.join([row] * KEY_CHUNK)}) AS k CROSS JOIN {table} AS t ON {on}"
        nothing = (0,) * len(key_fields)
        for start in range(0, len(keys), KEY_CHUNK):
            chunk = keys[start : start + KEY_CHUNK]
            chunk += [nothing] * (KEY_CHUNK - len(chunk))
            cursor.execute(sql, [value for key in chunk for value in key])
            found.extend(cursor.fetchall())
    return found


def count_present(model, ids) -> int:
    """How many of ``ids`` (distinct primary keys) are rows of ``model``'s table: one statement, any number.

    The ids travel as one parameter, a JSON array on SQLite (``json_each``) and an array on
    PostgreSQL, so neither Django nor the database parses thousands of placeholders.
    """
    ids = list(ids)
    if not ids:
        return 0
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {pk} = ANY(%s)", [ids])
        else:
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {pk} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]
            )
        return cursor.fetchone()[0]
