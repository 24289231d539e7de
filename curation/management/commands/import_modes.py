"""``manage.py import_modes FILE --organism 9606``: modes of regulation from a TRRUST-format table."""

from django.core.management.base import BaseCommand, CommandError

from curation.mode_tables import TRRUST, find_organism, import_mode_table
from proteins.models import Organism


class Command(BaseCommand):
    help = (
        "Import the modes of regulation of a TRRUST-format table (TF, target, Activation/Repression/Unknown, "
        "PubMed ids) for one organism. Prints a summary and each skipped row as FILE:LINE: reason; exits 1 "
        "when a row could not be read (unmatched or ambiguous symbols are reported, not failures)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The table (tab-separated, with or without its header line).")
        parser.add_argument("--organism", required=True, help="NCBI taxon id (9606) or scientific name (Homo sapiens).")
        parser.add_argument("--source", default=TRRUST, help=f"Source database of its statements (default {TRRUST}).")
        parser.add_argument(
            "--create-missing", action="store_true", help="Create the pairs the portal does not hold, unreviewed."
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")

    def handle(self, *args, **options):
        try:
            organism = find_organism(options["organism"])
        except Organism.DoesNotExist:
            raise CommandError(f"No organism of taxon id or name {options['organism']!r}.") from None
        try:
            report = import_mode_table(
                options["file"],
                organism,
                source=options["source"],
                create_missing=options["create_missing"],
                dry_run=options["dry_run"],
            )
        except OSError as error:
            raise CommandError(f"{options['file']}: {error.strerror or error}") from None
        for problem in report.problems:
            self.stderr.write(str(problem))
        if options["verbosity"] > 1:
            for tf, target in report.missing_pairs:
                self.stdout.write(f"not held: {tf} -> {target}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        for what, number in report.summary():
            self.stdout.write(f"{what}: {number}")
        if not report.changed:
            self.stdout.write("Nothing changed." if not report.dry_run else "Nothing would change.")
        if report.refused:
            raise CommandError(f"{len(report.refused)} row(s) of {report.path} could not be read (listed above).")
