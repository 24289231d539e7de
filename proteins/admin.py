"""The Django admin of the portal's data, built for TFLink's size.

Interactions run to millions of rows and proteins to tens of thousands, so every list
here avoids what is cheap on a small table and ruinous on a large one: full counts,
facet counts, filters listing every protein, sorting by a joined column, a query per row,
and searches that scan a whole table with LIKE.  A search term that is a UniProt
accession or an NCBI Gene id is looked up exactly, through an index; other terms are
looked for in gene names.

Imported strings are data: they are rendered by Django's escaping templates, and links
are built with ``format_html`` so that each value is escaped.

Curation goes through ``curation.workflow`` only: an interaction's status is read-only
here and changes by the admin actions (flag, approve, reject, reopen), which call the
workflow; a change form saves evidence through it too (its author becomes the last editor,
and an approved or rejected interaction goes back to flagged, with the reason the form
asks for), refused when the interaction changed since the form was shown.  Spreadsheet
import and export (CSV, TSV, XLSX, formula-like text written as text) follow
``proteins.resources``; staff upload pages on the import runs' page, through the importer.
"""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, TooManyFilesSent
from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst, smart_split, unescape_string_literal
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from curation import workflow
from curation.models import CurationEvent, PendingSourceChange

from . import counts, uploads
from .forms import InteractionAdminForm, ReasonForm, UploadPagesForm
from .importer import import_pages
from .models import (
    BindingSite,
    DeferredIndex,
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
from .resources import SPREADSHEET_FORMATS, InteractionResource, ProteinResource
from .selectors import forget_summaries

# Past this many proteins matching one search term, interactions are searched through a
# subquery rather than a list of ids: a list lets the database use the TF and target
# indexes, but a very long one is slower to send than the scan it avoids.
MAX_LISTED_PROTEINS = 1000

# At most this many interactions in one curation act: each is checked and recorded on its own.
MAX_CURATION_SELECTION = 1000
# Refused items listed in a message; the rest are counted.
MAX_LISTED_REFUSALS = 20
# Who may upload pages; the previews of a session waiting for confirmation.
UPLOAD_PERMISSION = "proteins.add_importrun"
UPLOADS_SESSION_KEY = "page_uploads"

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

    The proteins it identifies (``Protein.objects.identified_by``), read through indexes; a
    term that is not an accession or a gene id also matches part of a gene name or the start
    of an accession.
    """
    identified = Q(pk__in=Protein.objects.identified_ids([term]))
    accession = term.upper()
    if term.isdecimal() or ACCESSION_RE.fullmatch(accession):
        return identified
    return identified | Q(gene_name__icontains=term) | Q(accession__startswith=accession)


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


def report_outcome(modeladmin, request, done_text, refused):
    """Tell the user what an act on a selection did: ``done_text``, then each item left alone and why."""
    if done_text:
        modeladmin.message_user(request, done_text, messages.SUCCESS)
    if not refused:
        return
    shown = format_html_join(
        "", "<li>{}: {}</li>", ((str(item), reason) for item, reason in refused[:MAX_LISTED_REFUSALS])
    )
    more = len(refused) - MAX_LISTED_REFUSALS
    modeladmin.message_user(
        request,
        format_html(
            "Left {} unchanged:<ul>{}</ul>{}",
            plural(len(refused), modeladmin.opts),
            shown,
            f"and {more} more." if more > 0 else "",
        ),
        messages.WARNING,
    )


def plural(count, opts):
    return f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}"


class SpreadsheetMixin(ImportExportMixin):
    """Import and export as CSV, TSV or XLSX, each with a preview before anything is written.

    Export: whoever may view the list (what the list's filters and search select).  Import:
    whoever may add and change the model.  A spreadsheet is built in memory, so exports
    stop at ``max_export_rows``: whole organisms are downloaded from the public site.
    """

    formats = SPREADSHEET_FORMATS  # text that looks like a formula is written as text
    max_export_rows = 200_000

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        forget_summaries()  # the home page's counts
        return super().process_result(result, request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if queryset.order_by()[: self.max_export_rows + 1].count() > self.max_export_rows:
            raise ValueError(
                f"More than {self.max_export_rows} rows selected: filter the list first, "
                "or use the downloads of the public site for whole organisms."
            )
        return super().get_export_data(file_format, request, queryset, **kwargs)


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
class ProteinAdmin(TermSearchMixin, SpreadsheetMixin, admin.ModelAdmin):
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
    resource_classes = [ProteinResource]
    inlines = [GeneIdInline, OrthologInline]
    readonly_fields = ["interactions", "page_hash", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["accession", "gene_name", "organism", "provenance"]}),
        ("From its page", {"fields": ["jaspar_matrices", "reported_interaction_count", "description"]}),
        ("Interactions", {"fields": ["interactions"]}),
        ("Import", {"fields": ["page_hash", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("gene_ids")

    def search_condition(self, term):
        return protein_condition(term)

    @admin.display(description="NCBI Gene ids")
    def gene_id_list(self, protein):
        return ", ".join(str(gene_id) for gene_id in protein.gene_ids.all()) or "-"

    @admin.display(description="function")
    def function(self, protein):
        roles = [role for role, held in (("TF", protein.is_tf), ("target", protein.is_target)) if held]
        return " and ".join(roles) or "-"

    # Deleting proteins deletes their interactions: their partners' counts change.

    def delete_model(self, request, obj):
        self.delete_queryset(request, Protein.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            proteins = list(queryset.values_list("pk", flat=True))
            partners = counts.partners_of(Interaction.objects.filter(Q(tf__in=proteins) | Q(target__in=proteins)))
            super().delete_queryset(request, queryset)
            counts.refresh(partners - set(proteins))

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
class InteractionAdmin(TermSearchMixin, SpreadsheetMixin, SimpleHistoryAdmin):
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
    actions = ["flag_selected", "approve_selected", "reject_selected", "reopen_selected"]
    form = InteractionAdminForm
    resource_classes = [InteractionResource]
    import_template_name = "admin/proteins/interaction/import.html"
    curation_act_template = "admin/proteins/interaction/curation_act.html"
    autocomplete_fields = ["tf", "target"]
    raw_id_fields = ["publications"]
    filter_horizontal = ["source_databases", "detection_methods"]
    # The status changes by the curation actions only; a pair, once created, stays that pair.
    readonly_fields = ["status", "curation_record", "last_edited_by", "version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["tf", "target", "organism", "status"]}),
        ("Evidence", {"fields": ["small_scale", "source_databases", "detection_methods", "publications", "reason"]}),
        ("Curation", {"fields": ["curation_record", "last_edited_by"]}),
        ("Record", {"fields": ["version", "created_at", "updated_at", "seen_version"]}),
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

    @admin.display(description="sources")
    def source_count(self, interaction):
        return interaction.source_count

    @admin.display(description="publications")
    def publication_count(self, interaction):
        return interaction.publication_count

    @admin.display(description="curation record")
    def curation_record(self, interaction):
        if interaction.pk is None:
            return "-"
        history = reverse("admin:proteins_interaction_history", args=[interaction.pk])
        return format_html(
            '{} · {} · <a href="{}">field history</a>',
            changelist_link(CurationEvent, "curation acts", interaction__id__exact=interaction.pk),
            changelist_link(
                PendingSourceChange,
                "pending source changes",
                interaction__id__exact=interaction.pk,
                decision__exact=PendingSourceChange.Decision.PENDING,
            ),
            history,
        )

    # The change form: evidence only, saved through the workflow with the version it showed.

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "tf", "target", "organism"] if obj is not None else fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a new class for each request
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            # Entered by hand: its author is its last editor (the import leaves it to curators).
            obj.evidence_change = workflow.EvidenceChange(
                obj, request.user, form.cleaned_data["reason"] or "entered in the admin"
            )
            super().save_model(request, obj, form, change)
        elif form.evidence_changed():
            data = form.cleaned_data
            workflow.edit_evidence(
                obj,
                request.user,
                data["seen_version"],
                source_databases=[source.name for source in data["source_databases"]],
                detection_methods=[method.name for method in data["detection_methods"]],
                pmids=[publication.pmid for publication in data["publications"]],
                small_scale=data["small_scale"],
                reason=data["reason"] or "edited in the admin",
            )

    def save_related(self, request, form, formsets, change):
        if not change:  # a change's evidence was saved by the workflow
            super().save_related(request, form, formsets, change)
            form.instance.evidence_change.record()

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            counts.refresh([obj.tf_id, obj.target_id])

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            partners = counts.partners_of(queryset)
            super().delete_queryset(request, queryset)
            counts.refresh(partners)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.CurationError as error:
            # Changed between the form's check and the save: the workflow refused, nothing was saved.
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_change_history_permission(self, request, obj=None):
        return False  # reverting to an old version would change the status outside the workflow

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # Curation acts on a selection, through curation.workflow.

    def has_flag_permission(self, request):
        return request.user.has_perm(workflow.FLAG_PERMISSION)

    def has_review_permission(self, request):
        return request.user.has_perm(workflow.REVIEW_PERMISSION)

    @admin.action(description="Flag selected interactions for review (asks for a reason)", permissions=["flag"])
    def flag_selected(self, request, queryset):
        return self.curation_act(request, queryset, workflow.Action.FLAG)

    @admin.action(description="Approve selected interactions", permissions=["review"])
    def approve_selected(self, request, queryset):
        return self.curation_act(request, queryset, workflow.Action.APPROVE)

    @admin.action(description="Reject selected interactions (asks for a reason)", permissions=["review"])
    def reject_selected(self, request, queryset):
        return self.curation_act(request, queryset, workflow.Action.REJECT)

    @admin.action(description="Reopen selected interactions (asks for a reason)", permissions=["review"])
    def reopen_selected(self, request, queryset):
        return self.curation_act(request, queryset, workflow.Action.REOPEN)

    def curation_act(self, request, queryset, action):
        """Apply ``action`` to each selected interaction the rules allow, after asking for a needed reason."""
        interactions = list(queryset[: MAX_CURATION_SELECTION + 1])
        if len(interactions) > MAX_CURATION_SELECTION:
            self.message_user(
                request,
                f"Select at most {MAX_CURATION_SELECTION} interactions for one curation act; nothing was changed.",
                messages.ERROR,
            )
            return None
        reason = ""
        if workflow.TRANSITIONS[action].needs_reason:
            form = ReasonForm(request.POST if "apply" in request.POST else None, action=action)
            if not form.is_valid():
                return self.ask_reason(request, interactions, action, form)
            reason = form.cleaned_data["reason"]
        done, refused = workflow.bulk_transition(interactions, action, request.user, reason)
        done_text = f"{capfirst(workflow.past(action))} {plural(len(done), self.opts)}." if done else ""
        report_outcome(self, request, done_text, refused)
        return None

    def ask_reason(self, request, interactions, action, form):
        context = {
            **self.admin_site.each_context(request),
            "title": f"{capfirst(action)} {plural(len(interactions), self.opts)}",
            "opts": self.opts,
            "action": action,
            "action_name": f"{action}_selected",
            "interactions": interactions,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.curation_act_template, context)

    # Spreadsheet imports: say which rows were left alone, and why.

    def add_success_message(self, result, request):
        super().add_success_message(result, request)
        curated = [
            (f"row {number}: {row.object_repr}", row.note)
            for number, row in enumerate(result.rows, start=1)
            if getattr(row, "note", "").startswith("curated")
        ]
        report_outcome(self, request, "", curated)


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
        return failures_first(super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm(UPLOAD_PERMISSION)

    @admin.display(description="protein")
    def linked_protein(self, record):
        return admin_link(record.protein) if record.protein_id else "-"


def failures_first(records):
    failed_first = Case(When(outcome=ImportRecord.Outcome.FAILED, then=Value(0)), default=Value(1))
    return records.select_related("protein").order_by(failed_first, "path")


def upload_root():
    """Where uploads wait between their preview and their import."""
    return Path(settings.IMPORT_UPLOAD_DIR or Path(tempfile.gettempdir()) / "tfportal-uploads")


@admin.register(DeferredIndex)
class DeferredIndexAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Indexes a large import set aside; the import builds them again (the next one, if it was killed)."""

    list_display = ["name", "table", "deferred_at", "run"]
    list_select_related = ["run"]
    fields = ["name", "table", "sql", "deferred_at", "run"]

    def has_delete_permission(self, request, obj=None):
        return False  # the row is how the index gets built again


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Import runs, and the upload of pages: a dry run's preview first, then the import on confirmation."""

    change_list_template = "admin/proteins/importrun/change_list.html"
    upload_template = "admin/proteins/importrun/upload.html"
    list_display = [
        "__str__",
        "user",
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
    list_select_related = ["user"]
    show_full_result_count = False
    fields = [
        ("started_at", "finished_at"),
        "user",
        "paths",
        "all_records",
        ("pages_read", "pages_created", "pages_updated", "pages_unchanged", "pages_failed"),
        ("interactions_created", "interactions_updated"),
        "error",
    ]
    readonly_fields = ["started_at", "all_records"]
    inlines = [ImportRecordInline]

    def get_urls(self):
        # Exempt from the CSRF middleware, which would read the files first and answer a bare 400 to
        # too many of them; ``upload_view`` reads them itself, then checks the CSRF token.
        view = self.admin_site.admin_view(csrf_exempt(self.upload_view))
        return [path("upload/", view, name="proteins_importrun_upload"), *super().get_urls()]

    def has_upload_permission(self, request):
        return request.user.has_perm(UPLOAD_PERMISSION)

    def has_view_permission(self, request, obj=None):
        # Who may import may read what imports did.
        return super().has_view_permission(request, obj) or self.has_upload_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        """Upload pages (GET: the form; POST files: stage them and preview a dry run; POST token: import)."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        try:
            request.FILES  # noqa: B018 -- Django reads the upload when it is first asked for
        except TooManyFilesSent:
            # Nothing is read or written: the form is shown again with the way out.
            form = UploadPagesForm.refused(
                f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files at once: put the pages in a .zip archive."
            )
            return self.render_upload(request, stage="form", form=form, status=400)
        return csrf_protect(self.read_upload)(request)

    def read_upload(self, request):
        if request.method == "POST" and "token" in request.POST:
            return self.import_upload(request)
        form = UploadPagesForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                upload = uploads.stage(
                    form.cleaned_data["files"],
                    upload_root(),
                    max_file_bytes=settings.IMPORT_MAX_PAGE_BYTES,
                    max_total_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
                )
            except uploads.UploadError as error:
                form.add_error("files", str(error))
            else:
                report = import_pages(upload.import_paths(), dry_run=True, root=upload.files)
                waiting = request.session.get(UPLOADS_SESSION_KEY, [])[-9:]
                request.session[UPLOADS_SESSION_KEY] = [*waiting, upload.token]
                return self.render_upload(request, stage="preview", upload=upload, report=report)
        return self.render_upload(request, stage="form", form=form)

    def import_upload(self, request):
        """Import (or discard) an upload this user previewed: the same importer, for real."""
        token = request.POST["token"]
        waiting = request.session.get(UPLOADS_SESSION_KEY, [])
        upload = uploads.claim(upload_root(), token) if token in waiting else None
        request.session[UPLOADS_SESSION_KEY] = [other for other in waiting if other != token]
        if upload is None:
            self.message_user(request, "This upload is no longer waiting: upload the pages again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:proteins_importrun_upload"))
        try:
            if "discard" in request.POST:
                self.message_user(request, "The upload was discarded; nothing was imported.")
                return HttpResponseRedirect(reverse("admin:proteins_importrun_upload"))
            run = ImportRun(user=request.user, paths="\n".join(upload.names))
            report = import_pages(upload.import_paths(), run=run, root=upload.files)
        finally:
            uploads.discard(upload)
        forget_summaries()
        records = failures_first(run.records.all())[: ImportRecordInline.max_shown]
        return self.render_upload(request, stage="report", upload=upload, report=report, run=run, records=records)

    def render_upload(self, request, status=200, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Upload protein pages",
            "max_page_bytes": settings.IMPORT_MAX_PAGE_BYTES,
            "max_upload_bytes": settings.IMPORT_MAX_UPLOAD_BYTES,
            "max_records_shown": ImportRecordInline.max_shown,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.upload_template, context, status=status)

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
