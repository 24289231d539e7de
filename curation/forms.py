"""Forms of the curator area (the queue's filters and bulk acts, evidence edits, acts, comments,
handling reports) and the visitors' problem report."""

import re

from django import forms
from django.core.exceptions import ValidationError

from proteins.models import DetectionMethod, Interaction, Mode, Organism, SourceDatabase

from .models import ProblemReport
from .selectors import QUEUE_SORTS
from .workflow import TRANSITIONS

Status = Interaction.Status
ANY = [("", "any")]
PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100"), (200, "200")]
DEFAULT_PER_PAGE = 50
# Ids ticked in one bulk act: a page holds at most 200 rows, and Django refuses a request of
# more than 1,000 fields (DATA_UPLOAD_MAX_NUMBER_FIELDS).
MAX_BULK = 500
LIST_SEPARATORS = re.compile(r"[\n,;]")
PMID_SEPARATORS = re.compile(r"[\s,;]+")
PMID_MAX = 2**31 - 1  # the database column is a (positive) 32-bit integer
HONEYPOT = "website"  # the field of the report form that people never see and bots fill


class SeveralChoicesField(forms.MultipleChoiceField):
    """Choices ticked in boxes (``confidence=A&confidence=B``) or written in one value (``confidence=A,B``)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return [item.strip() for text in super().to_python(value) for item in text.split(",") if item.strip()]


class QueueFilterForm(forms.Form):
    """The review queue's filters, sort and page, read from the query string (links can be shared)."""

    status = forms.ChoiceField(choices=ANY + Status.choices, required=False)
    organism = forms.ModelChoiceField(Organism.objects.all(), required=False, empty_label="any")
    tf = forms.CharField(
        label="TF", required=False, max_length=100, help_text="UniProt accession or gene name, any case."
    )
    target = forms.CharField(required=False, max_length=100, help_text="UniProt accession or gene name, any case.")
    source = forms.ModelChoiceField(
        SourceDatabase.objects.all(), to_field_name="name", required=False, empty_label="any", label="source database"
    )
    small_scale = forms.ChoiceField(
        label="small-scale evidence", choices=[*ANY, ("yes", "yes"), ("no", "no")], required=False
    )
    flagged_by = forms.CharField(label="flagged by", required=False, max_length=150, help_text="A username.")
    reported = forms.BooleanField(
        label="reported by visitors", required=False, help_text="Only interactions with open problem reports."
    )
    confidence = SeveralChoicesField(choices=Interaction.Confidence.choices)
    mode = SeveralChoicesField(label="mode of regulation", choices=Mode.choices)
    sort = forms.ChoiceField(choices=[(key, label) for key, (label, _order) in QUEUE_SORTS.items()], required=False)
    per_page = forms.TypedChoiceField(
        label="rows per page", choices=PER_PAGE_CHOICES, coerce=int, required=False, empty_value=DEFAULT_PER_PAGE
    )
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("per_page"):
            # Without it, the box would show its first choice while the page holds the default number of rows.
            data = data.copy()
            data["per_page"] = str(DEFAULT_PER_PAGE)
        super().__init__(data, **kwargs)

    def filters(self):
        """The cleaned filters as keyword arguments of ``selectors.review_queue``."""
        data = self.cleaned_data
        small_scale = {"yes": True, "no": False}.get(data["small_scale"])
        return {
            "status": data["status"],
            "organism": data["organism"],
            "tf": data["tf"],
            "target": data["target"],
            "source": data["source"],
            "small_scale": small_scale,
            "flagged_by": data["flagged_by"],
            "reported": data["reported"],
            "confidence": data["confidence"],
            "mode": data["mode"],
            "sort": data["sort"] or next(iter(QUEUE_SORTS)),
        }


