"""Demo data for the mutual-aid square: the demo elder's history (a confirmed and rated visit, an escort
booked for
tomorrow, an errand waiting for a volunteer), open requests from other elders across Futian for the square
and the
dispatch console, a dispute for the worker, and a few volunteers' offers.

Runs after places, people, the personas (and community and timebank) exist; writes through the services, so
the
audit trail, invitations, reminders and time-bank postings are real. The first dispatch rounds go out when the
demo's transaction commits.
"""

from __future__ import annotations

import datetime as dt
import random

from shiguang.accounts.models import User
from shiguang.aid import services
from shiguang.aid.choices import Category, Urgency
from shiguang.core import clock
from shiguang.core.errors import DomainError
from shiguang.people.models import ElderProfile, VolunteerProfile

OPEN_REQUESTS = {"tiny": 4, "small": 30, "medium": 120, "full": 400}
OFFERS = {"tiny": 2, "small": 10, "medium": 40, "full": 120}
DESCRIPTIONS = {
    Category.MEDICAL_ESCORT: ["去社康复查血压，需要有人陪同", "下周去医院拿药，腿脚不便", "陪同做B超检查"],
    Category.SHOPPING: ["帮忙买米和油，搬不动", "买些青菜和水果", "代买降压药（已有处方）"],
    Category.HOUSEWORK: ["打扫厨房和阳台", "换季整理衣柜", "擦窗户"],
    Category.COMPANIONSHIP: ["想找人聊聊天，下下象棋", "陪我在小区里走走", "读报纸给我听"],
    Category.REPAIR: ["卫生间水龙头漏水", "灯泡坏了，够不着", "门锁不好用"],
    Category.DIGITAL_HELP: ["教我用微信视频给孙子打电话", "手机里的健康码打不开", "学会用手机挂号"],
    Category.OUTING: ["想去莲花山公园看花", "陪同去银行办业务"],
    Category.LEGAL: ["想咨询一下遗嘱怎么写", "房子出租合同看不懂"],
    Category.MEAL: ["中午送一份饭到家", "帮忙到长者饭堂打饭"],
    Category.OTHER: ["帮忙填社保认证表格"],
}


def _persona(username: str) -> User | None:
    return User.objects.filter(is_demo=True, username=username).first()


