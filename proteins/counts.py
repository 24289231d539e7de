"""Each protein's counts of public interactions, stored on ``Protein`` and kept right here.

``tf_count`` (its TFs: public interactions where it is the target), ``target_count`` (its
targets) and ``small_scale_count`` (public interactions with small-scale evidence, as TF and
as target) let lists show, filter and sort proteins without counting millions of
interactions for every request.  Whatever creates, deletes or changes interactions calls
one of these:

- ``add_interactions(rows, gained_small_scale)``: the importer, for the interactions a batch
  created (all unreviewed, so public) and the public ones that gained small-scale evidence:
  one grouped ``UPDATE`` per 5,000 proteins, whatever the number of rows (a large import
  into empty tables counts once at its end instead: ``proteins.deferred_indexes``);
- ``refresh(protein_ids)``: curation and admin edits and deletes; counts the proteins'
  interactions again;
- ``refresh_all()``: every protein, after data was written some other way (``manage.py
  recount_interactions``).
"""

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Interaction, Protein

# Ids in one statement: within SQLite's and PostgreSQL's limits on parameters.
CHUNK = 5000


def add_interactions(rows, gained_small_scale=()):
    """Count new public interactions and public ones that gained small-scale evidence.

    ``rows``: ``(tf id, target id, small_scale)`` of new interactions; ``gained_small_scale``:
    ``(tf id, target id)`` of known ones.  Each protein's three counts change in one row
    update: one ``UPDATE … FROM (VALUES …)`` per chunk of proteins, whatever the number of rows.
    """
    increments = defaultdict(lambda: [0, 0, 0])  # protein id -> [TFs, targets, small-scale]
    for tf, target, small in rows:
        increments[tf][1] += 1
        increments[target][0] += 1
        if small:
            increments[tf][2] += 1
            increments[target][2] += 1
    for tf, target in gained_small_scale:
        increments[tf][2] += 1
        increments[target][2] += 1
    increase(increments)


def increase(increments):
    """Add ``increments`` (``{protein id: [TFs, targets, small-scale]}``) to the stored counts.

    Counted in SQL, not read and written back: concurrent imports and edits add up.
    """
    quote = connection.ops.quote_name
    table = quote(Protein._meta.db_table)
    columns = [quote(name) for name in ("tf_count", "target_count", "small_scale_count")]
    assignments = ", ".join(f"{column} = {column} + added.column{n}" for n, column in enumerate(columns, start=2))
    items = [(pk, *added) for pk, added in increments.items()]
    with connection.cursor() as cursor:
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS added "
                f"WHERE {table}.{quote('id')} = added.column1",
                [value for item in chunk for value in item],
            )


def public_count(side, **conditions):
    """The number of public interactions whose ``side`` ("tf" or "target") is the outer protein."""
    rows = (
        Interaction.objects.public()
        .filter(**{side: OuterRef("pk")}, **conditions)
        .order_by()
        .values(side)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0))


COUNTS = {
    "tf_count": lambda: public_count("target"),
    "target_count": lambda: public_count("tf"),
    "small_scale_count": lambda: public_count("tf", small_scale=True) + public_count("target", small_scale=True),
}


def refresh(protein_ids):
    """Count the interactions of ``protein_ids`` again (ids of deleted proteins are ignored)."""
    ids = sorted(set(protein_ids) - {None})
    for start in range(0, len(ids), CHUNK):
        Protein.objects.filter(pk__in=ids[start : start + CHUNK]).update(
            **{column: count() for column, count in COUNTS.items()}
        )


def refresh_all():
    """Count every protein's interactions again, in one pass over the interactions, whatever the
    planner knows (a correlated count per protein took minutes on a table not yet analysed).

    Each public interaction gives two rows, its TF's and its target's, grouped by protein: the
    three counts of every protein from one sort (1.3 s for a million interactions on SQLite,
    with or without the indexes by TF and target).  Returns the number of proteins.
    """
    quote = connection.ops.quote_name
    proteins, interactions = quote(Protein._meta.db_table), quote(Interaction._meta.db_table)
    tf, target, status = quote("tf_id"), quote("target_id"), quote("status")
    small = f"CASE WHEN {quote('small_scale')} THEN 1 ELSE 0 END"
    tf_count, target_count, small_count = (quote(name) for name in COUNTS)
    public = f"FROM {interactions} WHERE {status} <> %s"
    sides = (
        f"SELECT {tf} AS protein, 0 AS as_target, 1 AS as_tf, {small} AS small {public} "
        f"UNION ALL SELECT {target}, 1, 0, {small} {public}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {proteins} SET {tf_count} = 0, {target_count} = 0, {small_count} = 0")
        updated = cursor.rowcount
        cursor.execute(
            f"UPDATE {proteins} SET {tf_count} = counted.tfs, {target_count} = counted.targets, "
            f"{small_count} = counted.small FROM (SELECT protein, SUM(as_target) AS tfs, SUM(as_tf) AS targets, "
            f"SUM(small) AS small FROM ({sides}) AS sides GROUP BY protein) AS counted "
            f"WHERE {proteins}.{quote('id')} = counted.protein",
            [Interaction.Status.REJECTED, Interaction.Status.REJECTED],
        )
    return updated


def partners_of(interactions):
    """The TF and target ids of ``interactions`` (a queryset), e.g. before they are deleted."""
    ids = set()
    for tf, target in interactions.order_by().values_list("tf_id", "target_id").iterator(chunk_size=CHUNK):
        ids.update((tf, target))
    return ids
