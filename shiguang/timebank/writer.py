"""The ledger writer: group commit of the time bank's frequent writes across processes.

Web and worker processes that post a service, a transfer or a donation outside a transaction of their own
push the call to a Redis list; `manage.py ledger_writer` takes whatever calls are waiting (up to
`MAX_BATCH`), applies them with `batch.apply` in one database transaction and answers each caller on its
own reply list. Many ledger transactions then share two round trips and one COMMIT, which is what lets a
2-core host post ~1,000 transactions a second from 16 processes (docs/timebank.md, "What we measured").

No call is lost or applied twice:
- A caller uses the writer only while the writer's heartbeat key is fresh; otherwise it applies the call
  itself (`batch.apply_one`), as it does when no Redis is configured.
- A caller that gets no answer within `WAIT_SECONDS` takes its call back off the list (`LREM`). If it was
  still there, the writer never saw it and the caller applies it itself. If it was gone, the writer has it:
  the writer refuses calls older than their deadline without applying them, so the answer comes shortly
  (a late "expired" answer also sends the caller to apply the call itself).
- If the writer dies between taking and answering, the caller cannot know whether the database transaction
  committed: it gets a 503 and can retry with the same idempotency key (services always have one).

Keys are namespaced by the database, so a writer only ever serves calls for the database it writes to, and
calls are signed with a key derived from SECRET_KEY (the services authorised the actor before queueing; write
access to Redis alone must not move hours).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.utils.translation import gettext_lazy as _

from shiguang.core import bulk, errors
from shiguang.timebank import batch
from shiguang.timebank.models import LedgerTransaction

log = logging.getLogger(__name__)

MAX_BATCH = 256
WAIT_SECONDS = 2.0  # a call not taken within this is taken back and applied by the caller
LATE_SECONDS = 30.0  # how long a caller waits for a call the writer has taken
LINGER_SECONDS = 0.004  # at most this long to wait for the rest of a batch
HEARTBEAT_SECONDS = 1.0
HEARTBEAT_TTL = 5

_client_cache: dict[str, Any] = {}
_prefixes: dict[str, str] = {}
_mac_keys: dict[str, bytes] = {}
_alive_until = 0.0


class WriterUnavailable(errors.DomainError):
    status = 503
    code = "ledger_busy"
    default_message = _("时间银行暂时繁忙，请稍后用同一请求重试。")


def _prefix() -> str:
    db = connection.settings_dict
    where = f"{db.get('HOST', '')}:{db.get('PORT', '')}/{db.get('NAME', '')}"
    prefix = _prefixes.get(where)
    if prefix is None:
        digest = hashlib.sha1(where.encode(), usedforsecurity=False).hexdigest()[:12]
        prefix = _prefixes[where] = f"shiguang:ledger:{digest}"
    return prefix


def _client() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    client = _client_cache.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=LATE_SECONDS + 5)
        _client_cache[url] = client
    return client


# --- the wire -----------------------------------------------------------------------------------------------

_FIELDS = LedgerTransaction._meta.concrete_fields
_ATTNAMES = [f.attname for f in _FIELDS]


def _decoder(field: models.Field[Any, Any]) -> Callable[[str], Any] | None:
    """How an answer's value comes back: JSON keeps ints and strings as they were; moments and decimals
    travel as text (`_plain`). Cheaper than the field's to_python, which every caller would pay."""
    if isinstance(field, models.DateTimeField):
        return dt.datetime.fromisoformat
    if isinstance(field, models.DecimalField):
        return Decimal
    return None


