"""Downloads as a bioinformatician receives them: streamed files whose rows equal the database."""

import io

import pandas
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.grading import CONFIDENCE_WEIGHTS
from proteins.downloads import FORMATS
from proteins.importing.run import import_pages
from proteins.models import BindingSite, Interaction, Protein
from proteins.networks import NETWORK_COLUMNS, network_node
from proteins.pages import Evidence
from proteins.parser import BINDING_SITE_DOWNLOAD_COLUMNS
from proteins.selectors.streams import interaction_records_grouped
from proteins.tables import parse_binding_site_table, parse_interaction_table
from tests.modes import give_modes
from tests.quirk_pages import IN_VITRO_SITE, LOCATED_SITE, page_text, write_page
from tests.real_clients import TSV_COLUMNS  # the documented header, spelt out once for the tests

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(fixture_pages):
    cache.clear()
    import_pages([fixture_pages])


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def expected_rows(organism):
    """The organism's public interactions, read from the database independently of the exporter."""
    rows = set()
    for interaction in Interaction.objects.public().filter(organism__name=organism).with_evidence():
        rows.add(
            (
                interaction.tf.accession,
                interaction.target.accession,
                ";".join(str(g.gene_id) for g in interaction.tf.gene_ids.all()) or "-",
                ";".join(str(g.gene_id) for g in interaction.target.gene_ids.all()) or "-",
                interaction.tf.gene_name or "-",
                interaction.target.gene_name or "-",
                ";".join(sorted(m.name for m in interaction.detection_methods.all())),
                ";".join(sorted(str(p.pmid) for p in interaction.publications.all())),
                organism,
                ";".join(sorted(s.name for s in interaction.source_databases.all())),
                "Yes" if interaction.small_scale else "No",
                interaction.mode,
                interaction.confidence,
                interaction.status,
            )
        )
    return rows


def normalised(line):
    """A TSV row with its multi-valued cells sorted, so the comparison ignores their order."""
    cells = line.split("\t")
    for position in (6, 7, 9):
        cells[position] = ";".join(sorted(cells[position].split(";")))
    return tuple(cells)


def test_organism_tsv_has_tflink_columns_and_one_row_per_public_interaction(client, sample):
    Interaction.objects.filter(tf__accession="P09022").update(status="rejected")

    response, text = download(client, "/downloads/10090/interactions.tsv")

    assert response["Content-Type"].startswith("text/tab-separated-values")
    assert response["Content-Disposition"] == 'attachment; filename="Mus_musculus_interactions.tsv"'
    header, *lines = text.splitlines()
    assert header.split("\t") == TSV_COLUMNS
    assert {normalised(line) for line in lines} == expected_rows("Mus musculus")
    assert len(lines) == 99  # Q03145's 100 TFs, less the rejected Hoxa1 -> Epha2
    assert not any(line.startswith("P09022\t") for line in lines)


def test_protein_downloads_round_trip_through_the_importers_table_reader(client, sample, tmp_path):
    for side, count in (("tfs", 571), ("targets", 0)):
        response, text = download(client, f"/protein/q07812/{side}.tsv")
        assert response["Content-Disposition"] == f'attachment; filename="{side}_of_Q07812.tsv"'
        table = tmp_path / f"{side}_of_Q07812.tsv"
        table.write_text(text)
        rows = parse_interaction_table(table, side)
        assert len(rows) == count
    wwtr1 = next(
        row for row in parse_interaction_table(tmp_path / "tfs_of_Q07812.tsv", "tfs") if row.partner_name == "WWTR1"
    )
    assert wwtr1.partner_accession == "Q9GZV5"
    assert sorted(wwtr1.evidence.pmids) == [22470139, 29087512]
    assert wwtr1.evidence.source_databases == ("TRRUST",)


def test_mitab_lines_have_46_columns_with_psi_mi_tokens(client, sample):
    _response, text = download(client, "/downloads/6239/interactions.mitab")

    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(lines) == Interaction.objects.filter(organism__name="Caenorhabditis elegans").count() == 115
    for line in lines:
        cells = line.split("\t")
        assert len(cells) == 46
        assert cells[0].startswith("uniprotkb:") and cells[1].startswith("uniprotkb:")
        assert cells[9].startswith("taxid:6239(")
        assert all(token.startswith("pubmed:") for token in cells[8].split("|"))
        assert cells[6].startswith('psi-mi:"MI:')


