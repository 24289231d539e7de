"""Interactions read in papers: a curator enters one, a reviewer sets an interaction's mode.

``enter_interaction`` adds a TF -> target pair a curator read in publications, with what each
publication states (``Statement``: the mode it reports, the sentence quoted), the portal itself
(``SourceDatabase.objects.portal()``) as the source database.  A new pair is *proposed*: hidden
until a reviewer other than its author approves it (``workflow.check``: nobody approves the
interaction they edited last).  A pair the portal holds gains the evidence by the rule of every
evidence change (``workflow.EvidenceChange``): a decided interaction goes back to flagged.

``set_mode`` is a reviewer's decision on the mode, which ``grading.regrade`` then keeps;
``set_mode(..., mode="")`` hands the mode back to the rule (``grading.MODE_RULES``).

Views and the curation API call these functions; their errors are ``InvalidEntry`` (what is wrong
with which field), ``workflow.NotAllowed`` (the role), ``rules.ConcurrentEdit`` (an old version)
and ``CurationError`` (the rules refuse the act).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from proteins.models import (
    DetectionMethod,
    Interaction,
    Mode,
    ModeDecision,
    Organism,
    Protein,
    Publication,
    SourceDatabase,
    Statement,
    validate_accession,
)
from proteins.parser import MAX_INTEGER

from . import grading
from .models import Comment, CurationEvent
from .rules import CurationError, lock
from .workflow import FLAG_PERMISSION, REVIEW_PERMISSION, EvidenceChange, NotAllowed, Version, clean_names, copy_state

Action = CurationEvent.Action
Status = Interaction.Status
PMID_MAX = MAX_INTEGER  # the database column is a (positive) 32-bit integer
SENTENCE_MAX = 5000
PUBLICATIONS_MAX = 50
GENE_NAME_MAX = 100
# Candidates named in the error of an identifier that names several proteins.
AMBIGUOUS_SHOWN = 5
NO_PUBLICATION = "Give at least one publication: its PubMed id, the mode it reports and the sentence quoted."
ENTERED = "entered from the literature"  # the history's reason


class InvalidEntry(CurationError):
    """What is wrong with an entry: messages by field (``tf``, ``target_accession``, ``publications``, ...)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(" ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items()))


@dataclass(frozen=True)
class ProteinGiven:
    """A protein as a curator names it: an identifier, and for a protein the portal lacks, its
    UniProt accession and gene name (the identifier itself, when it is an accession or a name)."""

    identifier: str
    accession: str = ""
    gene_name: str = ""


@dataclass(frozen=True)
class PublicationRead:
    """What one publication states: its PubMed id, the mode of regulation it reports, the sentence quoted."""

    pmid: int
    mode: str
    sentence: str


@dataclass(frozen=True)
class Entry:
    """The outcome of ``enter_interaction``: the interaction, whether it is new, and the record of the act."""

    interaction: Interaction
    created: bool
    event: CurationEvent


def enter_interaction(
    by: AbstractBaseUser,
    organism: Organism | str | int,
    tf: ProteinGiven | str,
    target: ProteinGiven | str,
    publications: Sequence[PublicationRead],
    detection_methods: Iterable[str] = (),
    small_scale: bool = False,
    comment: str = "",
    version: Version = None,
) -> Entry:
    """Enter the interaction ``tf`` -> ``target`` of ``organism`` as ``by`` read it in ``publications``.

    A new pair is created *proposed* (hidden), with the portal as its source, the methods, the
    publications and one statement per publication; the comment is kept as a curation comment.
    A pair that exists gains that evidence (nothing is removed), its statements from the portal
    updated, the comment being the reason of the change; ``version`` (the one the curator saw,
    when given) guards it.  Either way it is graded again and the act recorded (``Action.ENTER``).
    """
    if not by.is_authenticated or not by.has_perm(FLAG_PERMISSION):
        raise NotAllowed("Only a curator may enter interactions.")
    comment = (comment or "").strip()
    methods = clean_names(detection_methods)
    check_entry(publications, methods)
    with transaction.atomic():
        organism = organism_of(organism)
        tf_protein, target_protein = proteins_of(organism, tf, target, create=True)
        interaction, change = pair_to_enter(by, organism, tf_protein, target_protein, publications, comment, version)
        gained = add_evidence(interaction, by, publications, methods, small_scale)
        if not (change.created or gained):
            raise CurationError(f"{interaction} already holds this evidence and these statements: nothing to save.")
        interaction.save()
        event = change.record()
        if change.created and comment:
            Comment.objects.create(interaction=interaction, author=by, text=comment)
    interaction.refresh_from_db(fields=["mode", "mode_decision", "confidence"])
    return Entry(interaction, change.created, event)


def existing_interaction(organism: Organism | str | int, tf: ProteinGiven | str, target: ProteinGiven | str):
    """The interaction ``enter_interaction`` would add evidence to, or None when it would create one.

    Raises ``InvalidEntry`` for what it would refuse in the organism or the proteins.
    """
    organism = organism_of(organism)
    tf_protein, target_protein = proteins_of(organism, tf, target, create=False)
    if tf_protein is None or target_protein is None:
        return None
    return Interaction.objects.select_related("tf", "target").filter(tf=tf_protein, target=target_protein).first()


def set_mode(
    interaction: Interaction, by: AbstractBaseUser, mode: str, reason: str, version: Version = None
) -> CurationEvent:
    """A reviewer sets the mode of ``interaction`` (kept until a reviewer changes it); ``mode=""``
    hands it back to the rule (``grading.MODE_RULES``).  The confidence is graded again."""
    if not by.is_authenticated or not by.has_perm(REVIEW_PERMISSION):
        raise NotAllowed("Only a reviewer may set the mode of an interaction.")
    mode = mode or ""
    if mode and mode not in Mode.values:
        raise InvalidEntry({"mode": [f"Not a mode: {mode[:40]!r}. Choose one of {', '.join(Mode.values)}."]})
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry({"reason": ["Say why: a reason is required to set the mode."]})
    with transaction.atomic():
        current = lock(interaction.pk, version)
        by_reviewer = current.mode_decision == ModeDecision.REVIEWER
        if (mode and by_reviewer and current.mode == mode) or (not mode and not by_reviewer):
            raise CurationError(f"The mode is already {described_mode(current)}: nothing to save.")
        before = described_mode(current)
        # Without the reviewer's decision, ``regrade`` decides the mode by the rule again.
        current.mode, current.mode_decision = (
            (mode, ModeDecision.REVIEWER) if mode else (Mode.UNKNOWN, ModeDecision.UNKNOWN)
        )
        current.version += 1
        current._history_user = by
        current._change_reason = "mode set" if mode else "mode handed back to the rule"
        current.save()
        grading.regrade([current.pk])
        current.refresh_from_db(fields=["mode", "mode_decision", "confidence"])
        event = CurationEvent.objects.create(
            interaction=current,
            actor=by,
            action=Action.SET_MODE,
            from_status=current.status,
            to_status=current.status,
            reason=f"{before} → {described_mode(current)}: {reason}",
        )
    copy_state(current, interaction)
    return event


def described_mode(interaction: Interaction) -> str:
    return f"{interaction.get_mode_display()} ({interaction.get_mode_decision_display()})"


# Checking what the curator gave.


def check_entry(publications: Sequence[PublicationRead], methods: list[str]) -> None:
    errors = {}
    problems = publication_problems(publications)
    if problems:
        errors["publications"] = problems
    method_max = DetectionMethod._meta.get_field("name").max_length
    too_long = [name for name in methods if len(name) > method_max]
    if too_long:
        errors["detection_methods"] = [f"Names are at most {method_max} characters: {too_long[0][:40]}…"]
    if errors:
        raise InvalidEntry(errors)


def publication_problems(publications: Sequence[PublicationRead]) -> list[str]:
    """What is wrong with the publications, row by row (counted from 1)."""
    if not publications:
        return [NO_PUBLICATION]
    if len(publications) > PUBLICATIONS_MAX:
        return [f"At most {PUBLICATIONS_MAX} publications at once."]
    problems, seen = [], set()
    for row, publication in enumerate(publications, start=1):
        pmid = publication.pmid
        if isinstance(pmid, bool) or not isinstance(pmid, int) or not 0 < pmid <= PMID_MAX:
            problems.append(f"Row {row}: not a PubMed id: {str(pmid)[:40]}.")
        elif pmid in seen:
            problems.append(f"Row {row}: PMID {pmid} is given twice.")
        seen.add(pmid)
        if publication.mode not in Mode.values:
            problems.append(
                f"Row {row}: not a mode: {str(publication.mode)[:40]}; choose one of {', '.join(Mode.values)}."
            )
        sentence = (publication.sentence or "").strip()
        if not sentence:
            problems.append(f"Row {row}: quote the sentence that states the interaction.")
        elif len(sentence) > SENTENCE_MAX:
            problems.append(f"Row {row}: the sentence is longer than {SENTENCE_MAX} characters.")
    return problems


def describe(publications: Sequence[PublicationRead]) -> str:
    return "read in " + ", ".join(f"PMID {publication.pmid}" for publication in publications)


# Finding (or adding) the organism and the proteins.


def organism_of(value: Organism | str | int) -> Organism:
    """The organism ``value`` names: itself, an NCBI taxon id, or a scientific name in any case."""
    if isinstance(value, Organism):
        return value
    text = str(value or "").strip()
    found = None
    if text:
        is_taxon_id = text.isascii() and text.isdecimal() and int(text) <= MAX_INTEGER
        by_taxon = Q(taxon_id=int(text)) if is_taxon_id else Q(pk__in=[])
        found = Organism.objects.filter(by_taxon | Q(name__iexact=text)).first()
    if found is None:
        raise InvalidEntry({"organism": [f"No organism {text[:60]!r}: give its NCBI taxon id or scientific name."]})
    return found


def proteins_of(organism: Organism, tf: ProteinGiven | str, target: ProteinGiven | str, *, create: bool):
    """``(TF, target)``: each the protein the curator names, or a new one (``create``; else None)."""
    found, errors = {}, {}
    for side, given in (("tf", tf), ("target", target)):
        given = given if isinstance(given, ProteinGiven) else ProteinGiven(given)
        try:
            found[side] = protein_of(organism, side, given, create=create)
        except InvalidEntry as error:
            errors.update(error.errors)
    if errors:
        raise InvalidEntry(errors)
    return found["tf"], found["target"]


def protein_of(organism: Organism, side: str, given: ProteinGiven, *, create: bool) -> Protein | None:
    """The protein of ``organism`` ``given`` names (``Protein.objects.identified_by``); else, from its
    accession and gene name, a new one (``create``; else None).  ``side``: "tf" or "target", the field."""
    identifier = given.identifier.strip()
    accession = (given.accession.strip() or (identifier if looks_like_accession(identifier) else "")).upper()
    if identifier:
        named = Protein.objects.identified_by(identifier).filter(organism=organism).order_by("accession")
        matches = list(named[: AMBIGUOUS_SHOWN + 1])
        chosen = [protein for protein in matches if protein.accession == accession]
        if len(matches) == 1 or chosen:
            return (chosen or matches)[0]
        if len(matches) > 1:
            names = ", ".join(str(protein) for protein in matches[:AMBIGUOUS_SHOWN])
            more = " and more" if len(matches) > AMBIGUOUS_SHOWN else ""
            raise InvalidEntry(
                {
                    side: [
                        f"{identifier[:60]!r} names several proteins of {organism}: {names}{more}. "
                        "Give its UniProt accession."
                    ]
                }
            )
    accession_field = f"{side}_accession" if given.accession.strip() else side
    if not accession:
        what = f"No protein of {organism} is known as {identifier[:60]!r}" if identifier else "Name the protein"
        raise InvalidEntry({side: [f"{what}: give its UniProt accession (and gene name) to add it."]})
    try:
        validate_accession(accession)
    except ValidationError as error:
        raise InvalidEntry({accession_field: [f"{accession[:40]}: {error.messages[0]}"]}) from None
    known = Protein.objects.select_related("organism").filter(accession=accession).first()
    if known is not None:
        if known.organism_id != organism.pk:
            raise InvalidEntry({accession_field: [f"{accession} is a protein of {known.organism}, not of {organism}."]})
        return known
    gene_name = given.gene_name.strip() or (identifier if identifier.upper() != accession else "")
    if len(gene_name) > GENE_NAME_MAX:
        raise InvalidEntry({f"{side}_gene_name": [f"A gene name is at most {GENE_NAME_MAX} characters."]})
    if not create:
        return None
    return Protein.objects.create(
        accession=accession, gene_name=gene_name, organism=organism, provenance=Protein.Provenance.CURATOR
    )


def looks_like_accession(text: str) -> bool:
    try:
        validate_accession(text.upper())
    except ValidationError:
        return False
    return True


# Writing the evidence.


def pair_to_enter(by, organism, tf, target, publications, comment, version) -> tuple[Interaction, EvidenceChange]:
    """The interaction an entry adds to, locked at ``version`` (or created, proposed), and its ``EvidenceChange``."""
    existing = Interaction.objects.filter(tf=tf, target=target).first()
    if existing is None:
        interaction = Interaction(tf=tf, target=target, organism=organism, status=Status.PROPOSED)
        change = EvidenceChange(interaction, by, describe(publications), action=Action.ENTER, history_reason=ENTERED)
        try:
            with transaction.atomic():
                interaction.save()
        except IntegrityError:
            # Another curator entered the same pair meanwhile: this entry adds to theirs.
            existing = Interaction.objects.get(tf=tf, target=target)
        else:
            return interaction, change
    interaction = lock(existing.pk, version)
    try:
        return interaction, EvidenceChange(interaction, by, comment, action=Action.ENTER, history_reason=ENTERED)
    except CurationError as error:
        raise InvalidEntry({"comment": [str(error)]}) from error


def add_evidence(
    interaction: Interaction,
    by: AbstractBaseUser,
    publications: Sequence[PublicationRead],
    methods: list[str],
    small_scale: bool,
) -> bool:
    """Add the portal as source, ``methods``, the publications and their statements to ``interaction``
    (saved by the caller); whether anything was new."""
    portal = SourceDatabase.objects.portal()
    pmids = [publication.pmid for publication in publications]
    method_rows = list(DetectionMethod.objects.for_names(methods).values())
    held_sources = set(interaction.source_databases.values_list("pk", flat=True))
    held_methods = set(interaction.detection_methods.values_list("pk", flat=True))
    held_pmids = set(interaction.publications.values_list("pk", flat=True))
    gained = (
        portal.pk not in held_sources
        or any(method.pk not in held_methods for method in method_rows)
        or any(pmid not in held_pmids for pmid in pmids)
        or (small_scale and not interaction.small_scale)
    )
    Publication.objects.bulk_create([Publication(pmid=pmid) for pmid in pmids], ignore_conflicts=True)
    interaction.small_scale = interaction.small_scale or small_scale
    if portal.pk not in held_sources:
        interaction.source_databases.add(portal)
    if any(method.pk not in held_methods for method in method_rows):
        interaction.detection_methods.add(*method_rows)
    if any(pmid not in held_pmids for pmid in pmids):
        interaction.publications.add(*pmids)
    return write_statements(interaction, by, portal, publications) or gained


def write_statements(
    interaction: Interaction, by: AbstractBaseUser, portal: SourceDatabase, publications: Sequence[PublicationRead]
) -> bool:
    """One statement of the portal per publication: new ones created, changed ones updated; whether any was."""
    held = {
        statement.publication_id: statement
        for statement in Statement.objects.filter(
            interaction=interaction, source=portal, publication__in=[publication.pmid for publication in publications]
        )
    }
    new, changed = [], []
    for publication in publications:
        sentence = publication.sentence.strip()
        statement = held.get(publication.pmid)
        if statement is None:
            new.append(
                Statement(
                    interaction=interaction,
                    publication_id=publication.pmid,
                    source=portal,
                    mode=publication.mode,
                    sentence=sentence,
                    entered_by=by,
                )
            )
        elif (statement.mode, statement.sentence) != (publication.mode, sentence):
            statement.mode, statement.sentence, statement.entered_by = publication.mode, sentence, by
            changed.append(statement)
    if new:
        bulk_create_with_history(new, Statement, default_user=by, default_change_reason=ENTERED)
    if changed:
        bulk_update_with_history(
            changed,
            Statement,
            ["mode", "sentence", "entered_by"],
            default_user=by,
            default_change_reason=ENTERED,
        )
    return bool(new or changed)
