"""The premises of the map by part of it: a box (bbox), and counts by cell of a grid, on SQLite
and on PostgreSQL."""

import pytest

from tests import factories
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.services.geometry import BBox
from wishboard.services.premises.listing import (
    PremisesFilter,
    cell_degrees,
    map_cells,
    map_premises,
    map_premises_batches,
)

STEP = 0.01  # a cell's side in these tests, in degrees


def _premises(latitude: float, longitude: float, supports: int = 0, **values):
    premises = factories.make_premises(latitude=latitude, longitude=longitude, **values)
    for _ in range(supports):
        factories.make_support(premises)
    return premises


def test_cells_count_premises_support_and_mean_position(any_db_app) -> None:
    _premises(48.8712, 2.3812, supports=2)
    _premises(48.8718, 2.3818, supports=1)
    _premises(48.8805, 2.3812)  # the next cell north
    _premises(48.8714, 2.3814, status=PremisesStatus.WITHDRAWN)  # not on the map
    # Both sides of 0 (a town may be anywhere): the grid's floor goes below zero correctly.
    _premises(-0.0050, -0.0150)
    _premises(0.0050, 0.0050)
    db.session.commit()

    cells = map_cells(PremisesFilter(), STEP)

    assert [cell.count for cell in cells] == [1, 1, 2, 1]
    south, zero, busy, north = cells
    assert (south.latitude, south.longitude) == pytest.approx((-0.005, -0.015))
    assert (zero.latitude, zero.longitude) == pytest.approx((0.005, 0.005))
    assert busy.total_support == 3 and north.total_support == 0
    assert (busy.latitude, busy.longitude) == pytest.approx((48.8715, 2.3815))
    assert busy.bounds.as_list(digits=None) == pytest.approx([2.3812, 48.8712, 2.3818, 48.8718])


def test_a_bbox_keeps_its_premises_for_the_list_and_the_cells(any_db_app) -> None:
    inside = _premises(48.875, 2.385, supports=1)
    edge = _premises(48.880, 2.390)  # on the box's corner: inside
    _premises(48.881, 2.385)
    _premises(48.875, 2.391)
    db.session.commit()
    box = PremisesFilter(bbox=BBox(2.38, 48.87, 2.39, 48.88))

    assert [row.id for row in map_premises(box)] == [inside.id, edge.id]
    assert sum(cell.count for cell in map_cells(box, cell_degrees(14))) == 2
    assert [cell.total_support for cell in map_cells(box, 1.0)] == [1]


def test_batches_read_every_premises_once_in_order(any_db_app) -> None:
    ids = [_premises(48.87, 2.38 + n * 1e-4).id for n in range(7)]
    db.session.commit()

    batches = list(map_premises_batches(PremisesFilter(), size=3))

    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert [row.id for batch in batches for row in batch] == ids
    assert [len(batch) for batch in map_premises_batches(PremisesFilter(), size=7)] == [7]
