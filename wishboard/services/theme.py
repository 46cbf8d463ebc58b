"""A town's look: its accent colour made readable (WCAG AA) wherever the pages use it.

The accent colours links (text on white, on the light surface of panels and on its own light
tint) and fills buttons under white text. A colour a town chooses is kept when it reads at
4.5:1 on each of those backgrounds; otherwise it is darkened, keeping its hue, until it does, and
the site says so in its log. The darker shade (hover) and the light tint are derived from it.
"""

import colorsys
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from wishboard.services.errors import DomainError

AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"
# The light background of panels, filters and the header (static/css/site.css, --surface).
SURFACE = "#f5f3ef"
# How much of the accent the light tint keeps (the rest is white).
TINT_SHARE = 0.12
HOVER_DARKEN = 0.78
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


class ThemeError(DomainError, ValueError):
    """A theme setting that cannot be used (the message says which and why)."""


@dataclass(frozen=True)
class Accent:
    """The accent colour a page uses, its hover shade and light tint, and what the town asked."""

    colour: str
    dark: str
    soft: str
    asked: str

    @property
    def adjusted(self) -> bool:
        """True when the colour asked for was darkened to be readable."""
        return self.colour != self.asked

    def css_variables(self) -> str:
        """The custom properties that override the stylesheet's defaults."""
        return f"--accent: {self.colour}; --accent-dark: {self.dark}; --accent-soft: {self.soft}"


def parse_colour(value: str) -> str:
    """`#rrggbb` (lower case) for a hex colour written `#rgb`, `rrggbb`…; ThemeError otherwise."""
    match = _HEX.fullmatch(value.strip())
    if match is None:
        raise ThemeError(f"{value!r} is not a hex colour such as #1f5fa8")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return f"#{digits}"


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _hex(red: float, green: float, blue: float) -> str:
    parts = (max(0.0, min(1.0, part)) for part in (red, green, blue))
    return "#" + "".join(f"{round(part * 255):02x}" for part in parts)


def relative_luminance(colour: str) -> float:
    """The WCAG 2.1 relative luminance of an sRGB colour."""

    def linear(part: float) -> float:
        return part / 12.92 if part <= 0.04045 else ((part + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(part) for part in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _mix(colour: str, other: str, share: float) -> str:
    """`share` of `colour` and the rest of `other`."""
    pairs = zip(_rgb(colour), _rgb(other), strict=True)
    return _hex(*(share * first + (1 - share) * second for first, second in pairs))


def _darker(colour: str, factor: float) -> str:
    """The same hue and saturation with its lightness multiplied by `factor`."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    return _hex(*colorsys.hls_to_rgb(hue, lightness * factor, saturation))


def _readable(colour: str) -> bool:
    backgrounds = (WHITE, SURFACE, _mix(colour, WHITE, TINT_SHARE))
    return all(contrast(colour, background) >= AA_NORMAL_TEXT for background in backgrounds)


def accent(asked: str) -> Accent:
    """The accent for the colour a town asked for, darkened if needed to read at 4.5:1."""
    colour = parse_colour(asked)
    chosen = colour
    factor = 1.0
    while not _readable(chosen):
        factor -= 0.02
        chosen = _darker(colour, factor)
        if factor <= 0.02:  # black reads on every light background: never reached in practice
            chosen = "#000000"
            break
    return Accent(
        colour=chosen,
        dark=_darker(chosen, HOVER_DARKEN),
        soft=_mix(chosen, WHITE, TINT_SHARE),
        asked=colour,
    )


@dataclass(frozen=True)
class Theme:
    """What a town set of its look: a logo address and an accent (None: Wishboard's own)."""

    logo_url: str = ""
    accent: Accent | None = None

    @property
    def style(self) -> str:
        """The custom properties to set on the page, or an empty string."""
        return self.accent.css_variables() if self.accent else ""

    @property
    def logo_origin(self) -> str | None:
        """The other site the logo comes from (for the page's image policy), if any."""
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def site_theme(logo_url: str, accent_colour: str) -> Theme:
    """The theme of the settings `WISHBOARD_LOGO_URL` and `WISHBOARD_ACCENT_COLOUR`."""
    logo_url = logo_url.strip()
    if logo_url:
        parts = urlsplit(logo_url)
        on_this_site = not parts.scheme and not parts.netloc and logo_url.startswith("/")
        elsewhere = parts.scheme == "https" and bool(parts.netloc)
        if not (on_this_site or elsewhere) or any(char in logo_url for char in "\"'<> \\"):
            raise ThemeError(
                f"{logo_url!r} must be a path on this site (/static/theme/logo.svg) "
                "or an https:// address"
            )
    return Theme(logo_url=logo_url, accent=accent(accent_colour) if accent_colour.strip() else None)
