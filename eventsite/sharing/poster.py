"""The share poster drawn: plain values in, PNG bytes out (Pillow, segno, Noto Sans SC from the
pylopdf-fonts-zh-cn package). No Flask and no database, so a test draws one directly.

750 × 1334, a phone screen's shape: the cover on top, the kind, the title (up to three lines),
time, place, places left and the organizing union, then a panel with the QR code to the event
page and 扫码报名 beside it, and the site's name in a red band at the foot.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import segno
from PIL import Image, ImageDraw, ImageFont

from eventsite.core.typesetting import wrap_text

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
SANS = "NotoSansSC-Regular.otf"

WIDTH, HEIGHT = 750, 1334
MARGIN = 48
#: The cover is 16:9 (750 × 422) unless a long title and long facts need some of its height.
COVER_HEIGHT, COVER_LEAST = 422, 300
FOOTER = 64
PANEL = 248
QR_BOX = 216

RED = (198, 40, 40)
RED_DARK = (142, 27, 27)
INK = (31, 35, 40)
MUTED = (95, 102, 112)
PAPER = (255, 255, 255)
BLUSH = (253, 236, 234)
GOLD = (241, 196, 15)


@dataclass(frozen=True)
class PosterText:
    """Everything the poster says, already in the viewer's language."""

    title: str
    kind: str
    time: str
    place: str
    places: str
    host: str
    #: The event page's absolute address: what the QR code holds.
    url: str
    site_name: str
    time_label: str
    place_label: str
    places_label: str
    host_label: str
    scan: str
    scan_hint: str
    #: The places line in red: places are left, or a waitlist is open.
    places_open: bool = True


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans SC at `size` pixels (each size read once per process)."""
    path = resources.files(FONT_PACKAGE) / SANS
    with resources.as_file(path) as file:
        return ImageFont.truetype(str(file), size)


def lines_of(text: str, face: ImageFont.FreeTypeFont, width: int, most: int) -> list[str]:
    """`text` wrapped to `width`, at most `most` lines; a cut last line ends with an ellipsis."""
    lines = wrap_text(" ".join(text.split()), face.getlength, width)
    if len(lines) <= most:
        return lines
    kept = lines[:most]
    last = kept[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


def _title_lines(title: str, width: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest title size that sets the title in three lines, down to 40 px (then cut)."""
    for size in (52, 46, 40):
        face = font(size)
        lines = wrap_text(" ".join(title.split()), face.getlength, width)
        if len(lines) <= 3:
            return face, lines
    return font(40), lines_of(title, font(40), width, 3)


