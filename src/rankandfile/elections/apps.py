from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "rankandfile.elections"
    label = "elections"
    verbose_name = "Internal elections"
