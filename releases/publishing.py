"""Publishing a release: the one place that makes, writes and publishes releases.

``start(user, notes)`` sets the next release aside to be built (refused while another one is);
``publish(release)`` freezes the public set into it (``freezing.freeze``: one snapshot, its
figures and difference), writes its files through the storage API (``STORAGES["releases"]``,
names ``<number>/<file name>``), then its manifest, and only then marks it published.  A failed
attempt marks the release failed with the error and removes what it wrote, so nothing half
written is ever visible as published, and ``publish`` can run again: the files of an attempt
are replaced by the next, the frozen copy is taken anew.  A published release is never written
again; only its notes and DOI change (the admin).

Callers: ``manage.py publish_release``, the admin's "Publish a new release", the job that both
queue (``releases.tasks.publish_release``).  Who may publish is the caller's check
(``PERMISSION``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from itertools import islice

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from proteins import exports
from proteins.downloads import FORMATS, TSV, DownloadFormat, entry_url_on
from proteins.models import Interaction, Organism

from . import selectors
from .files import CompressedFile, Output, write_together
from .freezing import CHUNK_ROWS, freeze
from .models import Release, ReleaseFile

PERMISSION = "releases.publish_release"
STORAGE = "releases"
# The formats of a release's interaction files, a file per organism and per value of the format's
# option (GMT: by UniProt, NCBI Gene id, gene name): keys of ``proteins.downloads.FORMATS``.
RELEASE_FORMATS = ("tsv", "mitab", "gmt", "decoupler")
BINDING_SITES = "binding_sites"  # the format of a release's binding-site files (TSV, TFLink's columns)
MANIFEST = "manifest"
MANIFEST_NAME = "manifest.json"
# ``on_progress(done, total)`` of ``publish``: rows frozen, then rows written, of twice the rows.
Progress = Callable[[int, int], None]


class PublishingRefused(Exception):
    """A release cannot be started or published now; the message says why and what to do."""


def start(user, notes: str = "") -> Release:
    """The next release, set aside to be built (``publish`` builds it), with ``notes`` (markdown).

    Refused while another release is being built.  A release whose publication failed is taken
    up again (it keeps its number, so numbers have no gaps; ``notes`` replace its notes if given).
    """
    with transaction.atomic():
        unfinished = Release.objects.select_for_update().exclude(state=Release.State.PUBLISHED).first()
        if unfinished and unfinished.state == Release.State.BUILDING:
            raise PublishingRefused(
                f"{unfinished} is being built (its job is queued or running): wait for it, or, if its job "
                "failed or was stopped, delete it in the admin."
            )
        if unfinished:
            unfinished.state, unfinished.error, unfinished.created_by = Release.State.BUILDING, "", user
            unfinished.notes = notes or unfinished.notes
            unfinished.save()
            return unfinished
        number = next_number()
        try:
            with transaction.atomic():
                return Release.objects.create(number=number, notes=notes, created_by=user)
        except IntegrityError:
            raise PublishingRefused(f"Release {number} was started at the same moment by someone else.") from None


def next_number() -> int:
    """The number ``start`` gives: that of a release whose publication failed, or the next one."""
    failed = Release.objects.filter(state=Release.State.FAILED).values_list("number", flat=True).first()
    return failed or (Release.objects.aggregate(last=Max("number"))["last"] or 0) + 1


def publish(release: Release, on_progress: Progress | None = None, *, base_url: str) -> Release:
    """Freeze, write the files and the manifest of ``release`` (being built, or failed), then publish it.

    ``base_url`` is the site's address (``https://portal.example.org``): the manifest's citation
    and links, and the GMT sets' links to their TF's page, name it.  ``on_progress(done, total)``
    is called after each chunk of rows frozen, then written.  On any error the release is marked
    failed with it, its files are removed, and the error goes on.
    """
    claim(release)
    report = on_progress or (lambda done, total: None)
    try:
        expected = Interaction.objects.public().count()
        release = freeze(release, on_rows=lambda done: report(done, 2 * expected))
        frozen = release.figures["interactions"]
        files = write_files(release, base_url, lambda done: report(frozen + done, 2 * frozen))
        files.append(write_manifest(release, files, base_url))
        with transaction.atomic():
            building = Release.objects.filter(pk=release.pk, state=Release.State.BUILDING)
            if not building.update(state=Release.State.PUBLISHED):
                raise PublishingRefused(f"{release} was deleted or changed while it was being built.")
            ReleaseFile.objects.bulk_create(files)
    except BaseException as error:
        fail(release, error)
        raise
    release.refresh_from_db()
    return release


def claim(release: Release) -> None:
    """Mark ``release`` as being built (again, if it failed); refuse a published one."""
    claimed = Release.objects.filter(pk=release.pk, state__in=[Release.State.BUILDING, Release.State.FAILED])
    if not claimed.update(state=Release.State.BUILDING, error=""):
        if Release.objects.filter(pk=release.pk).exists():
            raise PublishingRefused(f"{release} is published: a published release is never written again.")
        raise PublishingRefused(f"{release} was deleted: start a new release.")
    release.state, release.error = Release.State.BUILDING, ""


def fail(release: Release, error: BaseException) -> None:
    """Mark ``release`` failed with ``error``, and remove the files its attempt wrote."""
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    try:
        remove_files(release)
    except Exception as removal:  # the storage may be what failed: the next attempt replaces the files
        reason += f" (its files could not be removed: {removal}; the next attempt replaces them)"
    unpublished = Release.objects.filter(pk=release.pk).exclude(state=Release.State.PUBLISHED)
    unpublished.update(state=Release.State.FAILED, error=reason)


def discard(release: Release) -> None:
    """Delete a release that is not published (stuck or failed), with its frozen rows and files."""
    if release.is_published:
        raise PublishingRefused(f"{release} is published: it stays, as papers may cite it.")
    remove_files(release)
    release.delete()


# The files.


def storage() -> Storage:
    return storages[STORAGE]


def folder(release: Release) -> str:
    return str(release.number)


def remove_files(release: Release) -> None:
    """Delete the release's stored files, those its rows name and any an interrupted attempt left."""
    ReleaseFile.objects.filter(release=release).delete()
    store = storage()
    try:
        _folders, names = store.listdir(folder(release))
    except FileNotFoundError:
        return
    for name in names:
        store.delete(f"{folder(release)}/{name}")


