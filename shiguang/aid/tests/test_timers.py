"""Due-time rows: reminders before expiry, expiries, service and confirmation reminders, claimed by the
worker."""

from __future__ import annotations

import datetime as dt

from shiguang.aid import services
from shiguang.aid.models import AidTimer, HelpOffer, Invitation
from shiguang.aid.tests.conftest import in_hours, run_timers
from shiguang.core import clock, worker
from shiguang.notify.models import Notification


def test_the_handler_is_registered_with_the_worker():
    assert worker.handlers()["aid.timers"] is services.run_due_timers


def test_owner_is_reminded_then_the_request_expires(elder, post, family_a, worker_a):
    req = post(urgency="soon")  # two days
    remind = AidTimer.objects.get(request=req, kind="request_remind")
    assert req.expires_at - dt.timedelta(hours=13) < remind.due_at < req.expires_at
    run_timers()  # dispatch: nobody eligible, so the worker is asked
    with clock.frozen(remind.due_at + dt.timedelta(seconds=1)):
        run_timers()
    assert Notification.objects.filter(recipient=elder.user, template="aid.request.expiring").exists()
    assert Notification.objects.filter(recipient=family_a, template="aid.request.expiring").exists()
    req.refresh_from_db()
    assert req.status == "open"
    with clock.frozen(req.expires_at + dt.timedelta(seconds=1)):
        run_timers()
    req.refresh_from_db()
    assert req.status == "expired" and req.closed_at is not None
    assert Notification.objects.filter(recipient=elder.user, template="aid.request.expired").exists()
    assert not AidTimer.objects.filter(request=req, done_at__isnull=True).exists()


def test_an_accepted_request_does_not_expire_or_remind(elder, volunteer, post):
    req = post(urgency="soon")
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    with clock.frozen(req.expires_at + dt.timedelta(minutes=1)):
        run_timers()
    req.refresh_from_db()
    assert req.status == "accepted"
    assert not Notification.objects.filter(
        template__in=["aid.request.expiring", "aid.request.expired"]
    ).exists()


def test_volunteer_is_reminded_before_the_start(elder, volunteer, post):
    req = post(urgency="soon", start_at=in_hours(5))
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    timer = AidTimer.objects.get(request=req, kind="service_remind")
    assert timer.due_at == req.start_at - dt.timedelta(hours=1)
    with clock.frozen(timer.due_at + dt.timedelta(seconds=1)):
        run_timers()
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.service.upcoming").exists()


def test_unconfirmed_service_reminds_the_elder_side_and_the_worker(elder, volunteer, post, worker_a):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_check_in(actor=worker_a, request_id=req.pk, method="worker")
    services.help_request_check_out(actor=volunteer.user, request_id=req.pk, summary="做完了")
    with clock.frozen(clock.now() + dt.timedelta(hours=25)):
        run_timers()
    assert Notification.objects.filter(recipient=elder.user, template="aid.confirm.reminder").exists()
    assert Notification.objects.filter(recipient=worker_a, template="aid.confirm.reminder").exists()


def test_offer_reminder_and_expiry(volunteer):
    now = clock.now()
    offer = services.offer_create(
        actor=volunteer.user,
        categories=["companionship"],
        available_from=now,
        available_to=now + dt.timedelta(days=2),
    )
    with clock.frozen(offer.available_to - dt.timedelta(hours=11)):
        run_timers()
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.offer.expiring").exists()
    with clock.frozen(offer.available_to + dt.timedelta(seconds=1)):
        run_timers()
    assert HelpOffer.objects.get(pk=offer.pk).status == "expired"
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.offer.expired").exists()


def test_a_round_that_times_out_expires_its_invitations(elder, make_volunteer, post, district_staff):
    services.policy_update(
        actor=district_staff,
        district=elder.community.street.district,
        changes={"invite_batch": 1, "max_rounds": 5},
    )
    first, second = make_volunteer("一"), make_volunteer("二", lat=22.546)
    req = post()
    run_timers()
    assert Invitation.objects.get(request=req, round=1).volunteer == first
    due = Invitation.objects.get(request=req, round=1).due_at
    with clock.frozen(due + dt.timedelta(seconds=1)):
        run_timers()
    assert Invitation.objects.get(request=req, volunteer=first).status == "expired"
    assert Invitation.objects.get(request=req, round=2).volunteer == second


def test_a_claimed_row_is_not_run_twice_and_a_failing_row_is_retried_then_dropped(elder, post, monkeypatch):
    req = post()
    ids = services._claim_timers("w1", 10)
    assert ids and services._claim_timers("w2", 10) == []  # claimed rows are invisible to others
    calls = []

    def boom(timer):
        calls.append(timer.pk)
        raise RuntimeError("gateway down")

    monkeypatch.setitem(services.TIMER_HANDLERS, "dispatch", boom)
    for tid in ids:
        services._run_timer(tid, "w1")
    timer = AidTimer.objects.get(request=req, kind="dispatch")
    assert timer.done_at is None and "gateway down" in timer.last_error
    for _ in range(services.TIMER_MAX_ATTEMPTS):
        with clock.frozen(clock.now() + dt.timedelta(minutes=2 * (len(calls) + 1))):
            services.run_due_timers("w1")
    timer.refresh_from_db()
    assert timer.done_at is not None and timer.attempts == services.TIMER_MAX_ATTEMPTS
