from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from shiguang.core.audit import verify_chain
from shiguang.core.models import AuditEvent


def test_state_changes_are_audited_with_actor_and_on_behalf_of(elder_b, worker_b):
    event = AuditEvent.objects.get(code="people.elder.registered", target_id=str(elder_b.pk))
    assert event.actor_id == worker_b.pk
    assert event.on_behalf_of_id == elder_b.user_id  # proxy registration: worker for the elder
    assert event.data["proxy"] is True


def test_chain_verifies(elder_a, elder_b):
    report = verify_chain()
    assert report.ok and report.checked >= 4
    call_command("verify_audit")


def _tamper(event_id: int) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What an attacker with superuser access could do: bypass triggers for this session.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("UPDATE core_auditevent SET data = '{\"proxy\": false}' WHERE id = %s", [event_id])
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("UPDATE core_auditevent SET data = '{\"proxy\": false}' WHERE id = %s", [event_id])


def test_tampered_row_is_detected_and_named(elder_a, elder_b):
    target = AuditEvent.objects.get(code="people.elder.registered", target_id=str(elder_b.pk))
    _tamper(target.id)
    report = verify_chain()
    assert not report.ok and report.broken_id == target.id
    with pytest.raises(CommandError, match=f"event id {target.id}"):
        call_command("verify_audit")


def _record_on(chain: int, code: str) -> int:
    from shiguang.core import audit

    setattr(connection, audit._LAST_CHAIN, chain)  # the chain this connection takes next, when free
    with transaction.atomic():
        event = audit.record(code)
    assert event.chain == chain
    return event.id


@pytest.mark.postgres
def test_each_chain_is_verified_on_its_own(db):
    for code in ("a1", "a2"):
        _record_on(1, code)
    second = [_record_on(2, code) for code in ("b1", "b2", "b3")]
    _record_on(1, "a3")
    assert verify_chain().ok
    _tamper(second[1])
    report = verify_chain()
    assert not report.ok and report.broken_id == second[1]


@pytest.mark.postgres
def test_a_chain_missing_its_newest_events_is_named(db):
    _record_on(1, "a1")
    newest = [_record_on(2, code) for code in ("b1", "b2")][-1]
    _record_on(1, "a2")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [newest])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    report = verify_chain()
    assert not report.ok and "chain 2" in report.reason


def test_database_refuses_update_and_delete(elder_a):
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(code="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(RuntimeError):
        event.delete()


def test_reveal_is_audited_and_masked_by_default(elder_a, worker_a, login, settings):
    worker_a.can_unmask = True
    worker_a.save()
    client = login(worker_a)
    page = client.get(f"/people/elders/{elder_a.pk}/").content.decode()
    assert "13800138001" not in page and "138****8001" in page
    assert elder_a.id_number not in page
    from shiguang.accounts import services as account_services

    account_services.consent_grant(actor=elder_a.user, subject=elder_a.user, category="id_number")
    response = client.post(
        f"/people/elders/{elder_a.pk}/reveal/", {"field": "id_number", "purpose": "核对身份"}
    )
    assert elder_a.id_number in response.content.decode()
    event = AuditEvent.objects.filter(code="people.elder.revealed").last()
    assert event.actor_id == worker_a.pk and event.data == {"field": "id_number", "purpose": "核对身份"}


def test_record_many_appends_in_order_to_one_chain(db):
    from shiguang.core import audit

    with transaction.atomic():
        audit.record("before")
        events = audit.record_many([audit.Entry(f"batch.{i}", data={"i": i}) for i in range(5)])
        audit.record("after")
    assert [e.code for e in events] == [f"batch.{i}" for i in range(5)]
    ids = [e.id for e in events]
    assert all(ids) and ids == sorted(ids)
    stored = list(AuditEvent.objects.filter(id__in=ids).order_by("id"))
    assert [e.hash for e in stored] == [e.hash for e in events]
    assert stored[1].prev_hash == stored[0].hash and len({e.chain for e in stored}) == 1
    assert verify_chain().ok
    assert audit.record_many([]) == []
