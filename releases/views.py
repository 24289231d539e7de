"""The public pages of releases: the list, one release (notes, figures, files, its difference from
the previous one, how to cite it), the newest, the files at their stable addresses, and the
difference between any two releases as a page, TSV and JSON.

Only published releases exist here: one being built, or whose build failed, is a 404.
"""

import logging

from django.core.cache import cache
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, quote_etag
from django.views.decorators.http import require_safe

from proteins.downloads import CHARSET, streamed_file
from proteins.selectors.streams import Organisms

from . import api, changes, publishing, selectors
from .differences import Difference
from .models import Release, ReleaseFile

logger = logging.getLogger(__name__)

RELEASES_PER_PAGE = 20
PREVIEW_ROWS = 5  # rows of each kind of change a release's page shows of its difference
# A published file never changes (its address names its release): caches may keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
FIGURES = (
    ("organism", "Organism"),
    ("source_database", "Source database"),
    ("mode", "Mode of regulation"),
    ("confidence", "Confidence"),
    ("status", "Curation status"),
)
# What a page shows of the difference between two published releases never changes, and finding it
# walks the releases (up to a second at 1.3 million rows): it is kept in the shared cache.
CHANGES_CACHE_SECONDS = 7 * 24 * 3600


def published_release(number: int) -> Release:
    found = selectors.published().select_related("previous").filter(number=number).first()
    if found is None:
        raise Http404(f"No published release {number}.")
    return found


@require_safe
def release_list(request):
    releases = selectors.published().select_related("previous").order_by("-number")
    page = Paginator(releases, RELEASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "releases/list.html", {"page": page})


@require_safe
def latest(request):
    release = selectors.latest()
    if release is None:
        raise Http404("No release has been published yet.")
    return redirect(release)  # a temporary redirect: the next release takes the address over


@require_safe
def detail(request, number):
    release = published_release(number)
    url = request.build_absolute_uri(release.get_absolute_url())
    preview = []
    if release.previous:
        key = f"releases:preview:{release.pk}:{release.previous_id}:{release.published_at.timestamp()}"
        preview = cache.get_or_set(key, lambda: preview_of(release), CHANGES_CACHE_SECONDS)
    figures = [(title, sorted(release.figures.get(name, {}).items())) for name, title in FIGURES]
    return render(
        request,
        "releases/detail.html",
        {
            "release": release,
            "files": list(release.files.select_related("organism")),
            "figures": figures,
            "preview": preview,
            "preview_rows": PREVIEW_ROWS,
            "counts": release.difference,
            "citation": publishing.citation(release, request.build_absolute_uri("/")),
            "url": url,
            "api_url": request.build_absolute_uri(reverse("api:interaction-list")) + f"?release={release.number}",
        },
    )


def preview_of(release: Release) -> list[tuple]:
    """``(kind, title, its first entries)`` of each kind of change since the previous release."""
    difference, organisms = Difference(release.previous, release), Organisms()
    return [
        (kind, title, entries_unless_none(difference, kind, release.difference, PREVIEW_ROWS, organisms))
        for kind, title in changes.TITLES.items()
    ]


def entries_unless_none(difference, kind, counts, size, organisms=None, after=None):
    """A page of ``kind``, or none without a query when the stored counts of the difference say it has none:
    looking for rows that are not there walks the whole release (half a second at 1.3 million rows)."""
    if counts and counts.get(kind) == 0:
        return []
    return changes.entries(difference, kind, after, size, organisms)


@require_safe
def release_file(request, number, name):
    """A file of a published release, as stored: never changed, so cached for good and checked by its SHA-256.

    Compressed files are served as they are stored, ``application/gzip`` attachments (no
    ``Content-Encoding``): the bytes saved are the bytes the manifest's checksum names.
    """
    found = (
        ReleaseFile.objects.select_related("release")
        .filter(release__number=number, release__state=Release.State.PUBLISHED, name=name)
        .first()
    )
    if found is None:
        raise Http404(f"Release {number} has no file {name}.")
    etag = quote_etag(found.sha256)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        try:
            handle = storages["releases"].open(found.storage_name, "rb")
        except FileNotFoundError:
            logger.error("The file %s of release %s is missing from the storage.", found.storage_name, number)
            raise Http404(f"The file {name} of release {number} is missing.") from None
        compressed = name.endswith(".gz")
        response = FileResponse(
            handle,
            as_attachment=compressed or not name.endswith(".json"),
            filename=name,
            content_type="application/gzip" if compressed else None,
        )
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response


# The difference between two releases.


def difference_of(old: int, new: int) -> Difference:
    found = {release.number: release for release in selectors.published().filter(number__in=[old, new])}
    for number in (old, new):
        if number not in found:
            raise Http404(f"No published release {number}.")
    return Difference(found[old], found[new])


def canonical_order(request, old, new, name):
    """A permanent redirect to the same difference with the earlier release first, or None if it is."""
    if old <= new:
        return None
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(reverse(name, args=[new, old]) + (f"?{query}" if query else ""))


def position(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdecimal() and len(text) <= 18 else None


@require_safe
def difference(request, old, new):
    """One kind of change (``kind``, the first with rows by default), a page of them after ``after``."""
    swapped = canonical_order(request, old, new, "releases:diff")
    if swapped:
        return swapped
    found = difference_of(old, new)
    pair = f"{found.old.pk}:{found.new.pk}:{found.new.published_at.timestamp()}"
    counts = cache.get_or_set(f"releases:counts:{pair}", lambda: counts_of(found), CHANGES_CACHE_SECONDS)
    kind = request.GET.get("kind")
    if kind not in changes.KINDS:
        kind = next((kind for kind in changes.KINDS if counts and counts.get(kind)), changes.KINDS[0])
    after, size = position(request.GET.get("after")), changes.PAGE_ROWS + 1
    rows = cache.get_or_set(
        f"releases:changes:{pair}:{kind}:{after}:{size}",
        lambda: entries_unless_none(found, kind, counts, size, after=after),
        CHANGES_CACHE_SECONDS,
    )
    return render(
        request,
        "releases/difference.html",
        {
            "old": found.old,
            "new": found.new,
            "kind": kind,
            "kinds": [(each, title, counts.get(each) if counts else None) for each, title in changes.TITLES.items()],
            "rows": rows[: changes.PAGE_ROWS],
            "next_after": rows[changes.PAGE_ROWS - 1].key if len(rows) > changes.PAGE_ROWS else None,
            "paged": "after" in request.GET,
        },
    )


def counts_of(difference: Difference) -> dict | None:
    """The counts of each kind of change, when they are kept (a release and its previous one), else None:
    counting the changes of two releases far apart walks both."""
    if difference.new.previous_id != difference.old.pk:
        return None
    return {**difference.new.difference, changes.ACTS: changes.public_acts(difference).count()}


@require_safe
def difference_file(request, old, new, file_format):
    """Every change between two releases in one flat table, streamed: TSV or JSON (``releases.changes``)."""
    swapped = canonical_order(request, old, new, f"releases:diff_{file_format}")
    if swapped:
        return swapped
    found = difference_of(old, new)
    file_name = f"release_{old}_to_{new}_changes.{file_format}"
    if file_format == "tsv":
        return streamed_file(changes.tsv_lines(found), f"text/tab-separated-values; charset={CHARSET}", file_name)
    described = {"from": api.reference(found.old, request), "to": api.reference(found.new, request)}
    return streamed_file(changes.json_lines(found, described), f"application/json; charset={CHARSET}", file_name)
