"""Every user-facing string is translatable (issue 17 point 7, docs/decisions/0027-welsh.md).

Two checks, each with a test that shows it can fail:

- **Templates.** Every page and email template is read with Django's own template lexer.
  Text outside ``{% translate %}`` / ``{% blocktranslate %}`` — words between tags, and
  the attributes people read or hear (``title``, ``alt``, ``placeholder``, ``aria-label``,
  the ``value`` of a button) — is listed with its template and line. Template variables
  are data (names, titles, figures) and are not checked. An element that must not be
  translated (a code sample, a language's own name in the switcher) says so with the
  HTML attribute made for it, ``translate="no"``; its text is not checked.
- **Python.** In the apps' code, the strings a person reads — the message of a refusal
  (``DomainError`` and its kin, a form's ``ValidationError``, ``add_error``), a flash
  message, a form field's ``label``, ``help_text`` or ``empty_label`` — are a call to
  ``gettext`` (or ``gettext_lazy``, ``ngettext``…), not a bare string or an f-string.

Out of scope, knowingly: Django admin; the counting library and the count reports
(``counting``, ``reports``: pure libraries without Django, whose output is the official
record of a count); management commands (English command-line tools for officers and
operators); the JSON API (``api.py``: messages for integrators' programs); the models'
``help_text`` (schema notes read in Django admin); the demo seeders; the pure rule
modules, which cannot import Django (the form or view that shows their answer words it
in the reader's language); logs and the audit log (records, not messages).
"""

from __future__ import annotations

import ast
import html
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

SRC = Path(__file__).resolve().parents[2] / "src" / "rankandfile"
WORDS = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: a word, not "·", "—" or "42"
HOLE = "\x00"  # where a template variable or tag was
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}


# --- templates ----------------------------------------------------------------------------
def templates() -> list[Path]:
    found = []
    for path in sorted(SRC.rglob("templates/**/*")):
        if path.suffix not in {".html", ".txt"} or not path.is_file():
            continue
        parts = path.relative_to(SRC).parts
        if parts[parts.index("templates") + 1] == "admin":
            continue  # templates/admin/...: Django admin, out of scope
        found.append(path)
    return found


def _flatten(source: str) -> str:
    """The template's text with every variable, tag, comment and translated block replaced
    by a hole; line breaks are kept so that line numbers stay true."""
    out: list[str] = []
    inside: str | None = None  # the end tag of a block whose content is not checked
    for token in Lexer(source).tokenize():
        raw = token.contents
        if token.token_type == TokenType.TEXT and inside is None:
            out.append(raw)
            continue
        if token.token_type == TokenType.BLOCK and raw.split():
            name = raw.split()[0]
            if inside is not None:
                inside = None if name == inside else inside
            elif name in {"blocktranslate", "blocktrans"}:
                inside = "end" + name
            elif name == "comment":
                inside = "endcomment"
        out.append(HOLE + "\n" * raw.count("\n"))
    return "".join(out)


