"""The portal's data: organisms, proteins, TF -> target interactions and their evidence."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .parser import ACCESSION_RE, JASPAR_RE
from .querysets import HAS_JOINED_SYMBOLS, EvidenceNameQuerySet, InteractionQuerySet, ProteinQuerySet

validate_accession = RegexValidator(
    f"^(?:{ACCESSION_RE.pattern})$", "Enter a UniProt accession such as P04637 or A0A0B4KHC8."
)


class Organism(models.Model):
    name = models.CharField("scientific name", max_length=200, unique=True)
    taxon_id = models.PositiveIntegerField(
        "NCBI taxon id", unique=True, null=True, blank=True, help_text="NCBI Taxonomy identifier, e.g. 9606."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Protein(models.Model):
    class Provenance(models.TextChoices):
        PAGE = "page", "imported from its protein page"
        ROW = "row", "created from a partner row of another page"
        CURATOR = "curator", "entered by a curator"

    accession = models.CharField("UniProt accession", max_length=10, unique=True, validators=[validate_accession])
    gene_name = models.CharField(
        "gene name",
        max_length=None,
        blank=True,
        db_index=True,
        help_text="Gene or protein symbol; several symbols of one UniProt entry are joined by ';'.",
    )
    organism = models.ForeignKey(Organism, on_delete=models.PROTECT, related_name="proteins")
    jaspar_matrices = models.JSONField(
        "JASPAR matrices", default=list, blank=True, help_text='JASPAR matrix ids, e.g. ["MA0106.3"].'
    )
    reported_interaction_count = models.PositiveIntegerField(
        "interactions reported by the source",
        null=True,
        blank=True,
        help_text="The source's total; a page lists at most 100 partners per list.",
    )
    description = models.TextField(blank=True, help_text="Markdown body of the protein's page.")
    provenance = models.CharField(max_length=10, choices=Provenance.choices, default=Provenance.CURATOR)
    page_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the page and its download tables at their last import.",
    )
    # Counts of its public interactions (every status but rejected), stored so that lists can
    # show, filter and sort by them without counting millions of rows; proteins.counts keeps
    # them right wherever interactions change.
    tf_count = models.PositiveIntegerField(
        "TFs held here", default=0, db_default=0, editable=False, help_text="Its public transcription factors."
    )
    target_count = models.PositiveIntegerField(
        "targets held here", default=0, db_default=0, editable=False, help_text="Its public targets."
    )
    small_scale_count = models.PositiveIntegerField(
        "small-scale interactions",
        default=0,
        db_default=0,
        editable=False,
        help_text="Its public interactions with small-scale evidence, as TF and as target.",
    )
    interaction_count = models.GeneratedField(
        verbose_name="interactions held here",
        expression=F("tf_count") + F("target_count"),
        output_field=models.PositiveIntegerField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProteinQuerySet.as_manager()

    class Meta:
        ordering = ["accession"]
        indexes = [
            models.Index(fields=["organism", "gene_name"]),
            # Browse by most interactions: an organism's proteins read in this order, not sorted.
            models.Index(fields=["organism", "-interaction_count", "id"], name="protein_organism_interactions"),
            # Proteins.objects.identified_by finds proteins by gene name in any case.
            models.Index(Upper("gene_name"), name="protein_gene_name_upper"),
            # Proteins.objects.identified_by finds a symbol of a ';'-joined gene name among these alone.
            models.Index(fields=["gene_name"], condition=HAS_JOINED_SYMBOLS, name="protein_joined_gene_names"),
        ]

    def __str__(self):
        return f"{self.gene_name or '-'} ({self.accession})"

    def get_absolute_url(self):
        return reverse("proteins:protein", args=[self.accession])

    @property
    def display_name(self):
        return self.gene_name or self.accession

    @property
    def is_tf(self):
        return self.target_count > 0

    @property
    def is_target(self):
        return self.tf_count > 0

    @property
    def has_small_scale(self):
        return self.small_scale_count > 0

    @property
    def uniprot_url(self):
        return f"https://www.uniprot.org/uniprotkb/{self.accession}/entry"

    def clean(self):
        from django.core.exceptions import ValidationError

        bad = [matrix for matrix in self.jaspar_matrices or [] if not JASPAR_RE.fullmatch(str(matrix))]
        if bad:
            raise ValidationError({"jaspar_matrices": f"Not JASPAR matrix ids: {', '.join(map(str, bad))}"})


class GeneId(models.Model):
    """One NCBI Gene id of a protein (a UniProt entry can map to several genes)."""

    protein = models.ForeignKey(Protein, on_delete=models.CASCADE, related_name="gene_ids")
    gene_id = models.PositiveIntegerField("NCBI Gene id", db_index=True)

    class Meta:
        verbose_name = "NCBI Gene id"
        ordering = ["gene_id"]
        constraints = [models.UniqueConstraint(fields=["protein", "gene_id"], name="unique_gene_id_per_protein")]

    def __str__(self):
        return str(self.gene_id)


class Ortholog(models.Model):
    """A protein's ortholog in another species, linked to the local protein when present."""

    protein = models.ForeignKey(Protein, on_delete=models.CASCADE, related_name="orthologs")
    accession = models.CharField("UniProt accession", max_length=10, validators=[validate_accession])
    species = models.CharField(max_length=200)
    ortholog = models.ForeignKey(
        Protein,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The portal's entry for this accession, when it has one.",
    )

    class Meta:
        ordering = ["species", "accession"]
        constraints = [models.UniqueConstraint(fields=["protein", "accession"], name="unique_ortholog")]
        indexes = [models.Index(fields=["accession"])]

    def __str__(self):
        return f"{self.accession} ({self.species})"


