"""Export writers: interactions as TFLink TSV, per-protein download tables, PSI-MITAB 2.8, GMT, NDJSON.

Pure Python, no Django: ``InteractionRecord`` values in, text lines out, the way DRF keeps
renderers free of view logic.  Every writer is a generator that yields lines ending in
``"\\n"`` (the header first where the format has one) and holds one record at a time (GMT:
one TF's targets; MITAB also keeps size-bounded caches of formatted names and terms), so a
view can stream millions of rows with flat memory::

    fmt = FORMATS["mitab"]
    StreamingHttpResponse(fmt.writer(records), content_type=fmt.content_type)

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

from .parser import BINDING_SITE_DOWNLOAD_COLUMNS, DOWNLOAD_COLUMNS


# Not frozen: a frozen dataclass's __init__ costs three times as much, and a stream builds millions.
@dataclass(slots=True)
class InteractionRecord:
    """One TF -> target interaction with its evidence, as the export writers read it.

    Names are gene symbols ('' when unknown; several symbols of one UniProt entry are
    ';'-joined).  ``target_organism`` / ``target_taxon_id`` default to the TF's.  ``updated_at``
    is read only for the writers that show it (NDJSON).
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


MISSING = "-"

# Every character str.splitlines() treats as a line end, plus tab: inside a value they would
# split a row or shift its columns.
_BREAKERS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_FLATTEN = str.maketrans(dict.fromkeys(_BREAKERS, " "))


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


def _join_texts(values, separator):
    return separator.join(values) if values else MISSING


def _yes_no(flag):
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


def tflink_tsv(records: Iterable[InteractionRecord]) -> Iterator[str]:
    """TFLink's organism-wide simple format: one row per interaction, ';' inside cells."""
    yield "\t".join(TFLINK_COLUMNS) + "\n"
    for record in records:
        yield _tsv_line(
            (
                record.tf_accession,
                record.target_accession,
                _join_ints(record.tf_gene_ids, ";"),
                _join_ints(record.target_gene_ids, ";"),
                record.tf_name or MISSING,
                record.target_name or MISSING,
                _join_texts(record.detection_methods, ";"),
                _join_ints(record.pmids, ";"),
                record.organism or MISSING,
                _join_texts(record.source_databases, ";"),
                _yes_no(record.small_scale),
            )
        )


# Per-protein download tables (fixtures/FORMAT.md, "Download tables"): tfs_of_<ACC>.tsv
# lists the TFs of a protein, targets_of_<ACC>.tsv its targets.  Multi-valued cells use ','
# and several names of one entry '; '.  PubmedID is written as bare ids joined by ',' (the
# form targets_of_O01789.tsv uses); proteins.parser.parse_interaction_table reads it back.
# A ',' inside one method or source name cannot be told apart from the separator in this
# format (TFLink's own limit): it is written as is.

PARTNER_SIDES = ("tfs", "targets")
PARTNER_FILE_NAMES = {"tfs": "tfs_of_{accession}.tsv", "targets": "targets_of_{accession}.tsv"}


def partner_file_name(side, accession):
    """The download name TFLink pages give the table: ``tfs_of_P04637.tsv``."""
    return PARTNER_FILE_NAMES[side].format(accession=accession)


def partner_tsv(records: Iterable[InteractionRecord], side: str) -> Iterator[str]:
    """A ``tfs_of_<ACC>.tsv`` (side="tfs") or ``targets_of_<ACC>.tsv`` (side="targets") table.

    Each row describes the partner on that side of the record: its TF for "tfs", its
    target for "targets".
    """
    if side not in PARTNER_SIDES:
        raise ValueError(f"side must be one of {', '.join(PARTNER_SIDES)}, not {side!r}")
    describe_tf = side == "tfs"
    yield "\t".join(DOWNLOAD_COLUMNS[side]) + "\n"
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
                _join_ints(gene_ids, ","),
                "; ".join(name.split(";")) if name else MISSING,
                _join_texts(record.detection_methods, ","),
                _join_ints(record.pmids, ","),
                organism or MISSING,
                _join_texts(record.source_databases, ","),
                _yes_no(record.small_scale),
            )
        )


# A TF's binding sites as TFLink's bindingSites_of_<ACC>.tsv (fixtures/FORMAT.md, "Download
# tables"), which proteins.parser.parse_binding_site_table reads back: multi-valued cells use
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
                _yes_no(record.small_scale),
                record.assembly,
                record.chromosome,
                str(record.start) if located else "",
                str(record.end) if located else "",
                record.strand,
            )
        )


