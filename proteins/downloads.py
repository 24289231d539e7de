"""Downloads of interactions and binding sites, for the public site and the API alike.

One registry of formats (``FORMATS``: media type, file extension, file name, what the format
holds and the option it takes, such as GMT's ``by``) and one way to stream a file
(``streamed_file``): the downloads page's organism files, an entry page's tables and the API's
streamed formats all go through them.  Rows are read a chunk at a time as export records
(``Records``: the live interactions through ``proteins.selectors.streams``, or a release's
frozen rows) and written by the pure writers of ``proteins.exports`` and ``proteins.psi_mi``,
so memory stays flat however large the file.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse

from . import exports, psi_mi
from .models import Interaction, Organism, Protein
from .selectors.streams import binding_site_records, interaction_records

CHARSET = "utf-8"
BLOCK_CHARACTERS = 64 * 1024


class UnknownChoice(ValueError):
    """A format's query parameter holds a value the format does not know; the message lists the known ones."""

    def __init__(self, parameter: str, value: str, choices: Iterable[str]):
        self.parameter = parameter
        super().__init__(f"Unknown value {value!r} of {parameter}: give one of {', '.join(choices)}.")


@dataclass(frozen=True)
class Option:
    """A query parameter a format takes: its values, the first the default, with what each means."""

    parameter: str
    labels: Mapping[str, str]

    def value(self, params: Mapping[str, str]) -> str:
        """The value ``params`` (a request's query) gives, or the default; ``UnknownChoice`` if it is not one."""
        value = params.get(self.parameter, next(iter(self.labels)))
        if value not in self.labels:
            raise UnknownChoice(self.parameter, value, self.labels)
        return value


GMT_KEY = Option(
    "by",
    dict(zip(exports.GMT_KEYS, ("by UniProt", "by NCBI Gene id", "by gene name"), strict=True)),
)

# The rows a file holds, as export records, read when the file is written: called with the keyword
# arguments of ``selectors.streams.interaction_records`` after its queryset (``by_tf``, ``evidence``,
# ``dates``).  ``live(queryset)`` reads live interactions; a release's frozen rows are read by
# ``releases.selectors.interaction_records`` with the same arguments.
Records = Callable[..., Iterator[exports.InteractionRecord]]
Lines = Callable[[Records, HttpRequest, str | None], Iterator[str]]


def live(queryset: QuerySet) -> Records:
    """The records of the live interactions of ``queryset``."""
    return partial(interaction_records, queryset)


@dataclass(frozen=True)
class DownloadFormat:
    """A format interactions download in, from the downloads page and the API's ``format=`` alike."""

    name: str  # the API's format= value, and the organism file's address suffix
    media_type: str
    extension: str
    description: str  # what the format holds, for the API's documentation
    lines: Lines  # (records, request, the option's value) -> the file's lines
    organism_file: str = "{organism}_interactions"  # the organism file's name, before its extension
    option: Option | None = None

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset={CHARSET}"

    def choice(self, params: Mapping[str, str]) -> str | None:
        """The value of the format's option in ``params`` (None for a format without one); ``UnknownChoice``."""
        return self.option.value(params) if self.option else None

    def file_name(self, stem: str) -> str:
        return f"{stem}.{self.extension}"


def tflink_lines(records: Records, request: HttpRequest, choice: str | None) -> Iterator[str]:
    return exports.tflink_tsv(records())


def mitab_lines(records: Records, request: HttpRequest, choice: str | None) -> Iterator[str]:
    return psi_mi.mitab28(records())


def gmt_lines(records: Records, request: HttpRequest, key: str | None) -> Iterator[str]:
    """GMT gene sets of the interactions of ``records``, a TF's targets by ``key`` (``GMT_KEY``).

    Each set's description is the address of its TF's entry page on the site ``request`` reached,
    the GSEA convention that makes it a link in GSEA's reports.
    """

    def entry_url(accession):
        return request.build_absolute_uri(reverse("proteins:protein", args=[accession]))

    return exports.gmt(records(by_tf=True, evidence=False), key, entry_url=entry_url)


