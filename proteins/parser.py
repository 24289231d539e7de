"""Parse a TFLink protein page's text into plain data (``proteins.pages``).

Pure Python, no Django: text in, dataclasses out.  Every problem is raised as a
``PageError`` that names the file, the field, the row and what was expected, so a
curator can fix the page without reading this code.  The format is described in
``fixtures/FORMAT.md``; the download tables beside a page are read by ``proteins.tables``.
"""

from __future__ import annotations

import json
import re

import yaml

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML wheels ship libyaml
    from yaml import SafeLoader

from .pages import BindingSiteRow, Evidence, InteractionRow, OrthologRef, Page, PageError

# UniProt's documented accession pattern (https://www.uniprot.org/help/accession_numbers).
ACCESSION_RE = re.compile(r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2}")
SAFE_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+\.tsv")  # a table beside the page, never a path elsewhere
JASPAR_RE = re.compile(r"MA\d{4}\.\d+")
PUBMED_QUERY_RE = re.compile(r"([0-9]+)%5Buid%5D", re.IGNORECASE)
TAG_RE = re.compile(r"<[^>]*>")
MISSING = frozenset({"", "-", "NA"})
DIGITS_RE = re.compile(r"[0-9]+")  # str.isdigit() also accepts '²', which int() refuses
THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
SIGNED_RE = re.compile(r"-?[0-9]+")
# TFLink's ids of one large-scale site: TFLinkLS<n> on the pages, TFLinkLT<n> in the older
# bindingSites_of_<ACC>.tsv tables.
TABLE_SITE_ID_RE = re.compile(r"TFLinkLT([0-9]+)")

# The largest numbers the database columns hold on every engine (Django's ranges of the
# fields, which PostgreSQL enforces): a larger one refuses its page here, by name, rather than
# the whole batch in the database.  tests/test_import.py checks them against the models.
MAX_INTEGER = 2**31 - 1  # integer columns: NCBI Gene ids, PubMed ids, counts, the score
MIN_INTEGER = -(2**31)
MAX_POSITION = 2**63 - 1  # bigint columns: binding-site start and end

REQUIRED_KEYS = (
    "uniprot_accession",
    "protein_name",
    "ncbi_gene_id",
    "organism",
    "number_of_interactions",
    "tfs",
    "targets",
)
INTERACTION_COLUMNS = 7
BINDING_SITE_COLUMNS = 15
DOWNLOAD_COLUMNS = {
    "tfs": (
        "UniprotID.TF",
        "NCBI.GeneID.TF",
        "Name.TF",
        "Detection.method",
        "PubmedID",
        "Organism",
        "Source.database",
        "Small-scale.evidence",
    ),
    "targets": (
        "UniprotID.Target",
        "NCBI.GeneID.Target",
        "Name.Target",
        "Detection.method",
        "PubmedID",
        "Organism",
        "Source.database",
        "Small-scale.evidence",
    ),
}
# The portal's grades, which its own downloads add after TFLink's columns (so that tools reading
# those by position still work); a table read back may hold them, and they are not imported.
GRADE_COLUMNS = ("Mode", "Confidence")
BINDING_SITE_DOWNLOAD_COLUMNS = (
    "TFLinkID",
    "UniprotID.TF",
    "Name.TF",
    "Organism",
    "Detection.method",
    "PubmedID",
    "Source.database",
    "Small-scale.evidence",
    "Assembly",
    "Chromosome",
    "Start",
    "End",
    "Strand",
)


def parse_page(text: str, path: str = "<page>") -> Page:
    """Turn one page's text into a ``Page``; raise ``PageError`` on anything malformed."""
    front_matter, body = split_front_matter(text, path)
    data = load_front_matter(front_matter, path)
    values = {key: scalar(data, key, path) for key in data}
    missing = [key for key in REQUIRED_KEYS if key not in values]
    if missing:
        raise PageError(path, f"missing required key(s): {', '.join(missing)}", field=missing[0])
    if values.get("type", "protein") != "protein":
        raise PageError(path, f"expected 'protein', found {values['type']!r}", field="type")

    accession = parse_accession(values["uniprot_accession"], path, "uniprot_accession")
    organism = values["organism"].strip()
    if not organism:
        raise PageError(path, "the organism is empty", field="organism")
    sequences = parse_fasta(body)
    page = Page(
        path=str(path),
        accession=accession,
        name=clean_name(values["protein_name"]),
        gene_ids=parse_gene_ids(values["ncbi_gene_id"], ";", path, "ncbi_gene_id"),
        organism=organism,
        function=values.get("function", "").strip(),
        reported_interaction_count=parse_count(values["number_of_interactions"], path),
        orthologs=parse_orthologs(values.get("orthologs", ""), path),
        jaspar_matrices=parse_jaspar(values.get("jaspar_matrices", ""), path),
        tfs=parse_interaction_rows(values["tfs"], path, "tfs"),
        targets=parse_interaction_rows(values["targets"], path, "targets"),
        binding_sites=parse_binding_site_rows(values.get("binding_sites_ls", ""), path, sequences),
        downloads=parse_download_names(values, path),
        body=body,
    )
    check_binding_site_tf(page)
    return page


