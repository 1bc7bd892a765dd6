"""Demo data for the homeshare pilot in the pilot community (南园街道): offers and applications at every
stage of
the funnel (with drop-outs), vetting records, proposals with meetings, signed agreements with monitoring
visits and help logs, one mediation case and legal consultations.

The demo elder (陈桂英) and the demo youth (李思远) are a living match, so their logins show "my match" and an
agreement to download. Writes go through the services; only dates are moved into the past afterwards (so the
KPI page has history), which is marked in the audit trail by the services' own events.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from shiguang.accounts.choices import Role
from shiguang.accounts.models import User
from shiguang.accounts.validators import id_check_char
from shiguang.core import clock
from shiguang.homeshare import selectors, services
from shiguang.homeshare.choices import HelpKind, Interest, Stage
from shiguang.homeshare.models import Application, Match, MonitoringTask, Offer, Visit
from shiguang.legal import services as legal_services
from shiguang.people import services as people_services
from shiguang.people.models import ElderProfile, VolunteerProfile

COUNTS = {"tiny": 4, "small": 10, "medium": 24, "full": 40}
WORKPLACES = [
    ("深圳职业技术大学", 22.586, 113.947),
    ("福田区人民法院", 22.539, 114.055),
    ("市民中心", 22.543, 114.059),
    ("车公庙科技园", 22.537, 114.028),
    ("华强北某电子公司", 22.548, 114.087),
    ("深圳会展中心", 22.532, 114.057),
    ("某律师事务所（福田）", 22.541, 114.064),
]
MOTIVATIONS = [
    "刚毕业来深圳，希望和长者互相照应，也能省下一部分房租。",
    "奶奶在老家，我想在深圳也能陪伴一位长者。",
    "实习律师，工作之余愿意陪长者聊天、教用手机。",
]


def _id_number(rng: random.Random, birth: dt.date) -> str:
    first17 = f"440304{birth:%Y%m%d}{rng.randint(100, 999)}"
    return first17 + id_check_char(first17)


def _offer_data(rng: random.Random, elder: ElderProfile) -> dict[str, Any]:
    kinds = [
        "companionship",
        *rng.sample([k for k in HelpKind.values if k != "companionship"], rng.randint(1, 2)),
    ]
    return {
        "room_size_m2": rng.choice([9, 10, 12, 14, 16]),
        "floor": rng.randint(2, 18),
        "has_lift": rng.random() < 0.6,
        "rent_yuan": rng.choice([0, 0, 0, 300, 500, 800]),
        "included": rng.sample(["utilities", "internet", "furniture", "aircon", "laundry"], 3),
        "smoking_allowed": False,
        "elder_smokes": False,
        "pets_allowed": rng.random() < 0.3,
        "elder_has_pets": rng.random() < 0.15,
        "visitors": rng.choice(["daytime", "notice"]),
        "cooking": rng.choice(["shared", "light"]),
        "help_kinds": kinds,
        "help_hours_per_week": rng.randint(4, 10),
        "evenings_wanted": rng.randint(1, 5),
        "languages": elder.languages or ["mandarin"],
        "interests": rng.sample(Interest.values, 3),
        "pref_gender": "female" if elder.gender == "female" and rng.random() < 0.5 else "any",
        "age_min": 20,
        "age_max": 35,
    }


def _application_data(rng: random.Random) -> dict[str, Any]:
    place, lat, lng = rng.choice(WORKPLACES)
    return {
        "workplace": place,
        "work_lat": lat,
        "work_lng": lng,
        "budget_yuan": rng.choice([500, 800, 1000, 1500]),
        "schedule": rng.choice(["工作日9:00-18:00", "工作日10:00-19:00，周末休息", "实习，周一至周五"]),
        "evenings_home": rng.randint(3, 6),
        "help_kinds": list(HelpKind.values),
        "help_hours_per_week": rng.randint(8, 12),
        "smoker": False,
        "accepts_pets": True,
        "languages": ["mandarin", "cantonese"] if rng.random() < 0.5 else ["mandarin"],
        "interests": rng.sample(Interest.values, 3),
        "motivation": rng.choice(MOTIVATIONS),
    }


def _vet_offer(worker: User, offer: Offer) -> None:
    for key in ("share_profile", "matching_data", "home_visits"):
        services.offer_consent(actor=worker, offer_id=offer.pk, key=key, method="paper")
    if offer.stage == Stage.INTERESTED:
        services.stage_advance(actor=worker, kind="offer", pk=offer.pk, stage=Stage.SCREENED)
    services.stage_advance(actor=worker, kind="offer", pk=offer.pk, stage=Stage.VETTED)


def _vet_application(worker: User, app: Application, rng: random.Random) -> None:
    for name, relation in (("王老师", "大学导师"), ("刘主任", "实习单位主管")):
        ref = services.reference_add(
            actor=worker,
            application_id=app.pk,
            name=name,
            relation=relation,
            phone=f"136{rng.randint(10**7, 10**8 - 1)}",
        )
        services.reference_check(actor=worker, reference_id=ref.pk, status="positive", note="演示：评价良好")
    services.background_record(
        actor=worker,
        application_id=app.pk,
        outcome="clear",
        checked_on=clock.today(),
        id_verified=True,
        note="演示",
    )
    services.stage_advance(actor=worker, kind="application", pk=app.pk, stage=Stage.SCREENED)
    services.stage_advance(actor=worker, kind="application", pk=app.pk, stage=Stage.VETTED)


def _ensure_contact(worker: User, elder: ElderProfile, rng: random.Random) -> None:
    if not elder.emergency_contacts.exists():
        people_services.emergency_contact_add(
            actor=worker,
            elder=elder,
            name=f"{elder.name[0]}家属",
            relation="son",
            phone=f"139{rng.randint(10**7, 10**8 - 1)}",
        )


def _sign_all(worker: User, legal: User, match: Match) -> None:
    version = services.current_version(match)
    assert version is not None
    version = services.agreement_finalise(actor=worker, version_id=version.pk)
    services.agreement_sign(actor=match.offer.elder.user, version_id=version.pk)
    services.agreement_sign(actor=match.application.volunteer.user, version_id=version.pk)
    services.agreement_sign(actor=legal, version_id=version.pk)


def _accept(worker: User, match: Match) -> None:
    services.meeting_record(
        actor=worker,
        match_id=match.pk,
        held_at=clock.now(),
        place="南园社区党群服务中心",
        notes="演示：双方见面",
    )
    services.match_decide(actor=worker, match_id=match.pk, accept=True, side="elder")
    services.match_decide(actor=worker, match_id=match.pk, accept=True, side="youth")


def _move_back(match: Match, days: int) -> None:
    """Demo history: this match moved in `days` ago (dates only; the schedule moves with it)."""
    shift = dt.timedelta(days=days + 7)
    m = Match.objects.get(pk=match.pk)
    Match.objects.filter(pk=m.pk).update(
        started_on=m.started_on - shift if m.started_on else None,
        trial_ends_on=m.trial_ends_on - shift if m.trial_ends_on else None,
        term_ends_on=m.term_ends_on - shift if m.term_ends_on else None,
    )
    for visit in Visit.objects.filter(match=m):
        Visit.objects.filter(pk=visit.pk).update(scheduled_for=visit.scheduled_for - shift)
    for task in MonitoringTask.objects.filter(match=m, done_at__isnull=True):
        MonitoringTask.objects.filter(pk=task.pk).update(due_at=task.due_at - shift)
    Offer.objects.filter(pk=m.offer_id).update(registered_on=clock.today() - dt.timedelta(days=days + 40))
    Application.objects.filter(pk=m.application_id).update(
        registered_on=clock.today() - dt.timedelta(days=days + 30)
    )


YOUTH_NAMES = [
    "周晓雯",
    "吴嘉豪",
    "郑雨桐",
    "冯子轩",
    "陈思琪",
    "许俊杰",
    "黄诗涵",
    "林浩然",
    "何佳怡",
    "罗宇航",
]


def _new_youths(rng: random.Random, community: Any, needed: int) -> list[VolunteerProfile]:
    """Sign up a few young newcomers in the pilot community (the bulk demo spreads volunteers thin)."""
    from shiguang.accounts.services import phone_taken

    made = []
    for k in range(max(0, needed)):
        phone = ""
        while not phone or phone_taken(phone):
            phone = f"135{rng.randint(10**7, 10**8 - 1)}"
        made.append(
            people_services.volunteer_register(
                actor=None,
                community=community,
                name=YOUTH_NAMES[k % len(YOUTH_NAMES)],
                gender=rng.choice(["female", "male"]),
                kind=rng.choice(services.YOUTH_KINDS),
                phone=phone,
                birth_date=dt.date(clock.today().year - rng.randint(22, 30), rng.randint(1, 12), 1),
                skills=["companionship", "digital_help"],
                languages=["mandarin"],
                is_demo=True,
            )
        )
    return made


def build(*, scale: str, rng: random.Random) -> str:
    worker = User.objects.filter(is_demo=True, role=Role.COMMUNITY_WORKER, username="worker").first()
    legal = User.objects.filter(is_demo=True, role=Role.LEGAL_ADVISOR).first()
    if worker is None or legal is None or worker.community is None:
        return "skipped (no demo worker or legal advisor)"
    services.install_default_clauses()
    count = COUNTS.get(scale, COUNTS["small"])
    community = worker.community
    demo_elder = ElderProfile.objects.filter(user__username="demo-elder").first()
    demo_youth = VolunteerProfile.objects.filter(user__username="demo-volunteer").first()
    elders = list(
        ElderProfile.objects.filter(community=community, is_demo=True)
        .exclude(user__username="demo-elder")
        .exclude(id_number_index="")
        .order_by("id")[: count * 2]
    )
    youths = list(
        VolunteerProfile.objects.filter(community=community, kind__in=services.YOUTH_KINDS, is_demo=True)
        .exclude(user__username="demo-volunteer")
        .order_by("id")[: count * 2]
    )
    youths += _new_youths(rng, community, count - len(youths))
    if demo_elder is not None:
        elders.insert(0, demo_elder)
    if demo_youth is not None:
        youths.insert(0, demo_youth)

    offers: list[Offer] = []
    for k, elder in enumerate(elders[:count]):
        _ensure_contact(worker, elder, rng)
        data = _offer_data(rng, elder)
        if k == 0:
            data.update(
                help_kinds=["companionship", "shopping", "digital_help"],
                help_hours_per_week=6,
                rent_yuan=0,
                pref_gender="any",
                elder_has_pets=False,
            )
        offers.append(services.offer_create(actor=worker, elder=elder, **data))
    apps: list[Application] = []
    for youth in youths[:count]:
        birth = youth.birth_date or dt.date(clock.today().year - 24, 5, 1)
        apps.append(
            services.application_create(
                actor=worker, volunteer=youth, id_number=_id_number(rng, birth), **_application_data(rng)
            )
        )
    # the funnel: most are vetted, some stay early, a few drop out
    vetted_offers = offers[: max(2, count - 2)]
    vetted_apps = apps[: max(2, count - 1)]
    for offer in vetted_offers:
        _vet_offer(worker, offer)
    for app in vetted_apps:
        _vet_application(worker, app, rng)
    if len(offers) > len(vetted_offers):
        services.dropout(
            actor=worker, kind="offer", pk=offers[-1].pk, reason="family", note="演示：子女接去同住"
        )
    if len(apps) > len(vetted_apps):
        services.dropout(
            actor=worker, kind="application", pk=apps[-1].pk, reason="no_match", note="演示：等待太久"
        )

    # the demo pair first, then the optimal assignment for the rest
    matches: list[Match] = []
    if demo_elder is not None and demo_youth is not None and offers and apps:
        first = services.match_propose(actor=worker, offer_id=offers[0].pk, application_id=apps[0].pk)
        _accept(worker, first)
        _sign_all(worker, legal, first)
        matches.append(first)
    result = selectors.optimal(worker)
    for pair in result["pairs"]:
        matches.append(
            services.match_propose(
                actor=worker, offer_id=pair["offer"].pk, application_id=pair["application"].pk
            )
        )
    living = [matches[0]] if matches else []
    for k, match in enumerate(matches[1:], start=1):
        if k % 3 == 0:
            continue  # waiting to meet
        _accept(worker, match)
        if k % 3 == 1:
            _sign_all(worker, legal, match)
            living.append(match)
    # history for the KPIs: the demo pair moved in 40 days ago, another one 7 months ago
    for match, days in zip(living, (40, 210, 100), strict=False):
        _move_back(match, days)
    for match in living[:1]:
        match.refresh_from_db()
        if match.started_on is None:
            continue
        youth_user = match.application.volunteer.user
        for back in (30, 23, 16, 9, 2):
            day = clock.today() - dt.timedelta(days=back)
            log = services.helplog_create(
                actor=youth_user,
                match_id=match.pk,
                date=day,
                minutes=rng.choice([60, 90, 120]),
                kinds=["shopping"],
            )
            if back > 5:
                services.helplog_confirm(actor=match.offer.elder.user, log_id=log.pk, confirm=True)
        first_visit = Visit.objects.filter(match=match, status="scheduled").order_by("scheduled_for").first()
        if first_visit is not None:
            services.visit_record(
                actor=worker,
                visit_id=first_visit.pk,
                elder_wellbeing=5,
                youth_wellbeing=4,
                notes="演示：相处融洽，每周一起买菜，教会长者视频通话。",
            )
    if len(living) > 1:
        case = services.mediation_request(
            actor=worker,
            match_id=living[1].pk,
            category="house_rules",
            issue="演示：晚归时间与安静时段的分歧。",
        )
        legal_services.mediation_session_add(
            actor=legal,
            case_id=case.pk,
            attendees="长者、青年、社工",
            summary="演示：双方说明作息，约定22点后轻声。",
        )
    if demo_elder is not None:
        legal_services.consultation_create(
            actor=demo_elder.user, topic="homeshare", question="同住青年的朋友可以留宿吗？协议怎么约定的？"
        )
    return (
        f"{len(offers)} offers, {len(apps)} applications, {len(matches)} matches "
        f"({len(living)} living), optimal total {result['total']}"
    )
