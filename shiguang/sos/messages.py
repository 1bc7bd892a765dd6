"""Message templates for alarms and check-ins (rendered when sent or shown, in the reader's language)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shiguang.notify.templates_registry import register


def register_all() -> None:
    register(
        "sos.alarm.raised",
        title=_("【紧急呼叫】{elder}需要帮助"),
        body=_("{community}的{elder}（{age}岁）于{time}发起紧急呼叫（{source}）。请立即打开时光家园受理。"),
    )
    register(
        "sos.alarm.drill",
        title=_("【演练】{elder}的紧急呼叫演练"),
        body=_("这是一次演练，不计入考核。{community}的{elder}发起了演练呼叫，请按真实流程受理。"),
    )
    register(
        "sos.alarm.family",
        title=_("【紧急呼叫】您的家人{elder}发起了呼救"),
        body=_(
            "{elder}于{time}发起紧急呼叫，已过去{seconds}秒仍无人受理。请尽快联系本人，或打开时光家园受理。"
        ),
    )
    register(
        "sos.alarm.hotline",
        title=_("【紧急呼叫·已升级】{elder}的呼救{seconds}秒无人受理"),
        body=_(
            "{community}的{elder}的紧急呼叫已升级到街道值班。请立即受理；联系不上长者时，"
            "请拨打120（急救）、110（报警）或119（火警），并按告警卡上的地址报警。"
        ),
    )
    register(
        "sos.alarm.repeat",
        title=_("【再次提醒】{elder}的呼救仍无人受理"),
        body=_("{community}的{elder}于{time}发起的紧急呼叫已过去{seconds}秒仍无人受理，请立即处理。"),
    )
    register(
        "sos.alarm.contact",
        title=_("【时光家园紧急通知】"),
        body=_(
            "{contact}您好：您是{elder}的紧急联系人。{elder}于{time}发起紧急呼叫，社区正在处理，请尽快联系本人。"
        ),
    )
    register(
        "sos.alarm.handled",
        title=_("{elder}的呼救已有人受理"),
        body=_("{responder}已受理{elder}的紧急呼叫，正在处理。"),
    )
    register(
        "sos.review.opened",
        title=_("【事件复盘】{elder}的呼救超过{threshold}秒未受理"),
        body=_("{community}的{elder}的紧急呼叫未能在{threshold}秒内受理，已自动开启事件复盘，请跟进。"),
    )
    register(
        "sos.checkin.missed",
        title=_("【报平安提醒】{elder}今天{deadline}前没有报平安"),
        body=_("请尽快联系{elder}确认安全（已连续{streak}天未报平安）。"),
    )
    register(
        "sos.checkin.late",
        title=_("{elder}已报平安"),
        body=_("{elder}于{time}报了平安。"),
    )
