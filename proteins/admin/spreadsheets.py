"""Spreadsheet import and export in the admin (CSV, TSV, XLSX, formula-like text written as text),
following ``proteins.resources``.
"""

import secrets

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin

from .. import jobs, tasks
from ..models import Job
from ..spreadsheet_formats import SPREADSHEET_FORMATS
from .upload import upload_root


class SpreadsheetMixin(ImportExportMixin):
    """Import and export as CSV, TSV or XLSX, each with a preview before anything is written.

    Export: whoever may view the list (what the list's filters and search select).  Import:
    whoever may add and change the model.  A spreadsheet is built in memory, so exports
    stop at ``max_export_rows``: whole organisms are downloaded from the public site.
    """

    formats = SPREADSHEET_FORMATS  # text that looks like a formula is written as text
    max_export_rows = 200_000

    def process_dataset(self, dataset, form, request, **kwargs):
        """Import the confirmed rows here, or queue them as a job when there are more than
        ``settings.JOBS_SPREADSHEET_ROWS`` (``process_result`` then shows the job)."""
        if len(dataset) <= settings.JOBS_SPREADSHEET_ROWS:
            return super().process_dataset(dataset, form, request, **kwargs)
        resource = self.choose_import_resource_class(form, request)
        token = secrets.token_hex(16)
        folder = jobs.staging_folder(upload_root(), token)
        folder.mkdir(parents=True)
        staged = folder / "rows.csv"
        staged.write_text(dataset.export("csv"), encoding="utf-8")
        file_name = form.cleaned_data.get("original_file_name", "")
        return jobs.queue(
            Job.Kind.SPREADSHEET,
            tasks.import_spreadsheet,
            user=request.user,
            description=f"{file_name} ({len(dataset)} rows of {self.model._meta.verbose_name_plural})",
            arguments={
                "resource": f"{resource.__module__}.{resource.__qualname__}",
                "file": str(staged),
                "file_name": file_name,
            },
        )

    def process_result(self, result, request):
        if isinstance(result, Job):
            self.message_user(request, f"{result} is queued: the worker imports the rows; this page shows its result.")
            return HttpResponseRedirect(reverse("admin:proteins_job_change", args=[result.pk]))
        return super().process_result(result, request)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if queryset.order_by()[: self.max_export_rows + 1].count() > self.max_export_rows:
            raise ValueError(
                f"More than {self.max_export_rows} rows selected: filter the list first, "
                "or use the downloads of the public site for whole organisms."
            )
        return super().get_export_data(file_format, request, queryset, **kwargs)
