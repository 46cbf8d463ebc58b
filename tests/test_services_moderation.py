"""Moderation rules: the queue, decisions, flags, hiding and trusted residents."""

from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from wishboard.extensions import db
from wishboard.models import AuditEvent, Flag, OutboxMessage, Role, Support, WishStatus
from wishboard.services.demand import moderation, wishes
from wishboard.services.demand.counts import demand_for
from wishboard.settings import settings as app_settings

K = 3  # flags that hide a wish


@pytest.fixture(autouse=True)
def english(app):
    """These tests read the English messages (the e-mails keep their reader's language)."""
    with app.test_request_context(), force_locale("en"):
        yield


def pending(premises=None, author=None, code="shop=bakery", comment="Du bon pain", **extra):
    return factories.make_wish(
        premises or factories.make_premises(),
        author,
        shop_type=factories.shop_type(code),
        comment=comment,
        status=WishStatus.PENDING,
        **extra,
    )


def counts(premises) -> dict[str, int]:
    return {item.shop_type.code: item.count for item in demand_for(premises)}


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def moderator():
    user = factories.make_user(Role.MODERATOR)
    db.session.commit()
    return user


# The queue


def test_the_queue_holds_pending_wishes_oldest_first(app, moderator) -> None:
    premises = factories.make_premises()
    newer = pending(premises, created_at=datetime(2026, 3, 2))
    older = pending(premises, code="shop=butcher", created_at=datetime(2026, 3, 1))
    factories.make_wish(
        premises, comment="Déjà publié", shop_type=factories.shop_type("shop=florist")
    )
    db.session.commit()

    page = moderation.queue(1, 20)

    assert [wish.id for wish in page.items] == [older.id, newer.id]
    assert page.total == moderation.pending_count() == 2
    assert [wish.id for wish in moderation.queue(2, 1).items] == [newer.id]


def test_author_records_count_published_and_rejected_comments(app) -> None:
    author, other = factories.make_user(), factories.make_user()
    for code in ("shop=bakery", "shop=butcher"):
        factories.make_wish(
            None,
            author,
            latitude=48.87,
            longitude=2.38,
            comment="Oui",
            shop_type=factories.shop_type(code),
        )
    factories.make_wish(
        factories.make_premises(), author, status=WishStatus.REJECTED, comment="Non"
    )
    factories.make_wish(factories.make_premises(), author)  # no comment: not a comment
    db.session.commit()

    records = moderation.author_records([author.id, other.id, None])

    assert records == {author.id: moderation.AuthorRecord(published=2, rejected=1)}


def test_publishing_counts_the_wish_and_is_audited(app, moderator) -> None:
    wish = pending()
    db.session.commit()

    decision = moderation.publish(moderator, [wish.id])

    assert decision.decided == [wish] and decision.already_decided == []
    assert wish.status is WishStatus.PUBLISHED and wish.moderated_by_id == moderator.id
    assert counts(wish.premises) == {"shop=bakery": 1}
    [event] = events("wish.published")
    assert (event.actor_id, event.object_type, event.object_id) == (moderator.id, "wish", wish.id)
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "published"})


def test_a_second_decision_on_the_same_item_changes_nothing(app, moderator) -> None:
    wish = pending()
    db.session.commit()
    moderation.reject(moderator, [wish.id], "abusive", app_settings().mail)
    other = factories.make_user(Role.ADMIN)
    db.session.commit()

    again = moderation.reject(other, [wish.id], "advertising", app_settings().mail)
    publish = moderation.publish(other, [wish.id])

    assert again.decided == [] and again.already_decided == [wish]
    assert publish.decided == [] and publish.already_decided == [wish]
    assert wish.status is WishStatus.REJECTED and wish.rejection_reason == "abusive"
    assert wish.moderated_by_id == moderator.id
    assert moderation.already_decided_message(wish) == "This item was already rejected."
    assert counts(wish.premises) == {}
    assert len(events("wish.rejected")) == 1 and events("wish.published") == []
    assert len(outbox()) == 1


def test_rejecting_tells_the_author_why_in_their_language(app, moderator) -> None:
    french = factories.make_user(display_name="Lucie", locale="fr")
    english = factories.make_user(display_name="Sam <b>", locale="en")
    premises = factories.make_premises(address="12 rue de Meaux")
    first = pending(premises, french, comment="Une <script>boulangerie</script>")
    second = pending(premises, english, comment="Please a bakery")
    db.session.commit()

    decision = moderation.reject(
        moderator, [first.id, second.id], "advertising", app_settings().mail
    )

    assert decision.decided == [first, second]
    fr, en = outbox()
    assert (fr.recipient, en.recipient) == (french.email, english.email)
    assert fr.subject == "Votre commentaire n’a pas été publié"
    assert "Publicité ou spam" in fr.body_text and "12 rue de Meaux" in fr.body_text
    assert en.subject == "Your comment was not published"
    assert "The reason: Advertising or spam" in en.body_text
    assert "Sam &lt;b&gt;" in en.body_html and "Sam <b>" not in en.body_html
    assert "&lt;script&gt;" in fr.body_html and "<script>" not in fr.body_html
    assert {message.status.value for message in (fr, en)} == {"sent"}
    assert counts(premises) == {}


