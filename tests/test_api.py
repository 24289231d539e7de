"""The REST API as a bioinformatician's script uses it: filters, cursor pages, formats, errors, auth, schema."""

import datetime
import itertools
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from proteins import counts
from proteins.importing.run import import_pages
from proteins.models import (
    BindingSite,
    DetectionMethod,
    GeneId,
    Interaction,
    Organism,
    Ortholog,
    Protein,
    Publication,
    SourceDatabase,
)
from tests.quirk_pages import IN_VITRO_SITE, LOCATED_SITE, page_text, write_page

pytestmark = pytest.mark.django_db

FIXTURE_PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
CHIP = "chromatin immunoprecipitation assay"
CURATOR = "inferred by curator"
# accession -> (gene name, NCBI Gene ids, taxon id)
PROTEINS = {
    "P04637": ("TP53", [7157], 9606),
    "P01106": ("MYC", [4609], 9606),
    "Q07812": ("BAX", [581], 9606),
    "Q00987": ("MDM2", [4193], 9606),
    "P0C0S8": ("H2AC11;H2AC12", [8969, 85235], 9606),
    "P02340": ("Trp53", [22059], 10090),
    "P01108": ("Myc", [17869], 10090),
    "Q07813": ("Bax", [12028], 10090),
}
# TF, target, sources, methods, PubMed ids, small-scale, status; updated on day n of 2024-01 for row n.
INTERACTIONS = [
    ("TP53", "BAX", {"TRRUST", "GTRD"}, {CHIP, CURATOR}, {111, 222}, True, "approved"),
    ("TP53", "MDM2", {"GTRD"}, {CHIP}, {222}, False, "unreviewed"),
    ("MYC", "TP53", {"ReMap"}, {CHIP}, set(), False, "flagged"),
    ("MYC", "BAX", {"TRRUST"}, {CURATOR}, {333}, True, "rejected"),
    ("TP53", "H2AC11;H2AC12", {"GTRD"}, {CHIP}, set(), False, "unreviewed"),
    ("MDM2", "TP53", {"TRRUST"}, {CURATOR}, {111}, True, "approved"),
    ("Trp53", "Bax", {"TRRUST"}, {CURATOR}, {333}, True, "unreviewed"),
    ("Myc", "Trp53", {"GTRD"}, {CHIP}, set(), False, "approved"),
]
# Row number -> mode, how it was decided and confidence (written directly, as a grading would store them).
GRADES = {
    1: ("activation", "reviewer", "A"),
    2: ("repression", "publications", "C"),
    3: ("dual", "source_table", "D"),
    4: ("activation", "publications", "B"),
    6: ("repression", "source_table", "B"),
    8: ("dual", "publications", "C"),
}
TSV_COLUMNS = 14


