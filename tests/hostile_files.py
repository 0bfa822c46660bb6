"""A deterministic corpus of corrupt and hostile import files, derived from a few valid seed files.

``corpus(n, seed)`` yields ``(family, filename, bytes)``: byte flips, truncations, damaged zip entries (the XML
inside re-zipped with valid checksums, so the parsers see it), wrong magic bytes and extensions, zip bombs,
XML entity bombs, huge declared dimensions and far-away cells, encrypted/OLE files, ``.xlsm`` with a
vbaProject, ``../`` entries, random CSV bytes in several encodings and damaged JSON. Everything comes from
``random.Random(seed)``: the same seed gives the same files.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable, Iterator
from functools import cache

from openpyxl import Workbook

USCCS = ["91330106MA2B0CD00C", "91330106MA2B0CD10D", "91330110MA2C1EF20B"]
HEADER = ["统一社会信用代码", "企业名称", "所属区县", "年度", "营业收入（万元）", "从业人员", "联系人"]


def _rows() -> list[list[object]]:
    return [
        HEADER,
        [USCCS[0], "杭州甲科技有限公司", "330106", 2024, 500.5, 120, "王伟"],
        [USCCS[1], "杭州乙科技有限公司", "西湖区", 2024, "=1+1", 30, ""],
        [USCCS[2], "杭州丙科技有限公司", "330110", 2023, 12, 8, "李娜"],
    ]


@cache
def seed_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "企业数据"
    for row in _rows():
        ws.append(row)
    wb.create_sheet("说明").append(["填写说明"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ods_cell(value: object) -> str:
    end = "</table:table-cell>"
    if isinstance(value, int | float):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>{end}'
    if isinstance(value, str) and value.startswith("="):
        return (
            f'<table:table-cell table:formula="of:{value}" office:value-type="float"><text:p>2</text:p>{end}'
        )
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>{end}'


def ods_content(rows: list[list[object]], extra: str = "") -> str:
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="企业数据">{body}{extra}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )


def zip_parts(parts: dict[str, bytes], stored: tuple[str, ...] = ("mimetype",)) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content, compress_type=zipfile.ZIP_STORED if name in stored else None)
    return buf.getvalue()


@cache
def seed_ods() -> bytes:
    return zip_parts(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": ods_content(_rows()).encode(),
            "META-INF/manifest.xml": b'<?xml version="1.0"?><manifest:manifest '
            b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        }
    )


def seed_csv() -> str:
    out = io.StringIO()
    for row in _rows():
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue()


def seed_json() -> bytes:
    records = [
        {
            "uscc": USCCS[0],
            "name": "杭州甲科技有限公司",
            "district": "330106",
            "financials": {"2024": {"operating_revenue_fen": 500_000_000, "employees": 120}},
        },
        {
            "uscc": USCCS[1],
            "name": "乙",
            "certifications": [{"tier": "srdi_sme", "recognized_on": "2024-01-01"}],
        },
    ]
    return json.dumps({"enterprises": records}, ensure_ascii=False).encode()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


# ---- mutations ------------------------------------------------------------------------------------------


def flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def splice(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + rng.randbytes(rng.randint(0, 64)) + data[i + rng.randint(0, 64) :]


JUNK = [
    b"<row/>",
    b"<c/>",
    b'<c r="XFD1048576"><v>1</v></c>',
    b'<row r="0">',
    b'<c r="A1" t="s"><v>99999</v></c>',
    b'<c r="A1" t="n"><v>NaN</v></c>',
    b'<c t="inlineStr"><is><t>\x00</t></is></c>',
    b"</sheetData>",
    b"<f>1/0</f>",
    b'<dimension ref="A1:XFD1048576"/>',
    b'<c r="A-1"/>',
    b'<row r="99999999999999">',
    b"&#0;",
    b"&amp;&lt;",
    b'<table:table-cell table:number-columns-repeated="x"/>',
    b'<table:table-row table:number-rows-repeated="-5">',
    b'<table:table-cell table:number-columns-spanned="99999999"/>',
    b"\xff\xfe",
    b'<sheet name="x" r:id="rId9"/>',
]


def damage_entry(rng: random.Random, data: bytes) -> bytes:
    """Change the XML inside one zip entry and zip again (valid CRCs: the parsers see the damage)."""
    parts = _parts(data)
    name = rng.choice(sorted(parts))
    content = parts[name]
    how = rng.randrange(4)
    if how == 0 and content:
        content = flip(rng, content)
    elif how == 1 and content:
        content = truncate(rng, content)
    elif how == 2 and content:
        i = rng.randrange(len(content))
        content = content[:i] + rng.choice(JUNK) + content[i:]
    else:
        del parts[name]
    if how != 3:
        parts[name] = content
    return zip_parts(parts)


def xml_bomb(rng: random.Random, data: bytes) -> bytes:
    parts = _parts(data)
    name = rng.choice([n for n in sorted(parts) if n.endswith((".xml", ".rels"))])
    doctype = rng.choice(
        [
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
            b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            b"<!doctype x>",
            b"<! ENTITY % p SYSTEM 'http://example.invalid/x'>",
        ]
    )
    content = parts[name]
    i = content.find(b"?>") + 2 if b"?>" in content[:100] else 0
    parts[name] = content[:i] + doctype + content[i:]
    return zip_parts(parts)


def far_cells(rng: random.Random, data: bytes) -> bytes:
    """A declared or real used block far bigger than the data: dimension, far cells, far rows, repeats."""
    parts = _parts(data)
    if "content.xml" in parts:
        rows, cols = rng.choice([(1_048_576, 1), (1, 16_384), (1000, 1000), (200_001, 1), (5, 5)])
        extra = (
            f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="float" '
            f'office:value="1" table:number-columns-repeated="{cols}"><text:p>1</text:p></table:table-cell>'
            "</table:table-row>"
        )
        parts["content.xml"] = ods_content(_rows(), extra).encode()
        return zip_parts(parts)
    sheet = parts["xl/worksheets/sheet1.xml"]
    what = rng.randrange(5)
    letters = rng.choice(["XFD", "IW", "ZZ", "AAA", "B"])
    row = rng.choice([1_048_576, 200_002, 60_000, 5])
    if what == 0:
        sheet = sheet.replace(b'<dimension ref="A1:G4"/>', b'<dimension ref="A1:XFD1048576"/>')
    elif what == 1:
        cell = f'<row r="{row}"><c r="{letters}{row}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        sheet = sheet.replace(b"</sheetData>", cell + b"</sheetData>")
    elif what == 2:
        cell = f'<c r="{letters}2"><f>1+1</f><v>2</v></c>'.encode()
        sheet = sheet.replace(b"</row>", cell + b"</row>", 1)
    elif what == 3:  # cells without r: a row as wide as its cell count
        sheet = sheet.replace(
            b"</sheetData>", b"<row>" + b"<c><v>1</v></c>" * rng.choice([300, 20]) + b"</row></sheetData>"
        )
    else:  # namespace prefixes: the general path
        sheet = sheet.replace(
            b"<worksheet ",
            b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
            1,
        )
    parts["xl/worksheets/sheet1.xml"] = sheet
    return zip_parts(parts)


@cache
def _bomb(kind: int) -> bytes:
    parts = _parts(seed_xlsx())
    if kind == 0:
        parts["xl/worksheets/sheet9.xml"] = b"<a>" + b"0" * (20 * 1024 * 1024) + b"</a>"
    elif kind == 1:
        for i in range(1001):
            parts[f"xl/x{i}.bin"] = b""
    else:
        parts["xl/media/big.bin"] = b"\0" * (12 * 1024 * 1024)
    return zip_parts(parts)


def zip_bomb(rng: random.Random, _data: bytes) -> bytes:
    """Three bombs (made once): a 20 MB sheet of zeros, 1,001 entries, a 12 MB part of NULs."""
    return _bomb(rng.randrange(3))


def macro_or_slip(rng: random.Random, data: bytes) -> bytes:
    parts = _parts(data)
    name = rng.choice(
        [
            "xl/vbaProject.bin",
            "../../etc/cron.d/x",
            "/abs/path.xml",
            "Basic/Standard/Module1.xml",
            "xl\\..\\..\\x",
        ]
    )
    parts[name] = b"\xd0\xcf\x11\xe0" + rng.randbytes(64)
    return zip_parts(parts)


def ole(rng: random.Random, _data: bytes) -> bytes:
    body = rng.randbytes(rng.randint(0, 2048))
    if rng.random() < 0.5:
        body += "EncryptedPackage".encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + body


def random_csv(rng: random.Random, _data: bytes) -> bytes:
    alphabet = (
        "统一社会信用代码企业名称年度营业收入,;\t\"'\n\r =+-@0123456789.eE%万元\x00\x01\u202e\u2066\x7f\ufeff"
    )
    text = seed_csv() if rng.random() < 0.5 else ""
    chars = list(text)
    for _ in range(rng.randint(1, 200)):
        chars.insert(rng.randint(0, len(chars)), rng.choice(alphabet))
    encoding = rng.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "latin-1", "raw"])
    if encoding == "raw":
        return rng.randbytes(rng.randint(1, 600))
    return (
        "".join(chars).encode(encoding, "replace")
        if encoding != "latin-1"
        else "".join(chars).encode("latin-1", "ignore")
    )


def json_mutation(rng: random.Random, data: bytes) -> bytes:
    doc = json.loads(data)
    record = doc["enterprises"][0]
    key = rng.choice(
        ["name", "uscc", "district", "financials", "certifications", "events", "extra", "enterprises"]
    )
    value = rng.choice(
        [
            None,
            1e309,
            -1,
            2**70,
            "x" * 10,
            "\x00",
            "\u202e",
            [],
            {},
            [[[[[]]]]],
            True,
            "2024-13-45",
            {"2024": []},
            1.5,
        ]
    )
    if key == "enterprises":
        doc = rng.choice([[], [1, 2], {"enterprises": 5}, "x", [value]])
    else:
        record[key] = value
    out = json.dumps(doc, ensure_ascii=False, default=str).encode()
    if rng.random() < 0.3:
        out = rng.choice([flip, truncate, splice])(rng, out)
    if rng.random() < 0.05:
        out = b"[" * 100_000
    return out


Mutation = Callable[[random.Random, bytes], bytes]
# family name, mutation, seeds it applies to, relative weight
FAMILIES: list[tuple[str, Mutation, str, int]] = [
    ("flip", flip, "xoj", 14),
    ("truncate", truncate, "xoj", 8),
    ("splice", splice, "xoj", 6),
    ("entry", damage_entry, "xo", 30),
    ("xml_bomb", xml_bomb, "xo", 4),
    ("far_cells", far_cells, "xo", 6),
    ("zip_bomb", zip_bomb, "x", 1),
    ("macro_or_slip", macro_or_slip, "xo", 3),
    ("ole", ole, "x", 2),
    ("csv", random_csv, "c", 16),
    ("json", json_mutation, "j", 10),
]
NAMES = {"x": ["a.xlsx", "a.xlsm"], "o": ["a.ods"], "c": ["a.csv", "a.tsv", "a.txt"], "j": ["a.json"]}
WRONG_NAMES = ["a.csv", "a.json", "a.xlsx", "a.ods", "a.xls", "a.bin", "a"]


def corpus(n: int, seed: int = 13) -> Iterator[tuple[str, str, bytes]]:
    """``n`` hostile files: (family, filename, content), always the same for the same seed."""
    rng = random.Random(seed)
    seeds = {"x": seed_xlsx(), "o": seed_ods(), "j": seed_json(), "c": seed_csv().encode()}
    weighted = [f for f in FAMILIES for _ in range(f[3])]
    for _ in range(n):
        family, mutate, kinds, _weight = rng.choice(weighted)
        kind = rng.choice(kinds)
        data = mutate(rng, seeds[kind])
        name = rng.choice(NAMES[kind])
        if rng.random() < 0.04:
            family, name = family + "+wrong_name", rng.choice(WRONG_NAMES)
        yield family, name, data


# ---- the reproductions of issue #13 --------------------------------------------------------------------


def sheet_xlsx(sheet_xml: bytes) -> bytes:
    """The seed workbook with its first worksheet replaced by ``sheet_xml`` (and no second sheet's data)."""
    parts = _parts(seed_xlsx())
    parts["xl/worksheets/sheet1.xml"] = sheet_xml
    return zip_parts(parts)


def _sheet(rows: Iterator[bytes], dimension: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + dim
        + b"<sheetData>"
        + b"".join(rows)
        + b"</sheetData></worksheet>"
    )


def _text(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row() -> bytes:
    return (
        b'<row r="1">'
        + _text("A1", "统一社会信用代码")
        + _text("B1", "企业名称")
        + _text("C1", "年度")
        + b"</row>"
    )


def million_row_xlsx(rows: int = 1_000_000) -> bytes:
    """A workbook of ``rows`` data rows (USCC, name, year): a few MB packed, ~100 MB of XML unpacked."""

    def body() -> Iterator[bytes]:
        yield header_row()
        for r in range(2, rows + 2):
            yield (
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{USCCS[r % 3]}</t></is></c>'
                f'<c r="B{r}" t="inlineStr"><is><t>企业{r}</t></is></c><c r="C{r}"><v>2024</v></c></row>'
            ).encode()

    return sheet_xlsx(_sheet(body(), f"A1:C{rows + 1}"))


def declared_wide_xlsx(rows: int) -> bytes:
    """``rows`` data rows declaring the whole sheet (A1:XFD1048576) as used, with one formula cell in row 3."""

    def body() -> Iterator[bytes]:
        yield header_row()
        for r in range(2, rows + 2):
            year = b"<f>2000+24</f><v>2024</v>" if r == 3 else b"<v>2024</v>"
            yield (
                (
                    f'<row r="{r}" spans="1:16384"><c r="A{r}" t="inlineStr"><is><t>{USCCS[r % 3]}</t></is></c>'
                    f'<c r="B{r}" t="inlineStr"><is><t>企业{r % 3}</t></is></c><c r="C{r}">'
                ).encode()
                + year
                + b"</c></row>"
            )

    return sheet_xlsx(_sheet(body(), "A1:XFD1048576"))


def named_xlsx(name: str) -> bytes:
    """One data row whose 企业名称 cell (B2) is ``name``, written as an inline string (XML-escaped)."""
    from xml.sax.saxutils import escape

    row = (
        b'<row r="2">'
        + _text("A2", USCCS[0])
        + _text("B2", escape(name))
        + b'<c r="C2"><v>2024</v></c></row>'
    )
    return sheet_xlsx(_sheet(iter([header_row(), row]), "A1:C2"))