class InteractionIdsField(forms.Field):
    """The ids of the interactions ticked in the queue (a list of checkboxes named alike)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            ids = list(dict.fromkeys(int(item) for item in value))
        except (TypeError, ValueError):
            raise ValidationError("Interactions are chosen by their numbers.") from None
        if len(ids) > MAX_BULK:
            raise ValidationError(f"Choose at most {MAX_BULK} interactions at once.")
        return ids

    def validate(self, value):
        if not value:
            raise ValidationError("Tick the interactions to act on.")


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(action, action.label) for action in TRANSITIONS])
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    ids = InteractionIdsField()


class NameListField(forms.CharField):
    """Names typed one per line or separated by commas (or TFLink's semicolons)."""

    def __init__(self, *, item_max_length, **kwargs):
        self.item_max_length = item_max_length
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("help_text", "One per line, or separated by commas.")
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        names = list(dict.fromkeys(name.strip() for name in LIST_SEPARATORS.split(text) if name.strip()))
        too_long = [name for name in names if len(name) > self.item_max_length]
        if too_long:
            raise ValidationError(f"Names are at most {self.item_max_length} characters: {too_long[0][:40]}…")
        return names


class PubMedIdsField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Numbers separated by spaces, commas or new lines; a 'PMID:' prefix is fine.",
            **kwargs,
        )

    def to_python(self, value):
        text = super().to_python(value)
        words = [re.sub(r"(?i)^pmid:?", "", word) for word in PMID_SEPARATORS.split(text) if word]
        bad = [word for word in words if not (word.isascii() and word.isdecimal() and 0 < int(word) <= PMID_MAX)]
        if bad:
            raise ValidationError(f"Not a PubMed id: {bad[0][:40]}")
        return sorted({int(word) for word in words})


class EvidenceForm(forms.Form):
    """A curator's edit of an interaction's evidence, based on the version they saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    source_databases = NameListField(
        label="Source databases", item_max_length=SourceDatabase._meta.get_field("name").max_length
    )
    detection_methods = NameListField(
        label="Detection methods", item_max_length=DetectionMethod._meta.get_field("name").max_length
    )
    pmids = PubMedIdsField(label="PubMed ids")
    small_scale = forms.BooleanField(label="Small-scale evidence", required=False)
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why you change the evidence; kept in the history. Required when the interaction is approved "
        "or rejected (the change sends it back to flagged).",
    )

    @classmethod
    def of(cls, interaction):
        """An unbound form showing the interaction's current evidence and version."""
        return cls(
            initial={
                "version": interaction.version,
                "source_databases": "\n".join(source.name for source in interaction.source_databases.all()),
                "detection_methods": "\n".join(method.name for method in interaction.detection_methods.all()),
                "pmids": " ".join(str(publication.pmid) for publication in interaction.publications.all()),
                "small_scale": interaction.small_scale,
            }
        )


class ActForm(forms.Form):
    """One transition (flag, approve, reject, reopen) on the version the user saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    text = forms.CharField(label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ProblemReportForm(forms.Form):
    """A visitor's report of a problem with an interaction (no account needed)."""

    kind = forms.ChoiceField(label="What is wrong", choices=ProblemReport.Kind.choices)
    text = forms.CharField(
        label="Details",
        max_length=ProblemReport.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"What you found, with the publication if there is one (at most "
        f"{ProblemReport.TEXT_MAX_LENGTH} characters).",
        error_messages={
            "required": "Describe the problem.",
            "max_length": "Describe the problem in at most %(limit_value)d characters (this has %(show_value)d).",
        },
    )
    email = forms.EmailField(
        label="Your e-mail (optional)",
        required=False,
        max_length=254,
        help_text="Only for the curators, if they have a question; never shown on the site.",
    )

    def is_from_a_bot(self) -> bool:
        """Whether the field hidden from people (``HONEYPOT``, written by the template) was filled in."""
        return bool(self.data.get(HONEYPOT, "").strip())


class ReportFlagForm(forms.Form):
    """Turning a report into a flag, based on the version of the interaction the curator saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReportDismissForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "A reason is required to dismiss a report."},
    )
