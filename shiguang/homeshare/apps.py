from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeshareConfig(AppConfig):
    name = "shiguang.homeshare"
    label = "homeshare"
    verbose_name = _("幸福同行")

    def warm(self) -> None:
        """Run by `manage.py warm` (and in the background by `manage.py serve`)."""
        from shiguang.homeshare.matching import warm_up

        warm_up()

    def ready(self) -> None:
        from shiguang.accounts.choices import Role
        from shiguang.core import worker
        from shiguang.core.home import Tile, register_tile
        from shiguang.homeshare import agreements, services
        from shiguang.homeshare.models import AgreementVersion, Match
        from shiguang.legal import registry
        from shiguang.notify.templates_registry import register

        def participant_tile(user: object) -> list[Tile]:
            return [Tile("homeshare-mine", _("幸福同行·同住"), "homeshare:mine", tone="primary", order=15)]

        def staff_tiles(user: object) -> list[Tile]:
            return [
                Tile("homeshare", _("幸福同行·同住互助"), "homeshare:index", tone="primary", order=15),
                Tile("homeshare-kpis", _("同住项目指标"), "homeshare:kpis", order=16),
            ]

        def legal_tiles(user: object) -> list[Tile]:
            return [Tile("homeshare-matches", _("同住配对"), "homeshare:matches", order=50)]

        register_tile(Role.ELDER, participant_tile)
        register_tile(Role.VOLUNTEER, participant_tile)
        for role in (Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN):
            register_tile(role, staff_tiles)
        register_tile(Role.LEGAL_ADVISOR, legal_tiles)

        worker.register("homeshare.monitoring", services.run_monitoring)

        registry.register_document(
            agreements.DOMAIN,
            _("幸福同行同住协议"),
            placeholders=agreements.PLACEHOLDERS,
            elements=agreements.ELEMENTS,
        )
        registry.register_subject(
            AgreementVersion,
            registry.SubjectHandler(
                describe=lambda v: f"{v.match} · v{v.number}",
                url=lambda v: f"/homeshare/agreements/{v.pk}/",
                parties=lambda v: [v.match.offer.elder.user, v.match.application.volunteer.user],
                on_review_decided=services.on_review_decided,
            ),
        )
        registry.register_subject(
            Match,
            registry.SubjectHandler(
                describe=str,
                url=lambda m: f"/homeshare/matches/{m.pk}/",
                parties=lambda m: [m.offer.elder.user, m.application.volunteer.user],
                on_mediation_closed=services.on_mediation_closed,
            ),
        )

        register("homeshare.application.created", title=_("新的同住申请"), body=_("{name}提交了同住申请。"))
        register(
            "homeshare.match.proposed",
            title=_("为您推荐了同住对象"),
            body=_("{elder} 与 {youth}：社工会约双方见面。"),
        )
        register(
            "homeshare.match.accepted",
            title=_("双方同意同住"),
            body=_("{elder} 与 {youth} 双方同意，协议已生成。"),
        )
        register(
            "homeshare.match.declined", title=_("配对未达成"), body=_("{elder} 与 {youth} 的配对未达成。")
        )
        register(
            "homeshare.agreement.ready",
            title=_("协议待签署"),
            body=_("第{number}版同住协议已定稿，请阅读后签署。"),
        )
        register(
            "homeshare.agreement.signed", title=_("协议已生效"), body=_("第{number}版同住协议三方已签署。")
        )
        register("homeshare.agreement.returned", title=_("协议被退回修改"), body=_("第{number}版：{notes}"))
        register(
            "homeshare.help.to_confirm",
            title=_("请确认帮助时长"),
            body=_("{youth}记录了{minutes}分钟的帮助，请确认。"),
        )
        register(
            "homeshare.help.disputed",
            title=_("帮助时长有异议"),
            body=_("{match}：长者对一条帮助记录有异议。"),
        )
        register(
            "homeshare.warning.help_short",
            title=_("帮助时长低于协议"),
            body=_("{match}：{week}这一周记录了{logged}小时，协议约定{expected}小时。"),
        )
        register(
            "homeshare.warning.visit_overdue",
            title=_("回访逾期"),
            body=_("{match}：{kind}（计划{date}）尚未记录。"),
        )
        register(
            "homeshare.warning.wellbeing",
            title=_("回访发现需要跟进"),
            body=_("{match}：回访记录了需要跟进的问题。"),
        )
        register(
            "homeshare.trial.ending",
            title=_("试住期即将届满"),
            body=_("{match}：试住期至{date}，请与双方确认是否继续。"),
        )
        register("homeshare.match.ended", title=_("同住已结束"), body=_("{match}：{reason}"))
        register(
            "homeshare.mediation.agreement_changed",
            title=_("调解后需修改协议"),
            body=_("{match}：调解结果为修改协议，请起草新版本。"),
        )
