"""Modes of regulation from a curated source table (TRRUST's format), written through the curation rules.

``import_mode_table`` reads a table (``proteins.trrust``), matches its symbols to the proteins
of one organism (``Protein.objects.ids_by_symbol``) and, for each TF-target pair the portal
holds, records what each publication states as a ``Statement`` of the table's source.  An
interaction no curator touched (``rules.is_curated``) also gains the publications and the
source as evidence; a curated one keeps its evidence, and what differs is held for curators
(``rules.hold_source_changes``), as is a table's mode that differs from a reviewer's: the
import never changes a reviewer's mode.  Modes and confidence follow from the statements by
``curation.grading``.  One transaction; a fixed number of queries per ``CHUNK`` pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from proteins import counts
from proteins.importing.sql import insert_returning, insert_rows, rows_by_keys, update_rows
from proteins.models import (
    Interaction,
    Mode,
    ModeDecision,
    ModeTableRun,
    Organism,
    Protein,
    Publication,
    SourceDatabase,
    Statement,
)
from proteins.trrust import ModeRow, ModeTableError, read_mode_table

from . import grading
from .rules import ProposedChange, hold_source_changes, is_curated, new_source_changes

TRRUST = "TRRUST"
CHUNK = 2000  # pairs per round of queries, within SQLite's limit on parameters
HISTORY_REASON = "mode table import"
PublicationLinks = Interaction.publications.through
SourceLinks = Interaction.source_databases.through


@dataclass
class TablePair:
    """What a table says of one TF-target pair: each publication's mode, and the symbols it was named by."""

    tf_symbol: str
    target_symbol: str
    modes: dict[int, str] = field(default_factory=dict)  # PubMed id -> mode

    def add(self, row: ModeRow) -> None:
        for pmid in row.pmids:
            self.modes[pmid] = merged_mode(self.modes.get(pmid), row.mode)

    @property
    def mode(self) -> str:
        """The table's mode of the pair: the majority of its publications' (``grading.majority_mode``)."""
        return grading.majority_mode(self.modes.values())


def merged_mode(before: str | None, mode: str) -> str:
    """The mode of a publication a table gives ``before`` and ``mode`` for one pair: two different
    known modes are dual; a known mode beats unknown."""
    if before is None or before == mode or before == Mode.UNKNOWN:
        return mode
    if mode == Mode.UNKNOWN:
        return before
    return Mode.DUAL


@dataclass
class ModeTableReport:
    """What an import of a mode table did, or would do (``dry_run``)."""

    path: str
    organism: str
    source: str
    dry_run: bool
    create_missing: bool
    rows_read: int = 0
    duplicates: int = 0
    refused: list[ModeTableError] = field(default_factory=list)  # rows that cannot be read
    unmatched: list[ModeTableError] = field(default_factory=list)  # symbols naming no protein, or several
    statements_created: int = 0
    statements_updated: int = 0
    statements_unchanged: int = 0
    interactions_given_evidence: int = 0
    changes_held: int = 0
    missing_pairs: list[tuple[str, str]] = field(default_factory=list)
    pairs_created: int = 0
    run: ModeTableRun | None = None

    @property
    def problems(self) -> list[ModeTableError]:
        """Every row skipped, in the table's order."""
        return sorted([*self.refused, *self.unmatched], key=lambda problem: problem.line)

    @property
    def changed(self) -> bool:
        return bool(
            self.statements_created
            or self.statements_updated
            or self.interactions_given_evidence
            or self.changes_held
            or self.pairs_created
        )

    def summary(self) -> list[tuple[str, int]]:
        """``(what, how many)`` lines, as the command and the admin show them."""
        verb = "would be " if self.dry_run else ""
        return [
            ("rows read", self.rows_read),
            ("duplicate lines (counted once)", self.duplicates),
            ("bad rows (skipped)", len(self.refused)),
            ("unmatched or ambiguous rows (skipped)", len(self.unmatched)),
            (f"statements {verb}created", self.statements_created),
            (f"statements {verb}updated", self.statements_updated),
            ("statements unchanged", self.statements_unchanged),
            (f"interactions {verb}given evidence", self.interactions_given_evidence),
            (f"curated interactions' changes {verb}held for curators", self.changes_held),
            ("pairs the portal does not hold", len(self.missing_pairs)),
            (f"pairs {verb}created", self.pairs_created),
        ]