def qr_image(url: str, size: int) -> Image.Image:
    """`url` as a QR code, black on white with its quiet zone, at most `size` pixels square."""
    code = segno.make(url, error="m")
    modules = code.symbol_size(scale=1, border=2)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(size // modules, 1), border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _cover(cover: Image.Image, height: int) -> Image.Image:
    """The cover scaled to the poster's width and cut to `height` about its middle."""
    scale = WIDTH / cover.width
    resized = cover.convert("RGB").resize(
        (WIDTH, max(round(cover.height * scale), height)), Image.Resampling.LANCZOS
    )
    top = (resized.height - height) // 2
    return resized.crop((0, top, WIDTH, top + height))


def render_poster(text: PosterText, cover: Image.Image) -> bytes:
    """The share poster as PNG bytes."""
    title_face, title = _title_lines(text.title, WIDTH - 2 * MARGIN)
    title_step = round(title_face.size * 1.32)
    label_face, value_face, value_step = font(26), font(29), 42
    labels = (text.time_label, text.place_label, text.places_label, text.host_label)
    value_x = MARGIN + round(max(label_face.getlength(label) for label in labels)) + 24
    value_width = WIDTH - MARGIN - value_x
    facts = [
        (label, lines_of(value, value_face, value_width, 2), colour)
        for label, value, colour in (
            (text.time_label, text.time, INK),
            (text.place_label, text.place, INK),
            (text.places_label, text.places, RED if text.places_open else INK),
            (text.host_label, text.host, INK),
        )
        if value
    ]
    # Below the cover: the kind's tag, the title, a rule, the facts; then the panel, the footer.
    text_height = (
        40 + 24 + title_step * len(title) + 36 + sum(len(v) * value_step + 16 for _, v, _ in facts)
    )
    room = HEIGHT - FOOTER - PANEL - 32 - text_height
    cover_height = max(COVER_LEAST, min(COVER_HEIGHT, room))

    poster = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    poster.paste(_cover(cover, cover_height), (0, 0))
    draw = ImageDraw.Draw(poster)

    # The kind, as a red tag straddling the cover's lower edge.
    kind_face = font(24)
    tag_width = round(kind_face.getlength(text.kind)) + 36
    y = cover_height - 22
    draw.rounded_rectangle((MARGIN, y, MARGIN + tag_width, y + 44), radius=22, fill=RED)
    draw.text((MARGIN + 18, y + 22), text.kind, font=kind_face, fill=PAPER, anchor="lm")

    # Room the cover could not take: a third above the title, the rest between the facts.
    spare = max(room - cover_height, 0)
    fact_gap = 16 + (spare - spare // 3) // (len(facts) + 1)
    y = cover_height + 40 + spare // 3
    for line in title:
        draw.text((MARGIN, y), line, font=title_face, fill=INK, stroke_width=1, stroke_fill=INK)
        y += title_step
    y += 8
    draw.rectangle((MARGIN, y, MARGIN + 72, y + 6), fill=RED)
    draw.rectangle((MARGIN + 72, y, MARGIN + 96, y + 6), fill=GOLD)
    y += 30

    for label, values, colour in facts:
        draw.text((MARGIN, y + 21), label, font=label_face, fill=MUTED, anchor="lm")
        for line in values:
            draw.text((value_x, y + 21), line, font=value_face, fill=colour, anchor="lm")
            y += value_step
        y += fact_gap

    # The panel: 扫码报名 and the hint on the left, the QR code on the right.
    top = HEIGHT - FOOTER - 24 - PANEL
    draw.rounded_rectangle((24, top, WIDTH - 24, top + PANEL), radius=20, fill=BLUSH)
    box_left = WIDTH - 24 - 16 - QR_BOX
    box_top = top + (PANEL - QR_BOX) // 2
    draw.rounded_rectangle(
        (box_left, box_top, box_left + QR_BOX, box_top + QR_BOX), radius=12, fill=PAPER
    )
    code = qr_image(text.url, QR_BOX - 8)
    poster.paste(
        code, (box_left + (QR_BOX - code.width) // 2, box_top + (QR_BOX - code.height) // 2)
    )
    left_width = box_left - 24 - MARGIN - 8
    scan_face = font(54)
    draw.text(
        (MARGIN, top + 64),
        text.scan,
        font=scan_face,
        fill=RED,
        anchor="lm",
        stroke_width=1,
        stroke_fill=RED,
    )
    hint_face = font(25)
    hint_y = top + 124
    for line in lines_of(text.scan_hint, hint_face, left_width, 3):
        draw.text((MARGIN, hint_y), line, font=hint_face, fill=MUTED, anchor="lm")
        hint_y += 36
    # A small arrow pointing at the code.
    arrow_y = top + 64
    draw.polygon(
        [(box_left - 40, arrow_y - 12), (box_left - 18, arrow_y), (box_left - 40, arrow_y + 12)],
        fill=RED,
    )

    # The site's name in the red band at the foot.
    draw.rectangle((0, HEIGHT - FOOTER, WIDTH, HEIGHT), fill=RED_DARK)
    draw.text(
        (WIDTH // 2, HEIGHT - FOOTER // 2),
        text.site_name,
        font=font(26),
        fill=PAPER,
        anchor="mm",
    )

    buffer = io.BytesIO()
    poster.save(buffer, "PNG")
    return buffer.getvalue()
