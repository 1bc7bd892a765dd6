"""The door-to-door screening questionnaire (入户筛查): willingness and needs, scored into a priority.

The questions follow the programme's outreach work: who lives alone or with children far away, who could
host a young newcomer (幸福同行), who wants or can give mutual aid, and who should get an emergency-call
device. The score is a simple, explainable risk count used to order follow-up visits, not a diagnosis.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shiguang.community.choices import ActivityKind, ScreeningPriority
from shiguang.people.choices import SKILLS

YES_NO = [("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))]
YES_MAYBE_NO = [
    ("yes", gettext_lazy("愿意")),
    ("maybe", gettext_lazy("想了解")),
    ("no", gettext_lazy("不需要")),
]

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "living",
        "label": gettext_lazy("居住情况"),
        "type": "choice",
        "options": [
            ("alone", gettext_lazy("独居")),
            ("empty_nest", gettext_lazy("空巢（仅老两口）")),
            ("with_family", gettext_lazy("与子女同住")),
        ],
    },
    {
        "id": "age_band",
        "label": gettext_lazy("年龄段"),
        "type": "choice",
        "options": [("60_69", "60–69"), ("70_79", "70–79"), ("80_plus", gettext_lazy("80岁及以上"))],
    },
    {
        "id": "self_care",
        "label": gettext_lazy("日常生活能否自理"),
        "type": "choice",
        "options": [
            ("independent", gettext_lazy("完全自理")),
            ("some_help", gettext_lazy("部分需要帮助")),
            ("dependent", gettext_lazy("大部分需要照顾")),
        ],
    },
    {"id": "fell_last_year", "label": gettext_lazy("近一年是否跌倒过"), "type": "choice", "options": YES_NO},
    {
        "id": "chronic_illness",
        "label": gettext_lazy("是否有需长期服药的慢性病"),
        "type": "choice",
        "options": YES_NO,
    },
    {
        "id": "smartphone",
        "label": gettext_lazy("会不会用智能手机"),
        "type": "choice",
        "options": [
            ("yes", gettext_lazy("会用")),
            ("basic", gettext_lazy("只会接打电话")),
            ("no", gettext_lazy("没有手机")),
        ],
    },
    {"id": "spare_room", "label": gettext_lazy("家中是否有空余房间"), "type": "choice", "options": YES_NO},
    {
        "id": "homeshare",
        "label": gettext_lazy("是否愿意与一位青年同住、互相照应（幸福同行）"),
        "type": "choice",
        "options": YES_MAYBE_NO,
    },
    {
        "id": "mutual_aid",
        "label": gettext_lazy("是否愿意参加互助（接受帮助或帮助他人）"),
        "type": "choice",
        "options": [
            ("receive", gettext_lazy("需要帮助")),
            ("give", gettext_lazy("愿意帮助别人")),
            ("both", gettext_lazy("两者都有")),
            ("no", gettext_lazy("暂不需要")),
        ],
    },
    {
        "id": "sos_device",
        "label": gettext_lazy("是否愿意安装紧急呼叫设备"),
        "type": "choice",
        "options": YES_MAYBE_NO,
    },
    {"id": "needs", "label": gettext_lazy("目前需要哪些帮助"), "type": "multi", "options": SKILLS},
    {
        "id": "activities",
        "label": gettext_lazy("对哪些社区活动感兴趣"),
        "type": "multi",
        "options": [(k.value, k.label) for k in ActivityKind if k != ActivityKind.OTHER],
    },
]
REQUIRED = ("living", "age_band", "self_care", "homeshare", "mutual_aid", "sos_device")


def validate(answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return (clean answers, errors). Choice questions in REQUIRED must be answered."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    known = {q["id"] for q in QUESTIONS}
    for key in answers:
        if key not in known:
            errors[key] = [_("问卷中没有这一题。")]
    for q in QUESTIONS:
        value = answers.get(q["id"])
        allowed = {str(v) for v, _label in q["options"]}
        if q["type"] == "multi":
            values = value if isinstance(value, list | tuple) else ([value] if value else [])
            bad = [v for v in values if str(v) not in allowed]
            if bad:
                errors[q["id"]] = [_("选项无效：%(bad)s") % {"bad": "、".join(map(str, bad))}]
            clean[q["id"]] = sorted({str(v) for v in values if str(v) in allowed})
            continue
        if value in (None, ""):
            if q["id"] in REQUIRED:
                errors[q["id"]] = [_("请回答“%(q)s”。") % {"q": q["label"]}]
            continue
        if str(value) not in allowed:
            errors[q["id"]] = [_("“%(q)s”的选项无效。") % {"q": q["label"]}]
            continue
        clean[q["id"]] = str(value)
    return clean, errors


def score(answers: dict[str, Any]) -> tuple[int, str]:
    """A risk count: living alone, age, dependence, falls, illness, no phone. ≥ 5 high, ≥ 2 medium."""
    points = 0
    points += {"alone": 2, "empty_nest": 1}.get(answers.get("living", ""), 0)
    points += {"80_plus": 2, "70_79": 1}.get(answers.get("age_band", ""), 0)
    points += {"dependent": 3, "some_help": 1}.get(answers.get("self_care", ""), 0)
    points += 2 if answers.get("fell_last_year") == "yes" else 0
    points += 1 if answers.get("chronic_illness") == "yes" else 0
    points += 1 if answers.get("smartphone") == "no" else 0
    if points >= 5:
        return points, ScreeningPriority.HIGH
    if points >= 2:
        return points, ScreeningPriority.MEDIUM
    return points, ScreeningPriority.LOW


def interests(answers: dict[str, Any]) -> dict[str, bool]:
    """Willingness answers as the visit's interest flags."""
    return {
        "interest_homeshare": answers.get("homeshare") in ("yes", "maybe"),
        "interest_mutual_aid": answers.get("mutual_aid") in ("receive", "give", "both"),
        "interest_sos_device": answers.get("sos_device") in ("yes", "maybe"),
    }


def table() -> list[dict[str, Any]]:
    """The questionnaire for pages and the API (labels in the current language)."""
    return [
        {
            "id": q["id"],
            "label": str(q["label"]),
            "type": q["type"],
            "required": q["id"] in REQUIRED,
            "options": [{"value": str(v), "label": str(label)} for v, label in q["options"]],
        }
        for q in QUESTIONS
    ]
