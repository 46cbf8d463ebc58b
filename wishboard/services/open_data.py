"""The open data the site publishes: each export's address, format, fields, licence and filters.

One description, read by the open-data page (/data), by the headers of the exports themselves
(their licence as a `Link`), and by the tests that hold every export to its documented fields.

The data is under the site's licence (a setting, by default the Licence Ouverte 2.0), except the
shops imported from OpenStreetMap (their reference starts with `osm:`): those remain
© OpenStreetMap contributors under the ODbL, whose share-alike terms apply to a database made
from them. An export that holds such shops says so.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .demand.counts import TOP_TYPES

# The filters of the map and the lists that exports may take, as query arguments.
MAP_FILTERS = ("type", "group", "district")
SHOP_FILTERS = (*MAP_FILTERS, "q")
OSM_PREFIX = "osm:"
# The gaps' file holds the first this many gap types of a premises as numbered columns.
GAP_TYPES = 5


@dataclass(frozen=True)
class Licence:
    """A licence under which data is published: its name and where to read it."""

    name: str
    url: str


ODBL = Licence("Open Database License (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/")
OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"


@dataclass(frozen=True)
class ExportField:
    """One field (a GeoJSON property, or a CSV column) and what it means.

    A numbered field (`upto` > 0) stands for `upto` of them: `{n}` in its name is 1, 2… (the
    first, second… of a ranking), each null when the ranking is shorter.
    """

    name: str
    meaning: LazyString
    upto: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The properties or columns this field stands for, in order."""
        if not self.upto:
            return (self.name,)
        return tuple(self.name.format(n=number) for number in range(1, self.upto + 1))

    @property
    def shown_name(self) -> str:
        """The name as the open-data page shows it: `top1_code … top3_code` when numbered."""
        names = self.names
        return names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"


def export_field_names(fields: tuple[ExportField, ...]) -> list[str]:
    """Every property or column name that `fields` stand for, in order."""
    return [name for field in fields for name in field.names]


@dataclass(frozen=True)
class Export:
    """One file anyone may download: where it is, what it holds, and how to narrow it.

    `description` may name `%(cell_m)d` (the area cells' size) and `%(radius_m)d` (the radius
    of a gap): `describe` fills them from the settings.
    """

    key: str
    endpoint: str
    title: LazyString
    description: LazyString
    format: str
    fields: tuple[ExportField, ...]
    filters: tuple[str, ...] = ()
    csv: bool = False  # offered for a spreadsheet too (`?variant=spreadsheet`)
    holds_osm_shops: bool = False  # some rows may come from OpenStreetMap (ODbL)

    def describe(self, settings: Mapping[str, int]) -> str:
        """The description with the settings it names filled in."""
        return str(self.description) % settings

    def example_args(self, filter_args: Mapping[str, str]) -> dict[str, str]:
        """The chosen filters that this export takes, as its query arguments."""
        return {name: value for name, value in filter_args.items() if name in self.filters}


def _ranked(prefix: str, ranking: LazyString, count: LazyString, upto: int) -> tuple:
    """The numbered fields of a ranking of shop types: the code, name and count of each."""
    return (
        ExportField(
            f"{prefix}{{n}}_code",
            _l(
                "%(ranking)s, n from 1 to %(upto)d: the code (the OpenStreetMap tag) of the n-th; "
                "null when there are fewer.",
                ranking=ranking,
                upto=upto,
            ),
            upto,
        ),
        ExportField(
            f"{prefix}{{n}}_label",
            _l("Its name, in the language asked for (Accept-Language: fr or en)."),
            upto,
        ),
        ExportField(f"{prefix}{{n}}_count", count, upto),
    )


_TOP = _ranked(
    "top",
    _l("The shop types most wished for there, most wished first"),
    _l("Its supports there."),
    TOP_TYPES,
)
_URL = _l("Its page on this site, as an absolute address.")

