from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rankandfile.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from rankandfile.core import checks  # noqa: F401  (registers the system checks)
