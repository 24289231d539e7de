"""Mode-table imports in the admin, and the upload of a table: a dry run's preview first, then the
import on confirmation, through ``curation.mode_tables.import_mode_table`` (as ``manage.py import_modes``).
"""

import secrets
import shutil

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from curation.mode_tables import import_mode_table

from ..forms import ModeTableUploadForm
from ..importing import uploads
from ..models import ModeTableRun, Organism
from .imports import UploadAdminMixin
from .upload import upload_root

# Who may import mode tables: superusers, and staff given this permission (no curation role has it).
UPLOAD_PERMISSION = "proteins.add_modetablerun"
SESSION_KEY = "mode_table_uploads"  # {token: what the user previewed}, waiting for confirmation
MAX_PROBLEMS_SHOWN = 200


def staged_path(token):
    """Where a previewed table waits: a folder named by its token, as staged pages do, so that
    ``uploads.remove_stale`` removes it too when it is never confirmed."""
    return upload_root() / token / "table.tsv"


@admin.register(ModeTableRun)
class ModeTableRunAdmin(UploadAdminMixin, admin.ModelAdmin):
    """Imports of mode tables, read-only, and the upload of a table."""

    upload_permission = UPLOAD_PERMISSION

    change_list_template = "admin/proteins/modetablerun/change_list.html"
    upload_template = "admin/proteins/modetablerun/upload.html"
    list_display = [
        "__str__",
        "path",
        "user",
        "rows_read",
        "rows_refused",
        "rows_unmatched",
        "statements_created",
        "statements_updated",
        "interactions_given_evidence",
        "changes_held",
        "pairs_created",
    ]
    list_filter = ["source", "organism"]
    list_select_related = ["organism", "user"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.upload_view)
        return [path("upload/", view, name="proteins_modetablerun_upload"), *super().get_urls()]

    def upload_view(self, request):
        """GET: the form; POST a table: stage it and preview a dry run; POST ``staged``: import it."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "staged" in request.POST:
            return self.import_staged(request)
        form = ModeTableUploadForm(
            request.POST or None, request.FILES or None, max_bytes=settings.IMPORT_MAX_PAGE_BYTES
        )
        if request.method == "POST" and form.is_valid():
            return self.preview(request, form.cleaned_data)
        return self.render_upload(request, stage="form", form=form)

    def preview(self, request, data):
        upload = data["file"]
        content = upload.read()
        uploads.remove_stale(upload_root())
        token = secrets.token_hex(16)
        staged = staged_path(token)
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(content)
        waiting = dict(list(request.session.get(SESSION_KEY, {}).items())[-9:])
        waiting[token] = {
            "name": upload.name,
            "organism": data["organism"].pk,
            "create_missing": data["create_missing"],
        }
        request.session[SESSION_KEY] = waiting
        report = import_mode_table(
            ContentFile(content, name=upload.name),
            data["organism"],
            create_missing=data["create_missing"],
            dry_run=True,
        )
        return self.render_upload(request, stage="preview", report=report, staged=token)

    def import_staged(self, request):
        """Import (or discard) a table this user previewed, with the options previewed."""
        token = request.POST["staged"]
        waiting = request.session.get(SESSION_KEY, {})
        previewed = waiting.pop(token, None)
        request.session[SESSION_KEY] = waiting
        staged = staged_path(token) if previewed else None
        if staged is None or not staged.exists():
            self.message_user(request, "This table is no longer waiting: upload it again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:proteins_modetablerun_upload"))
        try:
            if "discard" in request.POST:
                self.message_user(request, "The table was discarded; nothing was imported.")
                return HttpResponseRedirect(reverse("admin:proteins_modetablerun_upload"))
            organism = Organism.objects.get(pk=previewed["organism"])
            # Runs in the request for now; a background job (Django's Tasks API) will take it over.
            with staged.open("rb") as table:
                report = import_mode_table(
                    File(table, name=previewed["name"]),
                    organism,
                    create_missing=previewed["create_missing"],
                    user=request.user,
                )
        finally:
            shutil.rmtree(staged.parent, ignore_errors=True)
        return self.render_upload(request, stage="report", report=report, run=report.run)

    def render_upload(self, request, **context):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a mode-of-regulation table",
            "max_problems_shown": MAX_PROBLEMS_SHOWN,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.upload_template, context)