def test_gmt_lists_each_tfs_targets_by_the_chosen_key(client, sample):
    _response, by_uniprot = download(client, "/downloads/6239/interactions.gmt?by=uniprot")
    _response, by_name = download(client, "/downloads/6239/interactions.gmt?by=name")

    sets = {line.split("\t")[0]: line.split("\t")[2:] for line in by_uniprot.splitlines()}
    descriptions = {line.split("\t")[0]: line.split("\t")[1] for line in by_uniprot.splitlines()}
    assert descriptions["him-1_O01789"] == "http://testserver/protein/O01789/"
    assert client.get(descriptions["him-1_O01789"]).status_code == 200
    him1_targets = Interaction.objects.filter(tf__accession="O01789").values_list("target__accession", flat=True)
    assert sorted(sets["him-1_O01789"]) == sorted(him1_targets)
    assert len(sets) == Interaction.objects.filter(organism__taxon_id=6239).values("tf").distinct().count()
    named = {line.split("\t")[0]: line.split("\t")[2:] for line in by_name.splitlines()}
    assert "rps-1" in named["him-1_O01789"]


def test_site_and_api_serve_each_format_with_one_media_type(client, sample):
    assert {name: (fmt.content_type, fmt.extension) for name, fmt in FORMATS.items()} == {
        "tsv": ("text/tab-separated-values; charset=utf-8", "tsv"),
        "mitab": ("text/x-psi-mitab; charset=utf-8", "mitab.txt"),
        "gmt": ("text/x-gmt; charset=utf-8", "gmt"),
        "ndjson": ("application/x-ndjson; charset=utf-8", "ndjson"),
        "decoupler": ("text/tab-separated-values; charset=utf-8", "decoupler.tsv"),
    }
    names = {"tsv": "Caenorhabditis_elegans_interactions.tsv", "mitab": "Caenorhabditis_elegans_interactions.mitab.txt"}
    names["gmt"] = "Caenorhabditis_elegans_targets_by_uniprot.gmt"
    names["decoupler"] = "Caenorhabditis_elegans_network_by_name.decoupler.tsv"
    for file_format, name in names.items():
        site, _text = download(client, f"/downloads/6239/interactions.{file_format}")
        api, _text = download(client, f"/api/interactions/?organism=6239&format={file_format}")
        assert site["Content-Type"] == api["Content-Type"] == FORMATS[file_format].content_type
        assert site["Content-Disposition"] == f'attachment; filename="{name}"'
        assert api["Content-Disposition"] == f'attachment; filename="interactions.{FORMATS[file_format].extension}"'


def test_unknown_gmt_key_and_unknown_organism_are_404(client, sample):
    assert client.get("/downloads/6239/interactions.gmt?by=colour").status_code == 404
    assert client.get("/downloads/6239/interactions.decoupler?by=gene_id").status_code == 404
    assert client.get("/downloads/1/interactions.tsv").status_code == 404
    assert client.get("/protein/P99999/tfs.tsv").status_code == 404


def test_markup_in_names_is_plain_text_in_a_file_never_served_as_html(client, sample):
    Protein.objects.filter(accession="Q9GZV5").update(gene_name="<script>alert(1)</script>")

    response, text = download(client, "/protein/Q07812/tfs.tsv")

    assert "<script>alert(1)</script>" in text
    assert not response["Content-Type"].startswith("text/html")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_download_queries_are_per_chunk_not_per_row(client, sample):
    with CaptureQueriesContext(connection) as queries:
        download(client, "/downloads/9606/interactions.tsv")
    with CaptureQueriesContext(connection) as gmt_queries:
        download(client, "/downloads/9606/interactions.gmt?by=name")

    rows = Interaction.objects.filter(organism__taxon_id=9606).count()
    assert rows > 600
    # The organism; one chunk (a short one is the last): the rows, their proteins and gene ids, three
    # kinds of evidence; and once per download, the names of organisms, source databases and methods.
    assert len(queries) <= 10
    assert len(gmt_queries) <= 10  # the same, without the evidence


def test_downloads_page_lists_every_file_with_row_counts(client, sample):
    response = client.get("/downloads/")

    html = response.content.decode()
    assert response.status_code == 200
    for taxon in (9606, 10090, 10116, 7955, 7227, 6239, 559292):
        assert f"/downloads/{taxon}/interactions.tsv" in html
        assert f"/downloads/{taxon}/interactions.mitab" in html
        assert f"/downloads/{taxon}/interactions.gmt?by=gene_id" in html
        assert f"/downloads/{taxon}/interactions.decoupler?by=name" in html
        assert f"/downloads/{taxon}/interactions.decoupler?by=uniprot" in html
    human = Interaction.objects.filter(organism__taxon_id=9606).count()
    assert f'<td class="num">{human}</td>' in html


