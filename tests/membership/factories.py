"""factory_boy factories for the membership app (and core.User).

Other apps' tests import these. Defaults build a valid, minimal object graph: a Member
gets a CLP (with its constituency and region) and a branch in that CLP; histories are
added explicitly with :class:`PeriodFactory` or :func:`member_with_history`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import factory
from factory.django import DjangoModelFactory

from rankandfile.core.models import User
from rankandfile.membership.models import (
    CLP,
    MP,
    Affiliate,
    AffiliateCLP,
    AffiliationYear,
    Branch,
    Constituency,
    Member,
    Period,
    Region,
    Role,
)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        password = kwargs.pop("password", "correct horse battery staple")
        manager = cls._get_manager(model_class)
        return manager.create_user(*args, password=password, **kwargs)  # type: ignore[no-any-return]


class RegionFactory(DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.Sequence(lambda n: f"region-{n}")


class ConstituencyFactory(DjangoModelFactory[Constituency]):
    class Meta:
        model = Constituency

    name = factory.Sequence(lambda n: f"Constituency {n}")
    ons_code = factory.Sequence(lambda n: f"E14{n:06d}")
    region = factory.SubFactory(RegionFactory)
    electorate = 73000


class CLPFactory(DjangoModelFactory[CLP]):
    class Meta:
        model = CLP

    constituency = factory.SubFactory(ConstituencyFactory)
    name = factory.LazyAttribute(lambda o: f"{o.constituency.name}")
    slug = factory.Sequence(lambda n: f"clp-{n}")


class BranchFactory(DjangoModelFactory[Branch]):
    class Meta:
        model = Branch

    clp = factory.SubFactory(CLPFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")


class AffiliateFactory(DjangoModelFactory[Affiliate]):
    class Meta:
        model = Affiliate

    name = factory.Sequence(lambda n: f"Union of Workers {n}")
    short_name = factory.Sequence(lambda n: f"UW{n}")
    kind = Affiliate.Kind.UNION


class AffiliationYearFactory(DjangoModelFactory[AffiliationYear]):
    class Meta:
        model = AffiliationYear

    affiliate = factory.SubFactory(AffiliateFactory)
    year = 2019
    affiliated_members = 100000


class AffiliateCLPFactory(DjangoModelFactory[AffiliateCLP]):
    class Meta:
        model = AffiliateCLP

    affiliate = factory.SubFactory(AffiliateFactory)
    clp = factory.SubFactory(CLPFactory)


class MPFactory(DjangoModelFactory[MP]):
    class Meta:
        model = MP

    mnis_id = factory.Sequence(lambda n: 100000 + n)
    name = factory.Faker("name", locale="en_GB")
    constituency = factory.SubFactory(ConstituencyFactory)
    party = "Labour"


class MemberFactory(DjangoModelFactory[Member]):
    """A member with a CLP and a branch in it; no history unless ``joined`` is given.

    ``MemberFactory(joined=date(2020, 1, 1))`` also creates an open membership period.
    """

    class Meta:
        model = Member
        skip_postgeneration_save = True

    membership_number = factory.Sequence(lambda n: f"L{n:07d}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda o: f"{o.membership_number.lower()}@example.org")
    postcode = "SW1A 1AA"
    clp = factory.SubFactory(CLPFactory)
    branch = factory.SubFactory(BranchFactory, clp=factory.SelfAttribute("..clp"))
    user = None

    @factory.post_generation
    def joined(self, create: bool, extracted: dt.date | None, **kwargs: Any) -> None:
        if create and extracted is not None:
            Period.objects.create(member=self, kind=Period.Kind.MEMBERSHIP, start=extracted)


class PeriodFactory(DjangoModelFactory[Period]):
    class Meta:
        model = Period

    member = factory.SubFactory(MemberFactory)
    kind = Period.Kind.MEMBERSHIP
    start = dt.date(2020, 1, 1)
    end = None


class RoleFactory(DjangoModelFactory[Role]):
    """A role; pass the unit matching ``kind`` (``clp=`` for CLP officers, etc.)."""

    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    kind = Role.Kind.NATIONAL_ADMIN
    start = dt.date(2000, 1, 1)


def member_with_history(
    spans: Iterable[tuple[str, dt.date, dt.date | None]] = (), **member_kwargs: Any
) -> Member:
    """A member plus periods given as ``(kind, start, end)`` tuples, stored as given."""
    member = MemberFactory(**member_kwargs)
    Period.objects.bulk_create(
        Period(member=member, kind=kind, start=start, end=end) for kind, start, end in spans
    )
    return member


def member_user(member: Member | None = None, **member_kwargs: Any) -> User:
    """A login linked to a member record (the member's own account)."""
    if member is None:
        member = MemberFactory(**member_kwargs)
    user = UserFactory(email=member.email or f"{member.membership_number}@example.org")
    member.user = user
    member.save(update_fields=["user"])
    return user


def clp_officer(clp: CLP, kind: str = Role.Kind.CLP_SECRETARY) -> User:
    """A login holding a CLP office (secretary by default) in ``clp``."""
    user = UserFactory()
    RoleFactory(user=user, kind=kind, clp=clp)
    return user


def national_admin() -> User:
    user = UserFactory()
    RoleFactory(user=user, kind=Role.Kind.NATIONAL_ADMIN)
    return user
