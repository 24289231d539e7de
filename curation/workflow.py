"""The curation rules, in one place: who may move an interaction to which state, and how.

unreviewed --flag(reason)--> flagged --approve--> approved
     |                          |--reject(reason)--> rejected
     +--approve / reject------------------------^
approved / rejected --reopen(reason, reviewer)--> flagged
approved / rejected --any change of its evidence (reason, editor)--> flagged
proposed (entered by a curator from a paper, hidden) --approve / reject (another reviewer)--> approved / rejected

Views, admin actions and API endpoints call these functions and nothing else changes a
status.  Every path that changes evidence (the curator area, the admin's change form and
spreadsheet import, accepted source changes) goes through ``EvidenceChange``.  Every act
is saved with a ``CurationEvent`` (actor, time, from, to, reason) and a field-level
history record (django-simple-history).  Each act names the version of the interaction it
was based on; an act on an older version is refused (``ConcurrentEdit``), never applied
over someone else's change.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from proteins import counts
from proteins.models import DetectionMethod, Interaction, ModeDecision, Publication, SourceDatabase

from . import grading
from .models import Comment, CurationEvent, PendingSourceChange

# Callers find the rules shared with the import here too (``workflow.lock``, ``workflow.ConcurrentEdit``).
from .rules import ConcurrentEdit, CurationError, is_curated, lock  # noqa: F401

Status = Interaction.Status
Action = CurationEvent.Action
Version = int | str | None  # the version of an interaction a user saw (None: whatever it is now)
FLAG_PERMISSION = "curation.flag_interaction"
REVIEW_PERMISSION = "curation.review_interaction"
GRADES = ("mode", "mode_decision", "confidence")  # set by ``grading.regrade``
# A reviewer decided on these; a change of their evidence sends them back for review.
DECIDED = frozenset({Status.APPROVED, Status.REJECTED})
# A reviewer may approve or reject these.
UNDECIDED = frozenset({Status.UNREVIEWED, Status.FLAGGED, Status.PROPOSED})


class NotAllowed(CurationError):
    """The user's role does not allow the act (HTTP 403)."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    permission: str
    needs_reason: bool


TRANSITIONS = {
    Action.FLAG: Transition(Action.FLAG, frozenset({Status.UNREVIEWED}), Status.FLAGGED, FLAG_PERMISSION, True),
    Action.APPROVE: Transition(Action.APPROVE, UNDECIDED, Status.APPROVED, REVIEW_PERMISSION, False),
    Action.REJECT: Transition(Action.REJECT, UNDECIDED, Status.REJECTED, REVIEW_PERMISSION, True),
    Action.REOPEN: Transition(Action.REOPEN, DECIDED, Status.FLAGGED, REVIEW_PERMISSION, True),
}


def check(user: AbstractBaseUser, action: str, interaction: Interaction) -> None:
    """Raise ``NotAllowed`` or ``CurationError`` unless ``user`` may do ``action`` now."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise CurationError(f"Unknown action {action!r}.")
    if not user.is_authenticated or not user.has_perm(transition.permission):
        role = "reviewer" if transition.permission == REVIEW_PERMISSION else "curator"
        raise NotAllowed(f"Only a {role} may {action} interactions.")
    if action == Action.APPROVE and interaction.last_edited_by_id == user.pk:
        raise NotAllowed("You edited this interaction last: another reviewer must approve it.")
    if interaction.status not in transition.sources:
        raise CurationError(f"{a(interaction.status).capitalize()} interaction cannot be {past(action)}.")


def refusal(user: AbstractBaseUser, action: str, interaction: Interaction) -> str | None:
    """Why ``user`` may not do ``action`` on ``interaction`` now, or None when they may."""
    try:
        check(user, action, interaction)
    except CurationError as error:
        return str(error)
    return None


def allowed_actions(user: AbstractBaseUser, interaction: Interaction) -> list[str]:
    """The transitions ``user`` may make on ``interaction`` now (for buttons and API hints)."""
    return [action for action in TRANSITIONS if refusal(user, action, interaction) is None]


def a(word):
    """``word`` with its indefinite article: "an approved", "a flagged"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def past(action):
    return {"flag": "flagged", "approve": "approved", "reject": "rejected", "reopen": "reopened"}.get(action, action)


def flag(interaction: Interaction, by: AbstractBaseUser, reason: str, version: Version = None) -> CurationEvent:
    return transition(interaction, Action.FLAG, by, reason, version)


