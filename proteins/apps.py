from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_delete, post_migrate, post_save


def create_cache_table(using, **kwargs):
    """The database cache's table (portal.settings.CACHES), made by every ``migrate`` when it is missing.

    Every deployment, benchmark and test database then has it without a separate
    ``createcachetable`` step; with Redis configured there is no table to make.
    """
    call_command("createcachetable", database=using, verbosity=0)


class ProteinsConfig(AppConfig):
    name = "proteins"
    verbose_name = "Proteins and interactions"

    def ready(self):
        post_migrate.connect(create_cache_table, sender=self)
        from .context_processors import forget_menu

        site_page = self.get_model("SitePage")
        post_save.connect(forget_menu, sender=site_page, dispatch_uid="forget_menu_on_save")
        post_delete.connect(forget_menu, sender=site_page, dispatch_uid="forget_menu_on_delete")
