"""The admin of the small lookup tables (organisms, source databases, detection methods, publications)
and the list filters and counts that the large tables take from them.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.html import format_html

from portal.admin_tools import TermSearchMixin, changelist_link

from ..models import (
    DetectionMethod,
    Interaction,
    Organism,
    Publication,
    SourceDatabase,
)


def count_of(relation, owner_column):
    """Per-row count of a many-to-many relation, as a correlated subquery.

    Unlike ``Count()`` with a join, it is computed for the rows shown, not grouped over
    the whole table before the page is cut.
    """
    through = relation.through
    rows = (
        through.objects.filter(**{owner_column: OuterRef("pk")})
        .order_by()
        .values(owner_column)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class EvidenceFilter(admin.SimpleListFilter):
    """Rows with one value of a small many-to-many lookup (a source database, a method).

    The admin's own filter on a many-to-many field makes the list DISTINCT, which sorts
    the whole table; none is needed, since a row links each value at most once.
    """

    field_name = None

    def lookups(self, request, model_admin):
        related = model_admin.model._meta.get_field(self.field_name).related_model
        return related.objects.values_list("pk", "name")

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            return queryset.filter(**{self.field_name: int(self.value())})
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


class SourceDatabaseFilter(EvidenceFilter):
    title = "source database"
    parameter_name = "source"
    field_name = "source_databases"


class DetectionMethodFilter(EvidenceFilter):
    title = "detection method"
    parameter_name = "method"
    field_name = "detection_methods"


# Small lookup tables.


@admin.register(Organism)
class OrganismAdmin(admin.ModelAdmin):
    list_display = ["name", "taxon_id"]
    search_fields = ["name"]
    search_help_text = "Part of the scientific name, e.g. sapiens."


@admin.register(SourceDatabase)
class SourceDatabaseAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    search_help_text = "Part of the database's name, e.g. ChIP."
    readonly_fields = ["evidence"]

    @admin.display(description="interactions")
    def evidence(self, source):
        if source.pk is None:
            return "-"
        return changelist_link(Interaction, "Interactions from this source", source=source.pk)


@admin.register(DetectionMethod)
class DetectionMethodAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    search_help_text = "Part of the method's name, e.g. immunoprecipitation."
    readonly_fields = ["evidence"]

    @admin.display(description="interactions")
    def evidence(self, method):
        if method.pk is None:
            return "-"
        return changelist_link(Interaction, "Interactions detected by this method", method=method.pk)


@admin.register(Publication)
class PublicationAdmin(TermSearchMixin, admin.ModelAdmin):
    list_display = ["pmid", "pubmed"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=pmid"]
    search_help_text = "A PubMed id, e.g. 9733765 or PMID:9733765."
    readonly_fields = ["pubmed", "evidence"]

    def search_condition(self, term):
        pmid = term.upper().removeprefix("PMID:")
        return Q(pmid=int(pmid)) if pmid.isdecimal() else Q(pk__in=[])

    @admin.display(description="PubMed")
    def pubmed(self, publication):
        if publication.pk is None:
            return "-"
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', publication.url, publication.url)

    @admin.display(description="interactions")
    def evidence(self, publication):
        if publication.pk is None:
            return "-"
        return changelist_link(Interaction, "Interactions citing this publication", publications__exact=publication.pk)
