"""Covers the app draws itself: each kind's default and the demo's posters, in flat shapes and
Noto Sans SC, the way a union office's posters look; no photos. The same words give the same
picture (every scattered ornament comes from a seeded random generator).

Everything is drawn on a 1280 × 720 layout at twice that resolution and scaled down, so the
edges are smooth; the title sits in the left half, the picture in the right.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from eventsite.printing.pdf import SANS, font_path

WIDTH, HEIGHT = 1280, 720
#: Drawn at this multiple of the layout and scaled down: smooth edges without antialiasing.
SCALE = 2

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
GOLD: Colour = (255, 214, 102)
INK: Colour = (33, 33, 33)


@dataclass(frozen=True)
class Palette:
    top: Colour
    bottom: Colour
    accent: Colour


PALETTES = {
    "mixer": Palette((236, 104, 124), (176, 38, 72), GOLD),
    "competition": Palette((32, 110, 190), (14, 48, 110), GOLD),
    "sportsmeet": Palette((46, 150, 84), (16, 92, 52), (255, 190, 60)),
    "general": Palette((214, 52, 48), (150, 18, 24), GOLD),
    "courier": Palette((248, 148, 58), (206, 70, 34), (255, 236, 170)),
    "lecture": Palette((40, 120, 130), (18, 66, 86), GOLD),
}

#: Each kind's name as a poster says it (the site's Chinese titles of the kinds).
KIND_NAMES = {
    "mixer": "鹊桥联谊",
    "competition": "技能竞赛",
    "sportsmeet": "趣味运动会",
    "general": "工会活动",
}


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(SANS), size * SCALE)


class Canvas:
    """A poster being drawn: layout coordinates in, pixels at SCALE out."""

    def __init__(self, palette: Palette, seed: str):
        self.palette = palette
        self.random = random.Random(seed)
        self.image = _gradient(palette.top, palette.bottom)
        self.draw = ImageDraw.Draw(self.image, "RGBA")

    def xy(self, *points: float) -> list[float]:
        return [value * SCALE for value in points]

    def ellipse(self, cx, cy, rx, ry, fill=None, outline=None, width=0):
        self.draw.ellipse(
            self.xy(cx - rx, cy - ry, cx + rx, cy + ry),
            fill=fill,
            outline=outline,
            width=round(width * SCALE),
        )

    def polygon(self, points, fill=None, outline=None, width=0):
        flat = [value * SCALE for point in points for value in point]
        self.draw.polygon(flat, fill=fill, outline=outline, width=round(width * SCALE))

    def line(self, points, fill, width, joint="curve"):
        flat = [value * SCALE for point in points for value in point]
        self.draw.line(flat, fill=fill, width=round(width * SCALE), joint=joint)

    def rectangle(self, x0, y0, x1, y1, fill=None, radius=0, outline=None, width=0):
        self.draw.rounded_rectangle(
            self.xy(x0, y0, x1, y1),
            radius=radius * SCALE,
            fill=fill,
            outline=outline,
            width=round(width * SCALE),
        )

    def text(self, x, y, words, size, fill=WHITE, bold=False, anchor="la"):
        self.draw.text(
            self.xy(x, y),
            words,
            font=font(size),
            fill=fill,
            anchor=anchor,
            stroke_width=SCALE if bold else 0,
            stroke_fill=fill,
        )

    def text_width(self, words: str, size: int) -> float:
        return self.draw.textlength(words, font=font(size)) / SCALE

    def finish(self) -> Image.Image:
        return self.image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def _gradient(top: Colour, bottom: Colour) -> Image.Image:
    mask = Image.linear_gradient("L").resize((WIDTH * SCALE, HEIGHT * SCALE))
    return Image.composite(
        Image.new("RGB", mask.size, bottom), Image.new("RGB", mask.size, top), mask
    )


def wrap(canvas: Canvas, words: str, size: int, width: float) -> list[str]:
    """`words` in lines no wider than `width`: Chinese breaks between any two characters,
    a space is a preferred break."""
    lines: list[str] = []
    for part in words.split("\n"):
        line = ""
        for char in part:
            if canvas.text_width(line + char, size) > width and line:
                lines.append(line.rstrip())
                line = char.lstrip()
            else:
                line += char
        if len(line) == 1 and lines and len(lines[-1]) > 2:
            # No character alone on the last line: it takes the one before it along.
            line = lines[-1][-1] + line
            lines[-1] = lines[-1][:-1]
        lines.append(line)
    return lines


def title_block(canvas: Canvas, label: str, headline: str, subline: str, footer: str) -> None:
    """The left half: the kind's label, the headline (at most three lines), a line under it
    and, at the foot, who holds the event."""
    accent = canvas.palette.accent
    # A soft panel behind the words, so they read over any ornament.
    canvas.rectangle(40, 40, 700, 680, fill=(0, 0, 0, 38), radius=28)
    size = 30
    width = canvas.text_width(label, size)
    canvas.rectangle(80, 84, 80 + width + 40, 84 + 52, fill=accent, radius=26)
    canvas.text(100, 110, label, size, fill=canvas.palette.bottom, bold=True, anchor="lm")
    # The headline's own line breaks are kept whole while a size down to 56 fits them.
    size, wanted = 76, headline.count("\n") + 1
    lines = wrap(canvas, headline, size, 580)
    while (len(lines) > 3 or len(lines) > wanted and size > 56) and size > 44:
        size -= 4
        lines = wrap(canvas, headline, size, 580)
    y = 190
    for line in lines[:3]:
        canvas.text(80, y, line, size, bold=True)
        y += size * 1.28
    canvas.rectangle(80, y + 8, 200, y + 16, fill=accent, radius=4)
    y += 44
    for line in wrap(canvas, subline, 32, 580)[:3]:
        canvas.text(80, y, line, 32, fill=(255, 255, 255, 235))
        y += 46
    lines = wrap(canvas, footer, 26, 580)[:2] if footer else []
    for index, line in enumerate(reversed(lines)):
        canvas.text(80, 640 - index * 38, line, 26, fill=(255, 255, 255, 215), anchor="ls")


# --- ornaments --------------------------------------------------------------------------------


def heart(canvas: Canvas, cx, cy, r, fill):
    points = []
    for step in range(64):
        t = 2 * math.pi * step / 64
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((cx + x * r / 16, cy - y * r / 16))
    canvas.polygon(points, fill=fill)


def sparkles(canvas: Canvas, count, box, colour=(255, 255, 255, 150)):
    x0, y0, x1, y1 = box
    for _ in range(count):
        x, y = canvas.random.uniform(x0, x1), canvas.random.uniform(y0, y1)
        r = canvas.random.uniform(2, 6)
        canvas.ellipse(x, y, r, r, fill=colour)


def magpie(canvas: Canvas, x, y, s, facing=1):
    """A magpie in flight: dark body, white belly and wing patch, long tail."""
    dark, white = (28, 36, 64), (250, 250, 250)
    f = facing
    canvas.polygon(
        [
            (x - 60 * s * f, y + 6 * s),
            (x - 150 * s * f, y + 30 * s),
            (x - 146 * s * f, y + 14 * s),
            (x - 60 * s * f, y - 4 * s),
        ],
        fill=dark,
    )
    canvas.ellipse(x, y, 62 * s, 26 * s, fill=dark)
    canvas.ellipse(x + 6 * s * f, y + 10 * s, 36 * s, 13 * s, fill=white)
    canvas.ellipse(x + 58 * s * f, y - 12 * s, 22 * s, 20 * s, fill=dark)
    canvas.ellipse(x + 64 * s * f, y - 16 * s, 4 * s, 4 * s, fill=white)
    canvas.polygon(
        [(x + 78 * s * f, y - 14 * s), (x + 100 * s * f, y - 8 * s), (x + 78 * s * f, y - 4 * s)],
        fill=(240, 170, 40),
    )
    canvas.polygon(
        [
            (x - 20 * s * f, y - 10 * s),
            (x + 30 * s * f, y - 14 * s),
            (x - 10 * s * f, y - 96 * s),
            (x - 44 * s * f, y - 80 * s),
        ],
        fill=dark,
    )
    canvas.polygon(
        [(x - 8 * s * f, y - 24 * s), (x + 12 * s * f, y - 24 * s), (x - 14 * s * f, y - 70 * s)],
        fill=white,
    )


def bridge(canvas: Canvas, x0, x1, base, rise, colour):
    """An arched bridge with its railing, from x0 to x1, its crown `rise` above `base`."""

    def arc(offset):
        return [
            (x0 + (x1 - x0) * i / 40, base - offset - rise * math.sin(math.pi * i / 40))
            for i in range(41)
        ]

    deck, rail = arc(0), arc(44)
    canvas.polygon(deck + [(x1, base + 30), (x0, base + 30)], fill=colour)
    canvas.line(rail, fill=colour, width=8)
    for (px, py), (_, ry) in zip(deck[::4], rail[::4], strict=True):
        canvas.line([(px, py), (px, ry)], fill=colour, width=6)


def globe(canvas: Canvas, cx, cy, r, colour=WHITE, width=6):
    canvas.ellipse(cx, cy, r, r, fill=(255, 255, 255, 40), outline=colour, width=width)
    for k in (0.35, 0.7):
        canvas.ellipse(cx, cy, r * k, r, outline=colour, width=width * 0.7)
    canvas.line([(cx, cy - r), (cx, cy + r)], fill=colour, width=width * 0.7)
    for k in (-0.55, 0, 0.55):
        half = r * math.sqrt(1 - k * k)
        canvas.line(
            [(cx - half, cy + k * r), (cx + half, cy + k * r)], fill=colour, width=width * 0.7
        )


def leaf(canvas: Canvas, cx, cy, length, angle, colour):
    points = []
    for step in range(24):
        t = 2 * math.pi * step / 24
        lx, ly = length / 2 * math.cos(t), length / 6 * math.sin(t)
        points.append(
            (
                cx + lx * math.cos(angle) - ly * math.sin(angle),
                cy + lx * math.sin(angle) + ly * math.cos(angle),
            )
        )
    canvas.polygon(points, fill=colour)


def laurel(canvas: Canvas, cx, cy, r, colour):
    """Two laurel branches curving up around a centre."""
    for side in (-1, 1):
        for i in range(9):
            a = math.radians(110 + i * 16)
            x, y = cx + side * r * math.cos(a) * -1, cy + r * math.sin(a)
            tangent = a + math.pi / 2
            leaf(canvas, x, y, 44, (-tangent if side > 0 else tangent) + side * 0.5, colour)


def gear(canvas: Canvas, cx, cy, r, teeth, colour):
    points = []
    for i in range(teeth * 4):
        a = 2 * math.pi * i / (teeth * 4)
        radius = r if i % 4 in (1, 2) else r * 0.84
        points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    canvas.polygon(points, fill=colour)


def star(canvas: Canvas, cx, cy, r, colour):
    points = []
    for i in range(10):
        a = -math.pi / 2 + math.pi * i / 5
        radius = r if i % 2 == 0 else r * 0.4
        points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    canvas.polygon(points, fill=colour)


def bunting(canvas: Canvas, x0, x1, y, sag, colours):
    """A string of triangular flags across the top."""
    count = 10
    canvas.line(
        [(x0 + (x1 - x0) * i / 20, y + sag * math.sin(math.pi * i / 20)) for i in range(21)],
        fill=(255, 255, 255, 200),
        width=3,
    )
    for i in range(count):
        t0, t1 = (i + 0.15) / count, (i + 0.85) / count
        ax, ay = x0 + (x1 - x0) * t0, y + sag * math.sin(math.pi * t0)
        bx, by = x0 + (x1 - x0) * t1, y + sag * math.sin(math.pi * t1)
        canvas.polygon(
            [(ax, ay), (bx, by), ((ax + bx) / 2, (ay + by) / 2 + 46)],
            fill=colours[i % len(colours)],
        )


def track(canvas: Canvas, x0, y0, x1, y1):
    """A running track seen from above: red lanes, white lines, a green field."""
    canvas.rectangle(x0, y0, x1, y1, fill=(196, 78, 52), radius=(y1 - y0) / 2)
    for lane in range(1, 4):
        inset = lane * 18
        canvas.rectangle(
            x0 + inset,
            y0 + inset,
            x1 - inset,
            y1 - inset,
            outline=(255, 255, 255, 220),
            width=3,
            radius=(y1 - y0) / 2 - inset,
        )
    inset = 4 * 18
    canvas.rectangle(
        x0 + inset,
        y0 + inset,
        x1 - inset,
        y1 - inset,
        fill=(70, 170, 90),
        radius=(y1 - y0) / 2 - inset,
    )


def rope(canvas: Canvas, x0, x1, y, colour=(222, 190, 130)):
    """A tug-of-war rope with its red middle ribbon."""
    points = [(x0 + (x1 - x0) * i / 30, y + 6 * math.sin(i / 2)) for i in range(31)]
    canvas.line(points, fill=(150, 112, 60), width=20)
    canvas.line(points, fill=colour, width=14)
    for i in range(0, 30, 2):
        px, py = points[i]
        canvas.line([(px - 5, py - 7), (px + 5, py + 7)], fill=(150, 112, 60), width=3)
    mid = (x0 + x1) / 2
    canvas.polygon([(mid - 10, y), (mid - 34, y + 60), (mid - 8, y + 52)], fill=(214, 40, 40))
    canvas.polygon([(mid + 10, y), (mid + 34, y + 60), (mid + 8, y + 52)], fill=(214, 40, 40))
    canvas.ellipse(mid, y, 14, 14, fill=(214, 40, 40))


def caterpillar(canvas: Canvas, x, y, segments, colours):
    """The caterpillar race's inflatable: a row of humps with a smiling head."""
    for i in range(segments):
        cx = x + i * 52
        cy = y - 14 * math.sin(i * 1.1)
        canvas.ellipse(cx, cy, 36, 34, fill=colours[i % len(colours)])
        canvas.ellipse(cx - 8, cy + 34, 6, 10, fill=INK)
    hx, hy = x + segments * 52 + 8, y - 20
    canvas.ellipse(hx, hy, 44, 42, fill=colours[0])
    canvas.ellipse(hx + 10, hy - 10, 7, 7, fill=INK)
    canvas.line([(hx - 8, hy + 14), (hx + 6, hy + 22), (hx + 20, hy + 12)], fill=INK, width=4)
    canvas.line([(hx - 6, hy - 40), (hx - 18, hy - 70)], fill=INK, width=4)
    canvas.ellipse(hx - 18, hy - 72, 7, 7, fill=(214, 40, 40))


