"""The curation record in the admin: read-only, since it is append-only.

Curation acts, comments and the source changes an import held back are shown, filtered and
searched by the accession of the interaction's TF or target, never added, edited or
deleted here.  Problem reports from visitors are listed with their e-mail addresses (the
admin is for staff only) and handled in the curator area.  A pending source change is
decided by the actions "accept" and "dismiss", which call
``curation.workflow.decide_source_change`` like every other way of deciding.
"""

from django.contrib import admin
from django.db.models import Q

from portal.admin_tools import TermSearchMixin, admin_link, protein_ids, report_outcome

from . import workflow
from .models import Comment, CurationEvent, PendingSourceChange, ProblemReport

INTERACTION_SEARCH_HELP = (
    "The UniProt accession (P04637) or NCBI Gene id of the interaction's TF or target; "
    "other words are looked for in gene names."
)


class AppendOnlyAdmin(TermSearchMixin, admin.ModelAdmin):
    """Viewable by staff with the view permission; nobody adds, changes or deletes a record here."""

    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    sortable_by = ["created_at"]
    search_fields = ["=interaction__tf__accession", "=interaction__target__accession"]
    search_help_text = INTERACTION_SEARCH_HELP
    raw_id_fields = ["interaction"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def search_condition(self, term):
        ids = protein_ids(term)
        return Q(interaction__tf__in=ids) | Q(interaction__target__in=ids)

    @admin.display(description="interaction")
    def linked_interaction(self, record):
        return admin_link(record.interaction)


@admin.register(CurationEvent)
class CurationEventAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "linked_interaction", "action", "from_status", "to_status", "actor", "reason"]
    list_filter = ["action", "from_status", "to_status", "created_at"]
    list_select_related = ["interaction__tf", "interaction__target", "actor"]
    raw_id_fields = ["interaction", "actor"]
    fields = ["linked_interaction", "action", "from_status", "to_status", "actor", "reason", "created_at"]
    readonly_fields = ["linked_interaction", "created_at"]


@admin.register(Comment)
class CommentAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "linked_interaction", "author", "text"]
    list_filter = ["created_at"]
    list_select_related = ["interaction__tf", "interaction__target", "author"]
    raw_id_fields = ["interaction", "author"]
    fields = ["linked_interaction", "author", "text", "created_at"]
    readonly_fields = ["linked_interaction", "created_at"]


@admin.register(PendingSourceChange)
class PendingSourceChangeAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "linked_interaction", "describe", "decision", "decided_by", "decided_at"]
    list_filter = ["decision", "created_at"]
    list_select_related = ["interaction__tf", "interaction__target", "decided_by"]
    raw_id_fields = ["interaction", "import_record", "decided_by"]
    fields = [
        "linked_interaction",
        "describe",
        "source_databases",
        "detection_methods",
        "pmids",
        "small_scale",
        "linked_import_record",
        "decision",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    readonly_fields = ["linked_interaction", "describe", "linked_import_record", "created_at"]
    actions = ["accept_selected", "dismiss_selected"]

    @admin.display(description="what the pages add")
    def describe(self, change):
        return change.describe()

    @admin.display(description="import record")
    def linked_import_record(self, change):
        return admin_link(change.import_record) if change.import_record_id else "-"

    def has_decide_permission(self, request):
        return request.user.has_perm(workflow.FLAG_PERMISSION)

    @admin.action(description="Accept selected source changes (add their evidence)", permissions=["decide"])
    def accept_selected(self, request, queryset):
        self.decide(request, queryset, accept=True)

    @admin.action(description="Dismiss selected source changes (leave the evidence)", permissions=["decide"])
    def dismiss_selected(self, request, queryset):
        self.decide(request, queryset, accept=False)

    def decide(self, request, queryset, accept):
        done, refused = 0, []
        for change in queryset.select_related("interaction__tf", "interaction__target"):
            try:
                workflow.decide_source_change(change, request.user, accept)
            except workflow.CurationError as error:
                refused.append((change, str(error)))
            else:
                done += 1
        verb = "Accepted" if accept else "Dismissed"
        report_outcome(
            self, request, f"{verb} {done} source change{'s' if done != 1 else ''}." if done else "", refused
        )


@admin.register(ProblemReport)
class ProblemReportAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "linked_interaction", "kind", "text", "email", "state", "handled_by", "handled_at"]
    list_filter = ["state", "kind", "created_at"]
    list_select_related = ["interaction__tf", "interaction__target", "handled_by"]
    raw_id_fields = ["interaction", "handled_by", "event", "comment"]
    fields = [
        "linked_interaction",
        "kind",
        "text",
        "email",
        "created_at",
        "state",
        "handled_by",
        "handled_at",
        "dismiss_reason",
        "event",
        "comment",
    ]
    readonly_fields = ["linked_interaction", "created_at"]
