"""Finding a protein by an identifier: the one rule that search, browse, the admin, the API and the
curation queue use (``Protein.objects.identified_by``)."""

import pytest

from proteins.models import GeneId, Organism, Protein

pytestmark = pytest.mark.django_db


@pytest.fixture
def proteins():
    human = Organism.objects.get(name="Homo sapiens")
    made = {
        accession: Protein.objects.create(accession=accession, gene_name=name, organism=human)
        for accession, name in [("P04637", "TP53"), ("P0C0S8", "H2AC11;H2AC12"), ("Q07812", "BAX")]
    }
    GeneId.objects.create(protein=made["Q07812"], gene_id=581)
    return made


def identified(*terms):
    return sorted(protein.accession for protein in Protein.objects.identified_by(*terms))


@pytest.mark.parametrize(
    ("term", "accessions"),
    [
        ("P04637", ["P04637"]),
        ("p04637", ["P04637"]),  # an accession in any case
        ("tp53", ["P04637"]),  # a gene name in any case
        ("h2ac11;h2ac12", ["P0C0S8"]),  # the joined name whole
        ("H2AC12", ["P0C0S8"]),  # one of its ;-joined symbols
        ("h2ac11", ["P0C0S8"]),
        ("581", ["Q07812"]),  # an NCBI Gene id
        (" BAX ", ["Q07812"]),
        ("H2AC1", []),  # never part of a symbol
        ("TP5", []),  # never part of a name
        ("P0463", []),  # never part of an accession
        ("99999999999999", []),  # beyond any gene id
        ("", []),
    ],
)
def test_a_term_identifies_a_protein_by_accession_name_joined_symbol_or_gene_id(proteins, term, accessions):
    assert identified(term) == accessions


def test_several_terms_identify_each_of_their_proteins_once(proteins):
    assert identified("TP53", "p04637", "581", "H2AC12", "nothing") == ["P04637", "P0C0S8", "Q07812"]


def test_the_lookup_is_one_query(proteins, django_assert_num_queries):
    with django_assert_num_queries(1):
        identified("TP53", "581", "H2AC12")
