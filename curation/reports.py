"""Problems visitors report on public interactions, and what curators make of them.

A visitor's report (``submit_report``) waits, open, until a curator either turns it into a flag
(``flag_from_report``) or dismisses it with a reason (``dismiss_report``).  Each report is
handled once: both acts lock it and refuse one that is no longer open (``ReportHandled``).
Reports per client address are limited (``wait_before_report``), counted in the shared cache.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from proteins.api.throttling import CountingThrottle, client_address
from proteins.models import Interaction

from . import workflow
from .models import CurationEvent, ProblemReport
from .workflow import FLAG_PERMISSION, CurationError, NotAllowed, Version

Status = Interaction.Status
State = ProblemReport.State
# An interaction already waiting for a reviewer is not flagged again: the report joins it as a comment.
WAITING_FOR_REVIEWER = frozenset({Status.FLAGGED, Status.PROPOSED})


class ReportHandled(CurationError):
    """The report was flagged or dismissed already (HTTP 409)."""


class ReportThrottle(CountingThrottle):
    """Problem reports per client address, at most ``settings.REPORTS_PER_HOUR`` an hour."""

    scope = "report"

    def rate(self) -> str | None:
        return f"{settings.REPORTS_PER_HOUR}/hour" if settings.REPORTS_PER_HOUR > 0 else None

    def identities(self, request, view) -> list[str]:
        return [f"address {client_address(request)}"]


def wait_before_report(request: HttpRequest) -> int | None:
    """Count one report from ``request``'s client; the seconds it must wait when over the limit, else None."""
    throttle = ReportThrottle()
    if throttle.allow_request(request, None):
        return None
    return throttle.wait()


def submit_report(interaction: Interaction, *, kind: str, text: str, email: str = "") -> ProblemReport:
    """Store a visitor's report on a public ``interaction``."""
    if not Interaction.is_public_status(interaction.status):
        raise CurationError("Only interactions shown on the site can be reported.")
    text = (text or "").strip()
    if not text:
        raise CurationError("Describe the problem.")
    if len(text) > ProblemReport.TEXT_MAX_LENGTH:
        raise CurationError(f"Describe the problem in at most {ProblemReport.TEXT_MAX_LENGTH} characters.")
    return ProblemReport.objects.create(interaction=interaction, kind=kind, text=text, email=email.strip())


def what_flagging_does(status: str) -> str:
    """What ``flag_from_report`` does to an interaction of ``status`` (for the curator's button)."""
    if status in WAITING_FOR_REVIEWER:
        return "add it as a comment"
    if status in workflow.DECIDED:
        return "reopen the interaction (reviewers)"
    return "flag the interaction"


def flag_from_report(report: ProblemReport, by: AbstractBaseUser, version: Version = None) -> ProblemReport:
    """Turn an open report into a flag whose reason is the report (its kind, then its text).

    An unreviewed interaction is flagged; an approved or rejected one is reopened, which needs
    the reviewer role; one already waiting for a reviewer gets the report as a comment.
    ``version``: the version of the interaction the curator saw (None: whatever it is now).
    """
    require_curator(by)
    with transaction.atomic():
        current = lock_open(report.pk)
        interaction = workflow.lock(current.interaction_id, version)
        if interaction.status in WAITING_FOR_REVIEWER:
            current.comment = workflow.add_comment(interaction, by, current.reason)
        else:
            action = (
                CurationEvent.Action.REOPEN if interaction.status in workflow.DECIDED else CurationEvent.Action.FLAG
            )
            current.event = workflow.transition(interaction, action, by, current.reason)
        mark_handled(current, by, State.FLAGGED)
    return current


def dismiss_report(report: ProblemReport, by: AbstractBaseUser, reason: str) -> ProblemReport:
    """Dismiss an open report for ``reason`` (required), recorded in the interaction's history."""
    require_curator(by)
    reason = (reason or "").strip()
    if not reason:
        raise CurationError("A reason is required to dismiss a report.")
    with transaction.atomic():
        current = lock_open(report.pk)
        interaction = workflow.lock(current.interaction_id, None)
        current.event = CurationEvent.objects.create(
            interaction=interaction,
            actor=by,
            action=CurationEvent.Action.DISMISS_REPORT,
            from_status=interaction.status,
            to_status=interaction.status,
            reason=f"{reason} (the report: {current.get_kind_display()})",
        )
        current.dismiss_reason = reason
        mark_handled(current, by, State.DISMISSED)
    return current


def require_curator(user: AbstractBaseUser) -> None:
    if not user.is_authenticated or not user.has_perm(FLAG_PERMISSION):
        raise NotAllowed("Only a curator may handle problem reports.")


def lock_open(pk: int) -> ProblemReport:
    """The report, locked for this transaction; ``ReportHandled`` unless it is still open."""
    report = ProblemReport.objects.select_for_update().get(pk=pk)
    if report.state != State.OPEN:
        by = report.handled_by.get_username() if report.handled_by_id else "someone"
        raise ReportHandled(f"This report was already handled: {report.get_state_display()} by {by}.")
    return report


def mark_handled(report: ProblemReport, by: AbstractBaseUser, state: str) -> None:
    report.state = state
    report.handled_by = by
    report.handled_at = timezone.now()
    report.save()