@pytest.fixture(autouse=True)
def unthrottled_api(settings):
    """No throttling unless a test sets a rate; no counts cached from another test."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "token": None}}
    cache.clear()
    yield
    cache.clear()


def make_world():
    """The proteins and interactions above; returns {row number: Interaction}."""
    organisms = {organism.taxon_id: organism for organism in Organism.objects.all()}
    proteins = {}
    for accession, (name, gene_ids, taxon) in PROTEINS.items():
        protein = Protein.objects.create(accession=accession, gene_name=name, organism=organisms[taxon])
        GeneId.objects.bulk_create(GeneId(protein=protein, gene_id=gene_id) for gene_id in gene_ids)
        proteins[name] = protein
    sources = {name: SourceDatabase.objects.create(name=name) for name in ("TRRUST", "GTRD", "ReMap")}
    methods = {name: DetectionMethod.objects.create(name=name) for name in (CHIP, CURATOR)}
    interactions = {}
    for number, (tf, target, source_names, method_names, pmids, small, status) in enumerate(INTERACTIONS, 1):
        interaction = Interaction.objects.create(
            tf=proteins[tf], target=proteins[target], organism=proteins[tf].organism, small_scale=small, status=status
        )
        interaction.source_databases.set([sources[name] for name in source_names])
        interaction.detection_methods.set([methods[name] for name in method_names])
        interaction.publications.set([Publication.objects.get_or_create(pmid=pmid)[0] for pmid in pmids])
        mode, decision, confidence = GRADES.get(number, ("unknown", "unknown", "E"))
        Interaction.objects.filter(pk=interaction.pk).update(
            updated_at=day(number), mode=mode, mode_decision=decision, confidence=confidence
        )
        interactions[number] = interaction
    counts.interactions_changed()  # written here directly, not by the importer or the curation workflow
    return interactions


def day(number):
    return datetime.datetime(2024, 1, number, 12, tzinfo=datetime.UTC)


@pytest.fixture
def world():
    return make_world()


def rows(spec_filter):
    """Numbers of the INTERACTIONS rows an anonymous user should get for a predicate over a row."""
    found = []
    for number, (tf, target, sources, methods, pmids, small, status) in enumerate(INTERACTIONS, 1):
        row = {
            "tf": tf,
            "target": target,
            "taxon": PROTEINS[next(acc for acc, value in PROTEINS.items() if value[0] == tf)][2],
            "sources": sources,
            "methods": methods,
            "pmids": pmids,
            "small": small,
            "status": status,
            "day": number,
            "mode": GRADES.get(number, ("unknown",))[0],
            "confidence": GRADES.get(number, (None, None, "E"))[2],
        }
        if status != "rejected" and spec_filter(row):
            found.append(number)
    return found


def get_json(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, (url, response.content[:500])
    assert response["Content-Type"] == "application/json"
    return response.json()


def all_pages(client, url):
    """Every result of a list, following the ``next`` links."""
    results = []
    while url:
        page = get_json(client, url)
        results.extend(page["results"])
        url = page["next"]
    return results


def streamed(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.content[:500] if not response.streaming else "")
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def ids_of(client, query, world):
    numbers = {interaction.pk: number for number, interaction in world.items()}
    return [numbers[row["id"]] for row in all_pages(client, f"/api/interactions/?{query}")]


# Filters.

SINGLE_FILTERS = [
    ("organism=9606", lambda row: row["taxon"] == 9606),
    ("organism=homo%20sapiens", lambda row: row["taxon"] == 9606),
    ("organism=Mus%20musculus", lambda row: row["taxon"] == 10090),
    ("tf=P04637", lambda row: row["tf"] == "TP53"),
    ("tf=p04637", lambda row: row["tf"] == "TP53"),
    ("tf=7157", lambda row: row["tf"] == "TP53"),
    ("tf=tp53", lambda row: row["tf"] == "TP53"),
    ("tf=TP53,MYC", lambda row: row["tf"].upper() in ("TP53", "MYC")),
    ("tf=NOPE1", lambda row: False),
    ("target=BAX", lambda row: row["target"].upper() == "BAX"),
    ("target=Q07812", lambda row: row["target"] == "BAX"),
    ("target=12028", lambda row: row["target"] == "Bax"),
    ("target=h2ac11;h2ac12", lambda row: row["target"] == "H2AC11;H2AC12"),
    ("target=H2AC12", lambda row: row["target"] == "H2AC11;H2AC12"),  # one of its ;-joined symbols, whole
    ("target=H2AC1", lambda row: False),  # never part of a symbol
    ("protein=TP53", lambda row: "TP53" in (row["tf"], row["target"])),
    ("source=trrust", lambda row: "TRRUST" in row["sources"]),
    ("source=GTRD", lambda row: "GTRD" in row["sources"]),
    ("method=Inferred%20by%20curator", lambda row: CURATOR in row["methods"]),
    ("pmid=111", lambda row: 111 in row["pmids"]),
    ("pmid=999", lambda row: False),
    ("small_scale=true", lambda row: row["small"]),
    ("small_scale=false", lambda row: not row["small"]),
    ("status=approved", lambda row: row["status"] == "approved"),
    ("status=flagged", lambda row: row["status"] == "flagged"),
    ("status=rejected", lambda row: False),
    ("mode=activation", lambda row: row["mode"] == "activation"),
    ("mode=repression,dual", lambda row: row["mode"] in ("repression", "dual")),
    ("mode=unknown", lambda row: row["mode"] == "unknown"),
    ("confidence=A,B", lambda row: row["confidence"] in "AB"),
    ("confidence=E", lambda row: row["confidence"] == "E"),
    ("confidence=%20C%20,D", lambda row: row["confidence"] in "CD"),
    ("updated_since=2024-01-05", lambda row: row["day"] >= 5),
    ("updated_since=2024-01-03T12:00:00Z", lambda row: row["day"] >= 3),
    ("updated_since=2024-01-03T13:00:00%2B02:00", lambda row: row["day"] >= 3),
]


@pytest.mark.parametrize(("query", "predicate"), SINGLE_FILTERS, ids=[query for query, _ in SINGLE_FILTERS])
def test_each_filter_returns_exactly_the_matching_rows(client, world, query, predicate):
    assert ids_of(client, query, world) == rows(predicate)


def test_every_combination_of_two_filters_returns_exactly_the_rows_matching_both(client, world):
    checked = 0
    for (first, first_matches), (second, second_matches) in itertools.combinations(SINGLE_FILTERS, 2):
        if first.split("=")[0] == second.split("=")[0]:
            continue
        expected = rows(lambda row, a=first_matches, b=second_matches: a(row) and b(row))
        assert ids_of(client, f"{first}&{second}", world) == expected, (first, second)
        checked += 1
    assert checked > 250


def test_rejected_interactions_never_reach_anonymous_users_in_any_format(client, world):
    rejected = world[4]

    assert rejected.pk not in [row["id"] for row in all_pages(client, "/api/interactions/")]
    assert get_json(client, "/api/interactions/?status=rejected")["results"] == []
    assert get_json(client, f"/api/interactions/{rejected.pk}/", status=404)["detail"].startswith("No interaction")
    _response, tsv = streamed(client, "/api/interactions/?tf=P01106&format=tsv")
    assert [line.split("\t")[1] for line in tsv.splitlines()[1:]] == ["P04637"]  # MYC -> TP53, not MYC -> BAX
    for file_format in ("mitab", "ndjson", "gmt"):
        _response, text = streamed(client, f"/api/interactions/?target=BAX&format={file_format}")
        assert "P01106" not in text, file_format  # MYC, the TF of the rejected row


def test_staff_see_rejected_interactions_by_session_or_token(client, world):
    staff = User.objects.create_user("curie", password="radium-226", is_staff=True)
    rejected = world[4]

    client.force_login(staff)
    assert [row["id"] for row in get_json(client, "/api/interactions/?status=rejected")["results"]] == [rejected.pk]
    client.logout()
    token = Token.objects.create(user=staff)
    detail = get_json(client, f"/api/interactions/{rejected.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert detail["status"] == "rejected"


def test_interaction_json_shows_the_evidence_of_the_row(client, world):
    row = get_json(client, f"/api/interactions/{world[1].pk}/")

    assert row == {
        "id": world[1].pk,
        "tf": {"accession": "P04637", "gene_name": "TP53", "gene_ids": [7157]},
        "target": {"accession": "Q07812", "gene_name": "BAX", "gene_ids": [581]},
        "organism": {"name": "Homo sapiens", "taxon_id": 9606},
        "source_databases": ["GTRD", "TRRUST"],
        "detection_methods": [CHIP, CURATOR],
        "pmids": [111, 222],
        "small_scale": True,
        "status": "approved",
        "mode": "activation",
        "mode_decision": "reviewer",
        "confidence": "A",
        "updated_at": "2024-01-01T12:00:00Z",
    }


# Cursor pagination and queries.


def make_interactions(tfs, targets, rejected_every=0):
    """``tfs`` x ``targets`` human interactions with one source and method each; every n-th one rejected."""
    human = Organism.objects.get(taxon_id=9606)
    source = SourceDatabase.objects.create(name="GTRD")
    method = DetectionMethod.objects.create(name=CHIP)
    proteins = Protein.objects.bulk_create(
        Protein(accession=f"A0A{number:03d}{suffix}", gene_name=f"G{suffix}{number}", organism=human)
        for suffix, count in (("T", tfs), ("X", targets))
        for number in range(count)
    )
    GeneId.objects.bulk_create(
        GeneId(protein=protein, gene_id=1000 + number) for number, protein in enumerate(proteins)
    )
    pairs = itertools.product(proteins[:tfs], proteins[tfs:])
    Interaction.objects.bulk_create(
        Interaction(
            tf=tf,
            target=target,
            organism=human,
            status="rejected" if rejected_every and number % rejected_every == 0 else "unreviewed",
        )
        for number, (tf, target) in enumerate(pairs, 1)
    )
    ids = list(Interaction.objects.values_list("pk", flat=True))
    Interaction.source_databases.through.objects.bulk_create(
        Interaction.source_databases.through(interaction_id=pk, sourcedatabase_id=source.pk) for pk in ids
    )
    Interaction.detection_methods.through.objects.bulk_create(
        Interaction.detection_methods.through(interaction_id=pk, detectionmethod_id=method.pk) for pk in ids
    )


def test_cursor_pages_walk_2500_interactions_without_duplicates_or_gaps(client):
    make_interactions(50, 52, rejected_every=26)  # 2,600 rows, 100 of them rejected (and skipped)
    visible = list(Interaction.objects.public().order_by("pk").values_list("pk", flat=True))
    assert len(visible) == 2500

    pages, url, seen = 0, "/api/interactions/?page_size=100", []
    while url:
        page = get_json(client, url)
        seen.extend(row["id"] for row in page["results"])
        last, url, pages = page, page["next"], pages + 1
    assert seen == visible
    assert pages == 25

    backwards, url = [], last["previous"]
    while url:
        page = get_json(client, url)
        backwards[:0] = [row["id"] for row in page["results"]]
        url = page["previous"]
    assert backwards == visible[:-100]


def test_a_page_costs_the_same_queries_whatever_its_size_without_count_or_offset(client, django_assert_num_queries):
    make_interactions(30, 40)
    # The page's ids; their rows; their proteins and gene ids; evidence (3 kinds); the names of
    # organisms, source databases and detection methods.
    for size in (10, 100, 1000):
        with django_assert_num_queries(10):
            get_json(client, f"/api/interactions/?page_size={size}")
    # Each filter that names records (the organism, the source database, the TFs) looks them up once;
    # the source's share of the links takes two more (the links' last id, a bounded count of its own).
    with django_assert_num_queries(15), CaptureQueriesContext(connection) as queries:
        page = get_json(client, "/api/interactions/?page_size=1000&organism=9606&source=gtrd&tf=GT1,GT2")
    assert len(page["results"]) == 80
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    share = 'SELECT COUNT(*) FROM (SELECT "proteins_interaction_source_databases"'
    assert [sql.startswith(share) for sql in counts] == [True]  # only the source's share, bounded
    assert "OFFSET" not in " ".join(query["sql"].upper() for query in queries)


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/proteins/?page_size={size}", 3),  # proteins with organism and counts, gene ids, orthologs
        ("/api/binding-sites/?page_size={size}", 5),  # sites with TF and organism, gene ids, evidence
        # organisms, their counts (3 queries), and the database cache: a miss, the stored counts
        # (its size, savepoint, row, insert, release) and get_or_set's read back
        ("/api/organisms/?page_size={size}", 11),
        ("/api/sources/?page_size={size}", 1),
    ],
)
def test_every_list_costs_the_same_queries_whatever_its_page_size(
    client, world, django_assert_num_queries, url, queries
):
    make_binding_sites()
    for size in (1, 3, 100):
        cache.clear()
        with django_assert_num_queries(queries):
            get_json(client, url.format(size=size))


# Formats.


@pytest.fixture
def tflink():
    report = import_pages([FIXTURE_PAGES])
    assert report.failures == []


def tflink_row(row):
    """A JSON interaction in TFLink's TSV columns."""

    def join(values):
        return ";".join(map(str, values)) or "-"

    return [
        row["tf"]["accession"],
        row["target"]["accession"],
        join(row["tf"]["gene_ids"]),
        join(row["target"]["gene_ids"]),
        row["tf"]["gene_name"] or "-",
        row["target"]["gene_name"] or "-",
        join(row["detection_methods"]),
        join(row["pmids"]),
        row["organism"]["name"],
        join(row["source_databases"]),
        "Yes" if row["small_scale"] else "No",
        row["mode"],
        row["confidence"],
        row["status"],
    ]


