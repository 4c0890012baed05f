from django.urls import path

from rankandfile.conference.views import (
    amendments,
    compositing,
    delegates,
    floor,
    hall,
    priorities,
    programme,
    rulebook,
    setup,
    submissions,
)

app_name = "conference"

urlpatterns = [
    path("conference/", setup.index, name="index"),
    path("conference/new/", setup.conference_new, name="new"),
    path("conference/word-count/", submissions.word_count, name="word_count"),
    path("conference/rules/", rulebook.rule_book, name="rule_book"),
    path("conference/rules/v<int:number>/", rulebook.rule_book, name="rule_book_version"),
    path(
        "conference/rules/v<int:number>.<str:fmt>",
        rulebook.rule_book_download,
        name="rule_book_download",
    ),
    path("conference/programme/", programme.programme, name="programme"),
    path(
        "conference/programme/download.<str:fmt>",
        programme.programme_download,
        name="programme_download",
    ),
    path(
        "conference/programme/entries/<int:pk>/", programme.programme_entry, name="programme_entry"
    ),
    path("conference/<int:year>/", setup.detail, name="detail"),
    path("conference/<int:year>/submit/", submissions.submit, name="submit"),
    path("conference/<int:year>/submissions/", submissions.submissions, name="submissions"),
    path("conference/<int:year>/submissions/<int:pk>/", submissions.submission, name="submission"),
    path(
        "conference/<int:year>/submissions/<int:pk>/withdraw/",
        submissions.submission_withdraw,
        name="withdraw",
    ),
    path("conference/<int:year>/submissions/<int:pk>/rule/", submissions.rule, name="rule"),
    path(
        "conference/<int:year>/submissions/<int:pk>/parameters/",
        submissions.rule_change_parameters,
        name="rule_change_parameters",
    ),
    path("conference/<int:year>/amendments/", amendments.amendments, name="amendments"),
    path("conference/<int:year>/amendments/new/", amendments.amendment_new, name="amendment_new"),
    path("conference/<int:year>/amendments/<int:pk>/", amendments.amendment, name="amendment"),
    path(
        "conference/<int:year>/amendments/<int:pk>/rule/",
        amendments.amendment_rule,
        name="amendment_rule",
    ),
    path(
        "conference/<int:year>/amendments/<int:pk>/withdraw/",
        amendments.amendment_withdraw,
        name="amendment_withdraw",
    ),
    path("conference/<int:year>/arrangements/", submissions.arrangements, name="arrangements"),
    path("conference/<int:year>/dates/", setup.dates, name="dates"),
    path("conference/<int:year>/documents/new/", amendments.document_new, name="document_new"),
    path("conference/<int:year>/documents/<int:number>/", amendments.document, name="document"),
    path("conference/<int:year>/arrangements/topics/", submissions.topic_new, name="topic_new"),
    path(
        "conference/<int:year>/arrangements/publish/",
        submissions.agenda_publish,
        name="agenda_publish",
    ),
    path("conference/<int:year>/delegates/", delegates.delegates, name="delegates"),
    path("conference/<int:year>/delegates/<int:pk>/check-in/", delegates.check_in, name="check_in"),
    path("conference/<int:year>/delegations/", delegates.delegation, name="delegation"),
    path(
        "conference/<int:year>/delegations/<int:pk>/check-in/",
        delegates.delegation_check_in,
        name="delegation_check_in",
    ),
    path("conference/<int:year>/priorities/", priorities.priorities, name="priorities"),
    path(
        "conference/<int:year>/topics/<int:topic_id>/composite/",
        compositing.composite_new,
        name="composite_new",
    ),
    path("conference/<int:year>/composites/<int:number>/", compositing.composite, name="composite"),
    path(
        "conference/<int:year>/topics/<int:topic_id>/provenance/",
        compositing.provenance,
        name="provenance",
    ),
    path("conference/<int:year>/floor/", floor.floor, name="floor"),
    path(
        "conference/<int:year>/rule-book/publish/",
        rulebook.rule_book_publish,
        name="rule_book_publish",
    ),
    path("conference/<int:year>/floor/<int:pk>/", floor.item, name="item"),
    path("conference/<int:year>/floor/<int:pk>/action/", floor.item_action, name="item_action"),
    path("conference/<int:year>/floor/<int:pk>/board/", floor.board, name="board"),
    # The live hall (issue 16): hall.
    path("conference/<int:year>/hall/", hall.hall, name="hall"),
    path("conference/<int:year>/hall/vote/", hall.hall_cast, name="hall_cast"),
    path("conference/<int:year>/hall/speak/", hall.hall_speak, name="hall_speak"),
    path(
        "conference/<int:year>/hall/speak/withdraw/",
        hall.hall_speak_withdraw,
        name="hall_speak_withdraw",
    ),
    path("conference/<int:year>/hall/screen/", hall.screen, name="hall_screen"),
    path("conference/<int:year>/hall/state.json", hall.state, name="hall_state"),
    path("conference/<int:year>/hall/console/", hall.console, name="hall_console"),
    path("conference/<int:year>/hall/paper/<int:pk>/", hall.paper, name="hall_paper"),
]
