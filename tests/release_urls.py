"""The addresses of a release and its files (``releases:detail``, ``releases:file``) that its manifest
and citation name, for this branch's tests and benchmark until the public release pages
(``releases/urls.py``, mounted at /releases/) are merged: then this file and its uses go."""

from django.http import Http404
from django.urls import include, path

from portal.urls import urlpatterns as portal_patterns


def not_here(request, **kwargs):
    raise Http404("The release pages are not on this branch.")


release_patterns = [
    path("<int:number>/", not_here, name="detail"),
    path("<int:number>/files/<str:name>", not_here, name="file"),
]
urlpatterns = [path("releases/", include((release_patterns, "releases"))), *portal_patterns]