def test_a_typed_reason_is_kept_as_typed(app, moderator) -> None:
    wish = pending()
    db.session.commit()

    reason = moderation.clean_reason(None, "  Hors   sujet ici ")
    moderation.reject(moderator, [wish.id], reason, app_settings().mail)

    assert wish.rejection_reason == "Hors sujet ici"
    assert moderation.reason_label(wish.rejection_reason) == "Hors sujet ici"
    assert moderation.reason_label("abusive") == "Insulting, hateful or abusive"


@pytest.mark.parametrize(
    ("reason", "typed"), [(None, ""), (None, "   "), ("", None), (None, "x" * 201)]
)
def test_a_rejection_needs_a_reason(app, reason, typed) -> None:
    with pytest.raises(moderation.ModerationError):
        moderation.clean_reason(reason, typed)


def test_a_bulk_decision_reports_what_others_decided_first(app, moderator) -> None:
    premises = factories.make_premises()
    items = [
        pending(premises, code=code) for code in ("shop=bakery", "shop=butcher", "shop=florist")
    ]
    db.session.commit()
    moderation.publish(moderator, [items[1].id])

    decision = moderation.publish(moderator, [wish.id for wish in items] + [items[0].id])

    assert decision.decided == [items[0], items[2]]
    assert decision.already_decided == [items[1]]
    assert counts(premises) == {"shop=bakery": 1, "shop=butcher": 1, "shop=florist": 1}
    assert db.session.scalar(select(func.count()).select_from(Support)) == 3


def test_an_empty_selection_is_refused(app, moderator) -> None:
    with pytest.raises(moderation.ModerationError, match="Select at least one item"):
        moderation.publish(moderator, [])


# Trusted residents


def test_a_resident_becomes_trusted_after_published_comments_and_no_rejection(app) -> None:
    resident = factories.make_user()
    db.session.commit()
    for code in ("shop=bakery", "shop=butcher"):
        factories.make_wish(
            factories.make_premises(), resident, comment="Oui", shop_type=factories.shop_type(code)
        )
    db.session.commit()
    assert not moderation.is_trusted(resident, 3)

    factories.make_wish(factories.make_premises(), resident, comment="Encore")
    db.session.commit()
    assert moderation.is_trusted(resident, 3)
    assert not moderation.is_trusted(resident, 3, enabled=False)

    factories.make_wish(
        factories.make_premises(), resident, comment="Non", status=WishStatus.REJECTED
    )
    db.session.commit()
    assert not moderation.is_trusted(resident, 3)


def test_a_trusted_residents_comment_counts_at_once(app) -> None:
    resident, premises = factories.make_user(), factories.make_premises()
    db.session.commit()

    wish = wishes.make_wish(resident, premises, factories.shop_type(), "Du pain", 3, trusted=True)

    assert wish.status is WishStatus.PUBLISHED
    assert counts(premises) == {"shop=bakery": 1}
    assert [w.comment for w in wishes.published_comments(premises)] == ["Du pain"]


# Flags


def reporters(count: int):
    people = [factories.make_user() for _ in range(count)]
    db.session.commit()
    return people


def test_k_reports_hide_a_comment_until_a_moderator_decides(app) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="Insulte")
    db.session.commit()
    first, second, third = reporters(3)

    assert moderation.flag(first, wish, "abusive", K)
    assert moderation.flag(second, wish, "Spam évident", K)
    assert wish.status is WishStatus.PUBLISHED
    assert moderation.flag(third, wish, "abusive", K)

    assert wish.status is WishStatus.HIDDEN and wish.moderated_by_id is None
    assert wishes.published_comments(wish.premises) == []
    [event] = events("wish.auto_hidden")
    assert event.actor_id is None and event.after == {"status": "hidden", "flags": 3}
    assert moderation.flagged_count() == 1 and moderation.hidden_count() == 1


def test_one_person_reporting_twice_counts_once(app) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="Bof")
    db.session.commit()
    [reporter] = reporters(1)

    assert moderation.flag(reporter, wish, "abusive", 2)
    assert not moderation.flag(reporter, wish, "abusive", 2)

    assert wish.status is WishStatus.PUBLISHED
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


