"""The shop-type taxonomy data file and its loading."""

import csv
import re
import shutil
from importlib import resources
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from wishboard.extensions import db
from wishboard.models import ShopType, ShopTypeGroup
from wishboard.services import taxonomy

OSM_TAG = re.compile(r"^(shop|amenity|craft|leisure|office|healthcare)=[a-z_]+$")


def data_rows(filename: str) -> list[dict[str, str]]:
    with resources.files("wishboard.data").joinpath(filename).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_the_file_has_many_types_in_several_groups(app):
    assert count(ShopType) >= 60
    assert count(ShopTypeGroup) >= 6
    assert count(ShopType) == len(data_rows("shop_types.csv"))


def test_codes_are_unique_openstreetmap_tags():
    codes = [row["code"] for row in data_rows("shop_types.csv")]
    assert len(codes) == len(set(codes))
    assert [code for code in codes if not OSM_TAG.match(code)] == []
    groups = [row["code"] for row in data_rows("shop_type_groups.csv")]
    assert len(groups) == len(set(groups))


def test_every_type_has_both_labels_in_sentence_case(app):
    for shop_type in db.session.scalars(select(ShopType)):
        for label in (shop_type.label_fr, shop_type.label_en):
            assert label.strip() == label and label[0].isupper(), shop_type.code
    for group in db.session.scalars(select(ShopTypeGroup)):
        assert group.label_fr and group.label_en and group.shop_types


def test_french_labels_keep_their_accents(app):
    labels = {t.code: t.label_fr for t in db.session.scalars(select(ShopType))}
    assert labels["shop=deli"] == "Épicerie fine"
    assert labels["craft=shoemaker"] == "Cordonnerie"
    assert labels["shop=bakery"] == "Boulangerie"


def test_loading_twice_changes_nothing(app):
    before = {t.code: (t.id, t.label_fr, t.position) for t in db.session.scalars(select(ShopType))}
    groups = count(ShopTypeGroup)

    assert taxonomy.load_shop_types() == len(before)

    after = {t.code: (t.id, t.label_fr, t.position) for t in db.session.scalars(select(ShopType))}
    assert after == before
    assert count(ShopTypeGroup) == groups


def test_a_label_edited_in_the_file_is_updated(app, tmp_path, monkeypatch):
    for filename in ("shop_type_groups.csv", "shop_types.csv"):
        with resources.as_file(resources.files("wishboard.data").joinpath(filename)) as path:
            shutil.copy(path, tmp_path / filename)
    edited = tmp_path / "shop_types.csv"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "food,shop=bakery,Boulangerie,Bakery", "food,shop=bakery,Boulangerie-pâtisserie,Bakery"
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(taxonomy, "resources", SimpleNamespace(files=lambda package: tmp_path))
    types = count(ShopType)

    taxonomy.load_shop_types()

    bakery = db.session.scalar(select(ShopType).where(ShopType.code == "shop=bakery"))
    assert bakery.label_fr == "Boulangerie-pâtisserie"
    assert count(ShopType) == types


@pytest.mark.parametrize("code", ["shop=bakery\x00", "shop=\x07bakery", "x" * 81, "", None])
def test_a_code_that_cannot_be_a_shop_type_finds_none_on_any_database(any_db_app, code) -> None:
    assert taxonomy.active_shop_type(code) is None
    assert taxonomy.active_shop_type("shop=bakery").code == "shop=bakery"
