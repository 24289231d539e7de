from django.contrib import admin
from django.urls import include, path

from curation.views import report_problem
from portal.health import healthz
from proteins.api.throttling import limit_password_guesses

admin.site.site_header = "TF-target curation portal"
admin.site.site_title = "TF-target portal admin"

urlpatterns = [
    # For load balancers and process managers: public, not throttled, no trailing slash.
    path("healthz", healthz, name="healthz"),
    # The admin's sign-in counts password guesses with the curator area's and the API token's.
    path("admin/login/", limit_password_guesses(admin.site.login)),
    path("admin/", admin.site.urls),
    path("curation/", include("curation.urls")),
    # Curation acts on interactions, before the public read API so that they resolve here.
    path("api/", include("curation.api_urls")),
    path("api/", include("proteins.api.urls")),
    # A visitor's report of a problem, from the public interaction page (the curation app stores it).
    path("interaction/<str:tf>/<str:target>/report/", report_problem, name="report_problem"),
    path("releases/", include("releases.urls")),
    path("", include("proteins.urls")),
]