def release_formats() -> list[DownloadFormat]:
    return [FORMATS[key] for key in RELEASE_FORMATS]


def write_files(release: Release, base_url: str, on_rows: Callable[[int], None]) -> list[ReleaseFile]:
    """Write and store the files of ``release``: per organism, every format's interaction files (a file
    per value of the format's option) from one pass over its frozen rows in TF order, and its
    binding sites.  ``on_rows(count)``: interaction rows written so far.  Unsaved ``ReleaseFile`` rows."""
    remove_files(release)
    organisms = Organism.objects.in_bulk(field_name="name")
    entry_url = entry_url_on(base_url)
    dates = any(fmt.dates for fmt in release_formats())
    group = one_grouping(release_formats())
    files, done = [], 0
    for name in release.figures["organism"]:
        organism = organisms[name]
        planned = interaction_files(release, name, entry_url)
        rows = release.interactions.filter(organism=organism)
        chunks = chunked(
            selectors.interaction_records(rows, CHUNK_ROWS, by_tf=True, dates=dates, group=group), CHUNK_ROWS
        )
        write_together(counted(chunks, done, on_rows), [output for _key, output in planned])
        done += release.figures["organism"][name]
        files += [stored(release, output.file, organism, key) for key, output in planned]
    site_organisms = release.binding_sites.order_by().values_list("organism", flat=True).distinct()
    for organism in Organism.objects.filter(pk__in=site_organisms):
        compressed = new_file(release, binding_site_file_name(organism.name), len(list(exports.binding_site_tsv([]))))
        sites = selectors.binding_site_records(release.binding_sites.filter(organism=organism))
        compressed.write(exports.binding_site_tsv(sites))
        files.append(stored(release, compressed, organism, BINDING_SITES))
    return files


def one_grouping(formats: list[DownloadFormat]):
    """The grouping of TFs that every file of one pass needs (``DownloadFormat.group``: the decoupler
    network by gene name); TF order (None) serves the others."""
    groups = {fmt.group(choice) for fmt in formats if fmt.group for choice in fmt.choices} - {None}
    if len(groups) > 1:
        raise ValueError("the release's formats ask for different groupings of TFs; one pass cannot serve them")
    return next(iter(groups), None)