# HUPO-PSI MITAB 2.8: 46 tab-separated columns, no quoting of cells; inside a cell, fields
# db:value(description) separated by '|', '-' for an empty column.
# Column list and token syntax: https://github.com/HUPO-PSI/miTab/blob/master/PSI-MITAB28Format.md
# PSI-MI term ids and names checked against psi-mi.obo of https://github.com/HUPO-PSI/psi-mi-CV
# (2023 release, last term MI:2422).

MITAB28_COLUMNS = (
    "ID(s) interactor A",
    "ID(s) interactor B",
    "Alt. ID(s) interactor A",
    "Alt. ID(s) interactor B",
    "Alias(es) interactor A",
    "Alias(es) interactor B",
    "Interaction detection method(s)",
    "Publication 1st author(s)",
    "Publication Identifier(s)",
    "Taxid interactor A",
    "Taxid interactor B",
    "Interaction type(s)",
    "Source database(s)",
    "Interaction identifier(s)",
    "Confidence value(s)",
    "Expansion method(s)",
    "Biological role(s) interactor A",
    "Biological role(s) interactor B",
    "Experimental role(s) interactor A",
    "Experimental role(s) interactor B",
    "Type(s) interactor A",
    "Type(s) interactor B",
    "Xref(s) interactor A",
    "Xref(s) interactor B",
    "Interaction Xref(s)",
    "Annotation(s) interactor A",
    "Annotation(s) interactor B",
    "Interaction annotation(s)",
    "Host organism(s)",
    "Interaction parameter(s)",
    "Creation date",
    "Update date",
    "Checksum(s) interactor A",
    "Checksum(s) interactor B",
    "Interaction Checksum(s)",
    "Negative",
    "Feature(s) interactor A",
    "Feature(s) interactor B",
    "Stoichiometry(s) interactor A",
    "Stoichiometry(s) interactor B",
    "Identification method participant A",
    "Identification method participant B",
    "Biological effect(s) interactor A",
    "Biological effect(s) interactor B",
    "Causal regulatory mechanism",
    "Causal statement",
)
MITAB_RESERVED = frozenset('|():"' + _BREAKERS)


def _psi_mi(term_id, name):
    return f'psi-mi:"{term_id}"({name})'


UNSPECIFIED_METHOD = _psi_mi("MI:0686", "unspecified method")
# TFLink detection-method names -> (interaction detection method, participant identification
# method of the target or None).  TFLink's "array technology/partial DNA sequence
# identification by hybridization" pairs a detection method with the way the bound DNA was
# identified, which MITAB 2.8 keeps apart (columns 7 and 42).  Methods without a PSI-MI term
# here (e.g. "luciferase reporter assay") are written as UNSPECIFIED_METHOD and named in an
# interaction annotation instead; no id is ever guessed.
DETECTION_METHODS = {
    "chromatin immunoprecipitation assay": (_psi_mi("MI:0402", "chromatin immunoprecipitation assay"), None),
    "chromatin immunoprecipitation array": (_psi_mi("MI:0225", "chromatin immunoprecipitation array"), None),
    "modified chromatin immunoprecipitation": (_psi_mi("MI:1028", "modified chromatin immunoprecipitation"), None),
    "inferred by curator": (_psi_mi("MI:0364", "inferred by curator"), None),
    "inferred by author": (_psi_mi("MI:0363", "inferred by author"), None),
    "electrophoretic mobility shift assay": (_psi_mi("MI:0413", "electrophoretic mobility shift assay"), None),
    "electrophoretic mobility supershift assay": (
        _psi_mi("MI:0412", "electrophoretic mobility supershift assay"),
        None,
    ),
    "array technology": (_psi_mi("MI:0008", "array technology"), None),
    "array technology/partial DNA sequence identification by hybridization": (
        _psi_mi("MI:0008", "array technology"),
        _psi_mi("MI:0080", "partial DNA sequence identification by hybridization"),
    ),
    "one hybrid": (_psi_mi("MI:0432", "one hybrid"), None),
    "footprinting": (_psi_mi("MI:0417", "footprinting"), None),
    "DNase I footprinting": (_psi_mi("MI:0606", "DNase I footprinting"), None),
    "DAP-seq": (_psi_mi("MI:2288", "DAP-seq"), None),
    "dna adenine methyltransferase identification": (
        _psi_mi("MI:1184", "dna adenine methyltransferase identification"),
        None,
    ),
    "systematic evolution of ligands by exponential enrichment": (
        _psi_mi("MI:0657", "systematic evolution of ligands by exponential enrichment"),
        None,
    ),
    "coimmunoprecipitation": (_psi_mi("MI:0019", "coimmunoprecipitation"), None),
    "pull down": (_psi_mi("MI:0096", "pull down"), None),
    "two hybrid": (_psi_mi("MI:0018", "two hybrid"), None),
    "sequence based prediction of gene regulatory region binding sites": (
        _psi_mi("MI:1176", "sequence based prediction of gene regulatory region binding sites"),
        None,
    ),
    "unspecified method": (UNSPECIFIED_METHOD, None),
}
_DETECTION_METHODS_BY_LOWER_NAME = {name.lower(): terms for name, terms in DETECTION_METHODS.items()}

