"""A town's theme: its accent colour stays readable (WCAG AA), its logo and name show."""

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from tests.conftest import make_app
from wishboard.services import theme

BACKGROUNDS = ("#ffffff", theme.SURFACE)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#ffffff", "#000000", 21.0),
        ("#000000", "#000000", 1.0),
        ("#777777", "#ffffff", 4.48),  # the classic grey that just fails
        ("#1f5fa8", "#ffffff", 6.44),  # Wishboard's own accent
    ],
)
def test_contrast_follows_wcag(first, second, ratio):
    assert theme.contrast(first, second) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("written", ["#1F5FA8", "1f5fa8", " #1f5fa8 "])
def test_colours_are_read_in_any_usual_spelling(written):
    assert theme.parse_colour(written) == "#1f5fa8"


def test_short_colours_are_expanded():
    assert theme.parse_colour("#abc") == "#aabbcc"


@pytest.mark.parametrize("written", ["blue", "#12345", "#ggg000", "rgb(0,0,0)", ""])
def test_a_colour_that_is_not_hex_is_refused(written):
    with pytest.raises(theme.ThemeError, match="hex colour"):
        theme.parse_colour(written)


def test_a_readable_colour_is_kept():
    accent = theme.accent("#1f5fa8")

    assert accent.colour == "#1f5fa8"
    assert not accent.adjusted


def test_a_light_colour_is_darkened_keeping_its_hue():
    accent = theme.accent("#ffcc00")  # a town's yellow: 1.6:1 on white

    assert accent.adjusted and accent.asked == "#ffcc00"
    assert all(theme.contrast(accent.colour, ground) >= 4.5 for ground in BACKGROUNDS)
    red, green, blue = (int(accent.colour[i : i + 2], 16) for i in (1, 3, 5))
    assert red > green > blue  # still a yellow-orange, not a grey


@given(st.integers(min_value=0, max_value=0xFFFFFF))
def test_every_colour_a_town_may_set_reads_at_aa(number):
    accent = theme.accent(f"#{number:06x}")

    grounds = (*BACKGROUNDS, accent.soft)
    assert all(theme.contrast(accent.colour, ground) >= 4.5 for ground in grounds)
    # Buttons: white text on the accent and on its hover shade.
    assert theme.contrast(accent.dark, "#ffffff") >= 4.5


def _page(**settings) -> tuple[BeautifulSoup, TestResponse]:
    app = make_app(**settings)
    response = app.test_client().get("/premises")
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser"), response


def test_the_default_theme_sets_nothing():
    page, _ = _page()

    assert page.html.get("style") is None
    assert page.select_one(".site-logo") is None
    assert page.select_one(".site-name").get_text() == "Wishboard"


def test_a_darkened_accent_is_said_in_the_log(caplog):
    make_app(WISHBOARD_ACCENT_COLOUR="#ffcc00")

    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("#ffcc00" in line and theme.accent("#ffcc00").colour in line for line in said)


def test_a_readable_accent_is_used_as_it_is_without_a_word(caplog):
    page, _ = _page(WISHBOARD_ACCENT_COLOUR="#1f5fa8")

    assert page.html["style"].startswith("--accent: #1f5fa8;")
    assert not [
        record for record in caplog.records if "WISHBOARD_ACCENT_COLOUR" in record.getMessage()
    ]


def test_a_town_sets_its_name_logo_and_accent():
    page, response = _page(
        WISHBOARD_SITE_NAME="Pessac <commerces>",
        WISHBOARD_LOGO_URL="https://www.example.org/logo.svg",
        WISHBOARD_ACCENT_COLOUR="#ffcc00",
    )

    accent = theme.accent("#ffcc00")
    assert page.html["style"] == (
        f"--accent: {accent.colour}; --accent-dark: {accent.dark}; --accent-soft: {accent.soft}"
    )
    logo = page.select_one(".site-brand img.site-logo")
    assert logo["src"] == "https://www.example.org/logo.svg"
    assert logo["alt"] == ""  # the name beside it says it
    assert page.select_one(".site-name").get_text() == "Pessac <commerces>"
    assert (
        "https://www.example.org"
        in response.headers["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    )


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("WISHBOARD_ACCENT_COLOUR", "bleu", "hex colour"),
        ("WISHBOARD_LOGO_URL", "http://example.org/logo.png", "https://"),
        ("WISHBOARD_LOGO_URL", "javascript:alert(1)", "https://"),
        ("WISHBOARD_LOGO_URL", 'logo.png" onerror="x', "https://"),
    ],
)
def test_a_theme_setting_that_cannot_work_stops_the_start(setting, value, complaint):
    with pytest.raises(RuntimeError, match=complaint):
        make_app(**{setting: value})