# A TF's binding sites (bindingSites_of_<ACC>.tsv).


def test_binding_site_download_writes_sites_without_a_location_with_empty_location_columns(client, tmp_path):
    import_pages([write_page(tmp_path / "pages", page_text(binding_sites=f"{IN_VITRO_SITE}\n{LOCATED_SITE}"))])

    response, text = download(client, "/protein/q21446/binding-sites.tsv")

    assert response["Content-Disposition"] == 'attachment; filename="bindingSites_of_Q21446.tsv"'
    header, *lines = text.splitlines()
    assert header.split("\t") == list(BINDING_SITE_DOWNLOAD_COLUMNS)
    tf, chip = "Q21446\tlin-14\tCaenorhabditis elegans", "chromatin immunoprecipitation assay"
    assert lines == [
        f"TFLinkLS04951731\t{tf}\tselex\t16314527\tJASPAR\tNo\t\t\t\t\t",  # no location: empty columns
        f"TFLinkLS04951732\t{tf}\t{chip}\t27924024\tGTRD\tNo\tce11\tchrX\t5716076\t5716086\t",  # unknown strand
    ]


def test_binding_site_download_round_trips_through_the_importers_table_reader(client, sample, tmp_path):
    _response, text = download(client, "/protein/P46152/binding-sites.tsv")
    table = tmp_path / "bindingSites_of_P46152.tsv"
    table.write_text(text)

    sites = parse_binding_site_table(table, {})

    assert [(s.tflink_id, s.assembly, s.chromosome, s.start, s.end, s.strand) for s in sites] == list(
        BindingSite.objects.filter(tf__accession="P46152").values_list(
            "tflink_id", "assembly", "chromosome", "start", "end", "strand"
        )
    )
    assert {site.evidence for site in sites} == {Evidence(("ORegAnno",), ("inferred by curator",), (8007990,), True)}


def test_binding_site_download_queries_are_per_chunk_not_per_site(client, sample, django_assert_num_queries):
    tf = Protein.objects.get(accession="P46152")
    BindingSite.objects.bulk_create(
        BindingSite(tflink_id=f"TFLinkLS{number}", tf=tf, assembly="rn6", chromosome="chr1", start=number, end=number)
        for number in range(300)
    )

    # The protein; one chunk (short, so the last): the sites, their TF and its gene ids, three kinds
    # of evidence; the names of organisms, source databases and detection methods.
    with django_assert_num_queries(10):
        _response, text = download(client, "/protein/P46152/binding-sites.tsv")
    assert len(text.splitlines()) == 1 + 302


# Mode of regulation and confidence.


@pytest.fixture
def graded(sample):
    """Four C. elegans interactions, one of each mode (curated publications: confidence C at least)."""
    rows = list(Interaction.objects.filter(organism__taxon_id=6239).order_by("pk")[:4])
    give_modes(dict(zip(rows, ("activation", "repression", "dual", "unknown"), strict=True)))
    return {(row.tf.accession, row.target.accession): Interaction.objects.get(pk=row.pk) for row in rows}


def test_pandas_reads_the_tsv_with_the_mode_confidence_and_status_after_tflinks_columns(client, graded, tmp_path):
    _response, text = download(client, "/downloads/6239/interactions.tsv")
    path = tmp_path / "interactions.tsv"
    path.write_text(text)

    table = pandas.read_csv(path, sep="\t")

    assert list(table.columns) == TSV_COLUMNS
    assert len(table) == 115
    rows = table.set_index(["UniprotID.TF", "UniprotID.Target"])
    for pair, interaction in graded.items():
        assert (rows.loc[pair, "Mode"], rows.loc[pair, "Confidence"]) == (interaction.mode, interaction.confidence)
    assert [graded[pair].mode for pair in graded] == ["activation", "repression", "dual", "unknown"]
    assert set(table["Mode"]) == {"activation", "repression", "dual", "unknown"}
    assert set(table["Confidence"]) <= set("ABCDE")
    assert set(table["Status"]) <= {"unreviewed", "flagged", "approved"}


