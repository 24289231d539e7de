"""Row-level bulk writes for the import's hot path, in the SQL of each supported database.

``bulk_create`` builds a model instance and compiles a multi-row statement for every few
hundred rows; for the millions of link rows of an import that costs more than the database
work itself.  These helpers send plain tuples with names quoted by the backend:

* SQLite: ``executemany`` (the ``sqlite3`` module's C loop) over statements of many rows each
  (``_sqlite_insert``): a statement per row costs SQLite a statement's setup and, with
  ``AUTOINCREMENT``, a write of its sequence table per row;
* PostgreSQL: ``COPY … FROM STDIN`` in the binary format (psycopg's ``cursor.copy``), rows
  streamed without a statement per row or a parameter per value.  ``COPY`` has no ``ON
  CONFLICT`` and no ``RETURNING``: rows that may conflict go as one array per column into one
  ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (``_insert_ignoring_conflicts``);
  rows whose ids the caller needs get ids reserved from the table's sequence first and are
  copied with them (``_reserve_ids``).  Updates and lookups send each column as one array
  (``unnest(%s::type[], …)``), numbers as the array's text (``proteins.sql_arrays``).

The figures behind these choices are in ``bench/README.md``.
"""

import itertools
import json

from django.db import connection

from ..sql_arrays import TEXT_ARRAY_TYPES, array_literal

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


def _column_list(fields):
    return ", ".join(_quote(f.column) for f in fields)


def _copy_type(field):
    """The type name psycopg needs to send ``field``'s values in binary: ``varchar(10)`` is ``varchar``."""
    return field.db_type(connection).split("(")[0]


def _copy(cursor, table, fields, rows):
    """``COPY`` ``rows`` (tuples in the order of ``fields``) into ``table`` (a quoted name), binary (PostgreSQL).

    Django wraps the errors of ``execute`` only: the wrapper here makes a refused row (a
    duplicate key, a null) the ``IntegrityError`` callers catch.
    """
    statement = f"COPY {table} ({_column_list(fields)}) FROM STDIN (FORMAT BINARY)"
    with connection.wrap_database_errors, cursor.copy(statement) as copy:
        copy.set_types([_copy_type(f) for f in fields])
        for row in rows:
            copy.write_row(row)


def _insert_ignoring_conflicts(cursor, model, fields, rows):
    """Insert ``rows`` into ``model``'s table, skipping those that conflict: ``COPY`` has no ``ON
    CONFLICT``, so one ``INSERT … SELECT`` of the columns as arrays (``_unnest``) per ``ARRAY_CHUNK``
    rows.  (A temporary table filled by ``COPY`` cost more: made and dropped in every batch.)"""
    table = _quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({_column_list(fields)}) {_unnest(fields)} ON CONFLICT DO NOTHING"
    for start in range(0, len(rows), ARRAY_CHUNK):
        cursor.execute(sql, _columns_of(rows[start : start + ARRAY_CHUNK], fields))


def _reserve_ids(cursor, model, count):
    """``count`` new primary keys of ``model`` from its table's sequence (PostgreSQL), as other inserts take them.

    They come back as one text ("7,8,9"): a row per id cost more to receive than to take.
    """
    cursor.execute(
        "SELECT string_agg(nextval(sequence)::text, ',') "
        "FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS sequence) AS s, generate_series(1, %s)",
        [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, count],
    )
    (ids,) = cursor.fetchone()
    return list(map(int, ids.split(","))) if ids else []


def _columns_of(rows, fields):
    """The columns of ``rows`` as one array parameter each (``_arrays``); numbers and booleans as
    the array's text (``sql_arrays``)."""
    columns = zip(*rows, strict=True) if rows else [() for _ in fields]
    return [
        array_literal(column) if field.db_type(connection) in TEXT_ARRAY_TYPES else list(column)
        for field, column in zip(fields, columns, strict=True)
    ]


def insert_rows(model, columns: list[str], rows, ignore_conflicts: bool = False) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``model``'s table."""
    rows = list(rows)
    if not rows:
        return
    fields = _fields(model, columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            _sqlite_insert(cursor, _head(model, fields), len(fields), rows, conflict)
        elif ignore_conflicts:
            _insert_ignoring_conflicts(cursor, model, fields, rows)
        else:
            _copy(cursor, _quote(model._meta.db_table), fields, rows)


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

    Callers match the returned rows to theirs by a unique key among ``returning``, which names
    the primary key or ``columns``.  On PostgreSQL the rows get ids from the table's sequence
    and are copied with them; the values returned are the rows' own.  On SQLite
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
            written = [model._meta.pk, *fields]
            positions = [written.index(f) for f in _fields(model, returning)]
            rows = [(pk, *row) for pk, row in zip(_reserve_ids(cursor, model, len(rows)), rows, strict=True)]
            _copy(cursor, table, written, rows)
            return [tuple(row[p] for p in positions) for row in rows]
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
                cursor.execute(sql, _columns_of(rows[start : start + ARRAY_CHUNK], [model._meta.pk, *fields]))
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
                cursor.execute(sql, _columns_of(keys[start : start + ARRAY_CHUNK], key_fields))
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


def count_present(model, ids, lock: bool = False) -> int:
    """How many of ``ids`` (distinct primary keys) are rows of ``model``'s table: one statement, any number.

    ``lock``: on PostgreSQL the rows found are locked against deletion until the transaction
    ends (``FOR KEY SHARE``, the lock a foreign key's check takes), as SQLite's one write lock
    keeps them.
    The ids travel as one parameter, a JSON array on SQLite (``json_each``) and an array on
    PostgreSQL, so neither Django nor the database parses thousands of placeholders.
    """
    ids = list(ids)
    if not ids:
        return 0
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            locked = " FOR KEY SHARE" if lock else ""
            any_of = f"ANY(%s::{model._meta.pk.db_type(connection)}[])"
            found = f"SELECT 1 FROM {table} WHERE {pk} = {any_of}{locked}"
            cursor.execute(f"SELECT COUNT(*) FROM ({found}) AS found", [array_literal(ids)])
        else:
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {pk} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]
            )
        return cursor.fetchone()[0]