def parcel(canvas: Canvas, x, y, w, h, colour=(214, 160, 98)):
    canvas.rectangle(x, y, x + w, y + h, fill=colour, radius=6)
    canvas.polygon(
        [(x, y), (x + w, y), (x + w - 14, y - 18), (x + 14, y - 18)],
        fill=tuple(min(255, c + 24) for c in colour),
    )
    canvas.rectangle(x + w / 2 - 9, y - 18, x + w / 2 + 9, y + h, fill=(240, 216, 160))
    canvas.rectangle(x + 14, y + h - 34, x + 58, y + h - 14, fill=WHITE, radius=3)


def glove(canvas: Canvas, x, y, s, colour):
    """A knitted glove, fingers up."""
    canvas.rectangle(x, y, x + 90 * s, y + 96 * s, fill=colour, radius=30 * s)
    for i in range(4):
        fx = x + (8 + i * 21) * s
        canvas.rectangle(fx, y - 52 * s, fx + 18 * s, y + 20 * s, fill=colour, radius=9 * s)
    canvas.rectangle(x - 26 * s, y + 14 * s, x + 10 * s, y + 52 * s, fill=colour, radius=16 * s)
    canvas.rectangle(x - 4 * s, y + 80 * s, x + 94 * s, y + 118 * s, fill=WHITE, radius=8 * s)
    for i in range(6):
        canvas.line(
            [(x + (6 + i * 16) * s, y + 84 * s), (x + (6 + i * 16) * s, y + 114 * s)],
            fill=colour,
            width=3,
        )


