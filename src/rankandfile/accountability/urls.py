from django.urls import path

from rankandfile.accountability import views

app_name = "accountability"

urlpatterns = [
    path("accountability/", views.index, name="index"),
]
