"""Read a TFLink page file and the download tables beside it, which extend its capped row lists.

Pure Python, no Django: files in, ``proteins.pages`` values out; every problem is a
``PageError`` naming the file and the row.  The tables' columns are described in
``fixtures/FORMAT.md`` (``proteins.parser.DOWNLOAD_COLUMNS``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from .pages import BindingSiteRow, InteractionRow, Page, PageError
from .parser import (
    BINDING_SITE_DOWNLOAD_COLUMNS,
    DOWNLOAD_COLUMNS,
    GRADE_COLUMNS,
    check_binding_site_tf,
    clean_name,
    parse_accession,
    parse_evidence,
    parse_fasta,
    parse_gene_ids,
    parse_location,
    parse_page,
    parse_site_id,
    parse_strand,
)

MAX_PAGE_BYTES = 10 * 1024 * 1024
INTERACTION_FIELDS = ("tfs", "targets")


def parse_page_file(path, max_bytes: int = MAX_PAGE_BYTES) -> Page:
    """Read and parse one page file, extended by its download tables found beside it."""
    path = Path(path)
    page = parse_page(decode_utf8(read_bytes(path, max_bytes), path), path)
    extend_with_downloads(page, path.parent, max_bytes)
    return page


def read_bytes(path: Path, max_bytes: int = MAX_PAGE_BYTES) -> bytes:
    """The file's bytes, refusing files larger than ``max_bytes``."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PageError(path, f"file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB")
        return path.read_bytes()
    except OSError as error:
        raise PageError(path, f"cannot read the file: {error.strerror}") from error


def decode_utf8(data: bytes, path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PageError(path, f"line {line}: invalid UTF-8 at byte {error.start}; pages must be UTF-8") from error


def extend_with_downloads(page: Page, folder: Path, max_bytes: int = MAX_PAGE_BYTES) -> None:
    """Replace the page's capped row lists by the full download tables found in ``folder``."""
    for kind in INTERACTION_FIELDS:
        name = page.downloads.get(kind)
        if name and (folder / name).is_file():
            setattr(page, kind, parse_interaction_table(folder / name, kind, max_bytes))
    for name in binding_site_table_names(page):
        if (folder / name).is_file():
            page.binding_sites = parse_binding_site_table(folder / name, parse_fasta(page.body), max_bytes)
            check_binding_site_tf(page)
            break


def binding_site_table_names(page):
    names = [f"bindingSites_of_{page.accession}.tsv"]
    if page.downloads.get("bindingSites"):
        names.append(page.downloads["bindingSites"])
    return names


def read_table(path, expected, max_bytes, extra=()):
    """``(row number, cells of the expected columns)`` of a table whose header is ``expected``,
    or ``expected`` then ``extra`` (columns that are read past)."""
    text = decode_utf8(read_bytes(path, max_bytes), path)
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = tuple(next(reader, ()))
    if header not in (expected, (*expected, *extra)):
        raise PageError(path, f"expected the header {' '.join(expected)}, found {' '.join(header) or 'nothing'}", row=1)
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise PageError(path, f"expected {len(header)} tab-separated columns, found {len(cells)}", row=number)
        yield number, cells[: len(expected)]


def parse_interaction_table(path, kind: str, max_bytes: int = MAX_PAGE_BYTES) -> list[InteractionRow]:
    """Rows of ``tfs_of_<ACC>.tsv`` / ``targets_of_<ACC>.tsv`` (columns differ from page rows)."""
    rows = []
    # The portal's own downloads add its grades (GRADE_COLUMNS): they are read past, not imported.
    for number, cells in read_table(path, DOWNLOAD_COLUMNS[kind], max_bytes, GRADE_COLUMNS):
        accession, gene_ids, name, methods, publications, organism, sources, small_scale = cells
        column = DOWNLOAD_COLUMNS[kind][0]
        rows.append(
            InteractionRow(
                partner_name=clean_name(";".join(part.strip() for part in name.split(";"))),
                partner_accession=parse_accession(accession, path, column, number),
                partner_gene_ids=parse_gene_ids(gene_ids, ",", path, DOWNLOAD_COLUMNS[kind][1], number),
                evidence=parse_evidence(sources, methods, publications, small_scale, ",", path, "row", number),
                partner_organism=organism.strip(),
            )
        )
    return rows


def parse_binding_site_table(path, sequences: dict[str, str], max_bytes: int = MAX_PAGE_BYTES) -> list[BindingSiteRow]:
    """Rows of the 13-column ``bindingSites_of_<ACC>.tsv`` table, with the sequences of the page's
    FASTA body (``{site id: sequence}``), which can hold sites beyond the page's rows."""
    sites = []
    for number, cells in read_table(path, BINDING_SITE_DOWNLOAD_COLUMNS, max_bytes):
        tflink_id, accession, _name, _organism, methods, publications, sources, small_scale = cells[:8]
        assembly, chromosome, start, end, strand = cells[8:]
        site_id = parse_site_id(tflink_id, path, "TFLinkID", number)
        sites.append(
            BindingSiteRow(
                site_id,
                parse_accession(accession, path, "UniprotID.TF", number),
                *parse_location(assembly, chromosome, start, end, path, ("Start", "End"), number),
                strand=parse_strand(strand, path, "Strand", number),
                evidence=parse_evidence(sources, methods, publications, small_scale, ",", path, "row", number),
                sequence=sequences.get(site_id, ""),
            )
        )
    return sites