def book(canvas: Canvas, cx, cy, w, h, colour):
    """An open book."""
    canvas.polygon([(cx, cy + 16), (cx - w, cy), (cx - w, cy - h), (cx, cy - h + 16)], fill=WHITE)
    canvas.polygon(
        [(cx, cy + 16), (cx + w, cy), (cx + w, cy - h), (cx, cy - h + 16)], fill=(244, 240, 226)
    )
    canvas.line([(cx, cy + 16), (cx, cy - h + 16)], fill=colour, width=4)
    for i in range(1, 6):
        yy = cy - h + 16 + i * h / 7
        canvas.line([(cx - w + 24, yy - 12), (cx - 20, yy)], fill=(170, 170, 170), width=3)
        canvas.line([(cx + 20, yy), (cx + w - 24, yy - 12)], fill=(170, 170, 170), width=3)
    canvas.polygon(
        [
            (cx - w - 10, cy + 6),
            (cx, cy + 26),
            (cx + w + 10, cy + 6),
            (cx + w + 10, cy + 16),
            (cx, cy + 36),
            (cx - w - 10, cy + 16),
        ],
        fill=colour,
    )


def lectern(canvas: Canvas, cx, top, colour):
    canvas.polygon(
        [(cx - 120, top), (cx + 120, top), (cx + 90, top + 60), (cx - 90, top + 60)], fill=colour
    )
    canvas.rectangle(cx - 70, top + 60, cx + 70, top + 250, fill=colour)
    canvas.rectangle(cx - 110, top + 250, cx + 110, top + 274, fill=colour, radius=6)
    gear(canvas, cx, top + 150, 42, 12, GOLD)
    canvas.ellipse(cx, top + 150, 26, 26, fill=colour)
    canvas.line([(cx + 60, top), (cx + 96, top - 90)], fill=(60, 60, 60), width=6)
    canvas.ellipse(cx + 100, top - 100, 16, 20, fill=(60, 60, 60))


