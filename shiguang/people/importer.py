"""Roster import: elders and volunteers from the Excel workbooks staff already keep.

The workbook has a sheet "长者" (elders) and a sheet "志愿者" (volunteers), each with a header row in Chinese
(English aliases are accepted). Every row is checked with the same validators the forms and the API use, plus:
the street and community must exist and be inside the actor's scope, and an ID number or phone may appear only
once, in the file and in the database (blind-index lookups).

Nothing is written unless every row is valid; `valid_only=True` writes the valid rows and skips the rest;
`dry_run=True` writes nothing. Rows are written through `people.services` in one transaction, so a failure
half-way rolls the whole import back. Rows whose name starts with "（示例）" (the template's example rows) are
skipped.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shiguang.accounts import services as account_services
from shiguang.accounts.validators import birth_date_from_id, normalize_id_number, normalize_phone
from shiguang.core.errors import DomainError, Forbidden
from shiguang.core.scoping import in_scope, is_worker
from shiguang.people import services
from shiguang.people.choices import LANGUAGES, SKILLS, Gender, Hukou, LivingArrangement, VolunteerKind
from shiguang.people.selectors import find_elder_by_id_number
from shiguang.places.models import Community, Street

ELDER_SHEET = "长者"
VOLUNTEER_SHEET = "志愿者"
SHEET_ALIASES = {
    ELDER_SHEET: ("长者", "长者名单", "老人", "elders", "elder"),
    VOLUNTEER_SHEET: ("志愿者", "志愿者名单", "volunteers", "volunteer"),
}
EXAMPLE_PREFIXES = ("（示例）", "(示例)", "示例：", "示例:")
MAX_NAME = 60
MAX_ADDRESS = 200
MAX_HEALTH_NOTES = 2000

# progress(iterable, total, description) -> the same items; the command passes a tqdm bar.
Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy, so error messages follow the language; the file's headers are always zh-Hans
    aliases: tuple[str, ...] = ()
    required: bool = False


ELDER_COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("姓名"), ("name", "full name"), required=True),
    Column("gender", gettext_lazy("性别"), ("gender", "sex"), required=True),
    Column(
        "birth_date",
        gettext_lazy("出生日期"),
        ("birth date", "date of birth", "dob", "birthday"),
        required=True,
    ),
    Column("street", gettext_lazy("街道"), ("street",), required=True),
    Column("community", gettext_lazy("社区"), ("community",), required=True),
    Column(
        "living_arrangement",
        gettext_lazy("居住状况"),
        ("居住情况", "living arrangement", "living"),
        required=True,
    ),
    Column("hukou", gettext_lazy("户籍"), ("户籍类型", "hukou", "household registration"), required=True),
    Column("id_number", gettext_lazy("身份证号"), ("身份证", "身份证号码", "id number", "id")),
    Column("phone", gettext_lazy("手机号"), ("手机", "手机号码", "电话", "phone", "mobile")),
    Column("address", gettext_lazy("住址"), ("家庭住址", "地址", "address")),
    Column("languages", gettext_lazy("语言"), ("语言/方言", "方言", "languages", "language")),
    Column("health_notes", gettext_lazy("健康备注"), ("健康状况", "health notes", "health")),
)
VOLUNTEER_COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("姓名"), ("name", "full name"), required=True),
    Column("gender", gettext_lazy("性别"), ("gender", "sex"), required=True),
    Column("kind", gettext_lazy("类别"), ("志愿者类别", "kind", "type", "category"), required=True),
    Column("phone", gettext_lazy("手机号"), ("手机", "手机号码", "电话", "phone", "mobile"), required=True),
    Column("street", gettext_lazy("街道"), ("street",), required=True),
    Column("community", gettext_lazy("社区"), ("community",), required=True),
    Column("skills", gettext_lazy("技能"), ("特长", "skills", "skill")),
    Column("languages", gettext_lazy("语言"), ("语言/方言", "方言", "languages", "language")),
)
COLUMNS = {ELDER_SHEET: ELDER_COLUMNS, VOLUNTEER_SHEET: VOLUNTEER_COLUMNS}


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    valid_rows: int = 0
    dry_run: bool = False
    valid_only: bool = False
    rolled_back: bool = False
    # per sheet: {"rows": n, "valid": n, "written": n}
    sheets: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def invalid_rows(self) -> int:
        return self.rows - self.valid_rows

    def add_error(self, *, row: int, sheet: str, field: str, message: str) -> None:
        self.errors.append({"row": row, "sheet": sheet, "field": field, "message": message})


@dataclass
class _Row:
    sheet: str
    number: int  # Excel row number (the header is row 1)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def valid(self) -> bool:
        return not self.errors


class _RolledBack(Exception):
    pass


# --- reading ------------------------------------------------------------------------------------------------


def _norm_header(value: Any) -> str:
    text = str(value or "").strip().lower()
    text = re.sub(r"[（(][^）)]*[）)]\s*$", "", text)  # "出生日期（YYYY-MM-DD）" -> "出生日期"
    text = text.replace("*", "").replace("_", " ").replace("-", " ")
    return re.sub(r"\s+", " ", text).strip()


def _header_lookup(columns: Sequence[Column]) -> dict[str, Column]:
    lookup: dict[str, Column] = {}
    with translation.override("zh-hans"):
        for column in columns:
            for name in (str(column.label), column.key, *column.aliases):
                lookup.setdefault(_norm_header(name), column)
    return lookup


def _sheet_kind(title: str) -> str | None:
    name = _norm_header(title)
    for kind, aliases in SHEET_ALIASES.items():
        if name in {_norm_header(a) for a in aliases}:
            return kind
    return None


def _open(file: Any) -> Any:
    import openpyxl

    source: Any = file
    if hasattr(file, "read"):
        if hasattr(file, "seek"):
            file.seek(0)
        source = io.BytesIO(file.read())
    return openpyxl.load_workbook(source, read_only=True, data_only=True)


def _read_sheets(file: Any, report: ImportReport) -> list[tuple[str, list[tuple[int, dict[str, Any]]]]]:
    """[(sheet kind, [(excel row number, {column key: raw value})])]; file-level problems go to the report."""
    try:
        workbook = _open(file)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        report.add_error(
            row=0,
            sheet="",
            field="",
            message=_("文件无法读取，请上传 .xlsx 格式的 Excel 文件（%(error)s）。")
            % {"error": type(exc).__name__},
        )
        return []
    result: list[tuple[str, list[tuple[int, dict[str, Any]]]]] = []
    try:
        seen: set[str] = set()
        for worksheet in workbook.worksheets:
            kind = _sheet_kind(worksheet.title)
            if kind is None or kind in seen:
                continue
            seen.add(kind)
            rows = _read_rows(worksheet, kind, report)
            if rows is not None:
                result.append((kind, rows))
    finally:
        workbook.close()
    if not seen:
        report.add_error(
            row=0,
            sheet="",
            field="",
            message=_("工作簿中没有名为“长者”或“志愿者”的工作表，请使用导入模板。"),
        )
    return result


def _read_rows(worksheet: Any, kind: str, report: ImportReport) -> list[tuple[int, dict[str, Any]]] | None:
    worksheet.reset_dimensions()  # some writers record a wrong size; read what is really there
    lookup = _header_lookup(COLUMNS[kind])
    rows = worksheet.iter_rows(min_row=1, values_only=True)
    positions: dict[str, int] = {}
    header = next(rows, None)
    for index, value in enumerate(header or ()):
        column = lookup.get(_norm_header(value))
        if column is not None and column.key not in positions:
            positions[column.key] = index
    missing = [c for c in COLUMNS[kind] if c.required and c.key not in positions]
    if missing:
        for column in missing:
            report.add_error(
                row=1,
                sheet=kind,
                field=str(column.label),
                message=_("表头缺少“%(column)s”列。") % {"column": column.label},
            )
        return None
    result: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(rows, start=2):
        raw = {key: (cells[i] if i < len(cells) else None) for key, i in positions.items()}
        if all(_text(v) == "" for v in raw.values()):
            continue
        if _text(raw.get("name")).startswith(EXAMPLE_PREFIXES):
            continue
        result.append((number, raw))
    return result


# --- converting cells ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if isinstance(value, str) and " " in text:
        text = text.split(" ", 1)[0]  # "1950-03-04 00:00:00"
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _label_variants(label: Any) -> set[str]:
    text = str(label).strip()
    return {text, re.sub(r"[（(].*?[）)]", "", text).strip()}


EXTRA_ALIASES: dict[str, dict[str, str]] = {
    "gender": {"男性": Gender.MALE, "女性": Gender.FEMALE, "m": Gender.MALE, "f": Gender.FEMALE},
    "hukou": {
        "本地户籍": Hukou.REGISTERED,
        "深圳户籍": Hukou.REGISTERED,
        "非户籍": Hukou.RESIDENT,
        "常住人口": Hukou.RESIDENT,
    },
    "living_arrangement": {
        "独居老人": LivingArrangement.ALONE,
        "空巢老人": LivingArrangement.EMPTY_NEST,
        "与子女同住": LivingArrangement.WITH_FAMILY,
        "同住": LivingArrangement.WITH_FAMILY,
    },
}


@dataclass(frozen=True)
class _Vocabulary:
    lookup: dict[str, str]
    options: str  # the zh-Hans labels, for error messages


def _vocabulary(choices: Iterable[tuple[Any, Any]], extra: dict[str, str] | None = None) -> _Vocabulary:
    lookup: dict[str, str] = {}
    labels: list[str] = []
    with translation.override("zh-hans"):
        pairs = [(str(v), str(label)) for v, label in choices]
    current = [(str(v), str(label)) for v, label in choices]
    for value, label in pairs:
        labels.append(re.sub(r"[（(].*?[）)]", "", label).strip() or label)
        for variant in _label_variants(label):
            lookup[variant.lower()] = value
    for value, label in current:
        for variant in _label_variants(label):
            lookup.setdefault(variant.lower(), value)
        lookup.setdefault(value.lower(), value)
        lookup.setdefault(value.lower().replace("_", " "), value)
    for alias, value in (extra or {}).items():
        lookup.setdefault(alias.lower(), str(value))
    return _Vocabulary(lookup, "、".join(labels))


VOCABULARIES: dict[str, Callable[[], _Vocabulary]] = {
    "gender": lambda: _vocabulary(Gender.choices, EXTRA_ALIASES["gender"]),
    "living_arrangement": lambda: _vocabulary(LivingArrangement.choices, EXTRA_ALIASES["living_arrangement"]),
    "hukou": lambda: _vocabulary(Hukou.choices, EXTRA_ALIASES["hukou"]),
    "kind": lambda: _vocabulary(VolunteerKind.choices),
    "languages": lambda: _vocabulary(LANGUAGES),
    "skills": lambda: _vocabulary(SKILLS),
}
LIST_SEPARATORS = re.compile(r"[,，、;；/|\s]+")


class _Converter:
    """Turns raw cells into service arguments, collecting errors per field."""

    def __init__(self) -> None:
        self.vocab = {key: make() for key, make in VOCABULARIES.items()}

    def choice(self, row: _Row, raw: dict[str, Any], key: str, label: Any) -> str | None:
        text = _text(raw.get(key))
        if not text:
            return None  # the validator explains what is expected
        value = self.vocab[key].lookup.get(text.lower())
        if value is None:
            row.fail(
                key,
                _("%(field)s“%(value)s”无法识别，可填：%(options)s。")
                % {"field": label, "value": text, "options": self.vocab[key].options},
            )
        return value

    def many(self, row: _Row, raw: dict[str, Any], key: str, label: Any) -> list[str]:
        values: list[str] = []
        for part in LIST_SEPARATORS.split(_text(raw.get(key))):
            if not part:
                continue
            value = self.vocab[key].lookup.get(part.lower())
            if value is None:
                row.fail(
                    key,
                    _("%(field)s“%(value)s”无法识别，可填：%(options)s（多项用逗号分隔）。")
                    % {"field": label, "value": part, "options": self.vocab[key].options},
                )
            elif value not in values:
                values.append(value)
        return values


def _id_text(row: _Row, raw: Any) -> str:
    if isinstance(raw, float):
        # Excel keeps 15 significant digits: an 18-digit number stored as a number has lost its last digits.
        row.fail(
            "id_number",
            _("身份证号被 Excel 存成了数字，末尾几位可能已丢失；请把该列设为“文本”格式后重新填写。"),
        )
        return ""
    return normalize_id_number(_text(raw))


def _limit(row: _Row, key: str, value: str, limit: int, label: Any) -> None:
    if len(value) > limit:
        row.fail(key, _("%(field)s过长（最多%(limit)s个字）。") % {"field": label, "limit": limit})


# --- checking -----------------------------------------------------------------------------------------------


class _Places:
    """Resolves street + community names to a Community the actor may work in (cached per pair)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.cache: dict[tuple[str, str], tuple[Community | None, str, str]] = {}

    def resolve(self, street_name: str, community_name: str) -> tuple[Community | None, str, str]:
        """(community, failing field key, message)."""
        street_name = street_name.strip()
        street_name = street_name.removesuffix("街道") or street_name
        community_name = community_name.strip()
        key = (street_name, community_name)
        if key not in self.cache:
            self.cache[key] = self._lookup(street_name, community_name)
        return self.cache[key]

    def _lookup(self, street_name: str, community_name: str) -> tuple[Community | None, str, str]:
        names = {community_name, community_name.removesuffix("社区") or community_name}
        found = list(
            Community.objects.select_related("street")
            .filter(street__name=street_name, name__in=names)
            .order_by("id")
        )
        if not found:
            if not Street.objects.filter(name=street_name).exists():
                return None, "street", _("街道“%(street)s”不存在，请核对名称。") % {"street": street_name}
            return (
                None,
                "community",
                _("%(street)s街道没有名为“%(community)s”的社区，请核对名称。")
                % {"street": street_name, "community": community_name},
            )
        for community in found:
            if in_scope(community, self.actor):
                return community, "", ""
        return (
            None,
            "community",
            _("“%(community)s”社区不在您的管辖范围内，不能导入。") % {"community": found[0].name},
        )


