"""Group commit: many calls planned against the balances in memory and written together (`batch.apply`), and
the ledger writer that runs such batches for other processes (`writer`). Both databases; the writer's Redis
tests need a Redis server (CI has one) and skip without it."""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from typing import Any

import pytest

from shiguang.core.audit import verify_chain
from shiguang.core.errors import Conflict, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification
from shiguang.timebank import batch, selectors, writer
from shiguang.timebank.choices import AccountKind, TransactionKind
from shiguang.timebank.models import Account, LedgerTransaction
from shiguang.timebank.tests.conftest import assert_ledger_ok

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service(provider: Any, receiver: Any, minutes: int, key: str) -> batch.Call:
    return batch.Call(
        "service",
        {
            "actor": receiver.pk,
            "on_behalf_of": None,
            "key": key,
            "provider": provider.pk,
            "receiver": receiver.pk,
            "minutes": minutes,
            "category": "companionship",
            "source": "test",
        },
        "zh-hans",
    )


def transfer(
    sender: Any, recipient: Any, minutes: int, key: str | None = None, lang: str = "zh-hans"
) -> batch.Call:
    return batch.Call(
        "transfer",
        {
            "actor": sender.pk,
            "on_behalf_of": None,
            "key": key,
            "sender": sender.pk,
            "recipient": recipient.pk,
            "minutes": minutes,
            "note": "",
        },
        lang,
    )


def donation(sender: Any, minutes: int, pool: str = "priority", community: int | None = None) -> batch.Call:
    return batch.Call(
        "donation",
        {
            "actor": sender.pk,
            "on_behalf_of": None,
            "key": None,
            "sender": sender.pk,
            "pool": pool,
            "community": community,
            "minutes": minutes,
            "note": "",
        },
        "zh-hans",
    )


def apply(calls: list[batch.Call]) -> list[batch.Outcome]:
    return batch.apply_atomic(calls)


