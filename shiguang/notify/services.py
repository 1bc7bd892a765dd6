"""Every write of the notification outbox."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q

from shiguang.core import bulk, clock
from shiguang.notify.channels import get_channel
from shiguang.notify.choices import Status
from shiguang.notify.models import Delivery, Notification

log = logging.getLogger(__name__)
CLAIM_SECONDS = 30


def enqueue(
    *,
    recipient: Any,
    template: str,
    data: dict[str, Any] | None = None,
    channel: str = "in_app",
    link: str = "",
    dedupe_key: str | None = None,
    fallback_channel: str = "",
    priority: int = 5,
) -> Notification:
    """Queue one message inside the caller's transaction; it is delivered after commit.

    With a `dedupe_key`, queueing the same message twice returns the first row.
    """
    if channel not in settings.NOTIFY_CHANNELS:
        raise ValueError(f"unknown channel {channel}")
    if dedupe_key:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():  # savepoint: losing a dedupe race must not break the caller
            note = Notification.objects.create(
                recipient=recipient,
                template=template,
                data=data or {},
                channel=channel,
                link=link,
                dedupe_key=dedupe_key,
                fallback_channel=fallback_channel,
                priority=priority,
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return Notification.objects.get(dedupe_key=dedupe_key)  # another process queued it first
    if getattr(settings, "NOTIFY_DELIVER_ON_COMMIT", False):
        transaction.on_commit(lambda: deliver(note.id))
    return note


def enqueue_many(notes: list[Notification], *, fresh: bool = False, into: bulk.Round | None = None) -> None:
    """Queue unsaved Notification rows in one statement, with enqueue()'s semantics: a message whose
    `dedupe_key` is already queued (by anyone, even concurrently) stays one row (ON CONFLICT DO NOTHING).
    `fresh=True`: the caller knows no key can be queued yet (keys naming a row its own transaction created),
    so no conflict handling is needed (a duplicate fails the transaction). `into`: the statement joins that
    round instead of running now."""
    unknown = {n.channel for n in notes} - set(settings.NOTIFY_CHANNELS)
    if unknown:
        raise ValueError(f"unknown channel(s) {sorted(unknown)}")
    if not notes:
        return
    if into is not None:
        into.insert(
            Notification,
            _COLUMNS,
            [[getattr(n, c) for c in _COLUMNS] for n in notes],
            ignore_conflicts=not fresh,
        )
    else:
        bulk.insert(notes, ignore_conflicts=not fresh)
    if getattr(settings, "NOTIFY_DELIVER_ON_COMMIT", False):
        keys = [n.dedupe_key for n in notes if n.dedupe_key]
        known = [n.pk for n in notes if not n.dedupe_key and n.pk]

        def deliver_all() -> None:
            ids = list(Notification.objects.filter(dedupe_key__in=keys).values_list("id", flat=True))
            for i in ids + known:
                deliver(i)

        transaction.on_commit(deliver_all)


_COLUMNS = [f.attname for f in Notification._meta.concrete_fields if not f.primary_key]


def _claim(batch: int) -> list[int]:
    now = clock.now()
    due = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_until__lt=now)
    with transaction.atomic():
        qs = Notification.objects.filter(due).order_by("priority", "next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[:batch])
        if ids:
            Notification.objects.filter(id__in=ids).update(
                status=Status.SENDING, claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)
            )
    return ids


def deliver(notification_id: int) -> bool:
    """Send one claimed (or pending) notification and record the attempt. Returns True on success."""
    note = Notification.objects.select_related("recipient").filter(id=notification_id).first()
    if note is None or note.status == Status.SENT:
        return True
    return _record(note, _send(note))


def _send(note: Notification) -> Any:
    try:
        return get_channel(note.channel).send(note)
    except Exception as exc:  # a broken adapter must not stop the worker
        log.exception("channel %s raised", note.channel)
        from shiguang.notify.channels import Result

        return Result(ok=False, error=str(exc)[:300])


def _record(note: Notification, result: Any) -> bool:
    """Record one attempt: sent, failed (and the fallback channel queued) or retried with backoff."""
    now = clock.now()
    with transaction.atomic():
        Delivery.objects.create(
            notification=note,
            attempted_at=now,
            ok=result.ok,
            provider_id=result.provider_id,
            error=result.error,
        )
        attempts = note.attempts + 1
        if result.ok:
            Notification.objects.filter(id=note.id).update(
                status=Status.SENT, sent_at=now, attempts=attempts, claimed_until=None, last_error=""
            )
            return True
        if attempts >= settings.NOTIFY_MAX_ATTEMPTS or not result.retryable:
            Notification.objects.filter(id=note.id).update(
                status=Status.FAILED, attempts=attempts, claimed_until=None, last_error=result.error[:300]
            )
            if note.fallback_channel and note.fallback_channel != note.channel:
                enqueue(
                    recipient=note.recipient,
                    template=note.template,
                    data=note.data,
                    channel=note.fallback_channel,
                    link=note.link,
                    priority=note.priority,
                    dedupe_key=f"{note.dedupe_key}:fallback" if note.dedupe_key else None,
                )
            return False
        backoff = min(2 ** (attempts - 1), 300)  # 1, 2, 4 … seconds, capped at 5 minutes
        Notification.objects.filter(id=note.id).update(
            status=Status.PENDING,
            attempts=attempts,
            claimed_until=None,
            last_error=result.error[:300],
            next_attempt_at=now + dt.timedelta(seconds=backoff),
        )
    return False


def dispatch_due(worker_id: str, batch: int = 100) -> int:
    """Deliver a claimed batch.

    External channels (SMS, voice, …) record each attempt as soon as it is made, so a worker killed mid-batch
    repeats at most the message it was sending. In-app messages are a push to open pages (the inbox is the
    row itself): those sent successfully are recorded together at the end of the batch, one statement for the
    delivery rows and one for the statuses; repeating one after a crash shows a toast twice at worst.
    """
    ids = _claim(batch)
    if not ids:
        return 0
    order = {nid: k for k, nid in enumerate(ids)}  # the claim's order: priority first
    notes = sorted(
        Notification.objects.select_related("recipient").filter(id__in=ids), key=lambda n: order[n.id]
    )
    in_app_sent: list[tuple[Notification, Any]] = []
    for note in notes:
        if note.status == Status.SENT:
            continue
        result = _send(note)
        if note.channel == "in_app" and result.ok:
            in_app_sent.append((note, result))
        else:
            _record(note, result)
    if in_app_sent:
        now = clock.now()
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        notification=n, attempted_at=now, ok=True, provider_id=r.provider_id, error=r.error
                    )
                    for n, r in in_app_sent
                ]
            )
            Notification.objects.filter(id__in=[n.id for n, _r in in_app_sent]).update(
                status=Status.SENT, sent_at=now, attempts=F("attempts") + 1, claimed_until=None, last_error=""
            )
    return len(ids)


def mark_read(*, user: Any, notification_ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, channel="in_app", read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(id__in=notification_ids)
    return qs.update(read_at=clock.now())
