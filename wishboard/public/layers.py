"""The map layers the public pages share: the directory's open shops."""

from flask import url_for
from flask_babel import gettext as _

from ..maps import MapLayer, PopupLine

# Teal squares with a dark outline: apart from the premises' circles in shape and in colour.
SHOPS_COLOUR = "#0f7c6c"


def shops_layer(shown: bool, **filter_args: str) -> MapLayer:
    """The open shops (narrowed by the directory's `filter_args`) as a switchable map layer."""
    return MapLayer(
        key="shops",
        url=url_for("api.shops_geojson", **filter_args),
        label=_("Open shops"),
        colour=SHOPS_COLOUR,
        shown=shown,
        shape="square",
        title="name",
        # Its type, then its address: street, then postcode and town when known.
        lines=(
            PopupLine("%(shop_type_label)s"),
            PopupLine("%(address)s"),
            PopupLine("%(postcode)s %(city)s"),
        ),
    )
