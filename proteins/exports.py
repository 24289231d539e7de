"""Export writers: interactions as TFLink TSV, per-protein download tables, GMT, NDJSON.

Pure Python, no Django: ``InteractionRecord`` values in, text lines out, the way DRF keeps
renderers free of view logic.  Every writer is a generator that yields lines ending in
``"\\n"`` (the header first where the format has one) and holds one record at a time (GMT:
one TF's targets), so a view can stream millions of rows with flat memory.  PSI-MITAB 2.8 is
written by ``proteins.psi_mi``; ``proteins.downloads`` names the formats and streams them.

Values are data, never markup: they are written verbatim, except that characters that would
break a line or a column (tab, CR, LF and the other line separators ``str.splitlines`` knows)
become a space; in GMT, where some readers split on any whitespace, each run of whitespace
becomes "_".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from operator import attrgetter

from .parser import BINDING_SITE_DOWNLOAD_COLUMNS, DOWNLOAD_COLUMNS, GRADE_COLUMNS


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, and a stream
# builds millions (by position, which costs less than keywords: a new field goes last, with a default).
@dataclass(slots=True)
class InteractionRecord:
    """One TF -> target interaction with its evidence, as the export writers read it.

    Names are gene symbols ('' when unknown; several symbols of one UniProt entry are
    ';'-joined).  ``target_organism`` / ``target_taxon_id`` default to the TF's.  ``updated_at``
    is read only for the writers that show it (NDJSON).  ``mode`` (activation, repression, dual,
    unknown), ``mode_decision`` and ``confidence`` (A-E) are the grades ``curation.grading`` stored.
    """

    id: int
    tf_accession: str
    tf_name: str
    tf_gene_ids: tuple[int, ...]
    target_accession: str
    target_name: str
    target_gene_ids: tuple[int, ...]
    organism: str
    taxon_id: int | None
    source_databases: tuple[str, ...]
    detection_methods: tuple[str, ...]
    pmids: tuple[int, ...]
    small_scale: bool
    status: str = "unreviewed"
    target_organism: str = ""
    target_taxon_id: int | None = None
    updated_at: datetime | None = None
    mode: str = "unknown"
    mode_decision: str = "unknown"
    confidence: str = "E"


MISSING = "-"

# Every character str.splitlines() treats as a line end, plus tab: inside a value they would
# split a row or shift its columns.
LINE_BREAKERS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_FLATTEN = str.maketrans(dict.fromkeys(LINE_BREAKERS, " "))


def flatten(text):
    """``text`` with tabs and line breaks replaced by spaces."""
    return text.translate(_FLATTEN)


def _tsv_line(cells):
    """Tab-joined cells ending in a newline; cells are flattened only when one needs it."""
    # Fast path: isprintable() is False for every breaker (tab included), so a clean row
    # costs one join and one C-level scan.
    if not "".join(cells).isprintable():
        cells = [flatten(cell) for cell in cells]
    return "\t".join(cells) + "\n"


def _join_ints(values, separator):
    return separator.join(map(str, values)) if values else MISSING


class Memo(dict):
    """``{key: function(key)}``, each computed once, for values that recur row after row in a stream
    (the gene ids of one protein, the PubMed ids of one combination, a frozen text).  Bounded: it
    starts again when ``size`` keys are held, so a stream's memory stays flat."""

    def __init__(self, function, size=50_000):
        super().__init__()
        self.function = function
        self.size = size

    def __missing__(self, key):
        if len(self) >= self.size:
            self.clear()
        value = self[key] = self.function(key)
        return value


def _join_texts(values, separator):
    return separator.join(values) if values else MISSING


def yes_no(flag):
    return "Yes" if flag else "No"


# TFLink organism-wide "simple format" download.

TFLINK_COLUMNS = (
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
)
# After the grades, the organism-wide file says where each interaction stands in curation (unreviewed,
# flagged: under review, approved); the per-protein tables keep TFLink's columns and the grades only.
STATUS_COLUMN = "Status"


def tflink_tsv(records: Iterable[InteractionRecord]) -> Iterator[str]:
    """TFLink's organism-wide simple format, then ``GRADE_COLUMNS`` and ``STATUS_COLUMN``: one row per
    interaction, ';' inside cells."""
    yield "\t".join((*TFLINK_COLUMNS, *GRADE_COLUMNS, STATUS_COLUMN)) + "\n"
    ids = Memo(lambda values: _join_ints(values, ";"))  # each tuple of ids written once
    for record in records:
        yield _tsv_line(
            (
                record.tf_accession,
                record.target_accession,
                ids[record.tf_gene_ids],
                ids[record.target_gene_ids],
                record.tf_name or MISSING,
                record.target_name or MISSING,
                _join_texts(record.detection_methods, ";"),
                ids[record.pmids],
                record.organism or MISSING,
                _join_texts(record.source_databases, ";"),
                yes_no(record.small_scale),
                record.mode,
                record.confidence,
                record.status,
            )
        )


