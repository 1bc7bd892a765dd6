"""Notification texts of community life (rendered when shown, in the reader's language)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shiguang.notify.templates_registry import register


def register_all() -> None:
    register(
        "community.activity.reminder",
        title=_("活动提醒：{title}"),
        body=_(
            "您报名的“{title}”将于{when}在{place}举行，请准时参加。不能去请在“社区活动”里取消，把名额留给别人。"
        ),
    )
    register(
        "community.signup.by_proxy",
        title=_("已为您报名：{title}"),
        body=_("工作人员或家人已为您报名“{title}”，{when}，地点：{place}。活动前会再提醒您。"),
    )
    register(
        "community.signup.waitlisted_by_proxy",
        title=_("已为您登记候补：{title}"),
        body=_("“{title}”（{when}，{place}）名额已满，已为您登记候补。有人取消时会自动递补并通知您。"),
    )
    register(
        "community.signup.promoted",
        title=_("候补成功：{title}"),
        body=_("有人取消了报名，您已从候补转为正式报名：“{title}”，{when}，地点：{place}。"),
    )
    register(
        "community.activity.cancelled",
        title=_("活动取消：{title}"),
        body=_("很抱歉，“{title}”（{when}，{place}）已取消。原因：{reason}"),
    )
    register(
        "community.group.announcement",
        title=_("{group}公告：{title}"),
        body=_("{body}"),
    )
    register(
        "community.certification.expiring",
        title=_("证书即将到期：{kind}"),
        body=_(
            "您的“{kind}”证书将于{expires_on}到期（还有{days}天）。请报名参加复训，到期后相关服务将暂停派单。"
        ),
    )
    register(
        "community.certification.granted",
        title=_("获得证书：{kind}"),
        body=_("恭喜您通过培训，获得“{kind}”证书，有效期至{expires_on}。"),
    )
    register(
        "community.session.cancelled",
        title=_("培训取消：{course}"),
        body=_("您报名的“{course}”（{when}）已取消。原因：{reason}。请另选场次。"),
    )
    register(
        "community.case.submitted",
        title=_("案例待审核：{title}"),
        body=_("{community}提交了案例“{title}”，请审核。"),
    )
    register("community.case.published", title=_("案例已发布：{title}"), body=_("审核意见：{note}"))
    register("community.case.returned", title=_("案例退回修改：{title}"), body=_("修改意见：{note}"))
