from django.urls import path

from rankandfile.conference import hall_views, views

app_name = "conference"

urlpatterns = [
    path("conference/", views.index, name="index"),
    path("conference/new/", views.conference_new, name="new"),
    path("conference/word-count/", views.word_count, name="word_count"),
    path("conference/rules/", views.rule_book, name="rule_book"),
    path("conference/rules/v<int:number>/", views.rule_book, name="rule_book_version"),
    path(
        "conference/rules/v<int:number>.<str:fmt>",
        views.rule_book_download,
        name="rule_book_download",
    ),
    path("conference/programme/", views.programme, name="programme"),
    path(
        "conference/programme/download.<str:fmt>",
        views.programme_download,
        name="programme_download",
    ),
    path("conference/programme/entries/<int:pk>/", views.programme_entry, name="programme_entry"),
    path("conference/<int:year>/", views.detail, name="detail"),
    path("conference/<int:year>/submit/", views.submit, name="submit"),
    path("conference/<int:year>/submissions/", views.submissions, name="submissions"),
    path("conference/<int:year>/submissions/<int:pk>/", views.submission, name="submission"),
    path(
        "conference/<int:year>/submissions/<int:pk>/withdraw/",
        views.submission_withdraw,
        name="withdraw",
    ),
    path("conference/<int:year>/submissions/<int:pk>/rule/", views.rule, name="rule"),
    path("conference/<int:year>/amendments/", views.amendments, name="amendments"),
    path("conference/<int:year>/amendments/new/", views.amendment_new, name="amendment_new"),
    path("conference/<int:year>/amendments/<int:pk>/", views.amendment, name="amendment"),
    path(
        "conference/<int:year>/amendments/<int:pk>/rule/",
        views.amendment_rule,
        name="amendment_rule",
    ),
    path(
        "conference/<int:year>/amendments/<int:pk>/withdraw/",
        views.amendment_withdraw,
        name="amendment_withdraw",
    ),
    path("conference/<int:year>/arrangements/", views.arrangements, name="arrangements"),
    path("conference/<int:year>/arrangements/topics/", views.topic_new, name="topic_new"),
    path(
        "conference/<int:year>/arrangements/publish/", views.agenda_publish, name="agenda_publish"
    ),
    path("conference/<int:year>/delegates/", views.delegates, name="delegates"),
    path("conference/<int:year>/delegates/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("conference/<int:year>/delegations/", views.delegation, name="delegation"),
    path(
        "conference/<int:year>/delegations/<int:pk>/check-in/",
        views.delegation_check_in,
        name="delegation_check_in",
    ),
    path("conference/<int:year>/priorities/", views.priorities, name="priorities"),
    path(
        "conference/<int:year>/topics/<int:topic_id>/composite/",
        views.composite_new,
        name="composite_new",
    ),
    path("conference/<int:year>/composites/<int:number>/", views.composite, name="composite"),
    path(
        "conference/<int:year>/topics/<int:topic_id>/provenance/",
        views.provenance,
        name="provenance",
    ),
    path("conference/<int:year>/floor/", views.floor, name="floor"),
    path(
        "conference/<int:year>/rule-book/publish/",
        views.rule_book_publish,
        name="rule_book_publish",
    ),
    path("conference/<int:year>/floor/<int:pk>/", views.item, name="item"),
    path("conference/<int:year>/floor/<int:pk>/action/", views.item_action, name="item_action"),
    path("conference/<int:year>/floor/<int:pk>/board/", views.board, name="board"),
    # The live hall (issue 16): hall_views.
    path("conference/<int:year>/hall/", hall_views.hall, name="hall"),
    path("conference/<int:year>/hall/vote/", hall_views.hall_cast, name="hall_cast"),
    path("conference/<int:year>/hall/speak/", hall_views.hall_speak, name="hall_speak"),
    path(
        "conference/<int:year>/hall/speak/withdraw/",
        hall_views.hall_speak_withdraw,
        name="hall_speak_withdraw",
    ),
    path("conference/<int:year>/hall/screen/", hall_views.screen, name="hall_screen"),
    path("conference/<int:year>/hall/state.json", hall_views.state, name="hall_state"),
    path("conference/<int:year>/hall/console/", hall_views.console, name="hall_console"),
    path("conference/<int:year>/hall/paper/<int:pk>/", hall_views.paper, name="hall_paper"),
]
