from django.urls import path

from rankandfile.conference import views

app_name = "conference"

urlpatterns = [
    path("conference/", views.index, name="index"),
]
