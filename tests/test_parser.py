"""The page parser against the real TFLink pages and against the mistakes a curator can make.

Expected values come from the page text itself (read here with simple, separate methods) or
from the figures in ``fixtures/FORMAT.md``, never from the parser's own output.
"""

import builtins
import io
import os
import pickle
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from proteins.importing.reading import fingerprint, load_page
from proteins.pages import BindingSiteRow, Evidence, InteractionRow, OrthologRef, PageError
from proteins.parser import parse_page
from proteins.tables import MAX_PAGE_BYTES, parse_interaction_table, parse_page_file
from tests.quirk_pages import (
    BINDING_SITE_TABLE_HEADER,
    IN_VITRO_SITE,
    LOCATED_SITE,
    TFS_TABLE_HEADER,
    page_text,
    table_text,
    write_page,
)

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
PAGE_FILES = sorted(PAGES.glob("*.md"))

# The "Pages in this corpus" table of fixtures/FORMAT.md.
FORMAT_TABLE = {
    "Q07812": ("Homo sapiens", 100, 0, 571),
    "O01789": ("Caenorhabditis elegans", 12, 100, 115),
    "P46152": ("Rattus norvegicus", 5, 1, 6),
    "P09022": ("Mus musculus", 0, 1, 1),
    "Q9I9N4": ("Danio rerio", 2, 0, 2),
    "Q9VCD8": ("Drosophila melanogaster", 49, 0, 49),
    "P87012": ("Saccharomyces cerevisiae", 25, 0, 25),
    "P49335": ("Homo sapiens", 42, 1, 43),
    "Q03145": ("Mus musculus", 100, 0, 307),
    "G3V885": ("Rattus norvegicus", 3, 0, 3),
    "P63059": ("Rattus norvegicus", 6, 1, 7),
}
# Data rows of the download tables, as FORMAT.md states them.
DOWNLOAD_TABLES = {
    ("Q07812", "tfs"): ("tfs_of_Q07812.tsv", 571),
    ("O01789", "targets"): ("targets_of_O01789.tsv", 103),
}

GOOD_ROW = "Myh6,G3V885,29556,ORegAnno,inferred by curator,26578589%5Buid%5D+OR+8007990%5Buid%5D,Yes"


# Reading the raw page text, independently of the parser.


def raw_text(accession):
    return (PAGES / f"{accession}.md").read_text(encoding="utf-8")


def raw_value_line(text, key):
    """The text after ``key:`` on the key's own line of the front matter."""
    return re.search(rf"^{key}: ?(.*)$", text, re.MULTILINE).group(1)


def raw_unquoted(text, key):
    return raw_value_line(text, key).strip("'")


def raw_row_count(text, key):
    """Rows of a multi-row key as a reader counts them: blocks separated by blank lines.

    yaml.dump writes one blank line between the rows of a quoted value and wraps a long
    row onto indented lines without a blank line, so blank-line blocks are rows.
    """
    lines = text.split("---\n", 2)[1].split("\n")
    start = next(number for number, line in enumerate(lines) if line.startswith(f"{key}:"))
    block = [lines[start][len(key) + 1 :]]
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        block.append(line)
    value = "\n".join(block).strip()
    if value in ("", "''"):
        return 0
    return len([chunk for chunk in re.split(r"\n\s*\n", value) if chunk.strip()])


def raw_fasta(text):
    """Binding-site id -> sequence, from the FASTA body after the front matter."""
    body = text.split("---\n", 2)[2]
    records = re.findall(r"^>([^;\n]+);[^\n]*\n([^>]*)", body, re.MULTILINE)
    return {site_id: "".join(sequence.split()) for site_id, sequence in records}


def raw_line_starting(text, prefix):
    """The first front-matter line that starts (after its indent) with ``prefix``."""
    return next(line.strip() for line in text.split("\n") if line.strip().startswith(prefix))


def table_data_rows(path):
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def pmids_of_table_cell(cell):
    """PubMed ids of a table cell: a PubMed search URL, or bare ids."""
    if cell.startswith("http"):
        term = parse_qs(urlsplit(cell).query)["term"][0]  # "22470139[uid] OR 29087512[uid]"
        return tuple(int(pmid) for pmid in re.findall(r"(\d+)\[uid\]", term))
    return tuple(int(pmid) for pmid in cell.split(","))


def table_missing(cell):
    # FORMAT.md says "-"; tfs_of_Q07812.tsv also writes "NA" for a missing gene id.
    return cell in ("-", "NA")


# Building test pages.

BASE_FIELDS = {
    "type": "protein",
    "layout": "protein",
    "title": "P46152",
    "protein_name": "Gata4",
    "uniprot_accession": "P46152",
    "ncbi_gene_id": "54254",
    "organism": "Rattus norvegicus",
    "function": "transcription factor",
    "number_of_interactions": "1",
    "orthologs": "",
    "jaspar_matrices": "",
    "tfs": GOOD_ROW,
    "targets": "",
    "tfs_download": "",
    "targets_download": "",
    "bindingSites_download": "",
    "binding_sites_ls": "",
}