def ndjson_lines(records: Records, request: HttpRequest, choice: str | None) -> Iterator[str]:
    return exports.ndjson(records(dates=True))


TSV = DownloadFormat(
    "tsv",
    "text/tab-separated-values",
    "tsv",
    "TFLink's organism-wide download columns, a header line then one row per interaction.",
    tflink_lines,
)
FORMATS = {
    fmt.name: fmt
    for fmt in (
        TSV,
        # No media type is registered for PSI-MITAB: the x- type names it on the site and the API alike.
        DownloadFormat(
            "mitab",
            "text/x-psi-mitab",
            "mitab.txt",
            "HUPO-PSI MITAB 2.8: a '#' header line, then 46 tab-separated columns per interaction.",
            mitab_lines,
        ),
        DownloadFormat(
            "gmt",
            "text/x-gmt",
            "gmt",
            "GSEA gene sets: one line per TF, named <gene name>_<UniProt accession> (unique), described by the "
            "address of its entry page, then its targets by UniProt accession (by=uniprot, the default), "
            "NCBI Gene id (by=gene_id) or gene name (by=name); no field holds whitespace (a run of it is written _).",
            gmt_lines,
            organism_file="{organism}_targets_by_{choice}",
            option=GMT_KEY,
        ),
        DownloadFormat(
            "ndjson",
            "application/x-ndjson",
            "ndjson",
            "Newline-delimited JSON: one interaction per line, the same object as in a JSON page.",
            ndjson_lines,
        ),
    )
}
ORGANISM_FORMATS = ("tsv", "mitab", "gmt")  # the files of the downloads page


def streamed_file(lines: Iterable[str], content_type: str, file_name: str) -> StreamingHttpResponse:
    """A download of ``lines``, streamed as they come: the browser saves it as ``file_name``."""
    response = StreamingHttpResponse(blocks(lines), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def blocks(lines: Iterable[str], size: int = BLOCK_CHARACTERS) -> Iterator[bytes]:
    """``lines`` joined into UTF-8 blocks of about ``size`` characters: one write per block, not per line."""
    block, length = [], 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block).encode(CHARSET)
            block, length = [], 0
    if block:
        yield "".join(block).encode(CHARSET)


def interactions_file(
    fmt: DownloadFormat, records: Records, request: HttpRequest, stem: str, choice: str | None
) -> StreamingHttpResponse:
    """The interactions of ``records`` in ``fmt`` as the file ``<stem>.<extension>``."""
    return streamed_file(fmt.lines(records, request, choice), fmt.content_type, fmt.file_name(stem))


def organism_file(organism: Organism, fmt: DownloadFormat, request: HttpRequest) -> StreamingHttpResponse:
    """The public interactions of ``organism`` in ``fmt``; a bad option raises ``UnknownChoice`` before the stream."""
    choice = fmt.choice(request.GET)
    stem = fmt.organism_file.format(organism=organism.name.replace(" ", "_"), choice=choice)
    rows = Interaction.objects.public().filter(organism=organism)
    return interactions_file(fmt, live(rows), request, stem, choice)


# An entry page's tables, in TFLink's columns and under the names TFLink's pages give them.


def partner_table_file(protein: Protein, side: str) -> StreamingHttpResponse:
    """The public TFs (``side`` "tfs") or targets ("targets") of ``protein`` as ``tfs_of_<accession>.tsv``."""
    own, _partner = exports.PARTNER_SIDES[side]
    records = interaction_records(Interaction.objects.public().filter(**{own: protein}))
    file_name = exports.partner_file_name(side, protein.accession)
    return streamed_file(exports.partner_tsv(records, side), TSV.content_type, file_name)


def binding_site_file(protein: Protein) -> StreamingHttpResponse:
    """The binding sites of ``protein`` as ``bindingSites_of_<accession>.tsv``."""
    records = binding_site_records(protein.binding_sites.all())
    file_name = exports.binding_site_file_name(protein.accession)
    return streamed_file(exports.binding_site_tsv(records), TSV.content_type, file_name)
