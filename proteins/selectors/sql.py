"""Raw SQL where the ORM's way costs more than the query: reading rows by many ids."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Model


def select_in(model: type[Model], columns: list[str], ids: Iterable[int], joined: bool = False) -> list[tuple]:
    """Rows of ``columns`` of ``model`` whose first column is one of ``ids`` (a chunk's, within the
    databases' limits on parameters), in plain SQL; with ``joined`` (two columns), one row per id,
    the second column's values joined by ",".

    Django's ``__in`` prepares every value in Python, which costs more than the query itself for
    the ids of a whole chunk; here they go to the driver as they are (on PostgreSQL as one
    array).  Ids close together, as in a chunk of an unfiltered or an organism's stream, are read
    as one index range and the rows of the ids in between dropped.
    """
    ids = list(ids)
    if not ids:
        return []
    quote = connection.ops.quote_name
    key, *others = (quote(model._meta.get_field(name).column) for name in columns)
    if joined:
        aggregate = "STRING_AGG({}::text, ',')" if connection.vendor == "postgresql" else "GROUP_CONCAT({})"
        select, grouping = f"{key}, {aggregate.format(others[0])}", f" GROUP BY {key}"
    else:
        select, grouping = ", ".join([key, *others]), ""
    low, high = min(ids), max(ids)
    dense = high - low < 2 * len(ids)
    if dense:
        where, parameters = f"{key} BETWEEN %s AND %s", [low, high]
    elif connection.vendor == "postgresql":
        where, parameters = f"{key} = ANY(%s)", [ids]
    else:
        where, parameters = f"{key} IN ({', '.join(['%s'] * len(ids))})", ids
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {quote(model._meta.db_table)} WHERE {where}{grouping}", parameters)
        rows = cursor.fetchall()
    if dense and high - low + 1 > len(ids):
        wanted = set(ids)
        rows = [row for row in rows if row[0] in wanted]
    return rows
