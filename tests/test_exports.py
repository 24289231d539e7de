"""Export writers (proteins.exports, proteins.psi_mi): TFLink TSV, per-protein tables, PSI-MITAB 2.8, GMT.

Plain data in, text lines out: no database needed.
"""

import json
import re
import tracemalloc
from collections import deque
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from curation.grading import CONFIDENCE_LEVELS, CONFIDENCE_WEIGHTS
from proteins.exports import (
    TFLINK_COLUMNS,
    InteractionRecord,
    gmt,
    ndjson,
    partner_file_name,
    partner_tsv,
    tflink_tsv,
)
from proteins.networks import NETWORK_COLUMNS, decoupler_network
from proteins.psi_mi import MITAB28_COLUMNS, mitab28
from proteins.tables import parse_interaction_table, parse_page_file


def record(**overrides):
    values = {
        "id": 1,
        "tf_accession": "P04637",
        "tf_name": "TP53",
        "tf_gene_ids": (7157,),
        "target_accession": "Q07812",
        "target_name": "BAX",
        "target_gene_ids": (581,),
        "organism": "Homo sapiens",
        "taxon_id": 9606,
        "source_databases": ("GTRD", "ReMap", "TRRUST"),
        "detection_methods": ("chromatin immunoprecipitation assay", "inferred by curator"),
        "pmids": (27924024, 29087512),
        "small_scale": True,
    }
    values.update(overrides)
    return InteractionRecord(**values)


def table(lines):
    """Rows of tab-separated lines, the way a script reading the download splits them."""
    return [row.split("\t") for row in "".join(lines).splitlines()]


def mitab_rows(lines):
    return [row for row in table(lines) if not row[0].startswith("#")]


def awkward_records():
    """Values that must not break a table: separators, markup, quotes, reserved MITAB characters."""
    return [
        record(),
        record(id=2, tf_name="Su(var)205", target_name="his-3;his-7", target_gene_ids=(172860, 175025)),
        record(id=3, tf_name="", tf_gene_ids=(), target_name="", target_gene_ids=(), pmids=()),
        record(id=4, tf_name="bad\tname", target_name="line\nbreak\r\u2028end", organism="Homo\tsapiens"),
        record(id=5, tf_name='<script>alert("x")</script>', target_name="a|b:c", detection_methods=("odd|method",)),
        record(id=6, source_databases=(), detection_methods=(), taxon_id=None),
    ]


# TFLink simple format


def test_tflink_tsv_header_and_row_equal_the_record():
    rows = table(tflink_tsv([record()]))

    assert rows[0] == [*TFLINK_COLUMNS, "Mode", "Confidence", "Status"]
    assert rows[1] == [
        "P04637",
        "Q07812",
        "7157",
        "581",
        "TP53",
        "BAX",
        "chromatin immunoprecipitation assay;inferred by curator",
        "27924024;29087512",
        "Homo sapiens",
        "GTRD;ReMap;TRRUST",
        "Yes",
        "unknown",
        "E",
        "unreviewed",
    ]


def test_tflink_tsv_ends_each_row_with_the_mode_the_confidence_and_the_status():
    records = [
        record(mode="repression", confidence="B", status="flagged"),
        record(id=2, mode="dual", confidence="A", status="approved"),
    ]
    rows = table(tflink_tsv(records))

    assert [row[-3:] for row in rows] == [
        ["Mode", "Confidence", "Status"],
        ["repression", "B", "flagged"],
        ["dual", "A", "approved"],
    ]
    assert rows[1][:11] == table(tflink_tsv([record()]))[1][:11]


def test_tflink_tsv_marks_missing_names_and_gene_ids_with_dash_and_joins_several_ids():
    rows = table(
        tflink_tsv([record(tf_name="", tf_gene_ids=(), target_gene_ids=(4831, 654364), small_scale=False, pmids=())])
    )

    assert rows[1][2:6] == ["-", "4831;654364", "-", "BAX"]
    assert rows[1][7] == "-"
    assert rows[1][10] == "No"


def test_tab_or_newline_inside_a_value_does_not_break_any_table():
    records = awkward_records()

    for lines in (tflink_tsv(records), partner_tsv(records, "tfs"), partner_tsv(records, "targets")):
        rows = table(lines)
        assert len(rows) == 1 + len(records)
        assert {len(row) for row in rows} == {len(rows[0])}
    rows = table(tflink_tsv(records))
    assert rows[4][4] == "bad name"
    assert rows[4][5] == "line break  end"