def test_tsv_and_ndjson_rows_equal_the_json_rows(client, tflink):
    query = "organism=6239"
    Interaction.objects.filter(tf__accession="G5EDT1").update(status="rejected")
    pages = all_pages(client, f"/api/interactions/?{query}&page_size=40")
    assert len(pages) == 114

    response, tsv = streamed(client, f"/api/interactions/?{query}&format=tsv")
    header, *lines = tsv.splitlines()
    assert response["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="interactions.tsv"'
    assert len(header.split("\t")) == TSV_COLUMNS
    assert [line.split("\t") for line in lines] == [tflink_row(row) for row in pages]

    response, ndjson = streamed(client, f"/api/interactions/?{query}&format=ndjson")
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert [json.loads(line) for line in ndjson.splitlines()] == pages


def test_format_is_chosen_by_the_accept_header_and_the_parameter_wins(client, world):
    _response, tsv = streamed(client, "/api/interactions/?tf=TP53", HTTP_ACCEPT="text/tab-separated-values")
    assert tsv.startswith("UniprotID.TF\t")
    _response, mitab = streamed(client, "/api/interactions/?tf=TP53", HTTP_ACCEPT="text/x-psi-mitab")
    assert mitab.startswith("#ID(s) interactor A\t")
    _response, ndjson = streamed(client, "/api/interactions/?tf=TP53&format=ndjson", HTTP_ACCEPT="text/x-gmt")
    assert json.loads(ndjson.splitlines()[0])["tf"]["gene_name"] == "TP53"
    page = get_json(client, "/api/interactions/?tf=TP53", HTTP_ACCEPT="application/json")
    assert len(page["results"]) == 3
    assert get_json(client, "/api/interactions/", status=406, HTTP_ACCEPT="image/png")["error"].startswith(
        "Not Acceptable"
    )


def test_streamed_formats_hold_the_whole_filtered_set_in_one_response(client):
    make_interactions(40, 60)

    _response, tsv = streamed(client, "/api/interactions/?page_size=10&format=tsv")
    assert len(tsv.splitlines()) == 1 + 2400
    _response, ndjson = streamed(client, "/api/interactions/?tf=GT7&format=ndjson")
    assert [json.loads(line)["target"]["gene_name"] for line in ndjson.splitlines()] == [f"GX{n}" for n in range(60)]


# A MITAB 2.8 field: db:value(description), each part plain or double-quoted (\-escaped).
_PART = r'(?:"(?:[^"\\]|\\.)*"|[^|():"\t]+)'
MITAB_FIELD = re.compile(rf"{_PART}:{_PART}(?:\({_PART}\))?")
MITAB_FIELD_COLUMNS = (0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 27, 41, 44, 45)


def test_each_mitab_line_has_46_columns_of_valid_field_tokens(client, tflink):
    response, text = streamed(client, "/api/interactions/?organism=9606&format=mitab")

    assert response["Content-Type"] == "text/x-psi-mitab; charset=utf-8"
    header, *lines = text.splitlines()
    assert header.startswith("#") and len(header.split("\t")) == 46
    assert len(lines) == Interaction.objects.public().filter(organism__taxon_id=9606).count() > 600
    for line in lines:
        cells = line.split("\t")
        assert len(cells) == 46, line
        for position in MITAB_FIELD_COLUMNS:
            if cells[position] != "-":
                tokens = re.findall(rf"(?:{_PART}:{_PART}(?:\({_PART}\))?)", cells[position])
                assert "|".join(tokens) == cells[position], (position, cells[position])
                assert all(MITAB_FIELD.fullmatch(token) for token in tokens)
        assert cells[35] == "false"
        assert all(cell == "-" for position, cell in enumerate(cells) if position in (7, 15, 28, 29, 30, 31))
        assert re.fullmatch("portal-confidence:[A-E]", cells[14])


def test_gmt_has_one_line_per_tf_with_its_targets(client, tflink):
    response, text = streamed(client, "/api/interactions/?organism=6239&format=gmt")
    _response, by_name = streamed(client, "/api/interactions/?organism=6239&format=gmt&by=name")

    assert response["Content-Type"] == "text/x-gmt; charset=utf-8"
    sets = {line.split("\t")[0]: line.split("\t")[2:] for line in text.splitlines()}
    tfs = Interaction.objects.public().filter(organism__taxon_id=6239).values("tf").distinct().count()
    assert len(text.splitlines()) == len(sets) == tfs
    targets = Interaction.objects.filter(tf__accession="O01789").values_list("target__accession", flat=True)
    assert sorted(sets["him-1_O01789"]) == sorted(targets)
    assert "rps-1" in {line.split("\t")[0]: line for line in by_name.splitlines()}["him-1_O01789"].split("\t")


def test_one_interaction_can_be_fetched_in_every_format(client, world):
    pk = world[2].pk
    starts = {"tsv": "UniprotID.TF", "mitab": "#ID(s)", "gmt": "TP53_P04637\t", "ndjson": "{", "decoupler": "source\t"}
    for file_format, start in starts.items():
        response, text = streamed(client, f"/api/interactions/{pk}/?format={file_format}")
        assert text.startswith(start), file_format
        assert response["Content-Disposition"].startswith(f'attachment; filename="interaction_{pk}.')
    assert len(streamed(client, f"/api/interactions/{pk}/?format=tsv")[1].splitlines()) == 2


# Proteins, binding sites, organisms, vocabularies.


def test_protein_is_found_by_accession_in_any_case_with_gene_ids_orthologs_and_counts(client, world):
    tp53 = Protein.objects.get(accession="P04637")
    Ortholog.objects.create(
        protein=tp53, accession="P02340", species="Mus musculus", ortholog=Protein.objects.get(accession="P02340")
    )
    Ortholog.objects.create(protein=tp53, accession="Q9W678", species="Danio rerio")

    entry = get_json(client, "/api/proteins/p04637/")

    assert entry["accession"] == "P04637"
    assert entry["gene_ids"] == [7157]
    assert entry["organism"] == {"name": "Homo sapiens", "taxon_id": 9606}
    assert entry["orthologs"] == [
        {"accession": "Q9W678", "species": "Danio rerio", "in_portal": False},
        {"accession": "P02340", "species": "Mus musculus", "in_portal": True},
    ]
    assert (entry["tf_count"], entry["target_count"]) == (2, 3)
    assert entry["url"] == "http://testserver/protein/P04637/"
    assert get_json(client, "/api/proteins/P99999/", status=404)["detail"] == (
        "No protein with the UniProt accession P99999."
    )


@pytest.mark.parametrize(
    ("query", "accessions"),
    [
        ("organism=10090", ["P01108", "P02340", "Q07813"]),
        ("identifier=tp53,4609", ["P01106", "P04637"]),
        ("q=bax", ["Q07812", "Q07813"]),
        ("function=tf&organism=9606", ["P01106", "P04637", "Q00987"]),
        ("function=both", ["P04637", "P02340", "Q00987"]),
    ],
)
def test_proteins_filter_by_organism_identifier_search_and_function(client, world, query, accessions):
    found = [row["accession"] for row in all_pages(client, f"/api/proteins/?{query}")]
    assert found == sorted(accessions)


def make_binding_sites():
    tp53 = Protein.objects.get(accession="P04637")
    for number, (chromosome, start, end) in enumerate((("chr17", 100, 120), ("chr17", 150, 170), ("chr2", 100, 120))):
        BindingSite.objects.create(
            tflink_id=f"TFLinkSS{number}", tf=tp53, assembly="hg38", chromosome=chromosome, start=start, end=end
        )


def test_binding_sites_filter_by_region_overlap_and_tf(client, world):
    make_binding_sites()

    def ids(query):
        return [row["tflink_id"] for row in all_pages(client, f"/api/binding-sites/?{query}")]

    assert ids("region=chr17:115-155") == ["TFLinkSS0", "TFLinkSS1"]
    assert ids("region=chr17:121-149") == []
    assert ids("tf=TP53&assembly=HG38&chromosome=chr2") == ["TFLinkSS2"]
    assert ids("tf=MYC") == []
    site = get_json(client, "/api/binding-sites/TFLinkSS1/")
    assert site["genome_browser_url"].endswith("db=hg38&position=chr17:150-170")
    assert get_json(client, "/api/binding-sites/?region=chr17", status=400)["detail"]["region"]


def test_browsable_api_offers_text_boxes_for_identifiers_and_no_list_of_a_big_table(client, world):
    response = client.get("/api/interactions/?tf=TP53", HTTP_ACCEPT="text/html")

    html = response.content.decode()
    assert response.status_code == 200
    assert set(re.findall(r'<select[^>]*name="([^"]+)"', html)) == {"small_scale", "status"}
    for name in ("organism", "tf", "target", "protein", "source", "method", "pmid", "updated_since"):
        assert re.search(rf'<input[^>]*name="{name}"', html), name


def test_organisms_sources_and_methods_list_the_names_the_filters_take(client, world):
    organisms = {row["taxon_id"]: row for row in all_pages(client, "/api/organisms/")}
    assert organisms[9606] == {"name": "Homo sapiens", "taxon_id": 9606, "proteins": 5, "interactions": 5}
    assert get_json(client, "/api/organisms/10090/")["interactions"] == 2
    assert [row["name"] for row in all_pages(client, "/api/sources/")] == ["GTRD", "ReMap", "TRRUST"]
    assert [row["name"] for row in all_pages(client, "/api/methods/")] == [CHIP, CURATOR]


# Errors.


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("pmid=abc", "pmid"),
        ("pmid=0", "pmid"),
        ("pmid=99999999999999999999", "pmid"),
        ("small_scale=maybe", "small_scale"),
        ("status=deleted", "status"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=9999-12-31T23:00:00-14:00", "updated_since"),
        ("organism=Atlantis", "organism"),
        ("organism=99999999999999999999", "organism"),
        ("source=Nowhere", "source"),
        ("method=guessing", "method"),
        ("mode=up", "mode"),
        ("mode=activation,,sideways", "mode"),
        ("confidence=F", "confidence"),
        ("confidence=a", "confidence"),
        ("confidence=A%00", "confidence"),
        ("tf=" + ",".join(f"G{n}" for n in range(101)), "tf"),
        ("tf=TP53%00", "tf"),
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("cursor=zzz", "cursor"),
        ("cursor=cD1hYmM%3D", "cursor"),  # p=abc: not an id
        ("tff=TP53", "tff"),
        ("format=xml", "format"),
        ("format=gmt&by=colour", "by"),
        ("format=decoupler&by=gene_id", "by"),
        ("format=tsv&pmid=abc", "pmid"),
    ],
)
def test_bad_query_values_are_400_json_naming_the_parameter(client, world, query, parameter):
    body = get_json(client, f"/api/interactions/?{query}", status=400)

    assert list(body["detail"]) == [parameter]
    assert body["error"].startswith(f"Bad Request: {parameter}: ")


