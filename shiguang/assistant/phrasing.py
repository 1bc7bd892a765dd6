"""Plain words for what the assistant will do: dates, clock times, help categories."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CATEGORY_LABELS = {
    "medical_escort": gettext_lazy("陪诊"),
    "shopping": gettext_lazy("代购买东西"),
    "housework": gettext_lazy("家务"),
    "companionship": gettext_lazy("陪伴聊天"),
    "repair": gettext_lazy("维修"),
    "digital_help": gettext_lazy("教用手机电脑"),
    "outing": gettext_lazy("出行陪同"),
    "legal": gettext_lazy("法律咨询"),
    "meal": gettext_lazy("助餐送餐"),
    "other": gettext_lazy("其他帮忙"),
}
# Expected duration per category, minutes (the elder can change it on the request later).
CATEGORY_MINUTES = {
    "medical_escort": 120,
    "shopping": 60,
    "housework": 90,
    "companionship": 60,
    "repair": 60,
    "digital_help": 45,
    "outing": 120,
    "legal": 60,
    "meal": 30,
    "other": 60,
}
WEEKDAYS = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, CATEGORY_LABELS["other"]))


def date_words(day: dt.date, today: dt.date) -> str:
    """今天 / 明天 / 后天, else 12月10日（周四）, with the year when it is not this year."""
    delta = (day - today).days
    if delta == 0:
        return _("今天")
    if delta == 1:
        return _("明天")
    if delta == 2:
        return _("后天")
    weekday = str(WEEKDAYS[day.weekday()])
    if day.year != today.year:
        return _("%(y)d年%(m)d月%(d)d日（%(w)s）") % {
            "y": day.year,
            "m": day.month,
            "d": day.day,
            "w": weekday,
        }
    return _("%(m)d月%(d)d日（%(w)s）") % {"m": day.month, "d": day.day, "w": weekday}


def time_words(clock_time: dt.time) -> str:
    """上午9点 / 下午3点半 / 晚上7点15分 / 中午12点."""
    hour, minute = clock_time.hour, clock_time.minute
    if hour < 5:
        period, shown = _("凌晨"), hour
    elif hour < 12:
        period, shown = _("上午"), hour
    elif hour == 12:
        period, shown = _("中午"), 12
    elif hour < 18:
        period, shown = _("下午"), hour - 12
    else:
        period, shown = _("晚上"), hour - 12
    if minute == 0:
        rest = ""
    elif minute == 30:
        rest = _("半")
    else:
        rest = _("%(m)d分") % {"m": minute}
    return _("%(period)s%(hour)d点%(rest)s") % {"period": period, "hour": shown, "rest": rest}


def when_words(day: dt.date | None, clock_time: dt.time | None, today: dt.date) -> str:
    if day is None:
        return _("时间待定（志愿者会先跟您约时间）")
    words = date_words(day, today)
    if clock_time is not None:
        return words + time_words(clock_time)
    return words + _("（具体几点志愿者会跟您约）")


def local_when(value: dt.datetime | None, today: dt.date) -> str:
    """Words for an aware datetime in Asia/Shanghai (activities, requests)."""
    if value is None:
        return _("时间待定")
    from shiguang.core import clock

    local = clock.local(value)
    return date_words(local.date(), today) + time_words(local.time())
