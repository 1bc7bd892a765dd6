"""An embeddable Chinese font for ReportLab, built from the system's OpenType/CFF CJK font.

ReportLab embeds TrueType (glyf) fonts only; the CJK fonts Debian ships (fonts-noto-cjk:
NotoSansCJK-Regular.ttc) have PostScript (CFF) outlines, which ReportLab refuses, and a non-embedded CID font
shows empty boxes on a machine without Chinese fonts. So for each document we take the glyphs it uses from
the CFF font, convert their cubic outlines to quadratic ones (max error 0.5 font units), and write a small
TrueType font that ReportLab loads from memory and embeds (subset, as a CID TrueType font with a ToUnicode
map, so the text can be searched and copied). Pure Python, no extra dependency; a few hundred glyphs take
well under a second and converted glyphs are cached per process.

A TrueType font with Chinese glyphs (e.g. fonts-wqy-zenhei) is used directly when it is found first.
Set SHIGUANG_CJK_FONT to a font file (and SHIGUANG_CJK_FONT_INDEX to a subfont of a .ttc) to choose one.
"""

from __future__ import annotations

import functools
import math
import mmap
import os
import struct
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]
PREFERRED_SUBFONT = "SC"  # simplified Chinese forms in a pan-CJK collection
TOLERANCE = 0.5  # font units (1/1000 em)


class FontUnavailable(RuntimeError):
    pass


# --- reading an OpenType file or collection -----------------------------------------------------------------


class SFNT:
    def __init__(self, data: bytes | memoryview, offset: int) -> None:
        self.data = data
        version, num_tables = struct.unpack_from(">IH", data, offset)
        self.is_cff = version == 0x4F54544F  # 'OTTO'
        self.tables: dict[str, tuple[int, int]] = {}
        for i in range(num_tables):
            tag, _checksum, off, length = struct.unpack_from(">4sIII", data, offset + 12 + 16 * i)
            self.tables[tag.decode("latin-1")] = (off, length)

    def table(self, tag: str) -> memoryview:
        if tag not in self.tables:
            raise FontUnavailable(f"font has no {tag!r} table")
        off, length = self.tables[tag]
        return memoryview(self.data)[off : off + length]

    def names(self) -> dict[int, str]:
        t = self.table("name")
        _fmt, count, string_off = struct.unpack_from(">HHH", t, 0)
        out: dict[int, str] = {}
        for i in range(count):
            pid, eid, _lang, nid, length, off = struct.unpack_from(">HHHHHH", t, 6 + 12 * i)
            raw = bytes(t[string_off + off : string_off + off + length])
            if pid == 3 and eid in (1, 10):
                out.setdefault(nid, raw.decode("utf-16-be", "replace"))
            elif pid == 1 and eid == 0:
                out.setdefault(nid, raw.decode("latin-1"))
        return out


def open_font_file(path: str, index: int | None = None) -> SFNT:
    with open(path, "rb") as handle:
        data: Any = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        offsets = struct.unpack_from(f">{count}I", data, 12)
        fonts = [SFNT(data, o) for o in offsets]
        if index is not None:
            return fonts[index]
        for font in fonts:
            family = font.names().get(1, "")
            if family.endswith(f" {PREFERRED_SUBFONT}") or f" {PREFERRED_SUBFONT} " in family:
                return font
        return fonts[0]
    return SFNT(data, 0)


# --- CFF ----------------------------------------------------------------------------------------------------


class Index:
    """A CFF INDEX, read lazily."""

    def __init__(self, data: memoryview, pos: int) -> None:
        self.data = data
        self.count = struct.unpack_from(">H", data, pos)[0]
        if self.count == 0:
            self.end = pos + 2
            self.off_size = 0
            return
        self.off_size = data[pos + 2]
        self.offsets_at = pos + 3
        self.base = pos + 3 + (self.count + 1) * self.off_size - 1
        self.end = self.base + self._offset(self.count)

    def _offset(self, i: int) -> int:
        at = self.offsets_at + i * self.off_size
        return int.from_bytes(self.data[at : at + self.off_size], "big")

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> bytes:
        if not 0 <= i < self.count:
            raise IndexError(i)
        return bytes(self.data[self.base + self._offset(i) : self.base + self._offset(i + 1)])


