from django.urls import path

from rankandfile.membership import views

app_name = "membership"

urlpatterns = [
    path("clps/", views.clp_list, name="clp_list"),
    path("clps/<slug:slug>/members/", views.clp_members, name="clp_members"),
    path("members/<int:member_id>/", views.member_detail, name="member_detail"),
    path(
        "members/<int:member_id>/history/",
        views.member_history_change,
        name="member_history_change",
    ),
    path("members/import/", views.member_import, name="member_import"),
    path("clps/<slug:slug>/invite/", views.members_invite, name="members_invite"),
    path("account/activate/", views.activation_request, name="activation_request"),
    path("account/activate/<str:secret>/", views.activate, name="activate"),
]