def make_page(body="", omit=(), **changes):
    """A page in the corpus format (front matter written by yaml.dump), with some fields changed."""
    fields = {key: value for key, value in {**BASE_FIELDS, **changes}.items() if key not in omit}
    front_matter = yaml.dump(fields, sort_keys=False, allow_unicode=True)
    return f"---\n{front_matter}\n---\n{body}"


def interaction_row(
    name="Myh6",
    accession="G3V885",
    gene_ids="29556",
    sources="ORegAnno",
    methods="inferred by curator",
    publications="26578589%5Buid%5D+OR+8007990%5Buid%5D",
    small_scale="Yes",
):
    return ",".join([name, accession, gene_ids, sources, methods, publications, small_scale])


def parse_error(text, path="pages/P46152.md"):
    with pytest.raises(PageError) as caught:
        parse_page(text, path)
    return str(caught.value)


def copy_to(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(PAGES / name, folder / name)
        (folder / name).chmod(0o644)
    return folder


@pytest.fixture
def opened_files(monkeypatch):
    """Paths of the files opened (every ``open``, including Path.read_bytes); clear it after setup."""
    opened = []
    real_open = io.open

    def spying_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", spying_open)
    monkeypatch.setattr(builtins, "open", spying_open)
    return opened


def write_sparse(path, size, start=b"---\n"):
    with open(path, "wb") as file:
        file.write(start)
        file.truncate(size)
    return path


# Every page of the corpus.


def test_corpus_holds_the_eleven_pages_of_format_md():
    assert sorted(path.stem for path in PAGE_FILES) == sorted(FORMAT_TABLE)


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.stem)
def test_raw_row_counts_agree_with_format_md(path):
    organism, tfs_rows, targets_rows, interactions = FORMAT_TABLE[path.stem]
    text = path.read_text(encoding="utf-8")
    assert raw_row_count(text, "tfs") == tfs_rows
    assert raw_row_count(text, "targets") == targets_rows
    assert raw_value_line(text, "organism") == organism
    assert int(raw_unquoted(text, "number_of_interactions")) == interactions


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.stem)
def test_page_text_gives_accession_organism_gene_ids_and_count(path):
    text = path.read_text(encoding="utf-8")
    page = parse_page(text, path)
    raw_gene_ids = raw_unquoted(text, "ncbi_gene_id")

    assert page.accession == path.stem == raw_value_line(text, "title")
    assert page.organism == raw_value_line(text, "organism")
    assert page.gene_ids == (() if raw_gene_ids == "-" else tuple(int(i) for i in raw_gene_ids.split(";")))
    assert page.reported_interaction_count == int(raw_unquoted(text, "number_of_interactions"))
    assert page.function == raw_value_line(text, "function")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.stem)
def test_page_text_gives_every_row_of_the_page(path):
    text = path.read_text(encoding="utf-8")
    page = parse_page(text, path)
    assert len(page.tfs) == raw_row_count(text, "tfs")
    assert len(page.targets) == raw_row_count(text, "targets")
    assert len(page.binding_sites) == raw_row_count(text, "binding_sites_ls")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.stem)
def test_page_file_takes_the_full_download_table_when_it_lies_beside_the_page(path):
    text = path.read_text(encoding="utf-8")
    page = parse_page_file(path)
    for kind in ("tfs", "targets"):
        table = DOWNLOAD_TABLES.get((path.stem, kind))
        if table:
            name, stated_rows = table
            expected = len(table_data_rows(PAGES / name))
            assert expected == stated_rows
        else:
            expected = raw_row_count(text, kind)
        assert len(getattr(page, kind)) == expected
    assert len(page.binding_sites) == raw_row_count(text, "binding_sites_ls")
    assert page.accession == path.stem
    assert page.reported_interaction_count == int(raw_unquoted(text, "number_of_interactions"))


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.stem)
def test_every_binding_site_carries_its_sequence_from_the_body(path):
    text = path.read_text(encoding="utf-8")
    page = parse_page(text, path)
    sequences = raw_fasta(text)
    assert {site.tflink_id: site.sequence for site in page.binding_sites} == sequences


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda path: path.stem)
def test_orthologs_are_reduced_to_accessions_in_page_order(path):
    text = path.read_text(encoding="utf-8")
    page = parse_page(text, path)
    raw = raw_value_line(text, "orthologs")
    expected = [anchor or bare for anchor, bare in re.findall(r'>([A-Z0-9]+)</a>|"([A-Z0-9]+)"', raw)]

    assert [ortholog.accession for ortholog in page.orthologs] == expected
    for ortholog in page.orthologs:
        assert "<" not in ortholog.accession + ortholog.species
        assert ">" not in ortholog.accession + ortholog.species


# Every column of a sample of rows.


def row_for(rows, accession):
    matches = [row for row in rows if row.partner_accession == accession]
    assert len(matches) == 1, f"{len(matches)} rows for {accession}"
    return matches[0]


def test_q07812_mycn_row_has_three_sources_two_methods_and_four_pubmed_ids():
    row = row_for(parse_page(raw_text("Q07812")).tfs, "P04198")
    assert row.partner_name == "MYCN"
    assert row.partner_gene_ids == (4613,)
    assert row.evidence.source_databases == ("GTRD", "ReMap", "TRRUST")
    # The raw row is wrapped after "inferred": the wrap is one space.
    assert row.evidence.detection_methods == ("chromatin immunoprecipitation assay", "inferred by curator")
    assert row.evidence.pmids == (27924024, 29087512, 29126285, 19885598)
    assert row.evidence.small_scale is True


