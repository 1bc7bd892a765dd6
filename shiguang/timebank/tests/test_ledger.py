"""The life of time-bank hours: earned by service, capped, given, granted, spent, reversed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification
from shiguang.timebank import selectors, services
from shiguang.timebank.choices import AccountKind, PostingKind, TransactionKind
from shiguang.timebank.models import Account, LedgerTransaction, Posting
from shiguang.timebank.tests.conftest import assert_ledger_ok


def balance(user) -> Decimal:
    return selectors.balance_for(user)


def test_confirmed_service_mints_hours_for_the_provider(post, volunteer_a, elder_a):
    txn = post(volunteer_a.user, 90)
    assert txn.kind == TransactionKind.SERVICE
    assert txn.amount == 90 and txn.policy.version == 1
    assert balance(volunteer_a.user) == Decimal("1.50")
    postings = {p.kind: p.amount for p in txn.postings.all()}
    assert postings == {PostingKind.MINT: -90, PostingKind.EARN: 90}
    assert all(p.policy_id == txn.policy_id for p in txn.postings.all())
    assert AuditEvent.objects.filter(code="timebank.service.posted", target_id=str(txn.pk)).exists()
    assert Notification.objects.filter(recipient=volunteer_a.user, template="timebank.earned").exists()
    assert balance(elder_a.user) == 0  # receiving help costs nothing under the default policy
    assert_ledger_ok()


def test_same_key_posts_once(post, volunteer_a):
    first = post(volunteer_a.user, 60, key="aid:request:7")
    again = post(volunteer_a.user, 60, key="aid:request:7")
    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 1
    assert balance(volunteer_a.user) == Decimal("1.00")


def test_category_weight_from_the_policy(post, volunteer_a, district_staff):
    services.policy_create(
        actor=district_staff, weights={"medical_escort": "1.5", "companionship": "0.8"}, note="陪诊加权"
    )
    escort = post(volunteer_a.user, 60, category="medical_escort")
    chat = post(volunteer_a.user, 45, category="companionship")
    assert (escort.amount, escort.weight) == (90, Decimal("1.50"))
    assert chat.amount == 36  # 45 x 0.8
    assert escort.policy.version == 2
    assert balance(volunteer_a.user) == Decimal("2.10")


def test_cap_overflow_goes_to_the_priority_pool(post, volunteer_a, district_staff):
    services.policy_create(actor=district_staff, weights={}, cap_hours=2, note="小上限")
    post(volunteer_a.user, 90)
    txn = post(volunteer_a.user, 60)
    assert balance(volunteer_a.user) == Decimal("2.00")
    pool = selectors.priority_pool()
    assert pool.balance == 30
    kinds = sorted((p.kind, p.amount) for p in txn.postings.all())
    assert kinds == sorted(
        [
            (PostingKind.MINT, -60),
            (PostingKind.EARN, 60),
            (PostingKind.OVERFLOW_OUT, -30),
            (PostingKind.OVERFLOW_IN, 30),
        ]
    )
    # the overflow still counts as earned for the stars
    assert selectors.account_of(volunteer_a.user).earned == 150
    post(volunteer_a.user, 30)
    assert balance(volunteer_a.user) == Decimal("2.00") and selectors.priority_pool().balance == 60
    assert_ledger_ok()


def test_star_levels_follow_lifetime_earnings(post, volunteer_a, district_staff):
    services.policy_create(
        actor=district_staff,
        weights={},
        star_thresholds_hours=[1, 2, 3, 4, 5],
        max_service_minutes=600,
        note="t",
    )
    assert selectors.star_level(volunteer_a.user) == 0
    post(volunteer_a.user, 60)
    assert selectors.star_level(volunteer_a.user) == 1
    post(volunteer_a.user, 150)
    assert selectors.star_level(volunteer_a.user) == 3
    assert Notification.objects.filter(recipient=volunteer_a.user, template="timebank.star").count() == 2
    post(volunteer_a.user, 600)
    assert selectors.star_level(volunteer_a.user) == 5
    # giving hours away does not lower the stars
    services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="priority", minutes=600)
    assert selectors.star_level(volunteer_a.user) == 5


def test_default_star_thresholds(volunteer_a):
    assert selectors.star_level_for_minutes(99 * 60 + 59, [100, 300, 600, 1000, 1500]) == 0
    assert selectors.star_level_for_minutes(100 * 60, [100, 300, 600, 1000, 1500]) == 1
    assert selectors.star_level_for_minutes(1500 * 60, [100, 300, 600, 1000, 1500]) == 5
    assert selectors.star_level(volunteer_a.user) == 0 and selectors.balance_for(volunteer_a.user) == 0


def test_transfer_to_a_relative(post, volunteer_a, family_a, elder_a):
    post(family_a, 120, receiver=elder_a.user, actor=elder_a.user)  # the daughter helped too
    txn = services.transfer(
        actor=family_a, sender=family_a, recipient=elder_a.user, minutes=60, note="给妈妈"
    )
    assert txn.kind == TransactionKind.TRANSFER and txn.source == "relative"
    assert balance(family_a) == Decimal("1.00") and balance(elder_a.user) == Decimal("1.00")
    assert Notification.objects.filter(recipient=elder_a.user, template="timebank.received").exists()
    assert AuditEvent.objects.filter(code="timebank.transfer.made").count() == 1
    assert_ledger_ok()


def test_transfer_to_an_eligible_elder(post, volunteer_a, elder_b):
    post(volunteer_a.user, 60)
    txn = services.transfer(
        actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=30
    )
    assert txn.source == "priority_elder"
    assert balance(elder_b.user) == Decimal("0.50")


def test_transfer_overflow_at_recipient_cap(post, volunteer_a, volunteer_b, elder_b, district_staff):
    services.policy_create(actor=district_staff, weights={}, cap_hours=1, note="t")
    post(volunteer_a.user, 60)
    post(volunteer_b.user, 60)
    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=40)
    services.transfer(actor=volunteer_b.user, sender=volunteer_b.user, recipient=elder_b.user, minutes=40)
    assert selectors.account_of(elder_b.user).balance == 60
    assert selectors.priority_pool().balance == 20
    assert_ledger_ok()


def test_donations_to_pools_and_grants(post, volunteer_a, worker_a, district_staff, elder_a, futian):
    post(volunteer_a.user, 180)
    services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="community", minutes=60)
    services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="priority", minutes=60)
    community_pool = selectors.community_pool(futian["a"])
    assert community_pool.balance == 60 and selectors.priority_pool().balance == 60
    grant = services.pool_grant(
        actor=worker_a,
        pool="community",
        community=futian["a"],
        recipient=elder_a.user,
        minutes=30,
        reason="独居",
    )
    assert grant.on_behalf_of_id == elder_a.user.pk
    services.pool_grant(
        actor=district_staff, pool="priority", recipient=elder_a.user, minutes=45, reason="高龄"
    )
    assert selectors.account_of(elder_a.user).balance == 75
    assert Account.objects.get(pk=community_pool.pk).balance == 30
    assert_ledger_ok()


def test_redeem_on_request_spends_and_retires_hours(post, volunteer_a, elder_a, family_a):
    post(family_a, 120, receiver=elder_a.user, actor=elder_a.user)
    services.transfer(actor=family_a, sender=family_a, recipient=elder_a.user, minutes=120)
    txn = services.redeem_service(
        actor=elder_a.user,
        idempotency_key="station:1",
        person=elder_a.user,
        minutes=60,
        category="meal",
        source="station",
    )
    assert txn.kind == TransactionKind.REDEMPTION
    assert balance(elder_a.user) == Decimal("1.00")
    retire = Account.objects.get(kind=AccountKind.REDEMPTION)
    assert retire.balance == 60
    assert_ledger_ok()


def test_redeem_on_service_consumes_receiver_hours(post, volunteer_a, volunteer_b, elder_a, district_staff):
    services.policy_create(actor=district_staff, weights={}, redeem_mode="on_service", note="受助方付时")
    post(volunteer_b.user, 30, receiver=elder_a.user)  # the elder has no account yet: free
    assert selectors.account_of(elder_a.user) is None
    # give the elder 40 minutes, then receive a 60-minute service: 40 are paid, 20 are free
    post(volunteer_a.user, 60, receiver=elder_a.user)
    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_a.user, minutes=40)
    service = post(volunteer_b.user, 60, receiver=elder_a.user)
    redemption = LedgerTransaction.objects.get(related=service)
    assert redemption.kind == TransactionKind.REDEMPTION and redemption.amount == 40
    assert balance(elder_a.user) == 0
    assert selectors.account_of(volunteer_b.user).balance == 90  # the provider always earns in full
    assert_ledger_ok()


def test_elder_credit_limit_for_redemption(elder_a, district_staff):
    services.policy_create(actor=district_staff, weights={}, elder_credit_limit_hours=2, note="可透支2小时")
    services.redeem_service(
        actor=elder_a.user,
        idempotency_key="r1",
        person=elder_a.user,
        minutes=90,
        category="meal",
        source="station",
    )
    account = selectors.account_of(elder_a.user)
    assert account.balance == -90 and account.min_balance == -120
    assert_ledger_ok()


def test_reversal_undoes_a_service(post, volunteer_a, worker_a):
    txn = post(volunteer_a.user, 60)
    reversal = services.reverse(actor=worker_a, transaction_id=txn.pk, reason="服务未发生")
    assert reversal.reverses_id == txn.pk and reversal.kind == TransactionKind.REVERSAL
    assert balance(volunteer_a.user) == 0
    assert selectors.account_of(volunteer_a.user).earned == 0
    assert LedgerTransaction.objects.filter(pk=txn.pk).exists()  # the original stays
    assert Posting.objects.count() == 4
    assert Notification.objects.filter(recipient=volunteer_a.user, template="timebank.reversed").exists()
    assert_ledger_ok()


def test_reversing_a_service_refunds_its_redemption(post, volunteer_a, volunteer_b, elder_a, district_staff):
    services.policy_create(actor=district_staff, weights={}, redeem_mode="on_service", note="t")
    post(volunteer_a.user, 60, receiver=elder_a.user)
    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_a.user, minutes=60)
    service = post(volunteer_b.user, 60, receiver=elder_a.user)
    assert balance(elder_a.user) == 0
    services.reverse(actor=district_staff, transaction_id=service.pk, reason="重复登记")
    assert balance(elder_a.user) == Decimal("1.00") and balance(volunteer_b.user) == 0
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 2
    assert_ledger_ok()


def test_policy_versions_apply_from_their_effective_time(post, volunteer_a, district_staff):
    import datetime as dt

    from shiguang.core import clock

    start = clock.now()
    with clock.frozen(start):
        later = services.policy_create(
            actor=district_staff,
            weights={"companionship": "2"},
            effective_from=start + dt.timedelta(days=7),
            note="下周起陪伴加倍",
        )
        now_txn = post(volunteer_a.user, 60)
        assert now_txn.policy.version == 1 and now_txn.amount == 60
        assert selectors.policy_in_force().version == 1
        assert list(selectors.scheduled_policies()) == [later]
    with clock.frozen(start + dt.timedelta(days=8)):
        later_txn = post(volunteer_a.user, 60)
        assert later_txn.policy == later and later_txn.amount == 120
    # the first posting keeps the version it was computed with
    assert LedgerTransaction.objects.get(pk=now_txn.pk).policy.version == 1


@pytest.mark.parametrize("field", ["weights", "cap_minutes"])
def test_policy_versions_are_never_edited(district_staff, field):
    from shiguang.timebank.models import Immutable

    policy = services.policy_create(actor=district_staff, weights={}, note="t")
    setattr(policy, field, {} if field == "weights" else 60)
    with pytest.raises(Immutable):
        policy.save()


def test_reversing_a_service_that_overflowed(post, volunteer_a, worker_a, district_staff):
    """Found by the state machine: the reversal's postings must not make the balance dip below the floor
    on the way (the floor CHECK sees every posting as it is applied)."""
    services.policy_create(actor=district_staff, weights={"medical_escort": "1.5"}, cap_hours=3, note="t")
    txn = post(volunteer_a.user, 121, category="medical_escort")  # 182 minutes: 180 to the cap, 2 overflow
    assert selectors.account_of(volunteer_a.user).balance == 180
    services.reverse(actor=worker_a, transaction_id=txn.pk, reason="登记错了")
    assert selectors.account_of(volunteer_a.user).balance == 0 and selectors.priority_pool().balance == 0
    assert_ledger_ok()
