"""Helpers that the admins of both apps use: search by words, links, reports of acts on a selection.

A search term that is a UniProt accession or an NCBI Gene id is looked up exactly, through
an index (``Protein.objects.identified_by``); other terms are looked for in gene names as
well.  Links are built with ``format_html`` so that each value is escaped.
"""

from collections.abc import Iterator

from django.apps import apps
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.db.models import Model, Q, QuerySet
from django.db.models.options import Options
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from proteins.models import Protein
from proteins.parser import ACCESSION_RE

# Past this many proteins matching one search term, interactions are searched through a
# subquery rather than a list of ids: a list lets the database use the TF and target
# indexes, but a very long one is slower to send than the scan it avoids.
MAX_LISTED_PROTEINS = 1000

# Refused items listed in a message; the rest are counted.
MAX_LISTED_REFUSALS = 20

PROTEIN_SEARCH_HELP = (
    "A UniProt accession (P04637) or an NCBI Gene id (7157) finds that protein exactly; "
    "other words are looked for in gene names. Several words must all match."
)


# Searching by the names of a protein.


def search_terms(search_term: str) -> Iterator[str]:
    """The words of a search box, quoted phrases kept whole, as the admin splits them."""
    for term in smart_split(search_term):
        if term.startswith(('"', "'")) and term[0] == term[-1]:
            term = unescape_string_literal(term)
        if term:
            yield term


def protein_condition(term: str) -> Q:
    """Q selecting the proteins that one search term names.

    The proteins it identifies (``Protein.objects.identified_by``), read through indexes; a
    term that is not an accession or a gene id also matches part of a gene name or the start
    of an accession.
    """
    identified = Q(pk__in=Protein.objects.identified_ids([term]))
    accession = term.upper()
    if term.isdecimal() or ACCESSION_RE.fullmatch(accession):
        return identified
    return identified | Q(gene_name__icontains=term) | Q(accession__startswith=accession)


def protein_ids(term: str) -> list[int] | QuerySet:
    """Ids of the proteins a search term names: a list when few, else a subquery."""
    proteins = Protein.objects.filter(protein_condition(term)).order_by().values("pk")
    ids = [row["pk"] for row in proteins[: MAX_LISTED_PROTEINS + 1]]
    return proteins if len(ids) > MAX_LISTED_PROTEINS else ids


class TermSearchMixin:
    """Replaces the admin's search with ``search_condition(term)``, one Q per search word.

    ``search_fields`` still says what the box searches (and makes the admin show it), but
    Django would compare ``=`` fields upper-cased or cast to text, which no index serves.
    """

    def get_search_results(self, request, queryset, search_term):
        for term in search_terms(search_term):
            queryset = queryset.filter(self.search_condition(term))
        return queryset, False

    def search_condition(self, term):
        raise NotImplementedError


def admin_link(obj: Model, text: str | None = None) -> str:
    """A link to ``obj``'s admin change page; its text is escaped."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def changelist_link(model: type[Model] | str, text: str, **filters) -> str:
    """A link to ``model``'s admin list (a model or its label, "app_label.ModelName"), filtered by ``filters``."""
    opts = (apps.get_model(model) if isinstance(model, str) else model)._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


def report_outcome(modeladmin: ModelAdmin, request: HttpRequest, done_text: str, refused: list) -> None:
    """Tell the user what an act on a selection did: ``done_text``, then each item left alone and why."""
    if done_text:
        modeladmin.message_user(request, done_text, messages.SUCCESS)
    if not refused:
        return
    shown = format_html_join(
        "", "<li>{}: {}</li>", ((str(item), reason) for item, reason in refused[:MAX_LISTED_REFUSALS])
    )
    more = len(refused) - MAX_LISTED_REFUSALS
    modeladmin.message_user(
        request,
        format_html(
            "Left {} unchanged:<ul>{}</ul>{}",
            plural(len(refused), modeladmin.opts),
            shown,
            f"and {more} more." if more > 0 else "",
        ),
        messages.WARNING,
    )


def plural(count: int, opts: Options) -> str:
    return f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}"
