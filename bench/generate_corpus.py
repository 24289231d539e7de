"""Generate a synthetic corpus of TFLink protein pages, for benchmarking the importer.

The pages follow ``fixtures/FORMAT.md`` to the byte: the front matter is what
``yaml.dump(..., sort_keys=False, allow_unicode=True, default_flow_style=False)`` makes of a
dict of strings, so multi-row values are single-quoted and folded like the real pages.

The corpus is a graph, not a pile of independent pages: every interaction between two
proteins that have pages is listed on both of them (in the TF's ``targets`` and in the
target's ``tfs``) with identical evidence, unless the 100-row cap of a list drops it from
one side, as on tflink.net.  Some partners have no page of their own.  Popular targets and
prolific TFs have more than 100 interactions, so their lists are capped and
``number_of_interactions`` is larger than the rows shown.

Two shapes.  ``pages`` (the default): ``--pages`` pages whose lists are cut at 100 rows,
without download tables.  ``tflink``: TFLink's full size (``--interactions``, 12 million by
default, in seven organisms, a few thousand TFs with up to 20,000 targets), every page with
the full download tables of its lists beside it (``tfs_of_<ACC>.tsv``, ``targets_of_<ACC>.tsv``,
``fixtures/FORMAT.md``), which the importer reads instead of the page's first 100 rows.

Pure Python and PyYAML (no Django), seeded, so a corpus is reproducible::

    python bench/generate_corpus.py OUT_DIR [--pages 15000] [--seed 1]
    python bench/generate_corpus.py OUT_DIR --shape tflink [--interactions 12000000] [--seed 1]

Besides the pages, ``OUT_DIR/manifest.json`` records the totals and what a correct import
of the corpus must hold (proteins, interactions, evidence links, ...): with tables, what the
full tables hold.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import os
import random
import re
import resource
import string
import sys
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from common import PROJECT_DIR

try:
    from yaml import CDumper as Dumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - PyYAML wheels ship libyaml
    from yaml import Dumper, SafeLoader

GENERATOR_VERSION = 1
DEFAULT_PAGES = 15_000
DEFAULT_SEED = 1
ROW_CAP = 100
MANIFEST = "manifest.json"

DIGITS = string.digits
LETTERS = string.ascii_uppercase
ALPHANUMERIC = LETTERS + DIGITS
LOWER = string.ascii_lowercase

# Shape of the interaction graph, tuned so that 15,000 pages hold about 1.4 million rows.
TF_SHARE = 0.42  # pages that regulate something
TF_ONLY_SHARE = 0.15  # of those, pages that nothing regulates ("transcription factor")
TARGETS_MEDIAN = 125  # targets per TF: log-normal around this median...
TARGETS_SIGMA = 1.0  # ...with this spread, so a fair share are capped at 100 rows
POPULARITY_SIGMA = 1.0  # how unevenly TFs pick their targets (a few targets collect hundreds)
PAGELESS_TARGET_SHARE = 0.08  # targets without a page of their own
PAGELESS_TF_PAGES = 0.5  # pages that also have TFs without a page...
PAGELESS_TF_MAX = 8  # ...this many at most
SELF_REGULATION = 0.01  # TFs that regulate their own gene
BINDING_SITE_SHARE = 0.12  # TF pages with binding sites
LARGE_SCALE_SITES = 0.35  # of those, pages with many large-scale (TFLinkLS) sites
ORTHOLOG_SHARE = 0.7  # pages with orthologs
TEN_CHARACTER_ACCESSIONS = 0.08


def chromosomes(numbered, named=""):
    """``chr1`` to ``chr<numbered>``, then ``chr<name>`` for each of the space-separated names."""
    return tuple(f"chr{name}" for name in [*range(1, numbered + 1), *named.split()])


@dataclass(frozen=True)
class Species:
    name: str
    share: float
    assembly: str
    chromosomes: tuple[str, ...]
    first_gene_id: int
    last_gene_id: int
    missing_name: float


SPECIES = (
    Species("Homo sapiens", 0.55, "hg38", chromosomes(22, "X Y"), 1, 150_000, 0.02),
    Species("Mus musculus", 0.15, "mm10", chromosomes(19, "X"), 11_287, 110_000_000, 0.02),
    Species("Rattus norvegicus", 0.06, "rn6", chromosomes(20, "X"), 24_150, 120_000_000, 0.03),
    Species("Danio rerio", 0.04, "danRer11", chromosomes(25), 30_000, 110_000_000, 0.03),
    Species("Drosophila melanogaster", 0.08, "dm6", chromosomes(0, "2L 2R 3L 3R 4 X"), 30_970, 45_000, 0.02),
    Species("Caenorhabditis elegans", 0.06, "ce11", chromosomes(0, "I II III IV V X"), 171_590, 190_000, 0.1),
    Species(
        "Saccharomyces cerevisiae",
        0.06,
        "sacCer3",
        chromosomes(0, "I II III IV V VI VII VIII IX X"),
        850_289,
        856_000,
        0.2,
    ),
)

# Gene-symbol stems, by naming convention.
HUMAN_STEMS = (
    "ZNF", "SOX", "FOX", "GATA", "KLF", "HOX", "NR", "TBX", "PAX", "IRF", "STAT", "MYB", "E2F", "ETV", "ELF", "SP",
    "TEAD", "CEBP", "RUNX", "POU", "HNF", "ATF", "CREB", "BHLHE", "ZSCAN", "ZBTB", "SLC", "TMEM", "CCDC", "RPL",
    "RPS", "MYH", "BAX", "BCL", "CDK", "MAPK", "KRT", "COL", "ADAM", "WDR",
)  # fmt: skip
FLY_STEMS = ("Raf", "Ibf", "not", "Abd", "bab", "dpp", "en", "ftz", "h", "hb", "kni", "Kr", "odd", "run", "slp", "tll")
WORM_STEMS = ("him", "lin", "unc", "daf", "dpl", "efl", "mab", "lsy", "nhr", "rps", "eef", "cnk", "lig", "egl", "mec")
YEAST_STEMS = ("FKH", "NDT", "GCR", "RPN", "PDR", "SMC", "GAL", "MSN", "YAP", "HSF", "ACE", "SWI", "MCM", "ABF")

# Evidence, as the sources report it: each database has its own reference publication.
REFERENCE_PMIDS = {
    "GTRD": 27924024,
    "ReMap": 29126285,
    "ChIP-Atlas": 30413482,
    "TRRUST": 29087512,
    "DoRothEA": 31340985,
    "Yeastract": 24170807,
}
CHIP = "chromatin immunoprecipitation assay"
CURATOR = "inferred by curator"
CURATED_DATABASES = (
    "TRRUST", "ORegAnno", "HTRI", "PAZAR", "TRED", "DoRothEA", "IntAct_via_DoRothEA", "KEGG_via_DoRothEA",
)  # fmt: skip
SMALL_SCALE_METHODS = (
    CURATOR,
    CURATOR,
    CURATOR,
    CHIP,
    "electrophoretic mobility shift assay",
    "chromatin immunoprecipitation array",
    "luciferase reporter gene assay",
)
YEASTRACT_METHODS = (
    "array technology/partial DNA sequence identification by hybridization",
    "chromatin immunoprecipitation array",
    CHIP,
    CURATOR,
)
LITERATURE_SIZE = 40_000  # publications cited by curated rows


@dataclass(slots=True)
class Evidence:
    """One interaction's or binding site's evidence, and its text in a row."""

    sources: tuple[str, ...]
    methods: tuple[str, ...]
    pmids: tuple[int, ...]
    small_scale: bool

    @property
    def publications(self):
        return "+OR+".join(f"{pmid}%5Buid%5D" for pmid in self.pmids)

    @property
    def flag(self):
        return "Yes" if self.small_scale else "No"

    def interaction_cells(self):
        """Columns 3-6 of a ``tfs``/``targets`` row."""
        return f"{';'.join(self.sources)},{';'.join(self.methods)},{self.publications},{self.flag}"


@dataclass(eq=False, slots=True)
class Protein:
    accession: str
    name: str
    gene_ids: str
    species: Species
    has_page: bool = False
    regulators: list = field(default_factory=list)  # (TF, Evidence): the full "tfs" table
    targets: list = field(default_factory=list)  # (target, Evidence): the full "targets" table
    binding_sites: list = field(default_factory=list)
    orthologs: list = field(default_factory=list)  # (species name, Protein or bare accession)

    def row_prefix(self):
        """Columns 0-2 of a row naming this protein as the partner."""
        return f"{self.name or '-'},{self.accession},{self.gene_ids}"


@dataclass(slots=True)
class BindingSite:
    tflink_id: str
    chromosome: str
    start: int
    end: int
    strand: str
    evidence: Evidence
    score: int
    sequence: str


class Corpus:
    """The proteins of a synthetic corpus and their interactions, built from one seed."""

    def __init__(self, pages, seed):
        self.rng = random.Random(seed)
        self.pages = pages
        self.accessions = set()
        self.literature = self.rng.sample(range(1_000_000, 38_000_000), LITERATURE_SIZE)
        self.site_numbers = itertools.count(10_000_000)
        self.proteins = {species.name: self.make_proteins(species) for species in SPECIES}
        for species in SPECIES:
            self.connect(self.proteins[species.name])
        self.add_binding_sites()
        self.add_orthologs()

    # Proteins.

    def make_proteins(self, species):
        """The species' pages, and as many pageless proteins to serve as partners."""
        count = max(1, round(self.pages * species.share))
        if species is SPECIES[0]:
            count = self.pages - sum(max(1, round(self.pages * other.share)) for other in SPECIES[1:])
        pages = [self.make_protein(species, has_page=True) for _ in range(count)]
        pageless = [self.make_protein(species) for _ in range(count // 3 + 5)]
        return {"pages": pages, "pageless": pageless}

    def make_protein(self, species, has_page=False):
        return Protein(self.new_accession(), self.gene_name(species), self.gene_id_cell(species), species, has_page)

    def new_accession(self):
        rng = self.rng
        while True:
            if rng.random() < TEN_CHARACTER_ACCESSIONS:
                # A0A + [0-8]...: the "A0A9" prefix is left free for pages changed by the benchmark.
                accession = "A0A" + rng.choice("012345678") + rng.choice(ALPHANUMERIC) + rng.choice(DIGITS)
                accession += rng.choice(LETTERS) + rng.choice(ALPHANUMERIC) + rng.choice(ALPHANUMERIC)
                accession += rng.choice(DIGITS)
            elif rng.random() < 0.6:
                accession = rng.choice("OPQ") + rng.choice(DIGITS) + "".join(rng.choices(ALPHANUMERIC, k=3))
                accession += rng.choice(DIGITS)
            else:
                accession = rng.choice("ABCDEFGHIJKLMNRSTUVWXYZ") + rng.choice(DIGITS) + rng.choice(LETTERS)
                accession += rng.choice(ALPHANUMERIC) + rng.choice(ALPHANUMERIC) + rng.choice(DIGITS)
            if accession not in self.accessions:
                self.accessions.add(accession)
                return accession

    def gene_name(self, species):
        rng = self.rng
        if rng.random() < species.missing_name:
            return ""
        if rng.random() < 0.01:
            # Several symbols for one UniProt entry (histone clusters).
            first = rng.randrange(1, 20)
            return ";".join(self.symbol(species, number) for number in range(first, first + rng.randrange(2, 8)))
        return self.symbol(species, rng.randrange(1, 300))

    def symbol(self, species, number):
        rng = self.rng
        match species.name:
            case "Homo sapiens":
                quirk = rng.random()
                if quirk < 0.02:
                    return f"HLA-{rng.choice('ABCDE')}{rng.choice(['', 'RB', 'QA'])}{number % 9 + 1}"
                if quirk < 0.04:
                    return f"C{rng.randrange(1, 23)}orf{number}"
                return f"{rng.choice(HUMAN_STEMS)}{number}{rng.choice(['', '', '', 'A', 'B', 'DP', 'L'])}"
            case "Mus musculus" | "Rattus norvegicus":
                return f"{rng.choice(HUMAN_STEMS).capitalize()}{number}{rng.choice(['', '', 'a', 'b'])}"
            case "Danio rerio":
                if rng.random() < 0.1:
                    return f"si:ch211-{number}{rng.choice(LOWER)}{rng.randrange(1, 20)}"
                return f"{rng.choice(HUMAN_STEMS).lower()}{number % 40}{rng.choice(['a', 'b', ''])}"
            case "Drosophila melanogaster":
                quirk = rng.random()
                if quirk < 0.08:
                    return f"Dmel\\CG{number * 37}"
                if quirk < 0.12:
                    stem = rng.choice(["Su(var)", "E(spl)m", "mod(mdg", "Su(z)"])
                    return f"{stem}{number}" + (")" if stem == "mod(mdg" else "")
                if quirk < 0.14:
                    return f"FBgn {number * 131}"
                return f"{rng.choice(FLY_STEMS)}{rng.choice(['', str(number % 12)])}"
            case "Caenorhabditis elegans":
                if rng.random() < 0.05:
                    return f"eif-{number % 4}.{rng.choice('ABC')}"
                return f"{rng.choice(WORM_STEMS)}-{number}"
            case _:
                return f"{rng.choice(YEAST_STEMS)}{number % 9 + 1}"

    def gene_id_cell(self, species):
        rng = self.rng
        draw = rng.random()
        if draw < 0.05:
            return "-"
        count = rng.randrange(2, 17) if draw < 0.06 else 1
        return ";".join(str(rng.randint(species.first_gene_id, species.last_gene_id)) for _ in range(count))

    # Interactions: within one species, listed on both pages of a pair.

    def connect(self, proteins):
        rng = self.rng
        pages, pageless = proteins["pages"], proteins["pageless"]
        regulators = [page for page in pages if rng.random() < TF_SHARE]
        tf_only = {id(tf) for tf in regulators if rng.random() < TF_ONLY_SHARE}
        popularity = [0.0 if id(page) in tf_only else rng.lognormvariate(0, POPULARITY_SIGMA) for page in pages]
        weights = list(itertools.accumulate(popularity))
        for tf in regulators:
            for target in self.pick_targets(tf, pages, pageless, weights):
                self.link(tf, target)
        for page in pages:
            if id(page) in tf_only:
                continue
            extra = rng.randrange(1, PAGELESS_TF_MAX + 1) if rng.random() < PAGELESS_TF_PAGES else 0
            if not page.regulators and not page.targets:
                extra = max(extra, 1)
            for tf in rng.sample(pageless, min(extra, len(pageless))):
                self.link(tf, page)

    def pick_targets(self, tf, pages, pageless, weights):
        rng = self.rng
        wanted = min(int(rng.lognormvariate(0, TARGETS_SIGMA) * TARGETS_MEDIAN) + 1, len(pages) // 2 + 1)
        drawn = rng.choices(pages, cum_weights=weights, k=wanted + wanted // 4)
        targets = [target for target in dict.fromkeys(drawn) if target is not tf][:wanted]
        if rng.random() < SELF_REGULATION:
            targets.append(tf)
        pageless_count = round(wanted * PAGELESS_TARGET_SHARE * rng.random() * 2)
        targets += rng.sample(pageless, min(pageless_count, len(pageless)))
        return targets

    def link(self, tf, target):
        evidence = self.interaction_evidence(tf.species)
        tf.targets.append((target, evidence))
        target.regulators.append((tf, evidence))

    def interaction_evidence(self, species):
        rng = self.rng
        draw = rng.random()
        if species.name == "Saccharomyces cerevisiae" and draw < 0.5:
            return self.yeastract_evidence()
        if draw < 0.64:
            return GTRD_ONLY
        if draw < 0.76:
            return GTRD_REMAP
        if draw < 0.82:
            return REMAP_ONLY
        if draw < 0.86:
            return CHIP_ATLAS_ONLY
        return self.curated_evidence()

    def yeastract_evidence(self):
        rng = self.rng
        methods = tuple(sorted(set(rng.sample(YEASTRACT_METHODS, rng.randrange(1, 3)))))
        return Evidence(("Yeastract",), methods, self.citations(rng.randrange(1, 3), "Yeastract"), False)

    def curated_evidence(self):
        rng = self.rng
        sources = set(rng.sample(CURATED_DATABASES, rng.choice((1, 1, 1, 2, 2, 3, 5))))
        if rng.random() < 0.4:
            sources.update(rng.sample(("GTRD", "ReMap"), rng.randrange(1, 3)))
        methods = {rng.choice(SMALL_SCALE_METHODS) for _ in range(rng.choice((1, 1, 2, 3)))}
        if sources & {"GTRD", "ReMap"}:
            methods.add(CHIP)
        count = 30 if rng.random() < 0.002 else rng.choice((1, 1, 2, 2, 2, 3, 4, 6))
        return Evidence(tuple(sorted(sources)), tuple(sorted(methods)), self.citations(count, *sources), True)

    def citations(self, count, *sources):
        """``count`` publications, the often-cited ones more often, plus the sources' references."""
        rng = self.rng
        pmids = {self.literature[int(LITERATURE_SIZE * rng.random() ** 2)] for _ in range(count)}
        pmids.update(REFERENCE_PMIDS[source] for source in sources if source in REFERENCE_PMIDS)
        return tuple(sorted(pmids))

    # Binding sites and orthologs.

    def add_binding_sites(self):
        rng = self.rng
        for page in self.all_pages():
            if self.regulates(page) and rng.random() < BINDING_SITE_SHARE:
                large = rng.random() < LARGE_SCALE_SITES
                count = rng.randrange(20, 160) if large else rng.randrange(1, 6)
                page.binding_sites = [self.binding_site(page.species, large) for _ in range(count)]

    def regulates(self, page):
        """Whether the page's protein has targets (only TFs have binding sites)."""
        return bool(page.targets)

    def binding_site(self, species, large):
        rng = self.rng
        start = rng.randrange(10_000, 150_000_000)
        end = start + (rng.randrange(8, 400) if large else rng.randrange(4, 120))
        if large:
            prefix, evidence = "TFLinkLS", GTRD_ONLY if rng.random() < 0.7 else GTRD_REMAP
            sequence = ""
        else:
            prefix = "TFLinkSS"
            sources = tuple(sorted(rng.sample(("ORegAnno", "PAZAR", "TRRUST"), rng.randrange(1, 3))))
            evidence = Evidence(sources, (CURATOR,), self.citations(rng.randrange(1, 3)), True)
            sequence = "".join(rng.choices("ACGT", k=end - start))
        return BindingSite(
            f"{prefix}{next(self.site_numbers)}",
            rng.choice(species.chromosomes),
            start,
            end,
            rng.choice("+-"),
            evidence,
            rng.choice((0, 0, 0, 1, 2)),
            sequence,
        )

    def add_orthologs(self):
        rng = self.rng
        for page in self.all_pages():
            if rng.random() >= ORTHOLOG_SHARE:
                continue
            others = [species for species in SPECIES if species is not page.species]
            for species in rng.sample(others, rng.randrange(1, len(others) + 1)):
                for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
                    # Mostly a protein with a page here (an anchor), sometimes a bare accession.
                    other = rng.choice(self.proteins[species.name]["pages"]) if rng.random() < 0.8 else None
                    page.orthologs.append((species.name, other or self.new_accession()))

    def all_pages(self):
        return [page for species in SPECIES for page in self.proteins[species.name]["pages"]]


GTRD_ONLY = Evidence(("GTRD",), (CHIP,), (REFERENCE_PMIDS["GTRD"],), False)
GTRD_REMAP = Evidence(("GTRD", "ReMap"), (CHIP,), (REFERENCE_PMIDS["GTRD"], REFERENCE_PMIDS["ReMap"]), False)
REMAP_ONLY = Evidence(("ReMap",), (CHIP,), (REFERENCE_PMIDS["ReMap"],), False)
CHIP_ATLAS_ONLY = Evidence(("ChIP-Atlas",), (CHIP,), (REFERENCE_PMIDS["ChIP-Atlas"],), False)


# Writing pages.


def listed(table):
    """The rows a page shows of a full table: small-scale evidence first, at most 100."""
    return sorted(table, key=lambda entry: not entry[1].small_scale)[:ROW_CAP]


def function_of(tf_count, target_count):
    """The page's ``function`` from the lengths of its full tables."""
    if tf_count and target_count:
        return "transcription factor and target gene"
    return "transcription factor" if target_count else "target gene"


def orthologs_json(page):
    groups = {}
    for species, other in page.orthologs:
        if isinstance(other, Protein):
            item = f'<a href="/protein/{other.accession.lower()}">{other.accession}</a>'
        else:
            item = other
        groups.setdefault(species, {}).setdefault(item)
    return json.dumps([{"species": species, "id": list(ids)} for species, ids in groups.items()]) if groups else ""


def binding_site_row(page, site):
    species = page.species
    position = f"{species.assembly}&position={site.chromosome}:{site.start}-{site.end}"
    evidence = site.evidence
    return (
        f"{site.tflink_id},{page.accession},{page.name or '-'},{species.name},{species.assembly},{site.chromosome},"
        f"{site.start},{site.end},{site.strand},{position},{';'.join(evidence.methods)},{evidence.publications},"
        f"{';'.join(evidence.sources)},{evidence.flag},{site.score}"
    )


def fasta(page, sites):
    records = []
    for site in sites:
        if site.sequence:
            header = f">{site.tflink_id};{page.accession};{page.name or '-'};{page.species.assembly};"
            header += f"{site.chromosome}:{site.start}-{site.end}"
            lines = [site.sequence[i : i + 80] for i in range(0, len(site.sequence), 80)]
            records.append("\n".join([header, *lines]) + "\n")
    return "".join(records)


def front_matter(page, tfs, targets, sites, totals=None):
    """The page's 17 keys, in the order of the real pages, every value a string.

    ``tfs`` and ``targets`` are the rows shown; ``totals``, the lengths of the full tables
    (``page.regulators`` and ``page.targets`` unless given).
    """
    accession = page.accession
    tf_count, target_count = totals or (len(page.regulators), len(page.targets))
    return {
        "type": "protein",
        "layout": "protein",
        "title": accession,
        "protein_name": page.name or "-",
        "uniprot_accession": accession,
        "ncbi_gene_id": page.gene_ids,
        "organism": page.species.name,
        "function": function_of(tf_count, target_count),
        "number_of_interactions": f"{tf_count + target_count:,}",
        "orthologs": orthologs_json(page),
        "jaspar_matrices": "",
        "tfs": "\n".join(f"{tf.row_prefix()},{evidence.interaction_cells()}" for tf, evidence in tfs),
        "targets": "\n".join(f"{target.row_prefix()},{evidence.interaction_cells()}" for target, evidence in targets),
        "tfs_download": f"tfs_of_{accession}.tsv" if tfs else "",
        "targets_download": f"targets_of_{accession}.tsv" if targets else "",
        "bindingSites_download": f"{accession}_TFBS_annot.tsv" if sites else "",
        "binding_sites_ls": "\n".join(binding_site_row(page, site) for site in sites),
    }


def render_page(data, body=""):
    """A page file's text: YAML front matter as ``yaml.dump`` writes it, then the body."""
    dumped = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{dumped}\n---\n{body}"


def split_page(text):
    """``(front matter dict, body)`` of a page file."""
    _, front, body = text.split("---\n", 2)
    return yaml.load(front, Loader=SafeLoader), body


class Totals:
    """What the pages hold, and what a correct import of them must hold."""

    def __init__(self):
        self.pages = self.rows = self.bytes = 0
        self.interaction_rows = self.binding_site_rows = 0
        self.proteins = set()
        self.pairs = {}
        self.binding_site_links = 0
        self.orthologs = 0
        self.pmids = set()

    def add(self, page, tfs, targets, sites, size):
        self.add_page(page, sites, size)
        self.interaction_rows += len(tfs) + len(targets)
        self.proteins.add(page)
        for tf, evidence in tfs:
            self.pairs[tf.accession, page.accession] = evidence
            self.proteins.add(tf)
        for target, evidence in targets:
            self.pairs[page.accession, target.accession] = evidence
            self.proteins.add(target)

    def add_page(self, page, sites, size):
        """What a page holds besides its interactions: its bytes, binding sites and orthologs."""
        self.pages += 1
        self.bytes += size
        self.binding_site_rows += len(sites)
        for site in sites:
            self.binding_site_links += len(site.evidence.sources) + len(site.evidence.methods)
            self.binding_site_links += len(site.evidence.pmids)
            self.pmids.update(site.evidence.pmids)
        self.orthologs += len({other if isinstance(other, str) else other.accession for _, other in page.orthologs})

    def manifest(self, pages, seed, seconds):
        evidence = self.pairs.values()
        for item in evidence:
            self.pmids.update(item.pmids)
        return {
            "generator_version": GENERATOR_VERSION,
            "requested_pages": pages,
            "seed": seed,
            "pages": self.pages,
            "rows": self.interaction_rows + self.binding_site_rows,
            "interaction_rows": self.interaction_rows,
            "binding_site_rows": self.binding_site_rows,
            "bytes": self.bytes,
            "seconds": round(seconds, 1),
            "expected": {
                "proteins": len(self.proteins),
                "gene_ids": sum(len(set(p.gene_ids.split(";"))) for p in self.proteins if p.gene_ids != "-"),
                "interactions": len(self.pairs),
                "interaction_source_links": sum(len(e.sources) for e in evidence),
                "interaction_method_links": sum(len(e.methods) for e in evidence),
                "interaction_publication_links": sum(len(e.pmids) for e in evidence),
                "binding_sites": self.binding_site_rows,
                "binding_site_links": self.binding_site_links,
                "orthologs": self.orthologs,
                "publications": len(self.pmids),
            },
        }


def generate(out_dir, pages=DEFAULT_PAGES, seed=DEFAULT_SEED):
    """Write the corpus into ``out_dir`` (which must be empty) and return its manifest."""
    started = time.perf_counter()
    out_dir = empty_folder(out_dir)
    corpus = Corpus(pages, seed)
    totals = Totals()
    for page in corpus.all_pages():
        tfs, targets, sites = listed(page.regulators), listed(page.targets), page.binding_sites[:ROW_CAP]
        text = render_page(front_matter(page, tfs, targets, sites), fasta(page, sites)).encode()
        (out_dir / f"{page.accession}.md").write_bytes(text)
        totals.add(page, tfs, targets, sites, len(text))
    manifest = totals.manifest(pages, seed, time.perf_counter() - started)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def empty_folder(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise SystemExit(f"{out_dir} is not empty; give a new or empty folder.")
    return out_dir


# The TFLink shape: TFLink's full size, each page with the full download tables of its lists.

TFLINK_INTERACTIONS = 12_000_000
# Species -> (share of the interactions, proteins at full size), roughly TFLink's: most
# interactions in human, then mouse; fly, yeast, worm, rat and zebrafish far fewer.
TFLINK_ORGANISMS = {
    "Homo sapiens": (0.56, 20_000),
    "Mus musculus": (0.32, 21_000),
    "Drosophila melanogaster": (0.07, 12_000),
    "Saccharomyces cerevisiae": (0.025, 6_000),
    "Caenorhabditis elegans": (0.02, 14_000),
    "Rattus norvegicus": (0.004, 3_000),
    "Danio rerio": (0.001, 1_500),
}
TFLINK_TARGETS_MEDIAN = 2_000  # targets per TF at full size: log-normal around this median...
TFLINK_TARGETS_SIGMA = 1.2  # ...with this spread (a few thousand TFs hold 12 million pairs)...
TFLINK_MAX_TARGETS = 20_000  # ...capped here and at the organism's proteins
TFLINK_MIN_PROTEINS = 40  # per organism, however small the corpus
TFLINK_PAGELESS_SHARE = 0.02  # proteins named only in their TFs' tables
TFLINK_POPULARITY_SIGMA = 0.7  # how unevenly TFs pick their targets
# An interaction's evidence (after Yeastract's half of yeast), by cumulative share: nearly all
# from ChIP-seq databases; the last 1 % curated (small-scale, its own publications).
TFLINK_EVIDENCE = (GTRD_ONLY, GTRD_REMAP, REMAP_ONLY, CHIP_ATLAS_ONLY)
TFLINK_EVIDENCE_SHARES = (0.62, 0.82, 0.90, 0.99)
TFLINK_MIN_INTERACTIONS = 10_000

# The download tables, as fixtures/FORMAT.md describes them ("Download tables").
TABLE_HEADERS = {
    side: f"UniprotID.{who}\tNCBI.GeneID.{who}\tName.{who}\tDetection.method\tPubmedID\tOrganism\t"
    "Source.database\tSmall-scale.evidence"
    for side, who in (("tfs", "TF"), ("targets", "Target"))
}
PUBMED_URL = "https://www.ncbi.nlm.nih.gov/pubmed/?term="


def table_partner_cells(protein):
    """Columns 1-3 of a table row naming ``protein``: ``NA`` for no gene id, ``; `` between names."""
    gene_ids = "NA" if protein.gene_ids == "-" else protein.gene_ids.replace(";", ",")
    name = "; ".join(protein.name.split(";")) if protein.name else "-"
    return f"{protein.accession}\t{gene_ids}\t{name}"


def table_evidence_cells(evidence, organism, url_form):
    """Columns 4-8 of a table row.  ``url_form``: PubMed ids as a query URL (``tfs_of_Q07812.tsv``),
    else bare ids, ``,`` between several (``targets_of_O01789.tsv`` shows a single one)."""
    publications = PUBMED_URL + evidence.publications if url_form else ",".join(map(str, evidence.pmids))
    methods, sources = ",".join(evidence.methods), ",".join(evidence.sources)
    return f"\t{methods}\t{publications}\t{organism}\t{sources}\t{evidence.flag}"


class TFLinkCorpus(Corpus):
    """A corpus of TFLink's shape: ``interactions`` pairs within the seven organisms.

    A few thousand TFs (at full size) pick their targets, log-normal in number with the largest
    near 20,000 (capped there and at the organism's proteins).  Proteins per organism and the
    median TF's targets scale with the square root of ``interactions``, so a small corpus
    keeps lists longer than a page's 100 rows and TFs that reach every protein of their
    organism; at 12 million they are TFLink's.

    Twelve million pairs do not fit in Python tuples on this machine: each protein's TFs and
    each TF's targets are two ``array('i')``, partners' numbers (in ``self.everyone``) and
    evidence numbers (in ``self.evidence``): 16 bytes a pair for both sides.
    """

    def __init__(self, interactions, seed):
        self.rng = random.Random(seed)
        self.accessions = set()
        self.literature = self.rng.sample(range(1_000_000, 38_000_000), LITERATURE_SIZE)
        self.site_numbers = itertools.count(10_000_000)
        self.scale = math.sqrt(interactions / TFLINK_INTERACTIONS)
        self.everyone = []  # every protein: its index is its number
        self.number_of = {}  # accession -> number
        self.evidence = list(TFLINK_EVIDENCE)  # evidence numbers index this list
        self.targets_of = {}  # TF's number -> (its targets' numbers, evidence numbers)
        self.tfs_of = []  # number -> (its TFs' numbers, evidence numbers)
        self.members = {species.name: self.make_members(species) for species in SPECIES}
        self.organisms = {}  # species name -> what was made (the manifest's "organisms")
        for species, budget in zip(SPECIES, self.budgets(interactions), strict=True):
            self.connect_organism(species, budget)
        self.small_scale = bytearray(evidence.small_scale for evidence in self.evidence)
        self.proteins = {
            species.name: {"pages": [self.everyone[n] for n in self.members[species.name] if self.has_page(n)]}
            for species in SPECIES
        }
        self.add_binding_sites()
        self.add_orthologs()

    @staticmethod
    def budgets(interactions):
        """Interactions per organism: their shares, Homo sapiens taking what rounding leaves."""
        shares = [round(interactions * TFLINK_ORGANISMS[species.name][0]) for species in SPECIES[1:]]
        return [interactions - sum(shares), *shares]

    def make_members(self, species):
        """Numbers of the organism's proteins: those that may have a page, then the pageless ones."""
        count = max(TFLINK_MIN_PROTEINS, round(TFLINK_ORGANISMS[species.name][1] * self.scale))
        pageless = round(count * TFLINK_PAGELESS_SHARE)
        numbers = []
        for position in range(count):
            protein = self.make_protein(species, has_page=position < count - pageless)
            numbers.append(len(self.everyone))
            self.number_of[protein.accession] = len(self.everyone)
            self.everyone.append(protein)
            self.tfs_of.append((array("i"), array("i")))
        return numbers

    def connect_organism(self, species, budget):
        """TFs, in a random order, take log-normal numbers of targets until ``budget`` pairs are made."""
        rng = self.rng
        members = self.members[species.name]
        population = len(members)
        weights = list(itertools.accumulate(rng.lognormvariate(0, TFLINK_POPULARITY_SIGMA) for _ in members))
        cap = min(TFLINK_MAX_TARGETS, population)
        mu = math.log(TFLINK_TARGETS_MEDIAN * self.scale)
        candidates = [number for number in members if self.everyone[number].has_page]
        made = largest = 0
        for tf in rng.sample(candidates, len(candidates)):
            if made >= budget:
                break
            count = min(int(rng.lognormvariate(mu, TFLINK_TARGETS_SIGMA)) + 1, cap, budget - made)
            targets = array("i", [members[i] for i in self.pick_targets(count, population, weights)])
            evidence = self.evidence_numbers(species, count)
            self.targets_of[tf] = (targets, evidence)
            for target, number in zip(targets, evidence, strict=True):
                tfs, numbers = self.tfs_of[target]
                tfs.append(tf)
                numbers.append(number)
            made += count
            largest = max(largest, count)
        if made < budget:
            raise SystemExit(f"{species.name}: {population:,} proteins hold only {made:,} of {budget:,} interactions.")
        self.organisms[species.name] = {
            "proteins": population,
            "tfs": sum(1 for number in members if number in self.targets_of),
            "interactions": made,
            "largest_tf_targets": largest,
        }

    def pick_targets(self, count, population, weights):
        """``count`` distinct positions among ``population``: popular ones first, or any when most are taken."""
        rng = self.rng
        if count * 4 > population:
            return rng.sample(range(population), count)
        picked = dict.fromkeys(rng.choices(range(population), cum_weights=weights, k=count + count // 3 + 4))
        while len(picked) < count:
            picked.update(dict.fromkeys(rng.choices(range(population), cum_weights=weights, k=count)))
        return list(picked)[:count]

    def evidence_numbers(self, species, count):
        """Evidence of ``count`` new interactions: shared ChIP-seq evidence, or new curated or Yeastract evidence."""
        rng = self.rng
        yeast = species.name == "Saccharomyces cerevisiae"
        numbers = array("i")
        for draw in [rng.random() for _ in range(count)]:
            if yeast:
                if draw < 0.5:
                    numbers.append(self.new_evidence(self.yeastract_evidence()))
                    continue
                draw = draw * 2 - 1
            kind = bisect.bisect(TFLINK_EVIDENCE_SHARES, draw)
            numbers.append(kind if kind < len(TFLINK_EVIDENCE) else self.new_evidence(self.curated_evidence()))
        return numbers

    def new_evidence(self, evidence):
        self.evidence.append(evidence)
        return len(self.evidence) - 1

    def has_page(self, number):
        """A protein has a page when it may have one and takes part in an interaction."""
        return self.everyone[number].has_page and (number in self.targets_of or len(self.tfs_of[number][0]) > 0)

    def regulates(self, page):
        return self.number_of[page.accession] in self.targets_of

    def tables(self, number):
        """The protein's full ``tfs`` and ``targets`` tables: (partner, evidence) numbers, small-scale first."""
        return (
            self.small_scale_first(*self.tfs_of[number]),
            self.small_scale_first(*self.targets_of.get(number, ((), ()))),
        )

    def small_scale_first(self, partners, evidence):
        small_scale = self.small_scale
        rows = list(zip(partners, evidence, strict=True))
        first = [row for row in rows if small_scale[row[1]]]
        return first + [row for row in rows if not small_scale[row[1]]] if first else rows


class TFLinkWriter:
    """Writes a ``TFLinkCorpus``: each page, and beside it the full table of each non-empty list.

    A page shows the first 100 rows of each table, as tflink.net does.  Table cells are made
    once per protein and once per evidence, organism and PubMed form, then joined per row.
    """

    def __init__(self, corpus, out_dir):
        self.corpus = corpus
        self.out_dir = out_dir
        self.partner_cells = [table_partner_cells(protein) for protein in corpus.everyone]
        self.evidence_cells = {}  # (organism, URL form) -> {evidence number: columns 4-8}
        self.totals = Totals()
        self.tables = self.table_rows = self.page_rows = self.largest_table = 0
        self.links = Counter()  # evidence number -> interactions holding it

    def write(self):
        corpus = self.corpus
        for species in SPECIES:
            for page in corpus.proteins[species.name]["pages"]:
                self.write_page(page, *corpus.tables(corpus.number_of[page.accession]))
        for _targets, evidence in corpus.targets_of.values():
            self.links.update(evidence)

    def write_page(self, page, tfs, targets):
        corpus = self.corpus
        shown = [
            [(corpus.everyone[partner], corpus.evidence[number]) for partner, number in rows[:ROW_CAP]]
            for rows in (tfs, targets)
        ]
        sites = page.binding_sites[:ROW_CAP]
        data = front_matter(page, *shown, sites, totals=(len(tfs), len(targets)))
        text = render_page(data, fasta(page, sites)).encode()
        (self.out_dir / f"{page.accession}.md").write_bytes(text)
        size = len(text)
        for side, rows in (("tfs", tfs), ("targets", targets)):
            if rows:
                size += self.write_table(data[f"{side}_download"], side, rows, page.species.name)
        self.page_rows += len(shown[0]) + len(shown[1])
        self.table_rows += len(tfs) + len(targets)
        self.totals.add_page(page, sites, size)

    def write_table(self, name, side, rows, organism):
        # Each table writes its PubMed ids in one form, as TFLink's do.
        url_form = self.corpus.rng.random() < 0.5
        cells = self.evidence_cells.setdefault((organism, url_form), {})
        evidence = self.corpus.evidence
        for number in {number for _partner, number in rows} - cells.keys():
            cells[number] = table_evidence_cells(evidence[number], organism, url_form)
        partner_cells = self.partner_cells
        lines = [TABLE_HEADERS[side], *(partner_cells[partner] + cells[number] for partner, number in rows)]
        data = ("\n".join(lines) + "\n").encode()
        (self.out_dir / name).write_bytes(data)
        self.tables += 1
        self.largest_table = max(self.largest_table, len(data))
        return len(data)

    def manifest(self, interactions, seed, seconds):
        corpus, totals = self.corpus, self.totals
        evidence = corpus.evidence
        proteins = [protein for protein in corpus.everyone if corpus.has_page(corpus.number_of[protein.accession])]
        proteins += [
            protein
            for protein in corpus.everyone
            if not protein.has_page and len(corpus.tfs_of[corpus.number_of[protein.accession]][0])
        ]
        used = [number for number, count in self.links.items() if count]
        for number in used:
            totals.pmids.update(evidence[number].pmids)
        for name, organism in corpus.organisms.items():
            organism["pages"] = len(corpus.proteins[name]["pages"])
        return {
            "generator_version": GENERATOR_VERSION,
            "shape": "tflink",
            "requested_interactions": interactions,
            "seed": seed,
            "pages": totals.pages,
            "tables": self.tables,
            "rows": self.table_rows + totals.binding_site_rows,
            "interaction_rows": self.table_rows,
            "page_interaction_rows": self.page_rows,
            "binding_site_rows": totals.binding_site_rows,
            "bytes": totals.bytes,
            "largest_table_bytes": self.largest_table,
            "seconds": round(seconds, 1),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "organisms": corpus.organisms,
            "expected": {
                "proteins": len(proteins),
                "gene_ids": sum(len(set(p.gene_ids.split(";"))) for p in proteins if p.gene_ids != "-"),
                "interactions": sum(self.links.values()),
                "interaction_source_links": sum(len(evidence[n].sources) * c for n, c in self.links.items()),
                "interaction_method_links": sum(len(evidence[n].methods) * c for n, c in self.links.items()),
                "interaction_publication_links": sum(len(evidence[n].pmids) * c for n, c in self.links.items()),
                "binding_sites": totals.binding_site_rows,
                "binding_site_links": totals.binding_site_links,
                "orthologs": totals.orthologs,
                "publications": len(totals.pmids),
            },
        }


def generate_tflink(out_dir, interactions=TFLINK_INTERACTIONS, seed=DEFAULT_SEED):
    """Write a corpus of TFLink's shape, pages and tables, into ``out_dir`` (new or empty); return its manifest."""
    if interactions < TFLINK_MIN_INTERACTIONS:
        raise SystemExit(f"--interactions must be at least {TFLINK_MIN_INTERACTIONS:,}.")
    started = time.perf_counter()
    out_dir = empty_folder(out_dir)
    writer = TFLinkWriter(TFLinkCorpus(interactions, seed), out_dir)
    writer.write()
    manifest = writer.manifest(interactions, seed, time.perf_counter() - started)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# Changing pages (the benchmark's third scenario).


def change_pages(source_dir, out_dir, count=1000, seed=DEFAULT_SEED):
    """Copy the corpus into ``out_dir`` with ``count`` pages changed as an update of TFLink would.

    Unchanged pages and tables are hard links to the originals.  Half of the changed pages
    gain a row at the top of ``tfs`` (a new TF without a page; the last row falls off a full
    list), the other half gain evidence on one existing row (TRRUST, curator, a new
    publication, small-scale).  Where the changed list has a download table beside the page
    (the tflink shape), the table changes the same way: the importer reads the table, not the
    page's rows.  Returns a summary of the changes.
    """
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"change-{seed}")
    files = sorted(source_dir.glob("*.md"))
    chosen = set(rng.sample(range(len(files)), min(count, len(files))))
    summary = {"pages": len(files), "changed_pages": 0, "added_rows": 0, "enriched_rows": 0, "rows_delta": 0}
    changed_tables = {}  # name -> its lines
    for number, path in enumerate(files):
        target = out_dir / path.name
        if number not in chosen:
            os.link(path, target)
            continue
        data, body = split_page(path.read_text())
        tables = {side: read_table_lines(source_dir / data[f"{side}_download"]) for side in ("tfs", "targets")}
        if summary["changed_pages"] % 2 == 0:
            summary["rows_delta"] += add_row(data, rng, summary["changed_pages"], tables["tfs"])
            summary["added_rows"] += 1
        else:
            enrich_row(data, rng, summary["changed_pages"], tables)
            summary["enriched_rows"] += 1
        summary["changed_pages"] += 1
        target.write_text(render_page(data, body))
        changed_tables.update((data[f"{side}_download"], lines) for side, lines in tables.items() if lines)
    for name, lines in changed_tables.items():
        (out_dir / name).write_text("\n".join(lines) + "\n")
    for path in sorted(source_dir.glob("*.tsv")):
        if path.name not in changed_tables:
            os.link(path, out_dir / path.name)
    return summary


def read_table_lines(path):
    """A download table's lines (header first), or None when the page names none or it is not there."""
    return path.read_text().splitlines() if path.name and path.is_file() else None


def table_publications(lines, pmids):
    """``pmids`` as the table ``lines`` write theirs: a PubMed query URL, or bare ids."""
    if lines[1].split("\t")[4].startswith("http"):
        return PUBMED_URL + "+OR+".join(f"{pmid}%5Buid%5D" for pmid in pmids)
    return ",".join(map(str, pmids))


def add_row(data, rng, number, table=None):
    """Put a new pageless TF at the top of ``tfs`` (and of its table's ``lines``, if given);
    return the change in the rows the importer reads."""
    rows = data["tfs"].split("\n") if data["tfs"] else []
    # The generator never makes "A0A9" accessions, so this one is new to the corpus.
    accession = f"A0A9{ALPHANUMERIC[number // 1000 % 36]}{number // 100 % 10}Z{number // 10 % 10}Z{number % 10}"
    evidence = Evidence(("TRRUST",), (CURATOR,), (40_000_000 + number,), True)
    rows.insert(0, f"NEWTF{number},{accession},{9_000_000 + number},{evidence.interaction_cells()}")
    dropped = len(rows) > ROW_CAP
    data["tfs"] = "\n".join(rows[:ROW_CAP])
    data["tfs_download"] = f"tfs_of_{data['uniprot_accession']}.tsv"
    if not data["targets"]:
        data["function"] = "target gene"
    else:
        data["function"] = "transcription factor and target gene"
    data["number_of_interactions"] = f"{int(data['number_of_interactions'].replace(',', '')) + 1:,}"
    if table:
        publications = table_publications(table, evidence.pmids)
        cells = (accession, str(9_000_000 + number), f"NEWTF{number}", CURATOR, publications, data["organism"])
        table.insert(1, "\t".join((*cells, "TRRUST", "Yes")))
        return 1
    return 0 if dropped else 1


def enrich_row(data, rng, number, tables=None):
    """Add TRRUST, curator, a new publication and small-scale evidence to one row (and to its
    twin in the list's table, ``tables[side]``: the page shows the table's first rows)."""
    field_name = "tfs" if data["tfs"] else "targets"
    rows = data[field_name].split("\n")
    index = rng.randrange(len(rows))
    name, accession, gene_ids, sources, methods, publications, _small = rows[index].split(",")
    sources = sorted(set(sources.split(";")) | {"TRRUST"})
    methods = sorted(set(methods.split(";")) | {CURATOR})
    publications += f"+OR+{41_000_000 + number}%5Buid%5D"
    rows[index] = ",".join((name, accession, gene_ids, ";".join(sources), ";".join(methods), publications, "Yes"))
    data[field_name] = "\n".join(rows)
    table = (tables or {}).get(field_name)
    if table:
        cells = table[index + 1].split("\t")
        if cells[0] != accession:
            raise SystemExit(f"{data['uniprot_accession']}: row {index + 1} of its {field_name} is not its table's")
        pmids = [int(pmid) for pmid in re.findall(r"([0-9]+)%5Buid%5D", publications)]
        cells[3], cells[4] = ",".join(methods), table_publications(table, pmids)
        cells[6], cells[7] = ",".join(sources), "Yes"
        table[index + 1] = "\t".join(cells)


def check(out_dir, manifest):
    """Parse every page with the project's parser and compare with what was written.

    Also compares the keys, in order, with a real page of ``fixtures/pages``.  Raises
    ``SystemExit`` on the first difference; returns the number of pages checked.
    """
    sys.path.insert(0, str(PROJECT_DIR))
    from proteins.parser import parse_page  # plain Python, no Django

    real_keys = list(split_page((PROJECT_DIR / "fixtures" / "pages" / "Q07812.md").read_text())[0])
    rows = 0
    files = sorted(Path(out_dir).glob("*.md"))
    for path in files:
        text = path.read_text()
        keys = list(split_page(text)[0])
        if keys != real_keys:
            raise SystemExit(f"{path}: keys {keys} differ from a real page's {real_keys}")
        page = parse_page(text, path)
        if page.accession != path.stem:
            raise SystemExit(f"{path}: parsed as {page.accession}")
        rows += len(page.tfs) + len(page.targets) + len(page.binding_sites)
    if rows != manifest["rows"]:
        raise SystemExit(f"the parser read {rows:,} rows; the generator wrote {manifest['rows']:,}")
    return len(files)


def check_tflink(out_dir, manifest):
    """Parse every page and its tables as the importer does (``proteins.tables.parse_page_file``).

    Checks each page's keys against a real page's, that each list it shows is the first 100
    rows of its table (same partners, names, gene ids and evidence, in order), that its
    ``number_of_interactions`` is its tables' length, and that the rows read (and the
    ``targets`` rows, one per interaction) are the manifest's.  A table over
    ``MAX_PAGE_BYTES`` is refused by the parser.  Raises ``SystemExit`` on the first
    difference; returns the number of pages checked.
    """
    sys.path.insert(0, str(PROJECT_DIR))
    from proteins.parser import parse_page  # plain Python, no Django
    from proteins.tables import parse_page_file

    real_keys = list(split_page((PROJECT_DIR / "fixtures" / "pages" / "Q07812.md").read_text())[0])
    rows = target_rows = 0
    files = sorted(Path(out_dir).glob("*.md"))
    for path in files:
        text = path.read_text()
        keys = list(split_page(text)[0])
        if keys != real_keys:
            raise SystemExit(f"{path}: keys {keys} differ from a real page's {real_keys}")
        shown, page = parse_page(text, path), parse_page_file(path)
        for side in ("tfs", "targets"):
            listed, full = getattr(shown, side), getattr(page, side)
            if listed and not (path.parent / shown.downloads[side]).is_file():
                raise SystemExit(f"{path}: no table {shown.downloads[side]} beside the page")
            if list(map(row_content, listed)) != list(map(row_content, full[:ROW_CAP])):
                raise SystemExit(f"{path}: its {side} are not the first {ROW_CAP} rows of its table")
        if shown.reported_interaction_count != len(page.tfs) + len(page.targets):
            raise SystemExit(f"{path}: number_of_interactions is not the length of its tables")
        rows += len(page.tfs) + len(page.targets) + len(page.binding_sites)
        target_rows += len(page.targets)
    if rows != manifest["rows"]:
        raise SystemExit(f"the parser read {rows:,} rows; the generator wrote {manifest['rows']:,}")
    if target_rows != manifest["expected"]["interactions"]:
        raise SystemExit(f"{target_rows:,} targets rows; the manifest expects {manifest['expected']['interactions']:,}")
    return len(files)


def row_content(row):
    """What a page row and a table row must agree on (a table also names the partner's organism)."""
    return row.partner_accession, row.partner_name, row.partner_gene_ids, row.evidence


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate a synthetic corpus of TFLink protein pages.")
    parser.add_argument("out_dir", type=Path, help="Folder to write the pages into (new or empty).")
    parser.add_argument(
        "--shape",
        choices=("pages", "tflink"),
        default="pages",
        help="pages: --pages pages, lists cut at 100 rows, no tables; tflink: TFLink's size, "
        "--interactions pairs, pages with their full download tables (default: %(default)s).",
    )
    parser.add_argument("--pages", type=int, help=f"Number of pages (shape pages; default: {DEFAULT_PAGES}).")
    parser.add_argument(
        "--interactions", type=int, help=f"Number of interactions (shape tflink; default: {TFLINK_INTERACTIONS:,})."
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (default: %(default)s).")
    parser.add_argument(
        "--check",
        action="store_true",
        help="Then parse every page (and its tables) with the project's parser and compare the rows.",
    )
    args = parser.parse_args(argv)
    if args.shape == "tflink":
        if args.pages is not None:
            parser.error("--pages is for the pages shape; the tflink shape takes --interactions.")
        manifest = generate_tflink(args.out_dir, args.interactions or TFLINK_INTERACTIONS, args.seed)
        print(
            f"{manifest['pages']:,} pages and {manifest['tables']:,} tables, {manifest['expected']['interactions']:,} "
            f"interactions, {manifest['rows']:,} rows ({manifest['interaction_rows']:,} table rows, "
            f"{manifest['binding_site_rows']:,} binding sites), {manifest['bytes'] / 1e6:.1f} MB "
            f"(largest table {manifest['largest_table_bytes'] / 1e6:.2f} MB) in {manifest['seconds']} s, "
            f"peak memory {manifest['peak_rss_mb']:,} MB -> {args.out_dir}"
        )
        if args.check:
            checked = check_tflink(args.out_dir, manifest)
            print(f"Checked {checked:,} pages with proteins.tables.parse_page_file: same rows in pages and tables.")
        return
    if args.interactions is not None:
        parser.error("--interactions is for the tflink shape; the pages shape takes --pages.")
    pages = DEFAULT_PAGES if args.pages is None else args.pages
    if pages < len(SPECIES):
        parser.error(f"--pages must be at least {len(SPECIES)} (one per organism).")
    manifest = generate(args.out_dir, pages, args.seed)
    print(
        f"{manifest['pages']:,} pages, {manifest['rows']:,} rows ({manifest['interaction_rows']:,} tfs/targets, "
        f"{manifest['binding_site_rows']:,} binding sites), {manifest['bytes'] / 1e6:.1f} MB "
        f"in {manifest['seconds']} s -> {args.out_dir}"
    )
    if args.check:
        print(f"Checked {check(args.out_dir, manifest):,} pages with proteins.parser.parse_page: same rows, same keys.")


if __name__ == "__main__":
    sys.exit(main())