def test_a_batch_applies_calls_in_order_against_the_balances_it_changes(volunteer_a, elder_a, elder_b):
    v = volunteer_a.user
    outcomes = apply(
        [
            service(v, elder_a.user, 60, "g:1"),  # v earns 60
            transfer(v, elder_b.user, 45),  # fits: 60 -> 15
            transfer(v, elder_b.user, 30),  # refused: only 15 left
            donation(v, 15),  # fits: 15 -> 0
        ]
    )
    assert [o.error is None for o in outcomes] == [True, True, False, True]
    assert isinstance(outcomes[2].error, Conflict) and outcomes[2].error.code == "insufficient_balance"
    assert selectors.account_of(v).balance == 0
    assert selectors.account_of(elder_b.user).balance == 45
    assert selectors.priority_pool().balance == 15
    kinds = list(LedgerTransaction.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [TransactionKind.SERVICE, TransactionKind.TRANSFER, TransactionKind.DONATION]
    # every written transaction has its audit event and the ids the batch assigned
    assert AuditEvent.objects.filter(code__startswith="timebank.").count() == 3
    assert {o.txn.pk for o in outcomes if o.txn} == set(
        LedgerTransaction.objects.values_list("id", flat=True)
    )
    assert Notification.objects.filter(template="timebank.received", recipient=elder_b.user).count() == 1
    assert verify_chain().ok
    assert_ledger_ok()


def test_a_refused_call_opens_no_account(volunteer_a, elder_a, elder_b):
    outcomes = apply([transfer(volunteer_a.user, elder_b.user, 30)])  # no hours at all
    assert isinstance(outcomes[0].error, Conflict)
    assert not Account.objects.filter(kind=AccountKind.PERSON).exists()
    assert (
        not LedgerTransaction.objects.exists()
        and not AuditEvent.objects.filter(code__startswith="timebank.").exists()
    )


def test_a_repeated_key_in_one_batch_is_a_replay(volunteer_a, elder_a):
    v = volunteer_a.user
    first, again, different = apply(
        [
            service(v, elder_a.user, 60, "g:k"),
            service(v, elder_a.user, 60, "g:k"),
            service(v, elder_a.user, 90, "g:k"),
        ]
    )
    assert again.txn is first.txn
    assert isinstance(different.error, Conflict) and different.error.code == "idempotency_mismatch"
    assert LedgerTransaction.objects.count() == 1
    assert selectors.account_of(v).balance == 60
    # and in a later batch too
    (later,) = apply([service(v, elder_a.user, 60, "g:k")])
    assert later.txn.pk == first.txn.pk


def test_overflow_above_the_cap_goes_to_the_priority_pool_within_a_batch(volunteer_a, elder_a):
    v = volunteer_a.user  # the default cap is 1,500 h: 130 services of 12 h cross it inside one batch
    calls = [service(v, elder_a.user, 720, f"g:cap:{i}") for i in range(130)]  # 130 x 12 h = 1,560 h
    outcomes = apply(calls)
    assert all(o.error is None for o in outcomes)
    account = selectors.account_of(v)
    assert account.balance == 1500 * 60
    assert account.earned == 130 * 720
    assert selectors.priority_pool().balance == 60 * 60
    assert_ledger_ok()


def test_errors_are_in_the_callers_language(volunteer_a, elder_b):
    from django.utils import translation

    langs = ["en", "en", "zh-hans", "en", ""]  # "": the writer's own language
    with translation.override("zh-hans"):
        outcomes = apply([transfer(volunteer_a.user, elder_b.user, 10, lang=lang) for lang in langs])
        assert translation.get_language() == "zh-hans"  # the batch's switching is undone
    messages = [str(o.error.message) for o in outcomes]
    english = ["balance" in m.lower() for m in messages]
    assert english == [True, True, False, True, False], messages


def test_outcomes_survive_the_wire(volunteer_a, elder_a, elder_b):
    (ok, refused) = apply(
        [service(volunteer_a.user, elder_a.user, 30, "g:w"), transfer(volunteer_a.user, elder_b.user, 99)]
    )
    txn = writer.decode_outcome(writer.encode_outcome(ok)).result()
    stored = LedgerTransaction.objects.get(pk=ok.txn.pk)
    for field in LedgerTransaction._meta.concrete_fields:  # every value, and of the type the ORM reads
        mine, theirs = getattr(txn, field.attname), getattr(stored, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.attname
    assert not txn._state.adding and txn.weight == Decimal("1.00")
    error = writer.decode_outcome(writer.encode_outcome(refused)).error
    assert isinstance(error, Conflict) and error.code == "insufficient_balance"
    assert str(error.message) == str(refused.error.message)
    invalid = batch.Outcome(error=ValidationFailed(fields={"minutes": ["bad"]}))
    back = writer.decode_outcome(writer.encode_outcome(invalid)).error
    assert isinstance(back, ValidationFailed) and back.fields == {"minutes": ["bad"]}
    assert writer.decode_outcome(json.dumps({"expired": True})) is None


# --- the writer over Redis ----------------------------------------------------------------------------------


def _redis() -> Any:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.ping()
    except redis.RedisError:
        return None
    return client


@pytest.fixture
def redis_writer(settings: Any, monkeypatch: Any) -> Any:
    import uuid

    client = _redis()
    if client is None:
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings.REDIS_URL = REDIS_URL
    writer._client_cache.clear()
    monkeypatch.setattr(writer, "_alive_until", 0.0)
    # Keys of this test alone: parallel test workers share Redis (and SQLite test databases share a name).
    prefix = f"shiguang:ledger:test:{uuid.uuid4().hex}"
    monkeypatch.setattr(writer, "_prefix", lambda: prefix)
    yield client, prefix
    for key in client.scan_iter(match=prefix + ":*"):
        client.delete(key)
    writer._client_cache.clear()


def test_without_a_writer_the_caller_applies_the_call_itself(redis_writer, post, volunteer_a, elder_b):
    post(volunteer_a.user, 60)
    from shiguang.timebank import services

    services.transfer(actor=volunteer_a.user, sender=volunteer_a.user, recipient=elder_b.user, minutes=20)
    client, prefix = redis_writer
    assert client.llen(prefix + ":calls") == 0  # no heartbeat: nothing was queued
    assert selectors.account_of(elder_b.user).balance == 20


def test_a_call_nobody_takes_is_taken_back_and_applied_here(
    redis_writer, monkeypatch, post, volunteer_a, elder_b
):
    post(volunteer_a.user, 60)
    client, prefix = redis_writer
    client.set(prefix + ":alive", "1", ex=5)  # a writer that has stopped consuming
    monkeypatch.setattr(writer, "WAIT_SECONDS", 0.2)
    outcome = writer.submit(transfer(volunteer_a.user, elder_b.user, 20))
    assert outcome is None  # "apply it yourself": the call is off the list, no writer can apply it later
    assert client.llen(prefix + ":calls") == 0


def test_the_writer_answers_each_call_and_refuses_expired_ones(
    redis_writer, post, volunteer_a, elder_a, elder_b
):
    post(volunteer_a.user, 60)
    client, prefix = redis_writer
    live = [
        service(volunteer_a.user, elder_a.user, 30, "g:r1"),
        transfer(volunteer_a.user, elder_b.user, 500),
    ]
    raws = [writer.encode_call(f"c{i}", c, deadline=time.time() + 60) for i, c in enumerate(live)]
    late = transfer(volunteer_a.user, elder_b.user, 10)
    raws.append(writer.encode_call("late", late, deadline=time.time() - 1))
    writer.handle(client, prefix, [r.encode() for r in raws])
    answers = {
        call_id: writer.decode_outcome(client.lpop(f"{prefix}:reply:{call_id}"))
        for call_id in ("c0", "c1", "late")
    }
    assert answers["c0"].txn.kind == TransactionKind.SERVICE
    assert isinstance(answers["c1"].error, Conflict)
    assert answers["late"] is None  # expired: not applied, its caller applies it
    assert selectors.account_of(elder_b.user) is None or selectors.account_of(elder_b.user).balance == 0
    assert selectors.account_of(volunteer_a.user).balance == 90
    assert client.ttl(f"{prefix}:reply:c0") == -2  # answers are consumed (and expire if nobody reads them)
    assert_ledger_ok()


def test_the_writer_applies_only_calls_signed_with_the_deployments_key(
    redis_writer, post, volunteer_a, elder_b
):
    post(volunteer_a.user, 60)
    client, prefix = redis_writer
    call = transfer(volunteer_a.user, elder_b.user, 30)
    signed = writer.encode_call("x", call, deadline=time.time() + 60)
    body = signed.split(" ", 1)[1]
    forged = [
        body,  # no signature
        "0" * 64 + " " + body,  # a wrong one
        signed.replace('"minutes": 30', '"minutes": 60'),  # a signed call, altered
        "garbage",
        "\u00e9t\u00e9 " + body,  # a non-ASCII "signature"
    ]
    writer.handle(client, prefix, [f.encode() for f in forged] + [b"\xff\xfe not utf-8"])
    assert selectors.account_of(volunteer_a.user).balance == 60  # nothing moved, nobody answered
    assert client.llen(f"{prefix}:reply:x") == 0
    writer.handle(client, prefix, [signed.encode()])
    assert writer.decode_outcome(client.lpop(f"{prefix}:reply:x")).txn.amount == 30


def test_a_call_redis_may_have_dropped_is_never_applied_twice(
    redis_writer, monkeypatch, post, volunteer_a, elder_b
):
    import redis

    post(volunteer_a.user, 60)
    client, prefix = redis_writer
    client.set(prefix + ":alive", "1", ex=5)
    monkeypatch.setattr(writer, "WAIT_SECONDS", 0.1)
    monkeypatch.setattr(writer, "LATE_SECONDS", 0.2)

    real = writer.exchange

    def lost(client: Any, *commands: Any) -> Any:
        if commands[0][0] == "RPUSH":  # the call is queued, but its reply never comes
            real(client, commands[0])
            client.delete(commands[0][1])  # and a writer takes it
            raise redis.TimeoutError("sent, but no reply")
        return real(client, *commands)

    monkeypatch.setattr(writer, "exchange", lost)
    # Not on the list, and no answer: a writer may have taken it, so the caller must not apply it itself.
    with pytest.raises(writer.WriterUnavailable):
        writer.submit(transfer(volunteer_a.user, elder_b.user, 20))
    assert selectors.account_of(volunteer_a.user).balance == 60


def test_a_version_effective_in_an_hour_is_not_in_force_yet(post, volunteer_a, district_staff):
    """The batch finds the version in force with raw SQL: the moment is adapted as Django stores it (naive
    UTC text on SQLite), so a version scheduled within hours is not applied early."""
    import datetime as dt

    from shiguang.core import clock
    from shiguang.timebank import services

    start = clock.now()
    with clock.frozen(start):
        services.policy_create(
            actor=district_staff,
            weights={"companionship": "2"},
            effective_from=start + dt.timedelta(hours=1),
            note="一小时后陪伴加倍",
        )
        assert post(volunteer_a.user, 60).amount == 60
    with clock.frozen(start + dt.timedelta(hours=2)):
        assert post(volunteer_a.user, 60).amount == 120
