"""Spreadsheet import and export in the admin (CSV, TSV, XLSX, formula-like text written as text),
following ``proteins.resources``.
"""

from import_export.admin import ImportExportMixin

from ..spreadsheet_formats import SPREADSHEET_FORMATS


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

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if queryset.order_by()[: self.max_export_rows + 1].count() > self.max_export_rows:
            raise ValueError(
                f"More than {self.max_export_rows} rows selected: filter the list first, "
                "or use the downloads of the public site for whole organisms."
            )
        return super().get_export_data(file_format, request, queryset, **kwargs)
