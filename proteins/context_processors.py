from django.core.cache import cache

from .models import SitePage


def site(request):
    """The menu's content pages, cached briefly: they change rarely."""

    def menu():
        return {
            "site_menu": list(SitePage.objects.filter(in_menu=True).exclude(slug="home")),
        }

    return cache.get_or_set("site-menu", menu, timeout=60)
