"""Excel exports (xlsxwriter): activity and training attendance, outreach visits, the funnel, youth surveys.

Cells are written with explicit types (text is never interpreted as a formula, so a value such as
"=HYPERLINK(...)" typed into a form stays text). Personal data is masked where the list does not need it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from shiguang.core import clock
from shiguang.core.masking import mask_phone, mask_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def workbook(sheets: list[Sheet]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    head = book.add_format({"bold": True, "bg_color": "#ECEAE4", "border": 1, "text_wrap": True})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    time_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for title, headers, rows in sheets:
        sheet = book.add_worksheet(title[:31])
        for col, header in enumerate(headers):
            sheet.write_string(0, col, str(header), head)
            sheet.set_column(col, col, max(10, min(40, len(str(header)) * 2 + 4)))
        sheet.freeze_panes(1, 0)
        r = 0
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is None or value == "":
                    sheet.write_blank(r, c, None)
                elif isinstance(value, bool):
                    sheet.write_string(r, c, _("是") if value else _("否"))
                elif isinstance(value, int | float):
                    sheet.write_number(r, c, value)
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, clock.local(value).replace(tzinfo=None), time_fmt)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                else:
                    sheet.write_string(r, c, str(value))
        if r:
            sheet.autofilter(0, 0, r, max(len(headers) - 1, 0))
    book.close()
    return buffer.getvalue()


def response(filename: str, sheets: list[Sheet]) -> HttpResponse:
    return HttpResponse(
        workbook(sheets),
        content_type=XLSX,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def attendance_sheet(activity: Any, signups: Iterable[Any]) -> Sheet:
    headers = [
        _("报名顺序"),
        _("姓名"),
        _("社区"),
        _("手机"),
        _("状态"),
        _("报名方式"),
        _("报名操作人"),
        _("报名时间"),
        _("候补转正时间"),
        _("签到时间"),
        _("签到方式"),
    ]
    rows = [
        [
            s.seq,
            s.elder.name,
            str(s.elder.community),
            mask_phone(s.elder.user.phone) if s.elder.has_phone else _("无（代办）"),
            str(s.get_status_display()),
            str(s.get_channel_display()),
            str(s.signed_up_by),
            s.created_at,
            s.promoted_at,
            s.checked_in_at,
            str(s.get_checkin_method_display()) if s.checkin_method else "",
        ]
        for s in signups
    ]
    return (_("出勤名单"), headers, rows)


def activity_attendance(activity: Any, signups: Iterable[Any]) -> HttpResponse:
    start = clock.local(activity.start_at)
    info: Sheet = (
        _("活动信息"),
        [_("项目"), _("内容")],
        [
            [_("活动"), activity.title],
            [_("类别"), str(activity.get_kind_display())],
            [_("地点"), activity.facility.name],
            [_("开始"), activity.start_at],
            [_("结束"), activity.end_at],
            [_("名额"), activity.capacity],
            [_("状态"), str(activity.get_status_display())],
            [_("导出时间"), clock.now()],
        ],
    )
    return response(f"出勤-{activity.title}-{start:%Y%m%d}.xlsx", [attendance_sheet(activity, signups), info])


def activities_attendance(activities: Iterable[Any]) -> HttpResponse:
    headers = [
        _("日期"),
        _("开始"),
        _("活动"),
        _("类别"),
        _("地点"),
        _("名额"),
        _("已报名"),
        _("候补"),
        _("签到"),
        _("状态"),
    ]
    rows = [
        [
            clock.local(a.start_at).date(),
            f"{clock.local(a.start_at):%H:%M}",
            a.title,
            str(a.get_kind_display()),
            a.facility.name,
            a.capacity,
            a.n_confirmed,
            a.n_waitlisted,
            a.n_attended,
            str(a.get_status_display()),
        ]
        for a in activities
    ]
    return response(f"活动出勤汇总-{clock.today():%Y%m%d}.xlsx", [(_("活动出勤汇总"), headers, rows)])


def session_attendance(session: Any, enrollments: Iterable[Any]) -> HttpResponse:
    headers = [
        _("姓名"),
        _("社区"),
        _("类别"),
        _("状态"),
        _("出勤"),
        _("考核结果"),
        _("证书有效期至"),
        _("评定人"),
    ]
    rows = [
        [
            e.volunteer.name,
            str(e.volunteer.community),
            str(e.volunteer.get_kind_display()),
            str(e.get_status_display()),
            e.attended,
            str(e.get_result_display()),
            e.certification.expires_on if e.certification_id else None,
            str(e.marked_by) if e.marked_by_id else "",
        ]
        for e in enrollments
    ]
    start = clock.local(session.start_at)
    return response(f"培训出勤-{session.course.title}-{start:%Y%m%d}.xlsx", [(_("培训出勤"), headers, rows)])


def outreach_visits(visits: Iterable[Any]) -> HttpResponse:
    headers = [
        _("走访日期"),
        _("社区"),
        _("住户"),
        _("称呼"),
        _("走访人"),
        _("同行人员"),
        _("结果"),
        _("幸福同行意向"),
        _("互助意向"),
        _("紧急呼叫设备意向"),
        _("已筛查"),
        _("计划回访"),
        _("备注"),
    ]
    rows = [
        [
            v.visited_on,
            str(v.community),
            (_("长者档案 #%(id)s %(name)s") % {"id": v.elder_id, "name": v.elder.name})
            if v.elder_id
            else mask_text(v.household_address),
            v.contact_name,
            str(v.visited_by),
            v.companions,
            str(v.get_outcome_display()),
            v.interest_homeshare,
            v.interest_mutual_aid,
            v.interest_sos_device,
            bool(getattr(v, "screened", False)),
            v.follow_up_on,
            v.notes,
        ]
        for v in visits
    ]
    return response(f"入户走访-{clock.today():%Y%m%d}.xlsx", [(_("入户走访"), headers, rows)])


def funnel_workbook(data: dict[str, Any]) -> HttpResponse:
    from shiguang.community.selectors.outreach import STAGES

    headers = [_("社区"), *[str(label) for _key, label in STAGES], _("参与率")]
    rows = [
        [row["label"], *[row[key] for key, _label in STAGES], row["conversion"]]
        for row in [*data["communities"], data["total"]]
    ]
    stages = [[s["label"], s["value"], s["rate"]] for s in data["stages"]]
    interests = [[i["label"], i["value"]] for i in data["interests"]]
    return response(
        f"入户宣传漏斗-{clock.today():%Y%m%d}.xlsx",
        [
            (_("各社区"), headers, rows),
            (_("漏斗合计"), [_("阶段"), _("住户数"), _("占走访比例")], stages),
            (_("意向"), [_("项目"), _("住户数")], interests),
        ],
    )


def youth_workbook(surveys: Iterable[Any]) -> HttpResponse:
    from shiguang.community.choices import RecruitmentChannel, YouthInterest
    from shiguang.people.choices import VolunteerKind

    kinds = dict(VolunteerKind.choices)
    interests = dict(YouthInterest.choices)
    headers = [
        _("日期"),
        _("社区"),
        _("身份"),
        _("渠道"),
        _("单位/学校"),
        _("年龄"),
        _("意向"),
        _("每周小时"),
        _("同意联系"),
        _("联系电话"),
    ]
    rows = [
        [
            s.surveyed_on,
            str(s.community),
            str(kinds.get(s.respondent_kind, s.respondent_kind)),
            str(RecruitmentChannel(s.channel).label),
            s.organisation,
            s.age,
            "、".join(str(interests.get(i, i)) for i in s.interests),
            s.hours_per_week,
            s.consent_to_contact,
            mask_phone(s.contact_phone),
        ]
        for s in surveys
    ]
    return response(f"青年意向调查-{clock.today():%Y%m%d}.xlsx", [(_("青年意向调查"), headers, rows)])
