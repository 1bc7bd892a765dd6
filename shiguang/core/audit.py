"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from shiguang.core import bulk, clock
from shiguang.core.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> str:
    body = {
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "code": event.code,
        "actor": event.actor_id,
        "on_behalf_of": event.on_behalf_of_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":"))


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _canonical(event)).encode("utf-8")).hexdigest()


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip so the hash is computed over exactly what the database will return.
    result: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))
    return result


# Appends go to one of CHAINS independent hash chains, each with its own head row. A writer locks a head
# no other transaction holds (FOR UPDATE SKIP LOCKED), so concurrent writers never queue behind one row;
# each chain is still strictly linear (its head stays locked until the writer's COMMIT) and verifiable alone.
CHAINS = 32
_LAST_CHAIN = "_shiguang_audit_chain"


def _lock_head() -> AuditHead:
    connection = transaction.get_connection()
    if not connection.features.has_select_for_update_skip_locked:  # SQLite serialises writers: one chain
        return AuditHead.objects.select_for_update().get_or_create(id=1)[0]
    free = AuditHead.objects.select_for_update(skip_locked=True)
    # The chain this connection used last: if this transaction already holds it (several events in one
    # transaction) or nobody does, take it again; SKIP LOCKED only skips rows other transactions hold.
    last = getattr(connection, _LAST_CHAIN, None)
    head: AuditHead | None = free.filter(id=last).first() if last else None
    if head is None:
        head = free.order_by("id").first()
    if head is None and AuditHead.objects.count() < CHAINS:
        # A fresh (or flushed) database: create the heads once, then take a free one.
        AuditHead.objects.bulk_create([AuditHead(id=n) for n in range(1, CHAINS + 1)], ignore_conflicts=True)
        head = free.order_by("id").first()
    if head is None:  # every chain busy: wait for one
        head = AuditHead.objects.select_for_update().get(id=random.randint(1, CHAINS))
    setattr(connection, _LAST_CHAIN, head.id)
    return head


@dataclass
class Entry:
    """One event for record_many(); the same arguments as record()."""

    code: str
    actor: Any = None
    target: models.Model | None = None
    data: dict[str, Any] | None = None
    on_behalf_of: Any = None


def record(
    code: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    on_behalf_of: Any = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    return record_many([Entry(code, actor, target, data, on_behalf_of)])[0]


def record_many(entries: list[Entry]) -> list[AuditEvent]:
    """Append several events of one transaction to one chain, in order: one head lock, one insert."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction it records")
    if not entries:
        return []
    head = _lock_head()
    events, last = _chain(entries, head.id, head.last_hash)
    # One INSERT; its rows get ids in list order, so the chain's order (verify_chain walks ids) is kept.
    bulk.insert(events)
    AuditHead.objects.filter(id=head.id).update(last_hash=last, count=models.F("count") + len(events))
    return events


def _chain(entries: list[Entry], chain: int, prev: str) -> tuple[list[AuditEvent], str]:
    """The events, linked from `prev`, and the chain's new last hash."""
    now = clock.now()
    events = []
    for entry in entries:
        target = entry.target
        event = bulk.unsaved(
            AuditEvent,
            created_at=now,
            code=entry.code,
            actor_id=getattr(entry.actor, "pk", None),
            on_behalf_of_id=getattr(entry.on_behalf_of, "pk", None),
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None and target.pk is not None else "",
            data=_json_safe(entry.data or {}),
            chain=chain,
            prev_hash=prev,
        )
        event.hash = prev = compute_hash(prev, event)
        events.append(event)
    return events, prev


# --- the same, as part of a bulk.Round (time-bank group commit) ---------------------------------------------


def claim_statement() -> tuple[str, list[Any]]:
    """A statement for a Round that locks a free chain head (the one this connection used last if it is free)
    and returns its (id, last_hash); no row when every chain is busy or the heads do not exist yet."""
    connection = transaction.get_connection()
    if not connection.features.has_select_for_update_skip_locked:
        return "SELECT id, last_hash FROM core_audithead WHERE id = 1", []
    last = getattr(connection, _LAST_CHAIN, None) or 0
    # LockRows sits above the sort: rows are tried in this order and the first free one is locked
    return (
        "SELECT id, last_hash FROM core_audithead ORDER BY (id = %s) DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        [last],
    )


def claimed(rows: list[tuple[Any, ...]]) -> AuditHead:
    """The head `claim_statement()` locked, or one locked now the slow way (waiting, or creating them)."""
    if not rows:
        return _lock_head()
    setattr(transaction.get_connection(), _LAST_CHAIN, rows[0][0])
    return AuditHead(id=rows[0][0], last_hash=rows[0][1])


def append(entries: list[Entry], head: AuditHead, into: bulk.Round) -> None:
    """Add the events and the head's update to the round (the head is locked by this transaction)."""
    if not entries:
        return
    events, last = _chain(entries, head.id, head.last_hash)
    columns = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    into.insert(AuditEvent, columns, [[getattr(e, c) for c in columns] for e in events])
    into.execute(
        "UPDATE core_audithead SET last_hash = %s, count = count + %s WHERE id = %s",
        [last, len(events), head.id],
    )


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Recompute every chain in id order (ids grow within a chain: each is assigned under its head's lock) and
    compare each chain's newest event with its head row. Names the first broken event."""
    last: dict[int, str] = {}
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        prev = last.get(event.chain, GENESIS)
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.id, "prev_hash does not match the previous event")
        if compute_hash(prev, event) != event.hash:
            return ChainReport(False, checked, event.id, "content does not match its hash")
        last[event.chain] = event.hash
        checked += 1
    heads = dict(AuditHead.objects.values_list("id", "last_hash"))
    for chain in sorted(set(heads) | set(last)):
        if heads.get(chain, GENESIS) != last.get(chain, GENESIS):
            return ChainReport(
                False, checked, None, f"the newest events of chain {chain} are missing (head does not match)"
            )
    return ChainReport(True, checked)
