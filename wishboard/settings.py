"""The settings services are handed: one typed object built from the app's config in create_app.

A service does not read `current_app`: a view or a command passes it `settings()` (or the one value
a function needs), and a test passes the values it wants. The services that still read the app
are listed in tests/test_architecture.py (and CONTRIBUTING.md) until they are changed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

EXTENSION_KEY = "wishboard.settings"

# The defaults the config reads its environment variables against (config.py), which a service
# function uses when its caller passes nothing (the tests, a shell).
DEFAULT_AREA_RADIUS_M = 300
# The demo town's (south, west, north, east), in Paris's 19th arrondissement.
DEFAULT_MAP_BOUNDS = (48.8450, 2.3600, 48.9030, 2.4170)


@dataclass(frozen=True)
class Settings:
    """What the domain rules need to know of the town's configuration."""

    area_radius_m: int  # a shop within this distance of a premises counts as near
    map_bounds: tuple[float, float, float, float]  # south, west, north, east
    max_types_per_premises: int  # the shop types a resident may support at one premises

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        """The settings of a Flask config (WISHBOARD_* keys, see config.py)."""
        return cls(
            area_radius_m=config["WISHBOARD_AREA_RADIUS_M"],
            map_bounds=tuple(config["WISHBOARD_MAP_BOUNDS"]),
            max_types_per_premises=config["WISHBOARD_MAX_TYPES_PER_PREMISES"],
        )


def settings() -> Settings:
    """The running app's settings, for views and commands to hand to services."""
    return current_app.extensions[EXTENSION_KEY]
