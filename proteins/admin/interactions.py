"""The admin of interactions and binding sites, the large tables.

Interactions run to millions of rows, so every list here avoids what is cheap on a small
table and ruinous on a large one: full counts, facet counts, filters listing every protein,
sorting by a joined column, a query per row, and searches that scan a whole table with LIKE.

Curation goes through ``curation.workflow`` only: an interaction's status is read-only
here and changes by the admin actions (flag, approve, reject, reopen), which call the
workflow; a change form saves evidence through it too (its author becomes the last editor,
and an approved or rejected interaction goes back to flagged, with the reason the form
asks for), refused when the interaction changed since the form was shown.
"""

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from curation import workflow
from portal.admin_tools import (
    PROTEIN_SEARCH_HELP,
    TermSearchMixin,
    changelist_link,
    plural,
    protein_ids,
    report_outcome,
)

from .. import counts
from ..forms import InteractionAdminForm, ReasonForm
from ..models import (
    BindingSite,
    Interaction,
    Statement,
)
from ..resources import InteractionResource
from .evidence import DetectionMethodFilter, SourceDatabaseFilter, count_of
from .spreadsheets import SpreadsheetMixin

# Who may import mode tables (``mode_tables.UPLOAD_PERMISSION``).
MODE_TABLE_PERMISSION = "proteins.add_modetablerun"
# At most this many interactions in one curation act: each is checked and recorded on its own.
MAX_CURATION_SELECTION = 1000


# Interactions and binding sites: the large tables.


@admin.register(Interaction)
class InteractionAdmin(TermSearchMixin, SpreadsheetMixin, SimpleHistoryAdmin):
    list_display = [
        "tf",
        "target",
        "organism",
        "status",
        "mode",
        "confidence",
        "small_scale",
        "source_count",
        "publication_count",
        "updated_at",
    ]
    # Sorting by a joined or unindexed column would sort millions of rows.
    sortable_by = ["updated_at"]
    ordering = ["-updated_at"]
    list_filter = [
        "status",
        "mode",
        "confidence",
        "small_scale",
        "organism",
        SourceDatabaseFilter,
        DetectionMethodFilter,
    ]
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
        # The curation app's records, named by label: this app uses curation's rules, not its models.
        pending = apps.get_model("curation", "PendingSourceChange").Decision.PENDING
        return format_html(
            '{} · {} · <a href="{}">field history</a>',
            changelist_link("curation.CurationEvent", "curation acts", interaction__id__exact=interaction.pk),
            changelist_link(
                "curation.PendingSourceChange",
                "pending source changes",
                interaction__id__exact=interaction.pk,
                decision__exact=pending,
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
            counts.interactions_changed([obj.tf_id, obj.target_id])

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            partners = counts.partners_of(queryset)
            super().delete_queryset(request, queryset)
            counts.interactions_changed(partners)

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


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    """What publications state about interactions, read-only: curators enter them through the
    curation area (``curation.workflow``), source tables through ``import_modes`` or the upload
    linked from this list (``mode_tables``)."""

    change_list_template = "admin/proteins/statement/change_list.html"

    list_display = ["interaction", "publication", "source", "mode", "entered_by", "created_at"]
    list_filter = ["mode", "source"]
    list_select_related = ["interaction__tf", "interaction__target", "source", "entered_by"]
    raw_id_fields = ["interaction", "publication"]
    search_fields = ["=publication__pmid"]
    ordering = ["-created_at"]
    sortable_by = ["created_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        can_import = request.user.has_perm(MODE_TABLE_PERMISSION)
        return super().changelist_view(request, {**(extra_context or {}), "can_import_modes": can_import})


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
