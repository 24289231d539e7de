"""Downloads of interactions and binding sites, for the public site and the API alike.

One registry of formats (``FORMATS``: media type, file extension, file name, what the format
holds and the option it takes, such as GMT's and the decoupler network's ``by``) and one way to stream a file
(``streamed_file``): the downloads page's organism files, an entry page's tables and the API's
streamed formats all go through them.  Rows are read a chunk at a time as export records
(``Records``: the live interactions through ``proteins.selectors.streams``, or a release's
frozen rows) and written by the pure writers of ``proteins.exports``, ``proteins.psi_mi`` and
``proteins.networks``, so memory stays flat however large the file.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse

from curation.grading import CONFIDENCE_WEIGHTS

from . import exports, networks, psi_mi
from .models import Interaction, Organism, Protein
from .selectors.streams import binding_site_records, interaction_records, interaction_records_grouped

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
WEIGHTS_TEXT = ", ".join(
    f"{level} {networks.weight_text('activation', level, CONFIDENCE_WEIGHTS)}" for level in CONFIDENCE_WEIGHTS
)
NETWORK_KEY = Option("by", dict(zip(networks.NETWORK_KEYS, ("by gene name", "by UniProt"), strict=True)))

# A format's writer: (records, the value of its option, the address of a TF's entry page) -> the file's lines.
Write = Callable[[Iterable[exports.InteractionRecord], str | None, Callable[[str], str]], Iterator[str]]
# Where a file's records come from, read when it is written: called with the keywords ``by_tf``,
# ``evidence``, ``dates`` and ``group`` (see ``DownloadFormat.records``). ``live(queryset)`` reads the
# live interactions; ``releases.selectors.frozen(queryset)`` a release's frozen rows.
Records = Callable[..., Iterator[exports.InteractionRecord]]


def live(queryset: QuerySet) -> Records:
    """The records of the live interactions of ``queryset``, in the order a format asks for."""

    def records(*, by_tf=False, evidence=True, dates=False, group=None):
        if group is not None:
            return interaction_records_grouped(queryset, group)
        return interaction_records(queryset, by_tf=by_tf, evidence=evidence, dates=dates)

    return records


@dataclass(frozen=True)
class DownloadFormat:
    """A format interactions download in, from the downloads page, the API's ``format=`` and a release's
    files alike.

    ``write`` turns records into the file's lines, whatever they come from (``Records``): the live
    interactions (``lines``) or a release's frozen copy (``releases``).  The records it needs are
    said by ``by_tf`` (whole TFs together, for GMT's sets), ``evidence``, ``dates`` and ``group``
    (given the option's value, a function of a TF's gene name and accession whose TFs must come
    together, each group whole: the decoupler network by gene name).
    """

    name: str  # the API's format= value, and the organism file's address suffix
    media_type: str
    extension: str
    description: str  # what the format holds, for the API's documentation
    write: Write
    organism_file: str = "{organism}_interactions"  # the organism file's name, before its extension
    option: Option | None = None
    by_tf: bool = False
    evidence: bool = True
    dates: bool = False
    group: Callable[[str | None], Callable[[str, str], str] | None] | None = None

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset={CHARSET}"

    @property
    def choices(self) -> tuple[str | None, ...]:
        """Every value of the format's option (a release writes a file of each), or (None,)."""
        return tuple(self.option.labels) if self.option else (None,)

    def choice(self, params: Mapping[str, str]) -> str | None:
        """The value of the format's option in ``params`` (None for a format without one); ``UnknownChoice``."""
        return self.option.value(params) if self.option else None

    def file_name(self, stem: str) -> str:
        return f"{stem}.{self.extension}"

    def organism_stem(self, organism_name: str, choice: str | None) -> str:
        """The organism file's name before its extension: ``Homo_sapiens_targets_by_uniprot``."""
        return self.organism_file.format(organism=organism_name.replace(" ", "_"), choice=choice)

    def records(self, source: Records, choice: str | None) -> Iterator[exports.InteractionRecord]:
        """The records of ``source`` in the order and with the fields this format needs."""
        group = self.group(choice) if self.group else None
        return source(by_tf=self.by_tf, evidence=self.evidence, dates=self.dates, group=group)

    def lines(self, source: Records, request: HttpRequest, choice: str | None) -> Iterator[str]:
        """The file of ``source``'s records; a GMT set's description is its TF's page on the site
        ``request`` reached (the GSEA convention that makes it a link in GSEA's reports)."""
        return self.write(self.records(source, choice), choice, entry_url_on(request.build_absolute_uri("/")))


def entry_url_on(base_url: str) -> Callable[[str], str]:
    """The address of a protein's entry page on the site at ``base_url``, from its accession."""
    base = base_url.rstrip("/")
    return lambda accession: base + reverse("proteins:protein", args=[accession])


def tflink_lines(records, choice, entry_url):
    return exports.tflink_tsv(records)


def mitab_lines(records, choice, entry_url):
    return psi_mi.mitab28(records)


def gmt_lines(records, key, entry_url):
    """GMT gene sets, a TF's targets by ``key`` (``GMT_KEY``), each described by its TF's entry page."""
    return exports.gmt(records, key, entry_url=entry_url)


def decoupler_lines(records, key, entry_url):
    """The decoupler network, its nodes by ``key`` (``NETWORK_KEY``); the records come grouped by
    source (``DownloadFormat.group``)."""
    return networks.decoupler_network(records, CONFIDENCE_WEIGHTS, key)


def decoupler_group(key: str | None) -> Callable[[str, str], str] | None:
    """By gene name, the TFs that share one are read together (the writer merges their pairs); by
    UniProt accession, each TF is its own source (TF order groups them)."""
    return networks.network_node if key != "uniprot" else None


def ndjson_lines(records, choice, entry_url):
    return exports.ndjson(records)


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
            by_tf=True,
            evidence=False,
        ),
        DownloadFormat(
            "decoupler",
            "text/tab-separated-values",
            "decoupler.tsv",
            "A decoupler network (its net argument): a header line, then one row per TF-target pair with the "
            "columns source, target, weight, mode, confidence, mode_decision, resources (source databases) and "
            "references (PubMed ids); weight is the sign of the mode (repression -1, any other +1) times the "
            f"weight of the confidence level ({WEIGHTS_TEXT}). Nodes by gene name (by=name, the default: "
            "a protein's first symbol, its UniProt accession if it has none) or UniProt accession (by=uniprot). "
            "No pair appears twice: interactions whose names make one pair are one row, graded as the most "
            "trusted of them, with the unions of their resources and references.",
            decoupler_lines,
            organism_file="{organism}_network_by_{choice}",
            option=NETWORK_KEY,
            by_tf=True,
            group=decoupler_group,
        ),
        DownloadFormat(
            "ndjson",
            "application/x-ndjson",
            "ndjson",
            "Newline-delimited JSON: one interaction per line, the same object as in a JSON page.",
            ndjson_lines,
            dates=True,
        ),
    )
}
ORGANISM_FORMATS = ("tsv", "mitab", "gmt", "decoupler")  # the files of the downloads page


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
    """The interactions of ``records`` (``live(queryset)``, or a release's) in ``fmt`` as the file
    ``<stem>.<extension>``."""
    return streamed_file(fmt.lines(records, request, choice), fmt.content_type, fmt.file_name(stem))


def organism_file(organism: Organism, fmt: DownloadFormat, request: HttpRequest) -> StreamingHttpResponse:
    """The public interactions of ``organism`` in ``fmt``; a bad option raises ``UnknownChoice`` before the stream."""
    choice = fmt.choice(request.GET)
    stem = fmt.organism_stem(organism.name, choice)
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