def approve(interaction: Interaction, by: AbstractBaseUser, reason: str = "", version: Version = None) -> CurationEvent:
    return transition(interaction, Action.APPROVE, by, reason, version)


def reject(interaction: Interaction, by: AbstractBaseUser, reason: str, version: Version = None) -> CurationEvent:
    return transition(interaction, Action.REJECT, by, reason, version)


def reopen(interaction: Interaction, by: AbstractBaseUser, reason: str, version: Version = None) -> CurationEvent:
    return transition(interaction, Action.REOPEN, by, reason, version)


def transition(
    interaction: Interaction, action: str, by: AbstractBaseUser, reason: str = "", version: Version = None
) -> CurationEvent:
    """Apply one transition; return the ``CurationEvent``.

    ``version``: the version the user saw; None means "whatever it is now" (bulk acts, where
    the rules are checked again on the current state of each interaction).
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        current = lock(interaction.pk, version)
        check(by, action, current)
        rule = TRANSITIONS[action]
        if rule.needs_reason and not reason:
            raise CurationError(f"A reason is required to {action} an interaction.")
        previous = current.status
        event = save_status(current, rule.target, action, by, reason)
        if changes_visibility(previous, rule.target):
            counts.interactions_changed([current.tf_id, current.target_id])
    copy_state(current, interaction)
    return event


def bulk_transition(interactions: Iterable[Interaction], action: str, by: AbstractBaseUser, reason: str = ""):
    """Apply ``action`` to each interaction the rules allow; return ``(done, refused)``.

    ``done`` holds the ``CurationEvent`` of each change; ``refused`` pairs each interaction
    left alone with the reason. The rules are those of ``transition``, checked on the current
    state of each interaction; the changes are written in one transaction with a fixed number
    of queries, whatever their number.
    """
    reason = (reason or "").strip()
    given = list(interactions)
    refused, moving = [], []
    with transaction.atomic():
        current = Interaction.objects.select_for_update().select_related("tf", "target").order_by("pk")
        current = current.in_bulk([interaction.pk for interaction in given])
        for interaction in given:
            row = current.get(interaction.pk)
            why = "This interaction no longer exists." if row is None else refusal(by, action, row)
            if why is None and TRANSITIONS[action].needs_reason and not reason:
                why = f"A reason is required to {action} an interaction."
            if why is None:
                moving.append((interaction, row, row.status))
                row.status = TRANSITIONS[action].target  # a repeated interaction is refused as already moved
            else:
                refused.append((interaction, why))
        done = save_statuses([(row, status) for _interaction, row, status in moving], action, by, reason)
        shown_or_hidden = [
            protein
            for _interaction, row, status in moving
            if changes_visibility(status, row.status)
            for protein in (row.tf_id, row.target_id)
        ]
        if shown_or_hidden:
            counts.interactions_changed(shown_or_hidden)
    for interaction, row, _status in moving:
        copy_state(row, interaction)
    return done, refused


def edit_evidence(interaction, by, version, *, source_databases, detection_methods, pmids, small_scale, reason=""):
    """A curator's edit of the evidence (see ``EvidenceChange``); the import will not overwrite it afterwards."""
    if not by.has_perm(FLAG_PERMISSION):
        raise NotAllowed("Only a curator may edit interactions.")
    with transaction.atomic():
        current = lock(interaction.pk, version)
        if same_evidence(current, source_databases, detection_methods, pmids, small_scale):
            raise CurationError("The evidence is as it was: nothing to save.")
        change = EvidenceChange(current, by, reason, history_reason=reason or "evidence edited")
        sources = list(SourceDatabase.objects.for_names(clean_names(source_databases)).values())
        methods = list(DetectionMethod.objects.for_names(clean_names(detection_methods)).values())
        Publication.objects.bulk_create([Publication(pmid=pmid) for pmid in set(pmids)], ignore_conflicts=True)
        current.small_scale = small_scale
        current.save()
        current.source_databases.set(sources)
        current.detection_methods.set(methods)
        current.publications.set(sorted(set(pmids)))
        event = change.record()
    copy_state(current, interaction)
    return event


