"""Small pages of our own with the quirks of real TFLink pages (fixtures/FORMAT.md, "Quirks of real
pages"), written as yaml.dump writes the real ones, for the parser, import, page, API and download tests."""

import yaml

# lin-14 (Q21446), a worm TF with in-vitro evidence: a site without a genome location, as on
# real pages, and one with a location.
IN_VITRO_SITE = "TFLinkLS04951731,Q21446,lin-14,Caenorhabditis elegans,-,-,-,-,-,-,selex,16314527%5Buid%5D,JASPAR,No,-"
LOCATED_SITE = (
    "TFLinkLS04951732,Q21446,lin-14,Caenorhabditis elegans,ce11,chrX,5716076,5716086,-,"
    "ce11&position=chrX:5716076-5716086,chromatin immunoprecipitation assay,27924024%5Buid%5D,GTRD,No,1"
)
TARGET_ROW = "col-19,P18835,180520,GTRD,chromatin immunoprecipitation assay,27924024%5Buid%5D,No"
BINDING_SITE_TABLE_HEADER = (
    "TFLinkID\tUniprotID.TF\tName.TF\tOrganism\tDetection.method\tPubmedID\tSource.database\t"
    "Small-scale.evidence\tAssembly\tChromosome\tStart\tEnd\tStrand"
)
TFS_TABLE_HEADER = (
    "UniprotID.TF\tNCBI.GeneID.TF\tName.TF\tDetection.method\tPubmedID\tOrganism\tSource.database\tSmall-scale.evidence"
)


def page_text(
    accession="Q21446",
    name="lin-14",
    *,
    organism="Caenorhabditis elegans",
    gene_id="180803",
    count="1",
    tfs="",
    targets=TARGET_ROW,
    binding_sites="",
    downloads=None,
    body="",
):
    """A protein page in the corpus format; ``downloads``: ``{"tfs"|"targets"|"bindingSites": file name}``."""
    downloads = downloads or {}
    values = {
        "type": "protein",
        "layout": "protein",
        "title": accession,
        "protein_name": name,
        "uniprot_accession": accession,
        "ncbi_gene_id": gene_id,
        "organism": organism,
        "function": "transcription factor",
        "number_of_interactions": count,
        "orthologs": "",
        "jaspar_matrices": "",
        "tfs": tfs,
        "targets": targets,
        "tfs_download": downloads.get("tfs", ""),
        "targets_download": downloads.get("targets", ""),
        "bindingSites_download": downloads.get("bindingSites", ""),
        "binding_sites_ls": binding_sites,
    }
    return "---\n" + yaml.dump(values, sort_keys=False, allow_unicode=True) + "\n---\n" + body


def write_page(folder, text, accession="Q21446"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{accession}.md"
    path.write_text(text)
    return path


def table_text(header, *rows):
    return "\n".join([header, *rows]) + "\n"