_DECODERS = [_decoder(f) for f in _FIELDS]
_ERRORS = {
    cls.__name__: cls for cls in (errors.ValidationFailed, errors.Conflict, errors.Forbidden, errors.NotFound)
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_outcome(outcome: batch.Outcome) -> str:
    if outcome.error is not None:
        e = outcome.error
        kind = type(e).__name__ if type(e).__name__ in _ERRORS else "ValidationFailed"
        return json.dumps(
            {
                "error": {
                    "type": kind,
                    "message": str(e.message),
                    "code": e.code,
                    "fields": e.fields,
                    "data": e.data,
                }
            },
            ensure_ascii=False,
        )
    assert outcome.txn is not None
    return json.dumps({"txn": [_plain(getattr(outcome.txn, f.attname)) for f in _FIELDS]}, ensure_ascii=False)


def decode_outcome(raw: bytes | str) -> batch.Outcome | None:
    """The answer; None for "expired, never applied"."""
    body = json.loads(raw)
    if "expired" in body:
        return None
    if "error" in body:
        e = body["error"]
        cls = _ERRORS.get(e["type"], errors.ValidationFailed)
        return batch.Outcome(error=cls(e["message"], code=e["code"], fields=e["fields"], data=e["data"]))
    values = [
        v if decode is None or v is None else decode(v)
        for decode, v in zip(_DECODERS, body["txn"], strict=True)
    ]
    return batch.Outcome(txn=bulk.loaded(LedgerTransaction, _ATTNAMES, [values])[0])


# --- callers ------------------------------------------------------------------------------------------------


def _mac(body: str) -> str:
    key = _mac_keys.get(settings.SECRET_KEY)
    if key is None:
        key = _mac_keys[settings.SECRET_KEY] = hashlib.sha256(
            b"shiguang.timebank.writer:" + settings.SECRET_KEY.encode()
        ).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def encode_call(call_id: str, call: batch.Call, *, deadline: float) -> str:
    """A call on the wire, signed: the writer applies only what a process holding SECRET_KEY queued (the
    services authorised the actor before queueing; write access to Redis alone must not move hours)."""
    body = json.dumps(
        {"id": call_id, "op": call.op, "args": call.args, "lang": call.lang, "deadline": deadline},
        ensure_ascii=False,
    )
    return f"{_mac(body)} {body}"


def decode_call(raw: bytes | str) -> dict[str, Any] | None:
    """The call's body, or None when it is not signed by us (or not a call at all)."""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    mac, _sep, body = text.partition(" ")
    if not hmac.compare_digest(mac.encode(), _mac(body).encode()):
        return None
    try:
        decoded: dict[str, Any] = json.loads(body)
    except ValueError:
        return None
    return decoded if decoded.get("op") in batch.OPS else None


_own = threading.local()


def exchange(client: Any, *commands: tuple[Any, ...]) -> list[Any]:
    """Send the commands in one write and read their raw replies, on a connection this thread keeps: the
    pool and pipeline objects cost a caller more CPU than the rest of its call. A connection that failed is
    dropped (the next call opens another)."""
    connections: dict[int, Any] = _own.__dict__.setdefault("connections", {})
    conn = connections.get(id(client))
    if conn is None:
        # outside the pool's books: it closes when this thread ends
        conn = connections[id(client)] = client.connection_pool.make_connection()
    try:
        conn.send_packed_command(conn.pack_commands(commands))
        return [conn.read_response() for _command in commands]
    except BaseException:
        del connections[id(client)]
        conn.disconnect()
        raise


def _writer_alive(client: Any) -> bool:
    global _alive_until
    now = time.monotonic()
    if now < _alive_until:
        return True
    if client.exists(_prefix() + ":alive"):
        _alive_until = now + HEARTBEAT_SECONDS
        return True
    return False


def submit(call: batch.Call) -> batch.Outcome | None:
    """Have the writer apply the call. None means: no writer took it, apply it yourself."""
    import redis

    client = _client()
    if client is None:
        return None
    try:
        if not _writer_alive(client):
            return None
    except redis.RedisError:
        return None
    prefix = _prefix()
    call_id = uuid.uuid4().hex
    reply = f"{prefix}:reply:{call_id}"
    payload = encode_call(call_id, call, deadline=time.time() + WAIT_SECONDS)
    try:  # one round trip: queue the call and wait for its answer
        queue, wait = ("RPUSH", prefix + ":calls", payload), ("BLPOP", reply, WAIT_SECONDS)
        _length, answer = exchange(client, queue, wait)
    except redis.RedisError:  # it may or may not be on the list now: settle it as for a late answer below
        answer = None
    try:
        if answer is None:
            if client.lrem(prefix + ":calls", 1, payload):
                return None  # never taken
            answer = client.blpop([reply], timeout=LATE_SECONDS)
    except redis.RedisError as error:
        log.warning("ledger writer: lost the answer to call %s: %s", call_id, error)
        raise WriterUnavailable() from None
    if answer is None:
        log.warning("ledger writer: no answer to call %s", call_id)
        raise WriterUnavailable()
    return decode_outcome(answer[1])


# --- the writer -------------------------------------------------------------------------------------------


def apply_calls(calls: list[batch.Call]) -> list[batch.Outcome]:
    """One transaction for all; if the database refuses it (an idempotency key committed concurrently by a
    caller applying its own call, a deadlock), each call alone."""
    try:
        return batch.apply_atomic(calls)
    except DatabaseError as error:
        log.info("ledger writer: batch of %d refused (%s); applying one by one", len(calls), error)
    outcomes = []
    for call in calls:
        try:
            outcomes.append(batch.apply_one(call))
        except DatabaseError:
            log.exception("ledger writer: call refused by the database")
            outcomes.append(batch.Outcome(error=WriterUnavailable()))
    return outcomes


def serve(
    stop: Callable[[], bool], *, threads: int = 1, on_batch: Callable[[int], None] | None = None
) -> None:
    """Take waiting calls, apply them together, answer each; until `stop()`. Several threads (each with its
    own database connection) let one batch's Python work overlap another's database round trips; batches
    lock accounts in the one global order, so they never deadlock each other."""
    if _client() is None:
        raise RuntimeError("the ledger writer needs REDIS_URL")
    workers = [
        threading.Thread(target=_loop, args=(stop, n == 0, on_batch), name=f"ledger-writer-{n}", daemon=True)
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _loop(stop: Callable[[], bool], beats: bool, on_batch: Callable[[int], None] | None) -> None:
    import redis

    client = _client()
    prefix = _prefix()
    queue, alive = prefix + ":calls", prefix + ":alive"
    beat = 0.0
    expect = 1  # how many callers the last batch answered: most of them are about to call again
    try:
        while not stop():
            try:
                if beats and time.monotonic() - beat >= HEARTBEAT_SECONDS:
                    client.set(alive, os.getpid(), ex=HEARTBEAT_TTL)
                    beat = time.monotonic()
                first, more = exchange(client, ("BLPOP", queue, 1), ("LPOP", queue, MAX_BATCH - 1))
                if first is None:
                    expect = 1
                    continue
                raws = [first[1], *(more or [])]
                # Linger a moment for the callers just answered: a full batch costs little more than a small.
                linger_until = time.monotonic() + LINGER_SECONDS
                while len(raws) < expect and time.monotonic() < linger_until:
                    time.sleep(LINGER_SECONDS / 8)
                    raws += exchange(client, ("LPOP", queue, MAX_BATCH - len(raws)))[0] or []
            except redis.RedisError as error:
                log.warning("ledger writer: Redis unavailable (%s); retrying", error)
                time.sleep(1)
                continue
            expect = len(raws)
            handle(client, prefix, raws)
            if on_batch is not None:
                on_batch(len(raws))
    finally:
        if beats:
            client.delete(alive)
        connection.close()


def handle(client: Any, prefix: str, raws: list[bytes]) -> None:
    now = time.time()
    live: list[tuple[str, batch.Call]] = []
    answers: list[tuple[str, str]] = []
    for raw in raws:
        body = decode_call(raw)
        if body is None:
            log.warning("ledger writer: dropped a call that is not signed with this deployment's key")
        elif body["deadline"] < now:  # its caller has given up on us: it applies the call itself
            answers.append((body["id"], json.dumps({"expired": True})))
        else:
            live.append((body["id"], batch.Call(body["op"], body["args"], body.get("lang", ""))))
    if live:
        try:
            outcomes = apply_calls([call for _id, call in live])
        except Exception:
            log.exception("ledger writer: batch failed")
            connection.close()  # a broken connection is reopened on the next batch
            outcomes = [batch.Outcome(error=WriterUnavailable()) for _ in live]
        answers += [(call_id, encode_outcome(o)) for (call_id, _call), o in zip(live, outcomes, strict=True)]
    commands: list[tuple[Any, ...]] = []
    for call_id, answer in answers:
        key = f"{prefix}:reply:{call_id}"
        commands += [("RPUSH", key, answer), ("EXPIRE", key, int(LATE_SECONDS) + 30)]
    if commands:
        exchange(client, *commands)
