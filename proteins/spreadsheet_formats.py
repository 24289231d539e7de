"""The admin's spreadsheet formats (CSV, TSV, XLSX), in which text is always text."""

import io

import openpyxl
from import_export.formats.base_formats import CSV, TSV, XLSX
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import IllegalCharacterError

# Excel, LibreOffice and Google Sheets compute a CSV cell that starts with one of these
# ("CSV injection"). django-import-export's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops
# one leading "=" (so "==1+2" stays a formula, "+1+2" and "@SUM(…)" are left as they are, and
# "=1+2" comes back as "1+2"), hence these formats.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"  # a leading quote: "this cell is text", in every spreadsheet program


def escape_formula(value):
    """A cell value a spreadsheet program shows as text: text that would be a formula gets a leading ``'``.

    Text that already starts with ``'`` gets one more, so that ``unescape_formula`` undoes
    exactly what this did.
    """
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, TEXT_MARK)):
        return TEXT_MARK + value
    return value


def unescape_formula(value):
    """The cell value ``escape_formula`` was given (an exported sheet imported again keeps its names)."""
    if isinstance(value, str) and value.startswith(TEXT_MARK) and value[1:].startswith((*FORMULA_STARTS, TEXT_MARK)):
        return value[1:]
    return value


class EscapedTextMixin:
    """CSV or TSV whose cells are written with ``escape_formula`` and read with ``unescape_formula``."""

    def export_data(self, dataset, **kwargs):
        map_cells(dataset, escape_formula)
        return super().export_data(dataset, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        map_cells(dataset, unescape_formula)
        return dataset


def map_cells(dataset, function):
    for index in range(dataset.height):
        dataset[index] = [function(value) for value in dataset[index]]


class SpreadsheetCSV(EscapedTextMixin, CSV):
    pass


class SpreadsheetTSV(EscapedTextMixin, TSV):
    pass


class SpreadsheetXLSX(XLSX):
    """XLSX whose text cells hold their text as it is, never as a formula (openpyxl makes "=…" one)."""

    def export_data(self, dataset, **kwargs):
        book = openpyxl.Workbook(write_only=True)  # rows are streamed to the file, not kept as cell objects
        sheet = book.create_sheet(title=(dataset.title or "Sheet")[:31])
        sheet.append(dataset.headers or [])
        for row in dataset:
            sheet.append([text_cell(sheet, value) for value in row])
        stream = io.BytesIO()
        book.save(stream)
        return stream.getvalue()


def text_cell(sheet, value):
    try:
        cell = WriteOnlyCell(sheet, value)
    except IllegalCharacterError:  # control characters XLSX cannot hold
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value))
    except (TypeError, ValueError):
        cell = WriteOnlyCell(sheet, str(value))
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


SPREADSHEET_FORMATS = [SpreadsheetCSV, SpreadsheetTSV, SpreadsheetXLSX]
