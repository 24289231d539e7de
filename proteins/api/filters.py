"""Query-string filters of the API (django-filter).

Every filter is a plain text or number box: identifiers are resolved with one query, never
offered as a ``<select>`` over a big table.  A value that cannot be understood (a word where
a number goes, an organism or source database the portal does not know, an impossible date)
is a 400 naming the parameter; so is a parameter the endpoint does not know, so a typo never
returns everything.
"""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

from portal.query_strings import several

from ..models import BindingSite, DetectionMethod, Interaction, Mode, Organism, Protein, SourceDatabase
from ..querysets import linked_to
from .pagination import key_bound

# PositiveIntegerField's range on PostgreSQL: a larger number can match nothing.
MAX_INTEGER = 2**31 - 1
MAX_POSITION = 2**63 - 1
MAX_IDENTIFIERS = 100
# Query parameters of every list besides its filters (DRF's format override and the cursor pages).
COMMON_PARAMETERS = ("format", "cursor", "page_size")


def is_number(text):
    return text.isascii() and text.isdecimal()


def documented(schema):
    """Describe a filter in the OpenAPI schema with ``schema`` (a JSON schema with its description)."""
    return extend_schema_field(schema)


# Form fields: turn one query-string value into what the filter needs, or a ValidationError.


class TextField(forms.CharField):
    """Trimmed text without NUL characters (databases refuse them), checked before any lookup uses it."""

    def to_python(self, value):
        text = super().to_python(value)
        if "\x00" in text:
            raise ValidationError("Null characters are not allowed.")
        return text


class IdentifierListField(TextField):
    """One or several protein identifiers, comma-separated (accession, NCBI Gene id or gene name)."""

    def to_python(self, value):
        identifiers = several([super().to_python(value)])
        if len(identifiers) > MAX_IDENTIFIERS:
            raise ValidationError(f"Give at most {MAX_IDENTIFIERS} identifiers in one request, not {len(identifiers)}.")
        return identifiers


class OrganismField(TextField):
    """An organism by NCBI taxon id or scientific name (any case)."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if is_number(text):
            found = Organism.objects.filter(taxon_id=int(text)).first() if int(text) <= MAX_INTEGER else None
        else:
            found = Organism.objects.filter(name__iexact=text).first()
        if found is None:
            raise ValidationError(
                "No organism with the NCBI taxon id or scientific name %(value)r; see /api/organisms/.",
                params={"value": text},  # never inside the message: a "%" there would break its formatting
            )
        return found


class NamedField(TextField):
    """A source database or detection method by its name (any case)."""

    def __init__(self, *args, model, listing, **kwargs):
        self.model, self.listing = model, listing
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        found = self.model.objects.filter(name__iexact=text).first()
        if found is None:
            noun = self.model._meta.verbose_name
            raise ValidationError(f"No {noun} named %(value)r; see {self.listing}.", params={"value": text})
        return found


class ChoiceListField(TextField):
    """One or several of the ``choices`` (their values), comma-separated; any other value is an error."""

    def __init__(self, *args, choices, **kwargs):
        self.choices = dict(choices)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        values = several([super().to_python(value)])
        unknown = [value for value in values if value not in self.choices]
        if unknown:
            raise ValidationError(
                "Unknown value %(value)r: give one or several of " + ", ".join(self.choices) + ", comma-separated.",
                params={"value": unknown[0]},
            )
        return values


class BooleanValueField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is an error, not "no filter"."""

    VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    widget = forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")])

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise ValidationError("Give true or false.") from None


class SinceField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date or date and time; without a UTC offset it is read as UTC."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError("Give a date and time between the years 1 and 9999 (UTC).") from None
        return moment


# chromosome:start-end.  Plain groups, no (?P<name>...): the schema gives the pattern to clients, and
# OpenAPI patterns are ECMA-262 regular expressions, which write named groups otherwise.
REGION_RE = re.compile(r"([^:\s]+):([0-9][0-9,]*)-([0-9][0-9,]*)")


