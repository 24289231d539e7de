"""Forms of the curator area: the queue's filters and bulk acts, evidence edits, acts, comments, entries from
papers, reviewers' modes, handling reports; and the visitors' problem report."""

import re

from django import forms
from django.core.exceptions import ValidationError

from portal.query_strings import several
from proteins.models import DetectionMethod, Interaction, Mode, Organism, SourceDatabase

from . import literature
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
PMID_MAX = literature.PMID_MAX
HONEYPOT = "website"  # the field of the report form that people never see and bots fill


class SeveralChoicesWidget(forms.CheckboxSelectMultiple):
    """Boxes ticked (``confidence=A&confidence=B``) or values written in one (``confidence=A,B``)."""

    def value_from_datadict(self, data, files, name):
        return several(super().value_from_datadict(data, files, name) or [])


class SeveralChoicesField(forms.MultipleChoiceField):
    widget = SeveralChoicesWidget

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


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

    def __init__(self, *, item_max_length, separators=LIST_SEPARATORS, **kwargs):
        self.item_max_length = item_max_length
        self.separators = separators
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("help_text", "One per line, or separated by commas.")
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        names = list(dict.fromkeys(name.strip() for name in self.separators.split(text) if name.strip()))
        too_long = [name for name in names if len(name) > self.item_max_length]
        if too_long:
            raise ValidationError(f"Names are at most {self.item_max_length} characters: {too_long[0][:40]}…")
        return names


def pubmed_id(word):
    """The PubMed id ``word`` writes (a 'PMID:' prefix is fine), or None."""
    word = re.sub(r"(?i)^pmid:?", "", word.strip())
    return int(word) if word.isascii() and word.isdecimal() and 0 < int(word) <= PMID_MAX else None


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
        words = [word for word in PMID_SEPARATORS.split(text) if word]
        bad = [word for word in words if pubmed_id(word) is None]
        if bad:
            raise ValidationError(f"Not a PubMed id: {bad[0][:40]}")
        return sorted({pubmed_id(word) for word in words})


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


# Entries from papers.

METHOD_SEPARATORS = re.compile(r"[\n;]")  # method names hold commas ("ChIP, then qPCR")
PROTEIN_HELP = "UniProt accession, gene name or NCBI Gene id."
NEW_PROTEIN_HELP = "Only for a protein the portal lacks: it is added with these."


class PubMedIdField(forms.Field):
    """One PubMed id."""

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        pmid = pubmed_id(text)
        if pmid is None:
            raise ValidationError(f"Not a PubMed id: {text[:40]}")
        return pmid


class PublicationReadForm(forms.Form):
    """One publication of an entry: what it states."""

    pmid = PubMedIdField(label="PMID", help_text="A 'PMID:' prefix is fine.")
    mode = forms.ChoiceField(label="Mode it reports", choices=Mode.choices, initial=Mode.UNKNOWN)
    sentence = forms.CharField(
        label="Sentence quoted",
        max_length=literature.SENTENCE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The sentence of the paper that states the interaction.",
    )

    def read(self):
        data = self.cleaned_data
        return literature.PublicationRead(data["pmid"], data["mode"], data["sentence"])


class BasePublicationFormSet(forms.BaseFormSet):
    default_error_messages = {"too_few_forms": literature.NO_PUBLICATION}

    def clean(self):
        if any(self.errors):
            return
        pmids = [form.cleaned_data["pmid"] for form in self.filled()]
        repeated = sorted({pmid for pmid in pmids if pmids.count(pmid) > 1})
        if repeated:
            raise ValidationError(f"PMID {repeated[0]} is given twice: one row per publication.")

    def filled(self):
        return [form for form in self.forms if form.has_changed() and form.cleaned_data]

    def read(self):
        return [form.read() for form in self.filled()]


PublicationFormSet = forms.formset_factory(
    PublicationReadForm,
    formset=BasePublicationFormSet,
    extra=3,
    min_num=1,
    validate_min=True,
    max_num=literature.PUBLICATIONS_MAX,
    validate_max=True,
)


class EntryForm(forms.Form):
    """An interaction read in papers (the publications are ``PublicationFormSet``)."""

    organism = forms.ModelChoiceField(Organism.objects.all())
    tf = forms.CharField(label="Transcription factor", max_length=100, help_text=PROTEIN_HELP)
    tf_accession = forms.CharField(
        label="TF's UniProt accession", required=False, max_length=10, help_text=NEW_PROTEIN_HELP
    )
    tf_gene_name = forms.CharField(
        label="TF's gene name", required=False, max_length=literature.GENE_NAME_MAX, help_text=NEW_PROTEIN_HELP
    )
    target = forms.CharField(max_length=100, help_text=PROTEIN_HELP)
    target_accession = forms.CharField(
        label="Target's UniProt accession", required=False, max_length=10, help_text=NEW_PROTEIN_HELP
    )
    target_gene_name = forms.CharField(
        label="Target's gene name", required=False, max_length=literature.GENE_NAME_MAX, help_text=NEW_PROTEIN_HELP
    )
    detection_methods = NameListField(
        label="Detection methods",
        item_max_length=DetectionMethod._meta.get_field("name").max_length,
        separators=METHOD_SEPARATORS,
        help_text="One per line, or separated by ';'.",
    )
    small_scale = forms.BooleanField(label="Small-scale evidence", required=False)
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For the reviewers. When the portal holds the pair and a reviewer decided on it, "
        "your evidence sends it back to flagged: then say why here.",
    )
    # Set once the curator was shown that the pair exists: the version their evidence adds to.
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def proteins(self):
        data = self.cleaned_data
        return [
            literature.ProteinGiven(data[side], data[f"{side}_accession"], data[f"{side}_gene_name"])
            for side in ("tf", "target")
        ]


class ModeForm(forms.Form):
    """A reviewer's mode for an interaction, on the version they saw."""

    RULE = ""
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    mode = forms.ChoiceField(
        choices=[*Mode.choices, (RULE, "by the rule (publications, source tables)")], required=False
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


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