def test_markup_passes_through_tsv_as_plain_text():
    rows = table(tflink_tsv([record(tf_name="<script>alert(1)</script>", target_name="<b>&amp;</b>")]))

    assert rows[1][4] == "<script>alert(1)</script>"
    assert rows[1][5] == "<b>&amp;</b>"


# Per-protein download tables


def test_partner_tsv_headers_are_the_download_table_headers_of_the_format():
    tfs_header = next(partner_tsv([], "tfs"))
    targets_header = next(partner_tsv([], "targets"))

    assert tfs_header == (
        "UniprotID.TF\tNCBI.GeneID.TF\tName.TF\tDetection.method\tPubmedID\tOrganism\t"
        "Source.database\tSmall-scale.evidence\tMode\tConfidence\n"
    )
    assert targets_header == tfs_header.replace(".TF", ".Target")


def test_partner_tsv_uses_the_download_table_separators():
    rows = table(partner_tsv([record(target_name="his-3;his-7", target_gene_ids=(172860, 175025))], "targets"))

    assert rows[1] == [
        "Q07812",
        "172860,175025",
        "his-3; his-7",
        "chromatin immunoprecipitation assay,inferred by curator",
        "27924024,29087512",
        "Homo sapiens",
        "GTRD,ReMap,TRRUST",
        "Yes",
        "unknown",
        "E",
    ]


@pytest.mark.parametrize("side", ["tfs", "targets"])
def test_partner_tsv_round_trips_through_the_download_table_parser(tmp_path, side):
    records = [
        record(),
        record(id=2, tf_accession="Q9GZV5", tf_name="WWTR1", tf_gene_ids=(25937,), pmids=(22470139,)),
        record(
            id=3,
            tf_name="his-3;his-7;his-68",
            tf_gene_ids=(172860, 175025),
            target_name="",
            target_gene_ids=(),
            target_organism="Mus musculus",
            target_taxon_id=10090,
            source_databases=("IntAct_via_DoRothEA",),
            detection_methods=("array technology/partial DNA sequence identification by hybridization",),
            pmids=(),
            small_scale=False,
        ),
        record(id=4, tf_name="Dmel\\CG8478", target_name="Su(var)205", tf_gene_ids=(), organism="Danio rerio"),
    ]
    path = tmp_path / partner_file_name(side, "P99999")
    path.write_text("".join(partner_tsv(records, side)), encoding="utf-8")

    rows = parse_interaction_table(path, side)

    assert len(rows) == len(records)
    for row, original in zip(rows, records, strict=True):
        if side == "tfs":
            partner = (original.tf_accession, original.tf_gene_ids, original.tf_name, original.organism)
        else:
            organism = original.target_organism or original.organism
            partner = (original.target_accession, original.target_gene_ids, original.target_name, organism)
        assert (row.partner_accession, row.partner_gene_ids, row.partner_name, row.partner_organism) == partner
        assert row.evidence.source_databases == original.source_databases
        assert row.evidence.detection_methods == original.detection_methods
        assert row.evidence.pmids == original.pmids
        assert row.evidence.small_scale == original.small_scale


def test_partner_tsv_refuses_an_unknown_side():
    with pytest.raises(ValueError, match="side must be one of tfs, targets"):
        next(partner_tsv([], "partners"))


def test_partner_file_names_are_the_names_the_pages_give():
    assert partner_file_name("tfs", "Q07812") == "tfs_of_Q07812.tsv"
    assert partner_file_name("targets", "O01789") == "targets_of_O01789.tsv"


# PSI-MITAB 2.8

# db:value(description): each part bare (no reserved character) or double-quoted with \-escapes.
PART = r'(?:"(?:[^"\\]|\\.)*"|[^|():"\t\n]+)'
TOKEN = rf"({PART}):({PART})(?:\(({PART})\))?"
CELL_RE = re.compile(rf"{TOKEN}(?:\|{TOKEN})*")
TOKEN_RE = re.compile(rf"{TOKEN}(?:\||$)")
TOKEN_COLUMNS = {
    "id A": 0,
    "id B": 1,
    "alt id A": 2,
    "alt id B": 3,
    "alias A": 4,
    "alias B": 5,
    "detection": 6,
    "publication": 8,
    "taxid A": 9,
    "taxid B": 10,
    "interaction type": 11,
    "source": 12,
    "interaction id": 13,
    "biological role A": 16,
    "biological role B": 17,
    "experimental role A": 18,
    "experimental role B": 19,
    "type A": 20,
    "type B": 21,
    "annotation": 27,
    "confidence": 14,
    "identification B": 41,
    "mechanism": 44,
    "causal statement": 45,
}


