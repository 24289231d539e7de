"""The public, read-only site as a visitor sees it: home, search, browse, entry pages,
interactions, the network data and the content pages."""

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from curation import grading
from proteins import counts
from proteins.importing.run import import_pages
from proteins.models import (
    BindingSite,
    DetectionMethod,
    ImportRun,
    Interaction,
    ModeDecision,
    Organism,
    Protein,
    Publication,
    SitePage,
    SourceDatabase,
)
from tests.modes import state
from tests.quirk_pages import IN_VITRO_SITE, LOCATED_SITE, page_text, write_page

pytestmark = pytest.mark.django_db

FIXTURE_PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
PER_PAGE = 50
FUNCTIONS = {
    (True, True): "transcription factor and target gene",
    (True, False): "transcription factor",
    (False, True): "target gene",
    (False, False): "-",
}


@pytest.fixture(autouse=True)
def fresh_cache():
    """Organism summaries and the menu are cached: no test sees another's data."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module", autouse=True)
def tflink(django_db_setup, django_db_blocker):
    """The 11 real TFLink pages, imported once for this module (every test's changes are rolled back)."""
    with django_db_blocker.unblock():
        report = import_pages([FIXTURE_PAGES])
        assert report.failures == []
    yield
    with django_db_blocker.unblock():
        # Deleting proteins cascades to their gene ids, orthologs, interactions and binding sites.
        for model in (Protein, ImportRun, SourceDatabase, DetectionMethod, Publication):
            model.objects.all().delete()


# Reading pages the way a visitor does: text, tables, links, headings, form fields.


@dataclass
class Cell:
    text: str
    links: list = field(default_factory=list)


@dataclass
class Table:
    attrs: dict
    headers: list = field(default_factory=list)
    rows: list = field(default_factory=list)

    def column(self, index):
        return [row[index].text for row in self.rows]


@dataclass
class Control:
    tag: str
    attrs: dict
    in_label: bool
    form: dict


CAPTURED = {"h1", "h2", "dt", "dd", "label", "td", "th", "a"}


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements = []
        self.tables = []
        self.links = []
        self.headings = []
        self.subheadings = []
        self.labels = []
        self.controls = []
        self.facts = {}
        self._chunks = []
        self._open = []
        self._tables = []
        self._row = None
        self._form = None
        self._dt = None
        self.feed(html)
        self.close()
        self.text = normalise("".join(self._chunks))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "table":
            self._tables.append(Table(attrs))
            self.tables.append(self._tables[-1])
        elif tag == "tr":
            self._row = []
        elif tag == "form":
            self._form = attrs
        elif tag == "a":
            for open_tag in self._open:
                if open_tag["tag"] == "td":
                    open_tag["links"].append(attrs.get("href"))
        elif tag in ("input", "select", "textarea"):
            in_label = any(open_tag["tag"] == "label" for open_tag in self._open)
            self.controls.append(Control(tag, attrs, in_label, self._form or {}))
        if tag in CAPTURED:
            self._open.append({"tag": tag, "attrs": attrs, "chunks": [], "links": []})

    def handle_endtag(self, tag):
        if tag == "table" and self._tables:
            self._tables.pop()
        elif tag == "tr":
            if self._row and self._tables:
                self._tables[-1].rows.append(self._row)
            self._row = None
        elif tag == "form":
            self._form = None
        for position in range(len(self._open) - 1, -1, -1):
            if self._open[position]["tag"] == tag:
                self.closed(self._open.pop(position))
                break

    def handle_data(self, data):
        self._chunks.append(data)
        for open_tag in self._open:
            open_tag["chunks"].append(data)

    def closed(self, element):
        tag, attrs, text = element["tag"], element["attrs"], normalise("".join(element["chunks"]))
        if tag == "h1":
            self.headings.append(text)
        elif tag == "h2":
            self.subheadings.append(text)
        elif tag == "dt":
            self._dt = text
        elif tag == "dd" and self._dt is not None:
            self.facts[self._dt] = text
        elif tag == "label":
            self.labels.append((attrs, text))
        elif tag == "a":
            self.links.append((attrs, text))
        elif tag == "th" and self._tables:
            self._tables[-1].headers.append(text)
        elif tag == "td" and self._row is not None:
            self._row.append(Cell(text, element["links"]))

    def table(self, first_header):
        """The table whose first column is headed ``first_header``."""
        found = [table for table in self.tables if table.headers[:1] == [first_header]]
        assert found, f"no table headed {first_header!r}; tables: {[t.headers[:1] for t in self.tables]}"
        return found[0]

    def hrefs(self):
        return [attrs.get("href") for attrs, _text in self.links]

    def next_link(self, param):
        """The "Next" link of the pagination driven by ``param``, or None on the last page."""
        for attrs, _text in self.links:
            if attrs.get("rel") == "next" and attrs.get("data-next") == param:
                return attrs["href"]
        return None

    def hidden_inputs(self, form_action):
        return {
            control.attrs["name"]: control.attrs.get("value", "")
            for control in self.controls
            if control.form.get("action") == form_action and control.attrs.get("type") == "hidden"
        }

    def label_of(self, control_id):
        return [text for attrs, text in self.labels if attrs.get("for") == control_id]


def normalise(text):
    return " ".join(text.split())


def get(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, f"{url} {params}: {response.status_code}"
    return response


def page_of(client, url, params=None, status=200):
    return Page(get(client, url, params, status).content.decode())


def walk(client, path, params, param="page"):
    """Every page of a paginated list, following its "Next" links as a visitor does."""
    pages = [page_of(client, path, params)]
    followed = []
    while href := pages[-1].next_link(param):
        followed.append(parse_qs(urlsplit(href).query))
        assert len(pages) < 100, "pagination never ends"
        pages.append(page_of(client, path + href))
    return pages, followed


def query_string(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# What the database says, computed without the app's querysets.


def visible_interactions():
    return Interaction.objects.exclude(status=Interaction.Status.REJECTED)


@dataclass
class Facts:
    accession: str
    name: str
    gene_ids: list
    is_tf: bool
    is_target: bool
    interactions: int
    small_scale: bool

    @property
    def function(self):
        return FUNCTIONS[self.is_tf, self.is_target]


def facts_of_organism(taxon_id=None):
    """What the browse and search tables should say of each protein (of the organism, or of all)."""
    rows = list(visible_interactions().values_list("tf__accession", "target__accession", "small_scale"))
    tf_of = Counter(tf for tf, _target, _small in rows)
    target_of = Counter(target for _tf, target, _small in rows)
    small = {accession for tf, target, is_small in rows if is_small for accession in (tf, target)}
    return {
        protein.accession: Facts(
            accession=protein.accession,
            name=protein.gene_name,
            gene_ids=sorted(gene.gene_id for gene in protein.gene_ids.all()),
            is_tf=tf_of[protein.accession] > 0,
            is_target=target_of[protein.accession] > 0,
            interactions=tf_of[protein.accession] + target_of[protein.accession],
            small_scale=protein.accession in small,
        )
        for protein in (
            Protein.objects.filter(organism__taxon_id=taxon_id) if taxon_id else Protein.objects.all()
        ).prefetch_related("gene_ids")
    }


def partners(accession, side, **filters):
    """Accessions of the TFs (side "tfs") or targets of a protein, among visible interactions."""
    own, partner = ("target", "tf") if side == "tfs" else ("tf", "target")
    rows = visible_interactions().filter(**{f"{own}__accession": accession}, **filters)
    return set(rows.values_list(f"{partner}__accession", flat=True))


def set_status(tf, target, status):
    rows = Interaction.objects.filter(tf__accession=tf, target__accession=target)
    assert rows.update(status=status) == 1
    counts.interactions_changed(protein for pair in rows.values_list("tf_id", "target_id") for protein in pair)


# Synthetic pages, in the format yaml.dump gives real pages.


def protein_page(accession, name, targets, organism="Homo sapiens", body=""):
    """A page of a TF whose ``targets`` are (name, accession, gene id) rows."""
    rows = [
        f"{target_name},{target},{gene_id},GTRD;ReMap,chromatin immunoprecipitation assay,"
        f"{27924024 + number}%5Buid%5D,{'Yes' if number % 7 == 0 else 'No'}"
        for number, (target_name, target, gene_id) in enumerate(targets)
    ]
    return page_text(
        accession, name, organism=organism, gene_id="7157", count=str(len(rows)), targets="\n".join(rows), body=body
    )


def synthetic_accession(series, number):
    """A valid UniProt accession that no real page here uses: ``<series>9A000`` to ``<series>9Z999``."""
    return f"{series}9{chr(ord('A') + number // 1000)}{number % 1000:03d}"


def numbered_targets(series, count, name="T"):
    """``count`` targets with accessions of the ``series`` (W, X or Y) and distinct names and gene ids."""
    return [(f"{name}{number}", synthetic_accession(series, number), 900000 + number) for number in range(count)]


def import_page(tmp_path, accession, *args, **kwargs):
    path = tmp_path / f"{accession}.md"
    path.write_text(protein_page(accession, *args, **kwargs))
    report = import_pages([path])
    assert report.failures == []


# Home.


def test_home_shows_the_home_text_rendered_from_markdown(client):
    page = page_of(client, "/")

    assert "<strong>name</strong>" in page.html
    assert "**name**" not in page.text
    assert page.headings == [SitePage.objects.get(slug="home").title]


def test_home_lists_each_organism_with_its_proteins_and_interactions_linking_to_browse(client):
    page = page_of(client, "/")

    shown = {row[0].text: (row[0].links, row[1].text, row[2].text) for row in page.table("Organism").rows}
    expected = {
        organism.name: (
            [f"/browse/{organism.taxon_id}/"],
            str(Protein.objects.filter(organism=organism).count()),
            str(visible_interactions().filter(tf__organism=organism).count()),
        )
        for organism in Organism.objects.all()
    }
    assert shown == expected
    assert shown["Homo sapiens"][1:] == ("579", "614")


def test_home_still_opens_when_an_organism_has_no_taxon_id(client):
    Organism.objects.create(name="Mycoplasma genitalium")  # the taxon id is optional in the admin

    page = page_of(client, "/")

    assert "Mycoplasma genitalium" in page.table("Organism").column(0)


# Search.


@pytest.mark.parametrize("term", ["Q07812", "q07812", " q07812 "])
def test_search_by_exact_accession_in_any_case_opens_its_entry_page(client, term):
    response = get(client, "/search/", {"q": term}, status=302)

    assert response["Location"] == "/protein/Q07812/"


@pytest.mark.parametrize("term", ["BAX", "bax", "Bax"])
def test_search_by_a_unique_gene_name_in_any_case_opens_its_entry_page(client, term):
    response = get(client, "/search/", {"q": term}, status=302)

    assert response["Location"] == "/protein/Q07812/"


def test_search_by_a_unique_ncbi_gene_id_opens_its_entry_page(client):
    response = get(client, "/search/", {"q": "581"}, status=302)

    assert response["Location"] == "/protein/Q07812/"


def test_search_for_a_name_shared_by_several_proteins_lists_them_with_organism_and_function(client):
    page = page_of(client, "/search/", {"q": "myc"})

    expected = {
        protein.accession: protein
        for protein in Protein.objects.filter(gene_name__icontains="myc").select_related("organism")
    }
    facts = facts_of_organism()
    rows = {row[1].text: [cell.text for cell in row] for row in page.table("Gene name").rows}
    assert f"{len(expected)} proteins match “myc”." in page.text
    assert set(rows) == set(expected)
    assert {"P01108", "Q9W4S7"} <= set(rows)  # Myc of the mouse and Myc of the fly
    for accession, protein in expected.items():
        assert rows[accession][0] == protein.gene_name
        assert rows[accession][3] == protein.organism.name
        assert rows[accession][4] == facts[accession].function


def test_search_results_are_paginated_and_the_pages_keep_the_query(client):
    pages, followed = walk(client, "/search/", {"q": "a"})

    expected = {
        accession
        for accession, name in Protein.objects.values_list("accession", "gene_name")
        if "a" in name.lower() or accession.lower() == "a"
    }
    shown = [accession for page in pages for accession in page.table("Gene name").column(1)]
    assert len(expected) > 2 * PER_PAGE
    assert f"{len(expected)} proteins match “a”." in pages[0].text
    assert len(shown) == len(set(shown))
    assert set(shown) == expected
    assert [len(page.table("Gene name").rows) for page in pages[:-1]] == [PER_PAGE] * (len(pages) - 1)
    assert all(query["q"] == ["a"] for query in followed)


@pytest.mark.parametrize("url", ["/search/", "/search/?q=", "/search/?q=%20%20"])
def test_search_without_a_query_shows_no_results_and_no_error(client, url):
    page = page_of(client, url)

    assert page.tables == []
    assert "match" not in page.text
    assert "error" not in page.text.lower()


def test_search_without_a_match_says_0_proteins(client):
    page = page_of(client, "/search/", {"q": "nosuchgene"})

    assert "0 proteins match “nosuchgene”." in page.text
    assert page.tables == []


@pytest.mark.parametrize("term", ["99999999999999999999", "nul\x00byte", "%", "_", "'", "x" * 2000])
def test_search_for_odd_input_answers_normally_never_a_server_error(client, term):
    page = page_of(client, "/search/", {"q": term})

    assert "proteins match" in page.text or "protein match" in page.text


# Browse.


def test_browse_lists_the_proteins_of_the_organism_with_their_facts(client):
    page = page_of(client, "/browse/10116/")

    expected = facts_of_organism(10116)
    table = page.table("Gene name")
    assert table.headers == ["Gene name", "UniProt", "NCBI Gene", "Function", "Interactions"]
    assert page.headings == ["Proteins of Rattus norvegicus"]
    assert f"{len(expected)} proteins." in page.text
    shown = {row[1].text: [cell.text for cell in row] for row in table.rows}
    assert shown == {
        accession: [
            facts.name or "-",
            accession,
            "; ".join(map(str, facts.gene_ids)) or "-",
            facts.function,
            str(facts.interactions),
        ]
        for accession, facts in expected.items()
    }
    assert {row[1].text: row[0].links for row in table.rows}["D4A8X6"] == ["/protein/D4A8X6/"]


BROWSE_FILTERS = {
    "name": ({"name": "th"}, lambda facts: "th" in facts.name.lower()),
    "accession": ({"accession": "p"}, lambda facts: facts.accession.startswith("P")),
    "gene id": ({"gene_id": "54254"}, lambda facts: 54254 in facts.gene_ids),
    "function tf": ({"function": "tf"}, lambda facts: facts.is_tf),
    "function target": ({"function": "target"}, lambda facts: facts.is_target),
    "function both": ({"function": "both"}, lambda facts: facts.is_tf and facts.is_target),
    "small-scale yes": ({"small_scale": "true"}, lambda facts: facts.small_scale),
    "small-scale no": ({"small_scale": "false"}, lambda facts: not facts.small_scale),
    "combined": (
        {"function": "tf", "small_scale": "true", "name": "th"},
        lambda facts: facts.is_tf and facts.small_scale and "th" in facts.name.lower(),
    ),
}


@pytest.mark.parametrize("name", BROWSE_FILTERS)
def test_browse_filters_select_exactly_the_matching_proteins(client, name):
    params, matches = BROWSE_FILTERS[name]

    page = page_of(client, "/browse/10116/", params)

    every = facts_of_organism(10116)
    expected = {accession for accession, facts in every.items() if matches(facts)}
    assert 0 < len(expected) < len(every)
    assert set(page.table("Gene name").column(1)) == expected
    assert f"{len(expected)} protein{'s' if len(expected) > 1 else ''}." in page.text


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("name", lambda facts: (facts.name, facts.accession), False),
        ("-name", lambda facts: (facts.name, facts.accession), True),
        ("accession", lambda facts: facts.accession, False),
    ],
)
def test_browse_sorts_by_name_and_accession(client, sort, key, reverse):
    page = page_of(client, "/browse/10116/", {"sort": sort})

    expected = sorted(facts_of_organism(10116).values(), key=key, reverse=reverse)
    assert page.table("Gene name").column(1) == [facts.accession for facts in expected]


def test_browse_sorts_by_number_of_interactions_most_first(client):
    page = page_of(client, "/browse/10116/", {"sort": "-interactions"})

    counts = [int(count) for count in page.table("Gene name").column(4)]
    assert counts == sorted(counts, reverse=True)
    assert set(page.table("Gene name").column(1)) == set(facts_of_organism(10116))
    assert page.table("Gene name").column(1)[:2] == ["P63059", "P46152"]


def test_browse_pages_keep_the_filters_and_reach_every_matching_protein(client):
    pages, followed = walk(client, "/browse/9606/", {"function": "tf", "sort": "accession"})

    expected = {accession for accession, facts in facts_of_organism(9606).items() if facts.is_tf}
    shown = [accession for page in pages for accession in page.table("Gene name").column(1)]
    assert len(pages) == -(-len(expected) // PER_PAGE) > 1
    assert shown == sorted(expected)
    assert all(query["function"] == ["tf"] and query["sort"] == ["accession"] for query in followed)


@pytest.mark.parametrize("sort", ["-interactions", "interactions", "name"])
def test_browse_pages_show_every_protein_exactly_once_whatever_the_sort(client, sort):
    pages, _followed = walk(client, "/browse/9606/", {"sort": sort})

    shown = [accession for page in pages for accession in page.table("Gene name").column(1)]
    duplicates = sorted(accession for accession, times in Counter(shown).items() if times > 1)
    missing = sorted(set(facts_of_organism(9606)) - set(shown))
    assert (len(duplicates), len(missing)) == (0, 0), f"shown twice: {duplicates}; never shown: {missing}"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"gene_id": "abc"}, "Enter a number."),
        ({"gene_id": "-1"}, "greater than or equal to 0"),
        ({"function": "everything"}, "Select a valid choice."),
        ({"sort": "colour"}, "Select a valid choice."),
        ({"name": "nul\x00byte"}, "Null characters are not allowed."),
    ],
)
def test_browse_with_a_bad_filter_value_shows_the_error_instead_of_failing(client, params, message):
    page = page_of(client, "/browse/10116/", params)

    assert message in page.text
    assert page.headings == ["Proteins of Rattus norvegicus"]