def test_q07812_zscan5dp_row_with_dash_gene_id_has_no_gene_ids():
    row = row_for(parse_page(raw_text("Q07812")).tfs, "P0CG00")
    assert row.partner_name == "ZSCAN5DP"
    assert row.partner_gene_ids == ()
    assert row.evidence.source_databases == ("GTRD",)
    assert row.evidence.detection_methods == ("chromatin immunoprecipitation assay",)
    assert row.evidence.pmids == (27924024,)
    assert row.evidence.small_scale is False


def test_o01789_histone_row_keeps_the_list_of_names_and_its_sixteen_gene_ids():
    text = raw_text("O01789")
    raw_cells = raw_line_starting(text, "his-3;").split(",")
    row = row_for(parse_page(text).targets, "P09588")

    assert row.partner_name == raw_cells[0]
    assert row.partner_name.split(";")[:2] == ["his-3", "his-7"]
    assert row.partner_gene_ids == tuple(int(gene_id) for gene_id in raw_cells[2].split(";"))
    assert len(row.partner_gene_ids) == 16
    assert row.evidence.detection_methods == ("chromatin immunoprecipitation assay",)
    assert row.evidence.pmids == (27924024,)
    assert row.evidence.small_scale is False


def test_o01789_dash_partner_name_gives_an_empty_name():
    row = row_for(parse_page(raw_text("O01789")).targets, "Q86NH2")
    assert row.partner_name == ""
    assert row.partner_gene_ids == (179508,)


def test_p87012_row_with_dash_name_and_dash_gene_id_has_neither():
    row = row_for(parse_page(raw_text("P87012")).tfs, "A0A023PXA5")
    assert row.partner_name == ""
    assert row.partner_gene_ids == ()
    assert row.evidence.source_databases == ("GTRD",)


def test_p87012_detection_method_with_slash_is_one_method():
    row = row_for(parse_page(raw_text("P87012")).tfs, "P38830")
    assert row.partner_name == "NDT80"
    assert row.partner_gene_ids == (856524,)
    assert row.evidence.source_databases == ("Yeastract",)
    assert row.evidence.detection_methods == ("array technology/partial DNA sequence identification by hybridization",)
    assert row.evidence.pmids == (20385592, 24170807)
    assert row.evidence.small_scale is False


@pytest.mark.parametrize(
    ("accession", "name", "gene_id"),
    [("E1JIH4", "Dmel\\CG8478", 41194), ("P05205", "Su(var)205", 34119), ("Q86B87", "mod(mdg4)", 49228)],
)
def test_q9vcd8_names_with_backslash_and_parentheses_are_kept_verbatim(accession, name, gene_id):
    row = row_for(parse_page(raw_text("Q9VCD8")).tfs, accession)
    assert row.partner_name == name
    assert row.partner_gene_ids == (gene_id,)


def test_p49335_cell_with_two_gene_ids_gives_both():
    row = row_for(parse_page(raw_text("P49335")).tfs, "P22392")
    assert row.partner_name == "NME2"
    assert row.partner_gene_ids == (4831, 654364)
    assert row.evidence.source_databases == ("ReMap",)
    assert row.evidence.pmids == (29126285,)


def test_p46152_unquoted_one_row_targets_is_one_full_row():
    page = parse_page(raw_text("P46152"))
    assert len(page.targets) == 1
    row = page.targets[0]
    assert (row.partner_name, row.partner_accession, row.partner_gene_ids) == ("Myh6", "G3V885", (29556,))
    assert row.evidence.source_databases == ("ORegAnno",)
    assert row.evidence.detection_methods == ("inferred by curator",)
    assert row.evidence.pmids == (26578589, 8007990)
    assert row.evidence.small_scale is True


def test_p63059_binding_site_with_a_dash_strand_has_an_unknown_strand_and_its_fasta_sequence():
    page = parse_page(raw_text("P63059"))
    assert len(page.binding_sites) == 1
    site = page.binding_sites[0]
    assert site.tflink_id == "TFLinkSS10035819"
    assert site.tf_accession == "P63059"
    assert (site.assembly, site.chromosome, site.start, site.end) == ("rn6", "chr15", 33630318, 33630355)
    # TFLink writes "-" for a strand it does not know, beside a location too (FORMAT.md, "Strand").
    assert site.strand == ""
    # The unquoted row is wrapped after "inferred": the wrap is one space.
    assert site.evidence.detection_methods == ("inferred by curator",)
    assert site.evidence.pmids == (9111345,)
    assert site.evidence.source_databases == ("ORegAnno",)
    assert site.evidence.small_scale is True
    assert site.score == 0
    assert site.sequence == "TGGCTCTGGAGGTGACAGGAGGACAGCAGCCCTGAGG"