def unquote(part):
    if part and part.startswith('"'):
        return re.sub(r"\\(.)", r"\1", part[1:-1])
    return part


def tokens(cell):
    """(database, value, description) of each field of a MITAB cell, unquoted."""
    assert CELL_RE.fullmatch(cell), cell
    return [tuple(unquote(part) for part in match.groups()) for match in TOKEN_RE.finditer(cell)]


def test_mitab_starts_with_a_commented_header_naming_46_columns():
    header = next(mitab28([]))

    assert header.startswith("#ID(s) interactor A\t")
    assert len(header.rstrip("\n").split("\t")) == 46 == len(MITAB28_COLUMNS)


def test_every_mitab_line_has_46_columns_of_valid_tokens():
    records = awkward_records()

    rows = mitab_rows(mitab28(records))

    assert len(rows) == len(records)
    for row in rows:
        assert len(row) == 46
        for name, column in TOKEN_COLUMNS.items():
            assert row[column] == "-" or CELL_RE.fullmatch(row[column]), (name, row[column])


def test_mitab_row_describes_the_tf_regulating_its_target_gene():
    row = mitab_rows(mitab28([record(id=42)]))[0]

    assert row[0] == "uniprotkb:P04637"
    assert row[1] == "uniprotkb:Q07812"
    assert row[2] == "entrez gene/locuslink:7157"
    assert row[3] == "entrez gene/locuslink:581"
    assert row[4] == "uniprotkb:TP53(gene name)"
    assert row[5] == "uniprotkb:BAX(gene name)"
    assert row[6] == 'psi-mi:"MI:0402"(chromatin immunoprecipitation assay)|psi-mi:"MI:0364"(inferred by curator)'
    assert row[8] == "pubmed:27924024|pubmed:29087512"
    assert row[9] == row[10] == "taxid:9606(Homo sapiens)"
    assert row[11] == 'psi-mi:"MI:2286"(functional association)'
    assert row[13] == "portal:42"
    assert row[16:22] == [
        'psi-mi:"MI:2274"(regulator)',
        'psi-mi:"MI:2275"(regulator target)',
        'psi-mi:"MI:0499"(unspecified role)',
        'psi-mi:"MI:0499"(unspecified role)',
        'psi-mi:"MI:0326"(protein)',
        'psi-mi:"MI:0250"(gene)',
    ]
    assert row[44] == 'psi-mi:"MI:2247"(transcriptional regulation)'
    assert row[35] == "false"
    assert ("comment", "curation status: unreviewed", None) in tokens(row[27])
    assert ("comment", "small-scale evidence: yes", None) in tokens(row[27])


UP_BY_EXPRESSION = 'psi-mi:"MI:2238"(up-regulates quantity by expression)'
DOWN_BY_REPRESSION = 'psi-mi:"MI:2243"(down-regulates quantity by repression)'


@pytest.mark.parametrize(
    ("mode", "statement"),
    [
        ("activation", UP_BY_EXPRESSION),
        ("repression", DOWN_BY_REPRESSION),
        ("dual", f"{UP_BY_EXPRESSION}|{DOWN_BY_REPRESSION}"),
        ("unknown", "-"),
    ],
)
def test_mitab_causal_columns_carry_transcriptional_regulation_and_the_mode(mode, statement):
    row = mitab_rows(mitab28([record(mode=mode, confidence="C")]))[0]

    assert len(row) == 46
    assert row[44] == 'psi-mi:"MI:2247"(transcriptional regulation)'
    assert row[45] == statement
    assert row[14] == "portal-confidence:C"


def test_mitab_interaction_id_database_can_be_named():
    row = mitab_rows(mitab28([record(id=7)], id_database="tflink-portal"))[0]

    assert row[13] == "tflink-portal:7"


