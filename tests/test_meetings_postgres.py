"""Four "Let's talk" at once (a double click, two tabs) introduce the two sides once, on
PostgreSQL."""

import pytest

from tests import factories
from tests.helpers import count
from tests.mail_server import smtp_server
from tests.test_concurrency_postgres import run_together
from tests.test_report_mail_postgres import pg_app, port  # noqa: F401  (fixtures)
from wishboard.extensions import db
from wishboard.models import (
    LandlordAnswer,
    OutboxMessage,
    ProjectHorizon,
    ProjectInterest,
    Role,
    ShopProject,
)
from wishboard.services.people import meetings
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.postgres


def test_four_talk_answers_at_once_send_one_pair_of_e_mails(pg_app, port):  # noqa: F811
    district = factories.make_district("Belleville")
    landlord = factories.make_user(role=Role.LANDLORD, email="owner@example.org")
    place = factories.make_premises(district=district, landlord=landlord)
    holder = factories.make_user(role=Role.ENTREPRENEUR, email="holder@example.org")
    project = ShopProject(
        owner=holder,
        shop_type=factories.shop_type("shop=bakery"),
        horizon=ProjectHorizon.SOON,
        districts=[district],
    )
    db.session.add(project)
    db.session.commit()
    with smtp_server(port) as inbox:
        interest_id = meetings.express_interest(holder, project, place, app_settings()).id

        def talk(i: int):
            interest = db.session.get(ProjectInterest, interest_id)
            return meetings.answer(interest, LandlordAnswer.TALK, landlord, app_settings())

        results = run_together(pg_app, 4, talk)

    introduced = [result for result in results if result is True]
    assert len(introduced) == 1, results
    assert all(r is False or isinstance(r, meetings.MeetingError) for r in results if r is not True)
    assert count(OutboxMessage, OutboxMessage.dedup_key.like("introduction:%")) == 2
    recipients = sorted(email["To"] for email in inbox.messages)
    assert recipients == ["holder@example.org", "owner@example.org", "owner@example.org"]
