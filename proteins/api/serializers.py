"""JSON representations of the API (read-only).

``InteractionSerializer`` serializes ``proteins.exports.InteractionRecord`` values (read a
page at a time by ``proteins.selectors.streams.interaction_records``, no model instances) with
``proteins.exports.interaction_json``, the function that writes the lines of NDJSON: a JSON
page and an NDJSON stream hold equal rows.  Its fields describe that object in the schema.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import exports
from ..models import BindingSite, DetectionMethod, Interaction, Organism, Ortholog, Protein, SourceDatabase


class OrganismReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organism
        fields = ["name", "taxon_id"]


class OrganismSerializer(serializers.ModelSerializer):
    proteins = serializers.SerializerMethodField(help_text="Proteins held here.")
    interactions = serializers.SerializerMethodField(help_text="Public interactions (all but rejected ones).")

    class Meta:
        model = Organism
        fields = ["name", "taxon_id", "proteins", "interactions"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_proteins(self, organism):
        return self.context["counts"].get(organism.pk, {}).get("proteins", 0)

    @extend_schema_field(OpenApiTypes.INT)
    def get_interactions(self, organism):
        return self.context["counts"].get(organism.pk, {}).get("interactions", 0)


class SourceDatabaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = SourceDatabase
        fields = ["id", "name"]


class DetectionMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = DetectionMethod
        fields = ["id", "name"]


def names(source=None, help_text=""):
    return serializers.SlugRelatedField(
        source=source, slug_field="name", many=True, read_only=True, help_text=help_text
    )


def pmids():
    return serializers.SlugRelatedField(
        source="publications", slug_field="pmid", many=True, read_only=True, help_text="PubMed ids."
    )


def gene_ids():
    return serializers.SlugRelatedField(slug_field="gene_id", many=True, read_only=True, help_text="NCBI Gene ids.")


class ProteinReferenceSerializer(serializers.ModelSerializer):
    gene_ids = gene_ids()

    class Meta:
        model = Protein
        fields = ["accession", "gene_name", "gene_ids"]


class InteractionSerializer(serializers.ModelSerializer):
    """One interaction with its evidence, from an ``InteractionRecord`` (read with ``dates=True``)."""

    tf = ProteinReferenceSerializer(help_text="The transcription factor.")
    target = ProteinReferenceSerializer(help_text="The target gene.")
    organism = OrganismReferenceSerializer(help_text="The organism of the TF.")
    source_databases = names(help_text="Source databases reporting it.")
    detection_methods = names(help_text="Detection methods.")
    pmids = pmids()

    class Meta:
        model = Interaction
        fields = [
            "id",
            "tf",
            "target",
            "organism",
            "source_databases",
            "detection_methods",
            "pmids",
            "small_scale",
            "status",
            "mode",
            "mode_decision",
            "confidence",
            "updated_at",
        ]
        extra_kwargs = {
            "mode_decision": {"help_text": "How the mode was decided (see the FAQ)."},
            "confidence": {"help_text": "A (most trusted) to E, from the evidence and the curation (see the FAQ)."},
        }

    def to_representation(self, record):
        return exports.interaction_json(record)


class OrthologSerializer(serializers.ModelSerializer):
    in_portal = serializers.SerializerMethodField(help_text="Whether the portal has an entry for the ortholog.")

    class Meta:
        model = Ortholog
        fields = ["accession", "species", "in_portal"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_in_portal(self, ortholog):
        return ortholog.ortholog_id is not None


class ProteinSerializer(serializers.ModelSerializer):
    gene_ids = gene_ids()
    organism = OrganismReferenceSerializer()
    jaspar_matrices = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="JASPAR matrix ids, e.g. MA0106.3."
    )
    orthologs = OrthologSerializer(many=True, read_only=True)
    tf_count = serializers.IntegerField(read_only=True, help_text="Its transcription factors held here (public).")
    target_count = serializers.IntegerField(read_only=True, help_text="Its targets held here (public).")
    url = serializers.SerializerMethodField(help_text="Its entry page on the portal.")

    class Meta:
        model = Protein
        fields = [
            "accession",
            "gene_name",
            "gene_ids",
            "organism",
            "jaspar_matrices",
            "reported_interaction_count",
            "tf_count",
            "target_count",
            "orthologs",
            "url",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, protein):
        return self.context["request"].build_absolute_uri(protein.get_absolute_url())


class ProteinDetailSerializer(ProteinSerializer):
    class Meta(ProteinSerializer.Meta):
        fields = [*ProteinSerializer.Meta.fields, "description"]


class BindingSiteSerializer(serializers.ModelSerializer):
    tf = ProteinReferenceSerializer(help_text="The transcription factor.")
    organism = OrganismReferenceSerializer(source="tf.organism", help_text="The organism of the TF.")
    source_databases = names()
    detection_methods = names()
    pmids = pmids()
    genome_browser_url = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="The site in the UCSC Genome Browser; null for a site without a genome location.",
    )

    class Meta:
        model = BindingSite
        fields = [
            "tflink_id",
            "tf",
            "organism",
            "assembly",
            "chromosome",
            "start",
            "end",
            "strand",
            "sequence",
            "score",
            "source_databases",
            "detection_methods",
            "pmids",
            "small_scale",
            "genome_browser_url",
        ]


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    error = serializers.CharField(help_text="One line to read: the HTTP status and what went wrong.")
    detail = serializers.JSONField(
        help_text="The message, or for bad query parameters an object of messages by parameter name."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as the header "Authorization: Token <token>".')