def interaction_files(
    release: Release, organism_name: str, entry_url: Callable[[str], str]
) -> list[tuple[str, Output]]:
    """(format, output) of each interaction file of one organism: a file per format and option value."""
    planned = []
    for fmt in release_formats():
        for choice in fmt.choices:
            writer = writer_of(fmt, choice, entry_url)
            header_lines = len(list(writer([])))  # what the writer writes of no rows: its header
            name = fmt.file_name(fmt.organism_stem(organism_name, choice))
            planned.append((fmt.name, Output(new_file(release, name, header_lines), writer)))
    return planned


def writer_of(fmt: DownloadFormat, choice: str | None, entry_url: Callable[[str], str]):
    return lambda records: fmt.write(records, choice, entry_url)


def binding_site_file_name(organism_name: str) -> str:
    return TSV.file_name(f"{organism_name.replace(' ', '_')}_binding_sites")


def new_file(release: Release, name: str, header_lines: int) -> CompressedFile:
    """The file ``<name>.gz`` of ``release``, to write."""
    return CompressedFile(f"{name}.gz", int(release.published_at.timestamp()), header_lines)


def chunked(records: Iterator, size: int) -> Iterator[list]:
    return iter(lambda: list(islice(records, size)), [])


def counted(chunks: Iterator[list], done: int, on_rows: Callable[[int], None]) -> Iterator[list]:
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        on_rows(done)


def stored(release: Release, compressed: CompressedFile, organism: Organism | None, fmt: str) -> ReleaseFile:
    """Save a written file to the storage as ``<number>/<name>``; its (unsaved) ``ReleaseFile``."""
    try:
        storage_name = storage().save(f"{folder(release)}/{compressed.name}", File(compressed.temporary))
    finally:
        compressed.close()
    return ReleaseFile(
        release=release,
        organism=organism,
        format=fmt,
        name=compressed.name,
        storage_name=storage_name,
        size=compressed.size,
        sha256=compressed.sha256,
        rows=compressed.rows,
    )


# The manifest, and how to cite a release.


def write_manifest(release: Release, files: list[ReleaseFile], base_url: str) -> ReleaseFile:
    """Store ``manifest.json``, which describes the release and each of ``files``; its ``ReleaseFile``."""
    data = (json.dumps(manifest(release, files, base_url), indent=2, ensure_ascii=False) + "\n").encode()
    storage_name = storage().save(f"{folder(release)}/{MANIFEST_NAME}", ContentFile(data))
    return ReleaseFile(
        release=release,
        format=MANIFEST,
        name=MANIFEST_NAME,
        storage_name=storage_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def manifest(release: Release, files: list[ReleaseFile], base_url: str) -> dict:
    """What ``manifest.json`` says: the release, how to cite it, its figures and difference, its files."""
    media_types = {**{fmt.name: fmt.media_type for fmt in release_formats()}, BINDING_SITES: TSV.media_type}
    return {
        "portal": settings.PORTAL_NAME,
        "release": release.number,
        "published_at": exports.iso_datetime(release.published_at),
        "date": cited_date(release).isoformat(),
        "url": absolute(base_url, release.get_absolute_url()),
        "citation": citation(release, base_url),
        "doi": release.doi or None,
        "previous_release": release.previous.number if release.previous else None,
        "figures": release.figures,
        "difference": release.difference,
        "files": [
            {
                "name": file.name,
                "organism": file.organism.name,
                "taxon_id": file.organism.taxon_id,
                "format": file.format,
                "media_type": media_types[file.format],
                "content_encoding": "gzip",
                "size": file.size,
                "sha256": file.sha256,
                "rows": file.rows,
                "url": absolute(base_url, file.get_absolute_url()),
            }
            for file in files
        ],
    }


def citation(release: Release, base_url: str) -> str:
    """How to cite ``release`` (published): the portal, the release's number and date, its address on
    the site at ``base_url``, and its DOI when staff gave one."""
    text = f"{settings.PORTAL_NAME}, release {release.number} ({cited_date(release):%Y-%m-%d}). "
    text += absolute(base_url, release.get_absolute_url())
    return f"{text} https://doi.org/{release.doi}" if release.doi else text


def cited_date(release: Release):
    if release.published_at is None:
        raise ValueError(f"{release} is not published: it has no date to cite yet.")
    return timezone.localdate(release.published_at)


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path