def waves(canvas: Canvas, top, colours):
    for band, colour in enumerate(colours):
        y = top + band * 46
        points = [(x, y + 14 * math.sin(x / 70 + band)) for x in range(0, WIDTH + 41, 40)]
        canvas.polygon(points + [(WIDTH, HEIGHT), (0, HEIGHT)], fill=colour)


def speech(canvas: Canvas, x, y, words, colour):
    width = canvas.text_width(words, 28) + 40
    canvas.rectangle(x, y, x + width, y + 54, fill=colour, radius=22)
    canvas.polygon([(x + 24, y + 50), (x + 50, y + 50), (x + 20, y + 74)], fill=colour)
    canvas.text(x + 20, y + 27, words, 28, fill=INK, anchor="lm")


# --- scenes: the right half's picture ---------------------------------------------------------


def scattered_hearts(
    canvas: Canvas,
    count: int,
    box: tuple[float, float, float, float],
    sizes: tuple[float, float],
    fill: tuple[int, ...],
) -> None:
    """`count` small hearts at the canvas's seeded random places inside `box` (left, top,
    right, bottom), each of a size between `sizes`."""
    left, top, right, bottom = box
    for _ in range(count):
        heart(
            canvas,
            canvas.random.uniform(left, right),
            canvas.random.uniform(top, bottom),
            canvas.random.uniform(*sizes),
            fill,
        )


