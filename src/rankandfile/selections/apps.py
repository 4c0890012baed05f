from django.apps import AppConfig


class SelectionsConfig(AppConfig):
    name = "rankandfile.selections"
    label = "selections"
    verbose_name = "Selections"
