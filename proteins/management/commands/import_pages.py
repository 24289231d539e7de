import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from proteins.importing.reading import default_jobs, find_pages
from proteins.importing.run import import_pages


class Command(BaseCommand):
    help = (
        "Import TFLink protein pages (markdown files with YAML front matter) from files or folders. "
        "Download tables named by a page and found beside it extend the page to its full lists."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Page files (.md) or folders searched recursively.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument(
            "--jobs", type=int, default=default_jobs(), help="Processes that parse pages (default: %(default)s)."
        )
        parser.add_argument("--batch-size", type=int, default=200, help="Pages written per transaction.")
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="Progress bar on standard error: auto shows it on a terminal only.",
        )

    def handle(self, *, paths, dry_run, jobs, batch_size, progress, **options):
        if batch_size < 1 or jobs < 1:
            raise CommandError("--jobs and --batch-size must be at least 1.")
        show = progress == "always" or (progress == "auto" and sys.stderr.isatty())
        files, _missing = find_pages(paths)
        with tqdm(total=len(files), unit="page", disable=not show, file=sys.stderr) as bar:
            report = import_pages(
                paths, dry_run=dry_run, jobs=jobs, batch_size=batch_size, on_page=lambda _path: bar.update()
            )
        for error in report.failures:
            self.stderr.write(f"FAILED {error}")
        style = self.style.ERROR if report.failures else self.style.SUCCESS
        prefix = "Dry run, nothing written. " if dry_run else ""
        self.stdout.write(style(prefix + report.summary()))
        if report.failures:
            sys.exit(1)
