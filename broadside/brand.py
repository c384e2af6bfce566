"""Takes the [brand] table of site.toml, the project's files and the theme's colours, and gives the validated Brand
(logo, favicons, accent colours, footer, links) and the files it adds to the output."""
from __future__ import annotations

import colorsys
import hashlib
import io
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from .errors import ContentError
from .markup import render_markdown, url_scheme
from .model import BRAND_STYLESHEET, Brand, BrandLink, Icon, Picture, Shades
from .svg import MAX_SVG_BYTES, sanitise_svg
from .themes import Colours, Theme
from .tomlfile import key_line, table_line, value_line

CONFIG_FILE = "site.toml"
KEYS = ("logo", "logo_alt", "show_title", "favicon", "accent", "accent_dark", "footer", "links")
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4096  # a side: plenty for a logo, and a bound on what decoding one costs
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MINIMUM_CONTRAST = 4.5  # WCAG 2 AA for text
FOOTER_CHARACTERS = 1000
LABEL_CHARACTERS = 60
# The PNG favicons made from a bitmap: (rel, file, size). 180 is what iOS asks for; 192 and 512 what Android does.
PNG_ICONS = (("icon", "favicon-16.png", 16), ("icon", "favicon-32.png", 32), ("icon", "favicon-48.png", 48),
             ("apple-touch-icon", "apple-touch-icon.png", 180), ("icon", "icon-192.png", 192), ("icon", "icon-512.png", 512))
FOLDER = "static/brand/"
LINK_SCHEMES = ("http", "https", "mailto", "tel")
WEB_ADDRESS = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?$")
MAIL_ADDRESS = re.compile(r"^mailto:[^\s@]+@[^\s@]+\.[^\s@]+$")
PHONE_NUMBER = re.compile(r"^tel:\+?[0-9][0-9 ()-]{3,}$")


@dataclass(frozen=True)
class Located:
    """The [brand] table with what finds each value's line in site.toml."""

    values: dict
    text: str

    def line(self, key: str) -> int | None:
        """The line `key` of [brand] is set on (the [brand] header when not found)."""
        return key_line(self.text, key, "brand") or table_line(self.text, "brand")

    def error(self, key: str, message: str, hint: str = "") -> ContentError:
        """A problem with `key`, at its line of site.toml."""
        return ContentError(CONFIG_FILE, self.line(key), message, hint)


def read_brand(table: object, text: str, project: Path, theme: Theme) -> tuple[Brand, list[ContentError]]:
    """Check every key of [brand], read its images and work out its colours; give the Brand and every problem."""
    if not isinstance(table, dict):
        return Brand(), [ContentError(CONFIG_FILE, key_line(text, "brand"), "'brand' must be a table",
                                      'write [brand] on a line of its own, then its keys')]
    brand, problems = Located(table, text), []
    problems += [unknown_key(brand, key) for key in table if key not in KEYS]
    logo = read_picture(brand, "logo", project, problems)
    alt = read_text(brand, "logo_alt", problems, limit=200)
    if logo and not alt:
        problems.append(brand.error("logo", "'logo_alt' is missing: a logo needs a text alternative",
                                    'add logo_alt = "the name the logo shows", e.g. logo_alt = "Diamond Watch"'))
    show_title = table.get("show_title", True)
    if type(show_title) is not bool:
        problems.append(brand.error("show_title", f"'show_title' must be true or false, got {show_title!r}", "write show_title = true"))
        show_title = True
    favicon = read_picture(brand, "favicon", project, problems) or logo
    light, dark = read_accents(brand, theme, problems)
    footer = read_footer(brand, problems)
    links = read_links(brand, problems)
    return Brand(logo, alt if logo else "", show_title if logo else True, favicon, icons_for(favicon),
                 light, dark, footer, links), problems


