"""The PDFs themselves, built with fpdf2: A4, Chinese set in Noto Sans SC and Noto Serif SC
(the font package ships them, OFL), each font embedded as the subset the document uses, so a
PDF prints the same on any machine."""

from __future__ import annotations

import copy
import functools
import io
import threading
from collections import OrderedDict
from importlib import resources

import segno
from flask_babel import gettext as _
from fontTools import ttLib
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableCellFillMode, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from eventsite.core.time import utcnow
from eventsite.printing import rules
from eventsite.printing.service import Badge, Certificate, SignInSheet

SANS, SERIF = "NotoSansSC", "NotoSerifSC"
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILES = {SANS: "NotoSansSC-Regular.otf", SERIF: "NotoSerifSC-Regular.otf"}

INK = (17, 17, 17)
GREY = (110, 110, 110)
RULE = (160, 160, 160)
#: The red of a union document's title and seal line.
RED = (178, 34, 34)

#: A4 portrait margins (mm): the sign-in sheet and the badges.
MARGIN = 15
#: One badge (mm): 2 across and 4 down fill an A4 sheet inside its margins.
BADGE_W, BADGE_H = 90, 62
QR_SIZE = 30
#: Lines the certificate's sentence may take between the recipient and the signature.
BODY_LINES = 4


def font_path(family: str) -> str:
    return str(resources.files(FONT_PACKAGE) / FONT_FILES[family])


@functools.cache
def parsed_font(family: str) -> TTFFont:
    """The font as fpdf2's add_font() parses it (the widths and glyph ids of every character in
    the 8–11 MB file), once per process."""
    scratch = FPDF()
    scratch.add_font(family, fname=font_path(family))
    return scratch.fonts[family.lower()]


#: Fonts already subset: {(font file, the glyphs' names): the subset as a font file}, the most
#: recently used last. A document that uses the same glyphs as one before it (the same sheet
#: printed again) subsets that small file instead of the 8–11 MB one.
_subsets: OrderedDict[tuple[str, frozenset[str]], bytes] = OrderedDict()
_subsets_lock = threading.Lock()
SUBSETS_KEPT = 64


class Document(FPDF):
    """An A4 document with the two Chinese fonts and, when `numbered`, a footer
    "第 1 页 / 共 N 页" on every page."""

    def __init__(self, orientation: str = "portrait", *, title: str, numbered: bool = False):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.numbered = numbered
        for family in FONT_FILES:
            self.add_parsed_font(family)
        self.set_title(title)
        self.set_creator("eventsite")
        # The app's clock, not the machine's: the same data prints the same file.
        self.set_creation_date(utcnow())
        self.set_lang("zh-CN")
        self.set_text_color(*INK)
        self.set_draw_color(*INK)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        self.alias_nb_pages("{nb}")

    def add_parsed_font(self, family: str) -> None:
        """add_font() without parsing the file again: the parsed widths and glyph ids are shared;
        the glyphs used, and the fontTools font the output subsets in place, are this
        document's own. The file is the same, so the PDF is byte for byte what add_font() makes."""
        font = copy.copy(parsed_font(family))
        font.i = len(self.fonts) + 1
        font.ttfont = ttLib.TTFont(font.ttffile, recalcTimestamp=False, lazy=True)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        self.fonts[font.fontkey] = font
        if font.is_cff and font.is_cid_keyed:
            self._set_min_pdf_version("1.6")

    def footer(self):
        if not self.numbered:
            return
        self.set_y(-MARGIN)
        self.set_font(SANS, size=9)
        self.set_text_color(*GREY)
        self.cell(
            0,
            5,
            _("Printed page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"),
            align=Align.C,
        )
        self.set_text_color(*INK)

    def bytes(self) -> bytes:
        """The PDF file; each font subset from an earlier document's subset when one used the
        same glyphs (byte for byte what subsetting the whole font gives)."""
        made = {}
        for font in self.fonts.values():
            key = (str(font.ttffile), frozenset(font.subset.get_all_glyph_names()))
            with _subsets_lock:
                subset = _subsets.get(key)
                if subset is not None:
                    _subsets.move_to_end(key)
            if subset is None:
                made[key] = font
            else:
                font.ttfont = ttLib.TTFont(io.BytesIO(subset), recalcTimestamp=False, lazy=True)
        body = bytes(self.output())
        for key, font in made.items():
            subset = io.BytesIO()
            font.ttfont.save(subset)  # subset in place by output()
            with _subsets_lock:
                _subsets[key] = subset.getvalue()
                while len(_subsets) > SUBSETS_KEPT:
                    _subsets.popitem(last=False)
        return body


