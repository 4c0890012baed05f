"""Numbers as people read them (issue 17.4, 17.6): card-vote totals, two decimals."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rankandfile.core.templatetags.numbers import decimal2, votes


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("3995/2", '<span title="exactly 3995/2">1,997.5</span>'),
        ("12000", "12,000"),
        (Fraction(7, 3), '<span title="exactly 7/3">2.33</span>'),
        (0, "0"),
        ("", ""),
        (None, ""),
    ],
)
def test_votes(value: object, shown: str) -> None:
    assert votes(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Fraction(1, 3) * 100, "33.33"), ("12.5", "12.50"), (1234.567, "1,234.57"), (0, "0.00")],
)
def test_decimal2(value: object, shown: str) -> None:
    assert decimal2(value) == shown
