"""Our files as the programs of the field read them: decoupler runs its univariate linear model on
the network, a strict PSI-MITAB 2.8 validator reads every MITAB line, pandas reads the TSV's
documented columns, and openapi-spec-validator checks the API's schema.  (GMT with decoupler's
and gseapy's readers: tests/test_gmt_readers.py.)  The validators are in tests/real_clients.py,
for any file: these tests run them on live downloads and API answers.
"""

import io
import json

import decoupler
import numpy
import pandas
import pytest
import yaml
from django.core.cache import cache
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from proteins.importing.run import import_pages
from proteins.models import Interaction, Organism, Protein
from tests.modes import give_modes
from tests.real_clients import (
    mitab_line_problems,
    mitab_problems,
    network_problems,
    read_network,
    tsv_problems,
)

pytestmark = pytest.mark.django_db

ORGANISMS = (9606, 10090, 10116, 7955, 7227, 6239, 559292)


@pytest.fixture
def sample(fixture_pages):
    cache.clear()
    assert import_pages([fixture_pages]).failures == []


def body(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


# decoupler


@pytest.fixture
def regulons(sample):
    """C. elegans' him-1 activating its 103 targets; daf-16 repressing eight new genes besides him-1;
    eleven other TFs with one target each (him-1), too few for a score."""
    him1, daf16 = Protein.objects.get(gene_name="him-1"), Protein.objects.get(gene_name="daf-16")
    worm = him1.organism
    repressed = [
        Protein.objects.create(accession=f"P990{number:02d}", gene_name=f"rpd-{number}", organism=worm)
        for number in range(1, 9)
    ]
    for target in repressed:
        Interaction.objects.create(tf=daf16, target=target, organism=worm)
    modes = dict.fromkeys(Interaction.objects.filter(tf=him1), "activation")
    modes.update(dict.fromkeys(Interaction.objects.filter(tf=daf16), "repression"))
    give_modes(modes)


def expression(network, raised):
    """One observation per TF of ``raised`` (its name -> genes): every gene of ``network`` and forty
    others as noise, the TF's genes raised by 2."""
    genes = sorted(set(network["source"]) | set(network["target"])) + [f"bg-{n}" for n in range(40)]
    noise = numpy.random.default_rng(0).normal(0, 0.3, size=(len(raised), len(genes)))
    matrix = pandas.DataFrame(noise, index=list(raised), columns=genes)
    for observation, changed in raised.items():
        matrix.loc[observation, changed] += 2.0
    return matrix


@pytest.mark.usefixtures("regulons")
def test_decoupler_ulm_scores_each_tf_with_enough_targets_by_the_sign_of_its_mode(client):
    network = read_network(body(client, "/api/interactions/?organism=6239&format=decoupler"))
    assert network_problems(network) == []
    targets = {tf: sorted(network.loc[network["source"] == tf, "target"]) for tf in ("him-1", "daf-16")}
    assert (len(targets["him-1"]), len(targets["daf-16"])) == (103, 9)

    scores, p_values = decoupler.mt.ulm(expression(network, targets), network, tmin=5)

    assert sorted(scores.columns) == ["daf-16", "him-1"]  # the eleven others have one target each
    assert scores.loc["him-1", "him-1"] > 5  # an activator whose targets are up: positive
    assert scores.loc["daf-16", "daf-16"] < -5  # a repressor whose targets are up: negative
    assert p_values.loc["him-1", "him-1"] < 0.001 and p_values.loc["daf-16", "daf-16"] < 0.001


def test_decoupler_reads_the_network_of_every_organism_and_of_all_together(client, sample):
    for url in [f"/downloads/{taxon}/interactions.decoupler" for taxon in ORGANISMS] + [
        "/api/interactions/?format=decoupler",
        "/api/interactions/?format=decoupler&by=uniprot",
    ]:
        network = read_network(body(client, url))
        assert network_problems(network) == [], url
        # decoupler's own check of a network: it refuses duplicate pairs and reads the weights as numbers.
        assert len(decoupler.pp.prune(None, network, tmin=1)) == len(network), url


def test_network_checks_find_what_decoupler_refuses():
    header = "source\ttarget\tweight\tmode\tconfidence\tmode_decision\tresources\treferences\n"
    good = header + "A\tB\t0.2\tunknown\tE\tunknown\tGTRD\t1\n"
    twice = good + "A\tB\t1.0\tactivation\tA\treviewer\t-\t-\n"

    assert network_problems(read_network(good.encode())) == []
    assert network_problems(read_network(twice.encode())) == [
        "pairs given twice (decoupler refuses them): [['A', 'B'], ['A', 'B']]"
    ]
    with pytest.raises(AssertionError, match="duplicate"):
        decoupler.pp.prune(None, read_network(twice.encode()), tmin=1)
    assert network_problems(read_network(good.replace("0.2", "heavy").encode())) == [
        "weights are not all numbers: dtype object"
    ]


# PSI-MITAB 2.8


@pytest.fixture
def graded(sample):
    """Interactions of each mode in every organism, so the causal statements are written."""
    modes = {}
    for taxon in ORGANISMS:
        rows = Interaction.objects.filter(organism__taxon_id=taxon).order_by("pk")[:3]
        modes.update(zip(rows, ("activation", "repression", "dual"), strict=False))
    give_modes(modes)


def test_every_mitab_line_of_every_organism_and_of_the_api_passes_the_strict_validator(client, graded):
    for taxon in ORGANISMS:
        text = body(client, f"/downloads/{taxon}/interactions.mitab").decode()
        assert mitab_problems(text) == [], taxon
        assert len(text.splitlines()) == 1 + Interaction.objects.public().filter(organism__taxon_id=taxon).count()
    text = body(client, "/api/interactions/?format=mitab").decode()
    assert mitab_problems(text) == []
    statements = {line.split("\t")[45] for line in text.splitlines()[1:]}
    assert len(statements) == 4  # up, down, both (dual), none (unknown)


def a_real_mitab_line(client):
    text = body(client, "/downloads/6239/interactions.mitab").decode()
    return next(line for line in text.splitlines()[1:] if "\tpsi-mi:" in line.rsplit("\t", 1)[0])


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        (1, "-", "column 1 (ID(s) interactor A): empty"),
        (1, "P04637", "'P04637' is not db:id(text)"),
        (5, "uniprotkb:TP53", "no (description)"),
        (7, 'psi-mi:"MI:402"(chromatin immunoprecipitation assay)', "not a PSI-MI term"),
        (7, "chromatin immunoprecipitation assay", "not a PSI-MI term"),
        (9, "pubmed:PMC123", "a PubMed id that is not a number"),
        (10, "taxid:6239", "not taxid:N(organism name)"),
        (10, "taxid:worm(Caenorhabditis elegans)", "not taxid:N(organism name)"),
        (12, 'psi-mi:"MI:2286"', "not a PSI-MI term"),
        (13, "", "blank or padded"),
        (14, "portal:1|", "'' is not db:id(text)"),
        (28, 'comment:"open', "leaves a quote open"),
        (31, "2024-05-01", "not a date yyyy/mm/dd"),
        (32, "2024/02/30", "no such day"),
        (36, "no", "not true or false"),
        (39, "two", "not a whole number"),
        (45, "-", "a functional association without a causal regulatory mechanism"),
        (46, "up-regulates", "not a PSI-MI term"),
    ],
)
def test_the_strict_mitab_validator_refuses_each_kind_of_broken_column(client, sample, column, value, problem):
    give_modes({Interaction.objects.filter(organism__taxon_id=6239).order_by("pk").first(): "activation"})
    cells = a_real_mitab_line(client).split("\t")
    assert mitab_line_problems("\t".join(cells)) == []

    cells[column - 1] = value
    problems = mitab_line_problems("\t".join(cells))

    assert len(problems) == 1 and problem in problems[0], problems


