"""Releases: numbered, dated, immutable copies of what the public sees, that a paper can cite.

A release holds its own copy of every public interaction and binding site at the moment it
was published (``ReleaseInteraction``, ``ReleaseBindingSite``: the fields of the export
records, names and evidence frozen as text), so later curation, imports or renames change
nothing in it.  Its files (``ReleaseFile``) are written once and never again.  Written only
by ``releases.publishing``; nothing edits a published release but its notes and DOI.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from proteins.models import Interaction, Mode, ModeDecision, Organism

# The separator of several values frozen in one text column (sources, methods, PubMed ids, gene
# ids): page rows use it between values, so no name holds it.
SEPARATOR = ";"
# The columns of a frozen row after its release, live id and organism, in the order ``freezing``
# writes them and ``selectors`` reads them (the export records' fields).
INTERACTION_RECORD_COLUMNS = (
    "tf_accession",
    "tf_name",
    "tf_gene_ids",
    "target_accession",
    "target_name",
    "target_gene_ids",
    "target_organism",
    "source_databases",
    "detection_methods",
    "pmids",
    "small_scale",
    "status",
    "mode",
    "mode_decision",
    "confidence",
    "updated_at",
)
# The columns of a frozen binding site after its release and organism.
SITE_RECORD_COLUMNS = (
    "tflink_id",
    "tf_accession",
    "tf_name",
    "assembly",
    "chromosome",
    "start",
    "end",
    "strand",
    "source_databases",
    "detection_methods",
    "pmids",
    "small_scale",
)


class Release(models.Model):
    class State(models.TextChoices):
        BUILDING = "building", "being built"
        PUBLISHED = "published", "published"
        FAILED = "failed", "failed"

    number = models.PositiveIntegerField(unique=True, help_text="1, 2, 3 ...: its address is /releases/<number>/.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUILDING)
    notes = models.TextField(blank=True, help_text="Release notes, in markdown (raw HTML is not rendered).")
    doi = models.CharField(
        "DOI", max_length=200, blank=True, help_text="A DOI minted for this release (e.g. 10.5281/zenodo.123), if any."
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The release before it: its difference is computed from this one.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="The moment its copy was taken: the date to cite."
    )
    last_event_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The last curation event its copy includes: the acts between two releases are those after "
        "the earlier one's and up to the later one's.",
    )
    figures = models.JSONField(
        default=dict,
        blank=True,
        help_text="Counts computed at publication: per organism, source database, mode, confidence and status.",
    )
    difference = models.JSONField(
        default=dict,
        blank=True,
        help_text="Counts of its difference from the previous release: added, withdrawn, changed, curation acts.",
    )
    error = models.TextField(blank=True, help_text="Why building it failed.")

    class Meta:
        ordering = ["-number"]
        permissions = [("publish_release", "Can publish a release")]

    def __str__(self):
        return f"Release {self.number}"

    def get_absolute_url(self):
        return reverse("releases:detail", args=[self.number])

    @property
    def is_published(self):
        return self.state == self.State.PUBLISHED


class ReleaseInteraction(models.Model):
    """One public interaction as a release froze it: the fields of ``proteins.exports.InteractionRecord``."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="interactions", db_index=False)
    interaction_id = models.BigIntegerField(help_text="The live interaction's id (it may have changed or gone since).")
    organism = models.ForeignKey(Organism, on_delete=models.PROTECT, related_name="+", db_index=False)
    tf_accession = models.CharField(max_length=10)
    tf_name = models.CharField(max_length=500, blank=True)
    tf_gene_ids = models.TextField(blank=True, help_text="NCBI Gene ids, ';'-joined.")
    target_accession = models.CharField(max_length=10)
    target_name = models.CharField(max_length=500, blank=True)
    target_gene_ids = models.TextField(blank=True)
    target_organism = models.CharField(max_length=200, blank=True, help_text="Empty when it is the TF's organism.")
    source_databases = models.TextField(blank=True, help_text="Names, sorted, ';'-joined.")
    detection_methods = models.TextField(blank=True, help_text="Names, sorted, ';'-joined.")
    pmids = models.TextField("PubMed ids", blank=True, help_text="Ascending, ';'-joined.")
    small_scale = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Interaction.Status.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    mode_decision = models.CharField(max_length=12, choices=ModeDecision.choices)
    confidence = models.CharField(max_length=1, choices=Interaction.Confidence.choices)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release", "id"]
        constraints = [
            # One row per live interaction: the differences between releases join on it.
            models.UniqueConstraint(fields=["release", "interaction_id"], name="release_interaction_once")
        ]
        indexes = [
            # A release's rows of one organism in the live ids' order (the keyset pages of the API and
            # of the streams, ``selectors.interaction_records``: the whole release's come from the
            # unique constraint), and by protein.
            models.Index(fields=["release", "organism", "interaction_id"], name="release_interaction_organism"),
            models.Index(fields=["release", "tf_accession"], name="release_interaction_tf"),
            models.Index(fields=["release", "target_accession"], name="release_interaction_target"),
        ]

    def __str__(self):
        return f"{self.tf_accession} → {self.target_accession} in release {self.release_id}"


class ReleaseBindingSite(models.Model):
    """One binding site as a release froze it: the fields of ``proteins.exports.BindingSiteRecord``."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="binding_sites", db_index=False)
    organism = models.ForeignKey(Organism, on_delete=models.PROTECT, related_name="+", db_index=False)
    tflink_id = models.CharField("TFLink id", max_length=40)
    tf_accession = models.CharField(max_length=10)
    tf_name = models.CharField(max_length=500, blank=True)
    assembly = models.CharField(max_length=40, blank=True)
    chromosome = models.CharField(max_length=100, blank=True)
    start = models.PositiveBigIntegerField(null=True, blank=True)
    end = models.PositiveBigIntegerField(null=True, blank=True)
    strand = models.CharField(max_length=1, blank=True)
    source_databases = models.TextField(blank=True)
    detection_methods = models.TextField(blank=True)
    pmids = models.TextField("PubMed ids", blank=True)
    small_scale = models.BooleanField(default=False)

    class Meta:
        ordering = ["release", "id"]
        constraints = [models.UniqueConstraint(fields=["release", "tflink_id"], name="release_binding_site_once")]
        indexes = [models.Index(fields=["release", "organism", "id"], name="release_site_organism")]

    def __str__(self):
        return f"{self.tflink_id} in release {self.release_id}"


class ReleaseFile(models.Model):
    """A file of a release (one format, one organism or all), written once through the storage API."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    organism = models.ForeignKey(
        Organism, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Empty: every organism."
    )
    format = models.CharField(max_length=20, help_text="A key of proteins.downloads.FORMATS, or 'manifest'.")
    name = models.CharField(max_length=200, help_text="Its file name in the release, part of its stable address.")
    storage_name = models.CharField(max_length=500, help_text="Its name in the storage (STORAGES['releases']).")
    size = models.PositiveBigIntegerField(help_text="Bytes, as stored (compressed).")
    sha256 = models.CharField("SHA-256", max_length=64)
    rows = models.PositiveBigIntegerField(null=True, blank=True, help_text="Data rows it holds.")

    class Meta:
        ordering = ["release", "organism__name", "format"]
        constraints = [models.UniqueConstraint(fields=["release", "name"], name="release_file_name_once")]

    def __str__(self):
        return f"{self.name} of release {self.release.number}"

    def get_absolute_url(self):
        return reverse("releases:file", args=[self.release.number, self.name])
