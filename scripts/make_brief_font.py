"""Build the vendored font of the monthly brief PDF: ``src/srdi/interchange/fonts/SrdiBriefSans.ttf``.

Run once when the character set must grow (a new template string with a rare character), then commit the font:

    python scripts/make_brief_font.py [--source /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]

It takes Noto Sans CJK SC Regular (SIL Open Font License 1.1, see ``fonts/OFL.txt``), keeps GB2312, ASCII, CJK and
full-width punctuation and every non-ASCII character of the app's own strings (``src/srdi``: Python, YAML, CSV,
templates), converts the CFF outlines to TrueType (fontTools ``cu2qu``: reportlab embeds TrueType outlines only)
and renames the family (a modified OFL font does not keep the original name). Needs fontTools (dev extra).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "srdi" / "interchange" / "fonts" / "SrdiBriefSans.ttf"
FAMILY = "SRDI Brief Sans"
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
APP_SUFFIXES = (".py", ".yaml", ".yml", ".csv", ".html", ".txt")
RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1 (¥, ×, ·, °)
    (0x2010, 0x206F),  # general punctuation (“ ” ‘ ’ — …)
    (0x2100, 0x218F),  # letterlike symbols and number forms (℃, Ⅰ…)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers ①
    (0x25A0, 0x25FF),  # geometric shapes ■ ●
    (0x3000, 0x303F),  # CJK punctuation 、。《》【】〔〕
    (0xFF00, 0xFFEF),  # full-width forms （）：；，
)


def gb2312() -> set[str]:
    chars: set[str] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def app_chars() -> set[str]:
    chars: set[str] = set()
    for path in (ROOT / "src" / "srdi").rglob("*"):
        if path.suffix in APP_SUFFIXES and path.is_file() and "vendor" not in path.parts:
            chars.update(c for c in path.read_text(encoding="utf-8", errors="ignore") if ord(c) > 0x7F)
    return chars


def wanted() -> set[int]:
    codes = {cp for lo, hi in RANGES for cp in range(lo, hi + 1)}
    codes.update(ord(c) for c in gb2312() | app_chars())
    return {cp for cp in codes if not 0xD800 <= cp <= 0xDFFF and cp >= 0x20}


def to_truetype(font: TTFont) -> None:
    """CFF (cubic) outlines → glyf (quadratic), after fontTools' snippets/otf2ttf.py."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for tag in ("CFF ", "VORG", "GSUB", "GPOS", "vhea", "vmtx", "BASE", "DSIG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    name = font["name"]
    keep = {0, 7, 13, 14}  # copyright, trademark, licence, licence URL
    name.names = [n for n in name.names if n.nameID in keep]
    for name_id, value in (
        (1, FAMILY),
        (2, "Regular"),
        (3, f"{FAMILY} Regular (subset of Noto Sans CJK SC)"),
        (4, f"{FAMILY} Regular"),
        (5, "Version 1.0"),
        (6, FAMILY.replace(" ", "") + "-Regular"),
    ):
        name.setName(value, name_id, 3, 1, 0x409)


def build(source: str) -> Path:
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == "Noto Sans CJK SC")
    options = Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=wanted())
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    return OUT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=SOURCE)
    args = parser.parse_args()
    out = build(args.source)
    font = TTFont(out)
    print(f"{out}: {out.stat().st_size:,} bytes, {len(font.getBestCmap()):,} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
