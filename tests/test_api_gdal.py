"""The open-data GeoJSON as a GIS team takes it: GDAL (ogr2ogr) converts each file to a
GeoPackage without a warning, and reads every property as a plain column (no list, no JSON)."""

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import skip_or_fail
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.services.open_data import EXPORTS, GAP_TYPES, export_field_names

# The four files a GIS team downloads, by their key in the catalogue (the clusters are the map's).
FILES = {
    "premises": "/api/premises.geojson",
    "area-wishes": "/api/area-wishes.geojson",
    "shops": "/api/shops.geojson",
    "gaps": "/api/gaps.geojson",
}
# More wished types than the gaps' file has columns for, so that it must leave some out.
WISHED = (
    "shop=bakery",
    "shop=cheese",
    "shop=butcher",
    "shop=greengrocer",
    "shop=seafood",
    "shop=deli",
    "shop=wine",
)
# `ogrinfo -so` lists each field as `name: Type (width.precision)`.
FIELD = re.compile(r"^(?P<name>\w+): (?P<type>\w+(?:\(\w+\))?) \(")


@pytest.fixture(scope="module")
def gdal() -> None:
    if not (shutil.which("ogr2ogr") and shutil.which("ogrinfo")):
        skip_or_fail(
            "the GeoJSON check needs GDAL's ogr2ogr and ogrinfo (apt-get install gdal-bin)"
        )


@pytest.fixture
def town(app) -> dict:
    """A small realistic town: busy, quiet and let premises, area wishes, shops with and
    without a postcode (one from OpenStreetMap), and a premises with many gaps."""
    belleville = factories.make_district("Belleville")
    busy = factories.make_premises(
        address="12 rue de l'Orillon", district=belleville, latitude=48.871, longitude=2.379
    )
    for count, code in enumerate(WISHED, start=1):
        for _ in range(count):
            factories.make_support(busy, code=code)
    factories.make_premises(address="3 passage Piver", district=belleville)
    let = factories.make_premises(
        address="40 rue de Tourtille",
        district=belleville,
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 5, 1),
    )
    factories.make_support(let, code="shop=books")
    for latitude, code in (
        (48.8725, "shop=bakery"),
        (48.8726, "shop=cheese"),
        (48.874, "shop=wine"),
    ):
        factories.make_wish(
            premises=None, shop_type=factories.shop_type(code), latitude=latitude, longitude=2.38
        )
    factories.make_shop(
        name="Fromagerie « Chez Zoé »", shop_type=factories.shop_type("shop=cheese")
    )
    factories.make_shop(name="Épicerie", postcode="", city="", district=belleville)
    factories.make_shop(name="Boulangerie OSM", reference="osm:node/4242")
    db.session.commit()
    return {"busy": busy}


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", list(FILES))
def test_gdal_converts_each_file_to_a_geopackage_without_a_warning(
    gdal, client: FlaskClient, town: dict, tmp_path: Path, key: str, language: str
) -> None:
    response = client.get(FILES[key], headers={"Accept-Language": language})
    assert response.status_code == 200
    source = tmp_path / f"{key}.geojson"
    source.write_bytes(response.get_data())
    target = tmp_path / f"{key}.gpkg"

    converted = _run("ogr2ogr", "-f", "GPKG", str(target), str(source))

    assert converted.returncode == 0, converted.stderr
    assert converted.stderr == "", f"ogr2ogr warned: {converted.stderr}"
    summary = _run("ogrinfo", "-al", "-so", str(target))
    assert summary.returncode == 0, summary.stderr
    fields = {
        match["name"]: match["type"]
        for line in summary.stdout.splitlines()
        if (match := FIELD.match(line.strip()))
    }
    (export,) = [export for export in EXPORTS if export.key == key]
    documented = export_field_names(export.fields)
    assert set(fields) == set(documented)
    plain = {"Integer", "Integer64", "Real", "String", "Date", "DateTime"}
    assert {name: kind for name, kind in fields.items() if kind not in plain} == {}
    assert f"Feature Count: {len(response.get_json(force=True)['features'])}" in summary.stdout


def test_gdal_reads_the_feature_id_as_the_fid(gdal, client: FlaskClient, town, tmp_path) -> None:
    source = tmp_path / "premises.geojson"
    source.write_bytes(client.get(FILES["premises"]).get_data())

    shown = _run("ogrinfo", "-al", "-q", "-where", f"id = {town['busy'].id}", str(source))

    assert f"OGRFeature(premises):{town['busy'].id}" in shown.stdout
    # The gaps' file keeps its first GAP_TYPES of them, and says how many there are in all.
    gaps = client.get(FILES["gaps"]).get_json(force=True)["features"]
    (busy,) = [feature for feature in gaps if feature["id"] == town["busy"].id]
    assert busy["properties"]["gap_count"] == len(WISHED) > GAP_TYPES
    assert busy["properties"][f"gap{GAP_TYPES}_code"] is not None
