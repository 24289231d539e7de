"""The API's addresses, mounted at /api/ (``app_name`` "api")."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("organisms", views.OrganismViewSet, basename="organism")
router.register("sources", views.SourceDatabaseViewSet, basename="source")
router.register("methods", views.DetectionMethodViewSet, basename="method")
router.register("proteins", views.ProteinViewSet, basename="protein")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("binding-sites", views.BindingSiteViewSet, basename="binding-site")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's set-up script is served from docs/?script: the site's policy runs no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="proteins/api_swagger_ui.html"),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="proteins/api_redoc.html"),
        name="redoc",
    ),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    *router.urls,
    # Last: any other address ending in "/" (others get APPEND_SLASH's redirect first).
    re_path(r"^(?P<path>.*/)$", views.not_found),
]
