"""Mode-table imports in the admin, and the upload of a table: a dry run's preview first, then the
import on confirmation, through ``curation.mode_tables.import_mode_table`` (as ``manage.py import_modes``),
as a background job (``curation.tasks.import_staged_mode_table``).
"""

import secrets
import shutil

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from curation.mode_tables import import_mode_table
from curation.tasks import import_staged_mode_table

from .. import jobs
from ..forms import ModeTableUploadForm
from ..importing import uploads
from ..models import Job, ModeTableRun
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
        if "discard" in request.POST:
            shutil.rmtree(staged.parent, ignore_errors=True)
            self.message_user(request, "The table was discarded; nothing was imported.")
            return HttpResponseRedirect(reverse("admin:proteins_modetablerun_upload"))
        folder = jobs.staging_folder(upload_root(), token)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staged.parent.rename(folder)
        job = jobs.queue(
            Job.Kind.MODE_TABLE,
            import_staged_mode_table,
            user=request.user,
            description=previewed["name"],
            arguments={**previewed, "file": str(folder / staged.name)},
        )
        self.message_user(request, f"{job} is queued: the worker imports the table; this page shows its result.")
        return HttpResponseRedirect(reverse("admin:proteins_job_change", args=[job.pk]))

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
