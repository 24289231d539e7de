"""The site's first content pages; staff rewrite them in the admin."""

from django.db import migrations

PAGES = [
    (
        "home",
        "Transcription factor → target gene interactions, curated",
        False,
        0,
        """Find a gene by **name**, **UniProt accession** or **NCBI Gene id** to see which transcription
factors regulate it and which genes it regulates, with the evidence behind every interaction:
source databases, detection methods, publications and small-scale experiments.

The data come from [TFLink](https://tflink.net) (Liska et al. 2022, *Database* baac083), which
integrates TRRUST, GTRD, ReMap, DoRothEA, ORegAnno and other resources for human and six model
organisms. Curators review the interactions here: doubtful ones are marked *under review*,
rejected ones are withdrawn.""",
    ),
    (
        "about",
        "About",
        True,
        10,
        """This portal turns TFLink's protein pages into a curated database of transcription factor →
target gene interactions. Every interaction is one row, whichever pages list it, with the union
of its evidence. Curators flag doubtful interactions with a reason; reviewers approve or reject
them; every act is recorded.""",
    ),
    (
        "faq",
        "FAQ",
        True,
        20,
        """**Why does a protein show more interactions than its TFLink page?**
TFLink pages list at most 100 partners per list; the full download tables are imported too.

**What does "under review" mean?**
A curator has flagged the interaction; a reviewer has not decided yet.

**What does "small-scale evidence" mean?**
The interaction is supported by small-scale experiments (e.g. reporter assays), not only by
high-throughput data.""",
    ),
    (
        "cite",
        "How to cite",
        True,
        30,
        """Please cite the source of the data:

Liska O, Bohár B, Hidas A, Korcsmáros T, Papp B, Fazekas D, Ari E. TFLink: an integrated gateway
to access transcription factor–target gene interactions for multiple species. *Database* (2022)
baac083. doi:10.1093/database/baac083""",
    ),
    (
        "download-help",
        "Download help",
        True,
        40,
        """Tables are tab-separated with a header line, in TFLink's columns. Multi-valued cells (source
databases, detection methods, PubMed ids, NCBI Gene ids) are joined by `;`.

* **TSV**: one interaction a line.
* **PSI-MITAB 2.8**: the HUPO-PSI format (46 columns) read by Cytoscape and IntAct tools.
* **GMT**: one gene set a line: a transcription factor and its targets, by UniProt accession,
  NCBI Gene id or gene name (for enrichment tools such as GSEA).

Rejected interactions are never included.""",
    ),
]


def add_pages(apps, schema_editor):
    SitePage = apps.get_model("proteins", "SitePage")
    for slug, title, in_menu, order, body in PAGES:
        SitePage.objects.get_or_create(
            slug=slug, defaults={"title": title, "in_menu": in_menu, "menu_order": order, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("proteins", "0003_site_pages")]

    operations = [migrations.RunPython(add_pages, migrations.RunPython.noop)]
