"""What changed between two releases: interactions added, withdrawn and changed, and the
curation acts in between.

Both releases hold their own frozen rows, one per live interaction id
(``ReleaseInteraction``), so each kind of change is one query that walks an index: an
anti-join for added and withdrawn, a semi-join on rows that differ for changed.  Pages of
them describe themselves with a fixed number of queries (``changed_fields``,
``withdrawal_reasons``).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from curation.models import CurationEvent
from proteins.models import Interaction

from .models import Release, ReleaseInteraction

# The frozen fields whose change makes an interaction "changed" between two releases.
COMPARED_FIELDS = (
    "source_databases",
    "detection_methods",
    "pmids",
    "small_scale",
    "mode",
    "confidence",
    "status",
)
KINDS = ("added", "withdrawn", "changed")


class Difference:
    """The difference from release ``old`` to release ``new`` (``old`` earlier; given the other
    way round, they are swapped)."""

    def __init__(self, old: Release, new: Release):
        if old.number > new.number:
            old, new = new, old
        self.old, self.new = old, new

    def added(self) -> QuerySet[ReleaseInteraction]:
        """Rows of the new release whose interaction the old one did not hold."""
        return self.new.interactions.filter(~Exists(self._same_interaction(self.old))).order_by("interaction_id")

    def withdrawn(self) -> QuerySet[ReleaseInteraction]:
        """Rows of the old release whose interaction the new one no longer holds (rejected, or gone)."""
        return self.old.interactions.filter(~Exists(self._same_interaction(self.new))).order_by("interaction_id")

    def changed(self) -> QuerySet[ReleaseInteraction]:
        """Rows of the new release whose interaction the old one held with other evidence or grades."""
        same = Q(**{field: OuterRef(field) for field in COMPARED_FIELDS})
        differing = self._same_interaction(self.old).exclude(same)
        return self.new.interactions.filter(Exists(differing)).order_by("interaction_id")

    def of_kind(self, kind: str) -> QuerySet[ReleaseInteraction]:
        if kind not in KINDS:
            raise ValueError(f"unknown kind of change {kind!r}: one of {', '.join(KINDS)}")
        return getattr(self, kind)()

    def acts(self) -> QuerySet[CurationEvent]:
        """The curation acts after the old release's copy and up to the new one's."""
        return CurationEvent.objects.filter(pk__gt=self.old.last_event_id or 0, pk__lte=self.new.last_event_id or 0)

    def counts(self) -> dict[str, int]:
        return {**{kind: self.of_kind(kind).count() for kind in KINDS}, "acts": self.acts().count()}

    def changed_fields(self, rows: list[ReleaseInteraction]) -> dict[int, dict[str, tuple]]:
        """``{interaction id: {field: (old value, new value)}}`` for rows of ``changed()``, in one query."""
        old_rows = {
            row.interaction_id: row
            for row in self.old.interactions.filter(interaction_id__in=[row.interaction_id for row in rows])
        }
        changes = {}
        for row in rows:
            before = old_rows.get(row.interaction_id)
            if before is None:
                continue
            changes[row.interaction_id] = {
                field: (getattr(before, field), getattr(row, field))
                for field in COMPARED_FIELDS
                if getattr(before, field) != getattr(row, field)
            }
        return changes

    def withdrawal_reasons(self, rows: list[ReleaseInteraction]) -> dict[int, CurationEvent | None]:
        """``{interaction id: the rejection that withdrew it}`` (None: it is no longer held, or was hidden
        otherwise), for rows of ``withdrawn()``, in one query: the last act before the new release that
        hid the interaction."""
        found = {row.interaction_id: None for row in rows}
        events = (
            CurationEvent.objects.filter(
                interaction_id__in=list(found),
                pk__gt=self.old.last_event_id or 0,
                pk__lte=self.new.last_event_id or 0,
                to_status__in=Interaction.HIDDEN_STATUSES,
            )
            .select_related("actor")
            .order_by("interaction_id", "pk")
        )
        for event in events:
            found[event.interaction_id] = event  # the last one wins
        return found

    def _same_interaction(self, release: Release) -> QuerySet[ReleaseInteraction]:
        return ReleaseInteraction.objects.filter(release=release, interaction_id=OuterRef("interaction_id"))