def test_p46152_two_binding_sites_with_sequences_gatg_and_gatag():
    page = parse_page(raw_text("P46152"))
    sites = [
        (site.tflink_id, site.chromosome, site.start, site.end, site.strand, site.sequence, site.score)
        for site in page.binding_sites
    ]
    assert sites == [
        ("TFLinkSS10035817", "chr15", 33630443, 33630447, "+", "GATG", 0),
        ("TFLinkSS10035818", "chr15", 33630451, 33630456, "+", "GATAG", 0),
    ]
    for site in page.binding_sites:
        assert site.tf_accession == "P46152"
        assert site.assembly == "rn6"
        assert site.evidence.pmids == (8007990,)
        assert site.evidence.detection_methods == ("inferred by curator",)


# Orthologs, names and gene ids of the page itself.


def test_q07812_orthologs_keep_species_anchors_and_bare_id():
    page = parse_page(raw_text("Q07812"))
    assert [(ortholog.species, ortholog.accession) for ortholog in page.orthologs] == [
        ("Mus musculus", "Q07813"),
        ("Rattus norvegicus", "G3V8T9"),
        ("Danio rerio", "I3ITC2"),
        ("Danio rerio", "Q9I9N4"),
    ]


def test_g3v885_has_five_caenorhabditis_elegans_orthologs():
    page = parse_page(raw_text("G3V885"))
    worm = [ortholog.accession for ortholog in page.orthologs if ortholog.species == "Caenorhabditis elegans"]
    assert worm == ["P02567", "P02566", "Q21000", "P12844", "P12845"]


def test_o01789_orthologs_cover_six_species():
    page = parse_page(raw_text("O01789"))
    assert {ortholog.species for ortholog in page.orthologs} == {
        "Homo sapiens",
        "Mus musculus",
        "Rattus norvegicus",
        "Drosophila melanogaster",
        "Danio rerio",
        "Saccharomyces cerevisiae",
    }
    assert ("Danio rerio", "X1WEJ1") in {(ortholog.species, ortholog.accession) for ortholog in page.orthologs}


@pytest.mark.parametrize("accession", ["P09022", "P49335", "P87012", "P63059"])
def test_pages_with_empty_orthologs_have_none(accession):
    assert raw_value_line(raw_text(accession), "orthologs") == "''"
    assert parse_page(raw_text(accession)).orthologs == []


def test_p87012_dash_protein_name_gives_an_empty_name():
    assert parse_page(raw_text("P87012")).name == ""


def test_p09022_dash_ncbi_gene_id_gives_no_gene_ids():
    page = parse_page(raw_text("P09022"))
    assert page.gene_ids == ()
    assert page.name == "Hoxa1"


# Download tables.


def expected_table_row(cells, kind):
    prefix = "TF" if kind == "tfs" else "Target"
    gene_ids = cells[f"NCBI.GeneID.{prefix}"]
    name = cells[f"Name.{prefix}"]
    return (
        cells[f"UniprotID.{prefix}"],
        "" if table_missing(name) else name.replace("; ", ";"),
        () if table_missing(gene_ids) else tuple(int(gene_id) for gene_id in gene_ids.split(",")),
        tuple(cells["Source.database"].split(",")),
        tuple(cells["Detection.method"].split(",")),
        pmids_of_table_cell(cells["PubmedID"]),
        cells["Small-scale.evidence"] == "Yes",
        cells["Organism"],
    )


def parsed_table_row(row):
    evidence = row.evidence
    return (
        row.partner_accession,
        row.partner_name,
        row.partner_gene_ids,
        evidence.source_databases,
        evidence.detection_methods,
        evidence.pmids,
        evidence.small_scale,
        row.partner_organism,
    )


@pytest.mark.parametrize(("accession", "kind"), list(DOWNLOAD_TABLES), ids=["Q07812-tfs", "O01789-targets"])
def test_download_table_gives_every_row_with_every_column(accession, kind):
    name, stated_rows = DOWNLOAD_TABLES[(accession, kind)]
    raw_rows = table_data_rows(PAGES / name)
    rows = parse_interaction_table(PAGES / name, kind)

    assert len(rows) == len(raw_rows) == stated_rows
    assert [parsed_table_row(row) for row in rows] == [expected_table_row(cells, kind) for cells in raw_rows]


def test_q07812_table_takes_pubmed_ids_from_full_urls():
    rows = parse_interaction_table(PAGES / "tfs_of_Q07812.tsv", "tfs")
    mycn = row_for(rows, "P04198")
    assert mycn.evidence.pmids == (27924024, 29087512, 29126285, 19885598)
    assert mycn.evidence.source_databases == ("GTRD", "ReMap", "TRRUST")
    assert mycn.evidence.detection_methods == ("chromatin immunoprecipitation assay", "inferred by curator")
    assert row_for(rows, "P0CG00").evidence.pmids == (27924024,)


def test_o01789_table_takes_bare_pubmed_ids_and_comma_separated_gene_ids():
    rows = parse_interaction_table(PAGES / "targets_of_O01789.tsv", "targets")
    histones = row_for(rows, "P09588")
    assert histones.evidence.pmids == (27924024,)
    assert len(histones.partner_gene_ids) == 16
    assert histones.partner_name.startswith("his-3;his-7;his-12;")