def parse_download_names(values, path):
    """``{kind: file name}`` of the download tables a page names; plain names only."""
    names = {}
    for kind in ("tfs", "targets", "bindingSites"):
        name = values.get(f"{kind}_download", "").strip()
        if not name:
            continue
        if not SAFE_NAME_RE.fullmatch(name):
            raise PageError(path, f"expected a file name like tfs_of_P04637.tsv, found {name!r}", f"{kind}_download")
        names[kind] = name
    return names


def check_binding_site_tf(page):
    for number, site in enumerate(page.binding_sites, start=1):
        if site.tf_accession != page.accession:
            raise PageError(
                page.path,
                f"binding site of {site.tf_accession} on the page of {page.accession}; expected {page.accession}",
                "binding_sites_ls",
                number,
            )


def split_front_matter(text, path):
    if not text.strip():
        raise PageError(path, "the file is empty")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise PageError(path, "line 1: expected '---' opening the YAML front matter")
    parts = text.split("---\n", 2)
    if len(parts) < 3:
        raise PageError(path, "no closing '---' after the YAML front matter")
    return parts[1], parts[2]


def load_front_matter(front_matter, path):
    try:
        data = yaml.load(front_matter, Loader=SafeLoader)
    except yaml.YAMLError as error:
        raise PageError(path, describe_yaml_error(error)) from error
    if not isinstance(data, dict):
        raise PageError(path, "the front matter is not a mapping of keys to values")
    return data


def describe_yaml_error(error):
    """'line L, column C: problem (context at line L2)', with lines counted in the page file."""

    def line_of(mark):
        # +2: marks count from 0, and the front matter starts on line 2 of the file.
        return mark.line + 2

    mark = getattr(error, "problem_mark", None)
    message = f"YAML syntax error: {getattr(error, 'problem', None) or error}"
    if mark is not None:
        message = f"line {line_of(mark)}, column {mark.column + 1}: {message}"
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None:
        message += f" ({context} at line {line_of(context_mark)})"
    return message


def scalar(data, key, path):
    """A front-matter value as a string (the format quotes numbers, but be lenient)."""
    value = data[key]
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PageError(path, f"expected a text value, found {type(value).__name__}", field=str(key))
    return str(value)


def parse_accession(value, path, field_name, row=None):
    accession = value.strip()
    if not ACCESSION_RE.fullmatch(accession):
        raise PageError(path, f"{value!r} is not a UniProt accession (e.g. P04637, A0A0B4KHC8)", field_name, row)
    return accession


def clean_name(value):
    name = value.strip()
    return "" if name in MISSING else name


def parse_gene_ids(value, separator, path, field_name, row=None):
    value = value.strip()
    if value in MISSING:
        return ()
    ids = []
    for part in value.split(separator):
        part = part.strip()
        if not DIGITS_RE.fullmatch(part):
            raise PageError(path, f"NCBI Gene id {part!r} is not a number", field_name, row)
        ids.append(bounded(int(part), MAX_INTEGER, "NCBI Gene id", path, field_name, row))
    return tuple(ids)


def bounded(number, largest, what, path, field_name, row, smallest=0):
    """``number``, if a database column holds it (``smallest`` to ``largest``); else a ``PageError``."""
    if not smallest <= number <= largest:
        raise PageError(
            path, f"{what} {number} is out of range: the database holds {smallest} to {largest}", field_name, row
        )
    return number