def same_evidence(interaction, source_databases, detection_methods, pmids, small_scale) -> bool:
    """Whether the given evidence is ``interaction``'s own (names in any case): saving it would change nothing."""

    def names(values):
        return {name.lower() for name in values}

    return (
        interaction.small_scale == small_scale
        and names(clean_names(source_databases)) == names(s.name for s in interaction.source_databases.all())
        and names(clean_names(detection_methods)) == names(m.name for m in interaction.detection_methods.all())
        and set(pmids) == set(interaction.publications.values_list("pmid", flat=True))
    )


class EvidenceChange:
    """The rule of every change of an interaction's evidence, whatever the path: the curator
    area, the admin's change form and spreadsheet import, an accepted source change.

    - whoever made it becomes the interaction's last editor (so they cannot approve it, and
      imports of pages no longer overwrite it);
    - an approved or rejected interaction goes back to flagged, for a reviewer to read the new
      evidence (a rejected one is public again, under review); the reason is then required;
    - it is recorded: a ``CurationEvent`` (from and to status, the editor's reason), a history
      record, a new version, and the stored counts when what the public sees changed.

    Two steps around the caller's writes, on an interaction the caller locked (or created):
    ``EvidenceChange(interaction, ...)`` before ``interaction.save()``, which checks the rule
    and sets the fields; ``record()`` after the evidence lists are written.
    """

    def __init__(
        self,
        interaction: Interaction,
        by: AbstractBaseUser,
        reason: str = "",
        *,
        action: str = Action.EDIT,
        history_reason: str = "",
    ):
        self.reason = (reason or "").strip()
        check_evidence_change(interaction, self.reason)
        self.interaction, self.by, self.action = interaction, by, action
        self.created = interaction.pk is None
        self.previous_status = interaction.status
        self.previous_small_scale = interaction.small_scale
        interaction.last_edited_by = by
        interaction.status = status_after_evidence_change(interaction.status)
        if not self.created:
            interaction.version += 1
        interaction._history_user = by
        interaction._change_reason = history_reason or self.reason or Action(action).label

    def record(self, *, refresh: bool = True) -> CurationEvent:
        """The change's ``CurationEvent``; the interaction graded again, and the counts of its TF and
        target kept when the public sees a change.

        ``refresh=False``: the caller grades and counts (an import, once for all its rows).
        """
        current = self.interaction
        if refresh:
            grading.regrade([current.pk])
            if self.changes_counts():
                counts.interactions_changed([current.tf_id, current.target_id])
        return CurationEvent.objects.create(
            interaction=current,
            actor=self.by,
            action=self.action,
            from_status=self.previous_status,
            to_status=current.status,
            reason=self.reason,
        )

    def changes_counts(self) -> bool:
        """Whether the change alters what the public sees of the interaction, and so the stored counts."""
        current = self.interaction
        return (
            self.created
            or changes_visibility(self.previous_status, current.status)
            or self.previous_small_scale != current.small_scale
        )


def status_after_evidence_change(status: str) -> str:
    """An approved or rejected interaction whose evidence changes goes back to flagged; others keep their status."""
    return Status.FLAGGED if status in DECIDED else status


def check_evidence_change(interaction: Interaction, reason: str) -> None:
    """Raise ``CurationError`` when a change of ``interaction``'s evidence lacks the reason it needs.

    A change that sends a decided interaction back to flagged needs a reason, as a flag does.
    """
    if interaction.status in DECIDED and not (reason or "").strip():
        raise CurationError(
            f"{a(interaction.status).capitalize()} interaction goes back to flagged when its evidence changes: "
            "give the reviewers a reason."
        )


def add_comment(interaction: Interaction, by: AbstractBaseUser, text: str) -> Comment:
    if not by.has_perm("curation.add_comment"):
        raise NotAllowed("Only curators and reviewers may comment.")
    text = (text or "").strip()
    if not text:
        raise CurationError("A comment cannot be empty.")
    return Comment.objects.create(interaction=interaction, author=by, text=text)