@pytest.mark.parametrize(("accession", "kind"), list(DOWNLOAD_TABLES), ids=["Q07812-tfs", "O01789-targets"])
def test_table_rows_equal_page_rows_for_the_same_partner(accession, kind):
    name, _ = DOWNLOAD_TABLES[(accession, kind)]
    page_rows = getattr(parse_page(raw_text(accession)), kind)
    table_rows = {row.partner_accession: row for row in parse_interaction_table(PAGES / name, kind)}

    assert page_rows, "the page lists rows"
    for page_row in page_rows:
        table_row = table_rows[page_row.partner_accession]
        assert (table_row.partner_name, table_row.partner_gene_ids, table_row.evidence) == (
            page_row.partner_name,
            page_row.partner_gene_ids,
            page_row.evidence,
        )


@pytest.mark.parametrize(
    ("accession", "kind", "partner"),
    [("Q07812", "tfs", "P04198"), ("O01789", "targets", "P09588"), ("O01789", "targets", "Q86NH2")],
)
def test_multi_valued_table_cells_give_the_same_values_as_the_page_row(accession, kind, partner):
    name, _ = DOWNLOAD_TABLES[(accession, kind)]
    page_row = row_for(getattr(parse_page(raw_text(accession)), kind), partner)
    table_row = row_for(parse_interaction_table(PAGES / name, kind), partner)
    assert table_row.partner_name == page_row.partner_name
    assert table_row.partner_gene_ids == page_row.partner_gene_ids
    assert table_row.evidence == page_row.evidence


def test_download_table_with_the_wrong_header_names_the_table_and_header_row(tmp_path):
    folder = copy_to(tmp_path, "O01789.md")
    table = folder / "targets_of_O01789.tsv"
    # A tfs table saved under the targets name: the header is the tfs header.
    table.write_text((PAGES / "tfs_of_Q07812.tsv").read_text(encoding="utf-8"), encoding="utf-8")

    with pytest.raises(PageError) as caught:
        parse_page_file(folder / "O01789.md")
    message = str(caught.value)
    assert str(table) in message
    assert "row 1" in message
    assert "header" in message
    assert "UniprotID.Target" in message

    with pytest.raises(PageError, match="header"):
        parse_interaction_table(table, "targets")


# Bad input: each gives a PageError a curator can act on.


def test_empty_file_is_refused_with_its_path(tmp_path):
    path = tmp_path / "Q07812.md"
    path.write_text("")
    with pytest.raises(PageError) as caught:
        parse_page_file(path)
    assert str(path) in str(caught.value)
    assert "empty" in str(caught.value)


def test_page_without_front_matter_is_refused():
    message = parse_error("# BAX\n\nA page without front matter.\n")
    assert "pages/P46152.md" in message
    assert "line 1" in message
    assert "front matter" in message


def test_page_without_closing_front_matter_line_is_refused():
    message = parse_error("---\nuniprot_accession: P46152\n")
    assert "pages/P46152.md" in message
    assert "front matter" in message


@pytest.mark.parametrize(
    ("key", "bad_line"),
    [
        ("organism", "organism: Rattus: norvegicus"),
        ("organism", "\torganism: Rattus norvegicus"),
        ("targets", "targets: Myh6: G3V885"),
    ],
)
def test_yaml_syntax_error_names_the_line_of_the_file(key, bad_line):
    lines = raw_text("P46152").split("\n")
    number = next(index for index, line in enumerate(lines) if line.startswith(f"{key}:"))
    lines[number] = bad_line

    message = parse_error("\n".join(lines))
    assert "pages/P46152.md" in message
    assert re.search(rf"\bline {number + 1}\b", message), message
    assert "YAML" in message


@pytest.mark.parametrize("key", ["uniprot_accession", "organism", "number_of_interactions", "tfs", "targets"])
def test_missing_required_key_is_named(key):
    message = parse_error(make_page(omit=(key,)))
    assert "pages/P46152.md" in message
    assert key in message
    assert "missing" in message


def test_invalid_page_accession_names_the_field_and_value():
    message = parse_error(make_page(uniprot_accession="BAX_HUMAN"))
    assert "uniprot_accession" in message
    assert "BAX_HUMAN" in message


def test_invalid_accession_in_a_row_names_field_and_row():
    tfs = "\n".join([GOOD_ROW, interaction_row(accession="G3V88")])
    message = parse_error(make_page(tfs=tfs))
    assert "pages/P46152.md" in message
    assert "'tfs'" in message
    assert "row 2" in message
    assert "G3V88" in message


def test_row_with_a_comma_in_a_name_names_field_row_and_column_count():
    targets = "\n".join([GOOD_ROW, GOOD_ROW, interaction_row(name="Myh6, cardiac")])
    message = parse_error(make_page(targets=targets))
    assert "'targets'" in message
    assert "row 3" in message
    assert "found 8" in message


def test_short_row_names_field_row_and_column_count():
    message = parse_error(make_page(tfs="Myh6,G3V885,29556,ORegAnno,inferred by curator,Yes"))
    assert "'tfs'" in message
    assert "row 1" in message
    assert "found 6" in message


@pytest.mark.parametrize("value", ["many", "12 or 13", "-3", "5²"])
def test_non_numeric_number_of_interactions_names_the_field(value):
    message = parse_error(make_page(number_of_interactions=value))
    assert "number_of_interactions" in message
    assert repr(value) in message


