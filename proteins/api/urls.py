"""The API's addresses, mounted at /api/ (``app_name`` "api")."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
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
    # Redoc needs two allowances, on its page alone (its scripts are still the site's own
    # files): it writes its styles into <style> elements as it renders (styled-components), and
    # it builds its search index in a worker made from a blob: URL.  Its menu's Redocly logo,
    # which it fetches from Redocly's server, stays refused: visitors' browsers ask no third
    # party for anything, and Redoc hides the image when it does not load.
    path(
        "redoc/",
        csp_update(
            {
                "style-src": UNSAFE_INLINE,
                "worker-src": [SELF, "blob:"],
            }
        )(SpectacularRedocView.as_view(url_name="api:schema", template_name="proteins/api_redoc.html")),
        name="redoc",
    ),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    *router.urls,
    # Last: any other address ending in "/" (others get APPEND_SLASH's redirect first).
    re_path(r"^(?P<path>.*/)$", views.not_found),
]
