"""The demo conference builds through the services on a small demo party."""

from __future__ import annotations

import pytest

from rankandfile.conference import demo
from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Card,
    ConferenceDocument,
    Delegate,
    ProgrammeEntry,
    Submission,
)
from rankandfile.membership import demo as membership_demo
from rankandfile.membership.models import Role


@pytest.mark.django_db
def test_demo_conference() -> None:
    membership_demo.demo_seed(members=3000, seed=3)
    summary = demo.seed(3)
    assert "a card vote open" in summary, summary
    current = ProgrammeEntry.objects.current()
    brexit = set(current.filter(topic="Brexit and Europe").values_list("title", flat=True))
    for phrase in (
        "A public vote on any Brexit deal",
        "A permanent customs union with the EU",
        "No no-deal Brexit",
        "Close alignment with the single market",
    ):
        assert any(phrase in t for t in brexit), phrase
    assert ProgrammeEntry.objects.filter(removed_in__isnull=False).count() == 2  # superseded
    d = Delegate.objects.get(member__membership_number="L0000001")
    assert d.checked_in_at is not None and d.clp.constituency.name == "Streatham"
    item = AgendaItem.objects.get(state=AgendaItem.State.OPEN)
    card = Card.objects.get(item=item, user=d.member.user)
    assert card.choice == ""
    # The hall: the open vote is before conference, with a speakers' list; the finished
    # card vote has a proxy vote recorded by the CAC (paper cards for any delegate
    # without a login).
    from rankandfile.conference.models import CardRecord, HallState, SpeakerRequest

    assert HallState.objects.get().current_item == item
    statuses = sorted(SpeakerRequest.objects.filter(item=item).values_list("status", flat=True))
    assert statuses == ["done", "speaking", "waiting", "waiting", "waiting"]
    assert CardRecord.objects.filter(kind="proxy", card__item__state="closed").count() == 1
    assert not CardRecord.objects.filter(kind="paper", card__user__isnull=False).exists()
    assert "5 on the speakers' list" in summary
    assert Submission.objects.filter(status=Submission.Status.OUT_OF_ORDER).count() == 2
    # Each session is named for the day it is on (issue 17.6).
    from django.utils import timezone

    from rankandfile.conference.models import FloorSession

    named_by_day = FloorSession.objects.filter(title__regex=r"(morning|afternoon)$")
    assert named_by_day.count() == 2
    for session in named_by_day:
        day = timezone.localtime(session.starts_at).strftime("%A")
        assert session.title.startswith(day), (session.title, session.starts_at)
    assert Submission.objects.filter(debate_year=item.session.conference.year + 1).count() == 1
    assert Role.objects.filter(
        user__email="admin@demo.rankandfile.org", kind=Role.Kind.CAC
    ).exists()
    # Amendments to the first composite: one carried (in the programme entry), one lost,
    # one out of order with the CAC's reason.
    carried, lost, out = Amendment.objects.order_by("reference")
    assert carried.items.get().outcome == AgendaItem.Outcome.CARRIED and carried.text_after
    assert lost.items.get().outcome == AgendaItem.Outcome.LOST and not lost.text_after
    assert out.status == Amendment.Status.OUT_OF_ORDER and "relevant" in out.ruling_reason
    entry = ProgrammeEntry.objects.get(agenda_item__composite=carried.composite)
    assert entry.text == carried.text_after
    assert entry.figures["amendments"][0]["reference"] == carried.reference
    # The pages show them.
    from django.test import Client
    from django.urls import reverse

    c, year = Client(), carried.conference.year
    r = c.get(reverse("conference:composite", args=[year, carried.composite.number]))
    assert carried.reference in r.text and out.reference in r.text
    r = c.get(reverse("conference:amendment", args=[year, out.pk]))
    assert "Ruled out of order" in r.text and "relevant" in r.text
    r = c.get(reverse("conference:item", args=[year, entry.agenda_item_id]))
    assert "The text as amended" in r.text and "<ins>" in r.text
    r = c.get(reverse("conference:board", args=[year, carried.items.get().pk]))
    assert "Carried" in r.text and "enters the party programme" not in r.text
    assert c.get(reverse("conference:amendments", args=[year])).status_code == 200
    r = c.get(reverse("conference:programme_entry", args=[entry.pk]))
    assert f"amendment {carried.reference}" in r.text
    # The NEC's statement is before conference for amendment (issue 16.5).
    doc = ConferenceDocument.objects.get(kind=ConferenceDocument.Kind.NEC_STATEMENT)
    r = c.get(reverse("conference:document", args=[year, doc.number]))
    assert r.status_code == 200 and "Building the movement" in r.text
    # The CLP rule change carries the parameter change the CAC attached (issue 16.1).
    rc = Submission.objects.get(kind=Submission.Kind.RULE_CHANGE)
    assert rc.parameter_changes == {"priorities_topics_per_section": 8}
    assert demo.seed(3) == "conference: already seeded"