class RegionField(TextField):
    """A genome region ``chromosome:start-end`` (UCSC style, commas allowed in numbers)."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        match = REGION_RE.fullmatch(text)
        if not match:
            raise ValidationError("Give a region as chromosome:start-end, e.g. chr17:7661779-7687538.")
        start, end = (int(match[group].replace(",", "")) for group in (2, 3))
        if start > end or end > MAX_POSITION:
            raise ValidationError("The region's start must not be after its end.")
        return match[1], start, end


# Filters.


class ProteinIdentifierFilter(django_filters.CharFilter):
    """Rows whose ``field_name`` protein has one of the given identifiers."""

    field_class = IdentifierListField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(**{f"{self.field_name}__in": proteins_identified_by(value)})


def proteins_identified_by(identifiers):
    """Ids of the proteins one of ``identifiers`` identifies (``Protein.objects.identified_by``).

    A list, not a subquery: with the ids in hand the database plans the interactions' query on
    the TF or target index instead of walking every interaction in id order.
    """
    return sorted(Protein.objects.identified_ids(identifiers))


class OrganismFilter(django_filters.CharFilter):
    field_class = OrganismField

    def filter(self, queryset, value):
        return queryset.filter(**{self.field_name: value}) if value else queryset


class NamedFilter(django_filters.CharFilter):
    """Rows linked (``field_name``, a many-to-many field) to the source database or detection method of that name.

    ``paged_by_pk``: the list pages on the rows' own id, so a rare value's links are read from
    the cursor's position on (``querysets.linked_to``).
    """

    field_class = NamedField

    def __init__(self, *args, paged_by_pk=False, **kwargs):
        self.paged_by_pk = paged_by_pk
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        request = self.parent.request if self.paged_by_pk else None
        bound = key_bound(request) if request is not None else None
        return queryset.filter(linked_to(queryset.model._meta.get_field(self.field_name), value.pk, key_bound=bound))


class ChoiceListFilter(django_filters.CharFilter):
    """Rows whose ``field_name`` is any of the comma-separated values (described in the schema as an enum list)."""

    field_class = ChoiceListField

    def filter(self, queryset, value):
        return queryset.filter(**{f"{self.field_name}__in": value}) if value else queryset


def choice_list(field_name, choices, help_text):
    """A ``ChoiceListFilter`` of ``choices``, its schema a comma-separated list of their values."""
    values = [value for value, _label in choices]
    schema = {
        "type": "string",
        "pattern": "^({0})(,({0}))*$".format("|".join(values)),
        "description": f"{help_text} One or several of {', '.join(values)}, comma-separated "
        f"(e.g. {values[0]},{values[1]}).",
    }
    return documented(schema)(ChoiceListFilter(field_name=field_name, choices=choices, help_text=help_text))


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=kwargs.pop("min_value", 1), max_value=MAX_INTEGER, **kwargs)


class BooleanValueFilter(django_filters.BooleanFilter):
    field_class = BooleanValueField


class SinceFilter(django_filters.IsoDateTimeFilter):
    field_class = SinceField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, lookup_expr="gte", **kwargs)


class RegionFilter(django_filters.CharFilter):
    """Binding sites overlapping a region."""

    field_class = RegionField

    def filter(self, queryset, value):
        if not value:
            return queryset
        chromosome, start, end = value
        return queryset.filter(chromosome=chromosome, start__lte=end, end__gte=start)


IDENTIFIERS_HELP = (
    "UniProt accession (any case), NCBI Gene id (digits) or gene name (any case, the whole name or one of "
    "its ;-joined symbols); "
    f"several comma-separated (at most {MAX_IDENTIFIERS}) match any of them."
)
ORGANISM_HELP = "NCBI taxon id (9606) or scientific name (Homo sapiens, any case); see /api/organisms/."
PMID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER, "description": "PubMed id of a publication."}


class InteractionFilter(django_filters.FilterSet):
    organism = OrganismFilter(field_name="organism", help_text=ORGANISM_HELP)
    tf = ProteinIdentifierFilter(field_name="tf", help_text=f"The transcription factor: {IDENTIFIERS_HELP}")
    target = ProteinIdentifierFilter(field_name="target", help_text=f"The target gene: {IDENTIFIERS_HELP}")
    protein = ProteinIdentifierFilter(
        method="filter_protein", help_text=f"The TF or the target (either side): {IDENTIFIERS_HELP}"
    )
    source = NamedFilter(
        field_name="source_databases",
        model=SourceDatabase,
        listing="/api/sources/",
        paged_by_pk=True,
        help_text="Source database by name (any case), e.g. GTRD, TRRUST, IntAct_via_DoRothEA; see /api/sources/.",
    )
    method = NamedFilter(
        field_name="detection_methods",
        model=DetectionMethod,
        listing="/api/methods/",
        paged_by_pk=True,
        help_text="Detection method by name (any case), e.g. chromatin immunoprecipitation assay; see /api/methods/.",
    )
    pmid = documented(PMID_SCHEMA)(IntegerFilter(field_name="publications"))
    small_scale = BooleanValueFilter(
        field_name="small_scale", help_text="true: only interactions supported by small-scale experiments; false: none."
    )
    status = django_filters.ChoiceFilter(
        choices=Interaction.Status.choices,
        help_text="Curation status. Rejected interactions are shown to staff only: for everyone else "
        "status=rejected matches nothing.",
    )
    mode = choice_list("mode", Mode.choices, "Mode of regulation of the TF on the target.")
    confidence = choice_list("confidence", Interaction.Confidence.choices, "Confidence level, A most trusted.")
    updated_since = SinceFilter(
        field_name="updated_at",
        help_text="Changed at or after this ISO 8601 date or date-time (UTC unless an offset is given), "
        "e.g. 2024-05-01 or 2024-05-01T12:00:00Z.",
    )

    class Meta:
        model = Interaction
        fields = []

    def filter_protein(self, queryset, name, value):
        if not value:
            return queryset
        proteins = proteins_identified_by(value)
        return queryset.filter(Q(tf__in=proteins) | Q(target__in=proteins))


class ProteinFilter(django_filters.FilterSet):
    FUNCTIONS = [
        ("tf", "transcription factor (regulates at least one target)"),
        ("target", "target gene (regulated by at least one TF)"),
        ("both", "both"),
    ]

    organism = OrganismFilter(field_name="organism", help_text=ORGANISM_HELP)
    identifier = ProteinIdentifierFilter(field_name="pk", help_text=IDENTIFIERS_HELP)
    q = django_filters.CharFilter(
        method="filter_search",
        help_text="Search text: gene name contains it, or it is the UniProt accession or NCBI Gene id.",
    )
    function = django_filters.ChoiceFilter(
        choices=FUNCTIONS, method="filter_function", help_text="Role in the interactions shown publicly."
    )
    updated_since = SinceFilter(field_name="updated_at", help_text="Changed at or after this ISO 8601 date-time.")

    class Meta:
        model = Protein
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(pk__in=Protein.objects.search(value).values("pk")) if value.strip() else queryset

    def filter_function(self, queryset, name, value):
        roles = {"tf": queryset.tfs, "target": queryset.targets, "both": lambda: queryset.tfs().targets()}
        return roles[value]()


class BindingSiteFilter(django_filters.FilterSet):
    tf = ProteinIdentifierFilter(field_name="tf", help_text=f"The transcription factor: {IDENTIFIERS_HELP}")
    organism = OrganismFilter(field_name="tf__organism", help_text=ORGANISM_HELP)
    assembly = django_filters.CharFilter(
        field_name="assembly", lookup_expr="iexact", help_text="Genome assembly, e.g. hg38, mm10, rn6."
    )
    chromosome = django_filters.CharFilter(field_name="chromosome", help_text="Chromosome, e.g. chr17.")
    region = documented(
        {
            "type": "string",
            "pattern": rf"^{REGION_RE.pattern}$",
            "description": "Sites overlapping chromosome:start-end, e.g. chr17:7661779-7687538.",
        }
    )(RegionFilter())
    source = NamedFilter(
        field_name="source_databases",
        model=SourceDatabase,
        listing="/api/sources/",
        help_text="Source database by name (any case).",
    )
    method = NamedFilter(
        field_name="detection_methods",
        model=DetectionMethod,
        listing="/api/methods/",
        help_text="Detection method by name (any case).",
    )
    pmid = documented(PMID_SCHEMA)(IntegerFilter(field_name="publications"))
    small_scale = BooleanValueFilter(field_name="small_scale", help_text="true: only small-scale sites.")

    class Meta:
        model = BindingSite
        fields = []


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter that refuses query parameters the endpoint does not know, with a 400."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = {
            *(filterset_class.base_filters if filterset_class else ()),
            *COMMON_PARAMETERS,
            *getattr(view, "extra_query_parameters", ()),
        }
        refuse_unknown_parameters(request.query_params, known)
        return super().filter_queryset(request, queryset, view)


def refuse_unknown_parameters(params, known):
    """A 400 naming each of the query ``params`` not in ``known``: a typo never returns everything."""
    unknown = sorted(set(params) - set(known))
    if unknown:
        hint = f"Unknown query parameter; this endpoint knows {', '.join(sorted(known))}."
        raise exceptions.ValidationError({name: [hint] for name in unknown})
