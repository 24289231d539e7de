"""The public addresses of releases, mounted at /releases/ (``app_name`` "releases").

A release's address and its files' addresses never change once it is published: a paper cites them.
"""

from django.urls import path, register_converter

from . import views


class ReleaseNumberConverter:
    """A release's number: 1, 2, 3 ... (at most nine digits: larger numbers name no release)."""

    regex = "[1-9][0-9]{0,8}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(ReleaseNumberConverter, "release")

app_name = "releases"
urlpatterns = [
    path("", views.release_list, name="list"),
    path("latest/", views.latest, name="latest"),
    path("<release:number>/", views.detail, name="detail"),
    path("<release:number>/files/<str:name>", views.release_file, name="file"),
    path("<release:old>/diff/<release:new>/", views.difference, name="diff"),
    path("<release:old>/diff/<release:new>.tsv", views.difference_file, {"file_format": "tsv"}, name="diff_tsv"),
    path("<release:old>/diff/<release:new>.json", views.difference_file, {"file_format": "json"}, name="diff_json"),
]
