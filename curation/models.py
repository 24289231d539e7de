"""The record of curation: every act on an interaction, comments, and source changes held back.

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