# Source databases with a PSI-MI "database citation" term (MI:0444 branch).  None of the
# TF-target resources TFLink integrates (GTRD, ReMap, TRRUST, ORegAnno, PAZAR, HTRI, TRED,
# Yeastract, DoRothEA) has one: they are written as unknown:<name>(<name>), the spec's
# "unknown" database name, with the name as description (where a psi-mi source token keeps
# the database name too) and no invented id.  "X_via_Y" (X's data imported through Y) gives
# both, original source first, as the spec recommends.
SOURCE_DATABASES = {
    "intact": _psi_mi("MI:0469", "intact"),
    "kegg": _psi_mi("MI:0470", "kegg"),
    "signor": _psi_mi("MI:2214", "signor"),
    "reactome": _psi_mi("MI:0467", "reactome"),
    "biogrid": _psi_mi("MI:0463", "biogrid"),
    "mint": _psi_mi("MI:0471", "mint"),
    "string": _psi_mi("MI:1014", "string"),
    "signalink": _psi_mi("MI:2270", "signalink"),
    "encode": _psi_mi("MI:0850", "encode"),
}

# TF -> target gene as a causal statement without a known sign: a functional association
# (MI:2286, an interaction type) whose regulatory mechanism (column 45, required with
# MI:2286) is transcriptional regulation.  MI:2247 is a causal regulatory mechanism term,
# not an interaction type, so it goes to column 45, not 12.
INTERACTION_TYPE = _psi_mi("MI:2286", "functional association")
TRANSCRIPTIONAL_REGULATION = _psi_mi("MI:2247", "transcriptional regulation")
REGULATOR = _psi_mi("MI:2274", "regulator")
REGULATOR_TARGET = _psi_mi("MI:2275", "regulator target")
UNSPECIFIED_ROLE = _psi_mi("MI:0499", "unspecified role")
PROTEIN = _psi_mi("MI:0326", "protein")
GENE = _psi_mi("MI:0250", "gene")
UNKNOWN_TAXON = -3  # the spec's taxid for "unknown"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=16384)
def mitab_value(text):
    """A MITAB field part: flattened, and quoted (\\ and " escaped) if it holds a reserved character."""
    text = flatten(text)
    if text and MITAB_RESERVED.isdisjoint(text):
        return text
    return _quote(text)


@lru_cache(maxsize=16384)
def _mitab_aliases(name):
    symbols = [symbol.strip() for symbol in name.split(";")]
    tokens = [f"uniprotkb:{mitab_value(symbol)}(gene name)" for symbol in symbols if symbol and symbol != MISSING]
    return "|".join(dict.fromkeys(tokens)) or MISSING


def _mitab_gene_ids(gene_ids):
    if len(gene_ids) == 1:
        return f"entrez gene/locuslink:{gene_ids[0]}"
    return "|".join([f"entrez gene/locuslink:{gene_id}" for gene_id in gene_ids]) if gene_ids else MISSING


@lru_cache(maxsize=1024)
def _mitab_taxon(taxon_id, organism):
    if taxon_id is None:
        taxon_id = UNKNOWN_TAXON
    return f"taxid:{taxon_id}({mitab_value(organism)})" if organism else f"taxid:{taxon_id}"


@lru_cache(maxsize=4096)
def _mitab_methods(methods):
    """Detection-method cell, participant-identification cell of the target, unmapped names."""
    detections, identifications, unmapped = [], [], []
    for method in methods:
        detection, identification = _DETECTION_METHODS_BY_LOWER_NAME.get(method.lower(), (None, None))
        if detection is None:
            detection = UNSPECIFIED_METHOD
            unmapped.append(method)
        detections.append(detection)
        if identification:
            identifications.append(identification)
    return (
        "|".join(dict.fromkeys(detections)) or MISSING,
        "|".join(dict.fromkeys(identifications)) or MISSING,
        tuple(unmapped),
    )


