"""Dispatch rules a worker would check: only verified volunteers, required certifications and insurance, the
elder's gender preference, blocks both ways, availability at that time, distance, load; then the rounds."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.aid import matching, selectors, services
from shiguang.aid.models import Invitation
from shiguang.aid.tests.conftest import (
    availability_covering,
    availability_not_covering,
    run_timers,
)
from shiguang.core import clock
from shiguang.core.errors import Conflict, Forbidden
from shiguang.notify.models import Notification


def ranked(req):
    return [c.volunteer_id for c in matching.rank_for(req, top=10, exclude_invited=False).candidates]


def test_only_verified_volunteers_are_ranked(elder, make_volunteer, post):
    verified = make_volunteer("已核验")
    pending = make_volunteer("待核验", verified=False)
    req = post()
    assert verified.pk in ranked(req) and pending.pk not in ranked(req)


def test_required_certification_excludes_uncertified(elder, make_volunteer, post, district_staff, worker_a):
    from shiguang.community.services import certification_record

    services.requirement_set(
        actor=district_staff,
        district=elder.community.street.district,
        category="medical_escort",
        certifications=["elder_care_basics"],
    )
    certified = make_volunteer("有证", skills=["medical_escort"])
    plain = make_volunteer("无证", skills=["medical_escort"], lat=22.5411)
    expired = make_volunteer("过期", skills=["medical_escort"])
    today = clock.today()
    certification_record(
        actor=worker_a,
        volunteer=certified,
        kind="elder_care_basics",
        issued_on=today - dt.timedelta(days=30),
        expires_on=today + dt.timedelta(days=300),
    )
    certification_record(
        actor=worker_a,
        volunteer=expired,
        kind="elder_care_basics",
        issued_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=1),
    )
    req = post(category="medical_escort", place="福田医院")
    assert ranked(req) == [certified.pk]
    # The same rule holds when a volunteer accepts from the square or a worker assigns directly.
    with pytest.raises(Forbidden) as exc:
        services.help_request_accept(actor=plain.user, request_id=req.pk)
    assert exc.value.code == "certification" and "为老服务基础" in str(exc.value.message)
    with pytest.raises(Conflict):
        services.help_request_assign(actor=worker_a, request_id=req.pk, volunteer_id=expired.pk)


def test_insurance_switch_applies_to_home_visits(elder, make_volunteer, post, district_staff, worker_a):
    from shiguang.community.services import insurance_record

    insured = make_volunteer("有保险")
    uninsured = make_volunteer("没保险")
    today = clock.today()
    insurance_record(
        actor=worker_a,
        volunteer=insured,
        insurer="友邦",
        policy_number="P1",
        valid_from=today - dt.timedelta(days=1),
        valid_to=today + dt.timedelta(days=365),
    )
    home = post()
    assert set(ranked(home)) == {insured.pk, uninsured.pk}
    services.policy_update(
        actor=district_staff, district=elder.community.street.district, changes={"require_insurance": True}
    )
    assert ranked(home) == [insured.pk]
    outside = post(category="outing", place="莲花山公园")
    assert set(ranked(outside)) == {insured.pk, uninsured.pk}  # not a home visit


def test_gender_preference_is_respected(elder, make_volunteer, post):
    woman = make_volunteer("女", gender="female")
    man = make_volunteer("男", gender="male")
    services.preference_set(actor=elder.user, elder=elder, volunteer_gender="female")
    req = post()
    assert req.required_gender == "female"
    assert ranked(req) == [woman.pk]
    with pytest.raises(Forbidden) as exc:
        services.help_request_accept(actor=man.user, request_id=req.pk)
    assert exc.value.code == "gender"


def test_blocks_work_both_ways(elder, make_volunteer, post, volunteer, worker_a):
    blocked_by_elder = make_volunteer("被长者屏蔽")
    blocks_elder = make_volunteer("屏蔽长者")
    fine = make_volunteer("正常")
    first = post()
    services.help_request_assign(actor=worker_a, request_id=first.pk, volunteer_id=blocks_elder.pk)
    services.block_create(
        actor=blocks_elder.user, blocker=blocks_elder.user, blocked=elder.user, reason="太远"
    )
    services.block_create(actor=elder.user, blocker=elder.user, blocked=blocked_by_elder.user)
    req = post(category="companionship")
    order = ranked(req)
    assert fine.pk in order and volunteer.pk in order
    assert blocked_by_elder.pk not in order and blocks_elder.pk not in order
    with pytest.raises(Forbidden):
        services.help_request_accept(actor=blocked_by_elder.user, request_id=req.pk)
    # The square hides it from both.
    feed = selectors.feed(blocks_elder.user, selectors.FeedFilters())
    assert req.pk not in [item["id"] for item in feed.items]


def test_a_volunteer_may_block_only_elders_they_were_sent_to(elder, make_volunteer, elder_b):
    stranger = make_volunteer("路人")
    with pytest.raises(Forbidden):
        services.block_create(actor=stranger.user, blocker=stranger.user, blocked=elder_b.user)


def test_available_volunteers_rank_above_unavailable_ones(elder, make_volunteer, post):
    start = (clock.local(clock.now()) + dt.timedelta(days=2)).replace(
        hour=10, minute=15, second=0, microsecond=0
    )
    free = make_volunteer("有空", availability=availability_covering(start), lat=22.545)  # a little further
    busy = make_volunteer("没空", availability=availability_not_covering(start))
    unknown = make_volunteer("未填", lat=22.543)
    req = post(urgency="soon", start_at=start, duration_minutes=60)
    result = matching.rank_for(req, top=10, exclude_invited=False)
    by_id = {c.volunteer_id: c for c in result.candidates}
    assert by_id[free.pk].factors["availability"] == 20
    assert by_id[unknown.pk].factors["availability"] == 8
    assert by_id[busy.pk].factors["availability"] == 0
    assert ranked(req).index(free.pk) < ranked(req).index(busy.pk)


def test_distance_and_skill_are_explained(elder, make_volunteer, post):
    near_skilled = make_volunteer("近且擅长", skills=["repair"], lat=22.541, lng=114.089)
    far_unskilled = make_volunteer("远且不擅长", skills=[], lat=22.560, lng=114.089)
    too_far = make_volunteer("太远", skills=["repair"], lat=22.62, lng=114.089)
    req = post(category="repair")
    result = matching.rank_for(req, top=10, exclude_invited=False)
    order = [c.volunteer_id for c in result.candidates]
    assert order[:1] == [near_skilled.pk] and far_unskilled.pk in order and too_far.pk not in order
    top = result.candidates[0]
    assert top.factors["skill"] == 20 and top.factors["distance"] > 29
    far = next(c for c in result.candidates if c.volunteer_id == far_unskilled.pk)
    assert far.factors["skill"] == 0 and 2.0 < far.distance_km < 2.2


def test_load_cap_excludes_busy_volunteers(elder, make_volunteer, post, elder_b, worker_b, district_staff):
    services.policy_update(
        actor=district_staff, district=elder.community.street.district, changes={"max_active_tasks": 1}
    )
    busy = make_volunteer("忙", community=elder_b.community)
    first = services.help_request_create(
        actor=worker_b, elder=elder_b, category="shopping", description="", urgency="today"
    )
    services.help_request_assign(actor=worker_b, request_id=first.pk, volunteer_id=busy.pk)
    req = post()
    assert busy.pk not in ranked(req)
    with pytest.raises(Conflict) as exc:
        services.help_request_accept(actor=busy.user, request_id=req.pk)
    assert exc.value.code == "load"


def test_familiar_volunteer_gets_a_bonus(elder, make_volunteer, post, worker_a):
    known = make_volunteer("老熟人")
    make_volunteer("新人")
    first = post(category="companionship")
    services.help_request_assign(actor=worker_a, request_id=first.pk, volunteer_id=known.pk)
    services.help_request_check_in(actor=worker_a, request_id=first.pk, method="worker")
    services.help_request_check_out(actor=known.user, request_id=first.pk, summary="聊天")
    try:
        services.help_request_confirm(actor=elder.user, request_id=first.pk)
    except ImportError:
        pytest.skip("timebank missing")
    req = post(category="companionship", urgency="this_week")
    result = matching.rank_for(req, top=10, exclude_invited=False)
    assert result.candidates[0].volunteer_id == known.pk
    assert result.candidates[0].factors["familiar"] == 5


def test_rounds_invite_top_n_then_the_next_then_hand_to_the_worker(
    elder, make_volunteer, post, district_staff, worker_a
):
    services.policy_update(
        actor=district_staff,
        district=elder.community.street.district,
        changes={"invite_batch": 2, "max_rounds": 2, "invite_minutes": 15},
    )
    volunteers = [make_volunteer(f"志愿者{i}", lat=22.541 + i * 0.002) for i in range(5)]
    req = post()
    run_timers()
    first = list(
        Invitation.objects.filter(request=req, round=1)
        .order_by("rank")
        .values_list("volunteer_id", flat=True)
    )
    assert first == [volunteers[0].pk, volunteers[1].pk]
    # Both decline: the next round goes out at once.
    for v in volunteers[:2]:
        services.invitation_decline(actor=v.user, request_id=req.pk, reason="没空")
    second = set(Invitation.objects.filter(request=req, round=2).values_list("volunteer_id", flat=True))
    assert second == {volunteers[2].pk, volunteers[3].pk}
    # Nobody answers round 2: when it times out the worker is asked to dispatch by hand.
    with clock.frozen(clock.now() + dt.timedelta(minutes=16)):
        run_timers()
    req.refresh_from_db()
    assert req.status == "open"
    assert set(Invitation.objects.filter(request=req, round=2).values_list("status", flat=True)) == {
        "expired"
    }
    assert Notification.objects.filter(recipient=worker_a, template="aid.request.unmatched").exists()
    # The request stays in the square: anyone eligible may still take it.
    services.help_request_accept(actor=volunteers[4].user, request_id=req.pk)


def test_first_accept_wins_and_the_others_are_told(elder, make_volunteer, post):
    a, b, c = (make_volunteer(n) for n in ("甲", "乙", "丙"))
    req = post()
    run_timers()
    services.help_request_accept(actor=b.user, request_id=req.pk)
    statuses = dict(Invitation.objects.filter(request=req).values_list("volunteer_id", "status"))
    assert statuses == {a.pk: "taken", b.pk: "accepted", c.pk: "taken"}
    assert (
        Notification.objects.filter(template="aid.invite.taken", recipient__in=[a.user, c.user]).count() == 2
    )
    with pytest.raises(Conflict):
        services.help_request_accept(actor=a.user, request_id=req.pk)


def test_worker_dispatches_again_and_assigns(elder, make_volunteer, post, worker_a, worker_b):
    v = make_volunteer("小陈")
    req = post()
    with pytest.raises(Forbidden):
        services.dispatch_now(actor=elder.user, request_id=req.pk)
    invited = services.dispatch_now(actor=worker_a, request_id=req.pk)
    assert [i.volunteer_id for i in invited] == [v.pk]
    with pytest.raises(Conflict) as exc:  # everyone suitable was already invited
        services.dispatch_now(actor=worker_a, request_id=req.pk)
    assert exc.value.code == "no_candidates"
    services.help_request_assign(actor=worker_a, request_id=req.pk, volunteer_id=v.pk, note="已电话确认")
    req.refresh_from_db()
    assert req.status == "accepted" and req.assigned_by == worker_a
    assert Notification.objects.filter(recipient=v.user, template="aid.request.assigned").exists()


def test_console_candidates_explain_every_factor(elder, make_volunteer, post, worker_a, worker_b):
    make_volunteer("小周", skills=["shopping"])
    req = post()
    rows, summary = selectors.candidates(worker_a, req)
    assert rows and set(rows[0].factors) == {
        "distance",
        "skill",
        "availability",
        "rating",
        "load",
        "language",
        "familiar",
    }
    assert abs(sum(rows[0].factors.values()) - rows[0].score) < 0.05
    assert summary["weights"]["distance"] == 30
    with pytest.raises(Forbidden):
        selectors.candidates(worker_b, req)


def test_no_location_means_no_automatic_dispatch(elder_b, worker_b, make_volunteer):
    elder_b.community.latitude = None
    elder_b.community.save()
    elder_b.community.refresh_from_db()
    make_volunteer("小孙", community=elder_b.community)
    req = services.help_request_create(
        actor=worker_b, elder=elder_b, category="shopping", description="", urgency="today"
    )
    assert req.location_source == "none"
    run_timers()
    req.refresh_from_db()
    assert req.status == "open"
    assert Notification.objects.filter(recipient=worker_b, template="aid.request.unmatched").exists()