def parse_count(value, path):
    text = value.strip()
    if text in MISSING:
        return None
    if THOUSANDS_RE.fullmatch(text):
        text = text.replace(",", "")
    if not DIGITS_RE.fullmatch(text):
        raise PageError(path, f"expected a whole number, found {value!r}", field="number_of_interactions")
    return bounded(int(text), MAX_INTEGER, "the number of interactions", path, "number_of_interactions", None)


def parse_pmids(value, path, field_name, row):
    """PubMed ids from a URL-encoded PubMed query, a URL holding one, or bare ids."""
    value = value.strip()
    ids = PUBMED_QUERY_RE.findall(value)
    if not ids and value not in MISSING:
        ids = re.split(r"[\s,;]+", value)
        if not all(DIGITS_RE.fullmatch(part) for part in ids):
            raise PageError(path, f"expected PubMed ids like 27924024%5Buid%5D, found {value!r}", field_name, row)
    return tuple(dict.fromkeys(bounded(int(i), MAX_INTEGER, "PubMed id", path, field_name, row) for i in ids))


def parse_small_scale(value, path, field_name, row):
    flag = value.strip().lower()
    if flag not in ("yes", "no"):
        raise PageError(path, f"small-scale evidence must be 'Yes' or 'No', found {value!r}", field_name, row)
    return flag == "yes"


def split_list(value, separator):
    return tuple(dict.fromkeys(part.strip() for part in value.split(separator) if part.strip() not in MISSING))


# Rows of a database share their evidence (one source, one method, its reference PubMed id):
# equal cells give one shared Evidence, parsed once and pickled once per chunk of pages.
_EVIDENCE_CACHE = {}
_EVIDENCE_CACHE_SIZE = 4096


def parse_evidence(sources, methods, publications, small_scale, separator, path, field_name, row):
    key = (sources, methods, publications, small_scale, separator)
    evidence = _EVIDENCE_CACHE.get(key)
    if evidence is None:
        evidence = Evidence(
            source_databases=split_list(sources, separator),
            detection_methods=split_list(methods, separator),
            pmids=parse_pmids(publications, path, field_name, row),
            small_scale=parse_small_scale(small_scale, path, field_name, row),
        )
        if len(_EVIDENCE_CACHE) >= _EVIDENCE_CACHE_SIZE:
            _EVIDENCE_CACHE.clear()
        _EVIDENCE_CACHE[key] = evidence
    return evidence


def rows_of(value):
    """Non-empty lines of a multi-row value, numbered from 1 as a curator counts them."""
    return [(number, line) for number, line in enumerate(value.split("\n"), start=1) if line.strip()]


def parse_interaction_rows(value, path, field_name):
    rows = []
    for number, line in rows_of(value):
        cells = line.split(",")
        if len(cells) != INTERACTION_COLUMNS:
            raise PageError(
                path,
                f"expected {INTERACTION_COLUMNS} comma-separated columns "
                f"(name, UniProt, NCBI Gene, sources, methods, PubMed, small-scale), found {len(cells)}",
                field_name,
                number,
            )
        name, accession, gene_ids, sources, methods, publications, small_scale = cells
        rows.append(
            InteractionRow(
                partner_name=clean_name(name),
                partner_accession=parse_accession(accession, path, field_name, number),
                partner_gene_ids=parse_gene_ids(gene_ids, ";", path, field_name, number),
                evidence=parse_evidence(sources, methods, publications, small_scale, ";", path, field_name, number),
            )
        )
    return rows


def parse_binding_site_rows(value, path, sequences):
    field_name = "binding_sites_ls"
    sites = []
    for number, line in rows_of(value):
        cells = line.split(",")
        if len(cells) != BINDING_SITE_COLUMNS:
            raise PageError(
                path, f"expected {BINDING_SITE_COLUMNS} comma-separated columns, found {len(cells)}", field_name, number
            )
        tflink_id, tf_accession, _name, _organism, assembly, chromosome, start, end, strand = cells[:9]
        methods, publications, sources, small_scale, score = cells[10:]
        site_id = parse_site_id(tflink_id, path, field_name, number)
        fields = (field_name, field_name)
        sites.append(
            BindingSiteRow(
                site_id,
                parse_accession(tf_accession, path, field_name, number),
                *parse_location(assembly, chromosome, start, end, path, fields, number),
                strand=parse_strand(strand, path, field_name, number),
                evidence=parse_evidence(sources, methods, publications, small_scale, ";", path, field_name, number),
                score=parse_score(score, path, field_name, number),
                sequence=sequences.get(site_id, ""),
            )
        )
    return sites