@pytest.mark.parametrize("gene_ids", ["29556a", "²"])
def test_non_numeric_gene_id_in_a_row_names_field_and_row(gene_ids):
    message = parse_error(make_page(tfs="\n".join([GOOD_ROW, interaction_row(gene_ids=gene_ids)])))
    assert "'tfs'" in message
    assert "row 2" in message
    assert gene_ids in message


def test_bad_small_scale_value_names_field_row_and_value():
    message = parse_error(make_page(tfs="\n".join([GOOD_ROW, interaction_row(small_scale="Maybe")])))
    assert "'tfs'" in message
    assert "row 2" in message
    assert "Maybe" in message


def test_bad_pubmed_cell_names_field_row_and_value():
    message = parse_error(make_page(targets=interaction_row(publications="see the paper")))
    assert "'targets'" in message
    assert "row 1" in message
    assert "see the paper" in message


@pytest.mark.parametrize("value", ["MA0106", "TP53", "MA0106.1;PB0001"])
def test_bad_jaspar_id_names_the_field(value):
    message = parse_error(make_page(jaspar_matrices=value))
    assert "jaspar_matrices" in message


@pytest.mark.parametrize("value", ['[{"species": "Mus musculus", "id": [', "Q07813, P04637"])
def test_orthologs_that_are_not_json_name_the_field(value):
    message = parse_error(make_page(orthologs=value))
    assert "pages/P46152.md" in message
    assert "orthologs" in message
    assert "JSON" in message


def test_invalid_utf8_names_the_line(tmp_path):
    lines = raw_text("P09022").encode("utf-8").split(b"\n")
    lines[4] = b"protein_name: Hoxa\xff1"  # line 5 of the file
    path = tmp_path / "P09022.md"
    path.write_bytes(b"\n".join(lines))

    with pytest.raises(PageError) as caught:
        parse_page_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert re.search(r"\bline 5\b", message), message
    assert "UTF-8" in message

    loaded = load_page(path)
    assert loaded.page is None
    assert re.search(r"\bline 5\b", str(loaded.error))


@pytest.mark.parametrize("size", [MAX_PAGE_BYTES + 1, 50 * 1024 * 1024], ids=["just-over", "50MB"])
def test_page_larger_than_the_limit_is_refused_without_reading_it(tmp_path, opened_files, size):
    path = write_sparse(tmp_path / "Q07812.md", size)
    opened_files.clear()

    with pytest.raises(PageError) as caught:
        parse_page_file(path)
    loaded = load_page(path)

    assert str(path) in str(caught.value)
    assert "limit" in str(caught.value)
    assert loaded.page is None
    assert "limit" in str(loaded.error)
    assert path.resolve() not in opened_files


def test_download_table_larger_than_the_limit_is_refused_without_reading_it(tmp_path, opened_files):
    folder = copy_to(tmp_path, "O01789.md")
    table = write_sparse(folder / "targets_of_O01789.tsv", 50 * 1024 * 1024, start=b"UniprotID.Target\t")
    opened_files.clear()

    loaded = load_page(folder / "O01789.md")

    assert loaded.page is None
    assert str(table) in str(loaded.error)
    assert "limit" in str(loaded.error)
    assert table.resolve() not in opened_files