EXPORTS: tuple[Export, ...] = (
    Export(
        key="premises",
        endpoint="api.premises_geojson",
        title=_l("Empty premises and their demand"),
        description=_l(
            "The premises on the map, vacant and let, with what residents wish for in each: "
            "one point per premises."
        ),
        format="GeoJSON",
        fields=(
            ExportField(
                "id",
                _l(
                    "The premises' number on this site, also the feature's `id` (GIS software "
                    "reads it as the FID)."
                ),
            ),
            ExportField("address", _l("The premises' street address.")),
            ExportField("district", _l("The district it lies in.")),
            ExportField("status", _l("`vacant`, or `let` once a shop has opened there.")),
            ExportField(
                "total_support",
                _l(
                    "Supports from residents at this premises, all shop types together: the "
                    "current ones (an old support that its resident does not confirm stops "
                    "counting)."
                ),
            ),
            *_TOP,
            ExportField(
                "let_code",
                _l("For a let premises, the code of the shop type that opened; null otherwise."),
            ),
            ExportField("let_label", _l("Its name; null when not let.")),
            ExportField("let_since", _l("The date it was let (YYYY-MM-DD); null when not let.")),
            ExportField(
                "let_asked",
                _l("The residents who had asked for that type there; null when not let."),
            ),
            ExportField("url", _URL),
        ),
        filters=(*MAP_FILTERS, "bbox"),
    ),
    Export(
        key="premises-clusters",
        endpoint="api.premises_clusters_geojson",
        title=_l("Empty premises counted by area"),
        description=_l(
            "The premises on the map counted in the squares of a grid, as the map shows them "
            "zoomed out: one point per square, where its premises are on average. `zoom` (0 to "
            "22) sets the squares' side, 90 / 2^zoom degrees; `bbox` "
            "(west,south,east,north) keeps the squares of a part of the map."
        ),
        format="GeoJSON",
        fields=(
            ExportField("count", _l("Premises in the square.")),
            ExportField("total_support", _l("Supports at those premises, all types together.")),
            ExportField("west", _l("The box around those premises: its west edge (longitude).")),
            ExportField("south", _l("Its south edge (latitude).")),
            ExportField("east", _l("Its east edge (longitude).")),
            ExportField("north", _l("Its north edge (latitude).")),
        ),
        filters=(*MAP_FILTERS, "bbox", "zoom"),
    ),
    Export(
        key="area-wishes",
        endpoint="api.area_wishes_geojson",
        title=_l("Wishes around a spot"),
        description=_l(
            "Wishes pinned on a spot of the map rather than in a premises, counted in squares "
            "of %(cell_m)d m: one polygon per square. No author, comment or pinned point is "
            "ever published."
        ),
        format="GeoJSON",
        fields=(
            ExportField("count", _l("Published wishes in the square.")),
            *_ranked(
                "top",
                _l("The shop types most wished for in the square, most wished first"),
                _l("The wishes for it in the square."),
                TOP_TYPES,
            ),
        ),
    ),
    Export(
        key="shops",
        endpoint="api.shops_geojson",
        title=_l("Open shops"),
        description=_l(
            "The shops and services open in the town, from the directory: one point each."
        ),
        format="GeoJSON",
        fields=(
            ExportField(
                "id",
                _l("The shop's number on this site, also the feature's `id` (the FID in GIS)."),
            ),
            ExportField("name", _l("The shop's name.")),
            ExportField("shop_type", _l("The code of its type (the OpenStreetMap tag).")),
            ExportField(
                "shop_type_label",
                _l("The name of its type, in the language asked for (fr or en)."),
            ),
            ExportField("address", _l("Its street address.")),
            ExportField("postcode", _l("Its postcode, when known; null otherwise.")),
            ExportField("city", _l("Its town, when known; null otherwise.")),
            ExportField("district", _l("The district it lies in, when known; null otherwise.")),
            ExportField(
                "osm_id",
                _l(
                    "For a shop imported from OpenStreetMap, its object there (`node/123`); "
                    "null otherwise."
                ),
            ),
            ExportField("url", _URL),
        ),
        filters=(*SHOP_FILTERS, "bbox"),
        holds_osm_shops=True,
    ),
    Export(
        key="gaps",
        endpoint="api.gaps_geojson",
        title=_l("Gaps: the shops residents miss"),
        description=_l(
            "The vacant premises where residents wish for a type of shop that has no open shop "
            "within %(radius_m)d m: one point per premises."
        ),
        format="GeoJSON",
        fields=(
            ExportField(
                "id",
                _l(
                    "The premises' number on this site, also the feature's `id` (the FID in "
                    "GIS), as in the premises' file."
                ),
            ),
            ExportField("address", _l("The premises' street address.")),
            ExportField("district", _l("The district it lies in.")),
            ExportField(
                "gap_count",
                _l(
                    "How many missing types it has in all; the file lists the first "
                    "%(upto)d, the premises' page all of them.",
                    upto=GAP_TYPES,
                ),
            ),
            *_ranked(
                "gap",
                _l("The missing types, most supported first"),
                _l("Its supports at the premises."),
                GAP_TYPES,
            ),
            ExportField("url", _URL),
        ),
    ),
    Export(
        key="demand",
        endpoint="api.demand_csv",
        title=_l("Demand, premises by premises"),
        description=_l(
            "One row per premises and wished shop type, for every premises on the map, by "
            "premises then most wished first. A premises nobody supports has no row."
        ),
        format="CSV",
        fields=(
            ExportField("premises_id", _l("The premises' number on this site.")),
            ExportField("reference", _l("The premises' reference in the town's records.")),
            ExportField("address", _l("The premises' street address.")),
            ExportField("district", _l("The district it lies in.")),
            ExportField("premises_status", _l("`vacant` or `let`.")),
            ExportField("latitude", _l("Latitude (WGS 84, degrees).")),
            ExportField("longitude", _l("Longitude (WGS 84, degrees).")),
            ExportField(
                "shop_type_code", _l("The wished shop type's code (the OpenStreetMap tag).")
            ),
            ExportField("shop_type_label_fr", _l("Its name in French.")),
            ExportField("shop_type_label_en", _l("Its name in English.")),
            ExportField(
                "supports",
                _l(
                    "Residents supporting that type at that premises now (an old support that "
                    "its resident does not confirm stops counting)."
                ),
            ),
        ),
        csv=True,
    ),
    Export(
        key="opportunities",
        endpoint="api.opportunities_csv",
        title=_l("Opportunities: where a new shop is wanted"),
        description=_l(
            "One row per shop type and district with demand in its vacant premises, most unmet "
            "demand first. Demand at a premises counts as unmet when no open shop of the type "
            "stands within %(radius_m)d m of it; a wish pinned on a spot counts at its nearest "
            "vacant premises within %(radius_m)d m."
        ),
        format="CSV",
        fields=(
            ExportField("rank", _l("The row's place in the ranking, from 1.")),
            ExportField(
                "shop_type_code", _l("The wished shop type's code (the OpenStreetMap tag).")
            ),
            ExportField("shop_type_label_fr", _l("Its name in French.")),
            ExportField("shop_type_label_en", _l("Its name in English.")),
            ExportField("district_id", _l("The district's number on this site.")),
            ExportField("district", _l("The district's name.")),
            ExportField(
                "unmet_demand",
                _l(
                    "Supports and area wishes at the district's vacant premises that have no "
                    "open shop of the type nearby."
                ),
            ),
            ExportField(
                "supports",
                _l("Residents supporting the type in the district's vacant premises now."),
            ),
            ExportField(
                "area_wishes",
                _l("Wishes pinned on a spot whose nearest vacant premises is in the district."),
            ),
            ExportField(
                "open_shops_near",
                _l("Open shops of the type near the district's premises that carry the demand."),
            ),
            ExportField("premises_count", _l("Vacant premises carrying the demand.")),
            ExportField("top_premises_id", _l("The number of the most supported of them.")),
            ExportField("top_address", _l("Its street address.")),
            ExportField(
                "premises_ids",
                _l("The numbers of all of them, most supported first, separated by spaces."),
            ),
        ),
        filters=MAP_FILTERS,
        csv=True,
    ),
)


