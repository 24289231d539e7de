"""Checks of our files as the programs people load them into see them, for any file: a live
download, an API answer or a release's file.

Each ``*_problems`` function returns what is wrong, one line of text per problem naming where
(line, column) and why, so a test asserts ``== []`` and a failure lists every problem at once.
Nothing here reads the portal's own writers: the rules come from the formats' specifications.
"""

import io
import re
from datetime import datetime

import pandas

# PSI-MITAB 2.8 (HUPO-PSI/miTab, PSI-MITAB28Format.md): 46 tab-separated columns; a column is
# "-" or fields separated by "|", each <xref>:<value>(<description>); a part holding a reserved
# character (| ( ) : tab) is double-quoted, with \" and \\ inside.

MITAB_COLUMNS = 46
_PART = r'(?:"(?:[^"\\\t\n\r]|\\.)*"|[^|():"\t\n\r]+)'
_FIELD = re.compile(rf"(?P<xref>{_PART}):(?P<value>{_PART})(?:\((?P<description>{_PART})\))?")
_BARE_FIELD = re.compile(rf"(?P<xref>{_PART})(?::(?P<value>{_PART}))?")  # annotations: a topic, its text optional
_MI_TERM = re.compile(r'psi-mi:"MI:\d{4}"\((?:[^|():"\t]+|"(?:[^"\\]|\\.)*")\)')
_GO_TERM = re.compile(r'go:"GO:\d{7}"\((?:[^|():"\t]+|"(?:[^"\\]|\\.)*")\)')
_TAXON = re.compile(r'taxid:-?\d+\((?:[^|():"\t]+|"(?:[^"\\]|\\.)*")\)')
_DATE = re.compile(r"\d{4}/\d{2}/\d{2}")
_AUTHOR = re.compile(r"[^|\t]+ et al\.? ?\(\d{4}\)")

# Columns (1-based, as the specification numbers them) -> (name, what a field must be, may be "-").
# "field": <xref>:<value>(<description>)?; "described": the description is required; "mi": a
# PSI-MI term; "taxid": taxid:N(name); "date": yyyy/mm/dd; others as named.
MITAB_RULES = {
    1: ("ID(s) interactor A", "field", False),
    2: ("ID(s) interactor B", "field", False),
    3: ("Alt. ID(s) interactor A", "field", True),
    4: ("Alt. ID(s) interactor B", "field", True),
    5: ("Alias(es) interactor A", "described", True),
    6: ("Alias(es) interactor B", "described", True),
    7: ("Interaction detection method(s)", "mi", True),
    8: ("Publication 1st author(s)", "author", True),
    9: ("Publication Identifier(s)", "field", True),
    10: ("Taxid interactor A", "taxid", True),
    11: ("Taxid interactor B", "taxid", True),
    12: ("Interaction type(s)", "mi", True),
    13: ("Source database(s)", "described", True),
    14: ("Interaction identifier(s)", "field", True),
    15: ("Confidence value(s)", "field", True),
    16: ("Expansion method(s)", "mi", True),
    17: ("Biological role(s) interactor A", "mi", True),
    18: ("Biological role(s) interactor B", "mi", True),
    19: ("Experimental role(s) interactor A", "mi", True),
    20: ("Experimental role(s) interactor B", "mi", True),
    21: ("Type(s) interactor A", "mi", True),
    22: ("Type(s) interactor B", "mi", True),
    23: ("Xref(s) interactor A", "field", True),
    24: ("Xref(s) interactor B", "field", True),
    25: ("Interaction Xref(s)", "field", True),
    26: ("Annotation(s) interactor A", "annotation", True),
    27: ("Annotation(s) interactor B", "annotation", True),
    28: ("Interaction annotation(s)", "annotation", True),
    29: ("Host organism(s)", "taxid", True),
    30: ("Interaction parameter(s)", "field", True),
    31: ("Creation date", "date", True),
    32: ("Update date", "date", True),
    33: ("Checksum(s) interactor A", "field", True),
    34: ("Checksum(s) interactor B", "field", True),
    35: ("Interaction Checksum(s)", "field", True),
    36: ("Negative", "boolean", True),
    37: ("Feature(s) interactor A", "field", True),
    38: ("Feature(s) interactor B", "field", True),
    39: ("Stoichiometry(s) interactor A", "count", True),
    40: ("Stoichiometry(s) interactor B", "count", True),
    41: ("Identification method participant A", "mi", True),
    42: ("Identification method participant B", "mi", True),
    43: ("Biological effect(s) interactor A", "go", True),
    44: ("Biological effect(s) interactor B", "go", True),
    45: ("Causal regulatory mechanism", "mi", True),
    46: ("Causal statement", "mi", True),
}
FUNCTIONAL_ASSOCIATION = "MI:2286"  # an interaction type that requires a causal regulatory mechanism (column 45)