def unknown_key(brand: Located, key: str) -> ContentError:
    """A key [brand] does not know, with the closest known one."""
    import difflib

    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(KEYS)
    return brand.error(key, f"unknown key '{key}' in [brand]", hint)


def read_text(brand: Located, key: str, problems: list[ContentError], limit: int) -> str:
    """A short text value ('' when absent)."""
    value = brand.values.get(key, "")
    if not isinstance(value, str) or len(value) > limit or (key in brand.values and not value.strip()):
        problems.append(brand.error(key, f"'{key}' must be text of 1 to {limit} characters", f'write {key} = "..."'))
        return ""
    return value.strip()


# ---- Images ------------------------------------------------------------------------------------------------------

def read_picture(brand: Located, key: str, project: Path, problems: list[ContentError]) -> Picture | None:
    """The image named by `key` (logo or favicon): a regular file inside the project, an SVG (sanitised), PNG or WebP."""
    if key not in brand.values:
        return None
    rel = brand.values[key]
    kind = IMAGE_TYPES.get(Path(rel).suffix.lower()) if isinstance(rel, str) else None
    if not isinstance(rel, str) or not kind:
        problems.append(brand.error(key, f"'{key}' must name an .svg, .png or .webp file, got {rel!r}",
                                    f'write {key} = "content/brand/{key}.svg"'))
        return None
    try:
        data = read_project_file(project, rel, MAX_SVG_BYTES if kind == "image/svg+xml" else MAX_IMAGE_BYTES)
    except ValueError as problem:
        message, hint = problem.args
        problems.append(brand.error(key, f"'{key}': {message}", hint))
        return None
    name = "favicon" if key == "favicon" else "logo"
    if kind == "image/svg+xml":
        return svg_picture(data, rel, f"{FOLDER}{name}.svg", problems)
    return bitmap_picture(data, rel, kind, f"{FOLDER}{name}{Path(rel).suffix.lower()}", problems)


def read_project_file(project: Path, rel: str, limit: int) -> bytes:
    """Read a regular file inside the project of at most `limit` bytes, never following a link; ValueError(message, hint) if not."""
    inner = Path(rel)
    if inner.is_absolute() or ".." in inner.parts or "\\" in rel or not rel.strip():
        raise ValueError(f"'{rel}' must be a path inside the project, like content/brand/logo.svg", "use a relative path without ..")
    path = project / inner
    for parent in [*reversed(inner.parents)][1:]:
        if (project / parent).is_symlink():
            raise ValueError(f"'{rel}' goes through a symlink ({parent.as_posix()})", "copy the real file into the project")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ValueError(f"'{rel}' does not exist", "check the path: it is relative to the project folder") from None
    except OSError as error:
        raise ValueError(f"cannot read '{rel}': {error.strerror}", "symlinks and special files are not allowed") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"'{rel}' is not a regular file", "symlinks and special files are not allowed")
        if info.st_size > limit:
            raise ValueError(f"'{rel}' is {info.st_size / 1_048_576:.1f} MB; limit {limit // 1024} KB",
                             "save a smaller or simpler image")
        data = os.read(fd, limit + 1)
        if len(data) > limit:
            raise ValueError(f"'{rel}' is over {limit // 1024} KB", "save a smaller or simpler image")
        return data
    finally:
        os.close(fd)


def svg_picture(data: bytes, rel: str, output_path: str, problems: list[ContentError]) -> Picture | None:
    """An SVG file, sanitised; its problems are located in the file itself."""
    cleaned = sanitise_svg(data, rel)
    problems += cleaned.problems
    if cleaned.problems:
        return None
    return Picture(output_path, "image/svg+xml", cleaned.width, cleaned.height, rel,
                   hashlib.sha256(cleaned.data).hexdigest(), cleaned.data)


