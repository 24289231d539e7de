"""GMT downloads read back by the readers the field uses: decoupler's and gseapy's ``read_gmt``.

decoupler splits each line on any whitespace and skips the second field; gseapy splits on tabs
and keeps the sets in a dict by name. Every set either reads back must be exactly its TF's
public targets, by the key asked for, whichever organism or file it comes from.
"""

import re

import decoupler
import gseapy
import pytest
from django.core.cache import cache

from proteins.importing.run import import_pages
from proteins.models import Interaction, Organism, Protein
from tests.real_clients import gmt_problems

pytestmark = pytest.mark.django_db

KEYS = ("uniprot", "gene_id", "name")


@pytest.fixture
def sample(fixture_pages):
    cache.clear()
    assert import_pages([fixture_pages]).failures == []
    # A target name with a space, as TFLink writes some (FORMAT.md: "FBgn 32517"); the fixtures have
    # such a name only on a TF ("OR2M7 D").
    Protein.objects.filter(accession="P87012").update(gene_name="FBgn 32517")


def read_with_decoupler(path):
    sets = {}
    for name, target in decoupler.pp.read_gmt(str(path)).itertuples(index=False):
        sets.setdefault(name, []).append(target)
    return sets


def read_with_gseapy(path):
    return gseapy.read_gmt(str(path))


READERS = {"decoupler": read_with_decoupler, "gseapy": read_with_gseapy}


def gmt_symbols(name):
    """The README's rule for names in GMT files: each ';'-joined symbol, whitespace runs as "_", no '-'."""
    symbols = [re.sub(r"\s+", "_", symbol.strip()) for symbol in name.split(";")]
    return [symbol for symbol in symbols if symbol not in ("", "-")]


def expected_sets(key, **filters):
    """{set name: sorted members} of every TF with a public interaction, from the database."""
    sets = {}
    interactions = Interaction.objects.public().filter(**filters).select_related("tf", "target")
    for interaction in interactions.prefetch_related("target__gene_ids"):
        tf, target = interaction.tf, interaction.target
        names = gmt_symbols(tf.gene_name)
        set_name = f"{names[0]}_{tf.accession}" if names else tf.accession
        if key == "uniprot":
            members = [target.accession]
        elif key == "gene_id":
            members = [str(gene.gene_id) for gene in target.gene_ids.all()]
        else:
            members = gmt_symbols(target.gene_name)
        sets.setdefault(set_name, set()).update(members)
    return {name: sorted(members) for name, members in sets.items() if members}


def download_to(client, url, path):
    response = client.get(url)
    assert response.status_code == 200, url
    path.write_bytes(b"".join(response.streaming_content))
    return path


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("reader", READERS)
def test_every_set_of_each_organism_download_reads_back_as_the_tfs_targets(client, sample, tmp_path, reader, key):
    for organism in Organism.objects.filter(interactions__isnull=False).distinct():
        path = download_to(
            client, f"/downloads/{organism.taxon_id}/interactions.gmt?by={key}", tmp_path / f"{organism.taxon_id}.gmt"
        )

        sets = READERS[reader](path)

        assert {name: sorted(members) for name, members in sets.items()} == expected_sets(key, organism=organism)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("reader", READERS)
def test_every_set_of_the_api_download_of_all_organisms_reads_back_as_the_tfs_targets(
    client, sample, tmp_path, reader, key
):
    path = download_to(client, f"/api/interactions/?format=gmt&by={key}", tmp_path / f"all_by_{key}.gmt")

    sets = READERS[reader](path)

    assert {name: sorted(members) for name, members in sets.items()} == expected_sets(key)
    # Rat's and mouse's Thra are two sets, neither lost to the other.
    assert {"Thra_P63059", "Thra_P63058"} <= set(sets)


def gmt_files(client, tmp_path, key):
    """Every organism's GMT download and the API's file of all organisms, by ``key``: {url: path}."""
    urls = [
        f"/downloads/{organism.taxon_id}/interactions.gmt?by={key}"
        for organism in Organism.objects.filter(interactions__isnull=False).distinct()
    ] + [f"/api/interactions/?format=gmt&by={key}"]
    return {url: download_to(client, url, tmp_path / f"{number}.gmt") for number, url in enumerate(urls)}


@pytest.mark.parametrize("key", KEYS)
def test_each_gmt_line_is_a_uniquely_named_set_of_tab_separated_fields_without_whitespace(
    client, sample, tmp_path, key
):
    for url, path in gmt_files(client, tmp_path, key).items():
        text = path.read_text()
        lines = text.splitlines()

        assert gmt_problems(text) == [], url
        assert all(line.split("\t") == line.split() for line in lines), url  # tabs only, as decoupler splits
        sizes = {line.split("\t")[0]: len(line.split("\t")) - 2 for line in lines}
        assert len(sizes) == len(lines), url  # no name twice: gseapy would keep only the last set
        assert {name: len(members) for name, members in read_with_gseapy(path).items()} == sizes, url
        assert {name: len(members) for name, members in read_with_decoupler(path).items()} == sizes, url


def test_gmt_checks_find_what_the_readers_trip_on():
    assert gmt_problems("A_P1\tna\tx\ty\nB_P2\tna\tz\n") == []
    assert gmt_problems("A_P1\tna\tx\nA_P1\tna\ty\n") == ["line 2: the set 'A_P1' again (first on line 1)"]
    assert gmt_problems("A_P1\tna\tFBgn 32517\n") == ["line 1: whitespace inside a field: ['FBgn 32517']"]
    assert gmt_problems("A_P1\tna\t\tx\n") == ["line 1: an empty field (two tabs in a row, or one at an end)"]
    assert gmt_problems("A_P1\tna\n") == ["line 1: 2 fields; a set needs a name, a description and members"]
