"""The Django admin of the portal's data, built for TFLink's size.

Interactions run to millions of rows and proteins to tens of thousands, so every list
here avoids what is cheap on a small table and ruinous on a large one: full counts,
facet counts, filters listing every protein, sorting by a joined column, a query per row,
and searches that scan a whole table with LIKE.  A search term that is a UniProt
accession or an NCBI Gene id is looked up exactly, through an index; other terms are
looked for in gene names.

Imported strings are data: they are rendered by Django's escaping templates, and links
are built with ``format_html`` so that each value is escaped.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    BindingSite,
    DetectionMethod,
    GeneId,
    ImportRecord,
    ImportRun,
    Interaction,
    Organism,
    Ortholog,
    Protein,
    Publication,
    SitePage,
    SourceDatabase,
)
from .parser import ACCESSION_RE

# Past this many proteins matching one search term, interactions are searched through a
# subquery rather than a list of ids: a list lets the database use the TF and target
# indexes, but a very long one is slower to send than the scan it avoids.
MAX_LISTED_PROTEINS = 1000

PROTEIN_SEARCH_HELP = (
    "A UniProt accession (P04637) or an NCBI Gene id (7157) finds that protein exactly; "
    "other words are looked for in gene names. Several words must all match."
)


# Searching by the names of a protein.


def search_terms(search_term):
    """The words of a search box, quoted phrases kept whole, as the admin splits them."""
    for term in smart_split(search_term):
        if term.startswith(('"', "'")) and term[0] == term[-1]:
            term = unescape_string_literal(term)
        if term:
            yield term


def protein_condition(term):
    """Q selecting the proteins that one search term names.

    An accession or a gene id is compared with ``=``, so the database uses its index;
    other terms match part of a gene name or the start of an accession.
    """
    if term.isdecimal():
        return Q(gene_ids__gene_id=int(term))
    accession = term.upper()
    if ACCESSION_RE.fullmatch(accession):
        return Q(accession=accession)
    return Q(gene_name__icontains=term) | Q(accession__startswith=accession)


def protein_ids(term):
    """Ids of the proteins a search term names: a list when few, else a subquery."""
    proteins = Protein.objects.filter(protein_condition(term)).order_by().values("pk")
    ids = [row["pk"] for row in proteins[: MAX_LISTED_PROTEINS + 1]]
    return proteins if len(ids) > MAX_LISTED_PROTEINS else ids


class TermSearchMixin:
    """Replaces the admin's search with ``search_condition(term)``, one Q per search word.

    ``search_fields`` still says what the box searches (and makes the admin show it), but
    Django would compare ``=`` fields upper-cased or cast to text, which no index serves.
    """

    def get_search_results(self, request, queryset, search_term):
        for term in search_terms(search_term):
            queryset = queryset.filter(self.search_condition(term))
        return queryset, False

    def search_condition(self, term):
        raise NotImplementedError


def admin_link(obj, text=None):
    """A link to ``obj``'s admin change page; its text is escaped."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def changelist_link(model, text, **filters):
    """A link to ``model``'s admin list, filtered by ``filters``."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


def count_of(relation, owner_column):
    """Per-row count of a many-to-many relation, as a correlated subquery.

    Unlike ``Count()`` with a join, it is computed for the rows shown, not grouped over
    the whole table before the page is cut.
    """
    through = relation.through
    rows = (
        through.objects.filter(**{owner_column: OuterRef("pk")})
        .order_by()
        .values(owner_column)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class EvidenceFilter(admin.SimpleListFilter):
    """Rows with one value of a small many-to-many lookup (a source database, a method).

    The admin's own filter on a many-to-many field makes the list DISTINCT, which sorts
    the whole table; none is needed, since a row links each value at most once.
    """

    field_name = None

    def lookups(self, request, model_admin):
        related = model_admin.model._meta.get_field(self.field_name).related_model
        return related.objects.values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            return queryset.filter(**{self.field_name: int(self.value())})
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


class SourceDatabaseFilter(EvidenceFilter):
    title = "source database"
    parameter_name = "source"
    field_name = "source_databases"


class DetectionMethodFilter(EvidenceFilter):
    title = "detection method"
    parameter_name = "method"
    field_name = "detection_methods"


# Small lookup tables.


@admin.register(Organism)
class OrganismAdmin(admin.ModelAdmin):
    list_display = ["name", "taxon_id"]
    search_fields = ["name"]
    search_help_text = "Part of the scientific name, e.g. sapiens."


@admin.register(SourceDatabase)
class SourceDatabaseAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    search_help_text = "Part of the database's name, e.g. ChIP."
    readonly_fields = ["evidence"]

    @admin.display(description="interactions")
    def evidence(self, source):
        if source.pk is None:
            return "-"
        return changelist_link(Interaction, "Interactions from this source", source=source.pk)


@admin.register(DetectionMethod)
class DetectionMethodAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    search_help_text = "Part of the method's name, e.g. immunoprecipitation."
    readonly_fields = ["evidence"]

    @admin.display(description="interactions")
    def evidence(self, method):
        if method.pk is None:
            return "-"
        return changelist_link(Interaction, "Interactions detected by this method", method=method.pk)


@admin.register(Publication)
class PublicationAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["pmid", "pubmed"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=pmid"]
    search_help_text = "A PubMed id, e.g. 9733765 or PMID:9733765."
    readonly_fields = ["pubmed", "evidence"]

    def search_condition(self, term):
        pmid = term.upper().removeprefix("PMID:")
        return Q(pmid=int(pmid)) if pmid.isdecimal() else Q(pk__in=[])

    @admin.display(description="PubMed")
    def pubmed(self, publication):
        if publication.pk is None:
            return "-"
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', publication.url, publication.url)

    @admin.display(description="interactions")
    def evidence(self, publication):
        if publication.pk is None:
            return "-"
        return changelist_link(Interaction, "Interactions citing this publication", publications__exact=publication.pk)


# Proteins and what belongs to them.


class GeneIdInline(admin.TabularInline):
    model = GeneId
    extra = 0


class OrthologInline(admin.TabularInline):
    model = Ortholog
    fk_name = "protein"
    extra = 0
    fields = ["accession", "species", "ortholog"]
    raw_id_fields = ["ortholog"]


@admin.register(Protein)
class ProteinAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = [
        "accession",
        "gene_name",
        "organism",
        "gene_id_list",
        "function",
        "provenance",
        "reported_interaction_count",
        "updated_at",
    ]
    list_filter = ["organism", "provenance"]
    list_select_related = ["organism"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=accession", "gene_name", "=gene_ids__gene_id"]
    search_help_text = PROTEIN_SEARCH_HELP
    inlines = [GeneIdInline, OrthologInline]
    readonly_fields = ["interactions", "page_hash", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["accession", "gene_name", "organism", "provenance"]}),
        ("From its page", {"fields": ["jaspar_matrices", "reported_interaction_count", "description"]}),
        ("Interactions", {"fields": ["interactions"]}),
        ("Import", {"fields": ["page_hash", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_function().prefetch_related("gene_ids")

    def search_condition(self, term):
        return protein_condition(term)

    @admin.display(description="NCBI Gene ids")
    def gene_id_list(self, protein):
        return ", ".join(str(gene_id) for gene_id in protein.gene_ids.all()) or "-"

    @admin.display(description="function")
    def function(self, protein):
        roles = [role for role, held in (("TF", protein.is_tf), ("target", protein.is_target)) if held]
        return " and ".join(roles) or "-"

    @admin.display(description="interactions held here")
    def interactions(self, protein):
        if protein.pk is None:
            return "-"
        as_tf = Interaction.objects.filter(tf=protein).count()
        as_target = Interaction.objects.filter(target=protein).count()
        return format_html(
            "{} · {}",
            changelist_link(Interaction, f"{as_tf} as transcription factor", tf__id__exact=protein.pk),
            changelist_link(Interaction, f"{as_target} as target", target__id__exact=protein.pk),
        )


@admin.register(GeneId)
class GeneIdAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["gene_id", "protein"]
    list_select_related = ["protein"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=gene_id", "=protein__accession", "protein__gene_name"]
    search_help_text = "An NCBI Gene id; or its protein: a UniProt accession in full, or part of a gene name."
    autocomplete_fields = ["protein"]

    def search_condition(self, term):
        if term.isdecimal():
            return Q(gene_id=int(term))
        return Q(protein__in=protein_ids(term))


@admin.register(Ortholog)
class OrthologAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["accession", "species", "protein", "ortholog"]
    list_select_related = ["protein", "ortholog"]
    list_filter = ["species"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=accession", "=protein__accession", "protein__gene_name", "=protein__gene_ids__gene_id"]
    search_help_text = "The ortholog's UniProt accession, or its protein's. " + PROTEIN_SEARCH_HELP
    autocomplete_fields = ["protein"]
    raw_id_fields = ["ortholog"]

    def search_condition(self, term):
        return Q(accession=term.upper()) | Q(protein__in=protein_ids(term))


# Interactions and binding sites: the large tables.


@admin.register(Interaction)
class InteractionAdmin(TermSearchMixin, SimpleHistoryAdmin):
    list_display = [
        "tf",
        "target",
        "organism",
        "status",
        "small_scale",
        "source_count",
        "publication_count",
        "updated_at",
    ]
    # Sorting by a joined or unindexed column would sort millions of rows.
    sortable_by = ["updated_at"]
    ordering = ["-updated_at"]
    list_filter = ["status", "small_scale", "organism", SourceDatabaseFilter, DetectionMethodFilter]
    list_select_related = ["tf", "target", "organism"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    search_fields = [
        "=tf__accession",
        "tf__gene_name",
        "=tf__gene_ids__gene_id",
        "=target__accession",
        "target__gene_name",
        "=target__gene_ids__gene_id",
    ]
    search_help_text = "Finds interactions whose TF or target matches. " + PROTEIN_SEARCH_HELP
    autocomplete_fields = ["tf", "target"]
    raw_id_fields = ["publications"]
    filter_horizontal = ["source_databases", "detection_methods"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["tf", "target", "organism", "status"]}),
        ("Evidence", {"fields": ["small_scale", "source_databases", "detection_methods", "publications"]}),
        ("Record", {"fields": ["version", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("tf", "target", "organism")
            .annotate(
                source_count=count_of(Interaction.source_databases, "interaction"),
                publication_count=count_of(Interaction.publications, "interaction"),
            )
        )

    def search_condition(self, term):
        ids = protein_ids(term)
        return Q(tf__in=ids) | Q(target__in=ids)

    def save_model(self, request, obj, form, change):
        # The version guards concurrent edits, so an edit made here must raise it too.
        if change and form.has_changed():
            obj.version += 1
        super().save_model(request, obj, form, change)

    @admin.display(description="sources")
    def source_count(self, interaction):
        return interaction.source_count

    @admin.display(description="publications")
    def publication_count(self, interaction):
        return interaction.publication_count


@admin.register(BindingSite)
class BindingSiteAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["tflink_id", "tf", "assembly", "location", "strand", "small_scale"]
    sortable_by = ["tflink_id"]
    list_filter = ["tf__organism", "strand", "small_scale", SourceDatabaseFilter, DetectionMethodFilter]
    list_select_related = ["tf"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["=tflink_id", "=tf__accession", "tf__gene_name", "=tf__gene_ids__gene_id"]
    search_help_text = "A TFLink id (TFLinkSS10035817) in full, or its TF: " + PROTEIN_SEARCH_HELP
    autocomplete_fields = ["tf"]
    raw_id_fields = ["publications"]
    filter_horizontal = ["source_databases", "detection_methods"]

    def search_condition(self, term):
        return Q(tflink_id=term) | Q(tf__in=protein_ids(term))


# The public site's content.


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "in_menu", "menu_order", "updated_at"]
    list_editable = ["in_menu", "menu_order"]
    search_fields = ["title", "slug"]
    search_help_text = "Part of the title or the address."
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["updated_at"]


# Imports: a record of what happened, read-only.


class ReadOnlyAdminMixin:
    """Viewable by staff with the view permission; deletable by superusers only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class FirstRecordsFormSet(BaseInlineFormSet):
    """A run's records, failures first, cut at ``ImportRecordInline.max_shown``.

    A run of all TFLink holds tens of thousands of records: too many for one page.
    """

    def get_queryset(self):
        # Read once: each form of the set asks for the records again.
        if not hasattr(self, "_first_records"):
            self._first_records = list(super().get_queryset()[: ImportRecordInline.max_shown])
        return self._first_records


class ImportRecordInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ImportRecord
    formset = FirstRecordsFormSet
    max_shown = 100
    verbose_name_plural = f"records (failures first; at most {max_shown} shown here)"
    fields = ["path", "outcome", "message", "linked_protein"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def get_queryset(self, request):
        failures_first = Case(When(outcome=ImportRecord.Outcome.FAILED, then=Value(0)), default=Value(1))
        return super().get_queryset(request).select_related("protein").order_by(failures_first, "path")

    @admin.display(description="protein")
    def linked_protein(self, record):
        return admin_link(record.protein) if record.protein_id else "-"


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "finished_at",
        "pages_read",
        "pages_created",
        "pages_updated",
        "pages_unchanged",
        "pages_failed",
        "interactions_created",
        "interactions_updated",
    ]
    list_filter = ["started_at"]
    show_full_result_count = False
    fields = [
        ("started_at", "finished_at"),
        "paths",
        "all_records",
        ("pages_read", "pages_created", "pages_updated", "pages_unchanged", "pages_failed"),
        ("interactions_created", "interactions_updated"),
    ]
    readonly_fields = ["started_at", "all_records"]
    inlines = [ImportRecordInline]

    @admin.display(description="records")
    def all_records(self, run):
        counts = run.records.aggregate(
            total=Count("pk"), failed=Count("pk", filter=Q(outcome=ImportRecord.Outcome.FAILED))
        )
        return format_html(
            "{} · {}",
            changelist_link(ImportRecord, f"all {counts['total']} records", run__id__exact=run.pk),
            changelist_link(
                ImportRecord,
                f"{counts['failed']} failed",
                run__id__exact=run.pk,
                outcome__exact=ImportRecord.Outcome.FAILED,
            ),
        )


@admin.register(ImportRecord)
class ImportRecordAdmin(ReadOnlyAdminMixin, TermSearchMixin, admin.ModelAdmin):
    list_display = ["path", "outcome", "accession", "linked_protein", "run", "imported_at"]
    list_filter = ["outcome", "imported_at"]
    list_select_related = ["protein", "run"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    sortable_by = ["imported_at"]
    search_fields = ["=accession", "path"]
    search_help_text = "A UniProt accession in full, or part of a page's path."
    fields = ["run", "path", "outcome", "message", "accession", "linked_protein", "content_hash", "imported_at"]
    readonly_fields = ["linked_protein", "imported_at"]

    def search_condition(self, term):
        accession = term.upper()
        if ACCESSION_RE.fullmatch(accession):
            return Q(accession=accession)
        return Q(path__icontains=term)

    @admin.display(description="protein")
    def linked_protein(self, record):
        return admin_link(record.protein) if record.protein_id else "-"
