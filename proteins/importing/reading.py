"""Reading pages for an import: find the files, fingerprint them, parse the changed ones in a pool.

A page's fingerprint covers its bytes and the download tables beside it, so an unchanged page
is recognised without parsing it.  Changed pages are parsed in worker processes, which send
them back pickled (``reduce_page``).  Pure Python, no Django: the caller passes the limits.
"""

from __future__ import annotations

import copyreg
import hashlib
import itertools
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..pages import BindingSiteRow, InteractionRow, OrthologRef, Page, PageError
from ..parser import SAFE_NAME_RE, parse_page
from ..tables import MAX_PAGE_BYTES, decode_utf8, extend_with_downloads, read_bytes

PAGE_SUFFIX = ".md"


def find_pages(paths) -> tuple[list[Path], list[PageError]]:
    """Page files named by ``paths`` (files, or folders searched recursively), in a stable order.

    Returns ``(files, errors)``: a path that does not exist is an error, not an exception.
    """
    files, errors, seen = [], [], set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{PAGE_SUFFIX}") if p.is_file())
        elif path.is_file():
            found = [path]
        else:
            errors.append(PageError(path, "no such file or folder"))
            continue
        for page_path in found:
            key = page_path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(page_path)
    return files, errors


def read_pages(files, known_hashes, max_bytes: int, jobs: int = 1, chunk_size: int = 16, ahead: int = 250):
    """Loaded pages in file order, parsed in ``jobs`` processes with a bounded backlog.

    The processes parse up to ``ahead`` pages ahead of the pages taken: more than a batch, so
    while a batch is written the next one is parsed whole, and the writer does not wait for
    parsing when it comes back.
    """
    if jobs <= 1 or len(files) <= chunk_size:
        for path in files:
            yield load_page(path, known_hashes, max_bytes)
        return
    chunks = iter([files[i : i + chunk_size] for i in range(0, len(files), chunk_size)])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=start_worker, initargs=(known_hashes, max_bytes)
    ) as pool:
        pending = [
            pool.submit(load_pages, chunk) for chunk in itertools.islice(chunks, max(jobs, -(-ahead // chunk_size)))
        ]
        while pending:
            loaded_chunk = pending.pop(0).result()
            next_chunk = next(chunks, None)
            if next_chunk is not None:
                pending.append(pool.submit(load_pages, next_chunk))
            yield from loaded_chunk


def default_jobs() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


DOWNLOAD_KEY_RE = re.compile(r"^(?:tfs|targets|bindingSites)_download: '?([^'\n]*?)'?\s*$", re.MULTILINE)
ACCESSION_KEY_RE = re.compile(r"^uniprot_accession: '?([A-Za-z0-9]+)'?\s*$", re.MULTILINE)


@dataclass(slots=True)
class LoadedPage:
    """The outcome of reading one page file: parsed, unchanged since its last import, or failed."""

    path: str
    content_hash: str = ""
    page: Page | None = None
    error: PageError | None = None

    @property
    def unchanged(self):
        return self.page is None and self.error is None


def fingerprint(path, data: bytes, max_bytes: int = MAX_PAGE_BYTES) -> str:
    """SHA-256 of a page's bytes and of the download tables it names that exist beside it.

    The names are read with a cheap pattern, not the YAML parser, so an unchanged page is
    recognised without parsing it; a name the pattern misses only costs a re-import.
    """
    digest = hashlib.sha256(data)
    folder = Path(path).parent
    text = data.decode("utf-8", errors="replace")
    names = DOWNLOAD_KEY_RE.findall(text)
    names += [f"bindingSites_of_{accession}.tsv" for accession in ACCESSION_KEY_RE.findall(text)]
    for name in sorted(set(filter(SAFE_NAME_RE.fullmatch, names))):
        table = folder / name
        if table.is_file():
            size = table.stat().st_size
            # An oversized table is refused when the page is parsed; its size stands in here.
            content = table.read_bytes() if size <= max_bytes else str(size).encode()
            digest.update(b"\0" + name.encode() + b"\0" + content)
    return digest.hexdigest()


def load_page(path, known_hashes=frozenset(), max_bytes: int = MAX_PAGE_BYTES) -> LoadedPage:
    """Read, fingerprint and (unless its fingerprint is known) parse one page file."""
    path = Path(path)
    try:
        data = read_bytes(path, max_bytes)
        content_hash = fingerprint(path, data, max_bytes)
        if content_hash in known_hashes:
            return LoadedPage(str(path), content_hash)
        page = parse_page(decode_utf8(data, path), path)
        extend_with_downloads(page, path.parent, max_bytes)
        return LoadedPage(str(path), content_hash, page=page)
    except PageError as error:
        return LoadedPage(str(path), error=error)


# A parsing process receives the known fingerprints once, when it starts, not with every
# chunk: the set grows with the pages already imported.
_WORKER = {"known_hashes": frozenset(), "max_bytes": MAX_PAGE_BYTES}


def start_worker(known_hashes, max_bytes=MAX_PAGE_BYTES):
    """Initialise a parsing process (``ProcessPoolExecutor(initializer=...)``)."""
    _WORKER.update(known_hashes=known_hashes, max_bytes=max_bytes)


def load_pages(paths):
    """``load_page`` over a chunk of paths, in a process set up by ``start_worker``."""
    return [load_page(path, _WORKER["known_hashes"], _WORKER["max_bytes"]) for path in paths]


# Pages cross from the parsing processes pickled.  The pickling is registered here, with the
# pool that needs it (``copyreg``), so the page's types stay plain data.


def reduce_page(page):
    """Pickle the rows as plain tuples; ``_unpickled_page`` makes them named tuples again.

    Pages cross from the parsing processes with many rows each.  A named tuple
    unpickles through its class's ``__new__``, Python code called once per row; plain tuples
    are rebuilt by pickle's C code, and naming them again is one C call a row.  A row's
    ``Evidence`` stays a named tuple: rows with equal cells share one (``parse_evidence``),
    which pickle writes once per chunk.
    """
    return (
        _unpickled_page,
        (
            page.path,
            page.accession,
            page.name,
            page.gene_ids,
            page.organism,
            page.function,
            page.reported_interaction_count,
            [tuple(ortholog) for ortholog in page.orthologs],
            page.jaspar_matrices,
            [tuple(row) for row in page.tfs],
            [tuple(row) for row in page.targets],
            [tuple(site) for site in page.binding_sites],
            page.downloads,
            page.body,
        ),
    )


def _unpickled_page(*values):
    page = Page(*values)
    page.orthologs = list(map(partial(tuple.__new__, OrthologRef), page.orthologs))
    page.tfs = list(map(partial(tuple.__new__, InteractionRow), page.tfs))
    page.targets = list(map(partial(tuple.__new__, InteractionRow), page.targets))
    page.binding_sites = list(map(partial(tuple.__new__, BindingSiteRow), page.binding_sites))
    return page


copyreg.pickle(Page, reduce_page)
