from django.core.cache import cache

from .models import SitePage

MENU_KEY = "site-menu"


def site(request):
    """The menu's content pages, cached in the shared cache: they change rarely."""

    def menu():
        return {
            "site_menu": list(SitePage.objects.filter(in_menu=True).exclude(slug="home")),
        }

    return cache.get_or_set(MENU_KEY, menu, timeout=60)


def forget_menu(**kwargs) -> None:
    """Drop the cached menu when a content page is saved or deleted: every process shows the change at once."""
    cache.delete(MENU_KEY)
