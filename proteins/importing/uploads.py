"""Pages uploaded by staff, kept in a staging folder between the preview and the import.

An upload is page files (``.md``) with their download tables (``.tsv``), or zip archives
of them.  Each is checked before anything is written where the importer reads it: plain
file names, no member of a zip outside its folder (zip-slip: absolute paths, ``..``), only
pages and tables kept (other members are listed as ignored), no file larger than the
importer reads, and a limit on the whole upload counted while unpacking (a zip's sizes
are read, not believed).  Plain Python: the admin view passes the uploaded files and the
limits.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

PAGE_SUFFIX = ".md"
TABLE_SUFFIX = ".tsv"
ZIP_SUFFIX = ".zip"
FILE_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
TOKEN_RE = re.compile(r"[0-9a-f]{32}")
MANIFEST = "upload.json"
CLAIMED_SUFFIX = ".claimed"
FILES = "files"
MAX_ZIP_MEMBERS = 50_000
CHUNK = 1024 * 1024
STALE_AFTER_SECONDS = 24 * 60 * 60


class UploadError(ValueError):
    """An upload refused as a whole; ``str()`` says why, for the person who sent it."""


@dataclass
class StagedUpload:
    """An upload in its staging folder: what was sent, what was kept, what was left out."""

    token: str
    folder: Path
    names: list[str] = field(default_factory=list)  # the files as uploaded
    kept: list[tuple[str, int]] = field(default_factory=list)  # (path in the folder, bytes)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (member, why)

    @property
    def files(self):
        return self.folder / FILES

    def import_paths(self):
        """What to give the importer: the loose pages, and each zip's folder (searched for pages)."""
        tops = dict.fromkeys(PurePosixPath(path).parts[0] for path, _size in self.kept)
        return [self.files / top for top in tops if top.endswith((PAGE_SUFFIX, ZIP_SUFFIX))]

    @property
    def page_count(self):
        return sum(1 for path, _size in self.kept if path.endswith(PAGE_SUFFIX))

    def save(self):
        manifest = {"names": self.names, "kept": self.kept, "ignored": self.ignored}
        (self.folder / MANIFEST).write_text(json.dumps(manifest))


def stage(uploaded_files, root, *, max_file_bytes: int, max_total_bytes: int) -> StagedUpload:
    """Check and write ``uploaded_files`` (objects with ``name`` and ``chunks()``) under ``root``.

    Returns a ``StagedUpload``; raises ``UploadError`` and keeps nothing when any file is refused.
    """
    root = Path(root)
    remove_stale(root)
    token = secrets.token_hex(16)
    upload = StagedUpload(token=token, folder=root / token)
    upload.files.mkdir(parents=True)
    budget = Budget(max_file_bytes, max_total_bytes)
    try:
        for uploaded in uploaded_files:
            name = checked_name(uploaded.name)
            if name in upload.names:
                raise UploadError(f"{name} was uploaded twice.")
            upload.names.append(name)
            if name.endswith(ZIP_SUFFIX):
                unpack(uploaded, name, upload, budget)
            elif name.endswith((PAGE_SUFFIX, TABLE_SUFFIX)):
                budget.check_declared(name, uploaded.size)
                write(uploaded.chunks(), upload.files / name, name, budget)
                upload.kept.append((name, budget.last))
            else:
                raise UploadError(f"{name}: only pages (.md), download tables (.tsv) and .zip archives are accepted")
        if not upload.page_count:
            raise UploadError("The upload holds no page (.md file).")
        upload.save()
    except BaseException:
        shutil.rmtree(upload.folder, ignore_errors=True)
        raise
    return upload


def claim(root, token: str) -> StagedUpload | None:
    """Take the staged upload ``token`` out of waiting, for one import or discard; None when it is not waiting.

    The folder is renamed (atomic): of two requests confirming one upload, only one gets it.
    """
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    claimed = Path(root) / f"{token}{CLAIMED_SUFFIX}"
    try:
        (Path(root) / token).rename(claimed)
    except OSError:
        return None
    return load(claimed, token)


