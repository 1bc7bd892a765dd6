"""Activities: sign-up with a waitlist and automatic promotion, proxies, weekly series, check-in window,
attendance, and what an elder sees near them."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.community import selectors, services
from shiguang.community.choices import SignupChannel, SignupStatus
from shiguang.community.models import Activity, ActivityReminder, ActivitySeries, Signup
from shiguang.community.tests.conftest import NOW
from shiguang.core import clock
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification


def test_signup_confirms_until_capacity_then_waitlists_in_order(make_activity, make_elders):
    activity = make_activity(capacity=2)
    a, b, c, d = make_elders(4)
    results = [services.activity_signup(actor=e.user, activity_id=activity.id, elder=e) for e in (a, b, c, d)]
    assert [s.status for s in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [s.seq for s in results] == [1, 2, 3, 4]
    assert selectors.waitlist_position(results[2]) == 1
    assert selectors.waitlist_position(results[3]) == 2
    message = selectors.signup_message(results[3])
    assert "名额已满" in message and "候补第2位" in message
    assert "报名成功" in selectors.signup_message(results[0])


def test_signing_up_twice_is_refused_and_writes_nothing(make_activity, elder_a):
    activity = make_activity()
    services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    before = (Signup.objects.count(), AuditEvent.objects.count(), Activity.objects.get().signup_seq)
    with pytest.raises(Conflict) as exc:
        services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    assert "已报名该活动" in str(exc.value.message) and "无需重复报名" in str(exc.value.message)
    assert exc.value.code == "already_signed_up"
    assert (Signup.objects.count(), AuditEvent.objects.count(), Activity.objects.get().signup_seq) == before


def test_a_waitlisted_elder_signing_up_again_is_told_they_are_waitlisted(make_activity, make_elders):
    activity = make_activity(capacity=1)
    a, b = make_elders(2)
    services.activity_signup(actor=a.user, activity_id=activity.id, elder=a)
    services.activity_signup(actor=b.user, activity_id=activity.id, elder=b)
    with pytest.raises(Conflict) as exc:
        services.activity_signup(actor=b.user, activity_id=activity.id, elder=b)
    assert "候补中" in str(exc.value.message)


def test_cancelling_promotes_the_first_on_the_waitlist_and_tells_them(make_activity, make_elders):
    activity = make_activity(capacity=1)
    a, b, c = make_elders(3)
    first = services.activity_signup(actor=a.user, activity_id=activity.id, elder=a)
    second = services.activity_signup(actor=b.user, activity_id=activity.id, elder=b)
    third = services.activity_signup(actor=c.user, activity_id=activity.id, elder=c)
    services.signup_cancel(actor=a.user, signup_id=first.id)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == SignupStatus.CONFIRMED and second.promoted_at is not None
    assert third.status == SignupStatus.WAITLISTED and selectors.waitlist_position(third) == 1
    note = Notification.objects.get(recipient=b.user, template="community.signup.promoted")
    assert note.data["title"] == "太极晨练"
    assert AuditEvent.objects.filter(code="community.signup.promoted", on_behalf_of=b.user).exists()
    # The promoted elder now has reminders; the cancelled one's were dropped.
    assert ActivityReminder.objects.filter(signup=second, done_at__isnull=True).count() == 2
    assert not ActivityReminder.objects.filter(signup=first, done_at__isnull=True).exists()
    # Cancelling a waitlisted sign-up promotes nobody.
    services.signup_cancel(actor=c.user, signup_id=third.id)
    assert Signup.objects.filter(status="confirmed").count() == 1


def test_cancelled_elder_can_sign_up_again_at_the_back_of_the_queue(make_activity, make_elders):
    activity = make_activity(capacity=1)
    a, b = make_elders(2)
    first = services.activity_signup(actor=a.user, activity_id=activity.id, elder=a)
    services.activity_signup(actor=b.user, activity_id=activity.id, elder=b)
    services.signup_cancel(actor=a.user, signup_id=first.id)
    again = services.activity_signup(actor=a.user, activity_id=activity.id, elder=a)
    assert again.status == SignupStatus.WAITLISTED and again.seq == 3


def test_raising_capacity_promotes_in_order_and_lowering_below_signups_is_refused(
    make_activity, make_elders, worker_a
):
    activity = make_activity(capacity=1)
    elders = make_elders(4)
    signups = [services.activity_signup(actor=e.user, activity_id=activity.id, elder=e) for e in elders]
    services.activity_set_capacity(actor=worker_a, activity_id=activity.id, capacity=3)
    statuses = [Signup.objects.get(pk=s.pk).status for s in signups]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    with pytest.raises(ValidationFailed) as exc:
        services.activity_set_capacity(actor=worker_a, activity_id=activity.id, capacity=2)
    assert "不能少于3" in exc.value.fields["capacity"][0]
    assert Activity.objects.get().capacity == 3


def test_worker_signs_up_for_an_elder_without_a_phone_audited_on_behalf(
    make_activity, worker_b, elder_b, far_station
):
    activity = make_activity(facility=far_station, actor=worker_b)
    signup = services.activity_signup(actor=worker_b, activity_id=activity.id, elder=elder_b)
    assert signup.channel == SignupChannel.PROXY and signup.signed_up_by == worker_b
    event = AuditEvent.objects.get(code="community.signup.created")
    assert event.actor_id == worker_b.pk and event.on_behalf_of_id == elder_b.user_id
    assert Notification.objects.filter(recipient=elder_b.user, template="community.signup.by_proxy").exists()


def test_family_and_assistant_channels(make_activity, elder_a, family_a, make_elders):
    activity = make_activity()
    by_family = services.activity_signup(actor=family_a, activity_id=activity.id, elder=elder_a)
    assert by_family.channel == SignupChannel.FAMILY
    (other,) = make_elders(1)
    by_assistant = services.activity_signup(
        actor=other.user, activity_id=activity.id, elder=other, channel="assistant"
    )
    assert by_assistant.channel == SignupChannel.ASSISTANT
    with pytest.raises(ValidationFailed):
        services.activity_signup(actor=family_a, activity_id=activity.id, elder=elder_a, channel="walk_in")


def test_nobody_else_signs_an_elder_up(make_activity, elder_a, elder_b, worker_b, volunteer_a):
    activity = make_activity()
    for actor in (elder_b.user, worker_b, volunteer_a.user):
        with pytest.raises(Forbidden):
            services.activity_signup(actor=actor, activity_id=activity.id, elder=elder_a)
    assert not Signup.objects.exists()


def test_unknown_cancelled_and_started_activities(make_activity, elder_a, worker_a):
    with pytest.raises(NotFound):
        services.activity_signup(actor=elder_a.user, activity_id=999999, elder=elder_a)
    activity = make_activity()
    services.activity_cancel(actor=worker_a, activity_id=activity.id, reason="台风")
    with pytest.raises(Conflict) as exc:
        services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    assert "已取消" in str(exc.value.message)
    started = make_activity(starts_in=dt.timedelta(minutes=5))
    with clock.frozen(started.start_at + dt.timedelta(minutes=1)):
        with pytest.raises(Conflict) as exc:
            services.activity_signup(actor=elder_a.user, activity_id=started.id, elder=elder_a)
        assert "已经开始" in str(exc.value.message)
        # ...but a worker at the door may still add someone while places are free.
        assert (
            services.activity_signup(actor=worker_a, activity_id=started.id, elder=elder_a).status
            == "confirmed"
        )


def test_cancelling_an_activity_tells_everyone_signed_up(make_activity, make_elders, worker_a):
    activity = make_activity(capacity=1)
    a, b = make_elders(2)
    services.activity_signup(actor=a.user, activity_id=activity.id, elder=a)
    services.activity_signup(actor=b.user, activity_id=activity.id, elder=b)
    with pytest.raises(ValidationFailed):
        services.activity_cancel(actor=worker_a, activity_id=activity.id, reason=" ")
    services.activity_cancel(actor=worker_a, activity_id=activity.id, reason="场地维修")
    notes = Notification.objects.filter(template="community.activity.cancelled")
    assert {n.recipient_id for n in notes} == {a.user_id, b.user_id}
    assert notes.first().data["reason"] == "场地维修"
    assert not ActivityReminder.objects.filter(done_at__isnull=True).exists()


def test_staff_outside_the_facility_cannot_publish_there(worker_b, station):
    start = clock.now() + dt.timedelta(days=1)
    with pytest.raises(Forbidden):
        services.activity_create(
            actor=worker_b,
            facility=station,
            title="书法",
            kind="culture",
            start_at=start,
            end_at=start + dt.timedelta(hours=1),
            capacity=5,
        )


def test_activity_input_is_checked_field_by_field(worker_a, station):
    start = clock.now() - dt.timedelta(hours=1)
    with pytest.raises(ValidationFailed) as exc:
        services.activity_create(
            actor=worker_a,
            facility=station,
            title=" ",
            kind="karaoke",
            start_at=start,
            end_at=start - dt.timedelta(hours=1),
            capacity=0,
            tags=["一个非常非常非常非常长的关键词"],
        )
    assert set(exc.value.fields) == {"title", "kind", "start_at", "end_at", "capacity", "tags"}
    assert not Activity.objects.exists()


def test_weekly_series_generates_four_weeks_and_the_worker_tops_it_up(worker_a, station):
    with clock.frozen(NOW):
        series = services.series_create(
            actor=worker_a,
            facility=station,
            title="粤剧社排练",
            kind="culture",
            weekday=2,  # Wednesday
            start_time=dt.time(15, 0),
            duration_minutes=120,
            capacity=20,
            starts_on=NOW.date(),
            tags=["粤剧", "粤曲"],
        )
        starts = [clock.local(a.start_at) for a in Activity.objects.filter(series=series)]
        assert [s.date() for s in starts] == [
            dt.date(2026, 3, 4),
            dt.date(2026, 3, 11),
            dt.date(2026, 3, 18),
            dt.date(2026, 3, 25),
        ]
        assert all(s.hour == 15 and s.weekday() == 2 for s in starts)
        assert services.extend_series("w1") == 0  # nothing missing yet
    with clock.frozen(NOW + dt.timedelta(days=10)):
        from shiguang.core import worker

        worker.run_once("w1")
        dates = sorted(clock.local(a.start_at).date() for a in Activity.objects.filter(series=series))
        assert dates[-1] == dt.date(2026, 4, 8) and len(dates) == len(set(dates)) == 6
        assert services.extend_series("w1") == 0
    with clock.frozen(NOW + dt.timedelta(days=11)):
        services.series_end(actor=worker_a, series_id=series.id, reason="老师休假")
        assert not ActivitySeries.objects.get().active
        assert (
            Activity.objects.filter(series=series, status="scheduled", start_at__gt=clock.now()).count() == 0
        )


def test_checkin_only_inside_the_window(make_activity, elder_a):
    activity = make_activity(starts_in=dt.timedelta(days=1), hours=2)
    services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    with clock.frozen(activity.start_at - dt.timedelta(minutes=31)), pytest.raises(ValidationFailed) as exc:
        services.activity_checkin(actor=elder_a.user, code=activity.checkin_code)
    assert exc.value.code == "outside_checkin_window"
    assert "不在签到时间内" in str(exc.value.message) and "至" in str(exc.value.message)
    with clock.frozen(activity.end_at + dt.timedelta(minutes=1)), pytest.raises(ValidationFailed):
        services.activity_checkin(actor=elder_a.user, code=activity.checkin_code)
    assert Signup.objects.get().checked_in_at is None
    with clock.frozen(activity.start_at - dt.timedelta(minutes=10)):
        signup = services.activity_checkin(actor=elder_a.user, code=activity.checkin_code)
        assert signup.checked_in_at == clock.now() and signup.checkin_method == "qr"
        with pytest.raises(Conflict):
            services.activity_checkin(actor=elder_a.user, code=activity.checkin_code)


def test_walk_in_at_the_door_while_places_are_free(make_activity, make_elders):
    activity = make_activity(capacity=1)
    a, b = make_elders(2)
    with clock.frozen(activity.start_at):
        walk_in = services.activity_checkin(actor=a.user, code=activity.checkin_code)
        assert walk_in.channel == SignupChannel.WALK_IN and walk_in.status == "confirmed"
        with pytest.raises(Conflict) as exc:
            services.activity_checkin(actor=b.user, code=activity.checkin_code)
        assert "名额已满" in str(exc.value.message)
    with pytest.raises(NotFound):
        services.activity_checkin(actor=a.user, code="not-a-code")


def test_staff_mark_attendance_from_the_roster(make_activity, elder_a, worker_a, worker_b):
    activity = make_activity()
    signup = services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    with pytest.raises(ValidationFailed):  # too early
        services.attendance_mark(actor=worker_a, signup_id=signup.id, attended=True)
    with clock.frozen(activity.start_at + dt.timedelta(minutes=5)):
        with pytest.raises(Forbidden):
            services.attendance_mark(actor=worker_b, signup_id=signup.id, attended=True)
        marked = services.attendance_mark(actor=worker_a, signup_id=signup.id, attended=True)
        assert marked.checkin_method == "staff" and marked.checked_in_by == worker_a
        assert (
            services.attendance_mark(actor=worker_a, signup_id=signup.id, attended=False).checked_in_at
            is None
        )
    with clock.frozen(activity.end_at + dt.timedelta(days=8)), pytest.raises(Conflict):
        services.attendance_mark(actor=worker_a, signup_id=signup.id, attended=True)


def test_activities_for_elder_near_this_week_with_keywords(
    make_activity, elder_a, far_station, district_staff
):
    taiji = make_activity(title="太极晨练", kind="exercise", tags=["八段锦"])
    phone = make_activity(title="智能手机课", kind="learning", starts_in=dt.timedelta(days=3))
    talk = make_activity(title="高血压防治", kind="health_talk", starts_in=dt.timedelta(days=4))
    make_activity(title="远处的粤剧", kind="culture", facility=far_station, actor=district_staff)  # 6 km away
    make_activity(title="下个月的电影", kind="film", starts_in=dt.timedelta(days=20))
    near = list(selectors.activities_for_elder(elder_a))
    assert near == [taiji, phone, talk]
    assert list(selectors.activities_for_elder(elder_a, keyword="太极")) == [taiji]
    assert list(selectors.activities_for_elder(elder_a, keyword="太极拳")) == [taiji]  # suffix stripped
    assert list(selectors.activities_for_elder(elder_a, keyword="八段锦")) == [taiji]  # free keyword
    assert list(selectors.activities_for_elder(elder_a, keyword="手机课")) == [phone]
    assert list(selectors.activities_for_elder(elder_a, keyword="讲座")) == [talk]  # kind word
    assert list(selectors.activities_for_elder(elder_a, keyword="跳舞")) == [taiji]  # exercise kind
    assert list(selectors.activities_for_elder(elder_a, keyword="游泳")) == []
    assert selectors.activities_for_elder(elder_a, days=30).count() == 4
    cards = selectors.cards(near, elder_a)
    assert cards[0].distance_km is not None and cards[0].distance_km < 1
    assert cards[0].seats_left == 10


def test_radius_is_a_district_rule(make_activity, elder_a, far_station, district_staff):
    far = make_activity(title="远处的粤剧", kind="culture", facility=far_station, actor=district_staff)
    assert far not in selectors.activities_for_elder(elder_a)
    services.rule_set(actor=district_staff, key="activity_radius_km", value="8")
    assert far in selectors.activities_for_elder(elder_a)