def _persona_history(worker: User, elder: ElderProfile, volunteer: VolunteerProfile) -> list[str]:
    """What the demo elder and volunteer see when they sign in."""
    done: list[str] = []
    now = clock.now()
    visit = services.help_request_create(
        actor=worker,
        elder=elder,
        category=Category.COMPANIONSHIP,
        description="陪聊天、一起整理旧照片",
        urgency=Urgency.THIS_WEEK,
    )
    services.help_request_assign(actor=worker, request_id=visit.pk, volunteer_id=volunteer.pk, note="演示")
    services.help_request_check_in(actor=worker, request_id=visit.pk, method="worker")
    services.help_request_check_out(
        actor=volunteer.user, request_id=visit.pk, summary="聊天一小时，整理了相册"
    )
    try:
        services.help_request_confirm(actor=worker, request_id=visit.pk, minutes=60)
        services.rating_submit(actor=worker, request_id=visit.pk, score=5, comment="小李很耐心（社工代评）")
        services.rating_submit(actor=volunteer.user, request_id=visit.pk, score=5, comment="陈阿姨很热情")
        done.append("1 confirmed visit")
    except ImportError:  # the time bank is not installed: leave the visit waiting for confirmation
        done.append("1 visit waiting for confirmation")
    tomorrow = clock.local(now + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    escort = services.help_request_create(
        actor=elder.user,
        elder=elder,
        category=Category.MEDICAL_ESCORT,
        description="去福田区人民医院复查膝关节",
        urgency=Urgency.SOON,
        start_at=tomorrow,
        duration_minutes=180,
        place="福田区人民医院门诊楼",
    )
    try:
        services.help_request_assign(actor=worker, request_id=escort.pk, volunteer_id=volunteer.pk)
        done.append("1 escort booked")
    except DomainError:  # e.g. the district requires a certification the demo volunteer lacks
        done.append("1 escort waiting for a certified volunteer")
    services.help_request_create(
        actor=elder.user,
        elder=elder,
        category=Category.SHOPPING,
        description="买米和鸡蛋",
        urgency=Urgency.TODAY,
    )
    done.append("1 errand in the square")
    return done


def _dispute(worker: User, rng: random.Random) -> bool:
    """One visit in the pilot community with a dispute for the worker to resolve."""
    elder = (
        ElderProfile.objects.filter(community=worker.community, is_demo=True)
        .exclude(user__username="demo-elder")
        .first()
    )
    volunteer = (
        VolunteerProfile.objects.filter(
            verification_status="verified", community=worker.community, is_demo=True
        )
        .exclude(user__username="demo-volunteer")
        .first()
    )
    if elder is None or volunteer is None:
        return False
    try:
        req = services.help_request_create(
            actor=worker,
            elder=elder,
            category=Category.HOUSEWORK,
            description="打扫卫生",
            urgency=Urgency.TODAY,
        )
        services.help_request_assign(actor=worker, request_id=req.pk, volunteer_id=volunteer.pk)
        services.help_request_check_in(actor=worker, request_id=req.pk, method="worker")
        services.help_request_check_out(actor=volunteer.user, request_id=req.pk, summary="打扫了客厅和厨房")
        services.dispute_open(
            actor=worker, request_id=req.pk, reason="家属反映只打扫了客厅，时长有出入（演示）"
        )
    except DomainError:
        return False
    return True


def build(*, scale: str, rng: random.Random) -> str:
    admin = _persona("admin")
    worker = _persona("worker")
    elder = (
        ElderProfile.objects.filter(user__username="demo-elder").select_related("user", "community").first()
    )
    volunteer = (
        VolunteerProfile.objects.filter(user__username="demo-volunteer").select_related("user").first()
    )
    if admin is None or worker is None or elder is None or volunteer is None:
        return "skipped (demo personas missing)"
    parts = _persona_history(worker, elder, volunteer)

    elders = list(
        ElderProfile.objects.filter(is_demo=True, user__is_active=True)
        .exclude(pk=elder.pk)
        .select_related("user", "community__street")
        .order_by("id")[: OPEN_REQUESTS.get(scale, 30) * 3]
    )
    rng.shuffle(elders)
    categories = list(DESCRIPTIONS)
    weights = [22, 16, 14, 12, 10, 7, 6, 3, 7, 3]
    posted = 0
    now = clock.now()
    for candidate in elders[: OPEN_REQUESTS.get(scale, 30)]:
        category = rng.choices(categories, weights=weights)[0]
        urgency = rng.choice(Urgency.values)
        start = None
        if rng.random() < 0.4:
            start = clock.local(now + dt.timedelta(days=rng.randint(1, 5))).replace(
                hour=rng.choice([9, 10, 14, 15]), minute=0, second=0, microsecond=0
            )
            urgency = Urgency.SOON if (start - now).days < 2 else Urgency.THIS_WEEK
        try:
            services.help_request_create(
                actor=admin,
                elder=candidate,
                category=category,
                description=rng.choice(DESCRIPTIONS[category]),
                urgency=urgency,
                start_at=start,
                duration_minutes=rng.choice([60, 60, 90, 120])
                if category != Category.MEDICAL_ESCORT
                else 180,
                place="福田区人民医院" if category == Category.MEDICAL_ESCORT else "",
            )
            posted += 1
        except DomainError:
            continue
    parts.append(f"{posted} open requests")

    offers = 0
    for v in (
        VolunteerProfile.objects.filter(verification_status="verified", is_demo=True)
        .select_related("user")
        .order_by("id")[: OFFERS.get(scale, 10)]
    ):
        start = clock.local(now).replace(minute=0, second=0, microsecond=0) + dt.timedelta(
            hours=rng.randint(1, 48)
        )
        skills = [s for s in (v.skills or []) if s in Category.values] or [Category.COMPANIONSHIP]
        try:
            services.offer_create(
                actor=v.user,
                categories=skills,
                available_from=start,
                available_to=start + dt.timedelta(days=rng.choice([3, 7, 14])),
                place=f"{v.community}附近",
                radius_km=rng.choice([1.0, 2.0, 3.0]),
                note=rng.choice(["周末有空", "晚上可以", ""]),
            )
            offers += 1
        except DomainError:
            continue
    parts.append(f"{offers} volunteer offers")
    if _dispute(worker, rng):
        parts.append("1 dispute for the worker")
    return ", ".join(parts)
