"""PSI-MITAB 2.8 writer: interactions as HUPO-PSI's molecular interaction table.

Pure Python, no Django, like the other writers of ``proteins.exports``: ``InteractionRecord``
values in, text lines out, one record at a time, with size-bounded caches of the formatted
names and terms that many rows share.
"""

from collections.abc import Iterable, Iterator
from functools import lru_cache

from .exports import LINE_BREAKERS, MISSING, InteractionRecord, flatten, yes_no

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
MITAB_RESERVED = frozenset('|():"' + LINE_BREAKERS)


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

# TF -> target gene: a functional association (MI:2286, an interaction type) whose regulatory
# mechanism (column 45, required with MI:2286) is transcriptional regulation.  MI:2247 is a
# causal regulatory mechanism term (is_a MI:2245), not an interaction type, so it goes to
# column 45, not 12.
INTERACTION_TYPE = _psi_mi("MI:2286", "functional association")
TRANSCRIPTIONAL_REGULATION = _psi_mi("MI:2247", "transcriptional regulation")
# Column 46, the causal statement, from the interaction's mode of regulation: the "causal
# statement" (MI:2234) terms of gene expression, as psi-mi.obo of HUPO-PSI/psi-mi-CV names them
# (MI:2238 is_a MI:2237 "up-regulates quantity"; MI:2243 is_a MI:2242 "down-regulates
# quantity").  Dual gives both; an unknown mode states nothing.
UP_REGULATES_BY_EXPRESSION = _psi_mi("MI:2238", "up-regulates quantity by expression")
DOWN_REGULATES_BY_REPRESSION = _psi_mi("MI:2243", "down-regulates quantity by repression")
CAUSAL_STATEMENTS = {
    "activation": UP_REGULATES_BY_EXPRESSION,
    "repression": DOWN_REGULATES_BY_REPRESSION,
    "dual": f"{UP_REGULATES_BY_EXPRESSION}|{DOWN_REGULATES_BY_REPRESSION}",
    "unknown": MISSING,
}
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
        _comment(f"small-scale evidence: {yes_no(small_scale).lower()}"),
    ]
    notes.extend(_comment(f"detection method: {method}") for method in unmapped_methods)
    return "|".join(notes)


# Columns 16-27 and 29-41 hold the same values on every row.
_MITAB_17_TO_27 = "\t".join(
    [REGULATOR, REGULATOR_TARGET, UNSPECIFIED_ROLE, UNSPECIFIED_ROLE, PROTEIN, GENE] + [MISSING] * 5
)
_MITAB_29_TO_41 = "\t".join([MISSING] * 7 + ["false"] + [MISSING] * 5)
_MITAB_43_TO_45 = "\t".join([MISSING, MISSING, TRANSCRIPTIONAL_REGULATION])


def mitab28(records: Iterable[InteractionRecord], *, id_database: str = "portal") -> Iterator[str]:
    """HUPO-PSI MITAB 2.8, one line of 46 columns per interaction after a '#' header line.

    A = the TF (protein, regulator), B = the target (gene, regulator target); both are
    identified by UniProtKB accession, NCBI Gene ids are alternative ids.  Column 14 is the
    portal's interaction id as ``<id_database>:<id>``.  Interaction annotations (column 28)
    carry the curation status, the small-scale flag and any method without a PSI-MI term.
    Column 15 holds the portal's confidence level as ``<id_database>-confidence:<A-E>``; column
    46 the mode of regulation (``CAUSAL_STATEMENTS``).
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
            f"{prefix}-confidence:{record.confidence}\t{MISSING}\t{_MITAB_17_TO_27}\t"
            f"{_mitab_annotations(record.status, record.small_scale, unmapped)}\t"
            f"{_MITAB_29_TO_41}\t{target_identification}\t{_MITAB_43_TO_45}\t{CAUSAL_STATEMENTS[record.mode]}\n"
        )
