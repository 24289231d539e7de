"""Spreadsheets of proteins and interactions (CSV, TSV, XLSX) for the admin, with django-import-export.

Exports read their rows a chunk at a time in id order (keyset, never OFFSET), each chunk
with its related rows fetched in a fixed number of queries: none per row.

Imports keep the curation rules, which ``curation.workflow`` alone applies:

- an interaction's ``status`` (and ``version``) is exported, never imported;
- a row of a new TF -> target pair creates an unreviewed interaction; a row of an
  unreviewed interaction that no curator has edited replaces its evidence with the row's;
  either way the importing user becomes its last editor (``curation.workflow.EvidenceChange``:
  they cannot approve it, and a curation event records the file and row);
- a row of a curated interaction (reviewed, or evidence edited by a curator) is skipped,
  and the preview and the final message say so: its evidence changes go through curation;
- a row whose ``version`` is not the interaction's is refused: it was exported before
  someone changed the interaction, and importing it would undo that change.

Multiple values in one cell (sources, methods, PubMed ids, NCBI Gene ids, JASPAR matrices)
are joined by ``;``, as on TFLink's pages.

Imported names are data, never formulae: the admin's formats (``proteins.spreadsheet_formats``)
write a text that a spreadsheet program would compute (``=1+2``, ``+…``, ``-…``, ``@…``) as text.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from import_export import fields, resources, widgets

from curation import grading, rules, workflow

from . import counts
from .models import DetectionMethod, GeneId, Interaction, Organism, Protein, Publication, SourceDatabase
from .parser import ACCESSION_RE

SEPARATOR = ";"
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0", ""})


def cell_text(value):
    """A cell as text: spreadsheets give whole numbers as floats (9733765.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class ListWidget(widgets.Widget):
    """Several values in one cell, joined by ';'; repeated values are kept once."""

    def clean(self, value, row=None, **kwargs):
        parts = (self.clean_part(part.strip()) for part in cell_text(value).split(SEPARATOR))
        return list(dict.fromkeys(part for part in parts if part not in ("", None)))

    def clean_part(self, part):
        return part

    def render(self, value, obj=None, **kwargs):
        return SEPARATOR.join(str(item) for item in value or [])


class NumberListWidget(ListWidget):
    """Whole numbers joined by ';' (PubMed ids, NCBI Gene ids); ``prefix`` (PMID:) is accepted."""

    def __init__(self, what, prefix=None, **kwargs):
        self.what = what
        self.prefix = prefix
        super().__init__(**kwargs)

    def clean_part(self, part):
        if self.prefix and part.upper().startswith(self.prefix):
            part = part[len(self.prefix) :]
        if not part:
            return None
        if not (part.isascii() and part.isdecimal()):
            raise ValueError(f"not {self.what}: {part!r}")
        return int(part)


class YesNoWidget(widgets.Widget):
    """A flag written Yes / No, as TFLink writes small-scale evidence."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(f"expected Yes or No, found {text!r}")

    def render(self, value, obj=None, **kwargs):
        return "Yes" if value else "No"


class AccessionWidget(widgets.ForeignKeyWidget):
    """A protein named by its UniProt accession; it must be held here already."""

    def __init__(self, **kwargs):
        super().__init__(Protein, field="accession", **kwargs)

    def clean(self, value, row=None, **kwargs):
        accession = cell_text(value).upper()
        if not accession:
            raise ValueError("a UniProt accession is required")
        if not ACCESSION_RE.fullmatch(accession):
            raise ValueError(f"not a UniProt accession: {accession!r}")
        try:
            return Protein.objects.get(accession=accession)
        except Protein.DoesNotExist:
            raise ValueError(
                f"no protein {accession} here: import its page, or add it (Proteins: import), first"
            ) from None


class OrganismWidget(widgets.ForeignKeyWidget):
    """An organism named by its scientific name; it must be held here already."""

    def __init__(self, **kwargs):
        super().__init__(Organism, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        name = cell_text(value)
        try:
            return Organism.objects.get(name=name)
        except Organism.DoesNotExist:
            known = ", ".join(Organism.objects.values_list("name", flat=True))
            raise ValueError(f"unknown organism {name!r}; known: {known}") from None


def evidence_key(values):
    """Evidence values as compared: names in any case are one name (``SourceDatabase.objects.for_names``)."""
    return sorted(value.lower() if isinstance(value, str) else value for value in values)


class KeysetExportMixin:
    """Exports in chunks of ``chunk_size`` rows by ascending id: a few queries per chunk."""

    chunk_size = 2000

    def filter_export(self, queryset, **kwargs):
        return self.with_related(queryset)

    def with_related(self, queryset):
        return queryset

    def iter_queryset(self, queryset):
        if not isinstance(queryset, QuerySet):
            yield from queryset
            return
        queryset = queryset.order_by("pk")
        last = None
        while True:
            chunk = list((queryset if last is None else queryset.filter(pk__gt=last))[: self.chunk_size])
            yield from chunk
            if len(chunk) < self.chunk_size:
                return
            last = chunk[-1].pk


class ProteinResource(KeysetExportMixin, resources.ModelResource):
    """Proteins by UniProt accession: a row creates the protein or updates its fields."""

    accession = fields.Field("accession", "accession")
    gene_name = fields.Field("gene_name", "gene_name", widget=widgets.CharWidget())
    ncbi_gene_ids = fields.Field(column_name="ncbi_gene_ids", widget=NumberListWidget("an NCBI Gene id"))
    organism = fields.Field("organism", "organism", widget=OrganismWidget())
    taxon_id = fields.Field("organism__taxon_id", "taxon_id", readonly=True)
    jaspar_matrices = fields.Field("jaspar_matrices", "jaspar_matrices", widget=ListWidget())
    reported_interaction_count = fields.Field(
        "reported_interaction_count", "reported_interaction_count", widget=widgets.IntegerWidget()
    )
    provenance = fields.Field("provenance", "provenance", readonly=True)

    class Meta:
        model = Protein
        import_id_fields = ["accession"]
        fields = [
            "accession",
            "gene_name",
            "ncbi_gene_ids",
            "organism",
            "taxon_id",
            "jaspar_matrices",
            "reported_interaction_count",
            "provenance",
        ]
        clean_model_instances = True
        skip_unchanged = True

    def with_related(self, queryset):
        return queryset.select_related("organism").prefetch_related("gene_ids")

    def get_user_visible_fields(self):
        return [field for field in super().get_user_visible_fields() if not field.readonly]

    def dehydrate_ncbi_gene_ids(self, protein):
        imported = getattr(protein, "imported_gene_ids", None)
        if imported is not None:
            return SEPARATOR.join(map(str, imported))
        if protein.pk is None:
            return ""
        return SEPARATOR.join(str(gene.gene_id) for gene in protein.gene_ids.all())

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        field = self.fields["ncbi_gene_ids"]
        if field.column_name in row:
            try:
                instance.imported_gene_ids = field.widget.clean(row[field.column_name])
            except ValueError as error:
                errors["ncbi_gene_ids"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        imported = getattr(instance, "imported_gene_ids", None)
        if (
            imported is not None
            and original.pk is not None
            and sorted(imported) != sorted(gene.gene_id for gene in original.gene_ids.all())
        ):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_save_instance(self, instance, row, **kwargs):
        imported = getattr(instance, "imported_gene_ids", None)
        if imported is None or (kwargs.get("dry_run") and not kwargs.get("using_transactions")):
            return
        GeneId.objects.filter(protein=instance).exclude(gene_id__in=imported).delete()
        GeneId.objects.bulk_create(
            [GeneId(protein=instance, gene_id=gene_id) for gene_id in imported], ignore_conflicts=True
        )

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not (kwargs.get("dry_run") and not kwargs.get("using_transactions")):
            counts.forget_summaries()  # the organisms' numbers of proteins


# Each kind of evidence: its column's field, the interaction's relation, the model of its values, their key.
EVIDENCE = (
    ("source_databases", "source_databases", SourceDatabase, "name"),
    ("detection_methods", "detection_methods", DetectionMethod, "name"),
    ("pubmed_ids", "publications", Publication, "pmid"),
)


class InteractionResource(KeysetExportMixin, resources.ModelResource):
    """Interactions by TF and target accession; see the module docstring for what an import may change."""

    tf_accession = fields.Field("tf", "tf_accession", widget=AccessionWidget())
    target_accession = fields.Field("target", "target_accession", widget=AccessionWidget())
    tf_name = fields.Field("tf__gene_name", "tf_name", readonly=True)
    target_name = fields.Field("target__gene_name", "target_name", readonly=True)
    organism = fields.Field("organism__name", "organism", readonly=True)
    source_databases = fields.Field(column_name="source_databases", widget=ListWidget())
    detection_methods = fields.Field(column_name="detection_methods", widget=ListWidget())
    pubmed_ids = fields.Field(column_name="pubmed_ids", widget=NumberListWidget("a PubMed id", prefix="PMID:"))
    small_scale = fields.Field("small_scale", "small_scale", widget=YesNoWidget())
    status = fields.Field("status", "status", readonly=True)
    version = fields.Field("version", "version", readonly=True, widget=widgets.IntegerWidget())

    class Meta:
        model = Interaction
        import_id_fields = ["tf_accession", "target_accession"]
        fields = [
            "tf_accession",
            "target_accession",
            "tf_name",
            "target_name",
            "organism",
            "source_databases",
            "detection_methods",
            "pubmed_ids",
            "small_scale",
            "status",
            "version",
        ]
        clean_model_instances = True

    def with_related(self, queryset):
        return queryset.select_related("tf", "target", "organism").prefetch_related(
            "source_databases", "detection_methods", "publications"
        )

    def get_user_visible_fields(self):
        return [field for field in super().get_user_visible_fields() if not field.readonly]

    # Export: a row's evidence; during an import, the evidence the row would give it.

    def evidence(self, interaction, name):
        imported = getattr(interaction, "imported_evidence", {})
        if name in imported:
            return imported[name]
        if interaction.pk is None:
            return []
        _name, relation, _model, key = next(kind for kind in EVIDENCE if kind[0] == name)
        return [getattr(value, key) for value in getattr(interaction, relation).all()]

    def dehydrate_source_databases(self, interaction):
        return SEPARATOR.join(self.evidence(interaction, "source_databases"))

    def dehydrate_detection_methods(self, interaction):
        return SEPARATOR.join(self.evidence(interaction, "detection_methods"))

    def dehydrate_pubmed_ids(self, interaction):
        return SEPARATOR.join(map(str, self.evidence(interaction, "pubmed_ids")))

    # Import.

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        if kwargs.get("user") is None:
            raise ValueError("an import of interactions needs the user who makes it: they become its last editor")
        self.saved_proteins = set()  # the TFs and targets of the rows saved: their counts change
        self.saved_interactions = set()  # graded again once, after the import

    def before_import_row(self, row, **kwargs):
        self.skip_reason = ""

    def import_instance(self, instance, row, **kwargs):
        if instance.pk is not None and rules.is_curated(instance.status, instance.last_edited_by_id):
            return  # skipped in skip_row: nothing of the row is read
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.pk is None and instance.tf_id is not None:
            instance.organism_id = instance.tf.organism_id
        instance.imported_evidence = {}
        for name, *_rest in EVIDENCE:
            field = self.fields[name]
            if field.column_name in row:
                try:
                    instance.imported_evidence[name] = field.widget.clean(row[field.column_name])
                except ValueError as error:
                    errors[name] = [str(error)]
        stale = self.stale_version(instance, row)
        if stale:
            errors["version"] = [stale]
        if errors:
            raise ValidationError(errors)

    def stale_version(self, interaction, row):
        """Why the row's version refuses it, or "" (no version given, or the current one)."""
        column = self.fields["version"].column_name
        if interaction.pk is None or cell_text(row.get(column)) == "":
            return ""
        try:
            given = int(cell_text(row[column]))
        except ValueError:
            return f"not a version number: {row[column]!r}"
        if given != interaction.version:
            return (
                f"exported at version {given}, but the interaction is now at version {interaction.version}: "
                "export it again and redo the change"
            )
        return ""

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        if original.pk is not None and rules.is_curated(original.status, original.last_edited_by_id):
            self.skip_reason = (
                f"curated ({original.status}{', evidence edited by a curator' if original.last_edited_by_id else ''}): "
                "left as it is; change its evidence through curation"
            )
            return True
        if original.pk is not None and self.unchanged(instance, original):
            self.skip_reason = "unchanged"
            return True
        return False

    def unchanged(self, instance, original):
        if instance.small_scale != original.small_scale:
            return False
        return all(
            evidence_key(values) == evidence_key(self.evidence(original, name))
            for name, values in instance.imported_evidence.items()
        )

    def after_import_row(self, row, row_result, **kwargs):
        row_result.note = self.skip_reason

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is not None:
            # Lock the row and check that no one curated or changed it since it was read.
            try:
                current = rules.lock(instance.pk, instance.version)
            except rules.ConcurrentEdit:
                current = None
            if current is None or rules.is_curated(current.status, current.last_edited_by_id):
                raise ValueError("the interaction changed during the import; import the file again")
        # The importing user becomes its last editor, as in every change of evidence (they cannot approve it).
        instance.evidence_change = workflow.EvidenceChange(
            instance,
            kwargs["user"],
            f"spreadsheet import: {kwargs.get('file_name') or 'a file'}, row {kwargs.get('row_number')}",
            history_reason="spreadsheet import",
        )

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        if kwargs.get("dry_run") and not kwargs.get("using_transactions"):
            return
        instance.evidence_change.record(refresh=False)  # graded and counted in after_import, once for every row
        self.saved_proteins.update((instance.tf_id, instance.target_id))
        self.saved_interactions.add(instance.pk)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not (kwargs.get("dry_run") and not kwargs.get("using_transactions")):
            grading.regrade(self.saved_interactions)
            counts.interactions_changed(self.saved_proteins)

    def save_m2m(self, instance, row, **kwargs):
        if kwargs.get("dry_run") and not kwargs.get("using_transactions"):
            return
        for name, relation, model, key in EVIDENCE:
            if name not in instance.imported_evidence:
                continue
            values = instance.imported_evidence[name]
            if model is Publication:
                model.objects.bulk_create([model(**{key: value}) for value in values], ignore_conflicts=True)
                getattr(instance, relation).set(model.objects.filter(**{f"{key}__in": values}))
            else:  # names in any case: one row each
                getattr(instance, relation).set(model.objects.for_names(values).values())