def test_mitab_several_gene_ids_and_symbols_become_several_fields():
    row = mitab_rows(mitab28([record(target_name="his-3;his-7", target_gene_ids=(172860, 175025))]))[0]

    assert tokens(row[3]) == [("entrez gene/locuslink", "172860", None), ("entrez gene/locuslink", "175025", None)]
    assert tokens(row[5]) == [("uniprotkb", "his-3", "gene name"), ("uniprotkb", "his-7", "gene name")]


def test_mitab_quotes_values_with_reserved_characters_and_keeps_them_readable():
    row = mitab_rows(mitab28([record(tf_name='Su(var)205;a|b:"c"', target_name="Dmel\\CG8478")]))[0]

    assert tokens(row[4]) == [("uniprotkb", "Su(var)205", "gene name"), ("uniprotkb", 'a|b:"c"', "gene name")]
    assert tokens(row[5]) == [("uniprotkb", "Dmel\\CG8478", "gene name")]


def test_mitab_taxids_follow_the_target_organism_when_it_differs():
    row = mitab_rows(mitab28([record(target_organism="Mus musculus", target_taxon_id=10090)]))[0]

    assert row[9] == "taxid:9606(Homo sapiens)"
    assert row[10] == "taxid:10090(Mus musculus)"


def test_mitab_unknown_taxon_is_the_spec_unknown_id():
    row = mitab_rows(mitab28([record(taxon_id=None)]))[0]

    assert row[9] == row[10] == "taxid:-3(Homo sapiens)"


@pytest.mark.parametrize(
    ("method", "detection", "identification"),
    [
        ("chromatin immunoprecipitation assay", ("MI:0402", "chromatin immunoprecipitation assay"), None),
        ("chromatin immunoprecipitation array", ("MI:0225", "chromatin immunoprecipitation array"), None),
        ("inferred by curator", ("MI:0364", "inferred by curator"), None),
        ("electrophoretic mobility shift assay", ("MI:0413", "electrophoretic mobility shift assay"), None),
        (
            "array technology/partial DNA sequence identification by hybridization",
            ("MI:0008", "array technology"),
            ("MI:0080", "partial DNA sequence identification by hybridization"),
        ),
    ],
)
def test_mitab_maps_tflink_methods_to_psi_mi_terms(method, detection, identification):
    row = mitab_rows(mitab28([record(detection_methods=(method,))]))[0]

    assert tokens(row[6]) == [("psi-mi", *detection)]
    assert row[41] == ("-" if identification is None else 'psi-mi:"{}"({})'.format(*identification))


def test_mitab_method_without_psi_mi_term_is_unspecified_and_named_in_an_annotation():
    row = mitab_rows(mitab28([record(detection_methods=("luciferase reporter assay", "inferred by curator"))]))[0]

    assert tokens(row[6]) == [("psi-mi", "MI:0686", "unspecified method"), ("psi-mi", "MI:0364", "inferred by curator")]
    assert ("comment", "detection method: luciferase reporter assay", None) in tokens(row[27])


def test_mitab_sources_use_psi_mi_terms_where_they_exist_and_invent_no_id():
    row = mitab_rows(mitab28([record(source_databases=("GTRD", "IntAct_via_DoRothEA", "KEGG_via_DoRothEA"))]))[0]

    assert tokens(row[12]) == [
        ("unknown", "GTRD", "GTRD"),
        ("psi-mi", "MI:0469", "intact"),
        ("unknown", "DoRothEA", "DoRothEA"),
        ("psi-mi", "MI:0470", "kegg"),
    ]


def test_mitab_record_without_methods_sources_or_publications_has_empty_columns():
    row = mitab_rows(mitab28([record(detection_methods=(), source_databases=(), pmids=())]))[0]

    assert (row[6], row[8], row[12]) == ("-", "-", "-")


def test_every_detection_method_of_the_sample_pages_has_a_psi_mi_term(fixture_pages):
    methods = set()
    for path in sorted(fixture_pages.glob("*.md")):
        page = parse_page_file(path)
        for row in page.tfs + page.targets:
            methods.update(row.evidence.detection_methods)

    rows = mitab_rows(mitab28([record(detection_methods=(method,)) for method in sorted(methods)]))

    assert len(rows) == len(methods) >= 4
    for row in rows:
        assert "MI:0686" not in row[6]


