"""The admin of the public site's content pages."""

from django.contrib import admin

from ..models import (
    SitePage,
)

# The public site's content.


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "in_menu", "menu_order", "updated_at"]
    list_editable = ["in_menu", "menu_order"]
    search_fields = ["title", "slug"]
    search_help_text = "Part of the title or the address."
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["updated_at"]
