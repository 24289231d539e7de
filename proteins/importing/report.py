"""What an import did (or, in a dry run, would do): the figures the command prints and the run records."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..pages import PageError


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    pages_read: int = 0
    pages_created: int = 0
    pages_updated: int = 0
    pages_unchanged: int = 0
    interactions_created: int = 0
    interactions_updated: int = 0
    source_changes_held: int = 0
    indexes_rebuilt: int = 0
    index_seconds: float = 0.0
    failures: list[PageError] = field(default_factory=list)

    @property
    def pages_failed(self):
        return len(self.failures)

    def summary(self):
        verb = "would be " if self.dry_run else ""
        return (
            f"Pages read: {self.pages_read}, {verb}created: {self.pages_created}, {verb}updated: "
            f"{self.pages_updated}, unchanged: {self.pages_unchanged}, failed: {self.pages_failed}. "
            f"Interactions {verb}created: {self.interactions_created}, {verb}updated: {self.interactions_updated}"
            f"{self.held_summary()}.{self.index_summary()}"
        )

    def index_summary(self):
        if not self.indexes_rebuilt:
            return ""
        built = f"{self.indexes_rebuilt} ({self.index_seconds:.1f} s, with the proteins' interaction counts)"
        return f" Indexes set aside during the import and built again: {built}."

    def held_summary(self):
        if not self.source_changes_held:
            return ""
        return f", curated and left as curated: {self.source_changes_held} (source changes held for curators)"
