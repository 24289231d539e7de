"""Cursor pagination of the API's lists: keyset pages, no COUNT(*), no OFFSET."""

import binascii
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError as ModelValidationError
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Pages of ``page_size`` rows (100 by default, at most 1000) after an opaque ``cursor``.

    Each page is ``WHERE key > last ORDER BY key LIMIT n`` on a unique, indexed key (the
    view's ``pagination_key``, the id by default): the thousandth page costs what the first
    does, and following ``next`` links visits every row once, even while rows are added.
    """

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = "id"
    invalid_cursor_message = "Invalid cursor: follow the next or previous link of a page."

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request, queryset, view):
        return (getattr(view, "pagination_key", self.ordering),)

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        size = int(text) if text.isascii() and text.isdecimal() else 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None  # no cursor, or an empty one: the first page
        try:
            cursor = super().decode_cursor(request) if is_well_formed(encoded) else None
        except exceptions.NotFound:
            cursor = None
        if cursor is None or (cursor.position is not None and not self.is_valid_position(cursor.position)):
            raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        return cursor

    def is_valid_position(self, position):
        """A cursor's position must be a value of the key's field (cursors can be edited by hand)."""
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            field.to_python(position)
        except ModelValidationError:
            return False
        return "\x00" not in position

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position of a page: follow the `next` and `previous` links.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page ({self.page_size} by default).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def key_bound(request) -> tuple[str, int] | None:
    """Where the cursor of ``request`` puts a list paged on the rows' integer id: ``("gt", 42)``
    (after 42), ``("lt", 42)`` (a previous page) or None (the first page, or a cursor the page
    itself refuses with a 400)."""
    encoded = request.GET.get(KeysetPagination.cursor_query_param)
    if not encoded or not is_well_formed(encoded):
        return None
    values = dict(parse_qsl(binascii.a2b_base64(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True))
    position = values.get("p", "")
    if not (position.isascii() and position.isdecimal()):
        return None
    return ("lt" if values.get("r") == "1" else "gt", int(position))


def is_well_formed(encoded):
    """Whether ``encoded`` is a cursor as DRF writes them: strict base64 of ``o=<offset>&r=1&p=<position>``
    (each part at most once, at least one).

    DRF's own reading drops the characters base64 does not know, so that ``cursor=!!!`` read
    as no cursor at all and answered the first page.
    """
    try:
        text = binascii.a2b_base64(encoded.encode("ascii"), strict_mode=True).decode("ascii")
        tokens = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:  # binascii.Error and UnicodeError are ValueErrors
        return False
    names = [name for name, _ in tokens]
    values = dict(tokens)
    return (
        bool(names)
        and len(names) == len(set(names))
        and set(names) <= {"o", "r", "p"}
        and values.get("o", "0").isdecimal()
        and values.get("r", "0") in ("0", "1")
    )