def decide_source_change(change: PendingSourceChange, by: AbstractBaseUser, accept: bool):
    """Accept (apply the evidence the pages or a mode table add) or dismiss a pending source change.

    A change that carries a mode (a table's mode differing from a reviewer's) overrules a
    reviewer when accepted, so accepting it needs the reviewer role; the mode is then handed
    back to the rule (``grading.decide_mode``), which decides it from the statements.
    """
    if not by.has_perm(FLAG_PERMISSION):
        raise NotAllowed("Only a curator may decide on source changes.")
    if accept and change.mode and not by.has_perm(REVIEW_PERMISSION):
        raise NotAllowed("Only a reviewer may accept a change of the mode a reviewer set.")
    with transaction.atomic():
        change = PendingSourceChange.objects.select_for_update().get(pk=change.pk)
        if change.decision != PendingSourceChange.Decision.PENDING:
            raise CurationError(f"This source change was already {change.decision}.")
        current = lock(change.interaction_id, None)
        if accept:
            evidence_change = EvidenceChange(
                current, by, change.describe(), action=Action.ACCEPT_SOURCE, history_reason="source change accepted"
            )
            current.small_scale = current.small_scale or change.small_scale
            if change.mode:
                current.mode_decision = ModeDecision.UNKNOWN  # no longer the reviewer's: regraded below
            current.save()
            current.source_databases.add(*SourceDatabase.objects.for_names(change.source_databases).values())
            current.detection_methods.add(*DetectionMethod.objects.for_names(change.detection_methods).values())
            Publication.objects.bulk_create([Publication(pmid=p) for p in change.pmids], ignore_conflicts=True)
            current.publications.add(*change.pmids)
            evidence_change.record()
        else:
            CurationEvent.objects.create(
                interaction=current,
                actor=by,
                action=Action.DISMISS_SOURCE,
                from_status=current.status,
                to_status=current.status,
                reason=change.describe(),
            )
        change.decision = PendingSourceChange.Decision.ACCEPTED if accept else PendingSourceChange.Decision.DISMISSED
        change.decided_by = by
        change.decided_at = timezone.now()
        change.save()
    return change


def changes_visibility(before: str, after: str) -> bool:
    """Whether a move from status ``before`` to ``after`` shows or hides the interaction (and changes the counts)."""
    return Interaction.is_public_status(before) != Interaction.is_public_status(after)


def save_status(current, status, action, by, reason):
    event = CurationEvent(
        interaction=current, actor=by, action=action, from_status=current.status, to_status=status, reason=reason
    )
    current.status = status
    current.version += 1
    current._history_user = by
    current._change_reason = f"{action}: {reason}" if reason else action
    current.save(update_fields=["status", "version", "updated_at"])
    event.save()
    grading.regrade([current.pk])
    return event


def save_statuses(rows, action, by, reason):
    """Write a bulk act: ``rows`` pairs each locked interaction, its status already set, with its
    previous status. One update, the history records with their evidence, the events."""
    if not rows:
        return []
    now = timezone.now()
    status = TRANSITIONS[action].target
    interactions = [row for row, _previous in rows]
    Interaction.objects.filter(pk__in=[row.pk for row in interactions]).update(
        status=status, version=F("version") + 1, updated_at=now
    )
    for row in interactions:
        row.version += 1
        row.updated_at = now
    records = Interaction.history.bulk_history_create(
        interactions,
        update=True,
        default_user=by,
        default_change_reason=f"{action}: {reason}" if reason else action,
        default_date=now,
    )
    record_evidence_history(records)
    grading.regrade(row.pk for row in interactions)
    return CurationEvent.objects.bulk_create(
        CurationEvent(interaction=row, actor=by, action=action, from_status=previous, to_status=status, reason=reason)
        for row, previous in rows
    )


def record_evidence_history(records):
    """Copy each interaction's evidence links onto its new history record, as a ``save()`` does.

    ``bulk_history_create`` writes the records of the fields only; without their evidence,
    the next change would look as if it had added all of it back.
    """
    by_interaction = {record.id: record for record in records}
    history_model = Interaction.history.model
    for field in history_model._history_m2m_fields:
        own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = field.remote_field.through.objects.filter(**{f"{own}_id__in": list(by_interaction)})
        link_history = getattr(history_model, field.name).model
        link_history.objects.bulk_create(
            link_history(history=by_interaction[interaction], id=pk, **{f"{own}_id": interaction, f"{other}_id": value})
            for pk, interaction, value in links.values_list("pk", f"{own}_id", f"{other}_id").iterator()
        )


def copy_state(source, target):
    """Let the caller's object reflect what was saved."""
    if source is not target:
        for name in ("status", "version", "small_scale", "last_edited_by_id", "updated_at", *GRADES):
            setattr(target, name, getattr(source, name))


def clean_names(names):
    return list(dict.fromkeys(name.strip() for name in names if name and name.strip()))
