from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "rankandfile.elections"
    label = "elections"
    verbose_name = "Internal elections"

    def ready(self) -> None:
        # Supporters on ballots' electorates (decision 0025): ballots finds their
        # addresses and logins through this directory, as it may not import elections.
        from rankandfile.ballots import outside
        from rankandfile.elections.queries import SupporterDirectory

        outside.register(SupporterDirectory())