def bitmap_picture(data: bytes, rel: str, kind: str, output_path: str, problems: list[ContentError]) -> Picture | None:
    """A PNG or WebP file, decoded once to be sure it is whole; copied as it is."""
    from PIL import Image  # only sites with a bitmap logo pay for importing Pillow

    expected = kind.split("/")[1].upper()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                problems.append(ContentError(rel, 1, f"the file is not a {expected} image (it holds {image.format or 'no image'})",
                                             "save it again in the format its name says"))
                return None
            width, height = image.size
            if max(width, height) > MAX_PIXELS:
                problems.append(ContentError(rel, 1, f"the image is {width}x{height} pixels; limit {MAX_PIXELS} a side",
                                             "save a smaller copy"))
                return None
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        problems.append(ContentError(rel, 1, f"cannot read the image: {error}", "save it again as PNG or WebP"))
        return None
    return Picture(output_path, kind, width, height, rel, hashlib.sha256(data).hexdigest(), data)


def icons_for(favicon: Picture | None) -> tuple[Icon, ...]:
    """The favicon files pages name: an SVG as it is, or the PNG set made from a bitmap."""
    if favicon is None:
        return ()
    if favicon.is_vector:
        return (Icon("icon", f"{FOLDER}favicon.svg", "image/svg+xml"),)
    return tuple(Icon(rel, FOLDER + name, "image/png", size) for rel, name, size in PNG_ICONS)