# Per-protein download tables (fixtures/FORMAT.md, "Download tables"): tfs_of_<ACC>.tsv
# lists the TFs of a protein, targets_of_<ACC>.tsv its targets.  Multi-valued cells use ','
# and several names of one entry '; '.  PubmedID is written as bare ids joined by ',' (the
# form targets_of_O01789.tsv uses); proteins.tables.parse_interaction_table reads it back.
# A ',' inside one method or source name cannot be told apart from the separator in this
# format (TFLink's own limit): it is written as is.

# A protein's two partner tables: side -> (the protein's role in their interactions, the partner's role).
PARTNER_SIDES = {"tfs": ("target", "tf"), "targets": ("tf", "target")}
PARTNER_FILE_NAMES = {"tfs": "tfs_of_{accession}.tsv", "targets": "targets_of_{accession}.tsv"}


def partner_file_name(side: str, accession: str) -> str:
    """The download name TFLink pages give the table: ``tfs_of_P04637.tsv``."""
    return PARTNER_FILE_NAMES[side].format(accession=accession)


def partner_tsv(records: Iterable[InteractionRecord], side: str) -> Iterator[str]:
    """A ``tfs_of_<ACC>.tsv`` (side="tfs") or ``targets_of_<ACC>.tsv`` (side="targets") table.

    Each row describes the partner on that side of the record: its TF for "tfs", its
    target for "targets".  ``GRADE_COLUMNS`` follow TFLink's columns.
    """
    if side not in PARTNER_SIDES:
        raise ValueError(f"side must be one of {', '.join(PARTNER_SIDES)}, not {side!r}")
    describe_tf = side == "tfs"
    yield "\t".join((*DOWNLOAD_COLUMNS[side], *GRADE_COLUMNS)) + "\n"
    ids = Memo(lambda values: _join_ints(values, ","))
    for record in records:
        if describe_tf:
            accession, gene_ids, name = record.tf_accession, record.tf_gene_ids, record.tf_name
            organism = record.organism
        else:
            accession, gene_ids, name = record.target_accession, record.target_gene_ids, record.target_name
            organism = record.target_organism or record.organism
        yield _tsv_line(
            (
                accession,
                ids[gene_ids],
                "; ".join(name.split(";")) if name else MISSING,
                _join_texts(record.detection_methods, ","),
                ids[record.pmids],
                organism or MISSING,
                _join_texts(record.source_databases, ","),
                yes_no(record.small_scale),
                record.mode,
                record.confidence,
            )
        )


# A TF's binding sites as TFLink's bindingSites_of_<ACC>.tsv (fixtures/FORMAT.md, "Download
# tables"), which proteins.tables.parse_binding_site_table reads back: multi-valued cells use
# ',', PubmedID bare ids.  A site without a genome location has its location columns empty;
# an unknown strand is empty too (TFLink's "-" could be read as either).


@dataclass(slots=True)
class BindingSiteRecord:
    """One binding site with its evidence, as ``binding_site_tsv`` reads it; ``start`` None: no location."""

    tflink_id: str
    tf_accession: str
    tf_name: str
    organism: str
    assembly: str
    chromosome: str
    start: int | None
    end: int | None
    strand: str
    source_databases: tuple[str, ...]
    detection_methods: tuple[str, ...]
    pmids: tuple[int, ...]
    small_scale: bool


def binding_site_file_name(accession: str) -> str:
    return f"bindingSites_of_{accession}.tsv"


def binding_site_tsv(records: Iterable[BindingSiteRecord]) -> Iterator[str]:
    """A ``bindingSites_of_<ACC>.tsv`` table: TFLink's 13 columns, one row per site."""
    yield "\t".join(BINDING_SITE_DOWNLOAD_COLUMNS) + "\n"
    for record in records:
        located = record.start is not None
        yield _tsv_line(
            (
                record.tflink_id,
                record.tf_accession,
                record.tf_name or MISSING,
                record.organism or MISSING,
                _join_texts(record.detection_methods, ","),
                _join_ints(record.pmids, ","),
                _join_texts(record.source_databases, ","),
                yes_no(record.small_scale),
                record.assembly,
                record.chromosome,
                str(record.start) if located else "",
                str(record.end) if located else "",
                record.strand,
            )
        )


# GMT gene sets (Broad GSEA format): name, description, then the genes, tab-separated.
# Readers split a line on tabs (GSEA, gseapy) or on any whitespace (decoupler's read_gmt), and
# gseapy keeps the sets in a dict by name: every field is free of whitespace (a run of it
# becomes "_") and every set name is unique, "<TF's first gene name>_<TF's UniProt accession>"
# ("Thra_P63059"; the accession alone for a TF without a name).  The accession comes after
# the last "_", since accessions hold none.