class _Reader(HTMLParser):
    """Collects (line, text) for words a person reads that are not translated."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skip: list[str] = []  # open elements whose text is not read or not checked

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "style"} or values.get("translate") == "no":
            if tag not in {"br", "img", "input", "meta", "link", "hr"}:
                self.skip.append(tag)
            return
        if self.skip:
            return
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and (values.get("type") or "") in {"submit", "button", "reset"}
            )
            if read and value:
                self._check(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip:
            self.handle_starttag(tag, attrs)
            if tag in {"script", "style"} or dict(attrs).get("translate") == "no":
                self.skip.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._check(data)

    def _check(self, text: str) -> None:
        plain = html.unescape(text).replace(HOLE, " ")
        if WORDS.search(plain):
            self.found.append((self.getpos()[0], " ".join(plain.split())[:70]))


def untranslated_in_template(source: str, *, email: bool = False) -> list[tuple[int, str]]:
    flat = _flatten(source)
    if email:  # a plain-text email: every word outside the tags is read
        return [
            (number, " ".join(line.replace(HOLE, " ").split())[:70])
            for number, line in enumerate(flat.splitlines(), start=1)
            if WORDS.search(line.replace(HOLE, " "))
        ]
    reader = _Reader()
    reader.feed(flat)
    reader.close()
    return reader.found


def test_the_template_check_finds_words_outside_translate() -> None:
    page = (
        "{% load i18n %}<h1>{% translate 'Your ballots' %}</h1>\n"
        "<p>{{ ballot.title }} — {{ count }}</p>\n"
        "<p>Closes on {{ ballot.closes_at }}</p>\n"
        '<a href="/x" title="Open the ballot">{% translate "Open" %}</a>\n'
        '<input type="submit" value="{% translate "Vote" %}">\n'
        "{% blocktranslate with n=count %}{{ n }} papers{% endblocktranslate %}\n"
        '<code translate="no">curl -H "Authorization"</code>{# a note #}\n'
        "{% comment %}Not read by anyone{% endcomment %}<script>let words = 1;</script>\n"
        '<button type="submit" value="close" aria-label="Close the menu">×</button>\n'
    )
    assert untranslated_in_template(page) == [
        (3, "Closes on"),
        (4, "Open the ballot"),
        (9, "Close the menu"),
    ]
    email = "{% load i18n %}{% translate 'Dear member' %}\nYour code is {{ code }}\n"
    assert untranslated_in_template(email, email=True) == [(2, "Your code is")]


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(SRC)))
def test_every_template_string_is_translatable(path: Path) -> None:
    found = untranslated_in_template(path.read_text(encoding="utf-8"), email=path.suffix == ".txt")
    assert found == [], "\n".join(f"{path.relative_to(SRC)}:{n}: {text}" for n, text in found)


# --- Python -------------------------------------------------------------------------------
OUT_OF_SCOPE = {"counting", "reports", "migrations", "management", "locale", "data"}
REFUSALS = {
    "DomainError",
    "PermissionDenied",
    "NotFound",
    "ValidationError",
    "HistoryError",
    "TriggerError",
    "StructureError",
    "Invalid",
    "BodyLimitError",
}
READ_KEYWORDS = {"label", "help_text", "empty_label"}
MESSAGE_LEVELS = {"success", "error", "info", "warning", "debug"}


def pure_modules() -> set[Path]:
    """The pure rule modules (import-linter: "The pure rule modules run without Django")
    cannot call Django's gettext; the form or view that shows their answer words it."""
    config = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"].startswith("The pure rule modules")
    )
    return {
        SRC.parent / (module.replace(".", "/") + ".py") for module in contract["source_modules"]
    }


def python_modules() -> list[Path]:
    pure = pure_modules()
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if not OUT_OF_SCOPE & set(path.relative_to(SRC).parts)
        and path.name not in {"demo.py", "settings.py", "models.py", "api.py", "admin.py"}
        and not path.name.startswith("demo_")
        and path not in pure
    ]


def test_the_pure_modules_are_found() -> None:
    pure = pure_modules()
    assert SRC / "campaigns" / "validation.py" in pure
    assert all(path.exists() for path in pure), sorted(p for p in pure if not p.exists())


def _is_literal(node: ast.AST) -> bool:
    """A bare string a person would read: a constant with words, an f-string, or either
    formatted with % or .format()."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and WORDS.search(str(part.value)) for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _is_literal(node.left) or _is_literal(node.right)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return _is_literal(node.func.value)
    return False


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def untranslated_in_python(source: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        owner = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        read: list[ast.AST] = []
        if name in REFUSALS or name.endswith("Refused"):
            read = node.args[:1]
        elif (owner == "messages" and name in MESSAGE_LEVELS) or name == "add_error":
            read = node.args[1:2]
        if owner != "audit":  # audit.record(label=...) is a record: English on purpose
            read += [kw.value for kw in node.keywords if kw.arg in READ_KEYWORDS]
        for value in read:
            if _is_literal(value):
                found.append((node.lineno, ast.unparse(value)[:70]))
    return found


def test_the_python_check_finds_bare_strings() -> None:
    source = (
        "from django.utils.translation import gettext as _\n"
        "raise DomainError(f'The ballot {b} is closed')\n"
        "raise DomainError(_('The ballot %(b)s is closed') % {'b': b})\n"
        "messages.success(request, 'Saved')\n"
        "messages.success(request, _('Saved'))\n"
        "name = forms.CharField(label='Your name', max_length=9)\n"
        "name = forms.CharField(label=_('Your name'))\n"
        "form.add_error('name', 'Too long: %d' % n)\n"
        "raise ValidationError(message)\n"
        "raise NotFound('42')\n"
        "audit.record(actor=a, action='x', label=f'import of {name}')\n"
    )
    assert [line for line, _text in untranslated_in_python(source)] == [2, 4, 6, 8]


@pytest.mark.parametrize("path", python_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_every_python_message_is_translatable(path: Path) -> None:
    found = untranslated_in_python(path.read_text(encoding="utf-8"))
    assert found == [], "\n".join(f"{path.relative_to(SRC)}:{n}: {text}" for n, text in found)