@pytest.mark.parametrize("gene_id", ["99999999999999999999", "1.5", "1e400"])
def test_browse_with_an_out_of_range_gene_id_answers_normally(client, gene_id):
    page = page_of(client, "/browse/10116/", {"gene_id": gene_id})

    assert page.headings == ["Proteins of Rattus norvegicus"]
    assert page.table("Gene name").rows == []


def test_browse_filters_are_labelled_by_what_they_filter(client):
    page = page_of(client, "/browse/10116/")

    filters = [control for control in page.controls if control.form.get("aria-label") == "Filter proteins"]
    labels = {control.attrs["name"]: page.label_of(control.attrs["id"]) for control in filters}
    assert labels == {
        "name": ["Gene name:"],
        "accession": ["UniProt accession:"],
        "gene_id": ["NCBI Gene id:"],
        "function": ["Function:"],
        "small_scale": ["Small-scale evidence:"],
        "sort": ["Sort by:"],
    }


def test_browse_of_an_unknown_organism_is_not_found(client):
    get(client, "/browse/12345/", status=404)


# Entry page.


def test_entry_page_lower_case_accession_redirects_permanently(client):
    response = get(client, "/protein/q07812/", status=301)

    assert response["Location"] == "/protein/Q07812/"


def test_entry_page_redirect_keeps_the_table_state_in_the_query_string(client):
    response = get(client, "/protein/q07812/", {"tfs-page": "3", "tfs-sort": "accession"}, status=301)

    assert response["Location"] == "/protein/Q07812/?tfs-page=3&tfs-sort=accession"


