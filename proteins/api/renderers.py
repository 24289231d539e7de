"""The formats of the API: JSON pages, and whole filtered sets streamed in the formats of ``proteins.downloads``.

DRF renderers turn one finished ``data`` object into bytes, so they cannot stream.  The
streamed formats are renderers all the same, one per ``downloads.FORMATS`` entry, so that
content negotiation (``?format=`` or the Accept header) and the OpenAPI schema know them; the
view hands the chosen one's format to ``streamed_response``, which streams the file the way the
public downloads do.
"""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from .. import downloads


class StreamedFormat(BaseRenderer):
    """A format streamed by the view for a whole set of interactions (see the module's docstring)."""

    charset = downloads.CHARSET
    download: downloads.DownloadFormat

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("Streamed formats are written by the view, not rendered from data.")


def streamed_renderer(download: downloads.DownloadFormat) -> type[StreamedFormat]:
    """The renderer class that offers ``download`` to content negotiation and the schema."""
    attributes = {"media_type": download.media_type, "format": download.name, "download": download}
    return type(f"{download.name.upper()}Renderer", (StreamedFormat,), attributes)


STREAMED_FORMATS = tuple(streamed_renderer(download) for download in downloads.FORMATS.values())


def streamed_response(renderer, records, request, stem):
    """A streamed download of ``records`` (``downloads.Records``) in ``renderer``'s format; bad parameters
    raise before it starts."""
    download = renderer.download
    try:
        choice = download.choice(request.query_params)
    except downloads.UnknownChoice as error:
        raise exceptions.ValidationError({error.parameter: [str(error)]}) from None
    return downloads.interactions_file(download, records, request, stem, choice)


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation by the Accept header, except that ``?format=`` (or a format suffix) always wins,
    and an unknown one is a 400 that lists the formats of the endpoint."""

    def select_renderer(self, request, renderers, format_suffix=None):
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if not asked:
            return super().select_renderer(request, renderers, format_suffix)
        for renderer in renderers:
            if renderer.format == asked:
                return renderer, renderer.media_type
        offered = ", ".join(renderer.format for renderer in renderers)
        raise exceptions.ValidationError({"format": [f"Unknown format {asked!r}; this endpoint offers {offered}."]})