@lru_cache(maxsize=1024)
def _mitab_source(name):
    term = SOURCE_DATABASES.get(name.lower())
    if term:
        return term
    value = mitab_value(name)
    return f"unknown:{value}({value})"


@lru_cache(maxsize=4096)
def _mitab_sources(sources):
    tokens = []
    for source in sources:
        tokens.extend(_mitab_source(part) for part in source.split("_via_") if part)
    return "|".join(dict.fromkeys(tokens)) or MISSING


def _comment(text):
    return f"comment:{_quote(flatten(text))}"


@lru_cache(maxsize=1024)
def _mitab_annotations(status, small_scale, unmapped_methods):
    notes = [
        _comment(f"curation status: {status}"),
        _comment(f"small-scale evidence: {_yes_no(small_scale).lower()}"),
    ]
    notes.extend(_comment(f"detection method: {method}") for method in unmapped_methods)
    return "|".join(notes)


# Columns 15-27 and 29-41 hold the same values on every row.
_MITAB_15_TO_16 = "\t".join([MISSING] * 2)
_MITAB_17_TO_27 = "\t".join(
    [REGULATOR, REGULATOR_TARGET, UNSPECIFIED_ROLE, UNSPECIFIED_ROLE, PROTEIN, GENE] + [MISSING] * 5
)
_MITAB_29_TO_41 = "\t".join([MISSING] * 7 + ["false"] + [MISSING] * 5)
_MITAB_43_TO_46 = "\t".join([MISSING, MISSING, TRANSCRIPTIONAL_REGULATION, MISSING])


def mitab28(records: Iterable[InteractionRecord], *, id_database: str = "portal") -> Iterator[str]:
    """HUPO-PSI MITAB 2.8, one line of 46 columns per interaction after a '#' header line.

    A = the TF (protein, regulator), B = the target (gene, regulator target); both are
    identified by UniProtKB accession, NCBI Gene ids are alternative ids.  Column 14 is the
    portal's interaction id as ``<id_database>:<id>``.  Interaction annotations (column 28)
    carry the curation status, the small-scale flag and any method without a PSI-MI term.
    """
    yield "#" + "\t".join(MITAB28_COLUMNS) + "\n"
    prefix = mitab_value(id_database)
    for record in records:
        detections, target_identification, unmapped = _mitab_methods(record.detection_methods)
        target_taxon = record.taxon_id if record.target_taxon_id is None else record.target_taxon_id
        publications = "|".join([f"pubmed:{pmid}" for pmid in record.pmids]) if record.pmids else MISSING
        yield (
            f"uniprotkb:{mitab_value(record.tf_accession)}\t"
            f"uniprotkb:{mitab_value(record.target_accession)}\t"
            f"{_mitab_gene_ids(record.tf_gene_ids)}\t{_mitab_gene_ids(record.target_gene_ids)}\t"
            f"{_mitab_aliases(record.tf_name)}\t{_mitab_aliases(record.target_name)}\t"
            f"{detections}\t{MISSING}\t{publications}\t"
            f"{_mitab_taxon(record.taxon_id, record.organism)}\t"
            f"{_mitab_taxon(target_taxon, record.target_organism or record.organism)}\t"
            f"{INTERACTION_TYPE}\t{_mitab_sources(record.source_databases)}\t{prefix}:{record.id}\t"
            f"{_MITAB_15_TO_16}\t{_MITAB_17_TO_27}\t{_mitab_annotations(record.status, record.small_scale, unmapped)}\t"
            f"{_MITAB_29_TO_41}\t{target_identification}\t{_MITAB_43_TO_46}\n"
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


# The registry views use: format name -> writer, media type, file extension.


@dataclass(frozen=True, slots=True)
class ExportFormat:
    writer: Callable[..., Iterator[str]]
    content_type: str
    extension: str


FORMATS = {
    "tsv": ExportFormat(tflink_tsv, "text/tab-separated-values; charset=utf-8", "tsv"),
    # No media type is registered for PSI-MITAB; PSICQUIC services serve it as text/plain.
    "mitab": ExportFormat(mitab28, "text/plain; charset=utf-8", "mitab.txt"),
    "gmt": ExportFormat(gmt, "text/plain; charset=utf-8", "gmt"),
}