def scene_hearts(canvas: Canvas) -> None:
    """Hearts and a magpie pair: the kind's default for mixers."""
    sparkles(canvas, 40, (700, 40, 1260, 680))
    heart(canvas, 980, 380, 190, (255, 255, 255, 60))
    heart(canvas, 940, 360, 120, (255, 255, 255, 235))
    heart(canvas, 1060, 450, 80, canvas.palette.accent)
    scattered_hearts(canvas, 8, (760, 80, 1230, 660), (14, 30), (255, 255, 255, 130))


def scene_magpie_bridge(canvas: Canvas) -> None:
    """Magpies forming a bridge across the Milky Way under the moon (鹊桥)."""
    canvas.ellipse(1120, 130, 62, 62, fill=(255, 244, 214))
    for i in range(60):
        x = 700 + i * 9.5
        canvas.ellipse(
            x,
            140 + 60 * math.sin(i / 9) + canvas.random.uniform(-40, 40),
            2.4,
            2.4,
            fill=(255, 255, 255, 170),
        )
    bridge(canvas, 720, 1260, 560, 150, (120, 24, 52))
    magpie(canvas, 850, 330, 0.75, 1)
    magpie(canvas, 1140, 300, 0.75, -1)
    magpie(canvas, 1000, 200, 0.55, 1)
    heart(canvas, 995, 420, 60, (255, 255, 255, 240))
    heart(canvas, 1045, 470, 34, canvas.palette.accent)
    scattered_hearts(canvas, 6, (760, 500, 1230, 680), (10, 22), (255, 255, 255, 150))