class _Checker:
    def __init__(self, actor: Any) -> None:
        self.places = _Places(actor)
        self.convert = _Converter()
        self.ids: dict[str, _Row] = {}
        self.phones: dict[str, _Row] = {}

    def _place(self, row: _Row, raw: dict[str, Any]) -> None:
        street, community = _text(raw.get("street")), _text(raw.get("community"))
        if not street:
            row.fail("street", _("请填写街道。"))
        if not community:
            row.fail("community", _("请填写社区。"))
        if street and community:
            found, key, message = self.places.resolve(street, community)
            if found is None:
                row.fail(key, message)
            row.values["community"] = found

    def _unique_phone(self, row: _Row, phone: str) -> None:
        if not phone or "phone" in row.errors:
            return
        first = self.phones.get(phone)
        if first is not None:
            message = _("手机号与第%(row)s行（%(sheet)s）重复。")
            row.fail("phone", message % {"row": first.number, "sheet": first.sheet})
        else:
            self.phones[phone] = row
            if account_services.phone_taken(phone):
                row.fail("phone", _("该手机号已注册。"))

    def elder(self, number: int, raw: dict[str, Any]) -> _Row:
        row = _Row(ELDER_SHEET, number)
        labels = {c.key: c.label for c in ELDER_COLUMNS}
        values = row.values
        values["name"] = _text(raw.get("name"))
        values["gender"] = self.convert.choice(row, raw, "gender", labels["gender"])
        values["living_arrangement"] = self.convert.choice(
            row, raw, "living_arrangement", labels["living_arrangement"]
        )
        values["hukou"] = self.convert.choice(row, raw, "hukou", labels["hukou"])
        birth_raw = raw.get("birth_date")
        values["birth_date"] = _date(birth_raw)
        if values["birth_date"] is None and _text(birth_raw):
            message = _("出生日期“%(value)s”无法识别，格式应为 YYYY-MM-DD。")
            row.fail("birth_date", message % {"value": _text(birth_raw)})
        values["id_number"] = _id_text(row, raw.get("id_number"))
        phone = _text(raw.get("phone"))
        values["phone"] = normalize_phone(phone) if phone else ""
        values["address"] = _text(raw.get("address"))
        values["health_notes"] = _text(raw.get("health_notes"))
        values["languages"] = self.convert.many(row, raw, "languages", labels["languages"]) or ["mandarin"]
        values["password"] = None  # no usable password: the elder resets it with a worker
        _limit(row, "name", values["name"], MAX_NAME, labels["name"])
        _limit(row, "address", values["address"], MAX_ADDRESS, labels["address"])
        _limit(row, "health_notes", values["health_notes"], MAX_HEALTH_NOTES, labels["health_notes"])
        for key, messages in services.validate_elder_input(values).items():
            if key not in row.errors:  # our own message about the same cell is more precise
                row.errors[key] = messages
        self._place(row, raw)
        id_number = values["id_number"]
        if id_number and "id_number" not in row.errors:
            self._check_id_consistency(row, id_number)
        if id_number and "id_number" not in row.errors:
            first = self.ids.get(id_number)
            if first is not None:
                row.fail("id_number", _("身份证号与第%(row)s行重复。") % {"row": first.number})
            else:
                self.ids[id_number] = row
                if find_elder_by_id_number(id_number) is not None:
                    row.fail("id_number", _("该身份证号已登记。"))
        self._unique_phone(row, values["phone"])
        return row

    def _check_id_consistency(self, row: _Row, id_number: str) -> None:
        birth = row.values.get("birth_date")
        birth_ok = isinstance(birth, dt.date) and "birth_date" not in row.errors
        if birth_ok and birth_date_from_id(id_number) != birth:
            row.fail("id_number", _("身份证号中的出生日期与“出生日期”列不一致。"))
        gender = row.values.get("gender")
        if gender in Gender.values:
            expected = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
            if gender != expected:
                row.fail("id_number", _("身份证号显示的性别与“性别”列不一致。"))

    def volunteer(self, number: int, raw: dict[str, Any]) -> _Row:
        row = _Row(VOLUNTEER_SHEET, number)
        labels = {c.key: c.label for c in VOLUNTEER_COLUMNS}
        values = row.values
        values["name"] = _text(raw.get("name"))
        values["gender"] = self.convert.choice(row, raw, "gender", labels["gender"])
        values["kind"] = self.convert.choice(row, raw, "kind", labels["kind"])
        phone = _text(raw.get("phone"))
        values["phone"] = normalize_phone(phone) if phone else ""
        values["skills"] = self.convert.many(row, raw, "skills", labels["skills"])
        values["languages"] = self.convert.many(row, raw, "languages", labels["languages"]) or ["mandarin"]
        values["password"] = None
        _limit(row, "name", values["name"], MAX_NAME, labels["name"])
        for key, messages in services.validate_volunteer_input(values).items():
            if key not in row.errors:
                row.errors[key] = messages
        self._place(row, raw)
        self._unique_phone(row, values["phone"])
        return row


