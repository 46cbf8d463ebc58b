"""The directory's queries: filters, name search, order, one shop, and correction requests."""

import pytest

from tests import factories
from wishboard.extensions import db
from wishboard.models import CorrectionStatus, ShopCorrection
from wishboard.services.shops import directory as shops
from wishboard.services.shops.directory import ShopFilter


def names(filters: ShopFilter = shops.NO_FILTER) -> list[str]:
    return [shop.name for shop in db.session.scalars(shops.directory(filters))]


@pytest.fixture
def town(app):
    """Four shops of three types (two groups) in two districts, one without a district."""
    north, south = factories.make_district("Nord"), factories.make_district("Sud")
    factories.make_shop(name="Boulangerie Martin", district=north)
    factories.make_shop(
        name="le fromager", shop_type=factories.shop_type("shop=cheese"), district=south
    )
    factories.make_shop(
        name="Café 100%", shop_type=factories.shop_type("amenity=cafe"), district=north
    )
    factories.make_shop(name="Au Pain_Doré", district=None)
    db.session.commit()
    return {"north": north, "south": south}


def test_the_whole_directory_is_ordered_by_name_whatever_the_case(town):
    assert names() == ["Au Pain_Doré", "Boulangerie Martin", "Café 100%", "le fromager"]


def test_filters_by_type_group_and_district(town):
    assert names(ShopFilter(shop_type="shop=bakery")) == ["Au Pain_Doré", "Boulangerie Martin"]
    food = factories.shop_type("shop=bakery").group.code
    cafe_group = factories.shop_type("amenity=cafe").group.code
    assert food != cafe_group
    assert "Café 100%" not in names(ShopFilter(group=food))
    assert "le fromager" in names(ShopFilter(group=food))
    assert names(ShopFilter(group=cafe_group)) == ["Café 100%"]
    assert names(ShopFilter(district_id=town["north"].id)) == ["Boulangerie Martin", "Café 100%"]
    assert names(ShopFilter(shop_type="shop=bakery", district_id=town["south"].id)) == []


def test_name_search_ignores_case_and_takes_wildcards_literally(town):
    assert names(ShopFilter(search="BOULANGERIE")) == ["Boulangerie Martin"]
    assert names(ShopFilter(search="%")) == ["Café 100%"]
    assert names(ShopFilter(search="_")) == ["Au Pain_Doré"]
    assert names(ShopFilter(search="pharmacie")) == []


def test_narrows_only_with_a_filter():
    assert not shops.NO_FILTER.narrows
    assert ShopFilter(search="a").narrows
    assert ShopFilter(district_id=3).narrows


def test_map_rows_follow_the_same_filters(town):
    rows = shops.map_shops(ShopFilter(district_id=town["north"].id))
    assert sorted(row.name for row in rows) == ["Boulangerie Martin", "Café 100%"]
    assert {row.district for row in rows} == {"Nord"}
    no_district = shops.map_shops(ShopFilter(search="pain"))
    assert [(row.name, row.district) for row in no_district] == [("Au Pain_Doré", None)]


def test_get_shop(app):
    shop = factories.make_shop()
    db.session.commit()
    assert shops.get_shop(shop.id) is shop
    assert shops.get_shop(shop.id + 1000) is None


def test_request_correction_stores_an_open_request(app):
    shop = factories.make_shop()
    correction = shops.request_correction(
        shop, "  Jeanne Martin ", " Jeanne@Example.org ", "  Nous fermons le lundi.  "
    )
    db.session.commit()
    stored = db.session.get(ShopCorrection, correction.id)
    assert stored.shop_id == shop.id
    assert stored.requester_name == "Jeanne Martin"
    assert stored.requester_email == "jeanne@example.org"
    assert stored.message == "Nous fermons le lundi."
    assert stored.status is CorrectionStatus.OPEN
    assert stored.handled_by is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org", "https://example.org"),
        (" HTTP://example.org/a ", "HTTP://example.org/a"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("example.org", None),
        ("", None),
        (None, None),
    ],
)
def test_web_link_keeps_only_http_links(url, expected):
    assert shops.web_link(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.org/", "example.org"),
        ("http://example.org/menu", "example.org/menu"),
        ("https://instagram.com/boulangerie", "instagram.com/boulangerie"),
        ("https://", "https://"),
    ],
)
def test_link_text_reads_like_an_address(url, expected):
    assert shops.link_text(url) == expected


def test_search_and_filters_agree_on_sqlite_and_postgresql(any_db_app):
    district = factories.make_district("Nord")
    factories.make_shop(name="Épicerie 50% Bio", district=district)
    factories.make_shop(name="Le_Fournil", shop_type=factories.shop_type("shop=cheese"))
    db.session.commit()

    assert names(ShopFilter(search="50%")) == ["Épicerie 50% Bio"]
    assert names(ShopFilter(search="e_f")) == ["Le_Fournil"]
    assert names(ShopFilter(search="BIO", district_id=district.id)) == ["Épicerie 50% Bio"]
    assert names(ShopFilter(shop_type="shop=cheese")) == ["Le_Fournil"]
    food = factories.shop_type("shop=bakery").group.code
    assert len(shops.map_shops(ShopFilter(group=food))) == 2