def sign_in_sheet_pdf(sheet: SignInSheet) -> bytes:
    """A4 portrait: the title block, then the table of members with an empty signature column;
    the table's heading repeats on every page."""
    heading = sheet.heading
    doc = Document(title=_("Sign-in sheet: %(title)s", title=heading.title), numbered=True)
    doc.add_page()
    doc.set_font(SANS, size=11)
    doc.set_text_color(*GREY)
    doc.cell(0, 6, heading.organization, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_text_color(*INK)
    doc.set_font(SERIF, size=18)
    doc.multi_cell(0, 10, heading.title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(SERIF, size=16)
    doc.cell(0, 9, _("Sign-in sheet"), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(2)
    doc.set_font(SANS, size=10)
    facts = [_("Time: %(when)s", when=heading.when)]
    if heading.venue:
        facts.append(_("Venue: %(venue)s", venue=heading.venue))
    doc.multi_cell(0, 6, "　　".join(facts), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.cell(
        0,
        6,
        _("Expected: %(n)s    Present: ______", n=len(sheet.rows)),
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    doc.ln(3)

    headings = [_("No."), _("Name")]
    widths = [12, 26]
    if sheet.has_teams:
        headings.append(_("Team"))
        widths.append(28)
    headings += [_("Union or work unit"), _("Mobile"), _("Signature")]
    widths += [0, 30, 34]
    widths[widths.index(0)] = 180 - sum(widths)
    doc.set_font(SANS, size=10)
    doc.set_draw_color(*RULE)
    with doc.table(
        col_widths=widths,
        width=180,
        line_height=5.5,
        padding=(2.2, 1.5),
        text_align=(
            "CENTER",
            "LEFT",
            *(["LEFT"] if sheet.has_teams else []),
            "LEFT",
            "CENTER",
            "LEFT",
        ),
        repeat_headings=1,
        headings_style=FontFace(emphasis="", fill_color=(236, 236, 236)),
        cell_fill_mode=TableCellFillMode.NONE,
        v_align="MIDDLE",
    ) as table:
        table.row(headings)
        for row in sheet.rows:
            cells = [str(row.number), row.name]
            if sheet.has_teams:
                cells.append(row.team)
            cells += [row.union, row.mobile, ""]
            table.row(cells)
    if not sheet.rows:
        doc.ln(4)
        doc.cell(0, 6, _("No confirmed registrations yet."), align=Align.C)
    return doc.bytes()


def _qr_png(link: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=2)
    buffer.seek(0)
    return buffer


def _fit(doc: Document, text: str, family: str, size: float, width: float, least: float = 7):
    """Set the font at `size`, smaller (down to `least`) until `text` fits on one line."""
    while size > least:
        doc.set_font(family, size=size)
        if doc.get_string_width(text) <= width:
            return
        size -= 0.5
    doc.set_font(family, size=least)


def _badge(doc: Document, badge: Badge, x: float, y: float) -> None:
    doc.set_draw_color(*RULE)
    doc.set_line_width(0.2)
    doc.set_dash_pattern(dash=1.5, gap=1.2)
    doc.rect(x, y, BADGE_W, BADGE_H)
    doc.set_dash_pattern()
    # The event across the top, on a red rule.
    doc.set_text_color(*RED)
    _fit(doc, badge.event_title, SANS, 10, BADGE_W - 8)
    doc.set_xy(x + 4, y + 4)
    doc.cell(BADGE_W - 8, 6, badge.event_title, align=Align.C)
    doc.set_draw_color(*RED)
    doc.set_line_width(0.5)
    doc.line(x + 4, y + 11.5, x + BADGE_W - 4, y + 11.5)
    doc.set_text_color(*INK)
    # The name large on the left, the member's union and team under it; the code on the right.
    text_w = BADGE_W - QR_SIZE - 10
    _fit(doc, badge.name, SERIF, 26, text_w, least=12)
    doc.set_xy(x + 4, y + 20)
    doc.cell(text_w, 13, badge.name, align=Align.C)
    doc.set_text_color(*GREY)
    for offset, line in ((37, badge.organization), (44, badge.team)):
        if line:
            _fit(doc, line, SANS, 10, text_w)
            doc.set_xy(x + 4, y + offset)
            doc.cell(text_w, 6, line, align=Align.C)
    doc.set_text_color(*INK)
    doc.image(_qr_png(badge.link), x=x + BADGE_W - QR_SIZE - 4, y=y + 17, w=QR_SIZE, h=QR_SIZE)
    doc.set_font(SANS, size=7)
    doc.set_text_color(*GREY)
    doc.set_xy(x + BADGE_W - QR_SIZE - 4, y + 17 + QR_SIZE)
    doc.cell(QR_SIZE, 5, _("Scan to check in"), align=Align.C)
    doc.set_text_color(*INK)


def badges_pdf(title: str, badges: list[Badge]) -> bytes:
    """A4 sheets of badges, 2 × 4 each, dashed borders to cut along; each with the member's
    check-in code."""
    doc = Document(title=_("Name badges: %(title)s", title=title))
    doc.set_auto_page_break(False)
    per_page = rules.badges_per_page()
    left = (doc.w - rules.BADGE_COLUMNS * BADGE_W) / 2
    top = (doc.h - rules.BADGE_ROWS * BADGE_H) / 2
    for page in rules.pages_of(badges, per_page):
        doc.add_page()
        for index, badge in enumerate(page):
            _sheet, column, row = rules.badge_slot(index)
            _badge(doc, badge, left + column * BADGE_W, top + row * BADGE_H)
    if not badges:
        doc.add_page()
        doc.set_font(SANS, size=12)
        doc.cell(0, 10, _("No confirmed registrations yet."), align=Align.C)
    return doc.bytes()


def _frame(doc: Document) -> None:
    doc.set_draw_color(*RED)
    doc.set_line_width(1.6)
    doc.rect(10, 10, doc.w - 20, doc.h - 20)
    doc.set_line_width(0.4)
    doc.rect(14, 14, doc.w - 28, doc.h - 28)
    doc.set_draw_color(*INK)


def certificates_pdf(title: str, certificates: list[Certificate]) -> bytes:
    """A4 landscape, one certificate a page: 荣誉证书, the recipient, the formal sentence, the
    issuing organization and the date."""
    doc = Document("landscape", title=_("Certificates: %(title)s", title=title))
    doc.set_auto_page_break(False)
    body_x, body_w = 40, doc.w - 80
    for certificate in certificates:
        doc.add_page()
        _frame(doc)
        doc.set_text_color(*RED)
        doc.set_font(SERIF, size=44)
        doc.set_char_spacing(12)
        doc.set_xy(0, 34)
        doc.cell(doc.w, 20, _("Certificate of honour"), align=Align.C)
        doc.set_char_spacing(0)
        doc.set_text_color(*INK)
        if certificate.subtitle:
            addressed = _(
                "%(name)s (%(team)s):", name=certificate.recipient, team=certificate.subtitle
            )
        else:
            addressed = _("%(name)s:", name=certificate.recipient)
        doc.set_font(SERIF, size=22)
        doc.set_xy(body_x, 78)
        doc.cell(body_w, 12, addressed)
        # The sentence wraps inside the body's margins, its first line indented two characters.
        # A long event title takes a smaller size, so the sentence stays above the signature.
        size = 20
        while True:
            doc.set_font(SERIF, size=size)
            indent = 2 * doc.get_string_width("中")
            lines = rules.wrap_text(
                certificate.text, doc.get_string_width, body_w, first_indent=indent
            )
            if len(lines) <= BODY_LINES or size <= 11:
                break
            size -= 1
        leading = 50 / max(len(lines), BODY_LINES)
        for number, line in enumerate(lines):
            doc.set_xy(body_x + (indent if number == 0 else 0), 96 + leading * number)
            doc.cell(body_w, leading, line)
        doc.set_font(SERIF, size=18)
        doc.set_xy(doc.w - 40 - 110, 150)
        doc.cell(110, 10, certificate.issuer, align=Align.C)
        doc.set_xy(doc.w - 40 - 110, 162)
        doc.cell(110, 10, certificate.date, align=Align.C)
    return doc.bytes()
