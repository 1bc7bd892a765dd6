"""Chinese PDFs with an embedded font (the helper other apps can use)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shiguang.core import pdf


def _need_tools() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("poppler-utils not installed")
    try:
        pdf.find_cjk_font()
    except pdf.NoCJKFont:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")


def test_render_pdf_embeds_the_font_and_keeps_the_text(tmp_path: Path) -> None:
    _need_tools()
    data = pdf.render_pdf(
        title="幸福同行+各得其所 互助协议",
        subtitle="第1版",
        sections=[
            pdf.Section("第1条　当事人", ["甲方：陈婆婆，乙方：小王（ABC 123）。"]),
            pdf.Section("", ["粤语：佢哋好好人。"]),
        ],
        footer="SHA-256 abc",
    )
    path = tmp_path / "t.pdf"
    path.write_bytes(data)
    text = "".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "幸福同行+各得其所互助协议" in text and "甲方：陈婆婆" in text and "ABC123" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts


def test_rendering_is_deterministic() -> None:
    _need_tools()
    kwargs = {"title": "标题", "sections": [pdf.Section("一", ["正文"])]}
    assert pdf.render_pdf(**kwargs) == pdf.render_pdf(**kwargs)  # type: ignore[arg-type]


def test_the_cff_subset_is_small() -> None:
    _need_tools()
    source = pdf.find_cjk_font()
    if source.kind != "cff":
        pytest.skip("a TrueType CJK font is installed; ReportLab embeds it itself")
    font = pdf.CFFFont(pdf.Sfnt(source.path, source.index))
    sfnt = pdf.Sfnt(source.path, source.index)
    gids = [sfnt.glyph_id(ord(ch)) for ch in "幸福同行各得其所"]
    program = font.subset(gids)
    assert program[:4] == b"\x01\x00\x04\x04"
    assert len(program) < 60_000
