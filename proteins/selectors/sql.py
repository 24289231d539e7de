"""Raw SQL where the ORM's way costs more than the query: reading rows by many ids."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Model

from ..sql_arrays import array_literal


def select_in(model: type[Model], columns: list[str], ids: Iterable[int]) -> list[tuple]:
    """Rows of ``columns`` of ``model`` whose first column is one of ``ids`` (a chunk's, within the
    databases' limits on parameters), in plain SQL.

    Django's ``__in`` prepares every value in Python, which costs more than the query itself for
    the ids of a whole chunk; here they go to the driver as they are (on PostgreSQL as one
    array).  Ids close together, as in a chunk of an unfiltered or an organism's stream, are read
    as one index range and the rows of the ids in between dropped.
    """
    ids = list(ids)
    if not ids:
        return []
    key, *others = _columns(model, columns)
    where, parameters, dense = _where_in(key, ids)
    rows = _fetch(f"SELECT {', '.join([key, *others])} FROM {_table(model)} WHERE {where}", parameters)
    if dense and max(ids) - min(ids) + 1 > len(ids):
        wanted = set(ids)
        rows = [row for row in rows if row[0] in wanted]
    return rows


def joined_in(model: type[Model], key: str, value: str, ids: Iterable[int]) -> dict[int, str]:
    """``{id: its values of column value, joined by ","}`` for the rows of ``model`` whose column ``key``
    is one of ``ids`` (a link table: an interaction's source databases, "3,1"), in no order.

    The database hands the whole answer over as two strings (the ids, their joined values), which
    Python splits without a loop of its own: one row to convert rather than one per id.  The
    result may hold ids between those asked for (``select_in``'s index range); ids without a row
    are left out.
    """
    ids = list(ids)
    if not ids:
        return {}
    key, value = _columns(model, [key, value])
    where, parameters, _dense = _where_in(key, ids)
    if connection.vendor == "postgresql":
        joined, listed = f"STRING_AGG({value}::text, ',')", "STRING_AGG(id::text, ','), STRING_AGG(joined, ' ')"
    else:
        joined, listed = f"GROUP_CONCAT({value})", "GROUP_CONCAT(id), GROUP_CONCAT(joined, ' ')"
    # Both outer aggregates read the grouped rows in one pass, so their lists pair up.
    grouped = f"SELECT {key} AS id, {joined} AS joined FROM {_table(model)} WHERE {where} GROUP BY {key}"
    [(listed_ids, values)] = _fetch(f"SELECT {listed} FROM ({grouped}) AS grouped", parameters)
    if listed_ids is None:
        return {}
    return dict(zip(map(int, listed_ids.split(",")), values.split(" "), strict=True))


def _columns(model, names):
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in names]


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _where_in(key, ids):
    """The condition that ``key`` is one of ``ids`` with its parameters, and whether it reads the range
    from the least id to the greatest (ids close together) rather than each id."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return f"{key} BETWEEN %s AND %s", [low, high], True
    if connection.vendor == "postgresql":
        return f"{key} = ANY(%s::bigint[])", [array_literal(ids)], False
    return f"{key} IN ({', '.join(['%s'] * len(ids))})", ids, False


def _fetch(sql, parameters):
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
