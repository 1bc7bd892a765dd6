"""Statements as PDF (ReportLab, Chinese font embedded — see core/pdf.py) and Excel (xlsxwriter)."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from django.utils.translation import gettext as _

from shiguang.core import clock
from shiguang.core.pdf import build, register_cjk_font
from shiguang.timebank.models import minutes_to_hours
from shiguang.timebank.statements import CommunityStatement, Statement


def _no_cash() -> str:
    return _("时间币只能兑换服务，不能兑换现金。1小时服务 = 1时间币。")


def _h(minutes: int) -> str:
    return f"{minutes_to_hours(minutes):,}"


# --- PDF ----------------------------------------------------------------------------------------------------


def _pdf(title: str, blocks: list[tuple[str, Any]]) -> bytes:
    """Render blocks ("p", text) | ("kv", [(k, v)]) | ("table", (header, rows, widths)) | ("h", text)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11)
    heading = ParagraphStyle("h", parent=base, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
    title_style = ParagraphStyle("t", parent=base, fontSize=17, leading=24, spaceAfter=6)
    story: list[Any] = [Paragraph(_esc(title), title_style)]
    for kind, value in blocks:
        if kind == "p":
            story.append(Paragraph(_esc(value), base))
        elif kind == "h":
            story.append(Paragraph(_esc(value), heading))
        elif kind == "kv":
            table = Table(
                [[Paragraph(_esc(k), base), Paragraph(_esc(v), base)] for k, v in value],
                colWidths=[40 * mm, 130 * mm],
            )
            table.setStyle(
                TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), font)])
            )
            story.append(table)
        else:
            header, rows, widths = value
            data = [[Paragraph(_esc(str(c)), small) for c in header]]
            data += [[Paragraph(_esc(str(c)), small) for c in row] for row in rows]
            table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceae4")),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9c6bf")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("FONTNAME", (0, 0), (-1, -1), font),
                    ]
                )
            )
            story.append(table)
        story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(_esc(_no_cash()), small))
    stamp = _("生成时间：%(at)s · 时光家园 福田区社区互助养老平台") % {
        "at": f"{clock.local(clock.now()):%Y-%m-%d %H:%M}"
    }
    story.append(Paragraph(_esc(stamp), small))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author="Shiguang",
        initialFontName=font,
    )
    build(doc, story)
    return out.getvalue()


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def statement_rows(st: Statement) -> list[list[str]]:
    return [
        [
            f"{line.at:%Y-%m-%d %H:%M}",
            f"#{line.transaction_id}",
            line.description,
            _h(line.amount),
            _h(line.balance),
        ]
        for line in st.lines
    ]


def statement_pdf(st: Statement) -> bytes:
    title = _("时间银行对账单 · %(holder)s") % {"holder": st.holder}
    kv = [
        (_("账户"), f"#{st.account.pk} {st.account.get_kind_display()}"),
        (_("期间"), st.period.label),
        (_("期初余额"), _("%(h)s 小时") % {"h": _h(st.opening)}),
        (_("期末余额"), _("%(h)s 小时") % {"h": _h(st.closing)}),
        (
            _("本期合计"),
            _("服务所得 %(e)s，收到 %(r)s，转出/捐出 %(g)s，兑换 %(s)s（小时）")
            % {
                "e": _h(st.totals["earned"]),
                "r": _h(st.totals["received"]),
                "g": _h(st.totals["given"]),
                "s": _h(st.totals["spent"]),
            },
        ),
    ]
    blocks: list[tuple[str, Any]] = [("kv", kv), ("h", _("明细"))]
    header = [_("时间"), _("交易"), _("摘要"), _("变动（小时）"), _("余额（小时）")]
    rows = statement_rows(st)
    if rows:
        blocks.append(("table", (header, rows, [30, 16, 86, 24, 24])))
    else:
        blocks.append(("p", _("本期没有记录。")))
    if st.truncated:
        blocks.append(("p", _("记录过多，仅显示前 %(n)s 条，请缩短期间。") % {"n": len(rows)}))
    return _pdf(title, blocks)


def community_pdf(cs: CommunityStatement) -> bytes:
    title = _("时间银行社区对账单 · %(community)s") % {"community": cs.community}
    t = cs.totals
    kv = [
        (_("街道"), str(cs.community.street)),
        (_("期间"), cs.period.label),
        (_("参与人数"), str(t["members"])),
        (_("本期服务所得"), _("%(h)s 小时") % {"h": _h(t["earned"])}),
        (_("个人账户余额合计"), _("%(h)s 小时") % {"h": _h(t["balance"])}),
        (_("社区互助池余额"), _("%(h)s 小时") % {"h": _h(t["pool"])}),
    ]
    blocks: list[tuple[str, Any]] = [("kv", kv), ("h", _("成员"))]
    header = [_("姓名"), _("身份"), _("服务所得"), _("收到"), _("转出"), _("兑换"), _("余额"), _("星级")]
    rows = [
        [m.name, m.role, _h(m.earned), _h(m.received), _h(m.given), _h(m.spent), _h(m.balance), str(m.stars)]
        for m in cs.members
    ]
    if rows:
        blocks.append(("table", (header, rows, [30, 26, 20, 18, 18, 18, 24, 14])))
    else:
        blocks.append(("p", _("本社区还没有时间账户。")))
    if cs.pool is not None:
        blocks.append(("h", _("社区互助池明细")))
        pool_rows = statement_rows(cs.pool)
        if pool_rows:
            header = [_("时间"), _("交易"), _("摘要"), _("变动（小时）"), _("余额（小时）")]
            blocks.append(("table", (header, pool_rows, [30, 16, 86, 24, 24])))
        else:
            blocks.append(("p", _("本期没有记录。")))
    return _pdf(title, blocks)