# GMT

TP53_TARGETS = [
    record(target_accession="Q07812", target_name="BAX", target_gene_ids=(581,)),
    record(target_accession="P38936", target_name="CDKN1A", target_gene_ids=(1026,)),
    record(target_accession="Q9GZV5", target_name="", target_gene_ids=()),
]
MYC_TARGETS = [
    record(tf_accession="P01106", tf_name="MYC", tf_gene_ids=(4609,), target_accession="P04637", target_name="TP53"),
]


def test_gmt_writes_one_line_per_tf_listing_its_targets():
    rows = table(gmt(TP53_TARGETS + MYC_TARGETS, "uniprot"))

    assert rows == [
        ["TP53_P04637", "na", "Q07812", "P38936", "Q9GZV5"],
        ["MYC_P01106", "na", "P04637"],
    ]


def test_gmt_by_gene_id_lists_every_id_and_leaves_out_targets_without_one():
    records = [*TP53_TARGETS, record(target_accession="P49335", target_gene_ids=(4831, 654364))]

    rows = table(gmt(records, "gene_id"))

    assert rows == [["TP53_P04637", "na", "581", "1026", "4831", "654364"]]


def test_gmt_by_name_lists_symbols_and_leaves_out_unnamed_targets():
    records = [*TP53_TARGETS, record(target_accession="P09588", target_name="his-3;his-7"), record(target_name="-")]

    rows = table(gmt(records, "name"))

    assert rows == [["TP53_P04637", "na", "BAX", "CDKN1A", "his-3", "his-7"]]


def test_gmt_sets_of_tfs_sharing_a_name_have_different_names():
    rat = record(tf_accession="P63059", tf_name="Thra", organism="Rattus norvegicus", target_accession="P02563")
    mouse = replace(rat, tf_accession="P63058", organism="Mus musculus", target_accession="Q02566")

    rows = table(gmt([rat, mouse], "uniprot"))

    assert [row[0] for row in rows] == ["Thra_P63059", "Thra_P63058"]


def test_gmt_set_is_named_by_the_first_symbol_or_the_accession_without_a_name():
    several = [replace(target, tf_name="H2AC11;H2AC12") for target in TP53_TARGETS]
    unnamed = [replace(target, tf_name="-") for target in TP53_TARGETS]

    assert table(gmt(several, "uniprot"))[0][0] == "H2AC11_P04637"
    assert table(gmt(unnamed, "gene_id"))[0][0] == "P04637"


def test_gmt_description_is_the_tfs_entry_page():
    rows = table(gmt(TP53_TARGETS, "uniprot", entry_url=lambda accession: f"https://tf.example/protein/{accession}/"))

    assert rows[0][:2] == ["TP53_P04637", "https://tf.example/protein/P04637/"]


def test_gmt_writes_a_duplicate_target_once():
    records = [*TP53_TARGETS, TP53_TARGETS[0], replace(TP53_TARGETS[1], id=9)]

    assert table(gmt(records, "uniprot"))[0][2:] == ["Q07812", "P38936", "Q9GZV5"]


def test_gmt_leaves_out_a_tf_whose_targets_lack_the_key():
    records = [record(target_name="", target_gene_ids=()), *MYC_TARGETS]

    assert [row[0] for row in table(gmt(records, "name"))] == ["MYC_P01106"]


def test_gmt_refuses_records_not_ordered_by_tf():
    records = TP53_TARGETS[:1] + MYC_TARGETS + TP53_TARGETS[1:]

    with pytest.raises(ValueError, match="ordered by TF: P04637"):
        list(gmt(records, "uniprot"))


def test_gmt_refuses_an_unknown_key():
    with pytest.raises(ValueError, match="key must be one of uniprot, gene_id, name"):
        next(gmt(TP53_TARGETS, "symbol"))


def test_gmt_fields_hold_no_whitespace_each_run_becomes_an_underscore():
    names = [record(tf_name="OR2M7 D", target_name=" FBgn 32517;B\tAX\u00a0\u2028X ;Su(var)205")]

    (row,) = table(gmt(names, "name", entry_url=lambda accession: f"http://a b/{accession}"))

    assert row == ["OR2M7_D_P04637", "http://a_b/P04637", "FBgn_32517", "B_AX_X", "Su(var)205"]
    assert all(field.split() == [field] for field in row)


