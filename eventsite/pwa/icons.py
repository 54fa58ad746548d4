"""The app icons, drawn with Pillow: 工 in white on the site's red, in a gold ring (a union
badge). `flask pwa icons` writes them into static/app-icons/, where pages and the manifest load
them by their content-hashed URLs."""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
SANS = "NotoSansSC-Regular.otf"

#: static/css/site.css's --red and --red-dark.
RED = (198, 40, 40)
RED_DARK = (142, 27, 27)
GOLD = (255, 213, 79)
WHITE = (255, 255, 255)

#: The folder inside static/ the icons are written to.
FOLDER = "app-icons"


@dataclass(frozen=True)
class Icon:
    filename: str
    size: int
    #: "any": a rounded square on transparency; "maskable": red to the edges, the badge inside
    #: the safe circle (80 %), for launchers that cut their own shape; Apple's touch icon is
    #: square (iOS rounds it).
    purpose: str


ICONS = (
    Icon("icon-192.png", 192, "any"),
    Icon("icon-512.png", 512, "any"),
    Icon("icon-maskable-512.png", 512, "maskable"),
    Icon("apple-touch-icon.png", 180, "square"),
)


def draw_icon(size: int, purpose: str) -> Image.Image:
    """The icon at `size` pixels for `purpose`, drawn at four times the size and reduced (smooth
    edges)."""
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if purpose == "any":
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(big * 0.22), fill=RED)
        ring = 0.36
    else:
        draw.rectangle((0, 0, big, big), fill=RED)
        ring = 0.30 if purpose == "maskable" else 0.36
    centre = big / 2
    radius = big * ring
    draw.ellipse(
        (centre - radius, centre - radius, centre + radius, centre + radius),
        fill=RED_DARK,
        outline=GOLD,
        width=max(round(big * 0.025), 1),
    )
    with resources.as_file(resources.files(FONT_PACKAGE) / SANS) as path:
        face = ImageFont.truetype(str(path), round(radius * 1.25))
    draw.text(
        (centre, centre),
        "工",
        font=face,
        fill=WHITE,
        anchor="mm",
        stroke_width=round(big * 0.012),
        stroke_fill=WHITE,
    )
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    return small if purpose == "any" else small.convert("RGB")


def icon_png(icon: Icon) -> bytes:
    buffer = io.BytesIO()
    draw_icon(icon.size, icon.purpose).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def write_icons(static_folder: Path) -> list[Path]:
    """Draw every icon into static/app-icons/; the files written."""
    folder = static_folder / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for icon in ICONS:
        path = folder / icon.filename
        path.write_bytes(icon_png(icon))
        written.append(path)
    return written
