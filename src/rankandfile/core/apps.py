from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rankandfile.core"
    label = "core"
    verbose_name = "Core"
