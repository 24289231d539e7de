"""Planning a batch: what its pages say once merged, which proteins they name, and what each
known interaction gains.  No writes here; ``writer.BatchWriter`` writes what is planned.

A pair is named on its TF's page and on its target's page: the two rows' evidence is merged
(``merged_pairs``).  A known interaction gains only the evidence it does not hold yet; a
curated one gains nothing, and what the pages add is proposed to curators instead
(``plan_known_pairs``, ``curation.rules``).
"""

from __future__ import annotations

import itertools
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from curation.rules import is_curated

from ..models import Protein
from ..pages import Evidence, InteractionRow, Page

# Each kind of evidence: its attribute on Evidence, its many-to-many field, the through column.
EVIDENCE_KINDS = (
    ("source_databases", "source_databases", "sourcedatabase_id"),
    ("detection_methods", "detection_methods", "detectionmethod_id"),
    ("pmids", "publications", "publication_id"),
)
CHUNK = 5000  # values in one IN (...): far below SQLite's 32,766 and PostgreSQL's 65,535


def chunked(values, size=CHUNK):
    values = list(values)
    return (values[i : i + size] for i in range(0, len(values), size))


def union(first, second):
    """One pair's evidence from two rows (its TF's page and its target's page)."""
    return Evidence(
        source_databases=tuple(dict.fromkeys(first.source_databases + second.source_databases)),
        detection_methods=tuple(dict.fromkeys(first.detection_methods + second.detection_methods)),
        pmids=tuple(dict.fromkeys(first.pmids + second.pmids)),
        small_scale=first.small_scale or second.small_scale,
    )


def merged_pairs(pages: list[Page]) -> dict[tuple[str, str], Evidence]:
    """``{(TF accession, target accession): Evidence}``, the union when several rows name a pair."""
    pairs = {}
    for page in pages:
        rows = itertools.chain(
            (((row.partner_accession, page.accession), row.evidence) for row in page.tfs),
            (((page.accession, row.partner_accession), row.evidence) for row in page.targets),
        )
        for pair, evidence in rows:
            known = pairs.get(pair)
            pairs[pair] = evidence if known is None else union(known, evidence)
    return pairs


def wanted_proteins(pages: list[Page], organisms: dict[str, int]) -> dict:
    """``{accession: (page, row, organism id)}`` of every protein named: a page wins over a row."""
    wanted = {}
    for page in pages:
        for row in itertools.chain(page.tfs, page.targets):
            if row.partner_accession not in wanted:
                wanted[row.partner_accession] = (None, row, organisms[row.partner_organism or page.organism])
    for page in pages:
        wanted[page.accession] = (page, None, organisms[page.organism])
    return wanted


def new_protein(accession: str, page: Page | None, row: InteractionRow | None, organism_id: int):
    """``(Protein, its gene ids)`` as its page says, or as a row naming it says when it has no page."""
    if page is None:
        protein = Protein(
            accession=accession,
            gene_name=row.partner_name,
            organism_id=organism_id,
            provenance=Protein.Provenance.ROW,
        )
        return protein, row.partner_gene_ids
    protein = Protein(
        accession=accession,
        gene_name=page.name,
        organism_id=organism_id,
        jaspar_matrices=page.jaspar_matrices,
        reported_interaction_count=page.reported_interaction_count,
        description=page.body,
        provenance=Protein.Provenance.PAGE,
    )
    return protein, page.gene_ids


class EvidenceFingerprints:
    """What the import wrote as evidence of each interaction it created, as one 64-bit hash per id.

    The same pair is listed on its TF's page and on its target's page, nearly always with the
    same evidence.  When the second page comes, a matching fingerprint says there is nothing to
    add, without reading the pair's links back from the database.  The hashes live in an array
    indexed by ``id - first id``: 8 bytes an interaction (8 MB for a million).  Only
    interactions no curator has touched are trusted (curators change links, not the import).
    """

    def __init__(self):
        self.base = None
        self.hashes = array("q")

    @staticmethod
    def of(evidence):
        return hash(
            (
                frozenset(evidence.source_databases),
                frozenset(evidence.detection_methods),
                frozenset(evidence.pmids),
                evidence.small_scale,
            )
        )

    def remember(self, pk, evidence):
        if self.base is None:
            self.base = pk
        index = pk - self.base
        if index < 0:
            return
        if index >= len(self.hashes):
            self.hashes.frombytes(bytes(8 * (index + 1 - len(self.hashes))))
        self.hashes[index] = self.of(evidence) or 1

    def forget(self, pk):
        if self.base is not None and 0 <= pk - self.base < len(self.hashes):
            self.hashes[pk - self.base] = 0

    def matches(self, found, evidence):
        """Whether ``found`` (an unreviewed interaction's row) holds exactly ``evidence``, as written by this run."""
        pk, _small_scale, _version, status, editor = found
        if self.base is None or is_curated(status, editor):
            return False
        index = pk - self.base
        if not 0 <= index < len(self.hashes):
            return False
        stored = self.hashes[index]
        return stored != 0 and stored == (self.of(evidence) or 1)


def split_pairs(pairs, existing, ids, fingerprints):
    """``(new, known)``: the pairs to create, and the known ones whose evidence may have grown.

    ``new`` holds ``(tf, target, (tf id, target id), evidence)``; ``known`` holds ``(tf, target,
    its row in ``existing``, evidence)``.  A known pair whose fingerprint matches is left out.
    """
    known, new = [], []
    for (tf, target), evidence in pairs.items():
        key = (ids[tf], ids[target])
        found = existing.get(key)
        if found is None:
            new.append((tf, target, key, evidence))
        elif not fingerprints.matches(found, evidence):
            known.append((tf, target, found, evidence))
    return new, known


@dataclass
class KnownPairsPlan:
    """What the batch writes to known interactions, and what it holds for curators."""

    to_update: list = field(default_factory=list)  # (id, small_scale, version, updated_at)
    gained_small_scale: list = field(default_factory=list)  # (tf id, target id)
    links: defaultdict = field(default_factory=lambda: defaultdict(list))  # {kind: [(id, value id)]}
    held_changes: list = field(default_factory=list)  # (id, page accession, added value ids, gains small-scale)


def added_evidence(pk, evidence, held, lookup_ids):
    """``{kind: [value id]}`` of ``evidence`` that interaction ``pk`` does not hold yet (``held``)."""
    return {
        attribute: [v for v in lookup_ids[attribute](getattr(evidence, attribute)) if (pk, v) not in held[attribute]]
        for attribute, _field, _column in EVIDENCE_KINDS
    }


def plan_known_pairs(known, held, lookup_ids, *, ids, page_accessions, fingerprints, now: datetime) -> KnownPairsPlan:
    """What each known pair gains: new links and a new version, or, when curated, a change held for curators."""
    plan = KnownPairsPlan()
    for tf, target, found, evidence in known:
        pk, small_scale, version, status, editor = found
        added = added_evidence(pk, evidence, held, lookup_ids)
        gains_small_scale = evidence.small_scale and not small_scale
        if not gains_small_scale and not any(added.values()):
            continue
        if is_curated(status, editor):
            # Curators win: what the source now says is held for them to accept or dismiss.
            plan.held_changes.append((pk, tf if tf in page_accessions else target, added, gains_small_scale))
            continue
        for attribute, values in added.items():
            plan.links[attribute].extend((pk, value) for value in values)
        plan.to_update.append((pk, small_scale or evidence.small_scale, version + 1, now))
        fingerprints.forget(pk)  # its evidence is now a union: read it from the database next time
        if gains_small_scale:
            plan.gained_small_scale.append((ids[tf], ids[target]))
    return plan
