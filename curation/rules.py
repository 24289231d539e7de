"""The "curators win" rules, called by the curation workflow, the import of pages and the
spreadsheet resources alike.

A curated interaction (reviewed, or its evidence edited by a curator) is no longer changed by
an import: what a re-import of pages says differently about it is held as a
``PendingSourceChange`` for curators to accept or dismiss (``hold_source_changes``), and a
spreadsheet leaves it alone.  Every write of an existing interaction locks it at the version
the writer read (``lock``), so two writers never both build on the same version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from proteins.models import ImportRecord, Interaction

from .models import PendingSourceChange

Status = Interaction.Status
# A proposed change waiting for curators, or already dismissed by them, is not proposed again.
STILL_DECIDED = [PendingSourceChange.Decision.PENDING, PendingSourceChange.Decision.DISMISSED]


class CurationError(Exception):
    """An act the rules do not allow; ``str()`` says why, for the person who tried it."""


class ConcurrentEdit(CurationError):
    """The interaction changed since the user loaded it; ``current`` is what it is now."""

    def __init__(self, message, current):
        super().__init__(message)
        self.current = current


def is_curated(status: str, last_edited_by_id: int | None) -> bool:
    """Whether an interaction is curated: reviewed (any status but unreviewed) or its evidence edited
    by a curator.  Curators win: imports of pages and spreadsheets no longer change a curated
    interaction (the page import holds what differs as a ``PendingSourceChange``)."""
    return status != Status.UNREVIEWED or last_edited_by_id is not None


def lock(pk: int, version: int | str | None) -> Interaction:
    """The interaction, locked for this transaction; refuse (``ConcurrentEdit``) if it moved past ``version``.

    Every write of an existing interaction takes this lock first (acts, evidence edits,
    spreadsheet rows), so two writers never both build on the same version.
    """
    current = Interaction.objects.select_for_update().select_related("tf", "target").get(pk=pk)
    if version is not None and int(version) != current.version:
        raise ConcurrentEdit(
            f"Someone else changed this interaction (now version {current.version}, status {current.status}) "
            f"since you opened version {version}. Nothing was saved: review the current values and try again.",
            current,
        )
    return current


@dataclass(frozen=True)
class ProposedChange:
    """Evidence a page adds to a curated interaction, by name, and the page (its accession) that says so."""

    interaction_id: int
    accession: str
    source_databases: list[str]
    detection_methods: list[str]
    pmids: list[int]
    small_scale: bool

    def key(self) -> tuple:
        return (
            self.interaction_id,
            tuple(self.source_databases),
            tuple(self.detection_methods),
            tuple(self.pmids),
            self.small_scale,
        )


def hold_source_changes(proposed: Iterable[ProposedChange], records_by_accession: Mapping[str, ImportRecord]) -> None:
    """Hold each ``proposed`` change for curators, linked to the import record of the page that proposes it.

    A change already waiting, or already dismissed, is not held again: a curator decides once
    on what the pages say, however often they are imported.  Call it in the import's
    transaction, after its records are saved.
    """
    by_interaction = {change.interaction_id: change for change in proposed}
    if not by_interaction:
        return
    decided = PendingSourceChange.objects.filter(
        interaction_id__in=list(by_interaction), decision__in=STILL_DECIDED
    ).values_list("interaction_id", "source_databases", "detection_methods", "pmids", "small_scale")
    known = {(pk, *map(tuple, (s, m, p)), small) for pk, s, m, p, small in decided}
    PendingSourceChange.objects.bulk_create(
        PendingSourceChange(
            interaction_id=change.interaction_id,
            import_record=records_by_accession.get(change.accession),
            source_databases=change.source_databases,
            detection_methods=change.detection_methods,
            pmids=change.pmids,
            small_scale=change.small_scale,
        )
        for change in by_interaction.values()
        if change.key() not in known
    )
