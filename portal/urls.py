from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "TF-target curation portal"
admin.site.site_title = "TF-target portal admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("proteins.urls")),
]
