from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "shiguang.legal"
    label = "legal"
    verbose_name = _("法律服务")

    def ready(self) -> None:
        from shiguang.accounts.choices import Role
        from shiguang.core.home import Tile, register_tile
        from shiguang.notify.templates_registry import register

        def advisor_tiles(user: object) -> list[Tile]:
            return [
                Tile("legal-reviews", _("协议审核队列"), "legal:reviews", tone="primary", order=10),
                Tile("legal-consultations", _("法律咨询"), "legal:consultations", order=20),
                Tile("legal-mediation", _("调解案件"), "legal:mediation", order=30),
                Tile("legal-clauses", _("协议条款库"), "legal:clauses", order=40),
            ]

        def ask_tile(user: object) -> list[Tile]:
            return [Tile("legal-ask", _("法律咨询"), "legal:consultations", order=70)]

        register_tile(Role.LEGAL_ADVISOR, advisor_tiles)
        for role in (Role.ELDER, Role.VOLUNTEER, Role.COMMUNITY_WORKER, Role.STREET_STAFF):
            register_tile(role, ask_tile)

        register(
            "legal.consultation.created", title=_("新的法律咨询"), body=_("有一条“{topic}”类咨询等待解答。")
        )
        register(
            "legal.consultation.answered", title=_("法律顾问已回复"), body=_("您的“{topic}”咨询已有解答。")
        )
        register("legal.review.requested", title=_("待审核的协议"), body=_("{title}"))
        register("legal.mediation.opened", title=_("新的调解申请"), body=_("{title}"))
        register("legal.mediation.closed", title=_("调解已结案"), body=_("{title}：{outcome}"))