def test_entry_page_of_an_unknown_accession_is_not_found_and_says_why(client):
    page = page_of(client, "/protein/A0A000/", status=404)

    assert page.headings == ["Not found"]
    assert "No protein with the UniProt accession A0A000." in page.text
    assert {"href": "/"} in [attrs for attrs, text in page.links if text == "Search the portal"]


def test_entry_page_shows_the_protein_and_both_interaction_counts(client):
    page = page_of(client, "/protein/Q07812/")

    assert page.headings == ["BAX Q07812"]
    assert page.facts["Organism"] == "Homo sapiens (taxon 9606)"
    assert page.facts["UniProt"] == "Q07812"
    assert page.facts["NCBI Gene"] == "581"
    assert page.facts["Function"] == "target gene"
    assert page.facts["Interactions"] == "571 held here; the source reports 571"
    assert "https://www.uniprot.org/uniprotkb/Q07812/entry" in page.hrefs()
    assert "https://www.ncbi.nlm.nih.gov/gene/581" in page.hrefs()
    assert "/protein/Q07812/tfs.tsv" in page.hrefs()


def test_entry_page_of_a_tf_that_is_also_a_target_says_both(client):
    page = page_of(client, "/protein/P46152/")

    assert page.facts["Function"] == "transcription factor and target gene"
    assert page.facts["Interactions"] == "6 held here; the source reports 6"
    assert {"/protein/P46152/tfs.tsv", "/protein/P46152/targets.tsv"} <= set(page.hrefs())


