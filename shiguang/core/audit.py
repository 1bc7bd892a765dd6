"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from shiguang.core import clock
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


def record(
    code: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    on_behalf_of: Any = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction it records")
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    event = AuditEvent(
        created_at=clock.now(),
        code=code,
        actor_id=getattr(actor, "pk", None),
        on_behalf_of_id=getattr(on_behalf_of, "pk", None),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        data=_json_safe(data or {}),
        prev_hash=head.last_hash,
    )
    event.hash = compute_hash(head.last_hash, event)
    event.save()
    AuditHead.objects.filter(id=1).update(last_hash=event.hash, count=models.F("count") + 1)
    return event


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.id, "prev_hash does not match the previous event")
        if compute_hash(prev, event) != event.hash:
            return ChainReport(False, checked, event.id, "content does not match its hash")
        prev = event.hash
        checked += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and head.last_hash != prev:
        return ChainReport(False, checked, None, "the newest events are missing (head does not match)")
    return ChainReport(True, checked)
