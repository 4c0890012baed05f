"""``{% load numbers %}``: numbers as people read them.

- ``{{ n|votes }}``: a vote total that may be an exact fraction ("3995/2", a card vote's
  weighted share) as a whole number or a decimal with thousands separators ("1,997.5"),
  with the exact value in a ``title`` only when it is not whole (issue 17.4).
- ``{{ x|decimal2 }}``: a number to two decimal places with thousands separators.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html

register = template.Library()


def _fraction(value: object) -> Fraction | None:
    if value is None or value == "":
        return None
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def _decimal_text(value: Fraction, places: int) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    whole, _, frac = f"{rounded:f}".partition(".")
    return intcomma(int(whole)) + (f".{frac}" if frac else "") if whole != "-0" else f"0.{frac}"


@register.filter
def votes(value: object) -> str:
    number = _fraction(value)
    if number is None:
        return str(value or "")
    if number.denominator == 1:
        return str(intcomma(number.numerator))
    text = _decimal_text(number, 2).rstrip("0").rstrip(".")
    return format_html('<span title="exactly {}">{}</span>', str(number), text)


@register.filter
def decimal2(value: object) -> str:
    number = _fraction(value)
    if number is None:
        return str(value or "")
    return _decimal_text(number, 2)
