"""Public, read-only pages: search, browse, entry pages, interactions, network data, downloads."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import counts
from . import downloads as download_files
from .filters import ProteinFilter
from .models import Interaction, Organism, Protein, SitePage
from .selectors import pages

NETWORK_DEFAULT = 100
NETWORK_MAX = 2000


@require_safe
def home(request):
    return render(
        request,
        "proteins/home.html",
        {"page": SitePage.objects.filter(slug="home").first(), "organisms": counts.organism_summaries()},
    )


@require_safe
def search(request):
    text = pages.text_param(request.GET, "q")
    results = Protein.objects.search(text).select_related("organism").order_by("gene_name", "accession")
    if text:
        exact = unique_match(text)
        if exact:
            return redirect(exact)
    page = Paginator(results.prefetch_related("gene_ids"), 50).get_page(request.GET.get("page"))
    return render(request, "proteins/search.html", {"q": text, "page": page})


def same_query_redirect(request, target):
    """A permanent redirect to the canonical URL of ``target``, keeping the query string."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(target.get_absolute_url() + (f"?{query}" if query else ""))


def unique_match(text):
    """The one protein ``text`` identifies (``Protein.objects.identified_by``), if only one is."""
    found = list(Protein.objects.identified_by(text)[:2])
    return found[0] if len(found) == 1 else None


@require_safe
def browse(request, taxon_id):
    organism = get_object_or_404(Organism, taxon_id=taxon_id)
    proteins = Protein.objects.filter(organism=organism).order_by("gene_name", "accession")
    filters = ProteinFilter(request.GET, queryset=proteins)
    rows = filters.qs if filters.is_valid() else proteins.none()
    rows = rows.order_by(*rows.query.order_by, "pk")  # ties (equal counts) in a stable order across pages
    page = Paginator(rows.prefetch_related("gene_ids"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "proteins/browse.html",
        {"organism": organism, "filter": filters, "page": page, "query": query.urlencode()},
    )


@require_safe
def protein(request, accession):
    entry = pages.find_protein(accession)
    if entry is None:
        raise Http404(f"No protein with the UniProt accession {accession}.")
    if accession != entry.accession:
        return same_query_redirect(request, entry)
    tables = [pages.partner_table(entry, side, request.GET) for side in ("tfs", "targets")]
    return render(
        request,
        "proteins/protein.html",
        {
            "protein": entry,
            "gene_ids": list(entry.gene_ids.all()),
            "orthologs": list(entry.orthologs.select_related("ortholog")),
            "tables": tables,
            "held_count": sum(table.total for table in tables),
            "choices": pages.evidence_choices(),
            "binding_sites": Paginator(
                entry.binding_sites.prefetch_related("source_databases", "detection_methods", "publications"), 50
            ).get_page(request.GET.get("sites-page")),
            "network_default": NETWORK_DEFAULT,
            "network_max": NETWORK_MAX,
        },
    )


@require_safe
def protein_network(request, accession):
    entry = get_object_or_404(Protein, accession=accession.upper())
    try:
        limit = min(max(int(request.GET.get("limit", NETWORK_DEFAULT)), 1), NETWORK_MAX)
    except ValueError:
        return JsonResponse({"error": "limit must be a whole number"}, status=400)
    return JsonResponse(pages.network(entry, limit))


@require_safe
def interaction(request, tf, target):
    try:
        found = pages.interaction_page(tf, target)
    except Interaction.DoesNotExist:
        raise Http404(f"No public interaction of {tf} with {target}.") from None
    if (tf, target) != (found.tf.accession, found.target.accession):
        return same_query_redirect(request, found)
    return render(request, "proteins/interaction.html", pages.interaction_page_context(found))


@require_safe
def site_page(request, slug):
    page = get_object_or_404(SitePage, slug=slug)
    if slug == "home":
        return redirect("proteins:home")
    # The FAQ explains the grades with a table made from the grading rules, so it never goes stale.
    rules = pages.grading_rules() if slug == "faq" else None
    return render(request, "proteins/site_page.html", {"page": page, "rules": rules})


# Downloads: streamed, a chunk of rows at a time (``proteins.downloads``).


@require_safe
def downloads(request):
    return render(
        request,
        "proteins/downloads.html",
        {
            "organisms": counts.organism_summaries(),
            "help": SitePage.objects.filter(slug="download-help").first(),
            "gmt_keys": download_files.GMT_KEY.labels,
            "network_keys": download_files.NETWORK_KEY.labels,
            "network_weights": pages.network_weights(),
        },
    )


@require_safe
def protein_download(request, accession, side):
    return download_files.partner_table_file(get_object_or_404(Protein, accession=accession.upper()), side)


@require_safe
def protein_binding_sites_download(request, accession):
    return download_files.binding_site_file(get_object_or_404(Protein, accession=accession.upper()))


@require_safe
def organism_download(request, taxon_id, file_format):
    organism = get_object_or_404(Organism, taxon_id=taxon_id)
    try:
        return download_files.organism_file(organism, download_files.FORMATS[file_format], request)
    except download_files.UnknownChoice as error:
        raise Http404(str(error)) from None


# The REST API's page for people: what it serves and how to call it from a script.


@require_safe
def api_guide(request):
    return render(
        request,
        "proteins/api.html",
        {
            "api": request.build_absolute_uri(reverse("api:api-root")),
            "anon_rate": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get("anon"),
            "gmt_keys": download_files.GMT_KEY.labels,
            "network_keys": download_files.NETWORK_KEY.labels,
        },
    )
