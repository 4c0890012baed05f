from django.apps import AppConfig


class ConferenceConfig(AppConfig):
    name = "rankandfile.conference"
    label = "conference"
    verbose_name = "Conference"