def _split_fields(cell):
    """The "|"-separated fields of a cell, "|" inside double quotes left alone; None if a quote is left open."""
    fields, current, quoted, escaped = [], [], False, False
    for character in cell:
        if escaped:
            escaped = False
        elif character == "\\" and quoted:
            escaped = True
        elif character == '"':
            quoted = not quoted
        elif character == "|" and not quoted:
            fields.append("".join(current))
            current = []
            continue
        current.append(character)
    if quoted:
        return None
    fields.append("".join(current))
    return fields


def _unquote(part):
    return re.sub(r"\\(.)", r"\1", part[1:-1]) if part and part.startswith('"') else part


def _field_problem(kind, field):
    """Why ``field`` is not a field of ``kind``, or None."""
    if kind == "mi":
        return None if _MI_TERM.fullmatch(field) else 'not a PSI-MI term psi-mi:"MI:nnnn"(name)'
    if kind == "go":
        return None if _GO_TERM.fullmatch(field) else 'not a GO term go:"GO:nnnnnnn"(name)'
    if kind == "taxid":
        return None if _TAXON.fullmatch(field) else "not taxid:N(organism name)"
    if kind == "author":
        return None if _AUTHOR.fullmatch(field) else "not <surname> et al.(yyyy)"
    if kind == "annotation":
        return None if _BARE_FIELD.fullmatch(field) else 'not topic:"text"'
    if kind == "date":
        if not _DATE.fullmatch(field):
            return "not a date yyyy/mm/dd"
        try:
            datetime.strptime(field, "%Y/%m/%d")
        except ValueError:
            return "no such day"
        return None
    if kind == "boolean":
        return None if field in ("true", "false") else "not true or false"
    if kind == "count":
        return None if field.isascii() and field.isdigit() else "not a whole number"
    match = _FIELD.fullmatch(field)
    if match is None:
        return "not db:id(text)"
    if not _unquote(match["xref"]).strip() or not _unquote(match["value"]).strip():
        return "an empty database name or id"
    if kind == "described" and match["description"] is None:
        return "no (description)"
    if _unquote(match["xref"]) == "pubmed" and not match["value"].isdigit():
        return "a PubMed id that is not a number"
    return None


def mitab_line_problems(line, number=1):
    """What is wrong with one MITAB 2.8 line (without its line end), as ``mitab_problems`` says it."""
    cells = line.split("\t")
    if len(cells) != MITAB_COLUMNS:
        return [f"line {number}: {len(cells)} columns, not {MITAB_COLUMNS}"]
    problems = []
    for column, cell in enumerate(cells, 1):
        name, kind, optional = MITAB_RULES[column]
        where = f"line {number}, column {column} ({name})"
        if cell == "-":
            if not optional:
                problems.append(f"{where}: empty ('-'), which this column may not be")
            continue
        if cell == "" or cell != cell.strip():
            problems.append(f"{where}: {cell!r} is blank or padded (an empty column is '-')")
            continue
        fields = _split_fields(cell) if kind not in ("boolean", "count") else [cell]
        if fields is None:
            problems.append(f"{where}: {cell!r} leaves a quote open")
            continue
        for field in fields:
            problem = _field_problem(kind, field)
            if problem:
                problems.append(f"{where}: {field!r} is {problem}")
    if FUNCTIONAL_ASSOCIATION in cells[11] and cells[44] == "-":
        problems.append(f"line {number}: a functional association without a causal regulatory mechanism (column 45)")
    return problems


def mitab_problems(text: str) -> list[str]:
    """Every problem of a PSI-MITAB 2.8 file: an optional '#' header line of 46 column names,
    then lines of 46 tab-separated columns whose fields follow ``MITAB_RULES``; lines end in LF."""
    problems = []
    if "\r" in text:
        problems.append("a carriage return: lines end in LF alone")
    if text and not text.endswith("\n"):
        problems.append("the last line has no line end")
    for number, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        if number == 1 and line.startswith("#"):
            if len(line.split("\t")) != MITAB_COLUMNS:
                problems.append(f"line 1: the header names {len(line.split(chr(9)))} columns, not {MITAB_COLUMNS}")
            continue
        problems.extend(mitab_line_problems(line, number))
    return problems