def parse_dict(raw: bytes) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    operands: list[float] = []
    i = 0
    while i < len(raw):
        b0 = raw[i]
        if b0 <= 21:
            op = b0
            i += 1
            if b0 == 12:
                op = 1200 + raw[i]
                i += 1
            out[op] = operands
            operands = []
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", raw, i + 1)[0])
            i += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", raw, i + 1)[0])
            i += 5
        elif b0 == 30:
            text, i = _real(raw, i + 1)
            operands.append(float(text))
        elif 32 <= b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif 247 <= b0 <= 250:
            operands.append((b0 - 247) * 256 + raw[i + 1] + 108)
            i += 2
        elif 251 <= b0 <= 254:
            operands.append(-(b0 - 251) * 256 - raw[i + 1] - 108)
            i += 2
        else:
            raise FontUnavailable(f"bad CFF DICT byte {b0}")
    return out


def _real(raw: bytes, i: int) -> tuple[str, int]:
    nibbles = "0123456789.EE?-?"
    text = ""
    while True:
        byte = raw[i]
        i += 1
        for nibble in (byte >> 4, byte & 0xF):
            if nibble == 0xF:
                return text or "0", i
            if nibble == 0xC:
                text += "E-"
            else:
                text += nibbles[nibble]


def _bias(count: int) -> int:
    return 107 if count < 1240 else 1131 if count < 33900 else 32768


Point = tuple[float, float]
Contour = list[tuple]  # ("M", p) then ("L", p) | ("C", c1, c2, p)


class CFFFont:
    def __init__(self, table: memoryview) -> None:
        self.data = table
        hdr_size = table[2]
        names = Index(table, hdr_size)
        top_dicts = Index(table, names.end)
        strings = Index(table, top_dicts.end)
        self.global_subrs = Index(table, strings.end)
        top = parse_dict(top_dicts[0])
        self.charstrings = Index(table, int(top[17][0]))
        self.fd_select: bytes | None = None
        self.local_subrs: list[Index | None] = []
        if 1236 in top:  # FDArray: CID-keyed font
            fd_array = Index(table, int(top[1236][0]))
            for i in range(len(fd_array)):
                self.local_subrs.append(self._private_subrs(parse_dict(fd_array[i])))
            self._fd_select_at = int(top[1237][0])
        else:
            self.local_subrs.append(self._private_subrs(top))
            self._fd_select_at = 0

    def _private_subrs(self, font_dict: dict[int, list[float]]) -> Index | None:
        if 18 not in font_dict:
            return None
        size, offset = (int(v) for v in font_dict[18])
        private = parse_dict(bytes(self.data[offset : offset + size]))
        if 19 not in private:
            return None
        return Index(self.data, offset + int(private[19][0]))

    def fd_of(self, gid: int) -> int:
        if not self._fd_select_at:
            return 0
        at = self._fd_select_at
        fmt = self.data[at]
        if fmt == 0:
            return self.data[at + 1 + gid]
        if fmt == 3:
            n_ranges = struct.unpack_from(">H", self.data, at + 1)[0]
            fd = 0
            for r in range(n_ranges):
                first, this_fd = struct.unpack_from(">HB", self.data, at + 3 + 3 * r)
                if first > gid:
                    break
                fd = this_fd
            return fd
        raise FontUnavailable(f"unsupported FDSelect format {fmt}")

    def outline(self, gid: int) -> list[Contour]:
        return _Type2(self, self.local_subrs[self.fd_of(gid)]).run(self.charstrings[gid])