@pytest.mark.parametrize(
    "url",
    [
        "/api/interactions/999999/",
        "/api/interactions/99999999999999999999999/",
        "/api/proteins/Q99999/",
        "/api/organisms/1/",
        "/api/organisms/99999999999/",
        "/api/sources/999999/",
        "/api/methods/999999/",
        "/api/binding-sites/TFLinkLS0/",
    ],
)
def test_unknown_records_are_404_json(client, world, url):
    body = get_json(client, url, status=404)
    assert body["error"].startswith("Not Found: No ")


def test_writing_without_credentials_is_refused_with_json(client, world):
    response = client.post("/api/interactions/", {"tf": "TP53"})

    assert response.status_code in (401, 403)
    assert response.json()["error"].startswith(("Unauthorized", "Forbidden"))


# Auth and limits.


def test_anonymous_clients_are_throttled_at_the_configured_rate(client, world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}

    for _ in range(3):
        get_json(client, "/api/sources/")
    response = client.get("/api/sources/")

    assert response.status_code == 429
    assert response.json()["error"].startswith("Too Many Requests")
    assert int(response["Retry-After"]) > 0
    staff = User.objects.create_user("curie", is_staff=True)
    client.force_login(staff)
    get_json(client, "/api/sources/")  # the limit is for anonymous clients