# --- the import ---------------------------------------------------------------------------------------------


def _no_progress(items: Iterable[Any], total: int, description: str) -> Iterable[Any]:
    return items


def _label(sheet: str, key: str) -> str:
    for column in COLUMNS.get(sheet, ()):
        if column.key == key:
            return str(column.label)
    return ""


def _report_row(report: ImportReport, row: _Row) -> None:
    order = [c.key for c in COLUMNS[row.sheet]]
    for key in sorted(row.errors, key=lambda k: order.index(k) if k in order else len(order)):
        for message in row.errors[key]:
            report.add_error(
                row=row.number, sheet=row.sheet, field=_label(row.sheet, key), message=str(message)
            )


def _write(row: _Row, actor: Any) -> None:
    values = dict(row.values)
    if row.sheet == ELDER_SHEET:
        services.elder_register(actor=actor, **values)
    else:
        services.volunteer_register(actor=actor, **values)


def import_workbook(
    file: Any,
    *,
    actor: Any,
    valid_only: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of an .xlsx roster and, if allowed, register the people in it (see the module doc)."""
    if not is_worker(actor):
        raise Forbidden(_("只有社区、街道或区的工作人员可以导入名单。"))
    step = progress or _no_progress
    report = ImportReport(dry_run=dry_run, valid_only=valid_only)
    sheets = _read_sheets(file, report)
    checker = _Checker(actor)
    checked: list[_Row] = []
    total = sum(len(rows) for _kind, rows in sheets)
    pending: Iterator[tuple[str, int, dict[str, Any]]] = (
        (kind, number, raw) for kind, rows in sheets for number, raw in rows
    )
    for kind, number, raw in step(pending, total, _("检查")):
        row = checker.elder(number, raw) if kind == ELDER_SHEET else checker.volunteer(number, raw)
        checked.append(row)
        counts = report.sheets.setdefault(kind, {"rows": 0, "valid": 0, "written": 0})
        counts["rows"] += 1
        counts["valid"] += row.valid
        if not row.valid:
            _report_row(report, row)
    for kind, _rows in sheets:
        report.sheets.setdefault(kind, {"rows": 0, "valid": 0, "written": 0})
    report.rows = len(checked)
    report.valid_rows = sum(row.valid for row in checked)
    if dry_run or (report.errors and not valid_only):
        return report
    to_write = [row for row in checked if row.valid]
    try:
        with transaction.atomic():
            for row in step(to_write, len(to_write), _("写入")):
                try:
                    _write(row, actor)
                except DomainError as exc:
                    row.errors = {k: list(v) for k, v in exc.fields.items()} or {"": [str(exc.message)]}
                    _report_row(report, row)
                    raise _RolledBack from exc
                except DatabaseError as exc:
                    row.fail("", _("写入时发生冲突（可能有人同时登记了相同的身份证号或手机号）。"))
                    _report_row(report, row)
                    raise _RolledBack from exc
                report.sheets[row.sheet]["written"] += 1
    except _RolledBack:
        report.rolled_back = True
        for counts in report.sheets.values():
            counts["written"] = 0
        report.add_error(
            row=0, sheet="", field="", message=_("写入中途出错，本次导入已全部撤销，没有写入任何数据。")
        )
        return report
    report.written = sum(counts["written"] for counts in report.sheets.values())
    return report


# --- the template -------------------------------------------------------------------------------------------

TEMPLATE_EXAMPLES: dict[str, dict[str, Any]] = {
    ELDER_SHEET: {
        "name": "（示例）陈桂英",
        "gender": "女",
        "birth_date": dt.date(1946, 3, 8),
        "street": "南园",
        "community": "演示·南园一",
        "living_arrangement": "独居",
        "hukou": "户籍",
        "id_number": "440304194603080022",
        "phone": "13800000000",
        "address": "南园路 1 号 2 栋 301",
        "languages": "普通话，粤语",
        "health_notes": "高血压，规律服药",
    },
    VOLUNTEER_SHEET: {
        "name": "（示例）李思远",
        "gender": "男",
        "kind": "应届毕业生",
        "phone": "13900000000",
        "street": "南园",
        "community": "演示·南园一",
        "skills": "陪诊，数码帮助",
        "languages": "普通话",
    },
}
LIST_COLUMNS = {
    "gender": Gender,
    "living_arrangement": LivingArrangement,
    "hukou": Hukou,
    "kind": VolunteerKind,
}


def _options(key: str) -> list[str]:
    with translation.override("zh-hans"):
        if key == "hukou":
            return [re.sub(r"[（(].*?[）)]", "", str(label)).strip() for _v, label in Hukou.choices]
        return [str(label) for _v, label in LIST_COLUMNS[key].choices]


def _help_lines() -> list[tuple[str, str]]:
    with translation.override("zh-hans"):
        languages = "、".join(str(label) for _v, label in LANGUAGES)
        skills = "、".join(str(label) for _v, label in SKILLS)
    return [
        (_("填写说明"), ""),
        (_("工作表"), _("“长者”和“志愿者”两张表，第一行是表头，不要改动表头。")),
        (_("示例行"), _("姓名以“（示例）”开头的行不会导入，可以保留或删除。")),
        (_("出生日期"), _("日期格式，或文本 YYYY-MM-DD，如 1946-03-08。长者须年满60岁。")),
        (_("街道、社区"), _("须与系统中的名称一致，且在您的管辖范围内。")),
        (_("身份证号"), _("18位，请保持“文本”格式，否则 Excel 会丢失末尾数字。")),
        (_("手机号"), _("11位。长者没有手机可留空，由工作人员代为登记；志愿者必填。")),
        (_("语言"), _("可填：%(options)s，多项用逗号分隔。") % {"options": languages}),
        (_("技能"), _("可填：%(options)s，多项用逗号分隔。") % {"options": skills}),
        (_("导入"), _("先“只检查”，全部无误后再导入；有错误时不会写入任何数据。")),
    ]


def template_workbook() -> bytes:
    """An .xlsx template with both sheets, their headers, one example row each and drop-down lists."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DCEAF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    example = workbook.add_format({"italic": True, "font_color": "#666666", "num_format": "@"})
    example_date = workbook.add_format({"italic": True, "font_color": "#666666", "num_format": "yyyy-mm-dd"})
    last_row = 5000
    with translation.override("zh-hans"):
        for sheet, columns in COLUMNS.items():
            worksheet = workbook.add_worksheet(sheet)
            worksheet.freeze_panes(1, 0)
            for index, column in enumerate(columns):
                title = str(column.label) + ("*" if column.required else "")
                worksheet.write_string(0, index, title, header)
                is_date = column.key == "birth_date"
                width = 28 if column.key == "address" else 14
                worksheet.set_column(index, index, width, date if is_date else text)
                value = TEMPLATE_EXAMPLES[sheet].get(column.key, "")
                if isinstance(value, dt.date):
                    worksheet.write_datetime(1, index, dt.datetime.combine(value, dt.time()), example_date)
                else:
                    worksheet.write_string(1, index, str(value), example)
                if column.key in LIST_COLUMNS:
                    worksheet.data_validation(
                        1,
                        index,
                        last_row,
                        index,
                        {
                            "validate": "list",
                            "source": _options(column.key),
                            "error_title": str(column.label),
                            "error_message": _("请从下拉列表中选择。"),
                        },
                    )
                elif is_date:
                    worksheet.data_validation(
                        1,
                        index,
                        last_row,
                        index,
                        {
                            "validate": "date",
                            "criteria": ">=",
                            "value": dt.date(1900, 1, 1),
                            "input_title": str(column.label),
                            "input_message": "YYYY-MM-DD",
                        },
                    )
        guide = workbook.add_worksheet(_("说明"))
        guide.set_column(0, 0, 14)
        guide.set_column(1, 1, 90)
        for index, (title, body) in enumerate(_help_lines()):
            guide.write_string(index, 0, str(title), header if index == 0 else None)
            guide.write_string(index, 1, str(body))
    workbook.close()
    return buffer.getvalue()
