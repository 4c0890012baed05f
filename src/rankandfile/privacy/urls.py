from django.urls import path

from rankandfile.privacy import views

app_name = "privacy"

urlpatterns = [
    path("account/my-data/", views.my_data, name="my_data"),
    path("account/my-data.<str:fmt>", views.my_data_download, name="my_data_download"),
    path(
        "members/<int:member_id>/personal-data.<str:fmt>",
        views.member_data_download,
        name="member_data_download",
    ),
    path("members/<int:member_id>/erase/", views.member_erase, name="member_erase"),
]
