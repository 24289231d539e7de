"""The admin of what imports did: runs' records and deferred indexes, read-only."""

from django.contrib import admin
from django.db.models import Case, Q, Value, When
from django.forms.models import BaseInlineFormSet

from portal.admin_tools import TermSearchMixin, admin_link

from ..models import (
    DeferredIndex,
    ImportRecord,
)
from ..parser import ACCESSION_RE

# Who may upload pages; the previews of a session waiting for confirmation.
UPLOAD_PERMISSION = "proteins.add_importrun"
UPLOADS_SESSION_KEY = "page_uploads"


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


class UploadAdminMixin(ReadOnlyAdminMixin):
    """The record of imports, read-only, with an upload page for those holding ``upload_permission``."""

    upload_permission = ""

    def has_upload_permission(self, request):
        return request.user.has_perm(self.upload_permission)

    def has_view_permission(self, request, obj=None):
        # Who may import may read what imports did.
        return super().has_view_permission(request, obj) or self.has_upload_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)


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


@admin.register(DeferredIndex)
class DeferredIndexAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Indexes a large import set aside; the import builds them again (the next one, if it was killed)."""

    list_display = ["name", "table", "deferred_at", "run"]
    list_select_related = ["run"]
    fields = ["name", "table", "sql", "deferred_at", "run"]

    def has_delete_permission(self, request, obj=None):
        return False  # the row is how the index gets built again


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