def site_licence(settings: Mapping[str, str]) -> Licence:
    """The licence of the site's own data, from the settings (`WISHBOARD_DATA_LICENCE…`)."""
    return Licence(settings["WISHBOARD_DATA_LICENCE"], settings["WISHBOARD_DATA_LICENCE_URL"])


def export_for(endpoint: str | None) -> Export | None:
    """The export served by `endpoint`, or None."""
    return next((export for export in EXPORTS if export.endpoint == endpoint), None)


def licences_of(export: Export, site_licence: Licence) -> list[Licence]:
    """The licences under which `export`'s rows are published: ours, and the ODbL if OSM's."""
    return [site_licence, ODBL] if export.holds_osm_shops else [site_licence]


def link_header(export: Export, site_licence: Licence, description_url: str) -> str:
    """The `Link` header of an export: its licences (rel="license") and the page describing it."""
    links = [
        # title* (RFC 8187): a licence's name may hold any character; a header only Latin-1.
        f"<{licence.url}>; rel=\"license\"; title*=UTF-8''{quote(licence.name, safe='')}"
        for licence in licences_of(export, site_licence)
        if licence.url
    ]
    links.append(f'<{description_url}>; rel="describedby"')
    return ", ".join(links)


def osm_id(reference: str | None) -> str | None:
    """A shop's OpenStreetMap object ("node/123") when it was imported from there, else None."""
    if reference and reference.startswith(OSM_PREFIX):
        return reference.removeprefix(OSM_PREFIX)
    return None