# --- Excel --------------------------------------------------------------------------------------------------


def _workbook() -> tuple[io.BytesIO, Any, dict[str, Any]]:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "remove_timezone": True})
    formats = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format({"bold": True, "bg_color": "#ECEAE4", "border": 1}),
        "hours": book.add_format({"num_format": "#,##0.00"}),
        "when": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "note": book.add_format({"italic": True, "font_color": "#4A4A4A"}),
    }
    return out, book, formats


def _write_lines(sheet: Any, row: int, st: Statement, f: dict[str, Any]) -> int:
    header = [_("时间"), _("交易"), _("类型"), _("摘要"), _("变动（小时）"), _("余额（小时）")]
    sheet.write_row(row, 0, header, f["head"])
    row += 1
    for line in st.lines:
        sheet.write_datetime(row, 0, line.at.replace(tzinfo=None), f["when"])
        sheet.write_number(row, 1, line.transaction_id)
        sheet.write_string(row, 2, line.kind_label)
        sheet.write_string(row, 3, line.description)
        sheet.write_number(row, 4, float(minutes_to_hours(line.amount)), f["hours"])
        sheet.write_number(row, 5, float(minutes_to_hours(line.balance)), f["hours"])
        row += 1
    return row


def statement_xlsx(st: Statement) -> bytes:
    out, book, f = _workbook()
    sheet = book.add_worksheet(_("对账单"))
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 2, 12)
    sheet.set_column(3, 3, 60)
    sheet.set_column(4, 5, 14)
    sheet.write(0, 0, _("时间银行对账单 · %(holder)s") % {"holder": st.holder}, f["title"])
    info = [
        (_("账户"), f"#{st.account.pk} {st.account.get_kind_display()}"),
        (_("期间"), st.period.label),
    ]
    row = 1
    for label, text in info:
        sheet.write_row(row, 0, [label, text])
        row += 1
    for k, v in (
        (_("期初余额（小时）"), st.opening),
        (_("期末余额（小时）"), st.closing),
        (_("服务所得（小时）"), st.totals["earned"]),
        (_("收到（小时）"), st.totals["received"]),
        (_("转出/捐出（小时）"), st.totals["given"]),
        (_("兑换（小时）"), st.totals["spent"]),
    ):
        sheet.write_string(row, 0, k)
        sheet.write_number(row, 1, float(minutes_to_hours(v)), f["hours"])
        row += 1
    row = _write_lines(sheet, row + 1, st, f)
    sheet.write(row + 1, 0, _no_cash(), f["note"])
    book.close()
    return out.getvalue()


def community_xlsx(cs: CommunityStatement) -> bytes:
    out, book, f = _workbook()
    sheet = book.add_worksheet(_("成员"))
    sheet.set_column(0, 1, 16)
    sheet.set_column(2, 8, 13)
    sheet.write(0, 0, _("时间银行社区对账单 · %(community)s") % {"community": cs.community}, f["title"])
    sheet.write_row(1, 0, [_("期间"), cs.period.label])
    header = [_("姓名"), _("身份"), _("服务所得"), _("收到"), _("转出"), _("兑换"), _("余额"), _("星级")]
    sheet.write_row(3, 0, header, f["head"])
    row = 4
    for m in cs.members:
        sheet.write_string(row, 0, m.name)
        sheet.write_string(row, 1, m.role)
        for col, value in enumerate((m.earned, m.received, m.given, m.spent, m.balance), start=2):
            sheet.write_number(row, col, float(minutes_to_hours(value)), f["hours"])
        sheet.write_number(row, 7, m.stars)
        row += 1
    if cs.members:
        sheet.write_string(row, 0, _("合计"), f["head"])
        for col in range(2, 7):
            letter = chr(ord("A") + col)
            sheet.write_formula(row, col, f"=SUM({letter}5:{letter}{row})", f["hours"])
    sheet.write(row + 2, 0, _no_cash(), f["note"])
    if cs.pool is not None:
        pool_sheet = book.add_worksheet(_("社区互助池"))
        pool_sheet.set_column(0, 0, 18)
        pool_sheet.set_column(3, 3, 60)
        pool_sheet.set_column(4, 5, 14)
        pool_sheet.write(0, 0, str(cs.pool.account), f["title"])
        _write_lines(pool_sheet, 2, cs.pool, f)
    book.close()
    return out.getvalue()
