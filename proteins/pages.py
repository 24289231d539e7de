"""What a TFLink protein page says, as plain values: the rows, the page, and ``PageError``.

Pure Python, no Django: what ``proteins.parser`` and ``proteins.tables`` return, and what the
import reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class PageError(ValueError):
    """A page (or one of its download tables) that cannot be imported, and why."""

    def __init__(self, path, message, field=None, row=None):
        self.path = str(path)
        self.field = field
        self.row = row
        self.message = message
        super().__init__(str(self))

    @property
    def location(self):
        parts = []
        if self.field:
            parts.append(f"field '{self.field}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts)

    def __str__(self):
        where = f" ({self.location})" if self.location else ""
        return f"{self.path}{where}: {self.message}"


# Rows are named tuples, not dataclasses: millions of them cross from the parsing processes,
# and tuples pickle faster.


class Evidence(NamedTuple):
    """What supports one interaction or binding site."""

    source_databases: tuple[str, ...]
    detection_methods: tuple[str, ...]
    pmids: tuple[int, ...]
    small_scale: bool


class InteractionRow(NamedTuple):
    """One row of ``tfs`` or ``targets``: the partner protein and the evidence."""

    partner_name: str
    partner_accession: str
    partner_gene_ids: tuple[int, ...]
    evidence: Evidence
    partner_organism: str = ""


class BindingSiteRow(NamedTuple):
    """One binding site; a site without a genome location (in vitro) has ``start`` and ``end`` None."""

    tflink_id: str
    tf_accession: str
    assembly: str
    chromosome: str
    start: int | None
    end: int | None
    strand: str
    evidence: Evidence
    score: int | None = None
    sequence: str = ""


class OrthologRef(NamedTuple):
    species: str
    accession: str


@dataclass(slots=True)
class Page:
    """Everything one protein page says, as plain values."""

    path: str
    accession: str
    name: str
    gene_ids: tuple[int, ...]
    organism: str
    function: str
    reported_interaction_count: int | None
    orthologs: list[OrthologRef] = field(default_factory=list)
    jaspar_matrices: list[str] = field(default_factory=list)
    tfs: list[InteractionRow] = field(default_factory=list)
    targets: list[InteractionRow] = field(default_factory=list)
    binding_sites: list[BindingSiteRow] = field(default_factory=list)
    downloads: dict[str, str] = field(default_factory=dict)
    body: str = ""