def test_pandas_reads_the_mode_decision_and_confidence_of_each_ndjson_line(client, graded, tmp_path):
    _response, text = download(client, "/api/interactions/?organism=6239&format=ndjson")
    path = tmp_path / "interactions.ndjson"
    path.write_text(text)

    table = pandas.read_json(path, lines=True)

    assert len(table) == 115
    by_id = table.set_index("id")
    for interaction in graded.values():
        row = by_id.loc[interaction.pk]
        assert (row["mode"], row["mode_decision"], row["confidence"]) == (
            interaction.mode,
            interaction.mode_decision,
            interaction.confidence,
        )
    assert by_id.loc[graded[next(iter(graded))].pk, "mode_decision"] == "publications"


def test_mitab_causal_statement_follows_each_interactions_mode(client, graded):
    _response, text = download(client, "/downloads/6239/interactions.mitab")

    rows = {line.split("\t")[13]: line.split("\t") for line in text.splitlines() if not line.startswith("#")}
    up, down = (
        'psi-mi:"MI:2238"(up-regulates quantity by expression)',
        'psi-mi:"MI:2243"(down-regulates quantity by repression)',
    )
    expected = {"activation": up, "repression": down, "dual": f"{up}|{down}", "unknown": "-"}
    for interaction in graded.values():
        row = rows[f"portal:{interaction.pk}"]
        assert len(row) == 46
        assert row[44] == 'psi-mi:"MI:2247"(transcriptional regulation)'
        assert row[45] == expected[interaction.mode]
        assert row[14] == f"portal-confidence:{interaction.confidence}"


def test_protein_table_ends_with_mode_and_confidence_and_still_reads_back(client, graded, tmp_path):
    (tf, target), interaction = next(iter(graded.items()))
    _response, text = download(client, f"/protein/{target}/tfs.tsv")
    path = tmp_path / f"tfs_of_{target}.tsv"
    path.write_text(text)

    table = pandas.read_csv(path, sep="\t")

    assert list(table.columns[-2:]) == ["Mode", "Confidence"]
    row = table.set_index("UniprotID.TF").loc[tf]
    assert (row["Mode"], row["Confidence"]) == (interaction.mode, interaction.confidence)
    assert tf in {row.partner_accession for row in parse_interaction_table(path, "tfs")}


# The decoupler network (the writer's rules: tests/test_exports.py; decoupler itself: tests/test_real_clients.py).


def network_of(client, url):
    _response, text = download(client, url)
    return pandas.read_csv(io.StringIO(text), sep="\t", keep_default_na=False)


def expected_network(taxon, key="name"):
    """{(source, target): (weight, mode, confidence, mode_decision, resources, references)} of the
    organism's public interactions, from the database and the documented rules, none of them merged."""

    def node(protein):
        symbols = [symbol.strip() for symbol in protein.gene_name.split(";") if symbol.strip() not in ("", "-")]
        return symbols[0] if key == "name" and symbols else protein.accession

    signs = {"activation": 1, "repression": -1, "dual": 1, "unknown": 1}
    rows = {}
    for interaction in Interaction.objects.public().filter(organism__taxon_id=taxon).with_evidence():
        pair = (node(interaction.tf), node(interaction.target))
        assert pair not in rows, pair
        rows[pair] = (
            signs[interaction.mode] * CONFIDENCE_WEIGHTS[interaction.confidence],
            interaction.mode,
            interaction.confidence,
            interaction.mode_decision,
            ";".join(sorted(source.name for source in interaction.source_databases.all())) or "-",
            ";".join(str(pmid) for pmid in sorted(p.pmid for p in interaction.publications.all())) or "-",
        )
    return rows


def network_rows(table):
    return {
        (row.source, row.target): (
            row.weight,
            row.mode,
            row.confidence,
            row.mode_decision,
            row.resources,
            str(row.references),
        )
        for row in table.itertuples()
    }


@pytest.mark.parametrize("key", ["name", "uniprot"])
def test_organism_network_has_one_row_per_public_interaction_weighted_by_mode_and_confidence(client, graded, key):
    rejected = Interaction.objects.filter(organism__taxon_id=6239).exclude(pk__in=[i.pk for i in graded.values()])
    Interaction.objects.filter(pk=rejected.order_by("pk").first().pk).update(status="rejected")

    table = network_of(client, f"/downloads/6239/interactions.decoupler?by={key}")

    assert list(table.columns) == list(NETWORK_COLUMNS)
    assert str(table["weight"].dtype) == "float64"
    assert network_rows(table) == expected_network(6239, key)
    assert len(table) == 114  # C. elegans' 115 interactions, less the rejected one
    weights = dict(zip(zip(table.source, table.target, strict=True), table.weight, strict=True))
    modes = {interaction.mode: interaction for interaction in graded.values()}
    repressed = modes["repression"]
    pair = (
        (repressed.tf.gene_name, repressed.target.gene_name)
        if key == "name"
        else (
            repressed.tf.accession,
            repressed.target.accession,
        )
    )
    assert weights[pair] == -CONFIDENCE_WEIGHTS[repressed.confidence] < 0


