"""PDF documents in Chinese with an EMBEDDED CJK font (agreements, statements, letters).

Why this module exists: a PDF that names a CJK font without embedding it shows empty boxes on any machine
without that font, so every document we hand out embeds the glyphs it uses. ReportLab embeds TrueType
(glyf) fonts itself, but the CJK fonts Debian ships (fonts-noto-cjk: NotoSansCJK-Regular.ttc) are OpenType
with CFF outlines, which ReportLab's TTFont refuses ("postscript outlines are not supported").

So `register_cjk_font()` picks, in order:
1. `SHIGUANG_CJK_FONT` (``/path/font.ttf`` or ``/path/fonts.ttc#2``) if set;
2. any TrueType-outline CJK font on the machine (``fc-list :lang=zh`` plus known paths) -> ReportLab TTFont;
3. otherwise a CFF-outline CJK font (Noto Sans CJK SC), embedded by `CFFCIDFont` below: we subset the CFF
   ourselves (only the glyphs a document uses, subroutines inlined) and write it as a CIDFontType0C
   FontFile3 with a ToUnicode map, so the text stays searchable and copyable (pdftotext works).
If nothing usable exists, `NoCJKFont` is raised: we never fall back to a non-embedded font.

Used by every document the platform hands out: `render_pdf(...)` turns a title and sections of paragraphs into
PDF bytes (agreements, legal letters); documents with their own layout (time-bank statements) take the font
name from `register_cjk_font()` and build through `build(doc, story)`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

KNOWN_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
FONT_NAME = "ShiguangCJK"
PROBE_TEXT = "幸福同行各得其所协议甲乙方签字"


class NoCJKFont(RuntimeError):
    """No CJK font that can be embedded was found on this machine."""


@dataclass(frozen=True)
class FontSource:
    path: str
    index: int
    kind: str  # "truetype" | "cff"
    name: str = ""


# --- finding a font -----------------------------------------------------------------------------------------


def _candidates() -> list[tuple[str, int | None]]:
    found: list[tuple[str, int | None]] = []
    env = os.environ.get("SHIGUANG_CJK_FONT", "").strip()
    if env:
        path, _, idx = env.partition("#")
        found.append((path, int(idx) if idx.isdigit() else None))
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(  # noqa: S603 - fixed argv, no shell
                [fc_list, "-f", "%{file}|%{index}\n", ":lang=zh"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in sorted(set(out.splitlines())):
            path, _, idx = line.partition("|")
            if path:
                found.append((path, int(idx) if idx.strip().isdigit() else None))
    found.extend((p, None) for p in KNOWN_FONT_PATHS)
    seen: set[tuple[str, int | None]] = set()
    unique = []
    for item in found:
        if item not in seen and os.path.exists(item[0]):
            seen.add(item)
            unique.append(item)
    return unique


def _probe_truetype(path: str, index: int) -> bool:
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        font = TTFont("probe", path, subfontIndex=index)
    except (TTFError, OSError, ValueError, struct.error):
        return False
    return all(ord(ch) in font.face.charToGlyph for ch in PROBE_TEXT)


def find_cjk_font() -> FontSource:
    """The best embeddable CJK font on this machine (TrueType outlines first, then CFF)."""
    candidates = _candidates()
    for path, index in candidates:
        for i in [index] if index is not None else range(_face_count(path)):
            if _probe_truetype(path, i):
                return FontSource(path, i, "truetype")
    faces = []
    for path, index in candidates:
        try:
            face = _pick_cff_face(path, index)
        except (OSError, ValueError, struct.error, KeyError):
            continue
        if face is not None:
            faces.append(face)
    if faces:
        return min(faces, key=lambda f: (_face_rank(f.name), f.path))
    raise NoCJKFont(
        "No embeddable CJK font found. Install fonts-noto-cjk (CFF, embedded by shiguang.legal.pdf) or a "
        "TrueType CJK font, or set SHIGUANG_CJK_FONT=/path/font.ttf."
    )


def _face_count(path: str) -> int:
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[:4] == b"ttcf":
        return int(struct.unpack(">I", head[8:12])[0])
    return 1


def _pick_cff_face(path: str, index: int | None) -> FontSource | None:
    """The best CFF face of a file that covers simplified Chinese (Noto CJK: the SC Regular face)."""
    best: tuple[int, FontSource] | None = None
    for i in [index] if index is not None else range(_face_count(path)):
        sfnt = Sfnt(path, i)
        if b"CFF " not in sfnt.tables or not all(sfnt.glyph_id(ord(ch)) for ch in PROBE_TEXT):
            continue
        name = sfnt.postscript_name()
        rank = _face_rank(name)
        if best is None or rank < best[0]:
            best = (rank, FontSource(path, i, "cff", name))
    return best[1] if best else None


def _face_rank(name: str) -> int:
    """Lower is better: simplified Chinese before other CJK faces, Sans Regular before bold, serif, mono."""
    lowered = name.lower()
    rank = 0 if "sc" in lowered.split("-")[0][-2:] else 4
    rank += 0 if lowered.endswith("-regular") else 2
    rank += 1 if "mono" in lowered or "serif" in lowered else 0
    return rank


# --- reading OpenType / TrueType collections ----------------------------------------------------------------


class Sfnt:
    """Just enough of an OpenType reader: table directory (TTC aware), cmap, hmtx, name, head, hhea."""

    def __init__(self, path: str, index: int = 0) -> None:
        with open(path, "rb") as fh:
            self.data = fh.read()
        offset = 0
        if self.data[:4] == b"ttcf":
            count = struct.unpack(">I", self.data[8:12])[0]
            if index >= count:
                raise ValueError(f"{path} has {count} faces, not {index + 1}")
            offset = struct.unpack(">I", self.data[12 + 4 * index : 16 + 4 * index])[0]
        num_tables = struct.unpack(">H", self.data[offset + 4 : offset + 6])[0]
        self.tables: dict[bytes, tuple[int, int]] = {}
        for k in range(num_tables):
            rec = offset + 12 + 16 * k
            tag = self.data[rec : rec + 4]
            toff, tlen = struct.unpack(">II", self.data[rec + 8 : rec + 16])
            self.tables[tag] = (toff, tlen)
        self._cmap: Any = None
        self._gid_cache: dict[int, int] = {}

    def table(self, tag: bytes) -> bytes:
        off, length = self.tables[tag]
        return self.data[off : off + length]

    def table_offset(self, tag: bytes) -> int:
        return self.tables[tag][0]

    # cmap: format 12 (preferred) or 4, Windows platform
    def _load_cmap(self) -> Any:
        off = self.table_offset(b"cmap")
        d = self.data
        n = struct.unpack(">H", d[off + 2 : off + 4])[0]
        subtables = {}
        for k in range(n):
            pid, eid, soff = struct.unpack(">HHI", d[off + 4 + 8 * k : off + 12 + 8 * k])
            subtables[(pid, eid)] = off + soff
        for key in ((3, 10), (0, 4), (3, 1), (0, 3)):
            if key in subtables:
                start = subtables[key]
                fmt = struct.unpack(">H", d[start : start + 2])[0]
                if fmt in (4, 12):
                    return (fmt, start)
        raise ValueError("no usable cmap subtable")

    def glyph_id(self, code: int) -> int:
        if code in self._gid_cache:
            return self._gid_cache[code]
        if self._cmap is None:
            self._cmap = self._load_cmap()
        fmt, start = self._cmap
        d = self.data
        gid = 0
        if fmt == 12:
            ngroups = struct.unpack(">I", d[start + 12 : start + 16])[0]
            lo, hi = 0, ngroups - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                g = start + 16 + 12 * mid
                first, last, glyph = struct.unpack(">III", d[g : g + 12])
                if code < first:
                    hi = mid - 1
                elif code > last:
                    lo = mid + 1
                else:
                    gid = glyph + code - first
                    break
        elif code <= 0xFFFF:
            segx2 = struct.unpack(">H", d[start + 6 : start + 8])[0]
            ends = start + 14
            starts = ends + segx2 + 2
            deltas = starts + segx2
            ranges = deltas + segx2
            for k in range(segx2 // 2):
                end = struct.unpack(">H", d[ends + 2 * k : ends + 2 * k + 2])[0]
                if code > end:
                    continue
                first = struct.unpack(">H", d[starts + 2 * k : starts + 2 * k + 2])[0]
                if code < first:
                    break
                delta = struct.unpack(">h", d[deltas + 2 * k : deltas + 2 * k + 2])[0]
                roff = struct.unpack(">H", d[ranges + 2 * k : ranges + 2 * k + 2])[0]
                if roff == 0:
                    gid = (code + delta) & 0xFFFF
                else:
                    at = ranges + 2 * k + roff + 2 * (code - first)
                    glyph = struct.unpack(">H", d[at : at + 2])[0]
                    gid = (glyph + delta) & 0xFFFF if glyph else 0
                break
        self._gid_cache[code] = gid
        return gid

    def units_per_em(self) -> int:
        off = self.table_offset(b"head")
        return int(struct.unpack(">H", self.data[off + 18 : off + 20])[0])

    def bbox(self) -> tuple[int, int, int, int]:
        off = self.table_offset(b"head")
        return struct.unpack(">hhhh", self.data[off + 36 : off + 44])  # type: ignore[return-value]

    def ascent_descent(self) -> tuple[int, int]:
        off = self.table_offset(b"hhea")
        asc, desc = struct.unpack(">hh", self.data[off + 4 : off + 8])
        return int(asc), int(desc)

    def advance(self, gid: int) -> int:
        hhea = self.table_offset(b"hhea")
        n_metrics = struct.unpack(">H", self.data[hhea + 34 : hhea + 36])[0]
        hmtx = self.table_offset(b"hmtx")
        k = min(gid, n_metrics - 1)
        return int(struct.unpack(">H", self.data[hmtx + 4 * k : hmtx + 4 * k + 2])[0])

    def postscript_name(self) -> str:
        off = self.table_offset(b"name")
        d = self.data
        count, string_off = struct.unpack(">HH", d[off + 2 : off + 6])
        for k in range(count):
            rec = off + 6 + 12 * k
            pid, _eid, _lang, nid, length, noff = struct.unpack(">HHHHHH", d[rec : rec + 12])
            if nid != 6:
                continue
            raw = d[off + string_off + noff : off + string_off + noff + length]
            return raw.decode("utf-16-be") if pid in (0, 3) else raw.decode("latin-1")
        return "CJKFont"


# --- CFF: reading, inlining subroutines, writing a subset ---------------------------------------------------


def _read_index(data: bytes, pos: int) -> tuple[list[tuple[int, int]], int]:
    """Entries of a CFF INDEX as (start, end) absolute offsets, and the position just after it."""
    count = struct.unpack(">H", data[pos : pos + 2])[0]
    if count == 0:
        return [], pos + 2
    off_size = data[pos + 2]
    base = pos + 3 + (count + 1) * off_size - 1
    offsets = []
    for k in range(count + 1):
        at = pos + 3 + k * off_size
        offsets.append(int.from_bytes(data[at : at + off_size], "big"))
    return [(base + offsets[k], base + offsets[k + 1]) for k in range(count)], base + offsets[-1]


def _read_dict(data: bytes) -> dict[int, list[float]]:
    """A CFF DICT as {operator: operands}; two-byte operators are 1200 + b1."""
    result: dict[int, list[float]] = {}
    operands: list[float] = []
    i = 0
    while i < len(data):
        b0 = data[i]
        if b0 <= 21:
            if b0 == 12:
                op = 1200 + data[i + 1]
                i += 2
            else:
                op = b0
                i += 1
            result[op] = operands
            operands = []
        elif b0 == 28:
            operands.append(struct.unpack(">h", data[i + 1 : i + 3])[0])
            i += 3
        elif b0 == 29:
            operands.append(struct.unpack(">i", data[i + 1 : i + 5])[0])
            i += 5
        elif b0 == 30:  # real number, nibble-encoded
            text = ""
            i += 1
            done = False
            while not done:
                byte = data[i]
                i += 1
                for nib in (byte >> 4, byte & 0xF):
                    if nib == 0xF:
                        done = True
                        break
                    text += "0123456789.EE?-"[nib] if nib != 0xC else "E-"
            operands.append(float(text.replace("?", "")))
        elif 32 <= b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif 247 <= b0 <= 250:
            operands.append((b0 - 247) * 256 + data[i + 1] + 108)
            i += 2
        elif 251 <= b0 <= 254:
            operands.append(-(b0 - 251) * 256 - data[i + 1] - 108)
            i += 2
        else:
            raise ValueError(f"bad CFF DICT byte {b0}")
    return result


def _enc_int(value: int, fixed: bool = False) -> bytes:
    if fixed:
        return b"\x1d" + struct.pack(">i", value)
    if -107 <= value <= 107:
        return bytes([value + 139])
    if 108 <= value <= 1131:
        v = value - 108
        return bytes([(v >> 8) + 247, v & 0xFF])
    if -1131 <= value <= -108:
        v = -value - 108
        return bytes([(v >> 8) + 251, v & 0xFF])
    if -32768 <= value <= 32767:
        return b"\x1c" + struct.pack(">h", value)
    return b"\x1d" + struct.pack(">i", value)


def _enc_real(value: float) -> bytes:
    text = f"{value:.10g}"
    nibbles: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit():
            nibbles.append(int(ch))
        elif ch == ".":
            nibbles.append(0xA)
        elif ch == "-":
            nibbles.append(0xE)
        elif ch in "eE":
            if text[i + 1] == "-":
                nibbles.append(0xC)
                i += 1
            else:
                nibbles.append(0xB)
                if text[i + 1] == "+":
                    i += 1
        i += 1
    nibbles.append(0xF)
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return b"\x1e" + bytes((nibbles[k] << 4) | nibbles[k + 1] for k in range(0, len(nibbles), 2))


def _enc_operand(value: float) -> bytes:
    if float(value).is_integer():
        return _enc_int(int(value))
    return _enc_real(value)


def _enc_op(op: int) -> bytes:
    return bytes([12, op - 1200]) if op >= 1200 else bytes([op])


def _write_index(items: Sequence[bytes]) -> bytes:
    if not items:
        return b"\x00\x00"
    total = sum(len(x) for x in items) + 1
    off_size = 1 if total < 0x100 else 2 if total < 0x10000 else 3 if total < 0x1000000 else 4
    out = bytearray(struct.pack(">H", len(items)))
    out.append(off_size)
    pos = 1
    out += pos.to_bytes(off_size, "big")
    for item in items:
        pos += len(item)
        out += pos.to_bytes(off_size, "big")
    for item in items:
        out += item
    return bytes(out)


def _bias(count: int) -> int:
    return 107 if count < 1240 else 1131 if count < 33900 else 32768


class CFFFont:
    """A CID-keyed CFF table (as in Noto Sans CJK) from which subsets are written."""

    def __init__(self, sfnt: Sfnt) -> None:
        self.sfnt = sfnt
        base = sfnt.table_offset(b"CFF ")
        length = sfnt.tables[b"CFF "][1]
        data = sfnt.data[base : base + length]
        self.data = data
        hdr_size = data[2]
        names, pos = _read_index(data, hdr_size)
        self.font_name = data[names[0][0] : names[0][1]]
        tops, pos = _read_index(data, pos)
        self.top = _read_dict(data[tops[0][0] : tops[0][1]])
        strings, pos = _read_index(data, pos)
        self.strings = [data[a:b] for a, b in strings]
        self.gsubrs, _ = _read_index(data, pos)
        if 1230 not in self.top:  # ROS
            raise ValueError("only CID-keyed CFF fonts are supported")
        self.charstrings, _ = _read_index(data, int(self.top[17][0]))
        self.num_glyphs = len(self.charstrings)
        fd_dicts, _ = _read_index(data, int(self.top[1236][0]))
        self.fds: list[dict[str, Any]] = []
        for a, b in fd_dicts:
            fd = _read_dict(data[a:b])
            size, off = (int(v) for v in fd[18])
            private = _read_dict(data[off : off + size])
            subrs: list[tuple[int, int]] = []
            if 19 in private:
                subrs, _ = _read_index(data, off + int(private[19][0]))
            self.fds.append({"dict": fd, "private": private, "subrs": subrs})
        self.fd_select = self._read_fd_select(int(self.top[1237][0]))
        self.gid_to_cid = self._read_charset(int(self.top[15][0]))

    def _read_fd_select(self, pos: int) -> list[int]:
        d = self.data
        fmt = d[pos]
        if fmt == 0:
            return list(d[pos + 1 : pos + 1 + self.num_glyphs])
        if fmt != 3:
            raise ValueError(f"FDSelect format {fmt} not supported")
        nranges = struct.unpack(">H", d[pos + 1 : pos + 3])[0]
        result = [0] * self.num_glyphs
        for k in range(nranges):
            first, fd = struct.unpack(">HB", d[pos + 3 + 3 * k : pos + 6 + 3 * k])
            nxt = struct.unpack(">H", d[pos + 6 + 3 * k : pos + 8 + 3 * k])[0]
            for g in range(first, min(nxt, self.num_glyphs)):
                result[g] = fd
        return result

    def _read_charset(self, pos: int) -> list[int]:
        d = self.data
        result = [0]
        fmt = d[pos]
        pos += 1
        while len(result) < self.num_glyphs:
            if fmt == 0:
                result.append(struct.unpack(">H", d[pos : pos + 2])[0])
                pos += 2
            else:
                first = struct.unpack(">H", d[pos : pos + 2])[0]
                if fmt == 1:
                    n_left = d[pos + 2]
                    pos += 3
                else:
                    n_left = struct.unpack(">H", d[pos + 2 : pos + 4])[0]
                    pos += 4
                result.extend(range(first, first + n_left + 1))
        return result[: self.num_glyphs]

    # Type 2 charstrings with every subroutine call inlined (so the subset needs no subroutines).
    def flatten(self, gid: int) -> bytes:
        fd = self.fds[self.fd_select[gid]]
        out = bytearray()
        state: dict[str, Any] = {"stems": 0, "pending": [], "done": False}
        a, b = self.charstrings[gid]
        self._run(self.data[a:b], fd["subrs"], out, state, depth=0)
        if not state["done"]:
            out += b"".join(state["pending"])
        return bytes(out)

    def _run(
        self, code: bytes, subrs: list[tuple[int, int]], out: bytearray, state: dict, depth: int
    ) -> None:
        if depth > 10:
            raise ValueError("subroutines nested too deep")
        pending: list[bytes] = state["pending"]
        i = 0
        while i < len(code) and not state["done"]:
            b0 = code[i]
            if b0 == 28:
                pending.append(code[i : i + 3])
                i += 3
            elif b0 >= 32:
                size = 1 if b0 <= 246 else 2 if b0 <= 254 else 5
                pending.append(code[i : i + size])
                i += size
            elif b0 in (10, 29):  # callsubr / callgsubr
                number = self._operand_value(pending.pop())
                table = subrs if b0 == 10 else self.gsubrs
                start, end = table[number + _bias(len(table))]
                self._run(self.data[start:end], subrs, out, state, depth + 1)
                i += 1
            elif b0 == 11:  # return
                return
            elif b0 in (1, 3, 18, 23):  # stem hints
                state["stems"] += len(pending) // 2
                out += b"".join(pending) + bytes([b0])
                pending.clear()
                i += 1
            elif b0 in (19, 20):  # hintmask / cntrmask (implicit vstem before them)
                state["stems"] += len(pending) // 2
                nbytes = (state["stems"] + 7) // 8
                out += b"".join(pending) + code[i : i + 1 + nbytes]
                pending.clear()
                i += 1 + nbytes
            elif b0 == 14:  # endchar
                out += b"".join(pending) + b"\x0e"
                pending.clear()
                state["done"] = True
                return
            elif b0 == 12:
                op = code[i + 1]
                if op not in (
                    34,
                    35,
                    36,
                    37,
                ):  # flex variants are plain operators; arithmetic is not supported
                    raise ValueError(f"charstring operator 12 {op} not supported")
                out += b"".join(pending) + code[i : i + 2]
                pending.clear()
                i += 2
            else:
                out += b"".join(pending) + bytes([b0])
                pending.clear()
                i += 1

    @staticmethod
    def _operand_value(token: bytes) -> int:
        b0 = token[0]
        if b0 == 28:
            return int(struct.unpack(">h", token[1:3])[0])
        if b0 <= 246:
            return b0 - 139
        if b0 <= 250:
            return (b0 - 247) * 256 + token[1] + 108
        if b0 <= 254:
            return -(b0 - 251) * 256 - token[1] - 108
        raise ValueError("fixed-point subroutine number")

    def subset(self, gids: Iterable[int]) -> bytes:
        """A new CID-keyed CFF holding .notdef plus `gids` (CIDs kept as in the original font)."""
        keep = [0, *sorted({g for g in gids if 0 < g < self.num_glyphs})]
        charstrings = [self.flatten(g) for g in keep]
        used_fds = sorted({self.fd_select[g] for g in keep})
        fd_map = {old: new for new, old in enumerate(used_fds)}

        strings = list(self.strings)
        registry, ordering, supplement = self.top[1230]
        name = self.font_name

        def sid_bytes(sid: float) -> bytes:
            return _enc_int(int(sid))

        charset = b"\x00" + b"".join(struct.pack(">H", self.gid_to_cid[g]) for g in keep[1:])
        fd_select = b"\x00" + bytes(fd_map[self.fd_select[g]] for g in keep)
        cs_index = _write_index(charstrings)

        privates = []
        for old in used_fds:
            private = self.fds[old]["private"]
            body = b"".join(
                b"".join(_enc_operand(v) for v in vals) + _enc_op(op)
                for op, vals in private.items()
                if op != 19
            )
            privates.append(body)

        def top_dict(charset_off: int, fdsel_off: int, cs_off: int, fdarr_off: int) -> bytes:
            parts = [
                sid_bytes(registry) + sid_bytes(ordering) + _enc_operand(supplement) + _enc_op(1230),
            ]
            for op in (1231, 1232, 1233, 1234, 1235, 5, 1207):  # CID info, FontBBox, FontMatrix
                if op in self.top:
                    parts.append(b"".join(_enc_operand(v) for v in self.top[op]) + _enc_op(op))
            parts.append(_enc_int(charset_off, True) + _enc_op(15))
            parts.append(_enc_int(fdsel_off, True) + _enc_op(1237))
            parts.append(_enc_int(cs_off, True) + _enc_op(17))
            parts.append(_enc_int(fdarr_off, True) + _enc_op(1236))
            return b"".join(parts)

        def fd_dicts(private_offs: list[int]) -> bytes:
            items = []
            for k, old in enumerate(used_fds):
                fd = self.fds[old]["dict"]
                body = b"".join(
                    b"".join(_enc_operand(v) for v in vals) + _enc_op(op)
                    for op, vals in fd.items()
                    if op != 18
                )
                body += _enc_int(len(privates[k]), True) + _enc_int(private_offs[k], True) + _enc_op(18)
                items.append(body)
            return _write_index(items)

        header = b"\x01\x00\x04\x04"
        name_index = _write_index([name])
        string_index = _write_index(strings)
        gsubr_index = _write_index([])
        top_size = len(_write_index([top_dict(0, 0, 0, 0)]))
        pos = len(header) + len(name_index) + top_size + len(string_index) + len(gsubr_index)
        charset_off = pos
        pos += len(charset)
        fdsel_off = pos
        pos += len(fd_select)
        cs_off = pos
        pos += len(cs_index)
        fdarr_off = pos
        fdarr_size = len(fd_dicts([0] * len(privates)))
        pos += fdarr_size
        private_offs = []
        for body in privates:
            private_offs.append(pos)
            pos += len(body)
        top_index = _write_index([top_dict(charset_off, fdsel_off, cs_off, fdarr_off)])
        assert len(top_index) == top_size
        out = (
            header
            + name_index
            + top_index
            + string_index
            + gsubr_index
            + charset
            + fd_select
            + cs_index
            + fd_dicts(private_offs)
            + b"".join(privates)
        )
        return out


# --- a ReportLab "dynamic font" that embeds a CFF subset ----------------------------------------------------


@dataclass
class _DocState:
    cids: dict[int, int] = field(default_factory=dict)  # unicode -> CID
    internal_name: str | None = None


class _Face:
    def __init__(self, name: str) -> None:
        self.name = name.encode("ascii", "replace")


class CFFCIDFont:
    """Duck-types ReportLab's TTFont (a dynamic font): one subset per document, 2-byte CID codes."""

    _dynamicFont = 1
    _multiByte = 1
    shapable = False

    def __init__(self, name: str, source: FontSource) -> None:
        self.fontName = name
        self.source = source
        self.sfnt = Sfnt(source.path, source.index)
        self.cff = CFFFont(self.sfnt)
        self.face = _Face(source.name or "CJK")
        self.substitutionFonts: list[Any] = []
        self.encoding = None
        self._scale = 1000.0 / self.sfnt.units_per_em()
        self._width_cache: dict[int, float] = {}
        self._lock = threading.Lock()
        import weakref

        self.state: weakref.WeakKeyDictionary[Any, _DocState] = weakref.WeakKeyDictionary()

    def _gid(self, code: int) -> int:
        if code == 0xA0:
            code = 32
        return self.sfnt.glyph_id(code)

    def _width(self, code: int) -> float:
        if code not in self._width_cache:
            self._width_cache[code] = self.sfnt.advance(self._gid(code)) * self._scale
        return self._width_cache[code]

    def stringWidth(self, text: Any, size: float, encoding: str = "utf8") -> float:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return sum(self._width(ord(ch)) for ch in text) * size / 1000.0

    def splitString(self, text: Any, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        state = self.state.setdefault(doc, _DocState())
        out = bytearray()
        for ch in text:
            code = ord(ch)
            gid = self._gid(code)
            cid = self.cff.gid_to_cid[gid] if gid < self.cff.num_glyphs else 0
            if cid:
                state.cids.setdefault(code, cid)
            out += struct.pack(">H", cid)
        return [(0, bytes(out))]

    def getSubsetInternalName(self, subset: int, doc: Any) -> str:
        state = self.state.setdefault(doc, _DocState())
        if state.internal_name is None:
            state.internal_name = f"F{len(doc.fontMapping) + 1}"
            doc.fontMapping[self.fontName] = "/" + state.internal_name
            doc.delayedFonts.append(self)
        return "/" + state.internal_name

    def addObjects(self, doc: Any) -> None:
        from reportlab.pdfbase import pdfdoc

        state = self.state.setdefault(doc, _DocState())
        internal = state.internal_name or self.getSubsetInternalName(0, doc)[1:]
        cid_to_gid = {}
        for code, cid in state.cids.items():
            cid_to_gid[cid] = self._gid(code)
        program = self.cff.subset(cid_to_gid.values())
        tag = "".join(
            chr(65 + b % 26)
            for b in hashlib.sha256(",".join(map(str, sorted(cid_to_gid))).encode()).digest()[:6]
        )
        base_name = f"{tag}+{self.source.name or 'CJK'}"

        stream = pdfdoc.PDFStream()
        stream.content = program
        stream.dictionary["Subtype"] = pdfdoc.PDFName("CIDFontType0C")
        stream.filters = [pdfdoc.PDFZCompress]
        stream_ref = doc.Reference(stream, f"fontFile3:{internal}")

        x_min, y_min, x_max, y_max = self.sfnt.bbox()
        asc, desc = self.sfnt.ascent_descent()
        s = self._scale
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": pdfdoc.PDFName("FontDescriptor"),
                "FontName": pdfdoc.PDFName(base_name),
                "Flags": 4,
                "FontBBox": pdfdoc.PDFArray([int(x_min * s), int(y_min * s), int(x_max * s), int(y_max * s)]),
                "ItalicAngle": 0,
                "Ascent": int(asc * s),
                "Descent": int(desc * s),
                "CapHeight": int(asc * s * 0.8),
                "StemV": 80,
                "FontFile3": stream_ref,
            }
        )
        descriptor_ref = doc.Reference(descriptor, f"fontDescriptor:{internal}")

        widths: list[Any] = []
        for cid in sorted(cid_to_gid):
            widths.extend([cid, pdfdoc.PDFArray([round(self.sfnt.advance(cid_to_gid[cid]) * s)])])
        cid_font = pdfdoc.PDFDictionary(
            {
                "Type": pdfdoc.PDFName("Font"),
                "Subtype": pdfdoc.PDFName("CIDFontType0"),
                "BaseFont": pdfdoc.PDFName(base_name),
                "CIDSystemInfo": pdfdoc.PDFDictionary(
                    {
                        "Registry": pdfdoc.PDFString("Adobe"),
                        "Ordering": pdfdoc.PDFString("Identity"),
                        "Supplement": 0,
                    }
                ),
                "FontDescriptor": descriptor_ref,
                "DW": 1000,
                "W": pdfdoc.PDFArray(widths),
            }
        )
        cid_font_ref = doc.Reference(cid_font, f"cidFont:{internal}")

        to_unicode = pdfdoc.PDFStream()
        to_unicode.content = _to_unicode_cmap({cid: code for code, cid in state.cids.items()})
        to_unicode.filters = [pdfdoc.PDFZCompress]
        to_unicode_ref = doc.Reference(to_unicode, f"toUnicode:{internal}")

        type0 = pdfdoc.PDFDictionary(
            {
                "Type": pdfdoc.PDFName("Font"),
                "Subtype": pdfdoc.PDFName("Type0"),
                "BaseFont": pdfdoc.PDFName(base_name),
                "Encoding": pdfdoc.PDFName("Identity-H"),
                "DescendantFonts": pdfdoc.PDFArray([cid_font_ref]),
                "ToUnicode": to_unicode_ref,
            }
        )
        doc.idToObject["BasicFonts"].dict[internal] = doc.Reference(type0, internal)
        del self.state[doc]


