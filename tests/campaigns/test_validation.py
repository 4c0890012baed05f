"""Postcodes, emails and free text as the public types them."""

from __future__ import annotations

import pytest

from rankandfile.campaigns.validation import (
    Invalid,
    clean_text,
    normalise_email,
    normalise_postcode,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sw16 1aa", "SW16 1AA"),
        ("SW161AA", "SW16 1AA"),
        ("  l15  8hj ", "L15 8HJ"),
        ("ng1 1aa", "NG1 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("w1a0ax", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "12345", "SW16", "SW16 1A", "SW16 1AAA", "ABC 1AA", "<script>", "S W 1 6 1 A A A"]
)
def test_malformed_postcodes_are_refused_with_a_message(raw: str) -> None:
    with pytest.raises(Invalid, match="postcode"):
        normalise_postcode(raw)


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ruth.Signer@Example.ORG ") == "ruth.signer@example.org"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ruth",
        "ruth@",
        "@example.org",
        "ruth@example",
        "ruth@@example.org",
        "ru th@example.org",
        "ruth@exa..mple.org",
        "<script>@example.org",
        "ruth@example.org\nBcc: x@y.z",
        "a" * 250 + "@example.org",
    ],
)
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(Invalid):
        normalise_email(raw)


def test_text_keeps_markup_as_typed_but_limits_length() -> None:
    assert clean_text("<b>Ruth</b>\x00 ", label="name", max_length=20) == "<b>Ruth</b>"
    with pytest.raises(Invalid, match="at most 5 characters"):
        clean_text("abcdef", label="name", max_length=5)
    with pytest.raises(Invalid, match="Enter your name"):
        clean_text("   ", label="name", max_length=5)