def test_the_strict_mitab_validator_refuses_a_wrong_number_of_columns_and_takes_a_good_date(client, sample):
    cells = a_real_mitab_line(client).split("\t")

    assert mitab_line_problems("\t".join(cells[:45])) == ["line 1: 45 columns, not 46"]
    assert mitab_line_problems("\t".join([*cells, "-"])) == ["line 1: 47 columns, not 46"]
    cells[30] = cells[31] = "2024/02/29"
    assert mitab_line_problems("\t".join(cells)) == []
    assert "a carriage return: lines end in LF alone" in mitab_problems("\t".join(cells) + "\r\n")


# TSV with pandas


def test_pandas_reads_every_organisms_tsv_with_the_documented_columns_and_values(client, graded):
    for taxon in ORGANISMS:
        data = body(client, f"/downloads/{taxon}/interactions.tsv")
        table = pandas.read_csv(io.BytesIO(data), sep="\t", dtype=str, keep_default_na=False)
        assert tsv_problems(table) == [], taxon
        assert len(table) == Interaction.objects.public().filter(organism__taxon_id=taxon).count()
        assert set(table["Organism"]) == {Organism.objects.get(taxon_id=taxon).name}


def test_tsv_checks_find_cells_that_break_the_documented_columns():
    columns = "UniprotID.TF\tUniprotID.Target\tNCBI.GeneID.TF\tNCBI.GeneID.Target\tName.TF\tName.Target\t"
    columns += "Detection.method\tPubmedID\tOrganism\tSource.database\tSmall-scale.evidence\tMode\tConfidence\tStatus\n"
    good = "P04637\tQ07812\t7157\t581\tTP53\tBAX\tChIP\t1;2\tHomo sapiens\tGTRD\tNo\tdual\tC\tapproved\n"
    bad = "P04637\tQ07812\t7157;x\t\tTP53\tBAX\tChIP\t1,2\tHomo sapiens\tGTRD\tno\tup\tF\trejected\n"

    def read(text):
        return pandas.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)

    assert tsv_problems(read(columns + good)) == []
    assert tsv_problems(read(columns + bad)) == [
        "row 1, NCBI.GeneID.TF: '7157;x'",
        "row 1, NCBI.GeneID.Target: ''",
        "row 1, PubmedID: '1,2'",
        "row 1, Small-scale.evidence: 'no'",
        "row 1, Mode: 'up'",
        "row 1, Confidence: 'F'",
        "row 1, Status: 'rejected'",
    ]


# The OpenAPI schema


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_the_api_schema_passes_openapi_spec_validator(client, form):
    response = client.get("/api/schema/" + ("?format=json" if form == "json" else ""))
    assert response.status_code == 200
    schema = json.loads(response.content) if form == "json" else yaml.safe_load(response.content)

    validate(schema)  # raises on any departure from the OpenAPI specification

    assert schema["openapi"].startswith("3.")
    assert "/api/interactions/" in schema["paths"]
    broken = {**schema, "paths": {"/api/interactions/": {"get": {"responses": "none"}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
