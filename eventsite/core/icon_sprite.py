"""The icon sprite: static/icons.svg holds one <symbol> per icon the templates name.

The icons are Lucide's (the npm package lucide-static, ISC licence), copied at build time from
node_modules/lucide-static/icons/; the app serves the generated file from static/ and never needs
npm or a CDN. Templates draw an icon with the macro in templates/_icons.html,
`{{ icon("calendar") }}`; this module finds every such call, so the sprite carries only the
icons in use. Rebuild with `make icons` (or `python -m eventsite.core.icon_sprite`) after adding
an icon to a template, and commit static/icons.svg.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SPRITE = ROOT / "static" / "icons.svg"
LUCIDE = ROOT / "node_modules" / "lucide-static"

#: An icon named in a template: `icon("name"` or `icon('name'`.
ICON_CALL = re.compile(r"""\bicon\(\s*["']([a-z0-9-]+)["']""")
#: The drawing inside one of Lucide's <svg> files (everything between the outer tags).
SVG_BODY = re.compile(r"<svg\b[^>]*>(.*)</svg>", re.S)
#: Two or more dashes, which an XML comment may not hold.
RULE = re.compile(r"-{2,}")
#: A symbol's id in the sprite.
SYMBOL_ID = re.compile(r'<symbol id="([a-z0-9-]+)"')


def icons_in_templates(folder: Path = TEMPLATES) -> set[str]:
    """The names of every icon the templates in `folder` draw with the icon() macro."""
    names: set[str] = set()
    for template in folder.rglob("*.html"):
        names.update(ICON_CALL.findall(template.read_text(encoding="utf-8")))
    return names


def icons_in_sprite(sprite: Path = SPRITE) -> set[str]:
    """The icon names the sprite file defines."""
    return set(SYMBOL_ID.findall(sprite.read_text(encoding="utf-8")))


def symbol(name: str, svg: str) -> str:
    """One icon's drawing as a <symbol> with Lucide's stroke settings."""
    match = SVG_BODY.search(svg)
    if match is None:
        raise ValueError(f"{name}.svg holds no <svg> element")
    body = " ".join(line.strip() for line in match.group(1).strip().splitlines())
    return (
        f'<symbol id="{name}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{body}</symbol>'
    )


def build(names: set[str], lucide: Path = LUCIDE) -> str:
    """The sprite's text: a licence comment, then one symbol per name, in name order."""
    missing = sorted(name for name in names if not (lucide / "icons" / f"{name}.svg").exists())
    if missing:
        raise SystemExit(f"no such Lucide icon: {', '.join(missing)}")
    version = json.loads((lucide / "package.json").read_text(encoding="utf-8"))["version"]
    # An XML comment may not hold "--": the licence's rules (----) become lines of "=".
    licence = RULE.sub(
        lambda rule: "=" * len(rule.group()), (lucide / "LICENSE").read_text(encoding="utf-8")
    ).strip()
    symbols = "\n".join(
        symbol(name, (lucide / "icons" / f"{name}.svg").read_text(encoding="utf-8"))
        for name in sorted(names)
    )
    return (
        f"<!-- Icons from Lucide, lucide-static {version} (https://lucide.dev), built by\n"
        "     `make icons` (eventsite/core/icon_sprite.py) from the icons the templates use.\n\n"
        f"{licence}\n-->\n"
        '<svg xmlns="http://www.w3.org/2000/svg">\n'
        f"{symbols}\n</svg>\n"
    )


def main() -> None:
    """Write static/icons.svg from the icons the templates use."""
    if not (LUCIDE / "icons").is_dir():
        raise SystemExit(f"{LUCIDE} is missing: run `npm ci --no-audit --no-fund` first")
    names = icons_in_templates()
    SPRITE.write_text(build(names), encoding="utf-8")
    print(f"{SPRITE.relative_to(ROOT)}: {len(names)} icons", file=sys.stderr)


if __name__ == "__main__":
    main()
