"""Server-side filters of the public browse page (django-filter; the query string is the state)."""

import django_filters
from django import forms

from .models import Protein


class ProteinFilter(django_filters.FilterSet):
    FUNCTIONS = [
        ("tf", "transcription factor"),
        ("target", "target gene"),
        ("both", "transcription factor and target gene"),
    ]

    name = django_filters.CharFilter(field_name="gene_name", lookup_expr="icontains", label="Gene name")
    accession = django_filters.CharFilter(field_name="accession", lookup_expr="istartswith", label="UniProt accession")
    gene_id = django_filters.NumberFilter(field_name="gene_ids__gene_id", label="NCBI Gene id", min_value=0)
    function = django_filters.ChoiceFilter(
        choices=FUNCTIONS, method="filter_function", empty_label="any", label="Function"
    )
    small_scale = django_filters.BooleanFilter(
        method="filter_small_scale",
        label="Small-scale evidence",
        widget=forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")]),
    )
    sort = django_filters.OrderingFilter(
        fields=(("gene_name", "name"), ("accession", "accession"), ("interaction_count", "interactions")),
        field_labels={"gene_name": "name", "accession": "accession", "interaction_count": "interactions"},
        label="Sort by",
        empty_label=None,
    )

    class Meta:
        model = Protein
        fields = []

    def filter_function(self, queryset, name, value):
        if value == "tf":
            return queryset.tfs()
        if value == "target":
            return queryset.targets()
        return queryset.tfs().targets()

    def filter_small_scale(self, queryset, name, value):
        return queryset.with_small_scale(held=value)