def test_a_user_gets_an_api_token_for_a_name_and_password(client):
    User.objects.create_user("curie", password="radium-226")

    token = client.post("/api/auth/token/", {"username": "curie", "password": "radium-226"}).json()["token"]
    refused = client.post("/api/auth/token/", {"username": "curie", "password": "polonium"})

    assert Token.objects.get(user__username="curie").key == token
    assert refused.status_code == 400
    assert "Unable to log in" in refused.json()["error"]


# Schema, docs and the API page.


def test_openapi_schema_describes_every_endpoint_filter_and_format(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)

    paths = schema["paths"]
    for path in ("organisms", "sources", "methods", "proteins", "interactions", "binding-sites"):
        assert "get" in paths[f"/api/{path}/"], path
        assert len([p for p in paths if p.startswith(f"/api/{path}/{{")]) >= 1, path
    listing = paths["/api/interactions/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in listing["parameters"]}
    for name in (
        "organism",
        "tf",
        "target",
        "protein",
        "source",
        "method",
        "pmid",
        "small_scale",
        "status",
        "mode",
        "confidence",
        "updated_since",
        "cursor",
        "page_size",
        "format",
        "by",
    ):
        assert parameters[name]["description"], name
    assert set(parameters["format"]["schema"]["enum"]) == {"json", "tsv", "mitab", "gmt", "ndjson", "decoupler"}
    assert set(parameters["by"]["schema"]["enum"]) == {"uniprot", "gene_id", "name"}
    assert "`format=decoupler` only: `name` (by gene name), `uniprot` (by UniProt)" in parameters["by"]["description"]
    assert re.fullmatch(parameters["confidence"]["schema"]["pattern"], "A,B")
    assert not re.fullmatch(parameters["mode"]["schema"]["pattern"], "up")
    fields = schema["components"]["schemas"]["Interaction"]["properties"]
    assert {"mode", "mode_decision", "confidence"} <= set(fields)
    assert set(listing["responses"]["200"]["content"]) == {
        "application/json",
        "text/tab-separated-values",
        "text/x-psi-mitab",
        "text/x-gmt",
        "application/x-ndjson",
    }
    assert set(listing["responses"]) >= {"200", "400", "429"}


def test_docs_page_serves_swagger_ui_from_local_static_files(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "cdn" not in html.lower()


def test_api_page_shows_curl_and_python_examples_and_is_in_the_menu(client):
    html = client.get("/about-api/").content.decode()

    assert "curl " in html and "import requests" in html and "urllib.request" in html
    for file_format in ("tsv", "mitab", "gmt", "ndjson"):
        assert f"format={file_format}" in html, file_format
    for name in ("organism", "tf", "target", "protein", "source", "method", "pmid", "small_scale", "status"):
        assert f"{name}=" in html, name
    assert "updated_since=" in html
    assert 'href="/about-api/"' in client.get("/").content.decode()
    assert 'href="/api/docs/"' in html and 'href="/api/schema/"' in html


# Errors: cursors and the query parameters of a record's own address.

LISTS = ["interactions", "proteins", "binding-sites", "organisms", "sources", "methods"]


@pytest.mark.parametrize("endpoint", LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",  # no base64 at all: DRF read it as no cursor, the first page
        "%20%20%20%20",
        "eD0x",  # x=1: no part DRF writes
        "cj0y",  # r=2
    ],
)
def test_a_malformed_cursor_is_400_json_naming_the_cursor_on_every_list(client, world, endpoint, cursor):
    make_binding_sites()

    body = get_json(client, f"/api/{endpoint}/?cursor={cursor}", status=400)

    assert list(body["detail"]) == ["cursor"]
    assert body["error"].startswith("Bad Request: cursor: ")


def detail_urls(world):
    """The address of one record of each endpoint."""
    make_binding_sites()
    return {
        "interactions": f"/api/interactions/{world[1].pk}/",
        "proteins": "/api/proteins/P04637/",
        "binding-sites": "/api/binding-sites/TFLinkSS0/",
        "organisms": "/api/organisms/9606/",
        "sources": f"/api/sources/{SourceDatabase.objects.get(name='GTRD').pk}/",
        "methods": f"/api/methods/{DetectionMethod.objects.get(name=CHIP).pk}/",
    }


@pytest.mark.parametrize(
    ("endpoint", "query", "parameter"),
    [
        *((endpoint, "cursor=cD0x", "cursor") for endpoint in LISTS),
        *((endpoint, "page_size=5", "page_size") for endpoint in LISTS),
        # Filters that match the record: they were applied, so the same address answered 200 or 404.
        ("interactions", "tf=TP53", "tf"),
        ("proteins", "organism=9606", "organism"),
        ("binding-sites", "tf=TP53", "tf"),
        ("interactions", "by=x", "by"),
        ("interactions", "by=name", "by"),
    ],
)
def test_a_records_address_refuses_any_parameter_but_format_with_400_json(client, world, endpoint, query, parameter):
    url = detail_urls(world)[endpoint]

    body = get_json(client, f"{url}?{query}", status=400)

    assert list(body["detail"]) == [parameter]
    assert body["error"].startswith(f"Bad Request: {parameter}: ")
    get_json(client, f"{url}?format=json")


def test_by_without_the_gmt_or_decoupler_format_is_400_on_the_list_and_taken_with_them(client, world):
    body = get_json(client, "/api/interactions/?tf=TP53&by=name", status=400)

    message = "Only the gmt and decoupler formats take by: add format=gmt or format=decoupler."
    assert body["detail"] == {"by": [message]}
    assert get_json(client, "/api/interactions/?tf=TP53&by=name&format=tsv", status=400)["detail"] == {"by": [message]}
    _response, text = streamed(client, "/api/interactions/?tf=TP53&format=decoupler&by=uniprot")
    assert {line.split("\t")[0] for line in text.splitlines()[1:]} == {"P04637"}
    _response, text = streamed(client, f"/api/interactions/{world[1].pk}/?format=gmt&by=name")
    assert text.split("\t")[0] == "TP53_P04637"
    _response, text = streamed(client, "/api/interactions/?tf=TP53&by=gene_id", HTTP_ACCEPT="text/x-gmt")
    assert text.split("\t")[2:] == ["581", "4193", "8969", "85235\n"]


# Binding sites without a genome location, encoded genome-browser links, table ids.


def test_binding_sites_without_a_location_are_served_with_nulls_and_left_out_of_region_searches(client, tmp_path):
    import_pages([write_page(tmp_path, page_text(binding_sites=f"{IN_VITRO_SITE}\n{LOCATED_SITE}"))])

    sites = {site["tflink_id"]: site for site in all_pages(client, "/api/binding-sites/?tf=Q21446")}
    in_region = all_pages(client, "/api/binding-sites/?tf=Q21446&region=chrX:1-9000000000")

    in_vitro = sites["TFLinkLS04951731"]
    assert {key: in_vitro[key] for key in ("assembly", "chromosome", "start", "end", "strand", "score")} == {
        "assembly": "",
        "chromosome": "",
        "start": None,
        "end": None,
        "strand": "",
        "score": None,
    }
    assert in_vitro["genome_browser_url"] is None
    assert (in_vitro["source_databases"], in_vitro["detection_methods"]) == (["JASPAR"], ["selex"])
    assert [site["tflink_id"] for site in in_region] == ["TFLinkLS04951732"]


def test_binding_site_genome_browser_url_keeps_an_odd_assembly_inside_db(client, world):
    make_binding_sites()
    BindingSite.objects.filter(tflink_id="TFLinkSS1").update(assembly="hg38&x=<y>")

    url = get_json(client, "/api/binding-sites/TFLinkSS1/")["genome_browser_url"]

    assert url.startswith("https://genome.ucsc.edu/cgi-bin/hgTracks?")
    assert parse_qs(urlsplit(url).query) == {"db": ["hg38&x=<y>"], "position": ["chr17:150-170"]}


def test_binding_site_is_found_by_the_tflinklt_id_of_a_binding_site_table(client, tmp_path):
    import_pages([write_page(tmp_path, page_text(binding_sites=LOCATED_SITE))])

    site = get_json(client, "/api/binding-sites/TFLinkLT04951732/")

    assert site["tflink_id"] == "TFLinkLS04951732"


def test_a_rare_and_a_common_source_page_exactly_their_rows_at_every_cursor(client, django_assert_max_num_queries):
    make_interactions(50, 52)  # 2,600 rows from GTRD
    trrust = SourceDatabase.objects.create(name="TRRUST")
    ids = list(Interaction.objects.order_by("pk").values_list("pk", flat=True))
    rare = ids[::400] + ids[-3:]  # 10 rows: fewer than 1 in 100 of the links, read from their own links
    Interaction.source_databases.through.objects.bulk_create(
        Interaction.source_databases.through(interaction_id=pk, sourcedatabase_id=trrust.pk) for pk in rare
    )
    for name, expected in (("TRRUST", rare), ("GTRD", ids)):
        seen, url, last = [], f"/api/interactions/?page_size=3&source={name}", None
        while url:
            # The page's ids, their rows, proteins, gene ids, evidence, names; the source and its share.
            with django_assert_max_num_queries(13):
                last = get_json(client, url)
            seen.extend(row["id"] for row in last["results"])
            url = last["next"]
        assert seen == expected
        backwards, url = [], last["previous"]
        while url:
            page = get_json(client, url)
            backwards[:0] = [row["id"] for row in page["results"]]
            url = page["previous"]
        assert backwards == expected[: len(expected) - len(last["results"])]


def test_a_process_counts_a_sources_share_once_for_its_later_pages(client):
    make_interactions(5, 5)
    url = "/api/interactions/?page_size=3&source=GTRD"
    with CaptureQueriesContext(connection) as first:
        get_json(client, url)
    with CaptureQueriesContext(connection) as again:
        rows = get_json(client, url)["results"]
    # The links' last id and the bounded count of the source's links, counted once per process.
    assert len(first) - len(again) == 2
    assert len(rows) == 3