def test_orthologs_link_to_their_page_here_when_the_portal_has_it_and_to_uniprot_otherwise(client):
    page = page_of(client, "/protein/Q07812/")

    links = {text: attrs["href"] for attrs, text in page.links}
    assert links["Q9I9N4"] == "/protein/Q9I9N4/"
    assert links["Q07813"] == "https://www.uniprot.org/uniprotkb/Q07813/entry"
    assert "Danio rerio" in page.facts["Orthologs"]


def test_every_tf_of_bax_is_reachable_through_the_pages_of_its_table(client):
    pages, followed = walk(client, "/protein/Q07812/", {}, param="tfs-page")

    sizes = [len(page.table("Transcription factor").rows) for page in pages]
    shown = [accession for page in pages for accession in page.table("Transcription factor").column(1)]
    assert "Transcription factors of BAX (571)" in pages[0].subheadings
    assert sizes == [PER_PAGE] * 11 + [21]
    assert len(set(shown)) == 571
    assert set(shown) == partners("Q07812", "tfs")
    assert [query["tfs-page"] for query in followed] == [[str(number)] for number in range(2, 13)]
    assert len(page_of(client, "/protein/Q07812/", {"tfs-page": "12"}).table("Transcription factor").rows) == 21


PARTNER_FILTERS = {
    "source": ({"tfs-source": "TRRUST"}, {"source_databases__name": "TRRUST"}),
    "large source": ({"tfs-source": "GTRD"}, {"source_databases__name": "GTRD"}),
    "method": ({"tfs-method": "inferred by curator"}, {"detection_methods__name": "inferred by curator"}),
    "small-scale": ({"tfs-small_scale": "1"}, {"small_scale": True}),
    "combined": (
        {"tfs-source": "ReMap", "tfs-method": "chromatin immunoprecipitation assay", "tfs-small_scale": "1"},
        {
            "source_databases__name": "ReMap",
            "detection_methods__name": "chromatin immunoprecipitation assay",
            "small_scale": True,
        },
    ),
}


@pytest.mark.parametrize("name", PARTNER_FILTERS)
def test_partner_table_filters_show_exactly_the_matching_interactions(client, name):
    params, lookups = PARTNER_FILTERS[name]

    pages, followed = walk(client, "/protein/Q07812/", params, param="tfs-page")

    expected = partners("Q07812", "tfs", **lookups)
    shown = [accession for page in pages for accession in page.table("Transcription factor").column(1)]
    assert 0 < len(expected) < 571
    assert f"{len(expected)} of 571 shown by these filters." in pages[0].text
    assert len(shown) == len(expected)
    assert set(shown) == expected
    assert all(params.items() <= {key: values[0] for key, values in query.items()}.items() for query in followed)


PARTNER_SORTS = {
    "name": (lambda row: (row["name"], row["accession"]), False),
    "-name": (lambda row: (row["name"], row["accession"]), True),
    "accession": (lambda row: row["accession"], False),
    "small_scale": (lambda row: (not row["small_scale"], row["name"], row["accession"]), False),
    "status": (lambda row: (row["status"], row["name"], row["accession"]), False),
}


@pytest.mark.parametrize("sort", PARTNER_SORTS)
def test_partner_table_sorts_every_page_of_rows(client, sort):
    for tf in ("Q9GZV5", "P04198"):
        set_status(tf, "Q07812", "flagged")
    set_status("P37231", "Q07812", "approved")
    key, reverse = PARTNER_SORTS[sort]

    pages, _followed = walk(client, "/protein/Q07812/", {"tfs-sort": sort}, param="tfs-page")

    rows = visible_interactions().filter(target__accession="Q07812")
    expected = sorted(
        rows.values("small_scale", "status", name=F("tf__gene_name"), accession=F("tf__accession")),
        key=key,
        reverse=reverse,
    )
    shown = [accession for page in pages for accession in page.table("Transcription factor").column(1)]
    assert shown == [row["accession"] for row in expected]


def test_filtering_one_partner_table_keeps_the_other_tables_state(client):
    params = {"targets-page": "2", "targets-sort": "-name", "tfs-source": "GTRD", "tfs-sort": "accession"}

    page = page_of(client, "/protein/O01789/", params)

    assert page.hidden_inputs("#tfs") == {"targets-page": "2", "targets-sort": "-name"}
    assert page.hidden_inputs("#targets") == {"tfs-source": "GTRD", "tfs-sort": "accession"}
    targets = sorted(
        visible_interactions().filter(tf__accession="O01789").values_list("target__gene_name", "target__accession"),
        reverse=True,
    )
    assert page.table("Target").column(1) == [accession for _name, accession in targets[PER_PAGE : 2 * PER_PAGE]]
    assert page.table("Transcription factor").column(1) == sorted(partners("O01789", "tfs"))
    assert query_string(page.next_link("targets-page")) == {**params, "targets-page": "3"}


def test_each_partner_row_links_the_partner_and_the_interaction(client):
    page = page_of(client, "/protein/P46152/")

    tfs = page.table("Transcription factor").rows
    assert {(*row[0].links, *row[1].links, *row[-1].links) for row in tfs} == {
        (f"/protein/{tf}/", f"/protein/{tf}/", f"/interaction/{tf}/P46152/") for tf in partners("P46152", "tfs")
    }
    [target] = page.table("Target").rows
    assert [link for cell in target for link in cell.links] == [
        "/protein/G3V885/",
        "/protein/G3V885/",
        "https://pubmed.ncbi.nlm.nih.gov/8007990/",
        "https://pubmed.ncbi.nlm.nih.gov/26578589/",
        "/interaction/P46152/G3V885/",
    ]
    for link in (tfs[0][0].links[0], tfs[0][-1].links[0], target[-1].links[0]):
        get(client, link)


def test_binding_sites_link_to_the_ucsc_genome_browser_and_show_their_sequence(client):
    page = page_of(client, "/protein/P46152/")

    sites = {row[0].text: row for row in page.table("TFLink id").rows}
    assert set(sites) == {"TFLinkSS10035817", "TFLinkSS10035818"}
    first = sites["TFLinkSS10035817"]
    assert first[2].text == "chr15:33630443-33630447"
    assert first[2].links == ["https://genome.ucsc.edu/cgi-bin/hgTracks?db=rn6&position=chr15:33630443-33630447"]
    assert first[4].text == "GATG"
    assert sites["TFLinkSS10035818"][4].text == "GATAG"


@pytest.mark.parametrize(
    "params",
    [
        {"tfs-page": "abc"},
        {"tfs-page": "99999"},
        {"tfs-sort": "colour"},
        {"tfs-source": "no such source"},
        {"tfs-source": "nul\x00byte"},
        {"tfs-method": "nul\x00byte"},
    ],
)
def test_entry_page_answers_normally_to_odd_table_parameters(client, params):
    page = page_of(client, "/protein/Q07812/", params)

    assert page.headings == ["BAX Q07812"]
    assert "Transcription factors of BAX (571)" in page.subheadings


# Interaction page.


