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
CHUNK = 4000  # interactions in one lookup, within SQLite's limit on parameters


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
    """Evidence a page (its accession) or a mode table (no accession) adds to a curated interaction,
    by name, and the mode a table gives where it differs from a reviewer's (else "")."""

    interaction_id: int
    accession: str
    source_databases: list[str]
    detection_methods: list[str]
    pmids: list[int]
    small_scale: bool
    mode: str = ""

    def key(self) -> tuple:
        return (
            self.interaction_id,
            tuple(self.source_databases),
            tuple(self.detection_methods),
            tuple(self.pmids),
            self.small_scale,
            self.mode,
        )


def new_source_changes(proposed: Iterable[ProposedChange]) -> list[ProposedChange]:
    """Those of ``proposed`` (one per interaction) that ``hold_source_changes`` would hold: not waiting
    already, nor dismissed.  A curator decides once on what a source says, however often it is imported."""
    by_interaction = {change.interaction_id: change for change in proposed}
    if not by_interaction:
        return []
    known = set()
    for start in range(0, len(by_interaction), CHUNK):
        decided = PendingSourceChange.objects.filter(
            interaction_id__in=list(by_interaction)[start : start + CHUNK], decision__in=STILL_DECIDED
        ).values_list("interaction_id", "source_databases", "detection_methods", "pmids", "small_scale", "mode")
        known.update((pk, *map(tuple, (s, m, p)), small, mode) for pk, s, m, p, small, mode in decided)
    return [change for change in by_interaction.values() if change.key() not in known]


def hold_source_changes(
    proposed: Iterable[ProposedChange], records_by_accession: Mapping[str, ImportRecord] | None = None
) -> int:
    """Hold each new one of ``proposed`` (``new_source_changes``) for curators, linked to the import
    record of the page that proposes it, if any; return how many were held.

    Call it in the import's transaction, after its records are saved.
    """
    records_by_accession = records_by_accession or {}
    held = PendingSourceChange.objects.bulk_create(
        PendingSourceChange(
            interaction_id=change.interaction_id,
            import_record=records_by_accession.get(change.accession),
            source_databases=change.source_databases,
            detection_methods=change.detection_methods,
            pmids=change.pmids,
            small_scale=change.small_scale,
            mode=change.mode,
        )
        for change in new_source_changes(proposed)
    )
    return len(held)