# The decoupler network


def network(records, key="name"):
    """The network's rows as dicts by column, the way a script reading its header sees them."""
    header, *rows = table(decoupler_network(records, CONFIDENCE_WEIGHTS, key))
    assert header == list(NETWORK_COLUMNS)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_network_writes_one_row_per_pair_with_decouplers_columns_then_the_grades_and_evidence():
    graded = record(mode="repression", mode_decision="reviewer", confidence="B")

    assert network([graded]) == [
        {
            "source": "TP53",
            "target": "BAX",
            "weight": "-0.5",
            "mode": "repression",
            "confidence": "B",
            "mode_decision": "reviewer",
            "resources": "GTRD;ReMap;TRRUST",
            "references": "27924024;29087512",
        }
    ]


@pytest.mark.parametrize(
    ("mode", "confidence", "weight"),
    [
        ("activation", "A", "1.0"),
        ("repression", "A", "-1.0"),
        ("repression", "C", "-0.3333"),
        ("activation", "D", "0.25"),
        ("dual", "B", "0.5"),  # dual counts +1, as decoupler's DoRothEA loader counts a tie
        ("unknown", "E", "0.2"),  # unknown counts +1, as decoupler counts an unsigned interaction
    ],
)
def test_network_weight_is_the_modes_sign_times_the_confidence_levels_weight(mode, confidence, weight):
    (row,) = network([record(mode=mode, confidence=confidence)])

    assert row["weight"] == weight


def test_confidence_weights_are_one_per_level_falling_from_a_to_e():
    assert list(CONFIDENCE_WEIGHTS) == [level.level for level in CONFIDENCE_LEVELS] == list("ABCDE")
    weights = list(CONFIDENCE_WEIGHTS.values())
    assert weights[0] == 1.0 and weights == sorted(weights, reverse=True) and weights[-1] > 0


def test_network_nodes_are_first_symbols_or_accessions_without_a_name():
    records = [
        record(target_accession="P09588", target_name="his-3;his-7"),
        record(target_accession="Q9GZV5", target_name=""),
        record(target_accession="Q00001", target_name="-"),
        replace(MYC_TARGETS[0], tf_name=""),
    ]

    assert [(row["source"], row["target"]) for row in network(records)] == [
        ("TP53", "Q00001"),
        ("TP53", "Q9GZV5"),
        ("TP53", "his-3"),
        ("P01106", "TP53"),
    ]
    assert [(row["source"], row["target"]) for row in network(records, "uniprot")] == [
        ("P04637", "P09588"),
        ("P04637", "Q00001"),
        ("P04637", "Q9GZV5"),
        ("P01106", "P04637"),
    ]


def test_network_merges_interactions_whose_names_make_one_pair_speaking_as_the_most_trusted():
    # Two UniProt entries of one gene name among TP53's targets, and a second TF entry named TP53.
    weak = record(id=1, target_accession="Q00002", mode="activation", confidence="E", pmids=(3,))
    trusted = record(
        id=2,
        target_accession="Q00001",
        mode="repression",
        mode_decision="reviewer",
        confidence="B",
        source_databases=("Portal",),
        pmids=(2, 1),
    )
    other_entry = record(id=3, tf_accession="P99999", mode="activation", confidence="C", pmids=(1,))

    (row,) = network([weak, trusted, other_entry])

    assert (row["source"], row["target"]) == ("TP53", "BAX")
    assert (row["weight"], row["mode"], row["confidence"], row["mode_decision"]) == (
        "-0.5",
        "repression",
        "B",
        "reviewer",
    )
    assert row["resources"] == "GTRD;Portal;ReMap;TRRUST"
    assert row["references"] == "1;2;3"


def test_network_merge_prefers_a_known_mode_then_the_lowest_accessions_among_equally_trusted():
    unknown = record(id=1, target_accession="Q00001", mode="unknown", confidence="C")
    activation = record(id=2, target_accession="Q00009", mode="activation", confidence="C")
    repression = record(id=3, target_accession="Q00005", mode="repression", confidence="C")

    (row,) = network([unknown, activation, repression])
    (reversed_row,) = network([repression, activation, unknown])

    assert row["mode"] == reversed_row["mode"] == "repression"  # Q00005 before Q00009; unknown never speaks


