"""The whole way from a request to confirmed hours, through the services, and who may act for the elder."""

from __future__ import annotations

import datetime as dt

import pytest

from shiguang.aid import checkin, selectors, services
from shiguang.aid.models import AidTimer, HelpRequest, Invitation, Rating, ServiceRecord
from shiguang.aid.tests.conftest import in_hours, needs_timebank, run_timers
from shiguang.core import clock
from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification


def codes(request_id: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="aid.helprequest", target_id=str(request_id))
        .order_by("id")
        .values_list("code", flat=True)
    )


@needs_timebank
def test_request_to_confirmed_hours(elder, volunteer, post, family_a):
    from shiguang.timebank.selectors import balance_for

    req = post(description="买米、买菜", duration_minutes=60)
    assert req.status == "open" and req.location_source == "home"
    assert req.lat == elder.home_lat and req.community_id == elder.community_id
    assert AidTimer.objects.filter(request=req, kind="request_expire", due_at=req.expires_at).exists()

    run_timers()  # the first dispatch round
    req.refresh_from_db()
    assert req.status == "offered" and req.dispatch_round == 1
    invitation = Invitation.objects.get(request=req, volunteer=volunteer)
    assert invitation.status == "pending" and invitation.factors["factors"]["skill"] == 20
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.invite").exists()

    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    req.refresh_from_db()
    assert (req.status, req.assignee_id) == ("accepted", volunteer.pk)
    assert Notification.objects.filter(recipient=elder.user, template="aid.request.accepted").exists()
    assert Notification.objects.filter(recipient=family_a, template="aid.request.accepted").exists()

    code = checkin.current(elder).code
    services.help_request_check_in(actor=volunteer.user, request_id=req.pk, method="code", code=code)
    req.refresh_from_db()
    assert req.status == "in_service" and req.checkin_method == "code"
    assert Notification.objects.filter(recipient=family_a, template="aid.request.checked_in").exists()

    with clock.frozen(clock.now() + dt.timedelta(minutes=52)):
        services.help_request_check_out(actor=volunteer.user, request_id=req.pk, summary="买了米和青菜")
    req.refresh_from_db()
    assert req.status == "done" and req.proposed_minutes == 55
    assert ServiceRecord.objects.get(request=req).minutes_served in (52, 53)

    services.help_request_confirm(actor=elder.user, request_id=req.pk)
    req.refresh_from_db()
    assert req.status == "confirmed" and req.credited_minutes == 55 and req.ledger_transaction
    assert balance_for(volunteer.user) > 0
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.request.confirmed").exists()

    services.rating_submit(actor=elder.user, request_id=req.pk, score=5, comment="很好")
    services.rating_submit(actor=volunteer.user, request_id=req.pk, score=4)
    assert Rating.objects.filter(request=req).count() == 2
    assert codes(req.pk) == [
        "aid.request.created",
        "aid.dispatch.round",
        "aid.request.accepted",
        "aid.request.checked_in",
        "aid.request.checked_out",
        "aid.request.confirmed",
    ]


def test_worker_posts_for_an_elder_without_a_phone(elder_b, worker_b):
    req = services.help_request_create(
        actor=worker_b,
        elder=elder_b,
        category="medical_escort",
        description="周三去医院复查",
        urgency="soon",
        start_at=in_hours(30),
        duration_minutes=180,
        place="福田区人民医院",
    )
    event = AuditEvent.objects.get(code="aid.request.created", target_id=str(req.pk))
    assert event.actor_id == worker_b.pk and event.on_behalf_of_id == elder_b.user_id
    assert req.place_kind == "other" and req.place == "福田区人民医院"
    # No location consent: dispatch uses the community centre, never the home.
    assert req.location_source == "community" and req.lat == elder_b.community.latitude
    assert req.expires_at == req.start_at + dt.timedelta(minutes=180)


def test_family_posts_and_confirms_for_their_elder(elder, family_a, volunteer):
    req = services.help_request_create(
        actor=family_a, elder=elder, category="companionship", description="", urgency="this_week"
    )
    assert (
        AuditEvent.objects.get(code="aid.request.created", target_id=str(req.pk)).on_behalf_of_id
        == elder.user_id
    )
    # The elder is told a request was posted for her.
    assert Notification.objects.filter(recipient=elder.user, template="aid.request.posted").exists()
    assert list(selectors.open_requests_for(elder)) == [req]
    assert list(selectors.open_requests_for(elder.user)) == [req]


def test_cancel_by_elder_withdraws_invitations_and_tells_invitees(elder, volunteer, post):
    req = post()
    run_timers()
    services.help_request_cancel(actor=elder.user, request_id=req.pk, reason="家人会来帮忙")
    req.refresh_from_db()
    assert req.status == "cancelled" and req.closed_reason == "家人会来帮忙" and req.closed_by == elder.user
    assert Invitation.objects.get(request=req).status == "withdrawn"
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.request.cancelled").exists()
    assert not AidTimer.objects.filter(request=req, done_at__isnull=True).exists()
    assert list(selectors.open_requests_for(elder)) == []


