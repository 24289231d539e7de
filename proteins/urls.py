from django.urls import path, register_converter

from . import views
from .downloads import ORGANISM_FORMATS


class AccessionConverter:
    """A UniProt accession in any case (the view redirects to the canonical upper case)."""

    regex = "[A-Za-z0-9]{6,10}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(AccessionConverter, "accession")

app_name = "proteins"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("browse/<int:taxon_id>/", views.browse, name="browse"),
    path("protein/<accession:accession>/", views.protein, name="protein"),
    path("protein/<accession:accession>/network.json", views.protein_network, name="protein_network"),
    path("protein/<accession:accession>/tfs.tsv", views.protein_download, {"side": "tfs"}, name="protein_tfs_tsv"),
    path(
        "protein/<accession:accession>/targets.tsv",
        views.protein_download,
        {"side": "targets"},
        name="protein_targets_tsv",
    ),
    path(
        "protein/<accession:accession>/binding-sites.tsv",
        views.protein_binding_sites_download,
        name="protein_binding_sites_tsv",
    ),
    path("interaction/<accession:tf>/<accession:target>/", views.interaction, name="interaction"),
    path("pages/<slug:slug>/", views.site_page, name="site_page"),
    path("downloads/", views.downloads, name="downloads"),
    path("about-api/", views.api_guide, name="api_guide"),
    *[
        path(
            f"downloads/<int:taxon_id>/interactions.{file_format}",
            views.organism_download,
            {"file_format": file_format},
            name=f"organism_{file_format}",
        )
        for file_format in ORGANISM_FORMATS
    ],
]
