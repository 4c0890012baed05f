from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "rankandfile.meetings"
    label = "meetings"
    verbose_name = "Meetings and messages"

    def ready(self) -> None:
        # Bounces of officers' messages, from the same provider webhook as ballots.mail.
        from anymail.signals import tracking

        from rankandfile.meetings import mail

        tracking.connect(mail.on_tracking, dispatch_uid="rankandfile.meetings.mail")
