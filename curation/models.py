"""The record of curation: every act on an interaction, comments, source changes held back and
the problems visitors report.

Rows here are append-only: the workflow (``curation.workflow``) writes them, nothing edits
them afterwards, and the admin shows them read-only.
"""

from django.conf import settings
from django.db import models

from proteins.models import ImportRecord, Interaction, Mode

Status = Interaction.Status


class CurationEvent(models.Model):
    """One curation act: who moved an interaction from which state to which, when and why."""

    class Action(models.TextChoices):
        FLAG = "flag", "flag"
        APPROVE = "approve", "approve"
        REJECT = "reject", "reject"
        REOPEN = "reopen", "reopen"
        EDIT = "edit", "edit evidence"
        ACCEPT_SOURCE = "accept_source", "accept source change"
        DISMISS_SOURCE = "dismiss_source", "dismiss source change"
        ENTER = "enter", "entered from the literature"
        SET_MODE = "set_mode", "set the mode"
        DISMISS_REPORT = "dismiss_report", "dismiss problem report"

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="curation_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="curation_events")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField("from", max_length=10, choices=Status.choices)
    to_status = models.CharField("to", max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["interaction", "-created_at"]),
            models.Index(fields=["actor", "-created_at"]),
            models.Index(fields=["action", "-created_at"]),
        ]
        permissions = [
            ("flag_interaction", "Can flag interactions and edit their evidence"),
            ("review_interaction", "Can approve, reject and reopen interactions"),
        ]

    def __str__(self):
        return f"{self.actor} {self.get_action_display()} {self.interaction} ({self.from_status} → {self.to_status})"


class Comment(models.Model):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="curation_comments")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["interaction", "-created_at"])]

    def __str__(self):
        return f"{self.author} on {self.interaction}"


class PendingSourceChange(models.Model):
    """Evidence a re-import of pages or a mode table found for a curated interaction, held until a curator decides."""

    class Decision(models.TextChoices):
        PENDING = "pending", "pending"
        ACCEPTED = "accepted", "accepted"
        DISMISSED = "dismissed", "dismissed"

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="pending_source_changes")
    import_record = models.ForeignKey(
        ImportRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="pending_changes"
    )
    source_databases = models.JSONField(default=list, help_text="Source databases the pages add.")
    detection_methods = models.JSONField(default=list, help_text="Detection methods the pages add.")
    pmids = models.JSONField("PubMed ids", default=list, help_text="Publications the pages add.")
    small_scale = models.BooleanField(default=False, help_text="The pages now report small-scale evidence.")
    mode = models.CharField(
        "mode of regulation",
        max_length=10,
        choices=Mode.choices,
        blank=True,
        help_text="The mode a source table gives, where it differs from the mode a reviewer set; "
        "accepting it hands the mode back to the rule.",
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["decision", "-created_at"])]

    def __str__(self):
        return f"Source change for {self.interaction} ({self.decision})"

    def describe(self):
        parts = []
        if self.source_databases:
            parts.append("sources: " + ", ".join(self.source_databases))
        if self.detection_methods:
            parts.append("methods: " + "; ".join(self.detection_methods))
        if self.pmids:
            parts.append("PubMed: " + ", ".join(map(str, self.pmids)))
        if self.small_scale:
            parts.append("small-scale evidence")
        if self.mode:
            parts.append(f"mode: {self.get_mode_display()} (instead of the reviewer's)")
        return "adds " + "; ".join(parts) if parts else "no change"


class ProblemReport(models.Model):
    """A problem a visitor reported on a public interaction, until a curator flags or dismisses it.

    Written by ``curation.reports``; its e-mail address is shown to curators and staff only.
    """

    TEXT_MAX_LENGTH = 4000

    class Kind(models.TextChoices):
        WRONG_INTERACTION = "wrong_interaction", "the TF does not regulate this target"
        WRONG_MODE = "wrong_mode", "wrong mode of regulation"
        RETRACTED_PAPER = "retracted_paper", "a publication was retracted"
        MISREAD_PAPER = "misread_paper", "a publication was misread"
        OTHER = "other", "something else"

    class State(models.TextChoices):
        OPEN = "open", "open"
        FLAGGED = "flagged", "turned into a flag"
        DISMISSED = "dismissed", "dismissed"

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="problem_reports")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(max_length=TEXT_MAX_LENGTH, help_text="What the visitor wrote.")
    email = models.EmailField(
        "e-mail", blank=True, help_text="Where the visitor may be answered (optional); never shown publicly."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField("reason for dismissal", blank=True)
    event = models.ForeignKey(
        CurationEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The curation act it became: the flag or reopening, or its dismissal.",
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The comment it became on an interaction already waiting for a reviewer.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "-created_at"]),
            models.Index(fields=["interaction", "state"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.interaction} ({self.state})"

    @property
    def reason(self) -> str:
        """The text of the flag or comment it becomes: its kind, then what the visitor wrote."""
        return f"Reported by a visitor ({self.get_kind_display()}): {self.text}"
