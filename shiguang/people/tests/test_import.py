"""Roster import from Excel: every row checked, errors by Excel row number, and nothing half-written.

Uses the shared `futian` fixtures (shiguang/conftest.py): worker_a works in 南园 · 测试甲; 测试丙 is in 沙头.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from shiguang.accounts.models import User
from shiguang.conftest import make_id_number
from shiguang.core.errors import Forbidden, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.people import importer, services
from shiguang.people.models import ElderProfile, VolunteerProfile

ELDER_HEADER = [
    "姓名",
    "性别",
    "出生日期",
    "街道",
    "社区",
    "居住状况",
    "户籍",
    "身份证号",
    "手机号",
    "住址",
    "语言",
    "健康备注",
]
VOLUNTEER_HEADER = ["姓名", "性别", "类别", "手机号", "街道", "社区", "技能", "语言"]


def elder_row(
    name="张桂英",
    *,
    birth=dt.date(1948, 5, 6),
    serial=102,
    gender="女",
    phone="13800001001",
    street="南园",
    community="测试甲",
    id_number=None,
    **columns,
):
    values = {
        "姓名": name,
        "性别": gender,
        "出生日期": birth,
        "街道": street,
        "社区": community,
        "居住状况": "独居",
        "户籍": "户籍",
        "身份证号": make_id_number(birth, serial) if id_number is None else id_number,
        "手机号": phone,
        "住址": "深圳市福田区南园路8号3栋501",
        "语言": "普通话，粤语",
        "健康备注": "高血压，规律服药",
    }
    values.update(columns)
    return [values[h] for h in ELDER_HEADER]


def volunteer_row(name="李思远", *, phone="13700001001", community="测试甲", **columns):
    values = {
        "姓名": name,
        "性别": "男",
        "类别": "应届毕业生",
        "手机号": phone,
        "街道": "南园",
        "社区": community,
        "技能": "陪诊、数码帮助",
        "语言": "普通话",
    }
    values.update(columns)
    return [values[h] for h in VOLUNTEER_HEADER]


def workbook(
    elders=(), volunteers=(), *, elder_header=ELDER_HEADER, volunteer_header=VOLUNTEER_HEADER
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "长者"
    sheet.append(list(elder_header))
    for row in elders:
        sheet.append(row)
    sheet = book.create_sheet("志愿者")
    sheet.append(list(volunteer_header))
    for row in volunteers:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(data: bytes, actor, **options):
    return importer.import_workbook(io.BytesIO(data), actor=actor, **options)


def counts():
    return ElderProfile.objects.count(), VolunteerProfile.objects.count(), User.objects.count()


def raw_columns(sql: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_all_valid_rows_are_written_with_encrypted_fields(futian, worker_a):
    data = workbook(
        [elder_row(), elder_row("黄伯", gender="男", serial=103, birth=dt.date(1939, 11, 2), phone="")],
        [volunteer_row()],
    )
    report = run(data, worker_a)

    assert report.errors == []
    assert (report.rows, report.valid_rows, report.written) == (3, 3, 3)
    assert report.sheets == {
        "长者": {"rows": 2, "valid": 2, "written": 2},
        "志愿者": {"rows": 1, "valid": 1, "written": 1},
    }
    zhang = ElderProfile.objects.select_related("user").get(name="张桂英")
    huang = ElderProfile.objects.select_related("user").get(name="黄伯")
    assert zhang.community == futian["a"] and zhang.gender == "female" and zhang.living_arrangement == "alone"
    assert zhang.birth_date == dt.date(1948, 5, 6) and zhang.languages == ["mandarin", "cantonese"]
    assert zhang.has_phone and zhang.user.phone == "13800001001"
    assert not is_password_usable(zhang.user.password)  # resets it with a worker
    assert not huang.has_phone and huang.user.phone == ""  # proxy-registered
    assert zhang.registered_by == worker_a
    volunteer = VolunteerProfile.objects.get()
    assert volunteer.kind == "graduate" and volunteer.skills == ["medical_escort", "digital_help"]
    assert AuditEvent.objects.filter(code="people.elder.registered").count() == 2
    assert AuditEvent.objects.filter(code="people.volunteer.registered").count() == 1

    elder_raw = raw_columns(
        "SELECT id_number, address, health_notes FROM people_elderprofile WHERE id = %s", zhang.pk
    )
    user_raw = raw_columns("SELECT phone FROM accounts_user WHERE id = %s", zhang.user_id)
    assert make_id_number(dt.date(1948, 5, 6), 102) not in elder_raw
    assert "南园路" not in elder_raw and "高血压" not in elder_raw
    assert "13800001001" not in user_raw
    assert zhang.id_number == make_id_number(dt.date(1948, 5, 6), 102)  # ...and reads back


def wrong_checksum(id_number):
    return id_number[:-1] + ("1" if id_number[-1] != "1" else "2")


BAD_ROWS = {
    "bad id checksum": (
        lambda: elder_row(
            "王伯",
            gender="男",
            id_number=wrong_checksum(make_id_number(dt.date(1948, 5, 6), 103)),
            phone="13800001002",
        ),
        "身份证号",
        "校验位",
    ),
    "bad phone": (lambda: elder_row("王伯", serial=104, phone="1380000100"), "手机号", "11位"),
    "bad date": (
        lambda: elder_row(
            "王伯", phone="", birth="1948-13-45", id_number=make_id_number(dt.date(1948, 5, 6), 104)
        ),
        "出生日期",
        "YYYY-MM-DD",
    ),
    "unknown community": (
        lambda: elder_row("王伯", serial=104, phone="", community="不存在"),
        "社区",
        "没有名为",
    ),
    "unknown street": (lambda: elder_row("王伯", serial=104, phone="", street="火星"), "街道", "不存在"),
    "out of scope": (
        lambda: elder_row("王伯", serial=104, phone="", street="沙头", community="测试丙"),
        "社区",
        "管辖范围",
    ),
    "duplicate id in file": (lambda: elder_row("王伯", phone=""), "身份证号", "第2行"),
    "duplicate phone in file": (lambda: elder_row("王伯", serial=104), "手机号", "第2行"),
    "unknown choice": (
        lambda: elder_row("王伯", serial=104, phone="", 居住状况="城堡"),
        "居住状况",
        "无法识别",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_one_bad_row_names_row_and_field_and_nothing_is_written(futian, worker_a, case):
    make_row, field, fragment = BAD_ROWS[case]
    before, events = counts(), AuditEvent.objects.count()
    report = run(workbook([elder_row(), make_row()], [volunteer_row()]), worker_a)

    assert report.written == 0 and report.rows == 3 and report.valid_rows == 2
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    assert (error["row"], error["sheet"], error["field"]) == (3, "长者", field)
    assert fragment in error["message"]
    assert counts() == before and AuditEvent.objects.count() == events


def test_duplicates_against_the_database(futian, worker_a, elder_a, volunteer_a):
    before = counts()
    data = workbook(
        [elder_row(id_number=elder_a.id_number, gender="女", birth=elder_a.birth_date, phone="")],
        [volunteer_row(phone="13700137001"), volunteer_row("赵敏", phone=elder_a.user.phone)],
    )
    report = run(data, worker_a)
    got = {(e["sheet"], e["row"], e["field"], e["message"]) for e in report.errors}
    assert got == {
        ("长者", 2, "身份证号", "该身份证号已登记。"),
        ("志愿者", 2, "手机号", "该手机号已注册。"),
        ("志愿者", 3, "手机号", "该手机号已注册。"),
    }
    assert counts() == before


def test_duplicate_phone_across_sheets_is_caught(futian, worker_a):
    report = run(workbook([elder_row()], [volunteer_row(phone="13800001001")]), worker_a)
    assert [(e["sheet"], e["row"], e["field"]) for e in report.errors] == [("志愿者", 2, "手机号")]
    assert "第2行（长者）" in report.errors[0]["message"]
    assert report.written == 0


def test_id_number_must_match_birth_date_and_gender(futian, worker_a):
    other_birthday = make_id_number(dt.date(1950, 1, 1), 102)
    report = run(
        workbook([elder_row(id_number=other_birthday), elder_row("黄伯", serial=104, gender="男", phone="")]),
        worker_a,
    )
    assert [(e["row"], e["field"]) for e in report.errors] == [(2, "身份证号"), (3, "身份证号")]
    assert "出生日期" in report.errors[0]["message"] and "性别" in report.errors[1]["message"]


def test_valid_only_writes_only_the_valid_rows(futian, worker_a):
    data = workbook(
        [
            elder_row(),
            elder_row("王伯", serial=104, phone="12345"),
            elder_row("刘婆婆", serial=106, phone=""),
        ],
        [volunteer_row(), volunteer_row("钱多多", phone="13700001001")],
    )
    report = run(data, worker_a, valid_only=True)
    assert report.written == 3 and report.valid_rows == 3 and report.rows == 5
    assert sorted((e["sheet"], e["row"]) for e in report.errors) == [("志愿者", 3), ("长者", 3)]
    assert set(ElderProfile.objects.values_list("name", flat=True)) == {"张桂英", "刘婆婆"}
    assert list(VolunteerProfile.objects.values_list("name", flat=True)) == ["李思远"]


def test_dry_run_writes_nothing(futian, worker_a):
    before = counts()
    report = run(workbook([elder_row()], [volunteer_row()]), worker_a, dry_run=True)
    assert report.errors == [] and report.valid_rows == 2 and report.written == 0 and report.dry_run
    assert counts() == before


def test_a_failure_while_writing_rolls_back_every_row(futian, worker_a, monkeypatch):
    def fail(**kwargs):
        raise ValidationFailed(fields={"phone": ["该手机号已注册。"]})

    monkeypatch.setattr(services, "volunteer_register", fail)
    before = counts()
    report = run(
        workbook([elder_row(), elder_row("刘婆婆", serial=106, phone="")], [volunteer_row()]), worker_a
    )
    assert report.rolled_back and report.written == 0
    assert ("志愿者", 2, "手机号") in {(e["sheet"], e["row"], e["field"]) for e in report.errors}
    assert counts() == before  # the two elders written first are gone too


def test_english_headers_and_labels_are_accepted(futian, worker_a):
    header = [
        "Name",
        "Gender",
        "Birth_Date",
        "Street",
        "Community",
        "Living arrangement",
        "Hukou",
        "ID number",
        "Phone",
        "Address",
        "Languages",
        "Health notes",
    ]
    row = [
        "Zhang",
        "female",
        dt.date(1948, 5, 6),
        "南园街道",
        "测试甲社区",
        "empty_nest",
        "resident",
        make_id_number(dt.date(1948, 5, 6), 102),
        "",
        "",
        "mandarin, hakka",
        "",
    ]
    report = run(workbook([row], elder_header=header), worker_a)
    assert report.errors == [] and report.written == 1
    elder = ElderProfile.objects.get()
    assert (elder.hukou, elder.living_arrangement, elder.languages) == (
        "resident",
        "empty_nest",
        ["mandarin", "hakka"],
    )


def test_text_dates_and_missing_header(futian, worker_a):
    report = run(
        workbook([elder_row(birth="1948-05-06", id_number=make_id_number(dt.date(1948, 5, 6), 102))]),
        worker_a,
        dry_run=True,
    )
    assert report.errors == [] and report.valid_rows == 1
    report = run(
        workbook([elder_row()], elder_header=[h if h != "户籍" else "备注" for h in ELDER_HEADER]), worker_a
    )
    assert [(e["row"], e["sheet"], e["field"]) for e in report.errors] == [(1, "长者", "户籍")]


def test_not_an_excel_file(futian, worker_a):
    report = run(b"name,gender\n", worker_a)
    assert report.written == 0 and report.errors and report.errors[0]["row"] == 0


def test_street_staff_scope_and_non_staff_refused(futian, street_staff, legal, volunteer_a):
    report = run(
        workbook(
            [
                elder_row(community="测试乙"),
                elder_row("王伯", serial=104, phone="", street="沙头", community="测试丙"),
            ]
        ),
        street_staff,
    )
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "社区")]
    for actor in (legal, volunteer_a.user):
        with pytest.raises(Forbidden):
            run(workbook([elder_row()]), actor)


def test_template_has_both_sheets_and_imports_cleanly(futian, worker_a):
    data = importer.template_workbook()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert {"长者", "志愿者"} <= set(book.sheetnames)
    elders = book["长者"]
    assert [c.value.rstrip("*") for c in elders[1]] == ELDER_HEADER
    assert elders.max_row == 2  # one example row
    assert elders.data_validations.dataValidation  # drop-down lists for the choice columns
    report = run(data, worker_a)
    assert report.errors == [] and report.rows == 0  # example rows are skipped


def test_command_reports_errors_and_exits_non_zero(futian, worker_a, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook([elder_row(), elder_row("王伯", serial=104, phone="1380000100")]))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_people", str(path), "--as", "worker_a", stdout=out, stderr=err)
    assert excinfo.value.returncode == 1
    assert "row 3 (长者) 手机号: 手机号应为11位" in out.getvalue()
    assert "Nothing was imported" in str(excinfo.value)
    assert ElderProfile.objects.count() == 0
    assert "检查" in err.getvalue()  # the progress bar goes to stderr

    out = io.StringIO()
    call_command(
        "import_people", str(path), "--as", "worker_a", "--valid-only", stdout=out, stderr=io.StringIO()
    )
    assert "1 written" in out.getvalue()
    assert list(ElderProfile.objects.values_list("name", flat=True)) == ["张桂英"]


def test_command_dry_run_and_unknown_user(futian, worker_a, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook([elder_row()], [volunteer_row()]))
    out = io.StringIO()
    call_command(
        "import_people", str(path), "--as", "worker_a", "--dry-run", stdout=out, stderr=io.StringIO()
    )
    assert "dry run" in out.getvalue() and counts()[0] == 0
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_people", str(path), "--as", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_page_upload_shows_errors_by_row(futian, worker_a, login):
    client = login(worker_a)
    page = client.get("/people/import/")
    assert page.status_code == 200 and "/people/import/template.xlsx" in page.content.decode()

    data = workbook([elder_row(), elder_row("王伯", serial=104, phone="", community="不存在")])
    upload = SimpleUploadedFile("roster.xlsx", data, content_type="application/vnd.ms-excel")
    response = client.post("/people/import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "第 3 行" in html and "没有名为“不存在”的社区" in html and 'id="import-errors"' in html
    assert ElderProfile.objects.count() == 0

    upload = SimpleUploadedFile("roster.xlsx", workbook([elder_row()]))
    response = client.post("/people/import/", {"file": upload}, follow=True)
    assert ElderProfile.objects.count() == 1
    assert "已导入 1 行" in response.content.decode()


def test_template_download(futian, worker_a, login):
    response = login(worker_a).get("/people/import/template.xlsx")
    assert response.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames[:2] == ["长者", "志愿者"]
