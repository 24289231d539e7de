"""The difference between two releases as people read it: pages of each kind of change, and one flat
table of every change (its TSV and JSON files).

``releases.differences.Difference`` finds what changed; this module pages it by keyset (after an
interaction id, or after a curation act's id: never an OFFSET) with a fixed number of queries
per page, and flattens it into rows of ``COLUMNS``: one per interaction added or withdrawn, one
per field of an interaction changed, one per curation act.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from curation.models import CurationEvent
from proteins.exports import flatten, iso_datetime
from proteins.selectors.streams import Organisms

from .differences import KINDS as INTERACTION_KINDS
from .differences import Difference
from .models import ReleaseInteraction

ACTS = "acts"
KINDS = (*INTERACTION_KINDS, ACTS)
TITLES = {"added": "Added", "withdrawn": "Withdrawn", "changed": "Changed", ACTS: "Curation acts"}
FIELD_LABELS = {
    "source_databases": "source databases",
    "detection_methods": "detection methods",
    "pmids": "PubMed ids",
    "small_scale": "small-scale",
    "mode": "mode",
    "confidence": "confidence",
    "status": "status",
}
PAGE_ROWS = 100
FILE_CHUNK_ROWS = 2000

COLUMNS = (
    "change",  # added, withdrawn, changed, act
    "interaction_id",
    "tf_accession",
    "tf_name",
    "target_accession",
    "target_name",
    "organism",
    "field",  # the field whose value changed (a withdrawal or an act: status)
    "old",
    "new",
    "act",  # the curation act: for a withdrawal, the one that hid the interaction
    "reason",
    "date",
)


@dataclass
class Entry:
    """One interaction added, withdrawn or changed (its frozen row), or one curation act, as a page shows it."""

    kind: str
    interaction_id: int
    tf_accession: str
    tf_name: str
    target_accession: str
    target_name: str
    organism: str
    fields: dict[str, tuple] = field(default_factory=dict)  # field -> (old value, new value)
    act: CurationEvent | None = None  # a withdrawal's rejection, or the act itself

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """``(what, old value, new value)`` of each field that changed, as a page shows them."""
        return [(FIELD_LABELS.get(name, name), text(old), text(new)) for name, (old, new) in self.fields.items()]

    @property
    def key(self) -> int:
        """Its position in its kind's pages: the interaction id, or the act's id."""
        return self.act.pk if self.kind == ACTS else self.interaction_id

    def rows(self) -> Iterator[dict]:
        """Its rows of the flat table (``COLUMNS``)."""
        base = {
            "change": "act" if self.kind == ACTS else self.kind,
            "interaction_id": self.interaction_id,
            "tf_accession": self.tf_accession,
            "tf_name": self.tf_name,
            "target_accession": self.target_accession,
            "target_name": self.target_name,
            "organism": self.organism,
        }
        act = (
            {"act": self.act.action, "reason": self.act.reason, "date": iso_datetime(self.act.created_at)}
            if self.act
            else {"act": "", "reason": "", "date": None}
        )
        changes = self.fields.items() or [("", ("", ""))]
        for name, (old, new) in changes:
            yield {**base, "field": name, "old": text(old), "new": text(new), **act}


def text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def public_acts(difference: Difference) -> QuerySet[CurationEvent]:
    """The curation acts between the two releases on interactions that either of them holds.

    An act on an interaction that was never public (one entered from a paper and rejected before
    any release) stays out: a release page shows nothing the public site did not.
    """

    def held_by(release):
        return Exists(ReleaseInteraction.objects.filter(release=release, interaction_id=OuterRef("interaction_id")))

    return difference.acts().filter(held_by(difference.old) | held_by(difference.new))


def entries(
    difference: Difference, kind: str, after: int | None = None, size: int = PAGE_ROWS, organisms=None
) -> list[Entry]:
    """Up to ``size`` entries of ``kind`` after the position ``after`` (``Entry.key``), in order, in two
    queries (and one for the organisms' names, unless ``organisms`` holds them)."""
    organisms = Organisms() if organisms is None else organisms
    if kind == ACTS:
        return act_entries(difference, after, size, organisms)
    if kind not in INTERACTION_KINDS:
        raise ValueError(f"unknown kind of change {kind!r}: one of {', '.join(KINDS)}")
    rows = difference.of_kind(kind)
    if after is not None:
        rows = rows.filter(interaction_id__gt=after)
    rows = list(rows[:size])
    reasons = difference.withdrawal_reasons(rows) if kind == "withdrawn" else {}
    fields = difference.changed_fields(rows) if kind == "changed" else {}
    found = []
    for row in rows:
        act = reasons.get(row.interaction_id)
        changed = fields.get(row.interaction_id, {})
        if act is not None:
            changed = {"status": (row.status, act.to_status)}
        found.append(
            Entry(
                kind=kind,
                interaction_id=row.interaction_id,
                tf_accession=row.tf_accession,
                tf_name=row.tf_name,
                target_accession=row.target_accession,
                target_name=row.target_name,
                organism=organisms[row.organism_id][0],
                fields=changed,
                act=act,
            )
        )
    return found


def act_entries(difference: Difference, after: int | None, size: int, organisms) -> list[Entry]:
    acts = public_acts(difference).select_related("interaction__tf", "interaction__target").order_by("pk")
    if after is not None:
        acts = acts.filter(pk__gt=after)
    return [
        Entry(
            kind=ACTS,
            interaction_id=act.interaction_id,
            tf_accession=act.interaction.tf.accession,
            tf_name=act.interaction.tf.gene_name,
            target_accession=act.interaction.target.accession,
            target_name=act.interaction.target.gene_name,
            organism=organisms[act.interaction.organism_id][0],
            fields={"status": (act.from_status, act.to_status)},
            act=act,
        )
        for act in acts[:size]
    ]


def all_entries(difference: Difference) -> Iterator[Entry]:
    """Every entry of every kind, in order, ``FILE_CHUNK_ROWS`` at a time: memory stays flat."""
    organisms = Organisms()
    for kind in KINDS:
        after = None
        while True:
            chunk = entries(difference, kind, after, FILE_CHUNK_ROWS, organisms)
            yield from chunk
            if len(chunk) < FILE_CHUNK_ROWS:
                break
            after = chunk[-1].key


def tsv_lines(difference: Difference) -> Iterator[str]:
    """The flat table as TSV: a header line of ``COLUMNS``, then a row per change.

    Tabs and line breaks inside a value become spaces; a value holding a double quote is quoted
    the CSV way (pandas, R and spreadsheets read it back as it was).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")

    def line(cells):
        writer.writerow([flatten(text(cell)) for cell in cells])
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    yield line(COLUMNS)
    for entry in all_entries(difference):
        for row in entry.rows():
            yield line(row[column] for column in COLUMNS)


def json_lines(difference: Difference, releases: dict) -> Iterator[str]:
    """The flat table as one JSON document, written a row at a time:
    ``{"from": <release>, "to": <release>, "columns": [...], "changes": [{column: value, ...}, ...]}``."""
    head = json.dumps({"from": releases["from"], "to": releases["to"], "columns": list(COLUMNS)})
    yield head[:-1] + ', "changes": ['
    separator = "\n"
    for entry in all_entries(difference):
        for row in entry.rows():
            yield separator + json.dumps(row, ensure_ascii=False)
            separator = ",\n"
    yield "\n]}\n"
