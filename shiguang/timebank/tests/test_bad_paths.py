"""Every bad path: a clear error (403/404/409/422 with a message) and nothing written."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from shiguang.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.timebank import selectors, services
from shiguang.timebank.models import Account, Immutable, LedgerTransaction, Posting


def _snapshot() -> tuple[Any, ...]:
    return (
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        AuditEvent.objects.filter(code__startswith="timebank.").count(),
        tuple(Account.objects.order_by("id").values_list("id", "balance", "earned")),
    )


@contextlib.contextmanager
def refused(kind: type[DomainError], *, message: str = "") -> Iterator[None]:
    before = _snapshot()
    with pytest.raises(kind) as info:
        yield
    assert str(info.value.message), "the error must carry a message"
    if message:
        text = str(info.value.message) + " " + " ".join(m for ms in info.value.fields.values() for m in ms)
        assert message in text
    assert _snapshot() == before, "a refused request wrote something"


def _service(actor, provider, receiver, minutes=60, category="companionship", key="k1"):
    return services.post_service(
        actor=actor,
        idempotency_key=key,
        provider=provider,
        receiver=receiver,
        minutes=minutes,
        category=category,
        source="test",
    )


@pytest.mark.parametrize("minutes", [0, -30, 721, 10**9, "60", 1.5, True, None])
def test_negative_zero_or_absurd_service_minutes(volunteer_a, elder_a, minutes):
    with refused(ValidationFailed):
        _service(elder_a.user, volunteer_a.user, elder_a.user, minutes=minutes)


def test_unknown_category_and_self_service(volunteer_a, elder_a):
    with refused(ValidationFailed, message="服务类别"):
        _service(elder_a.user, volunteer_a.user, elder_a.user, category="massage")
    with refused(ValidationFailed, message="同一人"):
        _service(None, volunteer_a.user, volunteer_a.user)
    with refused(ValidationFailed, message="幂等键"):
        _service(elder_a.user, volunteer_a.user, elder_a.user, key="  ")


def test_provider_cannot_confirm_own_hours(volunteer_a, elder_a):
    with refused(Forbidden, message="不能由服务者本人"):
        _service(volunteer_a.user, volunteer_a.user, elder_a.user)


def test_strangers_and_out_of_scope_staff_cannot_confirm(volunteer_a, volunteer_b, elder_a, worker_b):
    with refused(Forbidden):
        _service(volunteer_b.user, volunteer_a.user, elder_a.user)
    with refused(Forbidden, message="本辖区"):
        _service(worker_b, volunteer_a.user, elder_a.user)


def test_posting_twice_with_other_details_is_a_conflict(volunteer_a, volunteer_b, elder_a):
    _service(elder_a.user, volunteer_a.user, elder_a.user, key="aid:1")
    with refused(Conflict, message="幂等键"):
        _service(elder_a.user, volunteer_a.user, elder_a.user, minutes=90, key="aid:1")
    with refused(Conflict):
        _service(elder_a.user, volunteer_b.user, elder_a.user, key="aid:1")


def test_transfer_above_balance(post, volunteer_a, elder_b):
    post(volunteer_a.user, 60)
    with refused(Conflict, message="余额不足"):
        services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=61)
    with refused(Conflict, message="余额不足"):
        services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="priority", minutes=61)


def test_transfer_with_no_account_at_all(volunteer_a, elder_b):
    with pytest.raises(Conflict):
        services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=1)
    assert LedgerTransaction.objects.count() == 0 and Posting.objects.count() == 0


def test_transfer_to_an_ineligible_recipient(post, volunteer_a, volunteer_b, young_elder, district_staff):
    post(volunteer_a.user, 60)
    with refused(ValidationFailed, message="80"):
        services.transfer(
            actor=volunteer_a.user, sender=volunteer_a.user, recipient=young_elder.user, minutes=10
        )
    with refused(ValidationFailed, message="不是登记在册的长者"):
        services.transfer(
            actor=volunteer_a.user, sender=volunteer_a.user, recipient=volunteer_b.user, minutes=10
        )
    with refused(ValidationFailed, message="自己"):
        services.transfer(
            actor=volunteer_a.user, sender=volunteer_a.user, recipient=volunteer_a.user, minutes=10
        )
    with refused(ValidationFailed):
        services.transfer(
            actor=volunteer_a.user, sender=volunteer_a.user, recipient=district_staff, minutes=10
        )


def test_relatives_only_when_the_policy_allows(post, family_a, elder_a, district_staff):
    import datetime as dt

    from shiguang.people.models import ElderProfile

    # make the mother not a priority elder, so only the family link could make her eligible
    ElderProfile.objects.filter(pk=elder_a.pk).update(birth_date=dt.date(1956, 1, 1))
    post(family_a, 60)
    services.policy_create(actor=district_staff, weights={}, relatives_eligible=False, note="不允许转给家人")
    with refused(ValidationFailed):
        services.transfer(actor=family_a, sender=family_a, recipient=elder_a.user, minutes=10)


@pytest.mark.parametrize("minutes", [0, -1, 90_001, "10"])
def test_negative_or_absurd_transfer(post, volunteer_a, elder_b, minutes):
    post(volunteer_a.user, 60)
    with refused(ValidationFailed):
        services.transfer(
            actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=minutes
        )


def test_text_the_database_cannot_store_is_refused(post, volunteer_a, elder_b):
    """A NUL character cannot be stored by PostgreSQL: a clear 422, not a database error."""
    post(volunteer_a.user, 60)
    me = volunteer_a.user
    with refused(ValidationFailed, message="无法保存"):
        services.transfer(actor=me, sender=me, recipient=elder_b.user, minutes=5, note="a\x00b")
    with refused(ValidationFailed, message="无法保存"):
        services.donate(actor=me, sender=me, pool="priority", minutes=5, idempotency_key="k\x00")
    with refused(ValidationFailed, message="无法保存"):
        services.post_service(
            actor=elder_b.user,
            idempotency_key="k2",
            provider=me,
            receiver=elder_b.user,
            minutes=30,
            category="companionship",
            source="\x00",
        )


def test_nobody_moves_someone_elses_hours(
    post, volunteer_a, volunteer_b, family_a, elder_a, elder_b, worker_b
):
    post(volunteer_a.user, 60)
    with refused(Forbidden):
        services.transfer(actor=volunteer_b.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=10)
    with refused(Forbidden):  # a daughter cannot spend her mother's hours
        services.donate(actor=family_a, sender=elder_a.user, pool="priority", minutes=1)
    with refused(Forbidden):  # staff only within their scope
        services.transfer(actor=worker_b, sender=volunteer_a.user, recipient=elder_b.user, minutes=10)


def test_pool_grant_bad_paths(
    post, volunteer_a, worker_a, worker_b, district_staff, elder_a, elder_b, young_elder, futian
):
    post(volunteer_a.user, 120)
    services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="community", minutes=30)
    services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="priority", minutes=30)
    with refused(Forbidden, message="区民政局"):
        services.pool_grant(actor=worker_a, pool="priority", recipient=elder_a.user, minutes=10, reason="x")
    with refused(Forbidden):
        services.pool_grant(
            actor=volunteer_a.user, pool="priority", recipient=elder_a.user, minutes=10, reason="x"
        )
    with refused(ValidationFailed, message="80"):
        services.pool_grant(
            actor=district_staff, pool="priority", recipient=young_elder.user, minutes=10, reason="x"
        )
    with refused(ValidationFailed, message="本社区"):
        services.pool_grant(
            actor=worker_a,
            pool="community",
            community=futian["a"],
            recipient=elder_b.user,
            minutes=10,
            reason="x",
        )
    with refused(Forbidden):
        services.pool_grant(
            actor=worker_b,
            pool="community",
            community=futian["a"],
            recipient=elder_a.user,
            minutes=10,
            reason="x",
        )
    with refused(Conflict, message="余额不足"):
        services.pool_grant(
            actor=worker_a,
            pool="community",
            community=futian["a"],
            recipient=elder_a.user,
            minutes=31,
            reason="x",
        )
    with refused(ValidationFailed):
        services.pool_grant(
            actor=worker_a,
            pool="community",
            community=futian["a"],
            recipient=elder_a.user,
            minutes=10,
            reason=" ",
        )


def test_grant_cannot_lift_a_recipient_over_the_cap(post, volunteer_a, district_staff, elder_a):
    services.policy_create(actor=district_staff, weights={}, cap_hours=1, note="t")
    post(volunteer_a.user, 60)
    services.donate(actor=volunteer_a.user, sender=volunteer_a.user, pool="priority", minutes=60)
    services.pool_grant(actor=district_staff, pool="priority", recipient=elder_a.user, minutes=50, reason="x")
    with refused(Conflict, message="上限"):
        services.pool_grant(
            actor=district_staff, pool="priority", recipient=elder_a.user, minutes=11, reason="x"
        )


def test_redeem_bad_paths(elder_a, volunteer_b, district_staff):
    with refused(Conflict, message="余额不足"):
        services.redeem_service(
            actor=elder_a.user,
            idempotency_key="r",
            person=elder_a.user,
            minutes=30,
            category="meal",
            source="s",
        )
    with refused(Forbidden):
        services.redeem_service(
            actor=volunteer_b.user,
            idempotency_key="r",
            person=elder_a.user,
            minutes=30,
            category="meal",
            source="s",
        )
    services.policy_create(actor=district_staff, weights={}, redeem_mode="off", note="关闭兑换")
    with refused(Conflict, message="没有开放"):
        services.redeem_service(
            actor=elder_a.user,
            idempotency_key="r",
            person=elder_a.user,
            minutes=30,
            category="meal",
            source="s",
        )


def test_credit_limit_is_not_exceeded(elder_a, district_staff):
    services.policy_create(actor=district_staff, weights={}, elder_credit_limit_hours=1, note="t")
    services.redeem_service(
        actor=elder_a.user, idempotency_key="r1", person=elder_a.user, minutes=45, category="meal", source="s"
    )
    with refused(Conflict, message="余额不足"):
        services.redeem_service(
            actor=elder_a.user,
            idempotency_key="r2",
            person=elder_a.user,
            minutes=16,
            category="meal",
            source="s",
        )


def test_credit_never_applies_to_transfers(elder_a, elder_b, district_staff):
    services.policy_create(actor=district_staff, weights={}, elder_credit_limit_hours=5, note="t")
    with refused(Conflict, message="余额不足"):
        services.transfer(actor=elder_a.user, sender=elder_a.user, recipient=elder_b.user, minutes=10)


def test_reversal_bad_paths(post, volunteer_a, elder_b, worker_a, worker_b):
    txn = post(volunteer_a.user, 60)
    with refused(Forbidden):
        services.reverse(actor=volunteer_a.user, transaction_id=txn.pk, reason="x")
    with refused(NotFound):
        services.reverse(actor=worker_b, transaction_id=txn.pk, reason="x")
    with refused(ValidationFailed):
        services.reverse(actor=worker_a, transaction_id=txn.pk, reason="")
    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=50)
    with refused(Conflict, message="余额不足"):  # the hours were given away: reverse the transfer first
        services.reverse(actor=worker_a, transaction_id=txn.pk, reason="服务未发生")


def test_reversing_twice_or_reversing_a_reversal(post, volunteer_a, worker_a):
    txn = post(volunteer_a.user, 60)
    reversal = services.reverse(actor=worker_a, transaction_id=txn.pk, reason="x")
    with refused(Conflict, message="已经冲正"):
        services.reverse(actor=worker_a, transaction_id=txn.pk, reason="x")
    with refused(Conflict, message="不能再冲正"):
        services.reverse(actor=worker_a, transaction_id=reversal.pk, reason="x")


def test_policy_bad_paths(worker_a, district_staff):
    import datetime as dt

    from shiguang.core import clock

    with pytest.raises(Forbidden):
        services.policy_create(actor=worker_a, weights={}, note="x")
    bad: list[dict[str, Any]] = [
        {"weights": {"medical_escort": "9"}},
        {"weights": {"medical_escort": "abc"}},
        {"weights": {"massage": "1"}},
        {"weights": {}, "cap_hours": 0},
        {"weights": {}, "star_thresholds_hours": [300, 100, 600, 1000, 1500]},
        {"weights": {}, "star_thresholds_hours": [100, 300]},
        {"weights": {}, "recipient_living_arrangements": ["castle"]},
        {"weights": {}, "redeem_mode": "cash"},
        {"weights": {}, "effective_from": clock.now() - dt.timedelta(days=1)},
        {"weights": {}, "note": ""},
    ]
    for kwargs in bad:
        kwargs.setdefault("note", "t")
        with pytest.raises(ValidationFailed):
            services.policy_create(actor=district_staff, **kwargs)
    assert selectors.policy_history().filter(version__gt=1).count() == 0


def test_model_refuses_update_and_delete(post, volunteer_a):
    txn = post(volunteer_a.user, 60)
    posting = txn.postings.first()
    original = posting.amount
    posting.amount = 1_000
    with pytest.raises(Immutable):
        posting.save()
    with pytest.raises(Immutable):
        posting.delete()
    with pytest.raises(Immutable):
        txn.save()
    with pytest.raises(Immutable):
        txn.delete()
    with pytest.raises(Immutable):
        Posting.objects.filter(pk=posting.pk).update(amount=5)
    with pytest.raises(Immutable):
        LedgerTransaction.objects.all().delete()
    with pytest.raises(Immutable):
        selectors.account_of(volunteer_a.user).delete()
    assert Posting.objects.get(pk=posting.pk).amount == original