def test_interaction_page_shows_the_evidence_with_pubmed_links(client):
    page = page_of(client, "/interaction/P46152/G3V885/")

    assert page.headings == ["Gata4 → Myh6"]
    assert page.facts["Transcription factor"] == "Gata4 (P46152), Rattus norvegicus"
    assert page.facts["Target"] == "Myh6 (G3V885), Rattus norvegicus"
    assert page.facts["Source databases"] == "ORegAnno"
    assert page.facts["Detection methods"] == "inferred by curator"
    assert page.facts["Publications"] == "PMID 8007990, PMID 26578589"
    assert page.facts["Small-scale evidence"] == "Yes"
    assert page.facts["Curation status"] == "unreviewed"
    assert {"https://pubmed.ncbi.nlm.nih.gov/8007990/", "https://pubmed.ncbi.nlm.nih.gov/26578589/"} <= set(
        page.hrefs()
    )
    assert {"/protein/P46152/", "/protein/G3V885/"} <= set(page.hrefs())


@pytest.mark.parametrize("url", ["/interaction/p46152/g3v885/", "/interaction/P46152/g3v885/"])
def test_interaction_page_lower_case_accessions_redirect_permanently(client, url):
    response = get(client, url, status=301)

    assert response["Location"] == "/interaction/P46152/G3V885/"


def test_interaction_page_of_a_pair_that_does_not_interact_is_not_found(client):
    get(client, "/interaction/G3V885/P46152/", status=404)


def test_flagged_interaction_is_marked_under_review_on_its_page_and_in_both_tables(client):
    set_status("P46152", "G3V885", "flagged")

    page = page_of(client, "/interaction/P46152/G3V885/")
    target_page = page_of(client, "/protein/G3V885/")
    tf_page = page_of(client, "/protein/P46152/")

    assert "under review" in page.headings[0]
    assert "This interaction is under review" in page.text
    marked = {row[1].text for row in target_page.table("Transcription factor").rows if "under review" in row[-1].text}
    assert marked == {"P46152"}
    assert len(target_page.table("Transcription factor").rows) == 3
    [row] = tf_page.table("Target").rows
    assert "under review" in row[-1].text


def test_rejected_interaction_is_withdrawn_from_every_public_page(client):
    set_status("P46152", "G3V885", "rejected")

    get(client, "/interaction/P46152/G3V885/", status=404)
    target_page = page_of(client, "/protein/G3V885/")
    assert "P46152" not in target_page.table("Transcription factor").column(1)
    assert "Transcription factors of Myh6 (2)" in target_page.subheadings
    assert target_page.facts["Interactions"] == "2 held here; the source reports 3"
    tf_page = page_of(client, "/protein/P46152/")
    assert "Targets of Gata4 (0)" in tf_page.subheadings
    assert tf_page.facts["Function"] == "target gene"
    assert tf_page.facts["Interactions"].startswith("5 held here")
    for accession in ("P46152", "G3V885"):
        edges = get(client, f"/protein/{accession}/network.json").json()["edges"]
        assert ("P46152", "G3V885") not in {(edge["source"], edge["target"]) for edge in edges}
    browse = {row[1].text: row for row in page_of(client, "/browse/10116/").table("Gene name").rows}
    assert (browse["P46152"][3].text, browse["P46152"][4].text) == ("target gene", "5")
    assert browse["G3V885"][4].text == "2"
    assert "P46152" not in page_of(client, "/browse/10116/", {"function": "tf"}).table("Gene name").column(1)
    assert "P46152" not in page_of(client, "/browse/10116/", {"small_scale": "true"}).table("Gene name").column(1)
    found = {row[1].text: row[4].text for row in page_of(client, "/search/", {"q": "gata"}).table("Gene name").rows}
    assert found["P46152"] == "target gene"
    home = {row[0].text: row[2].text for row in page_of(client, "/").table("Organism").rows}
    assert home["Rattus norvegicus"] == "13"


# Network data.


def test_network_nodes_are_keyed_by_accession_so_namesakes_are_two_nodes(client, tmp_path):
    import_page(tmp_path, "Z9A001", "HUB", [("TWIN", "Y9A001", 1), ("TWIN", "Y9A002", 2)])

    data = get(client, "/protein/Z9A001/network.json").json()

    assert sorted((node["id"], node["label"]) for node in data["nodes"]) == [
        ("Y9A001", "TWIN"),
        ("Y9A002", "TWIN"),
        ("Z9A001", "HUB"),
    ]


def test_network_marks_the_centre_and_points_edges_from_tf_to_target(client):
    data = get(client, "/protein/P46152/network.json").json()

    assert [node["id"] for node in data["nodes"] if node["center"]] == ["P46152"]
    assert {(edge["source"], edge["target"]) for edge in data["edges"]} == {
        *((tf, "P46152") for tf in partners("P46152", "tfs")),
        ("P46152", "G3V885"),
    }
    assert {node["id"] for node in data["nodes"]} == {"P46152", "G3V885", *partners("P46152", "tfs")}
    assert (data["total"], data["shown"]) == (6, 6)


def test_network_limit_caps_the_edges_and_total_gives_the_full_number(client):
    capped = get(client, "/protein/Q07812/network.json", {"limit": "10"}).json()
    default = get(client, "/protein/Q07812/network.json").json()

    assert (len(capped["edges"]), capped["shown"], capped["total"]) == (10, 10, 571)
    assert len(capped["nodes"]) == 11
    assert {edge["target"] for edge in capped["edges"]} == {"Q07812"}
    assert {edge["source"] for edge in capped["edges"]} <= partners("Q07812", "tfs")
    assert (len(default["edges"]), default["total"]) == (100, 571)


@pytest.mark.parametrize(("limit", "shown"), [("0", 1), ("-5", 1), ("1", 1), ("571", 571)])
def test_network_limit_below_one_is_raised_to_one(client, limit, shown):
    data = get(client, "/protein/Q07812/network.json", {"limit": limit}).json()

    assert (len(data["edges"]), data["total"]) == (shown, 571)


def test_network_limit_above_2000_is_lowered_to_2000(client, tmp_path):
    import_page(tmp_path, "Z9A002", "HUB", numbered_targets("X", 2001))

    data = get(client, "/protein/Z9A002/network.json", {"limit": "5000"}).json()

    assert (len(data["edges"]), data["shown"], data["total"]) == (2000, 2000, 2001)


@pytest.mark.parametrize("limit", ["abc", "1.5", "ten"])
def test_network_non_numeric_limit_is_a_400_json_error(client, limit):
    response = get(client, "/protein/Q07812/network.json", {"limit": limit}, status=400)

    assert response["Content-Type"] == "application/json"
    assert "limit" in response.json()["error"]


def test_network_of_an_unknown_accession_is_not_found(client):
    get(client, "/protein/A0A000/network.json", status=404)


# Content pages.


@pytest.mark.parametrize(
    ("slug", "title", "rendered"),
    [
        ("about", "About", "<p>This portal turns TFLink"),
        ("faq", "FAQ", "<strong>Why does a protein show more interactions than its TFLink page?</strong>"),
        ("cite", "How to cite", "<em>Database</em>"),
        ("download-help", "Download help", "<li><strong>TSV</strong>: one interaction a line.</li>"),
    ],
)
def test_content_pages_show_their_markdown_rendered(client, slug, title, rendered):
    page = page_of(client, f"/pages/{slug}/")

    assert page.headings == [title]
    assert rendered in page.html
    assert f"/pages/{slug}/" in page.hrefs()  # in the menu