def scene_laurel(canvas: Canvas) -> None:
    """A globe inside a laurel wreath with a star: the kind's default for competitions."""
    sparkles(canvas, 30, (700, 40, 1260, 680))
    laurel(canvas, 990, 380, 220, canvas.palette.accent)
    globe(canvas, 990, 360, 150)
    star(canvas, 990, 120, 40, canvas.palette.accent)


def scene_sea_globe(canvas: Canvas) -> None:
    """The sea at Yantai, a globe and greetings in the trade's languages."""
    waves(canvas, 560, [(80, 150, 220, 200), (40, 110, 190, 220), (20, 70, 150, 255)])
    laurel(canvas, 990, 330, 200, canvas.palette.accent)
    globe(canvas, 990, 310, 135)
    greetings = [
        ("你好", 760, 90),
        ("Hello", 1080, 70),
        ("Bonjour", 1090, 430),
        ("Hola", 740, 420),
        ("Привет", 1100, 180),
    ]
    for words, x, y in greetings:
        speech(canvas, x, y, words, (255, 255, 255, 235))


def scene_track(canvas: Canvas) -> None:
    """A running track and a tug-of-war rope: the kind's default for sports meets."""
    bunting(canvas, 700, 1280, 40, 50, [GOLD, WHITE, (236, 90, 70), (90, 170, 230)])
    track(canvas, 760, 220, 1240, 540)
    rope(canvas, 720, 1270, 620)


def scene_fun_meet(canvas: Canvas) -> None:
    """The Qiqihar meet: ribbons, the caterpillar race and the tug-of-war rope."""
    bunting(canvas, 700, 1280, 40, 60, [GOLD, WHITE, (236, 90, 70), (90, 170, 230)])
    sparkles(canvas, 24, (720, 120, 1260, 360), colour=(255, 240, 180, 160))
    caterpillar(canvas, 760, 360, 7, [(255, 200, 60), (120, 200, 90), (80, 170, 230)])
    rope(canvas, 720, 1270, 560)
    for x, colour in ((760, (236, 90, 70)), (1200, (90, 170, 230))):
        canvas.line([(x, 600), (x, 690)], fill=WHITE, width=6)
        canvas.polygon([(x, 600), (x + 60, 616), (x, 636)], fill=colour)