class _Type2:
    """A Type 2 charstring interpreter producing absolute contours (hints are skipped)."""

    def __init__(self, font: CFFFont, local: Index | None) -> None:
        self.font = font
        self.local = local
        self.stack: list[float] = []
        self.stems = 0
        self.width_done = False
        self.x = self.y = 0.0
        self.contours: list[Contour] = []
        self.current: Contour | None = None
        self.ended = False

    def run(self, code: bytes) -> list[Contour]:
        self._exec(code, 0)
        self._close()
        return [c for c in self.contours if len(c) > 1]

    # path building
    def _close(self) -> None:
        if self.current is not None:
            self.contours.append(self.current)
            self.current = None

    def _move(self, dx: float, dy: float) -> None:
        self._close()
        self.x += dx
        self.y += dy
        self.current = [("M", (self.x, self.y))]

    def _line(self, dx: float, dy: float) -> None:
        self.x += dx
        self.y += dy
        if self.current is None:
            self.current = [("M", (self.x - dx, self.y - dy))]
        self.current.append(("L", (self.x, self.y)))

    def _curve(self, dxa: float, dya: float, dxb: float, dyb: float, dxc: float, dyc: float) -> None:
        c1 = (self.x + dxa, self.y + dya)
        c2 = (c1[0] + dxb, c1[1] + dyb)
        end = (c2[0] + dxc, c2[1] + dyc)
        if self.current is None:
            self.current = [("M", (self.x, self.y))]
        self.current.append(("C", c1, c2, end))
        self.x, self.y = end

    def _width(self, expected_even: bool, n_args: int | None = None) -> None:
        """The first stack-clearing operator may carry the advance width as an extra first operand."""
        if self.width_done:
            return
        self.width_done = True
        extra = len(self.stack) % 2 == 1 if expected_even else len(self.stack) > (n_args or 0)
        if extra:
            self.stack.pop(0)

    def _exec(self, code: bytes, depth: int) -> bool:
        if depth > 10:
            raise FontUnavailable("charstring subroutines nest too deep")
        s = self.stack
        i = 0
        n = len(code)
        while i < n:
            b0 = code[i]
            if b0 >= 32:
                if b0 <= 246:
                    s.append(b0 - 139)
                    i += 1
                elif b0 <= 250:
                    s.append((b0 - 247) * 256 + code[i + 1] + 108)
                    i += 2
                elif b0 <= 254:
                    s.append(-(b0 - 251) * 256 - code[i + 1] - 108)
                    i += 2
                else:
                    s.append(struct.unpack_from(">i", code, i + 1)[0] / 65536.0)
                    i += 5
                continue
            if b0 == 28:
                s.append(struct.unpack_from(">h", code, i + 1)[0])
                i += 3
                continue
            i += 1
            if b0 in (1, 3, 18, 23):  # hstem vstem hstemhm vstemhm
                self._width(True)
                self.stems += len(s) // 2
                s.clear()
            elif b0 in (19, 20):  # hintmask cntrmask
                self._width(True)
                self.stems += len(s) // 2
                s.clear()
                i += (self.stems + 7) // 8
            elif b0 == 21:  # rmoveto
                self._width(False, 2)
                self._move(s[-2], s[-1])
                s.clear()
            elif b0 == 22:  # hmoveto
                self._width(False, 1)
                self._move(s[-1], 0)
                s.clear()
            elif b0 == 4:  # vmoveto
                self._width(False, 1)
                self._move(0, s[-1])
                s.clear()
            elif b0 == 5:  # rlineto
                for k in range(0, len(s) - 1, 2):
                    self._line(s[k], s[k + 1])
                s.clear()
            elif b0 in (6, 7):  # hlineto vlineto
                horizontal = b0 == 6
                for v in s:
                    if horizontal:
                        self._line(v, 0)
                    else:
                        self._line(0, v)
                    horizontal = not horizontal
                s.clear()
            elif b0 == 8:  # rrcurveto
                for k in range(0, len(s) - 5, 6):
                    self._curve(*s[k : k + 6])
                s.clear()
            elif b0 == 24:  # rcurveline
                k = 0
                while len(s) - k >= 8:
                    self._curve(*s[k : k + 6])
                    k += 6
                self._line(s[k], s[k + 1])
                s.clear()
            elif b0 == 25:  # rlinecurve
                k = 0
                while len(s) - k >= 8:
                    self._line(s[k], s[k + 1])
                    k += 2
                self._curve(*s[k : k + 6])
                s.clear()
            elif b0 == 26:  # vvcurveto
                k = 0
                dx1 = 0.0
                if len(s) % 2:
                    dx1 = s[0]
                    k = 1
                while len(s) - k >= 4:
                    self._curve(dx1, s[k], s[k + 1], s[k + 2], 0, s[k + 3])
                    dx1 = 0.0
                    k += 4
                s.clear()
            elif b0 == 27:  # hhcurveto
                k = 0
                dy1 = 0.0
                if len(s) % 2:
                    dy1 = s[0]
                    k = 1
                while len(s) - k >= 4:
                    self._curve(s[k], dy1, s[k + 1], s[k + 2], s[k + 3], 0)
                    dy1 = 0.0
                    k += 4
                s.clear()
            elif b0 in (30, 31):  # vhcurveto hvcurveto
                horizontal = b0 == 31
                k = 0
                while len(s) - k >= 4:
                    last = 1 if len(s) - k == 5 else 0
                    a, b, c, d = s[k : k + 4]
                    extra = s[k + 4] if last else 0
                    if horizontal:
                        self._curve(a, 0, b, c, extra, d)
                    else:
                        self._curve(0, a, b, c, d, extra)
                    horizontal = not horizontal
                    k += 4 + last
                s.clear()
            elif b0 == 10:  # callsubr
                if self.local is None:
                    raise FontUnavailable("callsubr without local subroutines")
                index = int(s.pop()) + _bias(len(self.local))
                if self._exec(self.local[index], depth + 1):
                    return True
            elif b0 == 29:  # callgsubr
                index = int(s.pop()) + _bias(len(self.font.global_subrs))
                if self._exec(self.font.global_subrs[index], depth + 1):
                    return True
            elif b0 == 11:  # return
                return False
            elif b0 == 14:  # endchar
                self._width(False, 0)
                s.clear()
                self._close()
                self.ended = True
                return True
            elif b0 == 12:
                b1 = code[i]
                i += 1
                self._escape(b1)
            else:
                raise FontUnavailable(f"unsupported charstring operator {b0}")
        return False

    def _escape(self, op: int) -> None:
        s = self.stack
        if op == 35:  # flex
            self._curve(*s[0:6])
            self._curve(*s[6:12])
        elif op == 34:  # hflex
            dx1, dx2, dy2, dx3, dx4, dx5, dx6 = s[0:7]
            self._curve(dx1, 0, dx2, dy2, dx3, 0)
            self._curve(dx4, 0, dx5, -dy2, dx6, 0)
        elif op == 36:  # hflex1
            dx1, dy1, dx2, dy2, dx3, dx4, dx5, dy5, dx6 = s[0:9]
            self._curve(dx1, dy1, dx2, dy2, dx3, 0)
            self._curve(dx4, 0, dx5, dy5, dx6, -(dy1 + dy2 + dy5))
        elif op == 37:  # flex1
            d = s[0:11]
            dx = sum(d[0:10:2])
            dy = sum(d[1:10:2])
            self._curve(*d[0:6])
            if abs(dx) > abs(dy):
                self._curve(d[6], d[7], d[8], d[9], d[10], -dy)
            else:
                self._curve(d[6], d[7], d[8], d[9], -dx, d[10])
        elif op == 9:  # abs
            s[-1] = abs(s[-1])
        elif op == 10:  # add
            b = s.pop()
            s[-1] += b
        elif op == 11:  # sub
            b = s.pop()
            s[-1] -= b
        elif op == 12:  # div
            b = s.pop()
            s[-1] = s[-1] / b
        elif op == 14:  # neg
            s[-1] = -s[-1]
        elif op == 18:  # drop
            s.pop()
        elif op == 24:  # mul
            b = s.pop()
            s[-1] *= b
        elif op == 27:  # dup
            s.append(s[-1])
        elif op == 28:  # exch
            s[-1], s[-2] = s[-2], s[-1]
        else:
            raise FontUnavailable(f"unsupported charstring operator 12 {op}")
        if op in (34, 35, 36, 37):
            s.clear()


