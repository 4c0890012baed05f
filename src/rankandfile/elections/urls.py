from django.urls import path

from rankandfile.elections import views

app_name = "elections"

urlpatterns = [
    path("elections/", views.index, name="index"),
    path("elections/new/", views.contest_create, name="create"),
    path("elections/my-nominations/", views.mp_page, name="mp"),
    path("elections/past/<int:round_id>/", views.past_round, name="past"),
    path("elections/<int:contest_id>/", views.contest_detail, name="detail"),
    path(
        "elections/<int:contest_id>/candidates/<int:candidate_id>/",
        views.candidate,
        name="candidate",
    ),
    path("elections/<int:contest_id>/act/<str:name>/", views.action, name="action"),
]
