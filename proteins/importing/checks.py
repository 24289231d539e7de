"""Checks of a parsed page against the database, before its batch is written.

The parser knows the format; only the database knows its organisms and how long its columns
are.  A page that fails these checks is reported by name and left out of its batch, rather
than refused by the database with the whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import BindingSite, DetectionMethod, Ortholog, SourceDatabase
from ..pages import Page, PageError

# Longest values the database columns hold; longer ones are reported, not truncated.
MAX_LENGTHS = {
    "source database": SourceDatabase._meta.get_field("name").max_length,
    "detection method": DetectionMethod._meta.get_field("name").max_length,
    "ortholog species": Ortholog._meta.get_field("species").max_length,
    "binding-site id": BindingSite._meta.get_field("tflink_id").max_length,
    "assembly": BindingSite._meta.get_field("assembly").max_length,
    "chromosome": BindingSite._meta.get_field("chromosome").max_length,
}


def check_page(page: Page, organisms: Mapping[str, int]) -> None:
    """Raise ``PageError`` for what the parser cannot know is wrong: unknown organisms, over-long values.

    ``organisms``: the organisms the database holds, by name.
    """
    for organism in {page.organism} | {row.partner_organism for row in page.tfs + page.targets} - {""}:
        if organism not in organisms:
            known = ", ".join(sorted(organisms))
            field_name = "organism" if organism == page.organism else "Organism"
            raise PageError(page.path, f"unknown organism {organism!r}; known: {known}", field_name)
    for field_name, rows in (
        ("tfs", page.tfs),
        ("targets", page.targets),
        ("binding_sites_ls", page.binding_sites),
    ):
        if evidence_too_long(rows):  # one pass over the distinct names, then find the row
            for number, row in enumerate(rows, start=1):
                check_lengths(page.path, field_name, number, evidence_values(row))
    for number, site in enumerate(page.binding_sites, start=1):
        values = {"binding-site id": [site.tflink_id], "assembly": [site.assembly], "chromosome": [site.chromosome]}
        check_lengths(page.path, "binding_sites_ls", number, values)
    check_lengths(page.path, "orthologs", None, {"ortholog species": [o.species for o in page.orthologs]})


def evidence_values(row):
    return {"source database": row.evidence.source_databases, "detection method": row.evidence.detection_methods}


def evidence_too_long(rows):
    sources = {name for row in rows for name in row.evidence.source_databases}
    methods = {name for row in rows for name in row.evidence.detection_methods}
    return (
        max(map(len, sources), default=0) > MAX_LENGTHS["source database"]
        or max(map(len, methods), default=0) > MAX_LENGTHS["detection method"]
    )


def check_lengths(path, field_name, row, values):
    for what, items in values.items():
        for value in items:
            if len(value) > MAX_LENGTHS[what]:
                raise PageError(
                    path, f"{what} longer than {MAX_LENGTHS[what]} characters: {value[:40]!r}...", field_name, row
                )
