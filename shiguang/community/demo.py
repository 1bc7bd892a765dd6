"""Demo data for community life: this week's activities at the pilot community's stations (weekly series and
one-offs, some full with a waitlist), interest groups, training sessions, certifications (one expiring soon),
insurance, recruitment channels, outreach visits with screening, youth surveys and two case write-ups.

Runs after places, people and the personas exist; writes through the services (so the audit trail, queue
positions and reminders are real). Everything is marked demo where the model has the flag.
"""

from __future__ import annotations

import datetime as dt
import random

from shiguang.accounts.choices import Role
from shiguang.accounts.models import User
from shiguang.community import services
from shiguang.community.choices import OutreachOutcome
from shiguang.community.models import Course
from shiguang.community.services._common import add_months
from shiguang.core import clock
from shiguang.people.models import ElderProfile, VolunteerProfile
from shiguang.places.choices import FacilityLevel, FacilityStatus
from shiguang.places.models import Facility

OUTREACH_VISITS = {"tiny": 12, "small": 40, "medium": 150, "full": 400}
YOUTH_SURVEYS = {"tiny": 6, "small": 24, "medium": 80, "full": 200}

WEEKLY = [
    # title, kind, weekday, start, minutes, capacity, tags, description
    ("太极晨练", "exercise", 1, dt.time(8, 30), 60, 30, ["太极", "八段锦"], "社工和志愿者带练，穿平底鞋。"),
    (
        "粤剧社排练",
        "culture",
        2,
        dt.time(15, 0),
        120,
        20,
        ["粤剧", "粤曲", "唱歌"],
        "新老朋友都欢迎，有伴奏。",
    ),
    (
        "智能手机课",
        "learning",
        4,
        dt.time(9, 30),
        90,
        8,
        ["手机课", "微信", "视频通话"],
        "带上自己的手机，学视频通话和防诈骗设置。",
    ),
    ("书法班", "culture", 0, dt.time(14, 30), 90, 15, ["书法", "毛笔字"], "笔墨纸由服务站提供。"),
    ("广场舞", "exercise", 3, dt.time(19, 0), 60, 40, ["广场舞", "跳舞"], "服务站门前广场。"),
]
ONE_OFF = [
    # title, kind, days ahead, hour, minutes, capacity, tags, at the street centre
    ("健康讲座：高血压与防跌倒", "health_talk", 1, 10, 90, 60, ["讲座", "高血压", "防跌倒"], True),
    ("周末电影：《我和我的祖国》", "film", 5, 14, 150, 50, ["电影"], False),
    ("重阳敬老游园会", "festival", 9, 9, 180, 120, ["重阳", "游园"], True),
]
RECRUITMENT = {
    "graduate": ("university", ["深圳大学", "南方科技大学", "哈尔滨工业大学（深圳）"]),
    "student": ("university", ["深圳大学", "深圳职业技术大学"]),
    "trainee_lawyer": ("legal", ["福田区公共法律服务中心", "广东某律师事务所"]),
    "young_professional": ("employer", ["平安集团", "招商银行", "华强北商户联合会"]),
    "resident_volunteer": ("community", [""]),
}


