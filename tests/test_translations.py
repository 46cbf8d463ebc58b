"""The French and English catalogues hold every text of the code and templates."""

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