def test_after_a_moderator_kept_a_comment_its_reporter_may_report_it_again(app, moderator) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="Limite")
    db.session.commit()
    [reporter] = reporters(1)
    assert moderation.earlier_report(reporter, wish) is None
    assert moderation.flag(reporter, wish, "abusive", 2)
    first = moderation.earlier_report(reporter, wish)
    assert first.resolved_at is None

    moderation.dismiss_flags(moderator, wish)
    assert moderation.earlier_report(reporter, wish).resolved_at is not None

    # The comment may have changed since: a new report is recorded, the first kept as history.
    assert moderation.flag(reporter, wish, "personal", 2)
    latest = moderation.earlier_report(reporter, wish)
    assert latest.id != first.id and latest.reason == "personal" and latest.resolved_at is None
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 2
    # Still one open report per person: a third click changes nothing, and hides nothing.
    assert not moderation.flag(reporter, wish, "abusive", 2)
    assert moderation.flagged_count() == 1 and wish.status is WishStatus.PUBLISHED


def test_nobody_reports_their_own_wish_or_one_not_shown(app) -> None:
    author = factories.make_user()
    wish = factories.make_wish(factories.make_premises(), author, comment="Moi")
    rejected = factories.make_wish(
        factories.make_premises(), comment="Refusé", status=WishStatus.REJECTED
    )
    db.session.commit()
    [other] = reporters(1)

    with pytest.raises(moderation.ModerationError, match="your own"):
        moderation.flag(author, wish, "abusive", K)
    with pytest.raises(moderation.ModerationError, match="no longer shown"):
        moderation.flag(other, rejected, "abusive", K)
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


def test_the_flags_view_groups_reports_per_item_most_reported_first(app) -> None:
    premises = factories.make_premises()
    once = factories.make_wish(
        premises, comment="Un", shop_type=factories.shop_type("shop=butcher")
    )
    twice = factories.make_wish(premises, comment="Deux")
    db.session.commit()
    a, b = reporters(2)
    moderation.flag(a, once, "abusive", K)
    moderation.flag(a, twice, "abusive", K)
    moderation.flag(b, twice, "personal", K)

    pagination, items = moderation.flagged(1, 20)

    assert [item.wish for item in items] == [twice, once]
    assert [[f.reason for f in item.flags] for item in items] == [
        ["abusive", "personal"],
        ["abusive"],
    ]
    assert pagination.total == 2


def test_dismissing_reports_shows_the_comment_and_closes_them(app, moderator) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="Correct")
    db.session.commit()
    for reporter in reporters(K):
        moderation.flag(reporter, wish, "abusive", K)
    assert wish.status is WishStatus.HIDDEN

    moderation.dismiss_flags(moderator, wish)

    assert wish.status is WishStatus.PUBLISHED and moderation.flagged_count() == 0
    assert len(events("wish.unhidden")) == 1
    # Closed flags no longer count: one new report does not hide it again.
    [late] = reporters(1)
    moderation.flag(late, wish, "abusive", K)
    assert wish.status is WishStatus.PUBLISHED


def test_keeping_a_comment_hidden_closes_its_reports(app, moderator) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="Insulte")
    db.session.commit()
    for reporter in reporters(K):
        moderation.flag(reporter, wish, "abusive", K)

    moderation.keep_hidden(moderator, wish)

    assert wish.status is WishStatus.HIDDEN and moderation.flagged_count() == 0
    assert len(events("wish.kept_hidden")) == 1
    with pytest.raises(moderation.ModerationError):
        moderation.dismiss_flags(moderator, factories.make_wish(factories.make_premises()))


def test_hide_and_unhide_any_published_item(app, moderator) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="À cacher")
    factories.make_support(wish.premises, wish.author)
    db.session.commit()

    moderation.hide(moderator, wish)
    # Hiding is about the words: the wish still counts.
    assert counts(wish.premises) == {"shop=bakery": 1}
    assert wish.status is WishStatus.HIDDEN and wish.moderated_by_id == moderator.id
    assert [w.id for w in moderation.hidden(1, 20).items] == [wish.id]
    with pytest.raises(moderation.ModerationError, match="already hidden"):
        moderation.hide(moderator, wish)

    moderation.unhide(moderator, wish)
    assert wish.status is WishStatus.PUBLISHED
    with pytest.raises(moderation.ModerationError, match="already published"):
        moderation.unhide(moderator, wish)
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "wish.hidden",
        "wish.unhidden",
    ]


def test_who_may_report_and_who_may_hide(app, moderator) -> None:
    author, reader = factories.make_user(), factories.make_user()
    unverified = factories.make_user(verified=False)
    wish = factories.make_wish(factories.make_premises(), author, comment="Bonjour")
    db.session.commit()

    assert moderation.may_flag(reader, wish)
    assert not moderation.may_flag(author, wish)
    assert not moderation.may_flag(unverified, wish)
    assert not moderation.may_flag(None, wish)
    assert moderation.may_moderate(moderator) and not moderation.may_moderate(reader)
    assert not moderation.may_moderate(None)
    wish.status = WishStatus.HIDDEN
    assert not moderation.may_flag(reader, wish)
