from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "rankandfile.accountability"
    label = "accountability"
    verbose_name = "Accountability"