class SourceDatabase(models.Model):
    name = models.CharField(max_length=100, unique=True)

    objects = EvidenceNameQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="source_database_name_any_case",
                violation_error_message="A source database of this name, in some case, exists already.",
            )
        ]

    def __str__(self):
        return self.name


class DetectionMethod(models.Model):
    name = models.CharField(max_length=300, unique=True)

    objects = EvidenceNameQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="detection_method_name_any_case",
                violation_error_message="A detection method of this name, in some case, exists already.",
            )
        ]

    def __str__(self):
        return self.name


class Publication(models.Model):
    # An integer column on every engine: proteins.parser.MAX_INTEGER is the largest id a page may give.
    pmid = models.PositiveIntegerField("PubMed id", primary_key=True)

    class Meta:
        ordering = ["pmid"]

    def __str__(self):
        return f"PMID:{self.pmid}"

    @property
    def url(self):
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"


class Mode(models.TextChoices):
    """A mode of regulation: what a publication reports, and what an interaction is given."""

    ACTIVATION = "activation", "activation"
    REPRESSION = "repression", "repression"
    DUAL = "dual", "dual (both reported)"
    UNKNOWN = "unknown", "unknown"


class ModeDecision(models.TextChoices):
    """How an interaction's mode was decided (the rule: ``curation.grading.decide_mode``)."""

    REVIEWER = "reviewer", "set by a reviewer"
    PUBLICATIONS = "publications", "majority of the publications curated here"
    SOURCE_TABLE = "source_table", "from a curated source table"
    UNKNOWN = "unknown", "unknown"


