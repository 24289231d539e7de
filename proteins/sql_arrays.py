"""Many values as one PostgreSQL array parameter, written as the array's text.

Django's psycopg connections bind parameters on the client: given a Python list, psycopg
quotes it element by element in Python, which cost the import's main process more than the
statements it sent (a batch's pair lookups, id checks and updates: arrays of tens of thousands
of ids) and the downloads a third of a chunk's time.  The text of an array of numbers or
booleans is one ``join``; the statement casts it (``%s::bigint[]``).
"""

from collections.abc import Collection

# Column types whose values' ``str`` is their array text.  (Booleans: PostgreSQL reads "True"
# and "False" in any case.)
TEXT_ARRAY_TYPES = frozenset({"bigint", "integer", "smallint", "boolean"})


def array_literal(values: Collection) -> str:
    """``"{1,2,NULL}"``: the array text of ``values`` (numbers or booleans; None is NULL)."""
    if None in values:
        return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
    return "{" + ",".join(map(str, values)) + "}"
