"""A decoupler-ready network: one signed, weighted row per TF -> target pair.

Pure Python, no Django, like the writers of ``proteins.exports``: ``InteractionRecord`` values
in, tab-separated lines out, one TF's targets held at a time.  decoupler (``decoupler.mt.ulm``
and its other methods) reads the file with pandas as its ``net``: the columns ``source``,
``target`` and ``weight``, then what the weight was made of.

* ``source`` / ``target``: the TF's and the target's gene symbol (``key="name"``, the default):
  the first symbol of a ';'-joined name (one UniProt entry of several genes); a protein without
  a name is written by its UniProt accession.  ``key="uniprot"``: UniProt accessions.
* ``weight``: the sign of the mode (``MODE_SIGNS``: repression -1; activation, dual and unknown
  +1, the way decoupler's DoRothEA loader counts a tie and an unsigned interaction) times the
  weight of the confidence level (``curation.grading.CONFIDENCE_WEIGHTS``, passed in).
* ``mode``, ``confidence``, ``mode_decision``: the grades of ``curation.grading``.
* ``resources``: the source databases, ``references``: the PubMed ids, ';'-joined, "-" if none.

decoupler refuses a network that holds a pair twice.  Interactions whose names make one pair
(two UniProt entries of one gene name) become one row: its mode, mode_decision, confidence and
weight are those of the most trusted of them (``most_trusted``), its resources and references
the unions of theirs.
"""

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import groupby

from .exports import MISSING, InteractionRecord, flatten

NETWORK_COLUMNS = ("source", "target", "weight", "mode", "confidence", "mode_decision", "resources", "references")
NETWORK_KEYS = ("name", "uniprot")
MODE_SIGNS = {"activation": 1, "repression": -1, "dual": 1, "unknown": 1}


@lru_cache(maxsize=65536)
def network_node(name: str, accession: str, key: str = "name") -> str:
    """A protein as a node of the network: its first gene symbol (``key="name"``) or its accession."""
    if key == "name":
        for symbol in name.split(";"):
            symbol = flatten(symbol).strip()
            if symbol and symbol != MISSING:
                return symbol
    return flatten(accession)


def weight_text(mode: str, confidence: str, weights: Mapping[str, float]) -> str:
    """The ``weight`` cell of an interaction: ``MODE_SIGNS[mode] * weights[confidence]``, as the file writes it."""
    return str(float(MODE_SIGNS[mode] * weights[confidence]))  # always a decimal point: pandas reads floats


def most_trusted(record: InteractionRecord) -> tuple:
    """The order in which interactions of one pair speak for it: the best confidence level (A
    first); among equals, one with a known mode; then the lowest TF, then target accession."""
    return (record.confidence, record.mode == "unknown", record.tf_accession, record.target_accession)


def decoupler_network(
    records: Iterable[InteractionRecord], weights: Mapping[str, float], key: str = "name"
) -> Iterator[str]:
    """The network's header, then one row per (source, target) pair (see the module's docstring).

    Records must arrive GROUPED BY SOURCE (``network_node`` of the TF): only one source's targets
    are held, and a source that comes back after another raises ValueError, as a duplicate pair
    would follow.  ``proteins.selectors.streams.interaction_records_grouped`` streams them so.
    Rows come in the order of their sources, a source's targets sorted.
    """
    if key not in NETWORK_KEYS:
        raise ValueError(f"key must be one of {', '.join(NETWORK_KEYS)}, not {key!r}")
    yield "\t".join(NETWORK_COLUMNS) + "\n"
    weight_cells = {}
    done = set()
    for source, group in groupby(records, key=lambda record: network_node(record.tf_name, record.tf_accession, key)):
        if source in done:
            raise ValueError(f"records must be grouped by source: {source} appears again after another source")
        done.add(source)
        pairs = {}
        for record in group:
            pairs.setdefault(network_node(record.target_name, record.target_accession, key), []).append(record)
        for target in sorted(pairs):
            merged = pairs[target]
            if len(merged) == 1:
                first = merged[0]
                sources, pmids = first.source_databases, first.pmids
            else:
                first = min(merged, key=most_trusted)
                sources = tuple(sorted(set().union(*(record.source_databases for record in merged))))
                pmids = tuple(sorted(set().union(*(record.pmids for record in merged))))
            grade = (first.mode, first.confidence)
            weight = weight_cells.get(grade)
            if weight is None:
                weight = weight_cells[grade] = weight_text(first.mode, first.confidence, weights)
            cells = (source, target, weight, first.mode, first.confidence, first.mode_decision)
            yield "\t".join(cells) + f"\t{_resources(sources)}\t{';'.join(map(str, pmids)) or MISSING}\n"


@lru_cache(maxsize=4096)
def _resources(names: tuple[str, ...]) -> str:
    return flatten(";".join(names)) or MISSING