def scene_emblem(canvas: Canvas) -> None:
    """A gear ring with 工 at its heart and rays: the kind's default for union activities."""
    for i in range(16):
        a = 2 * math.pi * i / 16
        canvas.polygon(
            [
                (990, 370),
                (990 + 420 * math.cos(a - 0.08), 370 + 420 * math.sin(a - 0.08)),
                (990 + 420 * math.cos(a + 0.08), 370 + 420 * math.sin(a + 0.08)),
            ],
            fill=(255, 255, 255, 22),
        )
    gear(canvas, 990, 370, 210, 20, canvas.palette.accent)
    canvas.ellipse(990, 370, 150, 150, fill=canvas.palette.bottom)
    canvas.ellipse(990, 370, 132, 132, outline=canvas.palette.accent, width=6)
    canvas.text(990, 370, "工", 150, fill=canvas.palette.accent, bold=True, anchor="mm")


def scene_courier(canvas: Canvas) -> None:
    """The courier care day: a stack of parcels, warm gloves and a steaming cup."""
    sparkles(canvas, 30, (700, 40, 1260, 400), colour=(255, 255, 255, 180))
    parcel(canvas, 780, 470, 200, 150)
    parcel(canvas, 990, 500, 160, 120, colour=(196, 140, 80))
    parcel(canvas, 840, 330, 150, 118, colour=(226, 176, 112))
    glove(canvas, 1090, 250, 1.0, (214, 40, 40))
    glove(canvas, 1160, 300, 0.8, (250, 210, 90))
    canvas.rectangle(760, 190, 850, 290, fill=WHITE, radius=12)
    canvas.ellipse(855, 240, 22, 26, outline=WHITE, width=8)
    for x in (785, 805, 825):
        canvas.line(
            [(x, 170), (x + 8, 150), (x, 130), (x + 8, 110)], fill=(255, 255, 255, 200), width=5
        )
    heart(canvas, 805, 240, 24, (214, 40, 40))


def scene_lecture(canvas: Canvas) -> None:
    """The workers' lecture (职工讲堂): an open book above a lectern."""
    sparkles(canvas, 24, (700, 40, 1260, 680))
    canvas.ellipse(990, 220, 170, 170, fill=(255, 255, 255, 30))
    book(canvas, 990, 250, 170, 150, canvas.palette.accent)
    lectern(canvas, 990, 380, (120, 64, 40))


SCENES: dict[str, Callable[[Canvas], None]] = {
    "hearts": scene_hearts,
    "magpie_bridge": scene_magpie_bridge,
    "laurel": scene_laurel,
    "sea_globe": scene_sea_globe,
    "track": scene_track,
    "fun_meet": scene_fun_meet,
    "emblem": scene_emblem,
    "courier": scene_courier,
    "lecture": scene_lecture,
}

#: Each kind's default: its palette and scene.
DEFAULTS = {
    "mixer": ("mixer", "hearts"),
    "competition": ("competition", "laurel"),
    "sportsmeet": ("sportsmeet", "track"),
    "general": ("general", "emblem"),
}


def poster(
    palette: str, scene: str, label: str, headline: str, subline: str = "", footer: str = ""
) -> Image.Image:
    """A 1280 × 720 poster: the scene on the right, the words on the left."""
    canvas = Canvas(PALETTES[palette], seed=f"{scene}|{headline}")
    SCENES[scene](canvas)
    title_block(canvas, label, headline, subline, footer)
    return canvas.finish()


def default_poster(kind: str) -> Image.Image:
    """A kind's default cover: its scene, its name and a line any event of the kind fits."""
    palette, scene = DEFAULTS[kind]
    return poster(palette, scene, "工会会员活动", KIND_NAMES[kind], "职工之家 · 欢迎报名参加")
