"""Writing a release's files: gzip-compressed, hashed and measured while written, memory flat.

Text lines in (the download writers' lines, in blocks: ``proteins.downloads.blocks``), a
temporary file out with its size, SHA-256 and rows (``CompressedFile``); ``releases.publishing``
saves it to the storage.

A release writes several files of one organism's records (TSV, MITAB, three GMT files, the
decoupler network).  Reading and rebuilding the records is most of the work, so they are read
once: ``write_together`` hands each chunk of records to every file's writer, each in a thread of
its own fed by a short queue.  The writers stay the plain generators the downloads use; the
queues bound memory to a few chunks; and gzip and SHA-256 work outside the GIL, so a second
core compresses while the first builds records.
"""

from __future__ import annotations

import gzip
import hashlib
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

from proteins.downloads import blocks

QUEUED_CHUNKS = 2  # chunks waiting for each file's writer: memory holds a few chunks, however many rows
COMPRESSION_LEVEL = 6  # gzip's default: level 9 saves ~3 % more at twice the time


class HashedFile:
    """The file object ``gzip`` writes into: passes bytes to ``target``, hashing and counting them."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()


@dataclass
class CompressedFile:
    """One file of a release, written once: its lines gzip-compressed into a temporary file.

    ``name`` is its name in the release (``Homo_sapiens_interactions.tsv.gz``); the gzip header
    names the file inside without ".gz" and carries ``mtime`` (the release's moment), so that the
    same rows always give the same bytes.  ``header_lines`` is how many of its lines are not rows.
    """

    name: str
    mtime: int
    header_lines: int = 0
    temporary: BinaryIO = field(init=False)
    rows: int = field(init=False, default=0)
    size: int = field(init=False, default=0)
    sha256: str = field(init=False, default="")

    def __post_init__(self):
        self.temporary = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), once stored)

    def write(self, lines: Iterable[str]) -> None:
        """Write every line (each ending in a newline), then close the compression; the file is left open
        at its start, for the storage to read."""
        hashed = HashedFile(self.temporary)
        inner_name = self.name.removesuffix(".gz")
        newlines = 0
        with gzip.GzipFile(inner_name, "wb", COMPRESSION_LEVEL, hashed, mtime=self.mtime) as compressed:
            for block in blocks(lines):
                newlines += block.count(b"\n")
                compressed.write(block)
        self.rows = newlines - self.header_lines
        self.size, self.sha256 = hashed.size, hashed.sha256.hexdigest()
        self.temporary.seek(0)

    def close(self) -> None:
        self.temporary.close()


@dataclass
class Output:
    """A file and how its lines come from records (a format's writer with its option's value)."""

    file: CompressedFile
    lines: Callable[[Iterable], Iterable[str]]


def write_together(chunks: Iterable[list], outputs: list[Output]) -> None:
    """Write every output from one pass over ``chunks`` (lists of records, in the order the writers
    need), each output in a thread of its own.  The first error of a writer, or of reading the
    chunks, is raised once every thread has stopped."""
    feeds = [Feed() for _output in outputs]
    failed = threading.Event()
    with ThreadPoolExecutor(max_workers=len(outputs), thread_name_prefix="release-file") as pool:
        futures = [pool.submit(_write, output, feed, failed) for output, feed in zip(outputs, feeds, strict=True)]
        try:
            for chunk in chunks:
                if failed.is_set():
                    break  # a writer failed: its error is raised below
                for feed in feeds:
                    feed.put(chunk)
        finally:
            for feed in feeds:
                feed.put(Feed.END)
    for future in futures:
        future.result()


class Feed:
    """The chunks waiting for one writer (at most ``QUEUED_CHUNKS``), then ``END``."""

    END = None

    def __init__(self):
        self.chunks = queue.Queue(maxsize=QUEUED_CHUNKS)
        self.ended = False

    def put(self, chunk: list | None) -> None:
        self.chunks.put(chunk)

    def records(self) -> Iterator:
        while (chunk := self.chunks.get()) is not self.END:
            yield from chunk
        self.ended = True

    def drain(self) -> None:
        """Take what the writer left (it failed), so that the reader never waits on a full queue."""
        while not self.ended:
            self.ended = self.chunks.get() is self.END


def _write(output: Output, feed: Feed, failed: threading.Event) -> None:
    try:
        output.file.write(output.lines(feed.records()))
    except BaseException:
        failed.set()
        raise
    finally:
        feed.drain()
