"""Freezing: the copy of what the public sees, taken into a release in one consistent snapshot.

``freeze(release)`` copies every public interaction and binding site into the release's own
rows (``ReleaseInteraction``, ``ReleaseBindingSite``) through the export streams
(``proteins.selectors.streams``: a few queries per 5,000 rows, memory flat) and the bulk
insert of the import (``COPY`` on PostgreSQL), and computes the release's figures and its
difference from the previous release on the way.  It runs in one transaction: on PostgreSQL at
REPEATABLE READ, so that the many reads of the stream see one moment, whatever curators do
meanwhile; on SQLite a transaction's reads see one moment anyway.  A failure leaves nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from itertools import islice

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from curation.models import CurationEvent
from proteins.importing.sql import insert_rows
from proteins.models import BindingSite, Interaction, Organism
from proteins.selectors.streams import binding_site_records, interaction_records

from .differences import Difference
from .models import (
    INTERACTION_RECORD_COLUMNS,
    SEPARATOR,
    SITE_RECORD_COLUMNS,
    Release,
    ReleaseBindingSite,
    ReleaseInteraction,
)

CHUNK_ROWS = 5000

INTERACTION_COLUMNS = ["release", "interaction_id", "organism", *INTERACTION_RECORD_COLUMNS]
BINDING_SITE_COLUMNS = ["release", "organism", *SITE_RECORD_COLUMNS]
FROZEN_MODELS = (ReleaseInteraction, ReleaseBindingSite)
# What a release's figures count its interactions by (``Release.figures``).
FIGURES = ("organism", "source_database", "mode", "confidence", "status")


def joined(values: Iterable) -> str:
    return SEPARATOR.join(map(str, values))


def freeze(release: Release, on_rows: Callable[[int], None] | None = None) -> Release:
    """Copy the public set into ``release`` (being built, and empty), with its figures and difference.

    ``on_rows(count)`` is called after each chunk with the rows copied so far.  The release
    stays ``building``: its files are written from the frozen rows next (``releases.publishing``).
    """
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.state != Release.State.BUILDING:
            raise ValueError(f"{release} is {release.get_state_display()}: only a release being built is frozen.")
        # A release is frozen in one transaction, so a failed attempt left no rows; these are of
        # nothing but a release whose earlier freeze committed and whose files then failed.
        ReleaseInteraction.objects.filter(release=release).delete()
        ReleaseBindingSite.objects.filter(release=release).delete()
        release.published_at = timezone.now()
        release.last_event_id = CurationEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        organism_ids = dict(Organism.objects.values_list("name", "pk"))
        figures = {name: Counter() for name in FIGURES}
        copied = 0
        records = interaction_records(Interaction.objects.public(), dates=True, chunk_size=CHUNK_ROWS)
        while chunk := list(islice(records, CHUNK_ROWS)):
            rows = [frozen_row(release, organism_ids, record) for record in chunk]
            insert_rows(ReleaseInteraction, INTERACTION_COLUMNS, rows)
            for record in chunk:
                count(figures, record)
            copied += len(chunk)
            if on_rows:
                on_rows(copied)
        sites_copied = 0
        sites = binding_site_records(BindingSite.objects.all(), chunk_size=CHUNK_ROWS)
        while chunk := list(islice(sites, CHUNK_ROWS)):
            rows = [frozen_site(release, organism_ids, record) for record in chunk]
            insert_rows(ReleaseBindingSite, BINDING_SITE_COLUMNS, rows)
            sites_copied += len(rows)
        release.figures = {
            "interactions": copied,
            "binding_sites": sites_copied,
            **{name: dict(sorted(counter.items())) for name, counter in figures.items()},
        }
        release.previous = (
            Release.objects.filter(state=Release.State.PUBLISHED, number__lt=release.number).order_by("-number").first()
        )
        release.difference = Difference(release.previous, release).counts() if release.previous else {}
        release.save()
    analyse()
    return release


def analyse() -> None:
    """Give the planner the statistics of the rows just frozen.  PostgreSQL plans a new release's
    pages and differences from the tables' old statistics until they are analysed (a difference of
    two releases of a million rows each ran for minutes with them); autovacuum may come late."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in FROZEN_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def count(figures: dict[str, Counter], record) -> None:
    figures["organism"][record.organism] += 1
    figures["source_database"].update(record.source_databases)
    figures["mode"][record.mode] += 1
    figures["confidence"][record.confidence] += 1
    figures["status"][record.status] += 1


def frozen_row(release, organism_ids, record) -> tuple:
    return (
        release.pk,
        record.id,
        organism_ids[record.organism],
        record.tf_accession,
        record.tf_name,
        joined(record.tf_gene_ids),
        record.target_accession,
        record.target_name,
        joined(record.target_gene_ids),
        record.target_organism,
        joined(record.source_databases),
        joined(record.detection_methods),
        joined(record.pmids),
        record.small_scale,
        record.status,
        record.mode,
        record.mode_decision,
        record.confidence,
        record.updated_at,
    )


def frozen_site(release, organism_ids, record) -> tuple:
    return (
        release.pk,
        organism_ids[record.organism],
        record.tflink_id,
        record.tf_accession,
        record.tf_name,
        record.assembly,
        record.chromosome,
        record.start,
        record.end,
        record.strand,
        joined(record.source_databases),
        joined(record.detection_methods),
        joined(record.pmids),
        record.small_scale,
    )