class Interaction(models.Model):
    """One transcription factor regulating one target gene, with its evidence."""

    class Status(models.TextChoices):
        UNREVIEWED = "unreviewed", "unreviewed"
        FLAGGED = "flagged", "flagged"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"
        PROPOSED = "proposed", "proposed"  # entered by a curator, waiting for another reviewer

    # The one definition of "public": every status but these is shown to visitors, in the API
    # and downloads, and counted in the stored counts (``public()``, ``is_public_status``,
    # ``proteins.counts``).
    HIDDEN_STATUSES = (Status.REJECTED, Status.PROPOSED)

    class Confidence(models.TextChoices):
        # The rule that sets it: ``curation.grading.CONFIDENCE_LEVELS``.
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"
        E = "E", "E"

    # No single-column indexes on tf, target, organism and status: the composite indexes of Meta
    # start with each of them and serve the same lookups; every index costs the import time.
    tf = models.ForeignKey(
        Protein,
        on_delete=models.CASCADE,
        related_name="interactions_as_tf",
        verbose_name="transcription factor",
        db_index=False,
    )
    target = models.ForeignKey(Protein, on_delete=models.CASCADE, related_name="interactions_as_target", db_index=False)
    organism = models.ForeignKey(
        Organism,
        on_delete=models.PROTECT,
        related_name="interactions",
        help_text="The organism of the TF.",
        db_index=False,
    )
    source_databases = models.ManyToManyField(SourceDatabase, related_name="interactions", blank=True)
    detection_methods = models.ManyToManyField(DetectionMethod, related_name="interactions", blank=True)
    publications = models.ManyToManyField(Publication, related_name="interactions", blank=True)
    small_scale = models.BooleanField(
        "small-scale evidence", default=False, help_text="Supported by small-scale experiments."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNREVIEWED)
    # Mode and confidence are set by ``curation.grading`` from the evidence and the curation
    # (db_default: the import's bulk SQL leaves them to the database).
    mode = models.CharField(
        "mode of regulation",
        max_length=10,
        choices=Mode.choices,
        default=Mode.UNKNOWN,
        db_default=Mode.UNKNOWN,
        help_text="Whether the TF activates or represses the target.",
    )
    mode_decision = models.CharField(
        "mode decided by",
        max_length=12,
        choices=ModeDecision.choices,
        default=ModeDecision.UNKNOWN,
        db_default=ModeDecision.UNKNOWN,
    )
    confidence = models.CharField(
        max_length=1,
        choices=Confidence.choices,
        default=Confidence.E,
        db_default=Confidence.E,
        help_text="A (most trusted) to E, from the evidence and the curation.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Raised on every change; guards concurrent edits.")
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The curator who last edited the evidence; the import never overwrites curated evidence.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = InteractionQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[source_databases, detection_methods, publications],
        # Grades are derived from what the history holds (evidence, status, statements); a
        # reviewer's mode is recorded as a curation event.
        excluded_fields=["created_at", "mode", "mode_decision", "confidence"],
    )

    class Meta:
        ordering = ["tf_id", "target_id"]  # the unique index's order: no join, no sort
        constraints = [models.UniqueConstraint(fields=["tf", "target"], name="unique_tf_target")]
        indexes = [
            # A protein's public rows (status not rejected), their partners and ids, read from the index
            # alone: an entry page counts, filters and sorts a hub's 20,000 targets without the table
            # (SQLite's indexes hold the id anyway; PostgreSQL's include it).
            models.Index(fields=["tf", "status", "target"], include=["id"], name="interaction_tf_status_target"),
            models.Index(fields=["target", "status", "tf"], include=["id"], name="interaction_target_status_tf"),
            models.Index(fields=["organism", "status"]),
            # An organism's rows in id order: the API's keyset pages of one organism walk this index
            # from the cursor on instead of sorting all the organism's rows (the status is read from
            # it on PostgreSQL; SQLite reads 100 table rows).
            models.Index(fields=["organism", "id"], include=["status"], name="interaction_organism_id"),
            # The review queue: one status, newest or oldest first, read in index order.
            models.Index(fields=["status", "updated_at"], name="interaction_status_updated"),
        ]

    def __str__(self):
        return f"{self.tf.display_name} → {self.target.display_name}"

    def get_absolute_url(self):
        return reverse("proteins:interaction", args=[self.tf.accession, self.target.accession])

    @classmethod
    def is_public_status(cls, status: str) -> bool:
        """Whether an interaction in ``status`` is shown to the public."""
        return status not in cls.HIDDEN_STATUSES

    @property
    def under_review(self):
        return self.status == self.Status.FLAGGED