def test_content_page_never_runs_html_or_javascript_links_written_in_its_body(client):
    SitePage.objects.filter(slug="about").update(
        body='Hello <script>alert(1)</script>\n\n[x](javascript:alert(1)) <a href="javascript:alert(2)">y</a>'
    )

    page = page_of(client, "/pages/about/")

    assert "<script>alert" not in page.html
    assert [attrs for tag, attrs in page.elements if tag == "script"] == []
    assert [href for href in page.hrefs() if href and href.strip().lower().startswith("javascript:")] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html


def test_a_content_page_taken_out_of_the_menu_leaves_it_at_once(client):
    assert "/pages/about/" in page_of(client, "/").hrefs()  # the menu, now cached
    about = SitePage.objects.get(slug="about")

    about.in_menu = False
    about.save()

    assert "/pages/about/" not in page_of(client, "/").hrefs()


def test_unknown_content_page_is_not_found(client):
    get(client, "/pages/no-such-page/", status=404)


def test_home_content_page_address_redirects_to_the_home_page(client):
    response = get(client, "/pages/home/", status=302)

    assert response["Location"] == "/"


# Imported text is data, never markup.

SCRIPT_NAME = "<script>alert(1)</script>"
IMAGE_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture
def hostile_page(tmp_path):
    """A TF named with a script tag, whose target is named with an image tag, with raw HTML in its body."""
    body = (
        'Some **bold** text <b onclick="alert(2)">b</b>\n\n<script>alert(3)</script>\n<img src=x onerror="alert(4)">\n'
    )
    import_page(tmp_path, "Z9A003", SCRIPT_NAME, [(IMAGE_NAME, "Y9A004", 4)], body=body)


def assert_escaped(html):
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b onclick" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x onerror=alert(1)&gt;" in html


def test_entry_page_shows_imported_markup_as_text(client, hostile_page):
    page = page_of(client, "/protein/Z9A003/")

    assert_escaped(page.html)
    assert page.headings == [f"{SCRIPT_NAME} Z9A003"]
    assert page.table("Target").column(0) == [IMAGE_NAME]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page.html
    assert "<strong>bold</strong>" in page.html


def test_partner_page_shows_the_imported_tf_name_as_text(client, hostile_page):
    page = page_of(client, "/protein/Y9A004/")

    assert_escaped(page.html)
    assert page.table("Transcription factor").column(0) == [SCRIPT_NAME]
    assert page.headings == [f"{IMAGE_NAME} Y9A004"]


def test_search_results_show_imported_markup_as_text(client, hostile_page):
    page = page_of(client, "/search/", {"q": "alert"})

    assert_escaped(page.html)
    assert sorted(page.table("Gene name").column(0)) == sorted([SCRIPT_NAME, IMAGE_NAME])


def test_browse_table_shows_imported_markup_as_text(client, hostile_page):
    page = page_of(client, "/browse/9606/", {"name": "alert"})

    assert_escaped(page.html)
    assert sorted(page.table("Gene name").column(0)) == sorted([SCRIPT_NAME, IMAGE_NAME])


def test_interaction_page_shows_imported_markup_as_text(client, hostile_page):
    page = page_of(client, "/interaction/Z9A003/Y9A004/")

    assert_escaped(page.html)
    assert page.headings == [f"{SCRIPT_NAME} → {IMAGE_NAME}"]


def test_network_labels_are_plain_json_strings(client, hostile_page):
    response = get(client, "/protein/Z9A003/network.json")

    assert response["Content-Type"] == "application/json"
    labels = {node["id"]: node["label"] for node in json.loads(response.content)["nodes"]}
    assert labels == {"Z9A003": SCRIPT_NAME, "Y9A004": IMAGE_NAME}


# Cost: the queries of a page do not grow with the rows behind it.


def queries_of(client, url, params=None):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        get(client, url, params)
    return len(queries)


def test_entry_page_queries_do_not_grow_with_the_number_of_targets(client, tmp_path, django_assert_num_queries):
    import_page(tmp_path, "Z9A010", "SMALL", numbered_targets("W", 10))
    import_page(tmp_path, "Z9A011", "LARGE", numbered_targets("X", 1000))
    few = queries_of(client, "/protein/Z9A010/")

    cache.clear()
    with django_assert_num_queries(few):
        page = page_of(client, "/protein/Z9A011/", {"targets-page": "3"})

    assert len(page.table("Target").rows) == PER_PAGE


def test_network_queries_do_not_grow_with_the_number_of_partners(client, tmp_path, django_assert_num_queries):
    import_page(tmp_path, "Z9A010", "SMALL", numbered_targets("W", 10))
    import_page(tmp_path, "Z9A011", "LARGE", numbered_targets("X", 1000))
    few = queries_of(client, "/protein/Z9A010/network.json", {"limit": "2000"})

    cache.clear()
    with django_assert_num_queries(few):
        get(client, "/protein/Z9A011/network.json", {"limit": "2000"})


def test_browse_queries_do_not_grow_with_the_number_of_proteins(client, tmp_path, django_assert_num_queries):
    Organism.objects.create(name="Xenopus laevis", taxon_id=8355)
    Organism.objects.create(name="Arabidopsis thaliana", taxon_id=3702)
    import_page(tmp_path, "Z9A012", "SMALL", numbered_targets("W", 9), organism="Xenopus laevis")
    import_page(tmp_path, "Z9A013", "LARGE", numbered_targets("X", 199), organism="Arabidopsis thaliana")
    few = queries_of(client, "/browse/8355/")

    cache.clear()
    with django_assert_num_queries(few):
        page = page_of(client, "/browse/3702/", {"page": "2"})

    assert "200 proteins." in page.text
    assert len(page.table("Gene name").rows) == PER_PAGE


def test_search_queries_do_not_grow_with_the_number_of_results(client, tmp_path, django_assert_num_queries):
    import_page(tmp_path, "Z9A014", "SMALLSET-TF", numbered_targets("W", 9, name="SMALLSET"))
    import_page(tmp_path, "Z9A015", "LARGESET-TF", numbered_targets("X", 199, name="LARGESET"))
    few = queries_of(client, "/search/", {"q": "smallset"})

    cache.clear()
    with django_assert_num_queries(few):
        page = page_of(client, "/search/", {"q": "largeset", "page": "2"})

    assert "200 proteins match" in page.text
    assert len(page.table("Gene name").rows) == PER_PAGE


# Every page: one heading, labelled fields, only local assets.

PUBLIC_URLS = [
    "/",
    "/search/",
    "/search/?q=myc",
    "/search/?q=nosuchgene",
    "/browse/9606/",
    "/browse/10116/?gene_id=abc",
    "/protein/Q07812/",
    "/protein/P46152/",
    "/protein/P87012/",
    "/interaction/P46152/G3V885/",
    "/pages/about/",
    "/pages/faq/",
    "/pages/cite/",
    "/pages/download-help/",
    "/protein/A0A000/",
    "/browse/12345/",
]


def every_public_page(client):
    for url in PUBLIC_URLS:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        yield url, Page(response.content.decode())


def test_every_page_has_exactly_one_h1(client):
    headings = {url: page.headings for url, page in every_public_page(client)}

    assert {url: found for url, found in headings.items() if len(found) != 1} == {}


