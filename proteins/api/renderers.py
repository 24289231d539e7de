"""The formats of the API: JSON pages, and whole filtered sets streamed as TSV, MITAB, GMT or NDJSON.

DRF renderers turn one finished ``data`` object into bytes, so they cannot stream.  The
streamed formats are renderers all the same, so that content negotiation (``?format=`` or
the Accept header) and the OpenAPI schema know them; the view asks the chosen one for its
lines (``StreamedFormat.lines``) and returns a ``StreamingHttpResponse``.  The lines come from
the export writers of ``proteins.exports`` fed by ``proteins.selectors.streams.interaction_records``,
a chunk of rows at a time: memory stays flat however many rows the set has.
"""

from django.http import StreamingHttpResponse
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from .. import exports
from ..selectors import streams

BLOCK_CHARACTERS = 64 * 1024


class StreamedFormat(BaseRenderer):
    """A format streamed by the view for a whole queryset of interactions (see the module's docstring)."""

    charset = "utf-8"
    extension = ""
    description = ""

    def lines(self, queryset, request):
        """The response's lines for ``queryset``, as ``request`` (its query parameters) asks."""
        raise NotImplementedError

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("Streamed formats are written by the view, not rendered from data.")


class TSVRenderer(StreamedFormat):
    media_type = "text/tab-separated-values"
    format = "tsv"
    extension = "tsv"
    description = "TFLink's organism-wide download columns, a header line then one row per interaction."

    def lines(self, queryset, request):
        return exports.tflink_tsv(streams.interaction_records(queryset))


class MITABRenderer(StreamedFormat):
    media_type = "text/x-psi-mitab"
    format = "mitab"
    extension = "mitab.txt"
    description = "HUPO-PSI MITAB 2.8: a '#' header line, then 46 tab-separated columns per interaction."

    def lines(self, queryset, request):
        return exports.mitab28(streams.interaction_records(queryset))


class GMTRenderer(StreamedFormat):
    media_type = "text/x-gmt"
    format = "gmt"
    extension = "gmt"
    description = (
        "GSEA gene sets: one line per TF, named <gene name>_<UniProt accession> (unique), described by the "
        "address of its entry page, then its targets by UniProt accession (by=uniprot, the default), "
        "NCBI Gene id (by=gene_id) or gene name (by=name); no field holds whitespace (a run of it is written _)."
    )

    def lines(self, queryset, request):
        key = request.query_params.get("by", "uniprot")
        if key not in exports.GMT_KEYS:
            raise exceptions.ValidationError({"by": [f"Give one of {', '.join(exports.GMT_KEYS)}."]})
        return streams.gmt_lines(queryset, key, request)


class NDJSONRenderer(StreamedFormat):
    media_type = "application/x-ndjson"
    format = "ndjson"
    extension = "ndjson"
    description = "Newline-delimited JSON: one interaction per line, the same object as in a JSON page."

    def lines(self, queryset, request):
        return exports.ndjson(streams.interaction_records(queryset, dates=True))


STREAMED_FORMATS = (TSVRenderer, MITABRenderer, GMTRenderer, NDJSONRenderer)


def streamed_response(renderer, queryset, request, name):
    """A streamed download of ``queryset`` in ``renderer``'s format; bad parameters raise before it starts."""
    lines = renderer.lines(queryset, request)
    response = StreamingHttpResponse(blocks(lines), content_type=f"{renderer.media_type}; charset={renderer.charset}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{renderer.extension}"'
    return response


def blocks(lines, size=BLOCK_CHARACTERS):
    """``lines`` joined into UTF-8 blocks of about ``size`` characters: one write per block, not per line."""
    block, length = [], 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block).encode()
            block, length = [], 0
    if block:
        yield "".join(block).encode()


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
