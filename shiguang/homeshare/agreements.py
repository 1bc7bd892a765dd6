"""The homeshare agreement: core elements, default terms, the checker and the renderer.

The legal centre (仁和长者法律服务中心) keeps the clause texts in the legal clause library
(domain "homeshare");
each clause covers one core element and uses the placeholders below. The structured terms of a version fill
the placeholders. `check()` lists every missing element and every contradiction; a version with problems
cannot be finalised, and only a finalised version can be signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shiguang.homeshare.choices import FORBIDDEN_HELP_LABELS, HelpKind

DOMAIN = "homeshare"
HELP_HOURS_CAP = 15  # a companion, not a job: more than this per week is refused
MIN_TERM_MONTHS, MAX_TERM_MONTHS = 2, 24
MIN_NOTICE_DAYS = 7
DEFAULT_TRIAL_MONTHS = 1

ELEMENTS: dict[str, Any] = {
    "parties": _lazy("当事人（身份证号脱敏）"),
    "address": _lazy("地址与房间"),
    "term": _lazy("起始日期与期限"),
    "trial": _lazy("试住期"),
    "help": _lazy("帮助内容与时长"),
    "rent": _lazy("租金"),
    "costs": _lazy("费用与水电"),
    "house_rules": _lazy("居家规则"),
    "privacy": _lazy("隐私"),
    "visitors": _lazy("访客"),
    "leave": _lazy("请假与外出"),
    "safety": _lazy("安全与紧急联系人"),
    "insurance": _lazy("保险"),
    "ending": _lazy("解除与终止"),
    "disputes": _lazy("争议解决（先行调解）"),
    "signatures": _lazy("签署"),
}

PLACEHOLDERS: dict[str, Any] = {
    "agreement_no": _lazy("协议编号"),
    "version": _lazy("版本号"),
    "elder_name": _lazy("长者姓名"),
    "elder_id": _lazy("长者身份证号（脱敏）"),
    "youth_name": _lazy("青年姓名"),
    "youth_id": _lazy("青年身份证号（脱敏）"),
    "legal_centre": _lazy("法律服务中心名称"),
    "address": _lazy("住址"),
    "room": _lazy("房间情况"),
    "start_date": _lazy("起始日期"),
    "end_date": _lazy("届满日期"),
    "term_months": _lazy("期限（月）"),
    "trial_months": _lazy("试住期（月）"),
    "help_hours": _lazy("每周帮助时长"),
    "help_kinds": _lazy("帮助内容"),
    "rent": _lazy("租金"),
    "costs": _lazy("费用约定"),
    "house_rules": _lazy("居家规则"),
    "privacy": _lazy("隐私约定"),
    "visitors": _lazy("访客约定"),
    "leave_notice_days": _lazy("外出提前告知天数"),
    "max_absence_days": _lazy("连续外出天数上限"),
    "emergency_contacts": _lazy("紧急联系人"),
    "insurance": _lazy("保险安排"),
    "notice_days": _lazy("解除通知期（天）"),
}

# Fields a coordinator may change on a new version (parties come from the profiles and are not editable).
EDITABLE = (
    "address",
    "room",
    "start_date",
    "term_months",
    "trial_months",
    "help_hours_per_week",
    "help_kinds",
    "rent_yuan",
    "costs",
    "house_rules",
    "privacy",
    "visitors",
    "leave_notice_days",
    "max_absence_days",
    "emergency_contacts",
    "insurance",
    "notice_days",
)

DEFAULT_PRIVACY = _lazy(
    "双方尊重彼此的隐私：未经同意不进入对方房间，不翻看对方物品和通讯；"
    "双方个人信息仅用于本项目，不向无关人员透露。"
)
DEFAULT_INSURANCE = _lazy(
    "项目为乙方投保同住期间的意外伤害保险（友邦保险资助），保障范围以保单为准；甲方家庭财产保险由甲方自行决定。"
)


def add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Problem:
    element: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"element": self.element, "code": self.code, "message": self.message}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(terms: dict[str, Any], key: str) -> str:
    value = terms.get(key)
    return str(value).strip() if value is not None else ""


def _kinds(terms: dict[str, Any]) -> list[str]:
    raw = terms.get("help_kinds") or []
    return [str(k) for k in (raw if isinstance(raw, list) else [raw])]


def check(terms: dict[str, Any], *, clause_elements: set[str], today: dt.date) -> list[Problem]:
    """Every problem that stops a version from being finalised: missing core elements and contradictions."""
    problems: list[Problem] = []

    def add(element: str, code: str, message: str) -> None:
        problems.append(Problem(element, code, message))

    for element, label in ELEMENTS.items():
        if element not in clause_elements:
            add(
                element,
                "no_clause",
                _("条款库中缺少“%(element)s”条款，请法律顾问补充。") % {"element": label},
            )

    # parties
    for key, label in (("elder_name", _("长者姓名")), ("youth_name", _("青年姓名"))):
        if not _text(terms, key):
            add("parties", "missing", _("缺少%(what)s。") % {"what": label})
    for key, label in (("elder_id_masked", _("长者身份证号")), ("youth_id_masked", _("青年身份证号"))):
        value = _text(terms, key)
        if not value:
            add("parties", "missing", _("缺少%(what)s（协议中以脱敏形式显示）。") % {"what": label})
        elif "*" not in value:
            add("parties", "unmasked", _("%(what)s必须脱敏显示。") % {"what": label})
    # address and room
    if not _text(terms, "address"):
        add("address", "missing", _("缺少住址。"))
    if not _text(terms, "room"):
        add("address", "missing", _("缺少房间说明。"))
    # term
    start = _date(terms.get("start_date"))
    term = _int(terms.get("term_months"))
    if start is None:
        add("term", "missing", _("缺少起始日期。"))
    elif start < today:
        add("term", "past", _("起始日期不能早于今天。"))
    if term is None:
        add("term", "missing", _("缺少协议期限。"))
    elif not MIN_TERM_MONTHS <= term <= MAX_TERM_MONTHS:
        add(
            "term",
            "range",
            _("协议期限应在%(min)s至%(max)s个月之间。") % {"min": MIN_TERM_MONTHS, "max": MAX_TERM_MONTHS},
        )
    # trial
    trial = _int(terms.get("trial_months"))
    if trial is None:
        add("trial", "missing", _("缺少试住期。"))
    elif trial < 1:
        add("trial", "range", _("试住期至少1个月。"))
    elif term is not None and trial >= term:
        add(
            "trial",
            "contradiction",
            _("试住期（%(t)s个月）不能长于或等于协议期限（%(term)s个月）。") % {"t": trial, "term": term},
        )
    # help
    hours = _int(terms.get("help_hours_per_week"))
    kinds = _kinds(terms)
    if hours is None:
        add("help", "missing", _("缺少每周帮助时长。"))
    elif hours < 1:
        add("help", "range", _("每周帮助时长至少1小时。"))
    elif hours > HELP_HOURS_CAP:
        add(
            "help",
            "cap",
            _("每周帮助时长%(h)s小时超过上限%(cap)s小时：同住青年是陪伴者，不是护工或保姆。")
            % {"h": hours, "cap": HELP_HOURS_CAP},
        )
    offered = _int(terms.get("youth_hours_offered"))
    if hours is not None and offered is not None and hours > offered:
        add(
            "help",
            "contradiction",
            _("每周帮助时长%(h)s小时超过青年申请时可提供的%(o)s小时。") % {"h": hours, "o": offered},
        )
    if not kinds:
        add("help", "missing", _("缺少帮助内容。"))
    for kind in kinds:
        if kind in FORBIDDEN_HELP_LABELS:
            add(
                "help",
                "forbidden",
                _("“%(kind)s”不属于同住互助的内容，不能写入协议。") % {"kind": FORBIDDEN_HELP_LABELS[kind]},
            )
        elif kind not in HelpKind.values:
            add("help", "unknown", _("未知的帮助内容：%(kind)s。") % {"kind": kind})
    # rent
    rent = _int(terms.get("rent_yuan"))
    budget = _int(terms.get("youth_budget_yuan"))
    if rent is None:
        add("rent", "missing", _("缺少租金约定（免租请填0）。"))
    elif rent < 0:
        add("rent", "range", _("租金不能为负数。"))
    elif budget is not None and rent > budget:
        add(
            "rent",
            "contradiction",
            _("租金%(rent)s元超过青年可承担的%(budget)s元。") % {"rent": rent, "budget": budget},
        )
    for key, element, label in (
        ("costs", "costs", _("费用与水电约定")),
        ("house_rules", "house_rules", _("居家规则")),
        ("privacy", "privacy", _("隐私约定")),
        ("visitors", "visitors", _("访客约定")),
        ("emergency_contacts", "safety", _("紧急联系人")),
        ("insurance", "insurance", _("保险安排")),
    ):
        if not _text(terms, key):
            add(element, "missing", _("缺少%(what)s。") % {"what": label})
    # leave
    leave_notice = _int(terms.get("leave_notice_days"))
    absence = _int(terms.get("max_absence_days"))
    if leave_notice is None or absence is None:
        add("leave", "missing", _("缺少请假与外出约定。"))
    elif leave_notice < 0 or absence < 1:
        add("leave", "range", _("请假与外出的天数不合理。"))
    elif term is not None and absence > term * 30:
        add("leave", "contradiction", _("连续外出上限长于协议期限。"))
    # ending
    notice = _int(terms.get("notice_days"))
    if notice is None:
        add("ending", "missing", _("缺少解除通知期。"))
    elif notice < MIN_NOTICE_DAYS:
        add("ending", "range", _("解除通知期至少%(d)s天。") % {"d": MIN_NOTICE_DAYS})
    elif start is not None and term is not None and notice > (add_months(start, term) - start).days:
        add(
            "ending",
            "contradiction",
            _("解除通知期（%(n)s天）长于协议期限（%(term)s个月）。") % {"n": notice, "term": term},
        )
    if terms.get("gross_misconduct_immediate") is not True:
        add("ending", "missing", _("必须约定严重违约时可立即解除。"))
    # disputes
    if not _text(terms, "mediator"):
        add("disputes", "missing", _("必须约定争议先由法律服务中心调解。"))
    return problems


def end_date(terms: dict[str, Any]) -> dt.date | None:
    start = _date(terms.get("start_date"))
    term = _int(terms.get("term_months"))
    if start is None or term is None:
        return None
    return add_months(start, term) - dt.timedelta(days=1)


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "【" + _("未填写") + "】"


def context(terms: dict[str, Any], *, agreement_no: str, version: int, legal_centre: str) -> dict[str, Any]:
    kinds = [str(HelpKind(k).label) if k in HelpKind.values else k for k in _kinds(terms)]
    rent = _int(terms.get("rent_yuan"))
    ends = end_date(terms)
    values: dict[str, Any] = {
        "agreement_no": agreement_no,
        "version": version,
        "elder_name": _text(terms, "elder_name"),
        "elder_id": _text(terms, "elder_id_masked"),
        "youth_name": _text(terms, "youth_name"),
        "youth_id": _text(terms, "youth_id_masked"),
        "legal_centre": legal_centre,
        "address": _text(terms, "address"),
        "room": _text(terms, "room"),
        "start_date": _text(terms, "start_date"),
        "end_date": ends.isoformat() if ends else "",
        "term_months": terms.get("term_months", ""),
        "trial_months": terms.get("trial_months", ""),
        "help_hours": terms.get("help_hours_per_week", ""),
        "help_kinds": "、".join(kinds),
        "rent": (_("免租") if rent == 0 else _("每月人民币%(rent)s元") % {"rent": rent})
        if rent is not None
        else "",
        "costs": _text(terms, "costs"),
        "house_rules": _text(terms, "house_rules"),
        "privacy": _text(terms, "privacy"),
        "visitors": _text(terms, "visitors"),
        "leave_notice_days": terms.get("leave_notice_days", ""),
        "max_absence_days": terms.get("max_absence_days", ""),
        "emergency_contacts": _text(terms, "emergency_contacts"),
        "insurance": _text(terms, "insurance"),
        "notice_days": terms.get("notice_days", ""),
    }
    return _Missing({k: v for k, v in values.items() if v not in ("", None)})


@dataclass
class Rendered:
    title: str
    text: str
    clauses: list[tuple[str, str]]  # (heading, body)
    clause_versions: list[dict[str, Any]]
    sha256: str


def render(
    terms: dict[str, Any], clauses: list[Any], *, agreement_no: str, version: int, legal_centre: str
) -> Rendered:
    """The document text (what is signed) from the current clauses and the terms."""
    values = context(terms, agreement_no=agreement_no, version=version, legal_centre=legal_centre)
    title = _("福田区“幸福同行+各得其所”互助式同住协议")
    head = _("协议编号：%(no)s　版本：第%(v)s版") % {"no": agreement_no, "v": version}
    sections = []
    for number, clause in enumerate(clauses, start=1):
        heading = _("第%(n)s条　%(title)s") % {"n": number, "title": clause.title}
        sections.append((heading, clause.text.format_map(values)))
    text = "\n".join([title, head, *(f"{h}\n{b}" for h, b in sections)]) + "\n"
    return Rendered(
        title=title,
        text=text,
        clauses=sections,
        clause_versions=[{"key": c.key, "version": c.version, "element": c.element} for c in clauses],
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def sections_from_text(text: str) -> tuple[str, str, list[tuple[str, str]]]:
    """Split a stored rendered text back into title, subtitle and (heading, body) sections (for the PDF)."""
    lines = text.rstrip("\n").split("\n")
    title, subtitle = [*lines, "", ""][:2]
    sections: list[tuple[str, str]] = []
    for line in lines[2:]:
        if line.startswith("第") and "条" in line[:6]:
            sections.append((line, ""))
        elif sections:
            heading, body = sections[-1]
            sections[-1] = (heading, f"{body}\n{line}" if body else line)
    return title, subtitle, sections


DEFAULT_CLAUSES: list[tuple[str, str, str, str]] = [
    # (key, element, title, text)
    (
        "parties",
        "parties",
        "当事人",
        "甲方（长者）：{elder_name}，身份证号：{elder_id}。\n乙方（青年）：{youth_name}，身份证号：{youth_id}。\n"
        "见证方：{legal_centre}。\n甲乙双方本着自愿、平等、互助的原则，参加福田区“幸福同行+各得其所”"
        "互助式养老服务试点项目，订立本协议。",
    ),
    (
        "premises",
        "address",
        "住址与房间",
        "甲方将位于{address}的住房中的一间房间（{room}）提供给乙方居住。乙方仅作自住，不得转租、转借或用于经营。",
    ),
    (
        "term",
        "term",
        "期限",
        "本协议自{start_date}起生效，期限{term_months}个月，至{end_date}止。期满经双方同意可续签。",
    ),
    (
        "trial",
        "trial",
        "试住期",
        "自入住之日起{trial_months}个月为试住期。试住期内任何一方可提前7日告知对方并通知社区工作人员后结束同住，无需说明理由。",
    ),
    (
        "help",
        "help",
        "帮助内容与时长",
        "乙方每周为甲方提供约{help_hours}小时的生活帮助与陪伴，内容为：{help_kinds}。"
        "乙方不提供个人护理或医疗护理；甲方需要此类服务时，由家属、社区或专业机构提供。"
        "帮助时长由乙方在平台记录、甲方确认，计入时间银行。",
    ),
    ("rent", "rent", "租金", "房屋租金：{rent}。任何一方不得另行收取押金以外的费用。"),
    ("costs", "costs", "费用与水电", "{costs}"),
    ("house_rules", "house_rules", "居家规则", "双方共同遵守以下居家规则：{house_rules}"),
    ("privacy", "privacy", "隐私", "{privacy}"),
    ("visitors", "visitors", "访客", "访客安排：{visitors}留宿访客须事先征得对方同意。"),
    (
        "leave",
        "leave",
        "请假与外出",
        "乙方外出过夜的，应至少提前{leave_notice_days}天告知甲方；连续外出超过{max_absence_days}天的，"
        "应同时告知社区工作人员，并商定期间的帮助安排。",
    ),
    (
        "safety",
        "safety",
        "安全与紧急情况",
        "双方应注意用电、用气和消防安全。甲方紧急联系人：{emergency_contacts}。"
        "遇紧急情况，乙方应立即拨打120或110，并通知紧急联系人和社区工作人员。",
    ),
    ("insurance", "insurance", "保险", "{insurance}"),
    (
        "ending",
        "ending",
        "解除与终止",
        "任何一方可提前{notice_days}天书面通知对方解除本协议。一方有严重违约行为（包括暴力、盗窃、欺诈、"
        "严重侵犯对方隐私等）的，另一方可立即解除本协议，社区工作人员协助办理。",
    ),
    (
        "disputes",
        "disputes",
        "争议解决",
        "因本协议发生争议的，双方同意先由{legal_centre}调解；调解不成的，可依法向人民法院起诉。",
    ),
    (
        "signatures",
        "signatures",
        "签署与生效",
        "本协议经甲方、乙方及见证方法律顾问签署后生效，各方可在平台下载同一文本。签署记录载明签署人、时间、账户及本文本的SHA-256摘要。",
    ),
]
