"""Reminders are due rows: scheduled at sign-up (the day before and an hour before), claimed and sent by the
task worker (core.worker.run_once) exactly once, and skipped when no longer wanted."""

from __future__ import annotations

import datetime as dt

from shiguang.community import services
from shiguang.community.models import ActivityReminder, Certification
from shiguang.core import clock, worker
from shiguang.notify.models import Notification
from shiguang.people import services as people_services


def _reminders(recipient):
    return list(
        Notification.objects.filter(recipient=recipient, template="community.activity.reminder").order_by(
            "id"
        )
    )


def test_signup_schedules_two_reminders_that_the_worker_sends_once_each(make_activity, elder_a):
    activity = make_activity(starts_in=dt.timedelta(days=3))
    signup = services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    rows = {r.kind: r for r in ActivityReminder.objects.filter(signup=signup)}
    assert rows["day_before"].due_at == activity.start_at - dt.timedelta(days=1)
    assert rows["hour_before"].due_at == activity.start_at - dt.timedelta(hours=1)

    with clock.frozen(activity.start_at - dt.timedelta(days=2)):
        worker.run_once("w1")
    assert _reminders(elder_a.user) == []  # nothing due yet

    with clock.frozen(activity.start_at - dt.timedelta(hours=23)):
        worker.run_once("w1")
        worker.run_once("w2")  # a second worker finds nothing left
    sent = _reminders(elder_a.user)
    assert len(sent) == 1 and sent[0].data["kind"] == "day_before"
    assert sent[0].data["title"] == activity.title and sent[0].data["place"] == "测试甲站"
    assert ActivityReminder.objects.get(signup=signup, kind="day_before").outcome == "sent"

    with clock.frozen(activity.start_at - dt.timedelta(minutes=50)):
        worker.run_once("w1")
    assert [n.data["kind"] for n in _reminders(elder_a.user)] == ["day_before", "hour_before"]
    assert not ActivityReminder.objects.filter(done_at__isnull=True).exists()


def test_cancelled_signup_gets_no_reminder(make_activity, elder_a):
    activity = make_activity(starts_in=dt.timedelta(days=3))
    signup = services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    services.signup_cancel(actor=elder_a.user, signup_id=signup.id)
    with clock.frozen(activity.start_at - dt.timedelta(minutes=30)):
        worker.run_once("w1")
    assert _reminders(elder_a.user) == []
    assert set(ActivityReminder.objects.values_list("outcome", flat=True)) == {"skipped"}


def test_a_late_worker_sends_only_the_latest_reminder(make_activity, elder_a):
    activity = make_activity(starts_in=dt.timedelta(days=3))
    services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    with clock.frozen(activity.start_at - dt.timedelta(minutes=20)):  # the worker was down for a day
        worker.run_once("w1")
    assert [n.data["kind"] for n in _reminders(elder_a.user)] == ["hour_before"]


def test_waitlisted_elders_get_reminders_once_promoted(make_activity, make_elders):
    activity = make_activity(capacity=1, starts_in=dt.timedelta(days=3))
    a, b = make_elders(2)
    first = services.activity_signup(actor=a.user, activity_id=activity.id, elder=a)
    services.activity_signup(actor=b.user, activity_id=activity.id, elder=b)
    assert ActivityReminder.objects.filter(signup__elder=b).count() == 0
    services.signup_cancel(actor=a.user, signup_id=first.id)
    with clock.frozen(activity.start_at - dt.timedelta(hours=23)):
        worker.run_once("w1")
    assert len(_reminders(b.user)) == 1 and _reminders(a.user) == []


def test_family_of_an_elder_without_a_phone_gets_the_reminder(
    make_activity, worker_b, elder_b, far_station, system
):
    from shiguang.accounts import services as account_services

    daughter = account_services.user_create(
        actor=system, role="family", display_name="李女儿", phone="13900139009"
    )
    people_services.family_link(actor=worker_b, elder=elder_b, family_user=daughter, relation="daughter")
    activity = make_activity(facility=far_station, actor=worker_b, starts_in=dt.timedelta(days=3))
    services.activity_signup(actor=worker_b, activity_id=activity.id, elder=elder_b)
    with clock.frozen(activity.start_at - dt.timedelta(hours=23)):
        worker.run_once("w1")
    assert len(_reminders(elder_b.user)) == 1 and len(_reminders(daughter)) == 1


def test_certification_expiry_reminder_30_days_before_through_the_worker(approved_volunteer, worker_a):
    today = clock.today()
    cert = services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="fall_response",
        issued_on=today - dt.timedelta(days=300),
        expires_on=today + dt.timedelta(days=40),
    )
    assert cert.remind_on == cert.expires_on - dt.timedelta(days=30)
    worker.run_once("w1")
    assert not Notification.objects.filter(template="community.certification.expiring").exists()
    with clock.frozen(clock.now() + dt.timedelta(days=11)):
        worker.run_once("w1")
        worker.run_once("w2")
    notes = Notification.objects.filter(template="community.certification.expiring")
    assert notes.count() == 1 and notes.get().recipient == approved_volunteer.user
    assert notes.get().data["days"] == 29
    assert Certification.objects.get().reminded_at is not None


def test_a_renewed_certification_is_not_reminded(approved_volunteer, worker_a):
    today = clock.today()
    services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="anti_fraud",
        issued_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=10),
    )
    services.certification_record(
        actor=worker_a,
        volunteer=approved_volunteer,
        kind="anti_fraud",
        issued_on=today,
        expires_on=today + dt.timedelta(days=730),
    )
    worker.run_once("w1")
    assert not Notification.objects.filter(template="community.certification.expiring").exists()
    assert Certification.objects.filter(reminded_at__isnull=False).count() == 1