# GMT (Broad GSEA): one set per line, name, description, then members, tab-separated.  gseapy keeps
# sets in a dict by name (a second set of one name silently replaces the first) and decoupler splits
# lines on any whitespace: names unique, no whitespace inside a field, no empty field.


def gmt_problems(text: str) -> list[str]:
    """Every problem of a GMT file that one of the readers of the field would trip on."""
    problems, seen = [], {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if len(fields) < 3:
            problems.append(f"line {number}: {len(fields)} fields; a set needs a name, a description and members")
        if any(field == "" for field in fields):
            problems.append(f"line {number}: an empty field (two tabs in a row, or one at an end)")
        spaced = [field for field in fields if re.search(r"\s", field)]
        if spaced:
            problems.append(f"line {number}: whitespace inside a field: {spaced}")
        if fields[0] in seen:
            problems.append(f"line {number}: the set {fields[0]!r} again (first on line {seen[fields[0]]})")
        seen.setdefault(fields[0], number)
    return problems


# The decoupler network: a TSV pandas reads, with decoupler's columns first and no pair twice.

NETWORK_COLUMNS = ["source", "target", "weight", "mode", "confidence", "mode_decision", "resources", "references"]


def read_network(data: bytes) -> pandas.DataFrame:
    """A network file as decoupler's users read it: ``pandas.read_csv(..., sep="\\t")``."""
    return pandas.read_csv(io.BytesIO(data), sep="\t")


def network_problems(network: pandas.DataFrame) -> list[str]:
    """Every problem decoupler (or a reader of the documented columns) would have with ``network``."""
    problems = []
    if list(network.columns) != NETWORK_COLUMNS:
        problems.append(f"columns {list(network.columns)}, not {NETWORK_COLUMNS}")
        return problems
    duplicated = network[network.duplicated(["source", "target"], keep=False)]
    if len(duplicated):
        problems.append(
            f"pairs given twice (decoupler refuses them): {duplicated[['source', 'target']].values.tolist()}"
        )
    if network["weight"].dtype.kind != "f" or network["weight"].isna().any():
        problems.append(f"weights are not all numbers: dtype {network['weight'].dtype}")
    for column in ("source", "target", "mode", "confidence", "mode_decision", "resources", "references"):
        if network[column].isna().any():
            problems.append(f"empty cells in {column}")
    return problems


# The TFLink TSV (README, "Downloads"): TFLink's organism-wide columns, then Mode, Confidence and Status;
# several values in a cell joined by ';', '-' for none, never an empty cell.

TSV_COLUMNS = [
    "UniprotID.TF",
    "UniprotID.Target",
    "NCBI.GeneID.TF",
    "NCBI.GeneID.Target",
    "Name.TF",
    "Name.Target",
    "Detection.method",
    "PubmedID",
    "Organism",
    "Source.database",
    "Small-scale.evidence",
    "Mode",
    "Confidence",
    "Status",
]
_UNIPROT = r"(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})"
_NUMBERS = r"(?:-|\d+(?:;\d+)*)"
TSV_VALUES = {
    "UniprotID.TF": _UNIPROT,
    "UniprotID.Target": _UNIPROT,
    "NCBI.GeneID.TF": _NUMBERS,
    "NCBI.GeneID.Target": _NUMBERS,
    "Name.TF": r".+",
    "Name.Target": r".+",
    "Detection.method": r".+",
    "PubmedID": _NUMBERS,
    "Organism": r"[A-Z][a-z]+ [a-z]+",
    "Source.database": r".+",
    "Small-scale.evidence": r"Yes|No",
    "Mode": r"activation|repression|dual|unknown",
    "Confidence": r"[A-E]",
    "Status": r"unreviewed|flagged|approved",  # the public ones
}


def tsv_problems(table: pandas.DataFrame) -> list[str]:
    """Every cell of a TSV download (read by pandas as text: ``dtype=str, keep_default_na=False``)
    that breaks its documented column, as ``row N, column: 'value'``; or the columns, if they differ."""
    if list(table.columns) != TSV_COLUMNS:
        return [f"columns {list(table.columns)}, not {TSV_COLUMNS}"]
    problems = []
    for number, row in enumerate(table.itertuples(index=False), 1):
        for column, value in zip(TSV_COLUMNS, row, strict=True):
            if not re.fullmatch(TSV_VALUES[column], value):
                problems.append(f"row {number}, {column}: {value!r}")
    return problems
