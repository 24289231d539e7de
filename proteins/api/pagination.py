"""Cursor pagination of the API's lists: keyset pages, no COUNT(*), no OFFSET."""

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
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or cursor.position is None or self.is_valid_position(cursor.position)
        if not valid:
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
