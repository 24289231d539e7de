"""Import runs in the admin, and the upload of pages: a dry run's preview first, then, on
confirmation, the import as a background job (``proteins.tasks.import_uploaded_pages``).
"""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, TooManyFilesSent
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from portal.admin_tools import admin_link, changelist_link

from .. import jobs, tasks
from ..forms import UploadPagesForm
from ..importing import uploads
from ..importing.run import import_pages
from ..models import (
    ImportRecord,
    ImportRun,
    Job,
)
from .imports import UPLOAD_PERMISSION, UPLOADS_SESSION_KEY, ImportRecordInline, UploadAdminMixin


def upload_root():
    """Where uploads wait between their preview and their import."""
    return Path(settings.IMPORT_UPLOAD_DIR or Path(tempfile.gettempdir()) / "tfportal-uploads")


def queue_page_import(upload: uploads.StagedUpload, user) -> Job:
    """Queue the import of a claimed upload; its files move where they stay until the job succeeds."""
    folder = jobs.staging_folder(upload_root(), upload.token)
    folder.parent.mkdir(parents=True, exist_ok=True)
    upload.folder.rename(folder)
    return jobs.queue(
        Job.Kind.PAGES,
        tasks.import_uploaded_pages,
        user=user,
        description=", ".join(upload.names),
        arguments={"folder": str(folder)},
    )


@admin.register(ImportRun)
class ImportRunAdmin(UploadAdminMixin, admin.ModelAdmin):
    """Import runs, and the upload of pages: a dry run's preview first, then the import on confirmation."""

    upload_permission = UPLOAD_PERMISSION

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
        "job",
    ]
    readonly_fields = ["started_at", "all_records", "job"]
    inlines = [ImportRecordInline]

    def get_urls(self):
        # Exempt from the CSRF middleware, which would read the files first and answer a bare 400 to
        # too many of them; ``upload_view`` reads them itself, then checks the CSRF token.
        view = self.admin_site.admin_view(csrf_exempt(self.upload_view))
        return [path("upload/", view, name="proteins_importrun_upload"), *super().get_urls()]

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
        if "discard" in request.POST:
            uploads.discard(upload)
            self.message_user(request, "The upload was discarded; nothing was imported.")
            return HttpResponseRedirect(reverse("admin:proteins_importrun_upload"))
        job = queue_page_import(upload, request.user)
        self.message_user(request, f"{job} is queued: the worker imports the pages; this page shows its progress.")
        return HttpResponseRedirect(reverse("admin:proteins_job_change", args=[job.pk]))

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

    @admin.display(description="job")
    def job(self, run):
        """The upload's job, with its state and progress (pages done of the total) while it runs."""
        job = Job.objects.filter(import_run=run).first()
        if job is None:
            return "-"
        progress = f", {job.done} of {job.total} pages" if job.total else ""
        return format_html("{} ({}{})", admin_link(job), job.get_state_display(), progress)

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