GMT_KEYS = ("uniprot", "gene_id", "name")
NO_DESCRIPTION = "na"  # what GSEA's own files write in a description they have none for
_WHITESPACE = re.compile(r"\s+")


def gmt_field(text: str) -> str:
    """``text`` as one GMT field: trimmed, each run of whitespace (tabs, line breaks, any Unicode space) a "_"."""
    # Fast path: isprintable() is False for every whitespace character but the ASCII space.
    if " " not in text and text.isprintable():
        return text
    return _WHITESPACE.sub("_", text.strip())


def gmt(
    records: Iterable[InteractionRecord], key: str = "uniprot", *, entry_url: Callable[[str], str] | None = None
) -> Iterator[str]:
    """One gene set per TF: its targets by UniProt accession, NCBI Gene id or gene symbol.

    Records must arrive ORDERED BY TF: consecutive records of one TF form its set, and only
    that TF's targets (plus the accessions of the TFs already written, to refuse a TF seen
    again after another with ValueError) are held in memory.
    key="gene_id": a target contributes each of its gene ids, none if it has none.
    key="name": each symbol of the target's name; unnamed targets are left out.
    The set's name is ``gmt_set_name``, whatever the key; its description is
    ``entry_url(tf_accession)`` (the TF's page), or "na" without ``entry_url``.
    A TF none of whose targets has the key gives no line (GSEA refuses empty sets).
    """
    if key not in GMT_KEYS:
        raise ValueError(f"key must be one of {', '.join(GMT_KEYS)}, not {key!r}")
    members = _GMT_MEMBERS[key]
    done = set()
    for tf_accession, group in groupby(records, key=attrgetter("tf_accession")):
        if tf_accession in done:
            raise ValueError(f"records must be ordered by TF: {tf_accession} appears again after another TF")
        done.add(tf_accession)
        first, genes = None, {}
        for record in group:
            first = first or record
            genes.update(dict.fromkeys(members(record)))
        if genes:
            description = gmt_field(entry_url(tf_accession)) if entry_url else NO_DESCRIPTION
            yield "\t".join([gmt_set_name(first.tf_name, tf_accession), description, *genes]) + "\n"


def gmt_set_name(tf_name: str, tf_accession: str) -> str:
    """The set of a TF: ``<first symbol of its name>_<accession>``, or the accession for an unnamed TF."""
    symbols = _symbols(tf_name)
    accession = gmt_field(tf_accession)
    return f"{symbols[0]}_{accession}" if symbols else accession


@lru_cache(maxsize=16384)
def _symbols(name):
    """The symbols of a ';'-joined name as GMT fields, leaving out empty and '-' ones."""
    fields = [gmt_field(symbol) for symbol in name.split(";")]
    return tuple(field for field in fields if field not in ("", MISSING))


def _target_gene_ids(record):
    return [str(gene_id) for gene_id in record.target_gene_ids]


def _target_symbols(record):
    return _symbols(record.target_name)


_GMT_MEMBERS: dict[str, Callable[[InteractionRecord], Iterable[str]]] = {
    "uniprot": lambda record: (gmt_field(record.target_accession),),
    "gene_id": _target_gene_ids,
    "name": _target_symbols,
}


# NDJSON: one JSON object per line, the object the API shows for the interaction in a JSON page.


def interaction_json(record: InteractionRecord) -> dict:
    """The API's JSON object of one interaction (``proteins.api.serializers.InteractionSerializer``)."""
    return {
        "id": record.id,
        "tf": {"accession": record.tf_accession, "gene_name": record.tf_name, "gene_ids": list(record.tf_gene_ids)},
        "target": {
            "accession": record.target_accession,
            "gene_name": record.target_name,
            "gene_ids": list(record.target_gene_ids),
        },
        "organism": {"name": record.organism, "taxon_id": record.taxon_id},
        "source_databases": list(record.source_databases),
        "detection_methods": list(record.detection_methods),
        "pmids": list(record.pmids),
        "small_scale": record.small_scale,
        "status": record.status,
        "mode": record.mode,
        "mode_decision": record.mode_decision,
        "confidence": record.confidence,
        "updated_at": iso_datetime(record.updated_at),
    }


def iso_datetime(value):
    """ISO 8601 with "Z" for UTC, the way Django REST framework writes datetimes."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def ndjson(records: Iterable[InteractionRecord]) -> Iterator[str]:
    """Newline-delimited JSON: ``interaction_json`` of each record, one per line, no header."""
    for record in records:
        # U+2028/U+2029 are valid inside JSON strings but end a line for str.splitlines().
        yield _encode_json(interaction_json(record)).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"