def test_missing_file_is_a_page_error_with_its_path(tmp_path):
    path = tmp_path / "Q07812.md"
    with pytest.raises(PageError) as caught:
        parse_page_file(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("name", ["../outside.tsv", "ABSOLUTE"])
def test_download_name_cannot_reach_a_file_outside_the_page_folder(tmp_path, opened_files, name):
    outside = tmp_path / "outside.tsv"
    outside.write_text(
        "UniprotID.TF\tNCBI.GeneID.TF\tName.TF\tDetection.method\tPubmedID\tOrganism\tSource.database\t"
        "Small-scale.evidence\nP04637\t7157\tTP53\tinferred by curator\t1\tHomo sapiens\tTRRUST\tYes\n"
    )
    folder = tmp_path / "pages"
    folder.mkdir()
    download = str(outside) if name == "ABSOLUTE" else name
    (folder / "P46152.md").write_text(make_page(tfs_download=download))
    opened_files.clear()

    loaded = load_page(folder / "P46152.md")

    assert outside.resolve() not in opened_files
    if loaded.error is not None:
        assert "tfs_download" in str(loaded.error)
    else:
        assert [row.partner_accession for row in loaded.page.tfs] == ["G3V885"]


# Accepted variants.


@pytest.mark.parametrize(
    "value",
    ["MA0106.1;MA0106.2", "MA0106.1, MA0106.2", "MA0106.1 MA0106.2", "MA0106.1\nMA0106.2", " MA0106.1;MA0106.2 "],
)
def test_jaspar_matrices_accept_semicolons_commas_and_whitespace(value):
    page = parse_page(make_page(jaspar_matrices=value))
    assert page.jaspar_matrices == ["MA0106.1", "MA0106.2"]


def test_empty_jaspar_matrices_give_no_ids():
    assert parse_page(raw_text("P46152")).jaspar_matrices == []


def test_number_of_interactions_with_thousands_separator():
    assert parse_page(make_page(number_of_interactions="4,388")).reported_interaction_count == 4388


def test_markup_in_name_and_body_stays_text():
    markup = "<script>alert(1)</script>"
    page = parse_page(make_page(protein_name=markup, body=f"{markup}\n"))
    assert page.name == markup
    assert page.body == f"{markup}\n"


# Fingerprints: unchanged pages are not parsed again.


def test_known_fingerprint_returns_unchanged_without_a_page(tmp_path):
    path = copy_to(tmp_path, "P09022.md") / "P09022.md"
    first = load_page(path)
    assert first.page is not None
    assert first.content_hash

    again = load_page(path, known_hashes={first.content_hash})
    assert again.unchanged
    assert again.page is None
    assert again.error is None
    assert again.content_hash == first.content_hash


def test_known_fingerprint_of_a_broken_page_is_reported_unchanged_so_it_was_not_parsed(tmp_path):
    path = tmp_path / "P09022.md"
    path.write_text(raw_text("P09022").replace("organism: Mus musculus", "organism: Mus: musculus"))
    assert load_page(path).error is not None

    loaded = load_page(path, known_hashes={fingerprint(path, path.read_bytes())})
    assert loaded.unchanged
    assert loaded.error is None


def test_fingerprint_changes_when_the_download_table_beside_the_page_changes(tmp_path):
    folder = copy_to(tmp_path, "O01789.md", "targets_of_O01789.tsv")
    page, table = folder / "O01789.md", folder / "targets_of_O01789.tsv"
    before = load_page(page)
    assert len(before.page.targets) == 103

    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    table.write_text("".join(lines[:-1]), encoding="utf-8")
    after = load_page(page, known_hashes={before.content_hash})

    assert after.content_hash != before.content_hash
    assert not after.unchanged
    assert len(after.page.targets) == 102


def test_fingerprint_changes_when_the_page_changes(tmp_path):
    path = copy_to(tmp_path, "P09022.md") / "P09022.md"
    before = load_page(path)
    path.write_text(raw_text("P09022").replace("protein_name: Hoxa1", "protein_name: HOXA1"))
    after = load_page(path, known_hashes={before.content_hash})
    assert after.content_hash != before.content_hash
    assert after.page.name == "HOXA1"


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.stem)
def test_page_crosses_from_a_parsing_process_whole(path):
    """Pages are pickled from the parsing processes with plain-tuple rows: every row and name comes back."""
    page = parse_page_file(path)
    received = pickle.loads(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
    assert received == page
    assert [type(row) for row in received.tfs + received.targets] == [InteractionRow] * len(page.tfs + page.targets)
    assert all(type(row.evidence) is Evidence for row in received.tfs + received.targets + received.binding_sites)
    assert all(type(site) is BindingSiteRow for site in received.binding_sites)
    assert all(type(ortholog) is OrthologRef for ortholog in received.orthologs)
    if received.tfs:
        assert received.tfs[0].evidence.pmids == page.tfs[0].evidence.pmids
        assert received.tfs[0].partner_accession == page.tfs[0].partner_accession


# Quirks of real pages beyond the corpus (fixtures/FORMAT.md, "Quirks of real pages and tables").


def test_site_without_a_genome_location_has_no_location_strand_or_number():
    [site] = parse_page(page_text(binding_sites=IN_VITRO_SITE)).binding_sites

    assert site.tflink_id == "TFLinkLS04951731"
    assert (site.assembly, site.chromosome, site.start, site.end, site.strand, site.score) == (
        "",
        "",
        None,
        None,
        "",
        None,
    )
    assert site.evidence == Evidence(("JASPAR",), ("selex",), (16314527,), False)


def test_dash_strand_beside_a_location_is_an_unknown_strand_and_plus_is_plus():
    plus = LOCATED_SITE.replace(",-,ce11&", ",+,ce11&").replace("TFLinkLS04951732", "TFLinkLS04951733")
    sites = parse_page(page_text(binding_sites=f"{LOCATED_SITE}\n{plus}")).binding_sites

    assert [(site.chromosome, site.start, site.end, site.strand) for site in sites] == [
        ("chrX", 5716076, 5716086, ""),
        ("chrX", 5716076, 5716086, "+"),
    ]


def write_site_table(folder, *rows):
    (folder / "bindingSites_of_Q21446.tsv").write_text(table_text(BINDING_SITE_TABLE_HEADER, *rows))


def test_binding_site_table_row_without_a_location_and_table_ids_named_as_the_page_names_them(tmp_path):
    path = write_page(tmp_path, page_text(downloads={"bindingSites": "Q21446_TFBS_annot.tsv"}))
    write_site_table(
        tmp_path,
        "TFLinkLT04951731\tQ21446\tlin-14\tCaenorhabditis elegans\tselex\t16314527\tjaspar\tNo\t-\t-\t-\t-\t-",
        "TFLinkLT04951740\tQ21446\tlin-14\tCaenorhabditis elegans\tChIP-seq\t27924024\tGTRD\tNo\tce11\tchrI\t10\t20\t+",
        "TFLinkLT04951741\tQ21446\tlin-14\tCaenorhabditis elegans\tChIP-seq\t27924024\tGTRD\tNo\tce11\tchrI\t30\t40\t",
    )

    sites = parse_page_file(path).binding_sites

    assert [(s.tflink_id, s.assembly, s.chromosome, s.start, s.end, s.strand) for s in sites] == [
        ("TFLinkLS04951731", "", "", None, None, ""),
        ("TFLinkLS04951740", "ce11", "chrI", 10, 20, "+"),
        ("TFLinkLS04951741", "ce11", "chrI", 30, 40, ""),
    ]
    assert sites[0].evidence.source_databases == ("jaspar",)


def test_table_sites_take_their_sequences_from_fasta_records_beyond_the_page_rows(tmp_path):
    body = (
        ">TFLinkSS00000001;Q21446;lin-14;ce11;chrI:10-14\nGATA\n"
        ">TFLinkSS00000002;Q21446;lin-14;ce11;chrI:30-35\nCACGT\n"
    )
    page_row = "TFLinkSS00000001,Q21446,lin-14,Caenorhabditis elegans,ce11,chrI,10,14,+,ce11&position=chrI:10-14,"
    page_row += "inferred by curator,8007990%5Buid%5D,ORegAnno,Yes,0"
    path = write_page(tmp_path, page_text(binding_sites=page_row, body=body))
    cells = "Q21446\tlin-14\tCaenorhabditis elegans\tinferred by curator\t8007990\tORegAnno\tYes\tce11\tchrI"
    write_site_table(tmp_path, f"TFLinkSS00000001\t{cells}\t10\t14\t+", f"TFLinkSS00000002\t{cells}\t30\t35\t+")

    sites = parse_page_file(path).binding_sites

    assert [(site.tflink_id, site.sequence) for site in sites] == [
        ("TFLinkSS00000001", "GATA"),
        ("TFLinkSS00000002", "CACGT"),
    ]


def test_partner_names_with_a_space_or_in_lower_case_are_kept_as_written():
    rows = "\n".join(
        [interaction_row(name="OR2M7 D", accession="Q96R28"), interaction_row(name="p65", accession="Q04206")]
    )

    page = parse_page(make_page(tfs=rows))

    assert [row.partner_name for row in page.tfs] == ["OR2M7 D", "p65"]


def test_na_gene_id_in_a_download_table_gives_no_gene_ids(tmp_path):
    table = tmp_path / "tfs_of_P46152.tsv"
    table.write_text(
        table_text(TFS_TABLE_HEADER, "Q04206\tNA\tp65\tinferred by curator\t8007990\tRattus norvegicus\tjaspar\tNo")
    )

    [row] = parse_interaction_table(table, "tfs")

    assert (row.partner_accession, row.partner_gene_ids, row.partner_name) == ("Q04206", (), "p65")


TOO_LARGE = "12345678901234567890"  # 20 digits: beyond every integer column


def site_row(start=1, end=2, score=0):
    cells = f"TFLinkSS1,P46152,Gata4,Rattus norvegicus,rn6,chr15,{start},{end},+,-"
    return f"{cells},inferred by curator,8007990%5Buid%5D,ORegAnno,No,{score}"


@pytest.mark.parametrize(
    ("changes", "field", "row", "what"),
    [
        ({"ncbi_gene_id": TOO_LARGE}, "ncbi_gene_id", None, "NCBI Gene id"),
        ({"tfs": interaction_row(gene_ids=f"29556;{TOO_LARGE}")}, "tfs", 1, "NCBI Gene id"),
        ({"tfs": interaction_row(publications=f"{TOO_LARGE}%5Buid%5D")}, "tfs", 1, "PubMed id"),
        ({"tfs": interaction_row(publications=str(2**31))}, "tfs", 1, "PubMed id"),
        ({"number_of_interactions": TOO_LARGE}, "number_of_interactions", None, "number of interactions"),
        ({"number_of_interactions": "2,147,483,648"}, "number_of_interactions", None, "number of interactions"),
        ({"binding_sites_ls": site_row(start=TOO_LARGE)}, "binding_sites_ls", 1, "start"),
        ({"binding_sites_ls": site_row(end=TOO_LARGE)}, "binding_sites_ls", 1, "end"),
        ({"binding_sites_ls": site_row(score=2**31)}, "binding_sites_ls", 1, "last column"),
    ],
    ids=["page gene id", "row gene id", "pmid", "pmid 2^31", "count", "count 2^31", "start", "end", "score"],
)
def test_number_beyond_the_database_columns_refuses_the_page_naming_field_row_and_number(changes, field, row, what):
    with pytest.raises(PageError) as caught:
        parse_page(make_page(**changes), "pages/P46152.md")

    assert (caught.value.path, caught.value.field, caught.value.row) == ("pages/P46152.md", field, row)
    assert what in caught.value.message
    assert "out of range" in caught.value.message


def test_largest_numbers_the_columns_hold_are_read():
    site = site_row(start=0, end=2**63 - 1, score=-(2**31)).replace("8007990%5Buid%5D", f"{2**31 - 1}%5Buid%5D")

    page = parse_page(make_page(ncbi_gene_id=str(2**31 - 1), binding_sites_ls=site))

    assert page.gene_ids == (2**31 - 1,)
    [parsed] = page.binding_sites
    assert (parsed.start, parsed.end, parsed.evidence.pmids, parsed.score) == (0, 2**63 - 1, (2**31 - 1,), -(2**31))