def test_network_merges_pairs_that_proteins_sharing_a_name_make_and_writes_each_pair_once(client, graded):
    # A second entry of him-1 (the TF) and of one of its targets, under the same names.
    him1 = Protein.objects.get(accession="O01789")
    target = Interaction.objects.filter(tf=him1).exclude(target__gene_name="").order_by("pk").first().target
    twin_tf = Protein.objects.create(accession="Q9XTEST", gene_name=f"{him1.gene_name};him-1b", organism=him1.organism)
    twin_target = Protein.objects.create(accession="Q9YTEST", gene_name=target.gene_name, organism=target.organism)
    Interaction.objects.create(tf=twin_tf, target=target, organism=him1.organism, confidence="A", mode="repression")
    Interaction.objects.create(tf=him1, target=twin_target, organism=him1.organism, confidence="E")

    table = network_of(client, "/downloads/6239/interactions.decoupler")

    assert not table.duplicated(["source", "target"]).any()
    assert len(table) == 115  # two interactions more, on pairs already there
    row = table.set_index(["source", "target"]).loc[(him1.gene_name, target.gene_name)]
    assert (row["weight"], row["mode"], row["confidence"]) == (-1.0, "repression", "A")  # the most trusted speaks
    by_uniprot = network_of(client, "/downloads/6239/interactions.decoupler?by=uniprot")
    assert len(by_uniprot) == 117  # by accession, nothing to merge
    pairs = set(zip(by_uniprot.source, by_uniprot.target, strict=True))
    assert {("Q9XTEST", target.accession), ("O01789", "Q9YTEST")} <= pairs


def test_network_download_queries_are_per_chunk_not_per_tf_nor_per_row(client, sample):
    # Many TFs sharing a few names: the TFs of one name are read together, without a query per TF.
    human_tfs = Protein.objects.filter(interactions_as_tf__organism__taxon_id=9606).distinct().order_by("pk")
    for number, tf in enumerate(human_tfs):
        Protein.objects.filter(pk=tf.pk).update(gene_name=f"SHARED{number % 7}")
    rows = Interaction.objects.filter(organism__taxon_id=9606).count()

    with CaptureQueriesContext(connection) as queries:
        table = network_of(client, "/downloads/9606/interactions.decoupler")

    assert rows > 600
    assert len(table) == len(table.drop_duplicates(["source", "target"])) < 30  # 7 TF names, a few targets
    # The organism; each TF's rows counted, the TFs named; one batch (a short chunk): its rows, their
    # proteins and gene ids, three kinds of evidence; once, the names of organisms, sources and methods.
    assert len(queries) <= 12


def test_grouped_stream_reads_each_record_once_with_the_tfs_of_one_name_together(sample, django_assert_max_num_queries):
    interactions = Interaction.objects.public().filter(organism__taxon_id=9606)
    tfs = list(Protein.objects.filter(interactions_as_tf__in=interactions).distinct().order_by("pk"))
    for number, tf in enumerate(tfs):
        Protein.objects.filter(pk=tf.pk).update(gene_name=f"NAME{number % 40:02d}")

    # Two queries (counts, names), then for each batch of whole names (at most 100 rows, so fewer than
    # 2 * rows / 100 + 1 batches) its rows, their proteins and gene ids, three kinds of evidence; once,
    # the names of organisms, sources and methods: far fewer than one per TF.
    batches = 2 * interactions.count() // 100 + 1
    with django_assert_max_num_queries(2 + 6 * batches + 3):
        records = list(interaction_records_grouped(interactions, network_node, chunk_size=100))

    assert sorted(record.id for record in records) == sorted(interactions.values_list("pk", flat=True))
    names = [record.tf_name for record in records]
    assert names == sorted(names)  # each name's records together, the names in order


def test_downloads_page_documents_the_networks_weights_from_the_one_table(client, sample):
    html = client.get("/downloads/").content.decode()

    assert 'id="decoupler"' in html
    for level, weight in CONFIDENCE_WEIGHTS.items():
        assert f'<tr><td>{level}</td><td class="num">{float(weight)}</td></tr>' in html
    assert "repression\ncounts <code>-1</code>; activation <code>+1</code>, and so do dual" in html