def find_organism(term: str) -> Organism:
    """The organism of NCBI taxon id or scientific name (any case) ``term``; ``Organism.DoesNotExist`` if none."""
    term = term.strip()
    if term.isdecimal():
        return Organism.objects.get(taxon_id=int(term))
    return Organism.objects.get(name__iexact=term)


def import_mode_table(
    path_or_file,
    organism: Organism,
    *,
    source: str = TRRUST,
    create_missing: bool = False,
    dry_run: bool = False,
    user: AbstractBaseUser | None = None,
) -> ModeTableReport:
    """Import the modes of a TRRUST-format table (a path, or an open file) for the proteins of ``organism``.

    Credits its statements to the source database ``source``; with ``create_missing``, creates
    the pairs the portal does not hold as unreviewed interactions; with ``dry_run``, writes
    nothing and reports what would change.  Otherwise records the run (``ModeTableRun``, by
    ``user``) in the same transaction as everything else.
    """
    name, lines = table_lines(path_or_file)
    table = read_mode_table(lines, name)
    report = ModeTableReport(
        path=name,
        organism=organism.name,
        source=source,
        dry_run=dry_run,
        create_missing=create_missing,
        rows_read=table.lines_read,
        duplicates=table.duplicates,
        refused=table.errors,
    )
    pairs = match_pairs(table.rows, organism, report)
    with transaction.atomic():
        source_row = SourceDatabase.objects.for_names([source], create=not dry_run).get(source)
        keys = sorted(pairs)
        for start in range(0, len(keys), CHUNK):
            chunk = {key: pairs[key] for key in keys[start : start + CHUNK]}
            TableChunk(chunk, organism, source_row, source, report, user).apply()
        if not dry_run:
            report.run = record_run(report, organism, user)
    return report


def table_lines(path_or_file) -> tuple[str, list[bytes]]:
    """The table's name and its lines (any line ends)."""
    if isinstance(path_or_file, str | Path):
        return str(path_or_file), Path(path_or_file).read_bytes().splitlines()
    content = path_or_file.read()
    return getattr(path_or_file, "name", None) or "table", content.splitlines()


def match_pairs(rows: Iterable[ModeRow], organism: Organism, report: ModeTableReport) -> dict[tuple, TablePair]:
    """``{(TF id, target id): TablePair}`` of the rows whose two symbols each name one protein of
    ``organism``; the others are listed in ``report.unmatched``."""
    rows = list(rows)
    proteins = Protein.objects.filter(organism=organism)
    ids = proteins.ids_by_symbol({row.tf for row in rows} | {row.target for row in rows})
    several = {pk for found in ids.values() if len(found) > 1 for pk in found}
    accessions = dict(proteins.filter(pk__in=several).values_list("pk", "accession")) if several else {}
    pairs = {}
    for row in rows:
        found = {role: ids.get(symbol.upper(), []) for role, symbol in (("TF", row.tf), ("target", row.target))}
        problem = next(
            (
                unmatched_reason(role, symbol, found[role], organism, accessions)
                for role, symbol in (("TF", row.tf), ("target", row.target))
                if len(found[role]) != 1
            ),
            None,
        )
        if problem:
            report.unmatched.append(ModeTableError(report.path, row.line, problem))
            continue
        key = (found["TF"][0], found["target"][0])
        pairs.setdefault(key, TablePair(row.tf, row.target)).add(row)
    return pairs


def unmatched_reason(role: str, symbol: str, ids: list[int], organism: Organism, accessions: dict) -> str:
    if not ids:
        return f"unmatched: the {role} {symbol} names no protein of {organism}"
    named = ", ".join(accessions[pk] for pk in ids)
    return f"ambiguous: the {role} {symbol} names {len(ids)} proteins of {organism} ({named})"


