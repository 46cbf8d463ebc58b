"""Update the French and English catalogues from translations/messages.pot.

English texts are the msgids themselves, so the English catalogue is filled with them; French ones
are written by people. Prints how many French texts still need a translation.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def update(locale: str) -> int:
    """Bring one catalogue up to date with the template; returns its untranslated count."""
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = read_po(handle)
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with open(path, "rb") as handle:
            catalogue = read_po(handle, locale=locale)
    else:
        with open(TRANSLATIONS / "messages.pot", "rb") as handle:
            catalogue = read_po(handle, locale=locale)
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    catalogue.fuzzy = False  # a fuzzy header would make `pybabel compile` skip the catalogue
    catalogue.project, catalogue.version = "Wishboard", ""
    missing = 0
    for message in catalogue:
        if not message.id:
            continue
        if locale == "en" and message.pluralizable and not all(message.string):
            message.string = tuple(message.id)  # English: singular and plural, as written
        elif locale == "en" and not message.string:
            message.string = message.id
        if not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            missing += 1
    with open(path, "wb") as handle:
        write_po(handle, catalogue, width=100, omit_header=False, sort_output=True)
    return missing


if __name__ == "__main__":
    for code in ("fr", "en"):
        print(f"{code}: {update(code)} texts to translate")