def test_release_puts_the_request_back_and_redispatches_without_that_volunteer(
    elder, volunteer, make_volunteer, post
):
    other = make_volunteer("小李", skills=["shopping"])
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_release(actor=volunteer.user, request_id=req.pk, reason="临时加班")
    req.refresh_from_db()
    assert req.status == "open" and req.assignee is None
    assert Notification.objects.filter(recipient=elder.user, template="aid.request.released").exists()
    run_timers()
    invited = set(
        Invitation.objects.filter(request=req, status="pending").values_list("volunteer_id", flat=True)
    )
    assert invited == {other.pk}


def test_no_show_by_volunteer_then_reopen(elder, volunteer, make_volunteer, post, worker_a):
    req = post(urgency="today")
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_no_show(actor=elder.user, request_id=req.pk, reason="等了一上午没人来")
    req.refresh_from_db()
    assert req.status == "no_show" and req.no_show_party == "volunteer"
    assert Notification.objects.filter(recipient=worker_a, template="aid.request.no_show").exists()
    services.help_request_reopen(actor=worker_a, request_id=req.pk)
    req.refresh_from_db()
    assert req.status == "open" and req.assignee is None and req.closed_reason == ""
    # The volunteer who missed it is not invited again.
    assert Invitation.objects.get(request=req, volunteer=volunteer).status == "withdrawn"


def test_volunteer_reports_nobody_home(elder, volunteer, post):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_no_show(actor=volunteer.user, request_id=req.pk, reason="敲门没人应")
    req.refresh_from_db()
    assert req.no_show_party == "elder"
    with pytest.raises(services.Conflict):
        services.help_request_reopen(actor=elder.user, request_id=req.pk)


@needs_timebank
def test_dispute_resolved_by_the_worker_credits_hours_once(elder, volunteer, post, worker_a):
    from shiguang.timebank.models import LedgerTransaction

    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    services.help_request_check_in(actor=worker_a, request_id=req.pk, method="worker")
    services.help_request_check_out(actor=volunteer.user, request_id=req.pk, summary="打扫")
    dispute = services.dispute_open(
        actor=volunteer.user, request_id=req.pk, reason="长者家属说没来过，其实来了"
    )
    req.refresh_from_db()
    assert req.status == "disputed"
    assert Notification.objects.filter(recipient=worker_a, template="aid.dispute.opened").exists()
    services.dispute_resolve(
        actor=worker_a, dispute_id=dispute.pk, outcome="credit", note="已电话核实", minutes=30
    )
    req.refresh_from_db()
    assert req.status == "confirmed" and req.credited_minutes == 30
    assert LedgerTransaction.objects.filter(idempotency_key=f"aid:{req.pk}").count() == 1
    event = AuditEvent.objects.get(code="aid.dispute.resolved")
    assert event.actor_id == worker_a.pk and event.on_behalf_of_id == elder.user_id


def test_dispute_without_credit_closes_the_request(elder, volunteer, post, worker_a):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    dispute = services.dispute_open(actor=elder.user, request_id=req.pk, reason="志愿者态度不好")
    services.dispute_resolve(actor=worker_a, dispute_id=dispute.pk, outcome="no_credit", note="双方协商取消")
    req.refresh_from_db()
    assert req.status == "cancelled" and "双方协商取消" in req.closed_reason


def test_contact_reveal_needs_consent_and_is_audited(elder, volunteer, post, elder_b, worker_b):
    req = post()
    services.help_request_accept(actor=volunteer.user, request_id=req.pk)
    data = services.contact_reveal(actor=volunteer.user, request_id=req.pk)
    assert data["address"].startswith("深圳市福田区") and data["phone"] == "13800138001"
    assert AuditEvent.objects.filter(code="aid.contact.revealed", actor=volunteer.user).count() == 1
    # Without the elder's consent to share contact details: refused.
    other = services.help_request_create(
        actor=worker_b, elder=elder_b, category="shopping", description="", urgency="today"
    )
    services.help_request_assign(actor=worker_b, request_id=other.pk, volunteer_id=volunteer.pk)
    with pytest.raises(services.Forbidden):
        services.contact_reveal(actor=volunteer.user, request_id=other.pk)


def test_offer_create_extend_withdraw_and_invite(elder, volunteer, post):
    now = clock.now()
    offer = services.offer_create(
        actor=volunteer.user,
        categories=["shopping", "digital_help"],
        available_from=now,
        available_to=now + dt.timedelta(days=3),
        place="南园一带",
        radius_km=2,
    )
    assert AidTimer.objects.filter(offer=offer, kind="offer_expire").exists()
    assert AidTimer.objects.filter(offer=offer, kind="offer_remind").exists()
    assert list(selectors.offers_for(elder.user, category="shopping")) == [offer]
    assert list(selectors.offers_for(elder.user, category="legal")) == []
    req = post()
    invitation = services.offer_invite(actor=elder.user, offer_id=offer.pk, request_id=req.pk)
    assert invitation.volunteer_id == volunteer.pk
    assert Notification.objects.filter(recipient=volunteer.user, template="aid.invite.direct").exists()
    offer = services.offer_extend(actor=volunteer.user, offer_id=offer.pk, days=2)
    services.offer_withdraw(actor=volunteer.user, offer_id=offer.pk)
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert not AidTimer.objects.filter(offer=offer, done_at__isnull=True).exists()


def test_requests_are_scoped(elder, volunteer, post, worker_b, elder_b):
    req = post()
    assert list(selectors.requests_for(worker_b)) == []
    assert list(selectors.requests_for(elder_b.user)) == []
    assert HelpRequest.objects.get(pk=req.pk).elder == elder