def required_cell(value, path, field_name, row, what):
    value = value.strip()
    if not value:
        raise PageError(path, f"the {what} is empty", field_name, row)
    return value


def parse_site_id(value, path, field_name, row):
    return page_site_id(required_cell(value, path, field_name, row, "TFLink binding-site id"))


def page_site_id(site_id: str) -> str:
    """A binding site's TFLink id as the pages write it: a table's ``TFLinkLT<n>`` is the page's ``TFLinkLS<n>``."""
    table_id = TABLE_SITE_ID_RE.fullmatch(site_id)
    return f"TFLinkLS{table_id[1]}" if table_id else site_id


def parse_location(assembly, chromosome, start, end, path, fields, row):
    """``(assembly, chromosome, start, end)`` of a site; ``start`` and ``end`` None when it has no location.

    Sites known from in-vitro experiments (SELEX, JASPAR) have no genome location: their
    chromosome, start and end are all missing (``-``).  Otherwise start and end must be numbers.
    ``fields``: the field names of start and end, for errors.
    """
    if chromosome.strip() in MISSING and start.strip() in MISSING and end.strip() in MISSING:
        return clean_name(assembly), "", None, None
    return (
        clean_name(assembly),
        chromosome.strip(),
        parse_position(start, path, fields[0], row, "start"),
        parse_position(end, path, fields[1], row, "end"),
    )


def parse_position(value, path, field_name, row, what):
    value = value.strip()
    if not DIGITS_RE.fullmatch(value):
        raise PageError(path, f"{what} must be a whole number, found {value!r}", field_name, row)
    return bounded(int(value), MAX_POSITION, f"the {what}", path, field_name, row)


def parse_score(value, path, field_name, row):
    """The integer of a site row's last column, ``-`` when it has none (sites without a location)."""
    value = value.strip()
    if value in MISSING:
        return None
    if not SIGNED_RE.fullmatch(value):
        raise PageError(path, f"expected a whole number in the last column, found {value!r}", field_name, row)
    return bounded(int(value), MAX_INTEGER, "the last column's number", path, field_name, row, smallest=MIN_INTEGER)


def parse_strand(value, path, field_name, row):
    """``+``, or "" (unknown): TFLink writes ``-`` for a strand it does not know (fixtures/FORMAT.md)."""
    strand = value.strip()
    if strand == "+":
        return "+"
    if strand in MISSING or strand == ".":
        return ""
    raise PageError(path, f"strand must be '+', '-' or empty, found {value!r}", field_name, row)


def parse_orthologs(value, path):
    """Orthologs from the JSON text; HTML anchors are reduced to the accession they name."""
    if not value.strip():
        return []
    try:
        groups = json.loads(value)
    except json.JSONDecodeError as error:
        raise PageError(path, f"not valid JSON: {error.msg} at character {error.pos}", field="orthologs") from error
    if not isinstance(groups, list):
        raise PageError(path, "expected a JSON list of {species, id} objects", field="orthologs")
    orthologs = []
    for number, group in enumerate(groups, start=1):
        if not isinstance(group, dict) or not isinstance(group.get("species"), str):
            raise PageError(path, "expected an object with 'species' and 'id'", "orthologs", number)
        ids = group.get("id", [])
        if isinstance(ids, str):
            ids = [ids]
        for item in ids:
            accession = TAG_RE.sub("", str(item))
            orthologs.append(
                OrthologRef(group["species"].strip(), parse_accession(accession, path, "orthologs", number))
            )
    return list(dict.fromkeys(orthologs))


def parse_jaspar(value, path):
    matrices = [part for part in re.split(r"[;,\s]+", value.strip()) if part]
    for matrix in matrices:
        if not JASPAR_RE.fullmatch(matrix):
            raise PageError(path, f"{matrix!r} is not a JASPAR matrix id (e.g. MA0106.3)", field="jaspar_matrices")
    return list(dict.fromkeys(matrices))


def parse_fasta(body):
    """Sequences of the FASTA records in a page body, by binding-site id (header field 1)."""
    sequences = {}
    site_id = None
    for line in body.splitlines():
        if line.startswith(">"):
            site_id = line[1:].split(";", 1)[0].strip()
            sequences[site_id] = ""
        elif site_id is not None:
            sequences[site_id] += line.strip()
    return sequences