def build(*, scale: str, rng: random.Random) -> str:
    worker = User.objects.filter(username="worker", is_demo=True).select_related("community").first()
    if worker is None or worker.community is None:
        return "no demo community worker; nothing built"
    pilot = worker.community
    street = User.objects.filter(role=Role.STREET_STAFF, is_demo=True, street_id=pilot.street_id).first()
    district = User.objects.filter(role=Role.DISTRICT_STAFF, is_demo=True).first()
    today = clock.today()
    now = clock.now()

    open_sites = Facility.objects.filter(status=FacilityStatus.OPEN)
    station = open_sites.filter(community=pilot).order_by("level", "id").first()
    centre = open_sites.filter(street_id=pilot.street_id, level=FacilityLevel.STREET_CENTRE).first()
    station = station or centre
    if station is None:
        return "no open facility in the pilot community; nothing built"
    centre_actor = street or worker
    centre = centre or station

    # --- activities: weekly series (generated 4 weeks ahead) and one-offs this week -------------------------
    series = []
    for title, kind, weekday, at, minutes, capacity, tags, description in WEEKLY:
        series.append(
            services.series_create(
                actor=worker,
                facility=station,
                title=title,
                kind=kind,
                weekday=weekday,
                start_time=at,
                duration_minutes=minutes,
                capacity=capacity,
                starts_on=today,
                tags=tags,
                description=description,
                is_demo=True,
            )
        )
    singles = []
    for title, kind, days, hour, minutes, capacity, tags, at_centre in ONE_OFF:
        start = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), tzinfo=clock.SHANGHAI)
        if start <= now:
            start += dt.timedelta(days=7)
        singles.append(
            services.activity_create(
                actor=centre_actor if at_centre else worker,
                facility=centre if at_centre else station,
                title=title,
                kind=kind,
                start_at=start,
                end_at=start + dt.timedelta(minutes=minutes),
                capacity=capacity,
                tags=tags,
                is_demo=True,
            )
        )

    # --- sign-ups: the demo elder, and the phone class filled up with a waitlist ----------------------------
    elders = list(ElderProfile.objects.filter(community=pilot).select_related("user").order_by("id")[:40])
    demo_elder = next((e for e in elders if e.user.username == "demo-elder"), None)
    # Neighbours from the same street also come to the pilot station (it is within their 3 km).
    area = {"community__street_id": pilot.street_id} if street is not None else {"community_id": pilot.id}
    neighbours = list(
        ElderProfile.objects.filter(**area)
        .exclude(community=pilot)
        .select_related("user")
        .order_by("id")[:40]
    )
    signups = 0
    upcoming = {s.title: s.occurrences.filter(start_at__gt=now).order_by("start_at").first() for s in series}
    if demo_elder is not None:
        for activity in (upcoming["太极晨练"], singles[0]):
            if activity is not None:
                services.activity_signup(actor=demo_elder.user, activity_id=activity.id, elder=demo_elder)
                signups += 1
    phone_class = upcoming["智能手机课"]
    others = [e for e in elders if e is not demo_elder]
    if phone_class is not None:  # full, with three people waiting
        for elder in (others + neighbours)[: phone_class.capacity + 3]:
            proxy = worker if elder.community_id == pilot.id else (street or worker)
            actor = elder.user if elder.has_phone else proxy
            services.activity_signup(actor=actor, activity_id=phone_class.id, elder=elder)
            signups += 1
    opera = upcoming["粤剧社排练"]
    if opera is not None:
        for elder in others[-6:]:
            services.activity_signup(actor=worker, activity_id=opera.id, elder=elder)
            signups += 1

    # --- interest groups ------------------------------------------------------------------------------------
    groups = []
    for name, kind, description in (
        ("粤剧社", "culture", "每周三下午排练，逢年过节到各站演出。"),
        ("书法班", "culture", "以字会友，作品在服务站展出。"),
        ("太极队", "exercise", "清晨练拳，风雨无阻（下雨改在室内）。"),
    ):
        group = services.group_create(
            actor=worker,
            community=pilot,
            name=name,
            kind=kind,
            description=description,
            facility=station,
            is_demo=True,
        )
        groups.append(group)
        members = rng.sample(others, k=min(len(others), rng.randint(3, 8)))
        for elder in members:
            services.group_join(actor=worker, group_id=group.id, user=elder.user)
    if demo_elder is not None:
        services.group_join(actor=demo_elder.user, group_id=groups[0].id)
    services.announcement_post(
        actor=worker,
        group_id=groups[0].id,
        title="重阳游园会演出报名",
        body="今年重阳游园会我们演《帝女花》选段，想上台的组员周三排练时找组长登记。",
    )

    # --- training: sessions, certifications, insurance, recruitment -----------------------------------------
    if not Course.objects.exists():  # a flushed database (demo_data --reset) lost the migration's seed
        import importlib

        from django.apps import apps as django_apps

        seed = importlib.import_module("shiguang.community.migrations.0003_seed_training_courses").seed
        seed(django_apps, None)
    courses = list(Course.objects.filter(active=True).order_by("id"))
    sessions = 0
    for offset, course in enumerate(courses):
        start = dt.datetime.combine(
            today + dt.timedelta(days=3 + 2 * offset), dt.time(14, 0), tzinfo=clock.SHANGHAI
        )
        services.session_create(
            actor=centre_actor,
            course_id=course.id,
            facility=centre,
            start_at=start,
            end_at=start + dt.timedelta(hours=float(course.hours)),
            capacity=30,
            trainer_name=rng.choice(
                ["红十字会 张老师", "社工站 何督导", "派出所 李警官", "福田区公共法律服务中心"]
            ),
            is_demo=True,
        )
        sessions += 1
    volunteers = list(VolunteerProfile.objects.filter(**area).select_related("user").order_by("id")[:30])
    certs = 0
    insured = 0
    for index, volunteer in enumerate(volunteers):
        channel, organisations = RECRUITMENT.get(volunteer.kind, ("community", [""]))
        services.recruitment_set(
            actor=centre_actor, volunteer=volunteer, channel=channel, organisation=rng.choice(organisations)
        )
        demo_volunteer = volunteer.user.username == "demo-volunteer"
        kinds = (
            ["elder_care_basics", "home_visit_safety"]
            if demo_volunteer or index % 2 == 0
            else ["digital_help"]
        )
        for kind in kinds:
            course = next(c for c in courses if c.certification_kind == kind)
            issued = today - dt.timedelta(days=rng.randint(30, 200))
            services.certification_record(
                actor=centre_actor,
                volunteer=volunteer,
                kind=kind,
                issued_on=issued,
                expires_on=add_months(issued, course.validity_months),
                source=f"{course.title}（演示）",
            )
            certs += 1
        if (
            demo_volunteer
        ):  # one certificate expiring within 30 days: the reminder shows on the next worker run
            services.certification_record(
                actor=centre_actor,
                volunteer=volunteer,
                kind="anti_fraud",
                issued_on=today - dt.timedelta(days=700),
                expires_on=today + dt.timedelta(days=20),
                source="防诈骗宣传（演示）",
            )
            certs += 1
        if demo_volunteer or index % 3 != 2:
            services.insurance_record(
                actor=centre_actor,
                volunteer=volunteer,
                insurer=rng.choice(["中国人寿", "平安保险", "中国太保"]),
                policy_number=f"DEMO-{today.year}-{volunteer.id:05d}",
                valid_from=today - dt.timedelta(days=60),
                valid_to=today + dt.timedelta(days=305),
            )
            insured += 1

    # --- outreach visits with screening, and youth surveys --------------------------------------------------
    visits = 0
    roads = ["园岭路", "红荔路", "八卦路", "华富路", "莲花路"]
    for index in range(OUTREACH_VISITS.get(scale, 12)):
        known = elders and index % 3 == 0
        outcome = rng.choice(
            [
                OutreachOutcome.NOT_HOME,
                OutreachOutcome.DECLINED,
                OutreachOutcome.INFORMED,
                OutreachOutcome.INTERESTED,
            ]
        )
        interested = outcome == OutreachOutcome.INTERESTED
        visit = services.outreach_log(
            actor=worker,
            visited_on=today - dt.timedelta(days=rng.randint(0, 60)),
            outcome=outcome,
            elder_id=rng.choice(elders).id if known else None,
            household_address=""
            if known
            else f"{rng.choice(roads)}{rng.randint(1, 80)}号{rng.randint(1, 30)}栋（演示地址）",
            contact_name="" if known else rng.choice(["王阿姨", "李伯", "陈姨", "黄叔", "张婆婆"]),
            companions=rng.choice(["", "志愿者李思远", "网格员小林"]),
            interest_homeshare=interested and rng.random() < 0.3,
            interest_mutual_aid=interested and rng.random() < 0.7,
            interest_sos_device=interested and rng.random() < 0.5,
            is_demo=True,
        )
        visits += 1
        if outcome in (OutreachOutcome.INFORMED, OutreachOutcome.INTERESTED) and rng.random() < 0.6:
            services.screening_record(
                actor=worker,
                visit_id=visit.id,
                answers={
                    "living": rng.choice(["alone", "empty_nest", "with_family"]),
                    "age_band": rng.choice(["60_69", "70_79", "80_plus"]),
                    "self_care": rng.choice(["independent", "independent", "some_help", "dependent"]),
                    "fell_last_year": rng.choice(["yes", "no", "no"]),
                    "smartphone": rng.choice(["yes", "basic", "no"]),
                    "spare_room": rng.choice(["yes", "no"]),
                    "homeshare": rng.choice(["yes", "maybe", "no", "no"]),
                    "mutual_aid": rng.choice(["receive", "give", "both", "no"]),
                    "sos_device": rng.choice(["yes", "maybe", "no"]),
                    "needs": rng.sample(
                        ["shopping", "companionship", "medical_escort", "digital_help", "meal"], k=2
                    ),
                },
            )
    for _ in range(YOUTH_SURVEYS.get(scale, 6)):
        kind = rng.choice(["graduate", "graduate", "trainee_lawyer", "young_professional"])
        channel, organisations = RECRUITMENT[kind]
        services.youth_survey_record(
            actor=worker,
            respondent_kind=kind,
            channel=channel,
            organisation=rng.choice(organisations),
            age=rng.randint(22, 32),
            interests=rng.sample(["homeshare", "volunteer", "training", "legal_aid"], k=rng.randint(1, 3)),
            hours_per_week=rng.randint(1, 8),
            is_demo=True,
        )

    # --- case write-ups: one published, one waiting for review ----------------------------------------------
    demo_volunteer_profile = next((v for v in volunteers if v.user.username == "demo-volunteer"), None)
    people = [p.user_id for p in (demo_elder, demo_volunteer_profile) if p is not None]
    published = services.case_draft(
        actor=worker,
        title="每周三的陪诊：李思远和陈桂英",
        kind="mutual_aid",
        summary="陈桂英独居，膝关节不好，复诊常常拖着不去。志愿者李思远每周三陪她去社康复诊、取药。",
        body="三个月里李思远陪诊12次，顺路帮她代购。陈桂英学会了用手机和女儿视频，血压控制稳定。",
        source_ref="aid:HelpRequest（演示）",
        hours="36",
        outcome="复诊按时率从约五成提高到全部按时；家属反馈放心了很多。",
        quotes=[
            {"text": "有人陪着，我就不怕去医院了。", "speaker_id": people[0] if people else None},
            {"text": "陪阿婆聊天，我也学了不少粤语。", "speaker_id": people[1] if len(people) > 1 else None},
        ],
        person_ids=people,
        is_demo=True,
    )
    services.case_submit(actor=worker, case_id=published.id)
    if street is not None:
        services.case_review(actor=street, case_id=published.id, approve=True, note="演示：已审核")
    draft = services.case_draft(
        actor=worker,
        title="粤剧社走进社区长者服务站",
        kind="activity",
        summary="粤剧社组员在重阳游园会上演出，吸引了二十多位平时很少出门的独居长者。",
        is_demo=True,
    )
    services.case_submit(actor=worker, case_id=draft.id)
    if district is not None:
        services.rule_set(actor=district, key="activity_radius_km", value=3.0, note="演示：默认值")

    return (
        f"{len(series)} weekly + {len(singles)} one-off activities, {signups} sign-ups, "
        f"{len(groups)} groups, {sessions} training sessions, {certs} certifications, {insured} insured, "
        f"{visits} outreach visits, 2 cases"
    )