def test_every_search_field_and_form_field_has_a_label(client):
    unlabelled = {}
    search_fields = 0
    for url, page in every_public_page(client):
        labelled_ids = {attrs.get("for") for attrs, text in page.labels if text}
        for control in page.controls:
            if control.attrs.get("type") in ("hidden", "submit", "button"):
                continue
            search_fields += control.attrs.get("type") == "search"
            if not (control.in_label or control.attrs.get("id") in labelled_ids or control.attrs.get("aria-label")):
                unlabelled.setdefault(url, []).append(control.attrs.get("name") or control.attrs.get("id"))

    assert unlabelled == {}
    assert search_fields >= len(PUBLIC_URLS)  # the header's search field at least, on every page


def test_pages_load_no_external_assets(client):
    external = {}
    for url, page in every_public_page(client):
        for tag, attrs in page.elements:
            source = attrs.get("src") if tag == "script" else attrs.get("href") if tag == "link" else None
            if source and ("http" in source or source.startswith("//")):
                external.setdefault(url, []).append(source)

    assert external == {}


# Binding sites without a genome location, unknown strands, encoded genome-browser links.


def test_entry_page_shows_a_site_without_a_location_as_in_vitro_without_a_genome_browser_link(client, tmp_path):
    import_pages([write_page(tmp_path, page_text(binding_sites=f"{IN_VITRO_SITE}\n{LOCATED_SITE}"))])

    page = page_of(client, "/protein/Q21446/")

    sites = {row[0].text: row for row in page.table("TFLink id").rows}
    in_vitro, located = sites["TFLinkLS04951731"], sites["TFLinkLS04951732"]
    assert [cell.text for cell in in_vitro[:4]] == [
        "TFLinkLS04951731",
        "-",
        "no genomic location (in vitro)",
        "unknown",
    ]
    assert [link for cell in in_vitro[:5] for link in cell.links] == []
    assert located[2].text == "chrX:5716076-5716086"
    assert located[2].links == ["https://genome.ucsc.edu/cgi-bin/hgTracks?db=ce11&position=chrX:5716076-5716086"]
    assert "/protein/Q21446/binding-sites.tsv" in page.hrefs()


def test_entry_page_shows_a_dash_strand_beside_a_location_as_unknown(client):
    page = page_of(client, "/protein/P63059/")

    [site] = page.table("TFLink id").rows
    assert (site[0].text, site[2].text, site[3].text) == ("TFLinkSS10035819", "chr15:33630318-33630355", "unknown")


def test_genome_browser_link_keeps_an_assembly_with_query_characters_inside_db(client):
    site = BindingSite.objects.get(tflink_id="TFLinkSS10035817")
    site.assembly = "hg38&x=<y>"
    site.save()

    page = page_of(client, "/protein/P46152/")

    row = next(row for row in page.table("TFLink id").rows if row[0].text == "TFLinkSS10035817")
    [link] = row[2].links
    assert link.startswith("https://genome.ucsc.edu/cgi-bin/hgTracks?")
    assert parse_qs(urlsplit(link).query) == {"db": ["hg38&x=<y>"], "position": ["chr15:33630443-33630447"]}


def test_entry_page_table_filters_take_a_source_or_method_in_any_case(client):
    lower = page_of(client, "/protein/P46152/", {"targets-source": "oregANNO", "targets-method": "INFERRED BY CURATOR"})

    [row] = lower.table("Target").rows
    assert row[1].text == "G3V885"


# Mode of regulation and confidence.

MODES = ["activation", "repression", "dual", "unknown"]
DECISIONS = {"activation": "reviewer", "repression": "publications", "dual": "source_table", "unknown": "unknown"}


def spread_grades():
    """Every interaction a mode and a confidence level, spread by id (as grading would store them)."""
    for number, pk in enumerate(Interaction.objects.order_by("pk").values_list("pk", flat=True)):
        mode = MODES[number % 4]
        Interaction.objects.filter(pk=pk).update(
            mode=mode, mode_decision=DECISIONS[mode], confidence="ABCDE"[number % 5]
        )


GRADE_FILTERS = {
    "one mode": ({"tfs-mode": "repression"}, {"mode__in": ["repression"]}),
    "modes repeated": ({"tfs-mode": ["activation", "dual"]}, {"mode__in": ["activation", "dual"]}),
    "modes comma-separated": ({"tfs-mode": "activation,dual"}, {"mode__in": ["activation", "dual"]}),
    "confidences repeated": ({"tfs-confidence": ["A", "B"]}, {"confidence__in": ["A", "B"]}),
    "confidences comma-separated": ({"tfs-confidence": "A,B"}, {"confidence__in": ["A", "B"]}),
    "mode and confidence": (
        {"tfs-mode": "unknown", "tfs-confidence": "E", "tfs-source": "GTRD"},
        {"mode": "unknown", "confidence": "E", "source_databases__name": "GTRD"},
    ),
}


@pytest.mark.parametrize("name", GRADE_FILTERS)
def test_partner_table_filters_by_mode_and_confidence_show_exactly_the_matching_rows(client, name):
    spread_grades()
    params, lookups = GRADE_FILTERS[name]

    pages, followed = walk(client, "/protein/Q07812/", params, param="tfs-page")

    expected = partners("Q07812", "tfs", **lookups)
    shown = [accession for page in pages for accession in page.table("Transcription factor").column(1)]
    assert 0 < len(expected) < 571
    assert f"{len(expected)} of 571 shown by these filters." in pages[0].text
    assert sorted(shown) == sorted(expected)
    for query in followed:  # the next pages keep every value of the filters
        assert {key: query[key] for key in params} == {
            key: value if isinstance(value, list) else [value] for key, value in params.items()
        }


def test_partner_table_filter_form_ticks_the_chosen_modes_and_levels(client):
    page = page_of(client, "/protein/Q07812/", {"tfs-mode": "activation,dual", "tfs-confidence": ["B", "nonsense"]})

    ticked = {
        (control.attrs["name"], control.attrs["value"])
        for control in page.controls
        if control.attrs.get("type") == "checkbox" and "checked" in control.attrs
    }
    assert ticked == {("tfs-mode", "activation"), ("tfs-mode", "dual"), ("tfs-confidence", "B")}


def test_partner_rows_show_the_mode_and_confidence_with_what_they_mean(client):
    spread_grades()
    grades = {
        tf: (mode, confidence)
        for tf, mode, confidence in visible_interactions()
        .filter(target__accession="G3V885")
        .values_list("tf__accession", "mode", "confidence")
    }

    page = page_of(client, "/protein/G3V885/")

    table = page.table("Transcription factor")
    assert table.headers[7:10] == ["Mode", "Confidence", "Evidence"]
    assert {row[1].text: (row[7].text, row[8].text) for row in table.rows} == grades
    cells = [attrs for tag, attrs in page.elements if tag == "td" and attrs.get("class", "").startswith("mode ")]
    assert {attrs["title"] for attrs in cells} <= {f"Decided by: {label}" for label in ModeDecision.labels}
    levels = {attrs["title"] for tag, attrs in page.elements if tag == "td" and attrs.get("class") == "confidence"}
    assert levels <= {level.meaning for level in grading.CONFIDENCE_LEVELS}
    assert levels