def make_png_icon(favicon: Picture, size: int, opaque: bool) -> bytes:
    """A square PNG of `size` pixels of the favicon, centred on a transparent (or, for iOS, white) square."""
    from PIL import Image

    with Image.open(io.BytesIO(favicon.data)) as image:
        picture = image.convert("RGBA")
    side = max(picture.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 255 if opaque else 0))
    square.alpha_composite(picture, ((side - picture.width) // 2, (side - picture.height) // 2))
    out = io.BytesIO()
    square.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()


def brand_makers(brand: Brand) -> dict[str, tuple[object, Callable[[], bytes]]]:
    """The files the brand adds to the output, each with what it depends on and how to make it."""
    made: dict[str, tuple[object, Callable[[], bytes]]] = {}
    if brand.logo:
        made[brand.logo.output_path] = (brand.logo.digest, lambda: brand.logo.data)
    for icon in brand.icons:
        if icon.size:
            opaque = icon.rel == "apple-touch-icon"  # iOS shows transparency as black
            made[icon.output_path] = ((brand.favicon.digest, icon), lambda icon=icon, opaque=opaque: make_png_icon(brand.favicon, icon.size, opaque))
        else:
            made[icon.output_path] = (brand.favicon.digest, lambda: brand.favicon.data)
    if brand.light:
        made[BRAND_STYLESHEET] = ((brand.light, brand.dark), lambda: colours_stylesheet(brand.light, brand.dark).encode())
    return made


# ---- Colours -----------------------------------------------------------------------------------------------------

STYLESHEET = """/* Made by Broadside from [brand] in site.toml: the accent colours and the shades made from them. */
@media screen {{
  :root {{
    --accent: {light.accent};
    --accent-hover: {light.hover};
    --accent-soft: {light.soft};
  }}
}}

@media screen and (prefers-color-scheme: dark) {{
  :root {{
    --accent: {dark.accent};
    --accent-hover: {dark.hover};
    --accent-soft: {dark.soft};
  }}
}}
"""


def colours_stylesheet(light: Shades, dark: Shades) -> str:
    """The stylesheet that gives the theme the brand's colours on screen (print keeps the theme's black)."""
    return STYLESHEET.format(light=light, dark=dark)


def read_accents(brand: Located, theme: Theme, problems: list[ContentError]) -> tuple[Shades | None, Shades | None]:
    """The accent's shades for the light and dark schemes; `accent_dark`, when absent, is `accent` lightened as
    little as the dark backgrounds need."""
    values = brand.values
    if "accent" not in values:
        if "accent_dark" in values:
            problems.append(brand.error("accent_dark", "'accent_dark' is set without 'accent'", 'add accent = "#rrggbb" too'))
        return None, None
    light = check_accent(brand, "accent", values["accent"], theme.light, theme.name, "light", problems)
    if "accent_dark" in values:
        dark = check_accent(brand, "accent_dark", values["accent_dark"], theme.dark, theme.name, "dark", problems)
    elif light and theme.dark:
        dark = shades_of(nearest_passing(light.accent, theme.dark), theme.dark)
    else:
        dark = None
    return (light, dark) if light and dark else (None, None)


def check_accent(brand: Located, key: str, value: object, colours: Colours | None, theme: str, scheme: str,
                 problems: list[ContentError]) -> Shades | None:
    """The shades of one accent, or None with a problem: not a colour, or too little contrast for text."""
    if not isinstance(value, str) or not COLOUR.match(value):
        problems.append(brand.error(key, f"'{key}' must be a colour like \"#0b5468\", got {value!r}", f'write {key} = "#0b5468"'))
        return None
    if colours is None:
        problems.append(brand.error(key, f"theme '{theme}' names no {scheme} colours to check '{key}' against",
                                    f"add [colours.{scheme}] to themes/{theme}/theme.toml"))
        return None
    shades = shades_of(value.lower(), colours)
    ratio, pair = worst_pair(shades, colours)
    if ratio < MINIMUM_CONTRAST:
        problems.append(brand.error(key, f"'{key}' {value} gives {pair} a contrast of {floor(ratio):.2f}:1 in the {scheme} "
                                         f"scheme; text needs at least {MINIMUM_CONTRAST}:1",
                                    f"the nearest colour of the same hue that passes is {nearest_passing(value.lower(), colours)}"))
        return None
    return shades


def shades_of(accent: str, colours: Colours) -> Shades:
    """The hover shade (further from the background) and the soft shade (a tint of the background) of an accent."""
    background = colours.backgrounds[0]
    away = "#000000" if is_light(background) else "#ffffff"
    return Shades(accent, mix(accent, away, 0.25), mix(accent, background, 0.88 if is_light(background) else 0.8))


def worst_pair(shades: Shades, colours: Colours) -> tuple[float, str]:
    """The lowest contrast among the pairs a page shows: the accent and its hover shade on each background and on
    the soft shade, and body text on the soft shade; with a description of that pair."""
    pairs = [(shades.accent, background, f"links on the background {background}") for background in colours.backgrounds]
    pairs += [(shades.hover, background, f"hovered links on the background {background}") for background in colours.backgrounds]
    pairs += [(shades.accent, shades.soft, f"links on its soft shade {shades.soft}"),
              (colours.text, shades.soft, f"text on its soft shade {shades.soft}")]
    return min((contrast(front, back), what) for front, back, what in pairs)


def nearest_passing(accent: str, colours: Colours) -> str:
    """The colour of the accent's hue and saturation, lightness moved as little as needed, that passes every pair."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*rgb(accent))
    step = -0.0025 if is_light(colours.backgrounds[0]) else 0.0025
    for n in range(401):
        candidate = hex_colour(colorsys.hls_to_rgb(hue, min(1.0, max(0.0, lightness + n * step)), saturation))
        if worst_pair(shades_of(candidate, colours), colours)[0] >= MINIMUM_CONTRAST:
            return candidate
    return "#000000" if step < 0 else "#ffffff"


def rgb(colour: str) -> tuple[float, float, float]:
    """#rrggbb as three numbers from 0 to 1."""
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def hex_colour(channels: tuple[float, float, float]) -> str:
    """Three numbers from 0 to 1 as #rrggbb."""
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02x}" for c in channels)


def mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` of `other` mixed in."""
    return hex_colour(tuple(a * (1 - share) + b * share for a, b in zip(rgb(colour), rgb(other))))


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def is_light(colour: str) -> bool:
    """True for a background dark text reads best on."""
    return contrast(colour, "#000000") >= contrast(colour, "#ffffff")


def floor(ratio: float) -> float:
    """A ratio rounded down to hundredths, so that 4.499 never shows as a passing 4.50."""
    return math.floor(ratio * 100) / 100


# ---- Footer and links --------------------------------------------------------------------------------------------

def read_footer(brand: Located, problems: list[ContentError]) -> Markup:
    """The footer's short Markdown as safe HTML: sanitised, and with full addresses only (pages sit at every depth)."""
    text = brand.values.get("footer", "")
    if not isinstance(text, str) or len(text) > FOOTER_CHARACTERS:
        problems.append(brand.error("footer", f"'footer' must be text of at most {FOOTER_CHARACTERS} characters",
                                    "keep it to a line or two: contact, legal name"))
        return Markup("")
    if not text.strip():
        return Markup("")
    rendered = render_markdown(text, CONFIG_FILE, "index.html", {})
    for removal in rendered.removals:
        problems.append(brand.error("footer", f"'footer': {removal.what} is not allowed", "write plain Markdown"))
    if re.search(r"<(h[1-6]|img|table|pre|blockquote|hr)\b", rendered.html):
        problems.append(brand.error("footer", "'footer' may hold short text, lists and links only", "leave headings, images and tables out"))
    for target in re.findall(r'href="([^"]*)"', rendered.html):
        if url_scheme(target) not in LINK_SCHEMES:
            problems.append(brand.error("footer", f"the footer's link '{target}' must be a full address (https://, mailto: or tel:)",
                                        "pages sit at different depths, so a relative link would break on some"))
    return Markup(rendered.html.strip())


def read_links(brand: Located, problems: list[ContentError]) -> tuple[BrandLink, ...]:
    """The footer's links: each a table of `label` and `url` (http, https, mailto or tel)."""
    values = brand.values.get("links", [])
    if not isinstance(values, list):
        problems.append(brand.error("links", "'links' must be a list of {label, url}",
                                    'write links = [{label = "Mastodon", url = "https://example.social/@us"}]'))
        return ()
    links = []
    for number, item in enumerate(values):
        line = link_line(brand, number, item)
        problem = link_problem(item)
        if problem:
            problems.append(ContentError(CONFIG_FILE, line, *problem))
        else:
            links.append(BrandLink(item["label"].strip(), item["url"].strip()))
    return tuple(links)


def link_line(brand: Located, number: int, item: object) -> int | None:
    """The line of a link: its [[brand.links]] header, or where its url (or label) is written."""
    header = table_line(brand.text, "brand.links", number)
    if header:
        return header
    written = item.get("url") or item.get("label") if isinstance(item, dict) else None
    found = value_line(brand.text, written, brand.line("links")) if isinstance(written, str) and written else None
    return found or brand.line("links")


def link_problem(item: object) -> tuple[str, str] | None:
    """(message, hint) when a link is not a {label, url} with a safe address."""
    example = '{label = "Mastodon", url = "https://example.social/@us"}'
    if not isinstance(item, dict) or set(item) != {"label", "url"}:
        return "each of 'links' must have exactly a label and a url", f"write {example}"
    label, url = item["label"], item["url"]
    if not isinstance(label, str) or not label.strip() or len(label) > LABEL_CHARACTERS:
        return f"a link's label must be text of 1 to {LABEL_CHARACTERS} characters (what it is read out as)", f"write {example}"
    if not isinstance(url, str):
        return "a link's url must be text", f"write {example}"
    scheme = url_scheme(url)
    if scheme not in LINK_SCHEMES:
        return (f"the link '{label}' has an unsafe or unknown kind of address '{url}'",
                "use https://, http://, mailto: or tel:")
    if not (WEB_ADDRESS.match(url) or MAIL_ADDRESS.match(url) or PHONE_NUMBER.match(url)):
        return f"the link '{label}' has an address that is not whole: '{url}'", "e.g. https://example.org/, mailto:info@example.org"
    return None
