"""Writing one batch of pages: proteins, their gene ids and orthologs, interactions and their
evidence, binding sites, with a fixed number of bulk queries whatever the number of rows.

``BatchWriter`` runs inside the batch's transaction (``run.PageImporter.apply``).  In a dry
run it plans the same rows from reads only (``planning``) and writes nothing.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from functools import cached_property
from operator import itemgetter

from django.db import IntegrityError, connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from curation import grading

from .. import counts
from ..models import (
    BindingSite,
    DetectionMethod,
    GeneId,
    ImportRecord,
    Interaction,
    Organism,
    Ortholog,
    Protein,
    Publication,
    SourceDatabase,
)
from .planning import (
    EVIDENCE_KINDS,
    chunked,
    merged_pairs,
    new_protein,
    plan_known_pairs,
    split_pairs,
    wanted_proteins,
)
from .sql import count_present, insert_instances, insert_returning, insert_rows, rows_by_keys, update_rows

UNREVIEWED = Interaction.Status.UNREVIEWED.value


class BatchWriter:
    """Plans and writes one batch of pages with a fixed number of bulk queries."""

    def __init__(self, importer, batch):
        self.importer = importer
        self.dry_run = importer.dry_run
        self.pages = [loaded.page for loaded in batch]
        self.batch = batch
        self.ids = {}
        self.organism_of = {}
        self.gene_ids = {}
        self.created_proteins = []
        self.held_changes = []  # (interaction id, page accession, added evidence ids, gains small-scale)
        self.new_ids = itertools.count(-1, -1)
        self.confidences = {}  # (small_scale, sources, methods) -> level: few combinations repeat
        # {model: ids} this batch refers to that come from the run's caches, not from rows it wrote.
        self.remembered = defaultdict(set)

    def write(self):
        existing = self.write_proteins()
        self.write_gene_ids(existing)
        self.write_orthologs(existing)
        created, updated = self.write_interactions(existing)
        self.write_binding_sites()
        pages = [
            (
                loaded,
                ImportRecord.Outcome.UPDATED if existing.get(loaded.page.accession) else ImportRecord.Outcome.CREATED,
                self.ids[loaded.page.accession],
            )
            for loaded in self.batch
        ]
        return {
            "interactions_created": created,
            "interactions_updated": updated,
            "pages": pages,
            "held_changes": self.held_changes,
        }

    # Proteins: the pages' own, and every partner named in a row.

    def write_proteins(self):
        """Create missing proteins, update the pages' own; return ``{accession: had a page}`` of known ones."""
        wanted = wanted_proteins(self.pages, self.importer.organisms)
        known = self.importer.known_proteins()
        existing = {}
        for accession in wanted:
            if accession in known:
                pk, organism, has_page = known[accession]
                existing[accession] = has_page
                self.ids[accession] = pk
                self.organism_of[pk] = organism
                self.remembered[Protein].add(pk)
        hashes = {loaded.page.accession: loaded.content_hash for loaded in self.batch}
        to_create, to_update = [], []
        for accession, (page, row, organism_id) in wanted.items():
            if accession in existing and page is None:
                continue
            protein, self.gene_ids[accession] = new_protein(accession, page, row, organism_id)
            if page:
                protein.page_hash = hashes[accession]
            if accession not in existing:
                to_create.append(protein)
            else:
                protein.pk = self.ids[accession]
                to_update.append(protein)
        if self.dry_run:
            for protein in to_create:
                protein.pk = next(self.new_ids)
        else:
            insert_instances(Protein, to_create, key="accession")
            self.update_proteins(to_update)
        for protein in to_create:
            self.ids[protein.accession] = protein.pk
            self.organism_of[protein.pk] = protein.organism_id
        if not self.dry_run:
            for protein in itertools.chain(to_create, to_update):
                known[protein.accession] = (protein.pk, protein.organism_id, bool(protein.page_hash))
        self.created_proteins = to_create
        self.remembered[Organism].update(organism_id for _page, _row, organism_id in wanted.values())
        return existing

    @staticmethod
    def update_proteins(proteins):
        columns = [*PAGE_FIELDS, "page_hash", "updated_at"]
        fields = [Protein._meta.get_field(name) for name in columns]
        now = timezone.now()
        rows = []
        for protein in proteins:
            protein.updated_at = now
            rows.append((protein.pk, *(f.get_db_prep_save(getattr(protein, f.attname), connection) for f in fields)))
        update_rows(Protein, columns, rows)

    def write_gene_ids(self, existing):
        """Gene ids of new proteins, and of every page protein (the page is authoritative)."""
        if self.dry_run:
            return
        existing_pages = self.page_accessions & set(existing)
        owners = [p.accession for p in self.created_proteins] + list(existing_pages)
        rows = [
            (self.ids[accession], value) for accession in owners for value in dict.fromkeys(self.gene_ids[accession])
        ]
        GeneId.objects.filter(protein_id__in=[self.ids[a] for a in existing_pages]).delete()
        insert_rows(GeneId, ["protein", "gene_id"], rows)

    def write_orthologs(self, existing):
        """Replace the pages' orthologs; link them, and older ones, to proteins held here."""
        if self.dry_run:
            return
        known = self.importer.known_proteins()
        rows = [
            (self.ids[page.accession], o.accession, o.species, known[o.accession][0] if o.accession in known else None)
            for page in self.pages
            for o in page.orthologs
        ]
        self.remembered[Protein].update(row[3] for row in rows if row[3] is not None)
        Ortholog.objects.filter(protein_id__in=[self.ids[a] for a in self.page_accessions & set(existing)]).delete()
        insert_rows(Ortholog, ["protein", "accession", "species", "ortholog"], rows)
        for new_accessions in chunked(p.accession for p in self.created_proteins):
            Ortholog.objects.filter(ortholog__isnull=True, accession__in=new_accessions).update(
                ortholog=Subquery(Protein.objects.filter(accession=OuterRef("accession")).values("pk")[:1])
            )

    @cached_property
    def page_accessions(self):
        return {page.accession for page in self.pages}

    # Interactions and their evidence.

    def write_interactions(self, had_page):
        """Create new pairs, add new evidence to known ones; return (created, updated) counts.

        ``had_page``: ``{accession: whether it had a page}`` of the proteins known before this batch.
        """
        pairs = merged_pairs(self.pages)
        existing = self.interactions_of(
            self.pairs_that_may_exist(pairs, had_page), "small_scale", "version", "status", "last_edited_by_id"
        )
        fingerprints = self.importer.fingerprints
        new_pairs, known = split_pairs(pairs, existing, self.ids, fingerprints)
        held = self.held_evidence(found[0] for _tf, _target, found, _evidence in known)
        lookup_ids = self.lookup_ids(pairs.values())
        now = timezone.now()
        plan = plan_known_pairs(
            known,
            held,
            lookup_ids,
            ids=self.ids,
            page_accessions=self.page_accessions,
            fingerprints=fingerprints,
            now=now,
        )
        self.held_changes = plan.held_changes
        new_pairs.sort(key=itemgetter(2))  # the (tf, target) index's order: inserts walk it forwards
        created = self.count_new_pairs([(tf, target) for tf, target, _key, _evidence in new_pairs])
        if self.dry_run:
            return created, len(plan.to_update)
        timestamp = Interaction._meta.get_field("created_at").get_db_prep_save(now, connection)
        new_links = self.insert_new_pairs(new_pairs, lookup_ids, timestamp)
        update_rows(
            Interaction,
            ["small_scale", "version", "updated_at"],
            [(pk, s, v, timestamp) for pk, s, v, _ in plan.to_update],
        )
        self.count_interactions(new_pairs, plan.gained_small_scale)
        self.write_links(Interaction, new_links, "interaction", new_owners=True)
        self.write_links(Interaction, plan.links, "interaction")
        grading.regrade(pk for pk, *_ in plan.to_update)
        return created, len(plan.to_update)

    def insert_new_pairs(self, new_pairs, lookup_ids, timestamp):
        """Insert the new interactions, unreviewed and graded; return their links, ``{kind: [(id, value id)]}``."""
        links = defaultdict(list)
        columns = ["tf", "target", "organism", "small_scale", "confidence", "status", "version"]
        inserted = insert_returning(
            Interaction,
            [*columns, "created_at", "updated_at"],
            [
                (
                    key[0],
                    key[1],
                    self.organism_of[key[0]],
                    evidence.small_scale,
                    self.confidence_of_new(evidence, lookup_ids),
                    UNREVIEWED,
                    1,
                    timestamp,
                    timestamp,
                )
                for _tf, _target, key, evidence in new_pairs
            ],
            returning=["id", "tf", "target"],
        )
        ids = {(tf, target): pk for pk, tf, target in inserted}
        for _tf, _target, key, evidence in new_pairs:
            pk = ids[key]
            self.importer.fingerprints.remember(pk, evidence)
            for attribute, _field, _column in EVIDENCE_KINDS:
                links[attribute].extend(
                    (pk, value_id) for value_id in lookup_ids[attribute](getattr(evidence, attribute))
                )
        return links

    def confidence_of_new(self, evidence, lookup_ids):
        """A new interaction's confidence: from its evidence alone (unreviewed, no curated publication)."""
        key = (evidence.small_scale, evidence.source_databases, evidence.detection_methods)
        if key not in self.confidences:
            facts = grading.Facts(
                approved=False,
                small_scale=evidence.small_scale,
                # Ids, not names: two spellings of one name are one source.
                sources=len(set(lookup_ids["source_databases"](evidence.source_databases))),
                methods=len(set(lookup_ids["detection_methods"](evidence.detection_methods))),
                curated_publications=0,
            )
            self.confidences[key] = grading.confidence_level(facts)
        return self.confidences[key]

    def count_interactions(self, new_pairs, gained_small_scale):
        """New interactions are unreviewed, so public: their proteins' stored counts grow.

        Unless indexes wait (``deferred_indexes``): then they are all counted once, when the
        indexes are built.  The cached summaries are cleared either way.
        """
        added = [] if self.importer.indexes_deferred else new_pairs
        counts.interactions_changed(
            (),
            added=[(key[0], key[1], evidence.small_scale) for _tf, _target, key, evidence in added],
            gained_small_scale=[] if self.importer.indexes_deferred else gained_small_scale,
        )

    def pairs_that_may_exist(self, pairs, had_page):
        """The pairs to look up: every one, unless the interactions were empty when the run began.

        Then only pages of this run wrote interactions, so a pair exists only if one of its two
        proteins had a page before this batch, which in a cold import leaves many out.  (Two
        pages of one batch naming a pair are merged in ``merged_pairs``.)  Should another writer
        have added a pair meanwhile, the unique (tf, target) index refuses the batch, and it is
        applied again with every pair looked up.
        """
        if not self.importer.started_empty:
            return pairs
        paged = {accession for accession, has_page in had_page.items() if has_page}
        return [pair for pair in pairs if pair[0] in paged or pair[1] in paged]

    def interactions_of(self, pairs, *columns):
        """``{(tf id, target id): (pk, *columns)}`` of the interactions among ``pairs`` (accessions) that exist.

        Looked up pair by pair through the unique (tf, target) index: a batch reads only its own
        pairs, and needs no index by target (a large import sets that one aside).
        """
        keys = sorted((self.ids[tf], self.ids[target]) for tf, target in pairs)
        rows = rows_by_keys(Interaction, ["tf", "target"], keys, ["id", "tf", "target", *columns])
        return {(tf, target): (pk, *rest) for pk, tf, target, *rest in rows}

    def count_new_pairs(self, pairs):
        if not self.dry_run:
            return len(pairs)
        new = set(pairs) - self.importer.planned_pairs
        self.importer.planned_pairs.update(new)
        return len(new)

    @staticmethod
    def held_evidence(interaction_ids):
        """``{kind: {(interaction_id, value_id)}}`` for the interactions ``interaction_ids``.

        Read by interaction id from each link table's unique (interaction, value) index; a
        join to the interactions by TF or target made PostgreSQL scan the whole link table.
        """
        held = {attribute: set() for attribute, *_ in EVIDENCE_KINDS}
        for chunk in chunked(interaction_ids):
            for attribute, field_name, column in EVIDENCE_KINDS:
                through = getattr(Interaction, field_name).through
                held[attribute].update(
                    through.objects.filter(interaction_id__in=chunk).values_list("interaction_id", column)
                )
        return held

    def lookup_ids(self, evidences):
        """Functions mapping evidence values to ids, creating missing lookup rows first."""
        pmids = set().union(*(e.pmids for e in evidences)) - self.importer.known_pmids
        if pmids and not self.dry_run:
            insert_rows(Publication, ["pmid"], [(pmid,) for pmid in pmids], ignore_conflicts=True)
            self.importer.known_pmids.update(pmids)
        # In the order met: of two spellings new to the database, the first one met is stored.
        names = {
            SourceDatabase: dict.fromkeys(itertools.chain.from_iterable(e.source_databases for e in evidences)),
            DetectionMethod: dict.fromkeys(itertools.chain.from_iterable(e.detection_methods for e in evidences)),
        }
        for model, values in names.items():
            self.ensure_lookup(model, values)
        sources, methods = self.importer.lookups[SourceDatabase], self.importer.lookups[DetectionMethod]
        return {
            "source_databases": lambda values: [sources[v] for v in values],
            "detection_methods": lambda values: [methods[v] for v in values],
            "pmids": lambda values: list(values),
        }

    def ensure_lookup(self, model, names):
        """Ids of the source databases or detection methods ``names``, in any case; missing ones created.

        The cache holds each spelling met, so rows are looked up by the spelling they give.
        """
        cache = self.importer.lookups[model]
        missing = [name for name in names if name not in cache]
        if not missing:
            return
        found = model.objects.for_names(missing, create=not self.dry_run)
        cache.update((name, row.pk) for name, row in found.items())
        self.importer.lookup_names[model].update((row.pk, row.name) for row in found.values())
        would_create = {}
        for name in missing:
            if name not in found:  # in a dry run: one planned id per name in any case
                cache[name] = would_create.setdefault(name.lower(), next(self.new_ids))

    def write_links(self, model, links, owner, new_owners=False):
        """Insert the evidence ``links`` (``{kind: [(owner id, value id)]}``) that are not stored yet.

        ``new_owners``: the owners are rows of this transaction, so none of their links is stored
        and no row can conflict (on PostgreSQL they are copied straight into the table).
        """
        for attribute, field_name, column in EVIDENCE_KINDS:
            through = getattr(model, field_name).through
            # In the unique (owner, value) index's order: new owners have the largest ids, so their
            # rows are appended to it.  (The value index, if kept, is walked in random order.)
            # Distinct: two spellings of one source are one link.
            rows = sorted(set(links[attribute]))
            value = column.removesuffix("_id")
            insert_rows(through, [owner, value], rows, ignore_conflicts=not new_owners)
            self.remembered[through._meta.get_field(value).related_model].update(v for _owner, v in rows)

    def check_references(self):
        """Raise ``IntegrityError`` if a row this batch refers to by a remembered id was deleted.

        SQLite checks every foreign key of every row it inserts, a large share of the time of the
        evidence links.  Batches run with those checks off (``run.PageImporter.apply``) and check
        here, per table, the ids they took from the run's caches (proteins, organisms, evidence
        names, publications, the run); the other ids are rows written in this transaction.  The
        batch holds SQLite's write lock, so none can be deleted between this check and the commit.
        A batch refused this way is applied again page by page with fresh caches.  (PostgreSQL
        checks its foreign keys at the commit too, unless a large import set them aside
        (``deferred_indexes``): then this check locks the rows it finds, as those checks would.)
        """
        for model, ids in self.remembered.items():
            if count_present(model, ids, lock=self.importer.indexes_deferred) != len(ids):
                raise IntegrityError(f"a {model._meta.verbose_name} the pages refer to was deleted during the import")

    # Binding sites: owned by their TF's page, replaced with it.

    def write_binding_sites(self):
        sites = {site.tflink_id: (page, site) for page in self.pages for site in page.binding_sites}
        if self.dry_run or not sites:
            return
        lookup_ids = self.lookup_ids([site.evidence for _page, site in sites.values()])
        objects = [
            BindingSite(
                tflink_id=site.tflink_id,
                tf_id=self.ids[page.accession],
                assembly=site.assembly,
                chromosome=site.chromosome,
                start=site.start,
                end=site.end,
                strand=site.strand,
                sequence=site.sequence,
                score=site.score,
                small_scale=site.evidence.small_scale,
            )
            for page, site in sites.values()
        ]
        BindingSite.objects.bulk_create(
            objects, update_conflicts=True, unique_fields=["tflink_id"], update_fields=BINDING_SITE_FIELDS
        )
        site_ids = [site.pk for site in objects]
        links = defaultdict(list)
        for obj, (_page, site) in zip(objects, sites.values(), strict=True):
            for attribute, _field, _column in EVIDENCE_KINDS:
                links[attribute].extend(
                    (obj.pk, value) for value in lookup_ids[attribute](getattr(site.evidence, attribute))
                )
        for _attribute, field_name, _column in EVIDENCE_KINDS:
            through = getattr(BindingSite, field_name).through
            for chunk in chunked(site_ids):
                through.objects.filter(bindingsite_id__in=chunk).delete()
        self.write_links(BindingSite, links, "bindingsite")


PAGE_FIELDS = ["gene_name", "organism", "jaspar_matrices", "reported_interaction_count", "description", "provenance"]
BINDING_SITE_FIELDS = ["tf", "assembly", "chromosome", "start", "end", "strand", "sequence", "score", "small_scale"]