# --- cubic to quadratic -------------------------------------------------------------------------------------


def _cubic_to_quads(p0: Point, p1: Point, p2: Point, p3: Point) -> list[tuple[Point, Point]]:
    """Split a cubic into n quadratics whose error stays under TOLERANCE; returns (control, end) pairs."""
    ddd = math.hypot(p3[0] - 3 * p2[0] + 3 * p1[0] - p0[0], p3[1] - 3 * p2[1] + 3 * p1[1] - p0[1])
    err1 = math.sqrt(3) / 36 * ddd
    n = max(1, min(16, math.ceil((err1 / TOLERANCE) ** (1 / 3)))) if err1 > 0 else 1
    out = []
    for k in range(n):
        t0, t1 = k / n, (k + 1) / n
        q0 = _at(p0, p1, p2, p3, t0)
        q3 = _at(p0, p1, p2, p3, t1)
        d0 = _deriv(p0, p1, p2, p3, t0)
        d1 = _deriv(p0, p1, p2, p3, t1)
        h = (t1 - t0) / 3
        c1 = (q0[0] + d0[0] * h, q0[1] + d0[1] * h)
        c2 = (q3[0] - d1[0] * h, q3[1] - d1[1] * h)
        control = ((3 * (c1[0] + c2[0]) - q0[0] - q3[0]) / 4, (3 * (c1[1] + c2[1]) - q0[1] - q3[1]) / 4)
        out.append((control, q3))
    return out