class Statement(models.Model):
    """What one publication states about an interaction: the mode of regulation it reports and the
    sentence quoted from it, as read by a curator here or by a curated source table (TRRUST).

    One per interaction, publication and source: the portal itself is the source of what its
    curators read (``settings.PORTAL_NAME``, ``SourceDatabase.objects.portal()``).
    """

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="statements")
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="statements")
    source = models.ForeignKey(
        SourceDatabase,
        on_delete=models.PROTECT,
        related_name="statements",
        help_text="Who read the publication: the portal's curators, or a source table such as TRRUST.",
    )
    mode = models.CharField(
        "mode of regulation",
        max_length=10,
        choices=Mode.choices,
        default=Mode.UNKNOWN,
        help_text="The mode the publication reports.",
    )
    sentence = models.TextField(blank=True, help_text="The sentence of the publication that states the interaction.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["interaction", "publication", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "publication", "source"], name="one_statement_per_publication_and_source"
            )
        ]

    def __str__(self):
        return f"{self.publication} on {self.interaction_id}: {self.mode}"


class BindingSite(models.Model):
    class Strand(models.TextChoices):
        PLUS = "+", "+"
        MINUS = "-", "-"
        UNKNOWN = "", "unknown"

    tflink_id = models.CharField("TFLink id", max_length=40, unique=True)
    tf = models.ForeignKey(
        Protein, on_delete=models.CASCADE, related_name="binding_sites", verbose_name="transcription factor"
    )
    assembly = models.CharField("genome assembly", max_length=40, blank=True)
    chromosome = models.CharField(max_length=100, blank=True, help_text="Empty for a site without a genome location.")
    start = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Empty for a site without a genome location (known from in-vitro experiments)."
    )
    end = models.PositiveBigIntegerField(null=True, blank=True)
    strand = models.CharField(
        max_length=1, choices=Strand.choices, blank=True, help_text="Imported pages give '+' or an unknown strand."
    )
    sequence = models.TextField(blank=True)
    score = models.IntegerField(null=True, blank=True, help_text="Last column of the page row, kept verbatim.")
    source_databases = models.ManyToManyField(SourceDatabase, related_name="binding_sites", blank=True)
    detection_methods = models.ManyToManyField(DetectionMethod, related_name="binding_sites", blank=True)
    publications = models.ManyToManyField(Publication, related_name="binding_sites", blank=True)
    small_scale = models.BooleanField("small-scale evidence", default=False)

    class Meta:
        ordering = ["tflink_id"]
        indexes = [models.Index(fields=["assembly", "chromosome", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(start__isnull=False, end__isnull=False),
                name="binding_site_start_and_end",
                violation_error_message="Give both start and end, or neither for a site without a genome location.",
            )
        ]

    def __str__(self):
        return self.tflink_id

    @property
    def has_location(self):
        """Whether the site has a genome location (sites known from in-vitro experiments have none)."""
        return self.start is not None

    @property
    def location(self):
        """``chr15:33630318-33630355``, or None."""
        return f"{self.chromosome}:{self.start}-{self.end}" if self.has_location else None

    @property
    def genome_browser_url(self):
        """The site in the UCSC Genome Browser, or None without a location and assembly."""
        if not (self.has_location and self.assembly):
            return None
        query = urlencode({"db": self.assembly, "position": self.location}, safe=":")
        return f"https://genome.ucsc.edu/cgi-bin/hgTracks?{query}"


class ImportRun(models.Model):
    """One run of the importer (the command or an upload) and what it did."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    paths = models.TextField(help_text="What was given to import, one path per line.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_runs",
        help_text="The staff member who uploaded the pages; empty for the import_pages command.",
    )
    pages_read = models.PositiveIntegerField(default=0)
    pages_created = models.PositiveIntegerField(default=0)
    pages_updated = models.PositiveIntegerField(default=0)
    pages_unchanged = models.PositiveIntegerField(default=0)
    pages_failed = models.PositiveIntegerField(default=0)
    interactions_created = models.PositiveIntegerField(default=0)
    interactions_updated = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the run stopped before its end; empty when it ran through.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Import of {self.started_at:%Y-%m-%d %H:%M}"


class ModeTableRun(models.Model):
    """One import of a mode-of-regulation table (TRRUST's format) for one organism, and what it did.

    Written by ``curation.mode_tables.import_mode_table`` (``manage.py import_modes``, the
    admin's upload) in the import's transaction; dry runs leave none.
    """

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    path = models.CharField(max_length=1000, help_text="The table imported (its file name when uploaded).")
    organism = models.ForeignKey(Organism, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=100, help_text="The source database its statements are credited to.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who uploaded the table; empty for the import_modes command.",
    )
    create_missing = models.BooleanField(
        "created missing pairs", default=False, help_text="Pairs the portal did not hold were created."
    )
    rows_read = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField("duplicate lines", default=0)
    rows_refused = models.PositiveIntegerField("bad rows", default=0)
    rows_unmatched = models.PositiveIntegerField("unmatched or ambiguous rows", default=0)
    statements_created = models.PositiveIntegerField(default=0)
    statements_updated = models.PositiveIntegerField(default=0)
    statements_unchanged = models.PositiveIntegerField(default=0)
    interactions_given_evidence = models.PositiveIntegerField(default=0)
    changes_held = models.PositiveIntegerField(
        "source changes held", default=0, help_text="Changes of curated interactions held for curators."
    )
    pairs_missing = models.PositiveIntegerField(default=0, help_text="Pairs of the table the portal did not hold.")
    pairs_created = models.PositiveIntegerField(default=0)
    problems = models.TextField(blank=True, help_text="Each row skipped: FILE:LINE: reason.")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.source} table for {self.organism} at {self.started_at:%Y-%m-%d %H:%M}"


class Job(models.Model):
    """A piece of long work the worker runs outside the web request (``manage.py run_worker``):
    what it is, where it stands, what it did or why it failed.

    Written by ``proteins.jobs`` (the same for every task backend); the task itself is one of
    ``proteins.tasks`` or ``curation.tasks``.  ``arguments`` holds what the task needs, such as the
    folder of staged files, which stays until the job succeeds so that a failed job can run again.
    """

    class Kind(models.TextChoices):
        PAGES = "pages", "import of uploaded pages"
        SPREADSHEET = "spreadsheet", "import of a spreadsheet"
        MODE_TABLE = "mode_table", "import of a mode table"
        RECOUNT = "recount", "recount of interactions"
        RELEASE = "release", "publication of a release"

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    description = models.CharField(max_length=1000, blank=True, help_text="What the job works on (files, table).")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who asked for it; empty for a command.",
    )
    arguments = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started it.")
    done = models.PositiveIntegerField(default=0, help_text="Pages or rows done so far.")
    total = models.PositiveIntegerField(default=0, help_text="Pages or rows to do; 0 when not known.")
    result = models.TextField(blank=True, help_text="What the job did, when it ran through.")
    error = models.TextField(blank=True, help_text="Why its last attempt failed.")
    import_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mode_table_run = models.ForeignKey(ModeTableRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display().capitalize()} #{self.pk}"


class DeferredIndex(models.Model):
    """A secondary index a large import into empty tables set aside, to be built again after it.

    Kept in the database, in the transaction that drops the index: an import that is killed
    leaves these rows, and the next import builds the indexes first (see
    ``proteins.importing.deferred_indexes``).
    """

    name = models.CharField(max_length=200, unique=True)
    table = models.CharField(max_length=200)
    sql = models.TextField(help_text="The statement that builds the index again.")
    run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    deferred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deferred indexes"

    def __str__(self):
        return f"{self.name} on {self.table}"


class ImportRecord(models.Model):
    """What an import did with one page: created, updated or failed (and why)."""

    class Outcome(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        FAILED = "failed", "failed"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="records")
    path = models.CharField(max_length=1000)
    content_hash = models.CharField(max_length=64, blank=True)
    accession = models.CharField(max_length=10, blank=True, db_index=True)
    protein = models.ForeignKey(Protein, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField(blank=True, help_text="Why the page failed: file, field, row and reason.")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "path"]
        indexes = [models.Index(fields=["outcome", "imported_at"])]

    def __str__(self):
        return f"{self.path}: {self.outcome}"


class SitePage(models.Model):
    """A content page of the public site (home text, about, FAQ, ...), written in markdown by staff."""

    slug = models.SlugField(unique=True, help_text="Its address: /pages/<slug>/. The slug 'home' is the home text.")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown. Raw HTML is not rendered.")
    in_menu = models.BooleanField("in the menu", default=True)
    menu_order = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["menu_order", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.slug == "home":
            return reverse("proteins:home")
        return reverse("proteins:site_page", args=[self.slug])