def load(folder, token):
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return StagedUpload(
        token=token,
        folder=folder,
        names=manifest["names"],
        kept=[tuple(item) for item in manifest["kept"]],
        ignored=[tuple(item) for item in manifest["ignored"]],
    )


def discard(upload: StagedUpload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def remove_stale(root, max_age=STALE_AFTER_SECONDS):
    """Remove uploads previewed but never confirmed nor discarded."""
    if not root.is_dir():
        return
    limit = time.time() - max_age
    for folder in root.iterdir():
        if TOKEN_RE.fullmatch(folder.name.removesuffix(CLAIMED_SUFFIX)) and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


# Checks.


class Budget:
    """Bytes written so far, against the limits per file and per upload."""

    def __init__(self, max_file_bytes, max_total_bytes):
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self.total = 0
        self.last = 0

    def check_declared(self, name, size):
        if size > self.max_file_bytes:
            raise UploadError(f"{name} is {human_size(size)}; the limit per file is {human_size(self.max_file_bytes)}.")

    def count(self, name, size):
        """Count ``size`` bytes of ``name`` so far (a zip member may unpack larger than it says)."""
        if size > self.max_file_bytes:
            raise UploadError(f"{name} is larger than the limit per file, {human_size(self.max_file_bytes)}.")
        if self.total + size > self.max_total_bytes:
            raise UploadError(f"The upload is larger than {human_size(self.max_total_bytes)} (at {name}).")


def human_size(size):
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1e3:.1f} kB"
    return f"{size / 1e6:.1f} MB"


def checked_name(name):
    """An uploaded file's name, when it is a plain one (browsers send no folders)."""
    name = PurePosixPath(str(name).replace("\\", "/")).name
    if not FILE_NAME_RE.fullmatch(name):
        raise UploadError(f"{name!r}: a file name may hold letters, digits, '_', '.' and '-' only.")
    return name


def member_path(zip_name, member):
    """The member's path inside the zip's folder, or raise ``UploadError`` when it would escape it."""
    path = PurePosixPath(member)
    if (
        member.startswith("/")
        or "\\" in member
        or "\x00" in member
        or (path.parts and ":" in path.parts[0])
        or any(part in ("..", ".") for part in path.parts)
    ):
        raise UploadError(
            f"{zip_name}: member {member!r} points outside the archive's folder (absolute path or '..'); "
            "nothing was kept."
        )
    return path


def ignored_reason(path):
    if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
        return "hidden or system file"
    if path.suffix not in (PAGE_SUFFIX, TABLE_SUFFIX):
        return "not a page (.md) or download table (.tsv)"
    if not FILE_NAME_RE.fullmatch(path.name) or not all(part.isprintable() for part in path.parts):
        return "a file name may hold letters, digits, '_', '.' and '-' only"
    return ""


# Writing.


def write(chunks, destination, name, budget):
    """Write ``chunks`` to a new file, counting its bytes against ``budget``."""
    written = 0
    with open(destination, "xb") as out:
        for chunk in chunks:
            written += len(chunk)
            budget.count(name, written)
            out.write(chunk)
    budget.total += written
    budget.last = written


def unpack(uploaded, zip_name, upload, budget):
    """Keep the zip's pages and tables under a folder named after it."""
    try:
        with zipfile.ZipFile(uploaded) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise UploadError(f"{zip_name} holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are read.")
            paths = [(info, member_path(zip_name, info.filename)) for info in members]
            for info, path in paths:
                shown = f"{zip_name}/{path}"
                reason = ignored_reason(path)
                if reason:
                    upload.ignored.append((shown, reason))
                    continue
                if info.flag_bits & 0x1:
                    raise UploadError(f"{shown} is encrypted.")
                budget.check_declared(shown, info.file_size)
                destination = upload.files / zip_name / path
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as member:
                    write(iter(lambda member=member: member.read(CHUNK), b""), destination, shown, budget)
                upload.kept.append((f"{zip_name}/{path}", budget.last))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise UploadError(f"{zip_name} cannot be read as a zip archive: {error}") from error
    except FileExistsError as error:
        raise UploadError(f"{zip_name} holds {Path(error.filename).name} twice.") from error
