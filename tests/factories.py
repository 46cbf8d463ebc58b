"""Plain builder functions for test data: `make_premises(**overrides)` and friends."""

from itertools import count

from werkzeug.security import generate_password_hash

from wishboard.config import TEST_PASSWORD_HASH_METHOD
from wishboard.extensions import db
from wishboard.models import (
    District,
    Premises,
    Role,
    Shop,
    ShopCorrection,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
    utcnow,
)

PASSWORD = "correct horse battery"
_sequence = count(1)
# One hash serves every test user, and a cheap one: the site's own (scrypt) is slow on purpose,
# and checking it at each of the suite's sign-ins took 17 CPU seconds. The stored hash names its
# method, so the app checks this one as it is. The test apps hash new passwords the same way
# (TestingConfig); tests/test_services_accounts.py checks the site's method too.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method=TEST_PASSWORD_HASH_METHOD)


def make_user(role: Role = Role.RESIDENT, verified: bool = True, **overrides) -> User:
    n = next(_sequence)
    values = {
        "email": f"user{n}@example.org",
        "display_name": f"User {n}",
        "password_hash": _PASSWORD_HASH,
        "role": role,
        "email_verified_at": utcnow() if verified else None,
    }
    user = User(**(values | overrides))
    db.session.add(user)
    db.session.flush()
    return user


def make_district(name: str | None = None) -> District:
    name = name or f"Quartier {next(_sequence)}"
    district = db.session.query(District).filter_by(name=name).one_or_none()
    if district is None:
        district = District(name=name)
        db.session.add(district)
        db.session.flush()
    return district


def shop_type(code: str = "shop=bakery") -> ShopType:
    """A shop type of the loaded taxonomy."""
    return db.session.query(ShopType).filter_by(code=code).one()


def make_shop_type(**overrides) -> ShopType:
    """A new active shop type in the group of bakeries, after every loaded type."""
    n = next(_sequence)
    values = {
        "code": f"shop=test_{n}",
        "label_fr": f"Type {n}",
        "label_en": f"Type {n}",
        "group": shop_type().group,
        "position": 1000 + n,
    }
    new_type = ShopType(**(values | overrides))
    db.session.add(new_type)
    db.session.flush()
    return new_type


def make_premises(**overrides) -> Premises:
    n = next(_sequence)
    values = {
        "reference": f"P-{n}",
        "address": f"{n} rue de Belleville",
        "postcode": "75019",
        "city": "Paris",
        "latitude": 48.872,
        "longitude": 2.381,
        "surface_m2": 60,
    }
    values |= overrides
    if "district" not in values and "district_id" not in values:
        values["district"] = make_district("Belleville")
    premises = Premises(**values)
    db.session.add(premises)
    db.session.flush()
    return premises


def make_wish(premises: Premises | None = None, author: User | None = None, **overrides) -> Wish:
    """A published wish; pass `premises=None` with a latitude and longitude for an area wish."""
    values = {
        "author": author if author is not None else make_user(),
        "shop_type": shop_type(),
        "status": WishStatus.PUBLISHED,
    }
    area_wish = "latitude" in overrides and premises is None
    values["premises"] = premises if premises is not None or area_wish else make_premises()
    wish = Wish(**(values | overrides))
    db.session.add(wish)
    db.session.flush()
    return wish


def make_support(premises: Premises, resident: User | None = None, code="shop=bakery") -> Support:
    support = Support(
        premises=premises, resident=resident or make_user(), shop_type=shop_type(code)
    )
    db.session.add(support)
    db.session.flush()
    return support


def make_shop(**overrides) -> Shop:
    n = next(_sequence)
    values = {
        "reference": f"S-{n}",
        "name": f"Boutique {n}",
        "shop_type": shop_type(),
        "address": f"{n} rue de Crimée",
        "postcode": "75019",
        "city": "Paris",
        "latitude": 48.885,
        "longitude": 2.380,
    }
    shop = Shop(**(values | overrides))
    db.session.add(shop)
    db.session.flush()
    return shop


def make_correction(shop: Shop | None = None, **overrides) -> ShopCorrection:
    """An open correction request about `shop` (a new shop by default)."""
    values = {
        "shop": shop if shop is not None else make_shop(),
        "requester_name": "Awa Diallo",
        "requester_email": "awa@example.org",
        "message": "We now open on Sundays.",
    }
    correction = ShopCorrection(**(values | overrides))
    db.session.add(correction)
    db.session.flush()
    return correction


def tampered_token(token: str) -> str:
    """`token` with the first character of its signature changed (the last may carry no bits)."""
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
