"""The French and English catalogues hold every text of the code and templates."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The msgids that `make messages` would extract right now."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "wishboard", "templates"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with open(pot, "rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_text_is_translated(extracted, locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {
        message.id
        for message in catalogue
        if message.id and message.string and not message.fuzzy
        and (not isinstance(message.string, tuple) or all(message.string))
    }  # fmt: skip
    missing = sorted(str(text) for text in extracted - translated)
    assert missing == [], f"run `make messages` and translate: {missing[:10]}"


# Quotation marks: English “…”, French « … » with non-breaking spaces inside. A straight " or a
# quote of the other language in a text is a mistake (an HTML attribute's quotes are not text).
TAG = re.compile(r"<[^>]*>")
NBSP = "\u00a0\u202f"
QUOTES = re.compile("[“”«»„]")
SINGLE_QUOTED = r"(?:^|\s)'[^'\s][^']*'(?=[\s.,;:!?)]|$)"  # 'this', not an apostrophe
WRONG_IN_ENGLISH = re.compile(rf"[«»„\"]|{SINGLE_QUOTED}")
WRONG_IN_FRENCH = re.compile(rf"[“”„\"]|«[^{NBSP}]|[^{NBSP}]»|{SINGLE_QUOTED}")


def texts(message) -> tuple[list[str], list[str]]:
    """The msgids (English) and the msgstrs of a catalogue entry, without HTML tags."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [TAG.sub("", text) for text in ids], [TAG.sub("", text) for text in strings if text]


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_quotation_marks_follow_each_language(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        english, translated = texts(message)
        wrong += [text for text in english if WRONG_IN_ENGLISH.search(text)]
        pattern = WRONG_IN_FRENCH if locale == "fr" else WRONG_IN_ENGLISH
        wrong += [text for text in translated if pattern.search(text)]
    assert wrong == [], "English “…”, French «\u00a0…\u00a0» (non-breaking spaces inside)"


@pytest.mark.parametrize(
    ("text", "english_ok", "french_ok"),
    [
        ("the column “name” is empty", True, False),
        ("la colonne «\u00a0nom\u00a0» est vide", False, True),
        ("la colonne « nom » est vide", False, False),  # ordinary spaces break apart
        ('the column "name" is empty', False, False),
        ("the column 'name' is empty", False, False),
        ("the residents' comments, l’équipe", True, True),
    ],
)
def test_the_quotation_check_tells_right_from_wrong(text, english_ok, french_ok):
    assert (WRONG_IN_ENGLISH.search(text) is None) is english_ok
    assert (WRONG_IN_FRENCH.search(text) is None) is french_ok


def test_quotation_marks_in_the_code_come_from_the_catalogues(extracted):
    """A text the code quotes by itself (f"“{name}”") would show English quotes in French."""
    msgids = {
        text
        for message in extracted
        for text in (message if isinstance(message, tuple) else (message,))
    }
    found = []
    for path in sorted((ROOT / "wishboard").rglob("*.py")):
        if path.name == "collation.py":  # its table of punctuation is data, not a text
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            elif isinstance(node, ast.JoinedStr):
                text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
                text = text if text in msgids else text + "{}"  # an f-string is no msgid
            else:
                continue
            if QUOTES.search(text) and text not in msgids:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text}")
    assert found == []