def test_network_never_writes_a_pair_twice_even_when_names_differ_only_by_a_line_break():
    records = [record(id=1, target_name="B\tAX"), record(id=2, target_accession="Q00001", target_name="B AX")]

    rows = network(records)

    assert [(row["source"], row["target"]) for row in rows] == [("TP53", "B AX")]


def test_network_refuses_records_not_grouped_by_source():
    records = TP53_TARGETS[:1] + MYC_TARGETS + TP53_TARGETS[1:]

    with pytest.raises(ValueError, match="grouped by source: TP53"):
        list(decoupler_network(records, CONFIDENCE_WEIGHTS))


def test_network_refuses_an_unknown_key():
    with pytest.raises(ValueError, match="key must be one of name, uniprot"):
        next(decoupler_network(TP53_TARGETS, CONFIDENCE_WEIGHTS, "gene_id"))


# NDJSON


def test_ndjson_writes_one_json_object_per_record_as_the_api_shows_it():
    updated = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)

    lines = list(ndjson([record(status="flagged", updated_at=updated), *MYC_TARGETS]))

    assert [line.count("\n") for line in lines] == [1, 1]
    assert json.loads(lines[0]) == {
        "id": 1,
        "tf": {"accession": "P04637", "gene_name": "TP53", "gene_ids": [7157]},
        "target": {"accession": "Q07812", "gene_name": "BAX", "gene_ids": [581]},
        "organism": {"name": "Homo sapiens", "taxon_id": 9606},
        "source_databases": ["GTRD", "ReMap", "TRRUST"],
        "detection_methods": ["chromatin immunoprecipitation assay", "inferred by curator"],
        "pmids": [27924024, 29087512],
        "small_scale": True,
        "status": "flagged",
        "mode": "unknown",
        "mode_decision": "unknown",
        "confidence": "E",
        "updated_at": "2024-05-01T08:30:00Z",
    }
    assert json.loads(lines[1])["tf"]["accession"] == "P01106"


def test_ndjson_line_breaks_inside_values_stay_inside_their_line():
    name = "BAX\n\u2028\u2029<b>"

    (line,) = ndjson([record(target_name=name)])

    assert len(line.splitlines()) == 1
    assert json.loads(line)["target"]["gene_name"] == name


# Streaming

WRITERS = {
    "tflink_tsv": tflink_tsv,
    "partner_tsv": lambda records: partner_tsv(records, "targets"),
    "mitab28": mitab28,
    "gmt": lambda records: gmt(records, "uniprot"),
    "ndjson": ndjson,
    "decoupler_network": lambda records: decoupler_network(records, CONFIDENCE_WEIGHTS),
}


def records_then_failure():
    """Three TP53 records, one of MYC, then an error: what a dropped database connection looks like."""
    for number in range(3):
        yield record(id=number, target_accession=f"Q{number:05d}")
    yield MYC_TARGETS[0]
    raise RuntimeError("the database went away")


# Lines written before the failure: every record's row after the header; for GMT, the TP53 set
# (complete once the MYC record arrives), while MYC's set is still open.
# The network: its header and TP53's one row (three targets of one name), complete once MYC's record arrives.
LINES_BEFORE_FAILURE = {"tflink_tsv": 5, "partner_tsv": 5, "mitab28": 5, "gmt": 1, "ndjson": 4, "decoupler_network": 2}


@pytest.mark.parametrize("name", WRITERS)
def test_writers_are_lazy(name):
    lines = []

    with pytest.raises(RuntimeError, match="went away"):
        for line in WRITERS[name](records_then_failure()):
            lines.append(line)

    assert len(lines) == LINES_BEFORE_FAILURE[name]
    if name == "gmt":
        assert lines[0].split("\t")[2:] == ["Q00000", "Q00001", "Q00002\n"]


def many_records(count):
    for number in range(count):
        yield record(
            id=number,
            tf_accession=f"P{number // 1000:05d}",
            tf_name=f"TF{number // 1000}",
            target_accession=f"Q{number % 500:05d}",
            target_name=f"GENE{number % 500}",
        )


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
def test_writers_memory_does_not_grow_with_the_rows(writer):
    deque(writer(many_records(2_000)), maxlen=0)  # warm the value caches
    tracemalloc.start()
    try:
        deque(writer(many_records(30_000)), maxlen=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 1_000_000
