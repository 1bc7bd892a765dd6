"""From offers and applications (Django rows) to the matching arrays, and explanations in words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shiguang.core import clock
from shiguang.homeshare import matching
from shiguang.homeshare.choices import HelpKind, Interest
from shiguang.homeshare.models import Application, Offer
from shiguang.people.choices import LANGUAGES

LANGUAGE_LABELS = dict(LANGUAGES)


def _age(birth: Any) -> int:
    if birth is None:
        return 0
    today = clock.today()
    return max(0, min(127, today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))))


def offer_row(offer: Offer) -> dict[str, Any]:
    elder = offer.elder
    lat = elder.home_lat if elder.home_lat is not None else (offer.community.latitude or 0.0)
    lng = elder.home_lng if elder.home_lng is not None else (offer.community.longitude or 0.0)
    return {
        "id": offer.pk,
        "pref_gender": matching.GENDER_CODE.get(offer.pref_gender, 0),
        "age_min": min(offer.age_min, 127),
        "age_max": min(offer.age_max, 127),
        "smoking_allowed": offer.smoking_allowed,
        "elder_smokes": offer.elder_smokes,
        "pets_allowed": offer.pets_allowed,
        "elder_has_pets": offer.elder_has_pets,
        "rent": offer.rent_yuan,
        "help_kinds": matching.bits(offer.help_kinds, matching.HELP_KINDS),
        "help_hours": min(offer.help_hours_per_week, 255),
        "languages": matching.bits(offer.languages, matching.LANGUAGES),
        "interests": matching.bits(offer.interests, matching.INTERESTS),
        "lat": lat,
        "lng": lng,
        "evenings_wanted": min(offer.evenings_wanted, 7),
    }


def application_row(app: Application) -> dict[str, Any]:
    volunteer = app.volunteer
    return {
        "id": app.pk,
        "gender": matching.GENDER_CODE.get(volunteer.gender, 1) or 1,
        "age": _age(volunteer.birth_date),
        "smoker": app.smoker,
        "accepts_smoke": app.accepts_smoke,
        "has_pets": app.has_pets,
        "accepts_pets": app.accepts_pets,
        "budget": app.budget_yuan,
        "help_kinds": matching.bits(app.help_kinds, matching.HELP_KINDS),
        "help_hours": min(app.help_hours_per_week, 255),
        "languages": matching.bits(app.languages, matching.LANGUAGES),
        "interests": matching.bits(app.interests, matching.INTERESTS),
        "lat": app.work_lat,
        "lng": app.work_lng,
        "evenings_home": min(app.evenings_home, 7),
    }


def arrays(offers: list[Offer], apps: list[Application]) -> tuple[matching.Offers, matching.Applications]:
    return (
        matching.offers_from_rows([offer_row(o) for o in offers]),
        matching.applications_from_rows([application_row(a) for a in apps]),
    )


def explain(offer: Offer, app: Application) -> dict[str, Any]:
    o, a = arrays([offer], [app])
    return describe(matching.explain(o, 0, a, 0))


def _labels(values: list[str], labels: dict[str, Any]) -> str:
    return "、".join(str(labels.get(v, v)) for v in values) or "—"


HARD_LABELS = {
    "gender": _lazy("性别偏好"),
    "smoking": _lazy("吸烟"),
    "pets": _lazy("宠物"),
    "budget": _lazy("租金与预算"),
    "help": _lazy("所需帮助"),
    "language": _lazy("共同语言"),
}
SOFT_LABELS = {
    "commute": _lazy("通勤距离"),
    "evenings": _lazy("晚上在家"),
    "interests": _lazy("共同兴趣"),
    "age": _lazy("年龄偏好"),
}


def describe(result: dict[str, Any]) -> dict[str, Any]:
    """Add labels and one sentence per factor (for pages, the API and the stored proposal)."""
    help_labels = dict(HelpKind.choices)
    interest_labels = dict(Interest.choices)
    gender_word = {0: _("不限"), 1: _("女"), 2: _("男")}
    for item in result["hard"]:
        d = item["data"]
        key = item["key"]
        item["label"] = str(HARD_LABELS[key])
        if key == "gender":
            item["detail"] = _("长者偏好：%(p)s；青年：%(g)s") % {
                "p": gender_word[d["pref"]],
                "g": gender_word[d["gender"]],
            }
        elif key == "smoking":
            parts = [_("青年吸烟") if d["youth_smokes"] else _("青年不吸烟")]
            parts.append(_("家中允许吸烟") if d["smoking_allowed"] else _("家中禁烟"))
            if d["elder_smokes"]:
                parts.append(_("长者吸烟，青年%(ok)s接受") % {"ok": "" if d["accepts_smoke"] else _("不")})
            item["detail"] = "；".join(parts)
        elif key == "pets":
            parts = [_("青年有宠物") if d["youth_has_pets"] else _("青年无宠物")]
            parts.append(_("家中允许带宠物") if d["pets_allowed"] else _("家中不允许带宠物"))
            if d["elder_has_pets"]:
                parts.append(_("长者养宠物，青年%(ok)s接受") % {"ok": "" if d["accepts_pets"] else _("不")})
            item["detail"] = "；".join(parts)
        elif key == "budget":
            item["detail"] = _("月租%(r)s元，青年预算%(b)s元") % {"r": d["rent"], "b": d["budget"]}
        elif key == "help":
            if d["missing"]:
                item["detail"] = _("青年不提供：%(m)s") % {"m": _labels(d["missing"], help_labels)}
            else:
                item["detail"] = _("每周需要%(w)s小时，青年可提供%(o)s小时") % {
                    "w": d["hours_wanted"],
                    "o": d["hours_offered"],
                }
        elif key == "language":
            item["detail"] = _("共同语言：%(l)s") % {"l": _labels(d["shared"], LANGUAGE_LABELS)}
    for item in result["soft"]:
        d = item["data"]
        key = item["key"]
        item["label"] = str(SOFT_LABELS[key])
        if key == "commute":
            item["detail"] = _("住处到工作/学习地点约%(km)s公里") % {"km": d["km"]}
        elif key == "evenings":
            item["detail"] = _("长者希望每周%(w)s个晚上有人在家，青年每周在家%(h)s个晚上") % {
                "w": d["wanted"],
                "h": d["home"],
            }
        elif key == "interests":
            item["detail"] = _("共同兴趣：%(s)s") % {"s": _labels(d["shared"], interest_labels)}
        elif key == "age":
            if d["age"] == 0:
                item["detail"] = _("青年年龄未知（长者希望%(a)s–%(b)s岁）") % {"a": d["min"], "b": d["max"]}
            else:
                item["detail"] = _("青年%(age)s岁，长者希望%(a)s–%(b)s岁") % {
                    "age": d["age"],
                    "a": d["min"],
                    "b": d["max"],
                }
    result["violations"] = [h["label"] for h in result["hard"] if not h["ok"]]
    return result
