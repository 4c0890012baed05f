from django.urls import path

from rankandfile.selections import views

app_name = "selections"

urlpatterns = [
    path("selections/", views.index, name="index"),
    path("selections/rounds/new/", views.round_create, name="round_create"),
    path("selections/rounds/<int:round_id>/", views.round_detail, name="round"),
    path("selections/rounds/<int:round_id>/compare/", views.round_compare, name="compare"),
    path("selections/<int:selection_id>/", views.selection_detail, name="detail"),
    path("selections/<int:selection_id>/apply/", views.apply, name="apply"),
    path(
        "selections/<int:selection_id>/candidates/<int:application_id>/",
        views.candidate,
        name="candidate",
    ),
    path(
        "selections/<int:selection_id>/candidates/<int:application_id>/withdraw/",
        views.withdraw,
        name="withdraw",
    ),
    path("selections/<int:selection_id>/manage/", views.manage, name="manage"),
    path(
        "selections/<int:selection_id>/manage/<str:action>/",
        views.manage_action,
        name="action",
    ),
]
