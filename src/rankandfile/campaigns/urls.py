from django.urls import path

from rankandfile.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.index, name="index"),
]
