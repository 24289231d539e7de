from django.apps import AppConfig


class ProteinsConfig(AppConfig):
    name = "proteins"
    verbose_name = "Proteins and interactions"
