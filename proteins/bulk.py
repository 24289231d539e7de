"""Row-level bulk writes for the importer's hot path, on every supported database.

``bulk_create`` builds a model instance and compiles a multi-row statement for every few
hundred rows; for the millions of link rows of an import that costs more than the database
work itself.  These helpers send plain tuples through one parametrised statement and the
driver's ``executemany`` (SQLite's C loop, psycopg's pipeline), with names quoted by the
backend.  Both engines accept ``ON CONFLICT DO NOTHING``.
"""

from django.db import connection


def _names(model, columns):
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), ", ".join(quote(model._meta.get_field(c).column) for c in columns)


def insert_rows(model, columns, rows, ignore_conflicts=False):
    """Insert ``rows`` (tuples in the order of ``columns``) into ``model``'s table."""
    rows = list(rows)
    if not rows:
        return
    table, names = _names(model, columns)
    placeholders = ", ".join(["%s"] * len(columns))
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders}){conflict}", rows)


def update_rows(model, columns, rows):
    """Set ``columns`` of the rows whose primary key is the first item of each tuple."""
    rows = [(*values, pk) for pk, *values in rows]
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(model._meta.get_field(c).column)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s", rows)
