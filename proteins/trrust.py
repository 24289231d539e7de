"""Read a mode-of-regulation table in TRRUST's format.

Pure Python, no Django: lines in, ``ModeRow`` values and ``ModeTableError`` values out, like
the page parser beside it (``proteins.parser``, ``proteins.tables``): the file formats the
portal reads live in ``proteins``; what is done with the rows is curation's
(``curation.mode_tables``).

The format, as TRRUST distributes it: tab-separated, no header, four columns: TF symbol,
target symbol, ``Activation`` / ``Repression`` / ``Unknown``, PubMed ids joined by ``;``.
One TF-target pair may have several rows, one per mode.  Copies in circulation have CRLF
line ends, sometimes a header line (``TF Target Regulation Reference``), exact duplicate
lines, and symbols a spreadsheet turned into dates (``Sep-07`` for SEPT7): all are read,
and a bad row is reported and skipped, never the whole table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .parser import MAX_INTEGER

COLUMNS = ("TF", "Target", "Regulation", "Reference")
MODES = {"activation": "activation", "repression": "repression", "unknown": "unknown"}
PMID_SEPARATOR = ";"

MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# ``Sep-07``, ``7-Sep``, ``07-Sep``: how spreadsheets show the date they made of a symbol.
DATE_RE = re.compile(rf"(?i)^(?:(?P<month>{MONTHS})-(?P<day>\d{{1,2}})|(?P<day2>\d{{1,2}})-(?P<month2>{MONTHS}))$")
# The gene families whose symbols spreadsheets turn into dates, by the month they become.
DATE_SYMBOLS = {"sep": "SEPT", "mar": "MARCH", "dec": "DEC", "oct": "OCT"}


@dataclass(frozen=True)
class ModeRow:
    """One row of a mode table: what it says of one TF-target pair."""

    line: int
    tf: str
    target: str
    mode: str  # activation, repression or unknown
    pmids: tuple[int, ...]


@dataclass(frozen=True)
class ModeTableError:
    """A row that was skipped, and why: ``FILE:LINE: reason``."""

    path: str
    line: int
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ModeTable:
    """What a table holds: its good rows, the rows refused, and how many lines repeated an earlier one."""

    path: str
    rows: list[ModeRow] = field(default_factory=list)
    errors: list[ModeTableError] = field(default_factory=list)
    lines_read: int = 0
    duplicates: int = 0


def read_mode_table(lines: Iterable[str | bytes], path: str) -> ModeTable:
    """Read the lines of a TRRUST-format table (text or UTF-8 bytes, any line ends) named ``path``."""
    table = ModeTable(path=str(path))
    seen = set()
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            table.lines_read += 1
            table.errors.append(ModeTableError(table.path, number, "not UTF-8 text"))
            continue
        text = text.rstrip("\r\n")
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip() or (number == 1 and is_header(text)):
            continue
        table.lines_read += 1
        if text in seen:
            table.duplicates += 1
            continue
        seen.add(text)
        row = parse_row(text, number, table.path)
        (table.errors if isinstance(row, ModeTableError) else table.rows).append(row)
    return table


def is_header(text: str) -> bool:
    return [cell.strip().lower() for cell in text.split("\t")] == [name.lower() for name in COLUMNS]


def parse_row(text: str, line: int, path: str) -> ModeRow | ModeTableError:
    """One line's ``ModeRow``, or the ``ModeTableError`` saying why it cannot be read."""

    def refused(message):
        return ModeTableError(path, line, message)

    cells = [cell.strip() for cell in text.split("\t")]
    if len(cells) != len(COLUMNS):
        return refused(
            f"expected {len(COLUMNS)} tab-separated columns (TF, target, mode, PubMed ids), found {len(cells)}"
        )
    tf, target, mode_word, references = cells
    for role, symbol in (("TF", tf), ("target", target)):
        if not symbol:
            return refused(f"the {role} symbol is empty")
        date_problem = spreadsheet_date(symbol)
        if date_problem:
            return refused(date_problem)
    mode = MODES.get(mode_word.lower())
    if mode is None:
        return refused(f"unknown mode {mode_word!r}: expected Activation, Repression or Unknown")
    pmids = []
    for part in references.split(PMID_SEPARATOR):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdecimal() and 0 < int(part) <= MAX_INTEGER):
            return refused(f"malformed PubMed id {part!r}: expected a whole number such as 12213390")
        pmids.append(int(part))
    if not pmids:
        return refused("no PubMed id")
    return ModeRow(line, tf, target, mode, tuple(dict.fromkeys(pmids)))


def spreadsheet_date(symbol: str) -> str | None:
    """Why ``symbol`` looks like a gene symbol a spreadsheet turned into a date, or None."""
    match = DATE_RE.match(symbol)
    if match is None:
        return None
    month = (match["month"] or match["month2"]).lower()
    day = int(match["day"] or match["day2"])
    family = DATE_SYMBOLS.get(month)
    guess = f" ({family}{day}?)" if family else ""
    return f"{symbol} looks like a gene symbol a spreadsheet turned into a date{guess}"
