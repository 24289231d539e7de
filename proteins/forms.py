"""Forms of the staff admin: an interaction's evidence, a curation act's reason, an upload of pages."""

from django import forms
from django.core.exceptions import ValidationError

from curation.workflow import FLAG_PERMISSION, CurationError, check_evidence_change

from .models import Interaction, Organism


class InteractionAdminForm(forms.ModelForm):
    """An interaction's evidence, refused when the interaction changed since the form was shown.

    ``seen_version`` carries the version the form showed; the admin compares it with the
    version read when the form comes back (optimistic locking) and saves through
    ``curation.workflow.edit_evidence``, which checks it again under a row lock.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Why you change the evidence; kept in its curation record. Required when the interaction is "
        "approved or rejected: a change of its evidence sends it back to flagged, for a reviewer to decide again.",
    )
    user = None  # the signed-in user, set by the admin for each request

    class Meta:
        model = Interaction
        fields = ["tf", "target", "organism", "small_scale", "source_databases", "detection_methods", "publications"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["seen_version"] = self.instance.version
            self.fields["seen_version"].required = True

    def clean(self):
        cleaned_data = super().clean()
        current = self.instance  # read from the database when the form came back
        if current.pk is None:
            return cleaned_data
        seen = cleaned_data.get("seen_version")
        if seen != current.version:
            raise ValidationError(stale_message(current, seen), code="stale")
        if self.has_changed() and not (self.user and self.user.has_perm(FLAG_PERMISSION)):
            raise ValidationError("Only a curator may edit an interaction's evidence.", code="not_allowed")
        if self.evidence_changed():
            try:
                check_evidence_change(current, cleaned_data.get("reason", ""))
            except CurationError as error:
                self.add_error("reason", str(error))
        return cleaned_data

    def evidence_changed(self):
        """Whether the form changes the evidence (a reason alone changes nothing)."""
        return bool(set(self.changed_data) - {"reason"})


def stale_message(current, seen):
    """What changed under the user: the current values, so they can redo their edit knowingly."""
    sources = ", ".join(current.source_databases.values_list("name", flat=True)) or "none"
    methods = "; ".join(current.detection_methods.values_list("name", flat=True)) or "none"
    pmids = ", ".join(map(str, current.publications.values_list("pmid", flat=True))) or "none"
    seen_text = f"version {seen}" if seen is not None else "an unknown version"
    return (
        f"Someone else changed this interaction since you opened it: you edited {seen_text}, it is now "
        f"version {current.version}. Nothing was saved. Its current values: status {current.status}; "
        f"small-scale evidence {'yes' if current.small_scale else 'no'}; source databases: {sources}; "
        f"detection methods: {methods}; PubMed ids: {pmids}; "
        f"last edited by {current.last_edited_by or 'no curator'}. Reload the page to edit the current version."
    )


class ReasonForm(forms.Form):
    """The reason a curation act needs (flag, reject, reopen), asked before acting on a selection."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        max_length=2000,
        help_text="Saved with each interaction's curation record.",
    )

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = f"A reason is required to {action} interactions."


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked as a ``FileField`` checks one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        clean_one = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [clean_one(item, initial) for item in files]


class UploadPagesForm(forms.Form):
    """Pages and tables to upload; ``refused(message)`` answers an upload Django could not read."""

    files = MultipleFileField(
        label="Pages",
        allow_empty_file=True,  # an empty page is reported by the importer, with the others
        widget=MultipleFileInput(attrs={"accept": ".md,.tsv,.zip"}),
        help_text=(
            "Protein pages (.md) with their download tables (.tsv), or .zip archives of them. "
            "Nothing is written before you confirm the preview."
        ),
    )

    @classmethod
    def refused(cls, message):
        """The form with ``message`` as its error, and no files (they were not read)."""
        form = cls(data={}, files={})
        form.errors["files"] = form.error_class([message])
        return form


class ModeTableUploadForm(forms.Form):
    """A mode-of-regulation table (TRRUST's format) to import for one organism."""

    organism = forms.ModelChoiceField(
        queryset=Organism.objects.all(), help_text="Its symbols name proteins of this organism."
    )
    file = forms.FileField(
        label="Table",
        widget=forms.ClearableFileInput(attrs={"accept": ".tsv,.txt"}),
        help_text="Tab-separated: TF, target, Activation/Repression/Unknown, PubMed ids joined by ';' "
        "(a header line is allowed). Nothing is written before you confirm the preview.",
    )
    create_missing = forms.BooleanField(
        label="Create missing pairs",
        required=False,
        help_text="Create the pairs the portal does not hold, as unreviewed interactions from the table's source.",
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(f"{upload.name} is larger than {self.max_bytes:,} bytes, the most a table may be.")
        return upload
