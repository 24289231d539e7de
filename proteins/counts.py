"""The counts of public interactions, kept by one owner: stored per protein, cached per organism.

``tf_count`` (its TFs: public interactions where it is the target), ``target_count`` (its
targets) and ``small_scale_count`` (public interactions with small-scale evidence, as TF and
as target) are stored on ``Protein``, so lists show, filter and sort proteins without counting
millions of interactions for every request.  The home page's and the API's per-organism
figures (``organism_summaries``) are cached in the cache every server process shares.

Every writer that creates, deletes or changes interactions (the importer, curation, the
admin's forms and spreadsheets, ``manage.py recount_interactions``) calls one function
afterwards, ``interactions_changed``, which keeps both right: the writers need not know what
is stored or cached.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Interaction, Organism, Protein

# Ids in one statement: within SQLite's and PostgreSQL's limits on parameters.
CHUNK = 5000
SUMMARIES_KEY = "organism-summaries"
SUMMARIES_SECONDS = 300

EVERY_PROTEIN = None


def interactions_changed(
    protein_ids: Iterable[int] | None = EVERY_PROTEIN,
    *,
    added: Iterable[tuple[int, int, bool]] = (),
    gained_small_scale: Iterable[tuple[int, int]] = (),
) -> None:
    """Keep the stored counts and the cached summaries right after interactions changed.

    ``protein_ids``: the TFs and targets whose interactions changed (status, small-scale
    evidence, created or deleted), counted again; ``EVERY_PROTEIN`` (the default) counts them
    all, after data was written some other way.  The importer, which knows exactly what it
    added, passes ``protein_ids=()`` with ``added`` (``(tf id, target id, small_scale)`` of new
    public interactions) and ``gained_small_scale`` (``(tf id, target id)`` of public ones
    that gained it): the counts grow in a few grouped updates instead of being counted again.
    Call it inside the writer's transaction, so the counts commit with the change.
    """
    if protein_ids is EVERY_PROTEIN:
        _refresh_all()
    else:
        _refresh(protein_ids)
        _add_interactions(added, gained_small_scale)
    forget_summaries()
    if connection.in_atomic_block:
        # Again once committed: a reader between the two would otherwise cache the old figures.
        transaction.on_commit(forget_summaries)


def organism_summaries() -> list[dict]:
    """Each organism with its numbers of proteins and public interactions (cached: a full count)."""

    def compute():
        proteins = dict(Protein.objects.values("organism").annotate(n=Count("pk")).values_list("organism", "n"))
        interactions = dict(
            Interaction.objects.public().values("organism").annotate(n=Count("pk")).values_list("organism", "n")
        )
        return [
            {
                "organism": organism,
                "proteins": proteins.get(organism.pk, 0),
                "interactions": interactions.get(organism.pk, 0),
            }
            for organism in Organism.objects.all()
        ]

    return cache.get_or_set(SUMMARIES_KEY, compute, timeout=SUMMARIES_SECONDS)


def forget_summaries() -> None:
    """Drop the cached summaries (``interactions_changed`` does it for writers)."""
    cache.delete(SUMMARIES_KEY)


def _add_interactions(rows, gained_small_scale=()):
    """Count new public interactions and public ones that gained small-scale evidence (no query when none).

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
    if increments:
        _increase(increments)


def _increase(increments):
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


def _public_count(side, **conditions):
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
    "tf_count": lambda: _public_count("target"),
    "target_count": lambda: _public_count("tf"),
    "small_scale_count": lambda: _public_count("tf", small_scale=True) + _public_count("target", small_scale=True),
}


def _refresh(protein_ids):
    """Count the interactions of ``protein_ids`` again (ids of deleted proteins are ignored)."""
    ids = sorted(set(protein_ids) - {None})
    for start in range(0, len(ids), CHUNK):
        Protein.objects.filter(pk__in=ids[start : start + CHUNK]).update(
            **{column: count() for column, count in COUNTS.items()}
        )


def _refresh_all():
    """Count every protein's interactions again, in one pass over the interactions, whatever the
    planner knows (a correlated count per protein took minutes on a table not yet analysed).

    Each public interaction gives two rows, its TF's and its target's, grouped by protein: the
    three counts of every protein from one sort, with or without the indexes by TF and target.
    Returns the number of proteins.
    """
    quote = connection.ops.quote_name
    proteins, interactions = quote(Protein._meta.db_table), quote(Interaction._meta.db_table)
    tf, target, status = quote("tf_id"), quote("target_id"), quote("status")
    small = f"CASE WHEN {quote('small_scale')} THEN 1 ELSE 0 END"
    tf_count, target_count, small_count = (quote(name) for name in COUNTS)
    hidden = Interaction.HIDDEN_STATUSES
    public = f"FROM {interactions} WHERE {status} NOT IN ({', '.join(['%s'] * len(hidden))})"  # public(), in SQL
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
            [*hidden, *hidden],
        )
    return updated


def partners_of(interactions: QuerySet) -> set[int]:
    """The TF and target ids of ``interactions`` (a queryset), e.g. before they are deleted."""
    ids = set()
    for tf, target in interactions.order_by().values_list("tf_id", "target_id").iterator(chunk_size=CHUNK):
        ids.update((tf, target))
    return ids