def _at(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
    )


def _deriv(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    u = 1 - t
    return (
        3 * u * u * (p1[0] - p0[0]) + 6 * u * t * (p2[0] - p1[0]) + 3 * t * t * (p3[0] - p2[0]),
        3 * u * u * (p1[1] - p0[1]) + 6 * u * t * (p2[1] - p1[1]) + 3 * t * t * (p3[1] - p2[1]),
    )


def quadratic_contours(contours: list[Contour]) -> list[list[tuple[int, int, bool]]]:
    """TrueType contours: integer points with on-curve flags."""
    out = []
    for contour in contours:
        points: list[tuple[int, int, bool]] = []
        start = contour[0][1]
        cur = start
        points.append((round(start[0]), round(start[1]), True))
        for seg in contour[1:]:
            if seg[0] == "L":
                cur = seg[1]
                points.append((round(cur[0]), round(cur[1]), True))
            else:
                for control, end in _cubic_to_quads(cur, seg[1], seg[2], seg[3]):
                    points.append((round(control[0]), round(control[1]), False))
                    points.append((round(end[0]), round(end[1]), True))
                cur = seg[3]
        if len(points) > 1 and points[-1][:2] == points[0][:2] and points[-1][2]:
            points.pop()  # the closing point repeats the start
        if len(points) >= 2:
            out.append(points)
    return out


# --- writing a TrueType font --------------------------------------------------------------------------------


def _glyf_entry(contours: list[list[tuple[int, int, bool]]]) -> bytes:
    if not contours:
        return b""
    xs = [p[0] for c in contours for p in c]
    ys = [p[1] for c in contours for p in c]
    out = struct.pack(">hhhhh", len(contours), min(xs), min(ys), max(xs), max(ys))
    ends, total = [], 0
    for c in contours:
        total += len(c)
        ends.append(total - 1)
    out += struct.pack(f">{len(ends)}H", *ends) + struct.pack(">H", 0)
    flags = bytearray()
    xdata, ydata = bytearray(), bytearray()
    px = py = 0
    for c in contours:
        for x, y, on in c:
            flags.append(0x01 if on else 0x00)
            xdata += struct.pack(">h", x - px)
            ydata += struct.pack(">h", y - py)
            px, py = x, y
    out += bytes(flags) + bytes(xdata) + bytes(ydata)
    if len(out) % 2:
        out += b"\0"
    return out


def _checksum(data: bytes) -> int:
    data = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _name_table(family: str, ps_name: str) -> bytes:
    records = [(1, family), (2, "Regular"), (3, ps_name), (4, family), (6, ps_name)]
    strings = b""
    entries = b""
    for nid, text in records:
        raw = text.encode("utf-16-be")
        entries += struct.pack(">HHHHHH", 3, 1, 0x409, nid, len(raw), len(strings))
        strings += raw
    return struct.pack(">HHH", 0, len(records), 6 + 12 * len(records)) + entries + strings


def _cmap_table(mapping: dict[int, int]) -> bytes:
    groups = sorted(mapping.items())
    sub = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
    for code, gid in groups:
        sub += struct.pack(">III", code, code, gid)
    return struct.pack(">HHHHI", 0, 1, 3, 10, 12) + sub


def build_truetype(source: SFNT, chars: Iterable[str], ps_name: str = "ShiguangCJK") -> bytes:
    cmap = _unicode_cmap(source)
    cff = _cff(source)
    head = source.table("head")
    units = struct.unpack_from(">H", head, 18)[0]
    hhea = source.table("hhea")
    n_hmetrics = struct.unpack_from(">H", hhea, 34)[0]
    hmtx = source.table("hmtx")

    def advance(gid: int) -> int:
        i = min(gid, n_hmetrics - 1)
        return int(struct.unpack_from(">H", hmtx, 4 * i)[0])

    codes = sorted({ord(ch) for ch in chars if ord(ch) in cmap and ch not in "\r\n\t"})
    glyphs: list[bytes] = [b""]
    max_points = max_contours = 0
    widths = [advance(0)]
    mapping: dict[int, int] = {}
    for code in codes:
        gid = cmap[code]
        mapping[code] = len(glyphs)
        entry = _converted(id(cff), cff, gid)
        glyphs.append(entry)
        if entry:
            contours = struct.unpack_from(">h", entry, 0)[0]
            max_contours = max(max_contours, contours)
            max_points = max(max_points, struct.unpack_from(">H", entry, 10 + 2 * (contours - 1))[0] + 1)
        widths.append(advance(gid))
    loca = [0]
    for g in glyphs:
        loca.append(loca[-1] + len(g))
    glyf = b"".join(glyphs)
    x_min = y_min = -200
    x_max, y_max = units, units
    tables = {
        "OS/2": _os2(source),
        "cmap": _cmap_table(mapping),
        "glyf": glyf,
        "head": struct.pack(
            ">HHHHIIHHQQhhhhHHhhh",
            1,
            0,
            1,
            0,
            0,
            0x5F0F3CF5,
            0x000B,
            units,
            0,
            0,
            x_min,
            y_min,
            x_max,
            y_max,
            0,
            8,
            2,
            1,
            0,
        ),
        "hhea": bytes(hhea[:34]) + struct.pack(">H", len(glyphs)),
        "hmtx": b"".join(struct.pack(">Hh", w, 0) for w in widths),
        "loca": struct.pack(f">{len(loca)}I", *loca),
        "maxp": struct.pack(
            ">IHHHHHHHHHHHHHH",
            0x00010000,
            len(glyphs),
            max_points,
            max_contours,
            0,
            0,
            2,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ),
        "name": _name_table(ps_name, ps_name),
        "post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    tags = sorted(tables)
    offset = 12 + 16 * len(tags)
    directory = b""
    body = b""
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(
            ">4sIII", tag.encode("latin-1"), _checksum(data), offset + len(body), len(data)
        )
        body += data + b"\0" * (-len(data) % 4)
    entry_selector = int(math.log2(len(tags)))
    search_range = 16 * 2**entry_selector
    header = struct.pack(
        ">IHHHH", 0x00010000, len(tags), search_range, entry_selector, 16 * len(tags) - search_range
    )
    return header + directory + body


def _os2(source: SFNT) -> bytes:
    os2 = bytearray(source.table("OS/2"))
    struct.pack_into(">H", os2, 8, 0)  # fsType 0: installable embedding (the OFL allows it)
    return bytes(os2)


@functools.lru_cache(maxsize=4)
def _unicode_cmap_cached(key: int, source: SFNT) -> dict[int, int]:
    table = source.table("cmap")
    count = struct.unpack_from(">H", table, 2)[0]
    best = None
    for i in range(count):
        pid, eid, off = struct.unpack_from(">HHI", table, 4 + 8 * i)
        fmt = struct.unpack_from(">H", table, off)[0]
        if (pid, eid, fmt) in ((3, 10, 12), (0, 4, 12), (0, 6, 12)):
            best = off
            break
        if (pid, eid, fmt) in ((3, 1, 4), (0, 3, 4)) and best is None:
            best = off
    if best is None:
        raise FontUnavailable("font has no Unicode cmap")
    mapping: dict[int, int] = {}
    fmt = struct.unpack_from(">H", table, best)[0]
    if fmt == 12:
        n = struct.unpack_from(">I", table, best + 12)[0]
        for g in range(n):
            start, end, gid = struct.unpack_from(">III", table, best + 16 + 12 * g)
            for code in range(start, end + 1):
                mapping[code] = gid + code - start
    else:
        seg2 = struct.unpack_from(">H", table, best + 6)[0]
        seg = seg2 // 2
        ends = struct.unpack_from(f">{seg}H", table, best + 14)
        starts = struct.unpack_from(f">{seg}H", table, best + 16 + seg2)
        deltas = struct.unpack_from(f">{seg}h", table, best + 16 + 2 * seg2)
        ro_at = best + 16 + 3 * seg2
        ranges = struct.unpack_from(f">{seg}H", table, ro_at)
        for k in range(seg):
            for code in range(starts[k], ends[k] + 1):
                if code == 0xFFFF:
                    continue
                if ranges[k] == 0:
                    gid = (code + deltas[k]) & 0xFFFF
                else:
                    at = ro_at + 2 * k + ranges[k] + 2 * (code - starts[k])
                    gid = struct.unpack_from(">H", table, at)[0]
                    gid = (gid + deltas[k]) & 0xFFFF if gid else 0
                if gid:
                    mapping[code] = gid
    return mapping


def _unicode_cmap(source: SFNT) -> dict[int, int]:
    return _unicode_cmap_cached(id(source), source)


@functools.lru_cache(maxsize=2)
def _cff_cached(key: int, source: SFNT) -> CFFFont:
    return CFFFont(source.table("CFF "))


def _cff(source: SFNT) -> CFFFont:
    return _cff_cached(id(source), source)


@functools.lru_cache(maxsize=20000)
def _converted(key: int, cff: CFFFont, gid: int) -> bytes:
    return _glyf_entry(quadratic_contours(cff.outline(gid)))


# --- registering with ReportLab -----------------------------------------------------------------------------

_lock = threading.Lock()
_counter = [0]


def find_font() -> tuple[str, int | None]:
    env = os.environ.get("SHIGUANG_CJK_FONT", "")
    index = os.environ.get("SHIGUANG_CJK_FONT_INDEX", "")
    if env:
        if not Path(env).is_file():
            raise FontUnavailable(f"SHIGUANG_CJK_FONT={env} does not exist")
        return env, int(index) if index.isdigit() else None
    for path in CANDIDATES:
        if Path(path).is_file():
            return path, None
    raise FontUnavailable(
        "no Chinese font found: install fonts-noto-cjk (Debian/Ubuntu) "
        "or set SHIGUANG_CJK_FONT to a font file"
    )


@functools.lru_cache(maxsize=1)
def _source() -> SFNT:
    path, index = find_font()
    return open_font_file(path, index)


def register_for(text: str) -> str:
    """Register (with ReportLab) an embeddable font holding every character of `text`; returns its name.

    Names are unique per call, so concurrent documents never share a half-built font; call `release(name)`
    after the document is built.
    """
    from io import BytesIO

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    source = _source()
    with _lock:
        _counter[0] += 1
        name = f"ShiguangCJK{_counter[0]}"
    if source.is_cff:
        data = build_truetype(source, set(text) | set(_BASIC), ps_name=name)
        font = TTFont(name, BytesIO(data))
    else:
        path, index = find_font()
        font = TTFont(name, path, subfontIndex=index or 0)
    pdfmetrics.registerFont(font)
    return name


def release(name: str) -> None:
    from reportlab.pdfbase import pdfmetrics

    pdfmetrics._fonts.pop(name, None)  # type: ignore[attr-defined]


_BASIC = "".join(chr(c) for c in range(0x20, 0x7F)) + "，。：；、（）—·《》“”％"
