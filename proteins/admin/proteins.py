"""The admin of proteins, their NCBI Gene ids and their orthologs."""

from django.contrib import admin
from django.db import transaction
from django.db.models import Q
from django.utils.html import format_html

from portal.admin_tools import PROTEIN_SEARCH_HELP, TermSearchMixin, changelist_link, protein_condition, protein_ids

from .. import counts
from ..models import (
    GeneId,
    Interaction,
    Ortholog,
    Protein,
)
from ..resources import ProteinResource
from .spreadsheets import SpreadsheetMixin

# Proteins and what belongs to them.


class GeneIdInline(admin.TabularInline):
    model = GeneId
    extra = 0


class OrthologInline(admin.TabularInline):
    model = Ortholog
    fk_name = "protein"
    extra = 0
    fields = ["accession", "species", "ortholog"]
    raw_id_fields = ["ortholog"]


@admin.register(Protein)
class ProteinAdmin(TermSearchMixin, SpreadsheetMixin, admin.ModelAdmin):
    list_display = [
        "accession",
        "gene_name",
        "organism",
        "gene_id_list",
        "function",
        "provenance",
        "reported_interaction_count",
        "updated_at",
    ]
    list_filter = ["organism", "provenance"]
    list_select_related = ["organism"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=accession", "gene_name", "=gene_ids__gene_id"]
    search_help_text = PROTEIN_SEARCH_HELP
    resource_classes = [ProteinResource]
    inlines = [GeneIdInline, OrthologInline]
    readonly_fields = ["interactions", "page_hash", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["accession", "gene_name", "organism", "provenance"]}),
        ("From its page", {"fields": ["jaspar_matrices", "reported_interaction_count", "description"]}),
        ("Interactions", {"fields": ["interactions"]}),
        ("Import", {"fields": ["page_hash", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("gene_ids")

    def search_condition(self, term):
        return protein_condition(term)

    @admin.display(description="NCBI Gene ids")
    def gene_id_list(self, protein):
        return ", ".join(str(gene_id) for gene_id in protein.gene_ids.all()) or "-"

    @admin.display(description="function")
    def function(self, protein):
        roles = [role for role, held in (("TF", protein.is_tf), ("target", protein.is_target)) if held]
        return " and ".join(roles) or "-"

    # Deleting proteins deletes their interactions: their partners' counts change.

    def delete_model(self, request, obj):
        self.delete_queryset(request, Protein.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            proteins = list(queryset.values_list("pk", flat=True))
            partners = counts.partners_of(Interaction.objects.filter(Q(tf__in=proteins) | Q(target__in=proteins)))
            super().delete_queryset(request, queryset)
            counts.interactions_changed(partners - set(proteins))

    @admin.display(description="interactions held here")
    def interactions(self, protein):
        if protein.pk is None:
            return "-"
        as_tf = Interaction.objects.filter(tf=protein).count()
        as_target = Interaction.objects.filter(target=protein).count()
        return format_html(
            "{} · {}",
            changelist_link(Interaction, f"{as_tf} as transcription factor", tf__id__exact=protein.pk),
            changelist_link(Interaction, f"{as_target} as target", target__id__exact=protein.pk),
        )


@admin.register(GeneId)
class GeneIdAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["gene_id", "protein"]
    list_select_related = ["protein"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=gene_id", "=protein__accession", "protein__gene_name"]
    search_help_text = "An NCBI Gene id; or its protein: a UniProt accession in full, or part of a gene name."
    autocomplete_fields = ["protein"]

    def search_condition(self, term):
        if term.isdecimal():
            return Q(gene_id=int(term))
        return Q(protein__in=protein_ids(term))


@admin.register(Ortholog)
class OrthologAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["accession", "species", "protein", "ortholog"]
    list_select_related = ["protein", "ortholog"]
    list_filter = ["species"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=accession", "=protein__accession", "protein__gene_name", "=protein__gene_ids__gene_id"]
    search_help_text = "The ortholog's UniProt accession, or its protein's. " + PROTEIN_SEARCH_HELP
    autocomplete_fields = ["protein"]
    raw_id_fields = ["ortholog"]

    def search_condition(self, term):
        return Q(accession=term.upper()) | Q(protein__in=protein_ids(term))
