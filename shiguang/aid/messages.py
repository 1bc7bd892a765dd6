"""Notification templates of the mutual-aid square (registered once, in AidConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shiguang.notify.templates_registry import register

TEMPLATES = {
    "aid.invite": (
        _("新的求助：{category}"),
        _("{area}的长者需要{category}（{when}）。愿意帮忙请在{minutes}分钟内接单。"),
    ),
    "aid.invite.taken": (_("求助已有人接了"), _("{area}的{category}求助已由其他志愿者接单，谢谢您的关注。")),
    "aid.invite.direct": (
        _("有长者想请您帮忙"),
        _("{area}的长者看到您的服务意向，想请您帮忙{category}（{when}）。"),
    ),
    "aid.request.posted": (_("求助已发布"), _("{elder}的{category}求助已发布，正在为您寻找附近的志愿者。")),
    "aid.request.accepted": (
        _("{volunteer}接了您的求助"),
        _("{volunteer}将为{elder}提供{category}服务（{when}）。"),
    ),
    "aid.request.assigned": (_("社工为您派了任务"), _("请为{area}的长者提供{category}服务（{when}）。")),
    "aid.request.released": (
        _("志愿者无法前来"),
        _("{volunteer}无法为{elder}提供{category}服务（{reason}），我们正在重新寻找志愿者。"),
    ),
    "aid.request.cancelled": (_("求助已取消"), _("{elder}的{category}求助已取消：{reason}")),
    "aid.request.checked_in": (_("志愿者已到达"), _("{volunteer}已开始为{elder}提供{category}服务。")),
    "aid.request.done": (
        _("服务完成，请确认"),
        _("{volunteer}已完成{category}服务（{minutes}分钟），请确认并评价。"),
    ),
    "aid.request.confirmed": (
        _("服务已确认"),
        _("{elder}已确认您的{category}服务，记入{hours}小时。谢谢您！"),
    ),
    "aid.request.expiring": (
        _("求助还没有人接"),
        _("{elder}的{category}求助还没有志愿者接单，将于{expires}过期。需要的话请联系社区工作人员。"),
    ),
    "aid.request.expired": (
        _("求助已过期"),
        _("{elder}的{category}求助到期仍无人接单，已关闭。可以重新发布或请社工帮忙。"),
    ),
    "aid.request.unmatched": (
        _("求助无人接单，请人工派单"),
        _("{elder}的{category}求助暂时没有合适的志愿者，请在派单台处理。"),
    ),
    "aid.request.no_show": (_("服务未能进行"), _("{elder}的{category}服务记录为未到场（{party}）：{reason}")),
    "aid.request.reopened": (_("求助已重新发布"), _("{elder}的{category}求助已重新发布。")),
    "aid.service.upcoming": (_("服务即将开始"), _("别忘了：{when}为{area}的长者提供{category}服务。")),
    "aid.confirm.reminder": (
        _("还有服务待确认"),
        _("{volunteer}为{elder}完成的{category}服务还没有确认，请确认或提出异议。"),
    ),
    "aid.dispute.opened": (_("新的争议待处理"), _("{elder}的{category}服务有争议：{reason}")),
    "aid.dispute.resolved": (_("争议已处理"), _("{elder}的{category}服务争议已处理：{outcome}。")),
    "aid.offer.expiring": (_("服务意向即将到期"), _("您发布的服务意向将于{expires}到期，需要的话可以延长。")),
    "aid.offer.expired": (_("服务意向已到期"), _("您发布的服务意向已到期，谢谢您！")),
}


def register_all() -> None:
    for code, (title, body) in TEMPLATES.items():
        register(code, title=title, body=body)