def _to_unicode_cmap(cid_to_code: dict[int, int]) -> str:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(cid_to_code.items())
    for k in range(0, len(items), 100):
        chunk = items[k : k + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for cid, code in chunk:
            utf16 = chr(code).encode("utf-16-be").hex().upper()
            lines.append(f"<{cid:04X}> <{utf16}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


# --- registering and rendering ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _registered() -> tuple[str, FontSource]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    source = find_cjk_font()
    font: Any
    if source.kind == "truetype":
        font = TTFont(FONT_NAME, source.path, subfontIndex=source.index)
    else:
        font = CFFCIDFont(FONT_NAME, source)
    pdfmetrics.registerFont(font)
    return FONT_NAME, source


_render_lock = threading.Lock()


def build(doc: Any, story: list[Any], **kwargs: Any) -> None:
    """Build a ReportLab document that uses the CJK font. The font keeps one subset per document, but
    ReportLab's font registry is global, so builds take turns."""
    with _render_lock:
        doc.build(story, **kwargs)


def register_cjk_font() -> str:
    """Register (once) and return the ReportLab font name of the embeddable CJK font."""
    return _registered()[0]


def font_source() -> FontSource:
    return _registered()[1]


@dataclass
class Section:
    heading: str
    paragraphs: list[str]


def render_pdf(
    *,
    title: str,
    sections: Sequence[Section],
    subtitle: str = "",
    footer: str = "",
    author: str = "",
) -> bytes:
    """Render a simple A4 document (title, numbered sections, a footer line on every page) to PDF bytes.

    Deterministic: the same input gives the same bytes (no creation timestamp): a hash of the PDF is stable.
    """
    from xml.sax.saxutils import escape

    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = register_cjk_font()
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    styles = {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, alignment=TA_CENTER),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=20, spaceBefore=8),
        "body": base,
    }

    def esc(text: str) -> str:
        return escape(text).replace("\n", "<br/>")

    story: list[Any] = [Paragraph(esc(title), styles["title"])]
    if subtitle:
        story.append(Paragraph(esc(subtitle), styles["subtitle"]))
    story.append(Spacer(1, 6 * mm))
    for section in sections:
        if section.heading:
            story.append(Paragraph(esc(section.heading), styles["heading"]))
        for paragraph in section.paragraphs:
            story.append(Paragraph(esc(paragraph), styles["body"]))

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        text = f"{footer}  ·  {doc.page}" if footer else str(doc.page)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, text)
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=author,
        invariant=1,
        initialFontName=font,
    )
    build(doc, story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