class TableChunk:
    """The pairs of one chunk: planned with a fixed number of reads, then written in bulk (unless a dry run)."""

    def __init__(self, pairs, organism, source_row, source, report, user):
        self.pairs, self.organism, self.source_row, self.source = pairs, organism, source_row, source
        self.report, self.user = report, user
        self.new_statements = []  # (interaction id, PubMed id, mode)
        self.changed_statements = {}  # statement id -> mode
        self.publication_links = []  # (interaction id, PubMed id)
        self.source_links = []  # interaction ids
        self.given_evidence = []  # (interaction id, its new version)
        self.proposed = []
        self.to_create = []  # (TF id, target id)
        self.touched = set()

    def apply(self) -> None:
        existing = self.interactions()
        statements, publications, with_source = self.held(list(existing.values()))
        for key, pair in self.pairs.items():
            if key in existing:
                self.plan_known(existing[key], pair, statements, publications, with_source)
            else:
                self.plan_missing(key, pair)
        held = new_source_changes(self.proposed)
        self.report.changes_held += len(held)
        if not self.report.dry_run:
            self.write(held)

    def interactions(self) -> dict[tuple, tuple]:
        """``{(TF id, target id): (id, status, last editor, version, mode, mode decision)}`` of the known pairs."""
        columns = ["id", "tf", "target", "status", "last_edited_by", "version", "mode", "mode_decision"]
        rows = rows_by_keys(Interaction, ["tf", "target"], list(self.pairs), columns)
        return {(tf, target): (pk, *rest) for pk, tf, target, *rest in rows}

    def held(self, known: list[tuple]) -> tuple[dict, set, set]:
        """The statements of the table's source on ``known`` interactions, ``{(id, PubMed id): (statement id, mode)}``;
        their publication links ``{(id, PubMed id)}``; the ids of those the source supports already."""
        ids = [row[0] for row in known]
        if not ids:
            return {}, set(), set()
        publications = set(
            PublicationLinks.objects.filter(interaction_id__in=ids).values_list("interaction_id", "publication_id")
        )
        if self.source_row is None:
            return {}, publications, set()
        statements = {
            (interaction, pmid): (pk, mode)
            for pk, interaction, pmid, mode in Statement.objects.filter(
                interaction_id__in=ids, source=self.source_row
            ).values_list("pk", "interaction_id", "publication_id", "mode")
        }
        with_source = set(
            SourceLinks.objects.filter(interaction_id__in=ids, sourcedatabase=self.source_row).values_list(
                "interaction_id", flat=True
            )
        )
        return statements, publications, with_source

    def plan_known(self, known, pair, statements, publications, with_source) -> None:
        pk, status, editor, version, mode, decision = known
        report = self.report
        for pmid, stated in pair.modes.items():
            statement = statements.get((pk, pmid))
            if statement is None:
                self.new_statements.append((pk, pmid, stated))
                report.statements_created += 1
            elif statement[1] != stated:
                self.changed_statements[statement[0]] = stated
                report.statements_updated += 1
            else:
                report.statements_unchanged += 1
                continue
            self.touched.add(pk)
        new_pmids = sorted(pmid for pmid in pair.modes if (pk, pmid) not in publications)
        new_source = pk not in with_source
        if not is_curated(status, editor):
            if new_pmids or new_source:
                self.publication_links.extend((pk, pmid) for pmid in new_pmids)
                if new_source:
                    self.source_links.append(pk)
                self.given_evidence.append((pk, version + 1))
                self.touched.add(pk)
                report.interactions_given_evidence += 1
            return
        # Curators win: their evidence and a reviewer's mode wait for a curator's decision.
        table_mode = pair.mode
        differing_mode = (
            table_mode if decision == ModeDecision.REVIEWER and table_mode not in (Mode.UNKNOWN, mode) else ""
        )
        if new_pmids or new_source or differing_mode:
            self.proposed.append(
                ProposedChange(pk, "", [self.source] if new_source else [], [], new_pmids, False, differing_mode)
            )

    def plan_missing(self, key, pair) -> None:
        self.report.missing_pairs.append((pair.tf_symbol, pair.target_symbol))
        if self.report.create_missing:
            self.to_create.append(key)
            self.report.pairs_created += 1
            self.report.statements_created += len(pair.modes)

    def write(self, held: list[ProposedChange]) -> None:
        now = timezone.now()
        pmids = {pmid for pair in self.pairs.values() for pmid in pair.modes}
        insert_rows(Publication, ["pmid"], [(pmid,) for pmid in sorted(pmids)], ignore_conflicts=True)
        created = self.create_missing()
        self.insert_statements(now)
        self.update_statements(now)
        insert_rows(PublicationLinks, ["interaction", "publication"], self.publication_links, ignore_conflicts=True)
        source_links = [(pk, self.source_row.pk) for pk in self.source_links]
        insert_rows(SourceLinks, ["interaction", "sourcedatabase"], source_links, ignore_conflicts=True)
        timestamp = Interaction._meta.get_field("updated_at").get_db_prep_save(now, connection)
        update_rows(Interaction, ["version", "updated_at"], [(pk, v, timestamp) for pk, v in self.given_evidence])
        hold_source_changes(held)
        grading.regrade(self.touched | {interaction.pk for interaction in created})
        if created:
            counts.interactions_changed((), added=[(i.tf_id, i.target_id, False) for i in created])

    def create_missing(self) -> list[Interaction]:
        """The missing pairs, created unreviewed with the table's source and publications; their statements planned."""
        created = Interaction.objects.bulk_create(
            Interaction(tf_id=tf, target_id=target, organism=self.organism) for tf, target in self.to_create
        )
        for interaction in created:
            pair = self.pairs[interaction.tf_id, interaction.target_id]
            self.new_statements.extend((interaction.pk, pmid, mode) for pmid, mode in pair.modes.items())
            self.publication_links.extend((interaction.pk, pmid) for pmid in pair.modes)
            self.source_links.append(interaction.pk)
        return created

    def insert_statements(self, now) -> None:
        """The new statements and their history records, in bulk statements of plain rows
        (``bulk_create_with_history`` builds two model instances a row: most of an import's time)."""
        if not self.new_statements:
            return
        timestamp = Statement._meta.get_field("created_at").get_db_prep_save(now, connection)
        user = self.user.pk if self.user else None
        columns = ["interaction", "publication", "source", "mode", "sentence", "entered_by", "created_at"]
        rows = [(pk, pmid, self.source_row.pk, mode, "", user, timestamp) for pk, pmid, mode in self.new_statements]
        ids = {
            (interaction, pmid): pk
            for pk, interaction, pmid in insert_returning(
                Statement, columns, rows, returning=["id", "interaction", "publication"]
            )
        }
        history = ["history_date", "history_change_reason", "history_type", "history_user"]
        insert_rows(
            Statement.history.model,
            ["id", *columns, *history],
            [(ids[row[0], row[1]], *row, timestamp, HISTORY_REASON, "+", user) for row in rows],
        )

    def update_statements(self, now) -> None:
        if not self.changed_statements:
            return
        statements = list(Statement.objects.filter(pk__in=list(self.changed_statements)))
        for statement in statements:
            statement.mode = self.changed_statements[statement.pk]
        bulk_update_with_history(
            statements,
            Statement,
            ["mode"],
            default_user=self.user,
            default_change_reason=HISTORY_REASON,
            default_date=now,
        )


def record_run(report: ModeTableReport, organism: Organism, user: AbstractBaseUser | None) -> ModeTableRun:
    return ModeTableRun.objects.create(
        finished_at=timezone.now(),
        path=report.path,
        organism=organism,
        source=report.source,
        user=user,
        create_missing=report.create_missing,
        rows_read=report.rows_read,
        duplicates=report.duplicates,
        rows_refused=len(report.refused),
        rows_unmatched=len(report.unmatched),
        statements_created=report.statements_created,
        statements_updated=report.statements_updated,
        statements_unchanged=report.statements_unchanged,
        interactions_given_evidence=report.interactions_given_evidence,
        changes_held=report.changes_held,
        pairs_missing=len(report.missing_pairs),
        pairs_created=report.pairs_created,
        problems="\n".join(map(str, report.problems)),
    )
