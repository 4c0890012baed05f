from django.urls import path

from rankandfile.ballots import views

app_name = "ballots"

urlpatterns = [
    path("ballots/", views.ballot_list, name="list"),
    path("ballots/new/", views.ballot_create, name="create"),
    path("ballots/vote/<str:secret>/", views.vote_token, name="vote_token"),
    path("ballots/<int:ballot_id>/", views.ballot_detail, name="detail"),
    path("ballots/<int:ballot_id>/manage/", views.ballot_manage, name="manage"),
    path("ballots/<int:ballot_id>/progress/", views.ballot_progress, name="progress"),
    path("ballots/<int:ballot_id>/open/", views.ballot_open, name="open"),
    path("ballots/<int:ballot_id>/invite/", views.ballot_invite, name="invite"),
    path("ballots/<int:ballot_id>/remind/", views.ballot_remind, name="remind"),
    path("ballots/<int:ballot_id>/close/", views.ballot_close, name="close"),
    path("ballots/<int:ballot_id>/declare/", views.ballot_declare, name="declare"),
    path("ballots/<int:ballot_id>/vote/", views.vote, name="vote"),
    path("ballots/<int:ballot_id>/result/", views.result, name="result"),
    path("ballots/<int:ballot_id>/result/chart.png", views.result_chart, name="chart"),
    path("ballots/<int:ballot_id>/result/declaration.pdf", views.declaration, name="declaration"),
    path("ballots/<int:ballot_id>/papers.<str:fmt>", views.papers, name="papers"),
    path("ballots/<int:ballot_id>/scrutiny/", views.scrutiny, name="scrutiny"),
    path("ballots/<int:ballot_id>/scrutiny/turnout/", views.scrutiny_turnout, name="turnout"),
    path("ballots/<int:ballot_id>/recount/", views.recount, name="recount"),
]
