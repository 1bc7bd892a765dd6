"""A hypothesis state machine of the ledger: random services, transfers, donations, grants, redemptions and
reversals against a simple model; after every step the ledger verifies and every balance matches the model."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from shiguang.core.errors import Conflict, ValidationFailed
from shiguang.timebank import services
from shiguang.timebank.choices import AccountKind
from shiguang.timebank.models import Account, LedgerTransaction
from shiguang.timebank.verify import verify_ledger

CAP = 3 * 60  # a small cap so that overflow to the priority pool happens often
CATEGORIES = ["medical_escort", "companionship", "meal"]
WEIGHTS = {"medical_escort": "1.5", "companionship": "0.5", "meal": "1"}


class _Rollback(Exception):
    pass


class LedgerMachine(RuleBasedStateMachine):
    people: dict[str, Any] = {}  # set by the test: name -> user
    staff: dict[str, Any] = {}
    community: Any = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()  # each example runs in a savepoint that teardown rolls back
        self.balance: dict[tuple[Any, ...], int] = defaultdict(int)
        self.effects: dict[int, list[tuple[tuple[Any, ...], int]]] = {}
        self.reversed: set[int] = set()
        self.reversals: set[int] = set()
        self.keys: dict[str, tuple[Any, ...]] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize()
    def policy(self) -> None:
        services.policy_create(
            actor=self.staff["district"], weights=WEIGHTS, cap_hours=CAP // 60, note="state machine"
        )

    # --- model helpers ---------------------------------------------------------------------------------
    def _credit(self, user: Any, amount: int) -> list[tuple[tuple[Any, ...], int]]:
        key = ("person", user.pk)
        room = max(0, CAP - max(self.balance[key], 0))
        overflow = max(0, amount - room)
        effect = [(key, amount)]
        if overflow:
            effect += [(key, -overflow), (("priority",), overflow)]
        return effect

    def _apply(self, txn: LedgerTransaction, effect: list[tuple[tuple[Any, ...], int]]) -> None:
        for key, delta in effect:
            self.balance[key] += delta
        self.effects[txn.pk] = effect

    def _eligible(self, sender: str, recipient: str) -> bool:
        if sender == recipient:
            return False
        if {sender, recipient} == {"daughter", "mother"}:
            return True
        return recipient in ("mother", "uncle")  # 80+ and living alone

    # --- rules ---------------------------------------------------------------------------------------------
    @rule(
        provider=st.sampled_from(["volunteer", "student", "daughter"]),
        receiver=st.sampled_from(["mother", "uncle", "auntie"]),
        minutes=st.integers(min_value=-10, max_value=800),
        category=st.sampled_from(CATEGORIES),
        key=st.sampled_from([f"k{i}" for i in range(8)]),
    )
    def post_service(self, provider: str, receiver: str, minutes: int, category: str, key: str) -> None:
        p, r = self.people[provider], self.people[receiver]
        details = (provider, receiver, minutes, category)
        try:
            txn = services.post_service(
                actor=r,
                idempotency_key=key,
                provider=p,
                receiver=r,
                minutes=minutes,
                category=category,
                source="sm",
            )
        except ValidationFailed:
            assert not 1 <= minutes <= 720 or key in self.keys
            return
        except Conflict:
            assert key in self.keys and self.keys[key] != details
            return
        assert 1 <= minutes <= 720
        if key in self.keys:
            assert self.keys[key] == details and txn.pk in self.effects
            return
        self.keys[key] = details
        amount = txn.amount
        from decimal import ROUND_HALF_UP, Decimal

        expected = int((Decimal(minutes) * Decimal(WEIGHTS[category])).quantize(Decimal(1), ROUND_HALF_UP))
        assert amount == expected
        self._apply(txn, [(("issuance",), -amount), *self._credit(p, amount)])

    @rule(
        sender=st.sampled_from(["volunteer", "student", "daughter", "mother"]),
        recipient=st.sampled_from(["mother", "uncle", "auntie", "volunteer"]),
        minutes=st.integers(min_value=-5, max_value=400),
    )
    def transfer(self, sender: str, recipient: str, minutes: int) -> None:
        s, r = self.people[sender], self.people[recipient]
        try:
            txn = services.transfer(actor=s, sender=s, recipient=r, minutes=minutes)
        except ValidationFailed:
            assert not 0 < minutes <= CAP or not self._eligible(sender, recipient)
            return
        except Conflict:
            assert minutes > self.balance[("person", s.pk)]
            return
        assert self._eligible(sender, recipient) and 0 < minutes <= self.balance[("person", s.pk)]
        self._apply(txn, [(("person", s.pk), -minutes), *self._credit(r, minutes)])

    @rule(
        sender=st.sampled_from(["volunteer", "student", "daughter", "mother"]),
        pool=st.sampled_from(["priority", "community"]),
        minutes=st.integers(min_value=1, max_value=300),
    )
    def donate(self, sender: str, pool: str, minutes: int) -> None:
        s = self.people[sender]
        community = self.community if pool == "community" else None
        try:
            txn = services.donate(actor=s, sender=s, pool=pool, community=community, minutes=minutes)
        except ValidationFailed:
            assert minutes > CAP
            return
        except Conflict:
            assert minutes > self.balance[("person", s.pk)]
            return
        target = ("priority",) if pool == "priority" else ("community",)
        self._apply(txn, [(("person", s.pk), -minutes), (target, minutes)])

    @rule(recipient=st.sampled_from(["mother", "uncle"]), minutes=st.integers(min_value=1, max_value=200))
    def grant_from_priority_pool(self, recipient: str, minutes: int) -> None:
        r = self.people[recipient]
        try:
            txn = services.pool_grant(
                actor=self.staff["district"], pool="priority", recipient=r, minutes=minutes, reason="sm"
            )
        except ValidationFailed:
            assert minutes > CAP
            return
        except Conflict:
            assert minutes > self.balance[("priority",)] or minutes > CAP - self.balance[("person", r.pk)]
            return
        self._apply(txn, [(("priority",), -minutes), (("person", r.pk), minutes)])

    @rule(person=st.sampled_from(["mother", "uncle"]), minutes=st.integers(min_value=1, max_value=200))
    def redeem(self, person: str, minutes: int) -> None:
        u = self.people[person]
        try:
            txn = services.redeem_service(
                actor=u,
                idempotency_key=f"r{len(self.effects)}",
                person=u,
                minutes=minutes,
                category="meal",
                source="sm",
            )
        except Conflict:
            assert minutes > self.balance[("person", u.pk)]
            return
        self._apply(txn, [(("person", u.pk), -minutes), (("redemption",), minutes)])

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    def reverse(self, pick: int) -> None:
        if not self.effects:
            return
        ids = sorted(self.effects)
        txn_id = ids[pick % len(ids)]
        effect = [(key, -delta) for key, delta in self.effects[txn_id]]
        after = defaultdict(int, self.balance)
        for key, delta in effect:
            after[key] += delta
        fits = all(after[key] >= 0 for key, _d in effect if key != ("issuance",))
        try:
            reversal = services.reverse(actor=self.staff["district"], transaction_id=txn_id, reason="sm")
        except Conflict:
            assert txn_id in self.reversed or txn_id in self.reversals or not fits
            return
        assert txn_id not in self.reversed and txn_id not in self.reversals and fits
        self.reversed.add(txn_id)
        self.reversals.add(reversal.pk)
        self._apply(reversal, effect)

    # --- invariants ----------------------------------------------------------------------------------------
    @invariant()
    def ledger_verifies_and_matches_the_model(self) -> None:
        report = verify_ledger()
        assert report.ok, report.messages
        for name, user in self.people.items():
            account = Account.objects.filter(kind=AccountKind.PERSON, user=user).first()
            assert (account.balance if account else 0) == self.balance[("person", user.pk)], name
            assert account is None or account.balance >= 0
        pool = Account.objects.filter(kind=AccountKind.PRIORITY_POOL).first()
        assert (pool.balance if pool else 0) == self.balance[("priority",)]
        issued = sum(Account.objects.filter(kind=AccountKind.ISSUANCE).values_list("balance", flat=True))
        assert issued == self.balance[("issuance",)]
        total = sum(Account.objects.values_list("balance", flat=True))
        assert total == 0


@pytest.mark.django_db
def test_ledger_state_machine(
    volunteer_a, volunteer_b, family_a, elder_a, elder_b, young_elder, district_staff, futian
):
    LedgerMachine.people = {
        "volunteer": volunteer_a.user,
        "student": volunteer_b.user,
        "daughter": family_a,
        "mother": elder_a.user,
        "uncle": elder_b.user,
        "auntie": young_elder.user,
    }
    LedgerMachine.staff = {"district": district_staff}
    LedgerMachine.community = futian["a"]
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            database=None,
        ),
    )
