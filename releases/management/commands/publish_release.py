from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from releases import publishing, selectors, tasks


class Command(BaseCommand):
    help = (
        "Publish a new release: a numbered, dated, immutable copy of the public interactions and binding sites, "
        "with its files and manifest. Queued as a job for the worker (run_worker) unless --wait."
    )

    def add_arguments(self, parser):
        parser.add_argument("--notes", type=Path, help="A markdown file: the release notes.")
        parser.add_argument(
            "--url",
            default=settings.PORTAL_URL,
            help="The site's public address, named by the manifest and the citation (default: PORTAL_URL).",
        )
        parser.add_argument("--wait", action="store_true", help="Publish here and now, showing progress.")
        parser.add_argument(
            "--if-none",
            action="store_true",
            help="Publish only if no release has been published yet (the demo's setup: make run).",
        )

    def handle(self, *, notes, url, wait, if_none, verbosity, **options):
        self.verbosity = verbosity
        if if_none and selectors.latest() is not None:
            self.stdout.write(f"{selectors.latest()} is published already: nothing to do.")
            return
        base_url = checked_url(url)
        text = read_notes(notes) if notes else ""
        try:
            release = publishing.start(None, text)
        except publishing.PublishingRefused as refusal:
            raise CommandError(str(refusal)) from None
        if not wait:
            job = tasks.queue_publication(release, base_url)
            self.stdout.write(self.style.SUCCESS(f"{job} is queued for {release}; the worker (run_worker) runs it."))
            return
        try:
            release = publishing.publish(release, self.progress, base_url=base_url)
        except Exception as error:
            raise CommandError(
                f"{release} was not published: {type(error).__name__}: {error}. Nothing of it is visible; "
                "run the command again to take it up."
            ) from error
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(tasks.summary(release)))

    def progress(self, done, total):
        if self.verbosity and total:
            self.stderr.write(f"\r{min(done, total) * 100 // total:3d} % ({done:,} of {total:,} rows)", ending="")


def checked_url(url: str) -> str:
    if not url:
        raise CommandError("Give the site's public address: --url https://portal.example.org (or set PORTAL_URL).")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise CommandError(f"--url: {url!r} is not an http(s) address.") from None
    return url.rstrip("/")


def read_notes(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"--notes: cannot read {path}: {error}") from None
