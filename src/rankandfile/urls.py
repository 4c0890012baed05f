from django.contrib import admin
from django.urls import include, path

from rankandfile import home
from rankandfile.api import api
from rankandfile.membership import views as membership_views

handler400 = "rankandfile.core.views.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The language switcher posts here: django.views.i18n.set_language, which
    # membership.views.set_language wraps to keep a signed-in member's choice.
    path("i18n/setlang/", membership_views.set_language, name="set_language"),
    path("api/v1/", api.urls),
    # Email providers' delivery reports (bounces, complaints): ballots.mail.
    path("anymail/", include("anymail.urls")),
    path("", home.home, name="home"),
    path("", include("rankandfile.core.urls")),
    path("", include("rankandfile.membership.urls")),
    path("", include("rankandfile.ballots.urls")),
    path("", include("rankandfile.conference.urls")),
    path("", include("rankandfile.accountability.urls")),
    path("", include("rankandfile.selections.urls")),
    path("", include("rankandfile.campaigns.urls")),
    path("", include("rankandfile.meetings.urls")),
    path("", include("rankandfile.privacy.urls")),
    path("", include("rankandfile.elections.urls")),
]
