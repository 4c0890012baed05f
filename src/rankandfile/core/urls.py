from django.urls import path

from rankandfile.core import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("healthz", views.healthz, name="healthz"),
]
