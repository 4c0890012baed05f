from django.apps import AppConfig


class MembershipConfig(AppConfig):
    name = "rankandfile.membership"
    label = "membership"
    verbose_name = "Membership"