def test_partner_table_sorts_by_confidence_most_trusted_first(client):
    spread_grades()

    pages, _followed = walk(client, "/protein/Q07812/", {"tfs-sort": "confidence"}, param="tfs-page")

    rows = visible_interactions().filter(target__accession="Q07812")
    expected = sorted(rows.values_list("confidence", "tf__gene_name", "tf__accession"))
    assert [accession for page in pages for accession in page.table("Transcription factor").column(1)] == [
        accession for _level, _name, accession in expected
    ]
    assert [row[8].text for row in pages[0].table("Transcription factor").rows][:1] == ["A"]


def test_filtering_one_table_keeps_every_value_of_the_others_filters(client):
    params = {"targets-confidence": ["A", "C"], "tfs-mode": "dual"}

    page = page_of(client, "/protein/O01789/", params)

    hidden = [
        (control.attrs["name"], control.attrs["value"])
        for control in page.controls
        if control.form.get("action") == "#tfs" and control.attrs.get("type") == "hidden"
    ]
    assert hidden == [("targets-confidence", "A"), ("targets-confidence", "C")]


def test_entry_page_queries_stay_the_same_with_mode_and_confidence_filters(client, tmp_path, django_assert_num_queries):
    import_page(tmp_path, "Z9A010", "SMALL", numbered_targets("W", 10))
    import_page(tmp_path, "Z9A011", "LARGE", numbered_targets("X", 1000))
    spread_grades()
    params = {"targets-mode": ["activation", "repression"], "targets-confidence": "A,B,C", "targets-sort": "confidence"}
    few = queries_of(client, "/protein/Z9A010/", params)

    cache.clear()
    with django_assert_num_queries(few):
        page = page_of(client, "/protein/Z9A011/", {**params, "targets-page": "2"})

    assert len(page.table("Target").rows) == PER_PAGE
    assert {row[7].text for row in page.table("Target").rows} <= {"activation", "repression"}
    assert {row[8].text for row in page.table("Target").rows} <= {"A", "B", "C"}


def test_interaction_page_shows_the_mode_its_decision_the_confidence_and_each_publications_statements(client):
    interaction = Interaction.objects.get(tf__accession="P46152", target__accession="G3V885")
    trrust = SourceDatabase.objects.get_or_create(name="TRRUST")[0]
    state(interaction, "activation", 8007990, sentence='GATA4 <script>alert("x")</script> activates Myh6 & more')
    state(interaction, "repression", 8007990, source=trrust)
    state(interaction, "activation", 11111111, sentence="A second paper.")
    grading.regrade([interaction.pk])

    page = page_of(client, "/interaction/P46152/G3V885/")

    assert page.facts["Mode of regulation"] == "activation"
    assert page.facts["Mode decided by"] == "majority of the publications curated here"
    level = Interaction.objects.get(pk=interaction.pk).confidence
    meaning = next(item.meaning for item in grading.CONFIDENCE_LEVELS if item.level == level)
    assert page.facts["Confidence"].startswith(f"{level}: {meaning}")
    assert page.facts["Publications"] == "PMID 8007990, PMID 11111111, PMID 26578589"
    statements = page.table("Publication")
    assert [[cell.text for cell in row] for row in statements.rows] == [
        ["PMID 8007990", "activation", settings.PORTAL_NAME, 'GATA4 <script>alert("x")</script> activates Myh6 & more'],
        ["PMID 8007990", "repression", "TRRUST", "-"],
        ["PMID 11111111", "activation", settings.PORTAL_NAME, "A second paper."],
        ["PMID 26578589", "-", "-", "no mode read from it yet"],
    ]
    assert "<script>alert" not in page.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.html


def test_interaction_page_queries_do_not_grow_with_its_statements(client, django_assert_num_queries):
    interaction = Interaction.objects.get(tf__accession="P46152", target__accession="G3V885")
    state(interaction, "activation", 8007990)
    few = queries_of(client, "/interaction/P46152/G3V885/")
    for pmid in range(20000000, 20000030):
        state(interaction, "repression", pmid, sentence=f"Paper {pmid}.")

    cache.clear()
    with django_assert_num_queries(few):
        page = page_of(client, "/interaction/P46152/G3V885/")

    assert len(page.table("Publication").rows) == 32


def test_network_edges_carry_their_mode(client):
    spread_grades()

    data = get(client, "/protein/P46152/network.json").json()

    modes = dict(
        visible_interactions()
        .filter(Q(tf__accession="P46152") | Q(target__accession="P46152"))
        .values_list("pk", "mode")
    )
    pairs = {
        (tf, target): mode
        for tf, target, mode in visible_interactions()
        .filter(pk__in=modes)
        .values_list("tf__accession", "target__accession", "mode")
    }
    assert {(edge["source"], edge["target"]): edge["mode"] for edge in data["edges"]} == pairs
    assert set(pairs.values()) > {"activation"}


def test_entry_page_shows_a_legend_of_the_networks_modes(client):
    page = page_of(client, "/protein/P46152/")

    legend = page.html.split('<ul class="network-legend"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r"</span> (\w+)</li>", legend) == MODES


def test_faq_explains_every_confidence_level_and_mode_rule_from_the_rules_themselves(client):
    page = page_of(client, "/pages/faq/")

    assert "<strong>Why does a protein show more interactions than its TFLink page?</strong>" in page.html
    levels = page.table("Level")
    assert [[cell.text for cell in row] for row in levels.rows] == [
        [level.level, level.meaning, str(level.weight)] for level in grading.CONFIDENCE_LEVELS
    ]
    assert [row[2].text for row in levels.rows] == ["1.0", "0.5", "0.3333", "0.25", "0.2"]  # the network's weights
    rules = page.table("Decided by")
    assert [[cell.text for cell in row] for row in rules.rows] == [
        [ModeDecision(decision).label, rule] for decision, rule in grading.MODE_RULES
    ]
    assert "confidence-levels" in {attrs.get("id") for _tag, attrs in page.elements}


def test_other_content_pages_hold_no_grading_tables(client):
    page = page_of(client, "/pages/about/")

    assert page.tables == []


def test_a_hub_table_shows_exactly_the_rows_of_a_rare_and_of_a_common_source(client, django_assert_max_num_queries):
    hub = Protein.objects.get(accession="Q07812")
    rare = SourceDatabase.objects.create(name="A rare source")
    links = Interaction.source_databases.through.objects
    shown = list(visible_interactions().filter(target=hub).order_by("pk")[:3])
    links.bulk_create(links.model(interaction=row, sourcedatabase=rare) for row in shown)
    assert links.filter(sourcedatabase=rare).count() * 100 < links.count()  # read from its own links

    for name, expected in (("A rare source", {row.tf.accession for row in shown}), ("GTRD", None)):
        with django_assert_max_num_queries(23):  # the page's 21, and the source's share of the links (2)
            page_of(client, "/protein/Q07812/", {"tfs-source": name})
        pages, _followed = walk(client, "/protein/Q07812/", {"tfs-source": name}, param="tfs-page")
        found = {accession for page in pages for accession in page.table("Transcription factor").column(1)}
        assert found == (expected or partners("Q07812", "tfs", source_databases__name="GTRD"))
