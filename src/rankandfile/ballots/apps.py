from django.apps import AppConfig


class BallotsConfig(AppConfig):
    name = "rankandfile.ballots"
    label = "ballots"
    verbose_name = "Ballots"

    def ready(self) -> None:
        # Bounces and complaints reported by the email provider's webhook (ballots.mail).
        from anymail.signals import tracking

        from rankandfile.ballots import mail

        tracking.connect(mail.on_tracking, dispatch_uid="rankandfile.ballots.mail")
