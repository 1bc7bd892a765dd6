"""Demo data for the time bank: a year of confirmed services (backdated, so the charts and statements have
history), a district policy version weighting medical escorts, the demo volunteer past her first star, the
demo daughter giving hours to her mother, donations to the pools, a grant, a redemption and a reversal.

Runs after places, people and the personas exist; writes through the services (so every transaction has
its audit event and policy version), then proves the ledger with `verify_ledger`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from shiguang.accounts.models import User
from shiguang.core import clock
from shiguang.people.models import ElderProfile, VolunteerProfile
from shiguang.timebank import selectors, services
from shiguang.timebank.choices import HelpCategory
from shiguang.timebank.verify import verify_ledger

SERVICES = {"tiny": 16, "small": 240, "medium": 1200, "full": 3000}
PERSONA_SERVICES = {"tiny": 6, "small": 56, "medium": 56, "full": 56}
MINUTES = (30, 45, 60, 60, 90, 120)


def _user(username: str) -> Any:
    return (
        User.objects.filter(username=username, is_demo=True).first()
        or User.objects.filter(username=username).first()
    )


def build(*, scale: str, rng: random.Random) -> str:
    now = clock.now()
    district = _user("district")
    worker = _user("worker")
    elder = _user("demo-elder")
    volunteer = _user("demo-volunteer")
    family = _user("demo-family")
    volunteers = list(
        VolunteerProfile.objects.filter(is_demo=True).select_related("user").order_by("id")[:60]
    )
    elders_by_community: dict[int, list[Any]] = defaultdict(list)
    for profile in ElderProfile.objects.filter(is_demo=True).select_related("user").order_by("id")[:2000]:
        elders_by_community[profile.community_id].append(profile)
    if not volunteers or not elders_by_community or elder is None or volunteer is None:
        return "timebank: no demo people found; nothing written"
    categories = [c for c in HelpCategory.values if c != "other"]

    # A year of services, oldest first (the first policy version, 1 hour = 1 time coin for every category).
    plan: list[tuple[dt.datetime, Any, Any, int, str]] = []
    persona_elder = ElderProfile.objects.filter(user=elder).first()
    for _i in range(PERSONA_SERVICES.get(scale, 6)):
        receivers = elders_by_community.get(persona_elder.community_id if persona_elder else 0) or next(
            iter(elders_by_community.values())
        )
        receiver = rng.choice(receivers).user
        plan.append(
            (now - dt.timedelta(days=rng.uniform(20, 340)), volunteer, receiver, 120, "medical_escort")
        )
    for _i in range(SERVICES.get(scale, 16)):
        provider = rng.choice(volunteers)
        receivers = elders_by_community.get(provider.community_id) or rng.choice(
            list(elders_by_community.values())
        )
        skills = [s for s in provider.skills if s in categories] or categories
        plan.append(
            (
                now - dt.timedelta(days=rng.uniform(1, 340), minutes=rng.randint(0, 600)),
                provider.user,
                rng.choice(receivers).user,
                rng.choice(MINUTES),
                rng.choice(skills),
            )
        )
    plan.sort(key=lambda row: row[0])
    for index, (at, provider, receiver, minutes, category) in enumerate(plan):
        if provider.pk == receiver.pk:
            continue
        with clock.frozen(at):
            services.post_service(
                actor=receiver,
                idempotency_key=f"demo:service:{index}",
                provider=provider,
                receiver=receiver,
                minutes=minutes,
                category=category,
                source="demo",
            )

    # The district weights medical escorts and legal advice from today on.
    if district is not None:
        services.policy_create(
            actor=district,
            weights={"medical_escort": "1.5", "legal": "1.2", "companionship": "1.0"},
            note="演示：陪诊按1.5倍、法律咨询按1.2倍计",
        )
    # The daughter helps a neighbour, then gives her hours to her mother.
    given = 0
    if family is not None and selectors.is_relative(family, elder):
        neighbour = rng.choice(
            elders_by_community.get(getattr(family, "community_id", 0) or 0) or [persona_elder]
        )
        services.post_service(
            actor=worker,
            idempotency_key="demo:family:service",
            provider=family,
            receiver=neighbour.user if neighbour and neighbour.user_id != family.pk else elder,
            minutes=180,
            category="companionship",
            source="demo",
        )
        services.transfer(actor=family, sender=family, recipient=elder, minutes=150, note="给妈妈用")
        given += 1
    # The volunteer gives to the pools; the worker grants from the community pool; the elder spends an hour.
    services.donate(actor=volunteer, sender=volunteer, pool="community", minutes=300, note="演示捐赠")
    services.donate(actor=volunteer, sender=volunteer, pool="priority", minutes=300, note="演示捐赠")
    if worker is not None and persona_elder is not None:
        services.pool_grant(
            actor=worker,
            pool="community",
            community=persona_elder.community,
            recipient=elder,
            minutes=120,
            reason="独居高龄，社区互助池补贴",
        )
        services.redeem_service(
            actor=worker,
            idempotency_key="demo:redeem:meal",
            person=elder,
            minutes=60,
            category="meal",
            source="station",
            note="长者饭堂午餐（代办）",
        )
        # A service recorded twice by mistake, corrected by a reversal.
        mistake = services.post_service(
            actor=worker,
            idempotency_key="demo:mistake",
            provider=volunteer,
            receiver=elder,
            minutes=60,
            category="shopping",
            source="manual:重复登记",
        )
        services.reverse(actor=worker, transaction_id=mistake.pk, reason="演示：重复登记，冲正")
    report = verify_ledger()
    if not report.ok:
        raise RuntimeError(f"demo ledger does not verify: {report.first}")
    stars = selectors.star_level(volunteer)
    return (
        f"timebank: {len(plan)} services, {given} family transfer, 2 donations, 1 grant, 1 redemption, "
        f"1 reversal; demo volunteer {selectors.balance_for(volunteer)} h, {stars} star(s); "
        f"{report.transactions} transactions verified"
    )
