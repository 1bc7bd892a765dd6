"""core.bulk.Round: statements sent together, in order; rows as JSON keep their types and precision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from shiguang.core import audit, bulk, clock
from shiguang.core.audit import verify_chain
from shiguang.core.models import AuditEvent
from shiguang.notify.models import Notification

COLUMNS = ["recipient_id", "template", "data", "link", "dedupe_key", "next_attempt_at", "claimed_until"]
MOMENT = dt.datetime(2026, 11, 30, 9, 15, 7, 123456, tzinfo=dt.UTC)


def _row(user, key, data=None):
    return [user.pk, "t.round", data if data is not None else {"名": "值", "n": 1}, "/x", key, MOMENT, None]


def _count(user):
    return ("SELECT COUNT(*) FROM notify_notification WHERE recipient_id = %s", [user.pk])


def test_a_round_runs_its_statements_in_order_and_returns_each_querys_rows(db, elder_a):
    user = elder_a.user
    with transaction.atomic():
        r = bulk.Round()
        before = r.query(*_count(user))
        r.insert(Notification, COLUMNS, [_row(user, "k1"), _row(user, "k2", {"nested": [1, None]})])
        r.execute("UPDATE notify_notification SET link = %s WHERE dedupe_key = %s", ["/y", "k2"])
        after = r.query(*_count(user))
        rows = r.run()
    assert rows[before] == [(0,)] and rows[after] == [(2,)]
    first, second = Notification.objects.filter(recipient=user).order_by("id")
    assert (first.dedupe_key, second.dedupe_key) == ("k1", "k2")  # ids follow the list's order
    assert first.next_attempt_at == MOMENT  # microseconds kept
    assert first.claimed_until is None  # SQL NULL, not a JSON null
    assert first.data == {"名": "值", "n": 1} and second.data == {"nested": [1, None]}
    assert second.link == "/y"
    assert (
        first.status == "pending" and first.created_at is not None
    )  # columns left out: the model's defaults
    assert bulk.Round().run() == []


def test_a_round_can_skip_conflicting_rows_or_fail_on_them(db, elder_a):
    user = elder_a.user
    with transaction.atomic():
        r = bulk.Round()
        r.insert(Notification, COLUMNS, [_row(user, "same")])
        r.run()
        r.insert(Notification, COLUMNS, [_row(user, "same"), _row(user, "new")], ignore_conflicts=True)
        r.run()
    assert sorted(Notification.objects.filter(recipient=user).values_list("dedupe_key", flat=True)) == [
        "new",
        "same",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        r = bulk.Round()
        r.insert(Notification, COLUMNS, [_row(user, "same")])
        r.run()


def test_audit_events_appended_in_a_round_keep_the_chain(db, elder_a):
    with transaction.atomic():
        audit.record("round.before")
        r = bulk.Round()
        claim = r.query(*audit.claim_statement())
        head = audit.claimed(r.run()[claim])
        writes = bulk.Round()
        audit.append([audit.Entry("round.1", data={"i": 1}), audit.Entry("round.2")], head, into=writes)
        writes.run()
        audit.record("round.after")
    codes = list(
        AuditEvent.objects.filter(code__startswith="round.").order_by("id").values_list("code", flat=True)
    )
    assert codes == ["round.before", "round.1", "round.2", "round.after"]
    assert verify_chain().ok


def test_a_claim_without_a_free_head_takes_one_the_slow_way(db):
    with transaction.atomic():
        head = audit.claimed([])  # what the claim statement returns when every head is busy or none exists
        writes = bulk.Round()
        audit.append([audit.Entry("round.slow")], head, into=writes)
        writes.run()
    assert verify_chain().ok


def test_among_matches_any_number_of_values_with_one_statement_text(db, elder_a, elder_b):
    users = [elder_a.user.pk, elder_b.user.pk]
    texts = set()
    for values in ([users[0]], users, [*users, users[0], 10**12]):  # duplicates and unknown ids are fine
        where, params = bulk.among("id", values)
        texts.add(where)
        r = bulk.Round()
        found = r.query(f"SELECT id FROM accounts_user WHERE {where} ORDER BY id", params)
        assert [row[0] for row in r.run()[found]] == sorted(set(values) & set(users))
    assert len(texts) == (1 if connection.vendor == "postgresql" else 3)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_rounds_statements_are_prepared_once_they_repeat(db, elder_a):
    sql = "SELECT COUNT(*) FROM notify_notification WHERE recipient_id = %s AND template = %s"
    with transaction.atomic():
        for _ in range(6):  # prepare_threshold is 5 (config.env)
            r = bulk.Round()
            r.query(sql, [elder_a.user.pk, "t.prepared"])
            assert r.run() == [[(0,)]]
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
    assert any("recipient_id = $1 AND template = $2" in text for text in prepared)


def test_a_failing_statement_in_a_round_raises_djangos_error_and_writes_nothing(db, elder_a):
    user = elder_a.user
    with pytest.raises(IntegrityError), transaction.atomic():
        r = bulk.Round()
        r.insert(Notification, COLUMNS, [_row(user, "kept?")])
        r.execute("INSERT INTO notify_notification (id) VALUES (NULL)", [])
        r.run()
    assert not Notification.objects.filter(recipient=user).exists()


def test_loaded_instances_are_what_from_db_makes(db, elder_a):
    from shiguang.accounts.models import User

    names = ["id", "username", "role", "community_id"]
    row = (elder_a.user.pk, elder_a.user.username, elder_a.user.role, elder_a.user.community_id)
    (fast,) = bulk.loaded(User, names, [row])
    slow = User.from_db(connection.alias, names, row)
    assert {n: getattr(fast, n) for n in names} == {n: getattr(slow, n) for n in names}
    assert (
        fast.get_deferred_fields() == slow.get_deferred_fields()
        and "display_name" in slow.get_deferred_fields()
    )
    assert (fast._state.adding, fast._state.db) == (False, connection.alias)
    assert fast == elder_a.user


def test_unsaved_instances_are_what_the_constructor_makes(db, elder_a, django_assert_num_queries):
    fields = {"recipient": elder_a.user, "template": "t.unsaved", "data": {"n": 1}, "dedupe_key": "k"}
    with clock.frozen(MOMENT):  # time defaults alike
        fast, slow = bulk.unsaved(Notification, **fields), Notification(**fields)
    columns = [f.attname for f in Notification._meta.concrete_fields]
    assert {c: getattr(fast, c) for c in columns} == {c: getattr(slow, c) for c in columns}
    assert fast._state.adding and fast.pk is None
    with django_assert_num_queries(0):
        assert fast.recipient is elder_a.user  # the related instance is cached, as the constructor does
    with pytest.raises(TypeError):
        bulk.unsaved(Notification, no_such_field=1)
