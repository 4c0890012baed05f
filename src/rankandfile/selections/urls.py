from django.urls import path

from rankandfile.selections import views

app_name = "selections"

urlpatterns = [
    path("selections/", views.index, name="index"),
]
