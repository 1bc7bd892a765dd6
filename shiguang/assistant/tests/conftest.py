"""Fixtures for the assistant: stand-ins for the other apps' services (put on the real modules, or installed
into sys.modules, so the assistant's lazy lookups find them exactly as they would find the real ones),
consent, a seeded knowledge base."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import sys
import types
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from shiguang.core import clock


@dataclass
class FakeRequest:
    pk: int
    category: str
    description: str
    start_at: dt.datetime | None
    status: str = "open"


@dataclass
class FakeActivity:
    pk: int
    title: str
    start_at: dt.datetime
    place: str = "测试甲站"


@dataclass
class Fakes:
    """Recorded calls into the fake domain services, and the data they serve."""

    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[FakeRequest] = field(default_factory=list)
    activities: list[FakeActivity] = field(default_factory=list)
    balance: Decimal = Decimal("12.5")
    stars: int = 1
    signup_status: str = "confirmed"
    alarms: dict[str, Any] = field(default_factory=dict)
    fail_with: Exception | None = None
    ids: Any = field(default_factory=lambda: itertools.count(1))

    def record(self, name: str, **kwargs: Any) -> None:
        self.calls.setdefault(name, []).append(kwargs)

    def count(self, name: str) -> int:
        return len(self.calls.get(name, []))

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with


def _module(name: str, **functions: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in functions.items():
        setattr(module, key, value)
    return module


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    f = Fakes()

    def help_request_create(**kwargs: Any) -> Any:
        f._maybe_fail()
        f.record("help_request_create", **kwargs)
        request = FakeRequest(next(f.ids), kwargs["category"], kwargs["description"], kwargs.get("start_at"))
        f.requests.append(request)
        return request

    def help_request_cancel(**kwargs: Any) -> Any:
        f._maybe_fail()
        f.record("help_request_cancel", **kwargs)
        request = next(r for r in f.requests if r.pk == kwargs["request_id"])
        request.status = "cancelled"
        return request

    def open_requests_for(elder: Any) -> list[FakeRequest]:
        return [r for r in f.requests if r.status == "open"]

    def activity_signup(**kwargs: Any) -> Any:
        f._maybe_fail()
        f.record("activity_signup", **kwargs)
        return types.SimpleNamespace(pk=next(f.ids), status=f.signup_status)

    def activities_for_elder(elder: Any, *, keyword: str = "", days: int = 7) -> list[FakeActivity]:
        f.record("activities_for_elder", elder=elder, keyword=keyword, days=days)
        return [a for a in f.activities if keyword in a.title]

    def balance_for(user: Any) -> Decimal:
        return f.balance

    def star_level(user: Any) -> int:
        return f.stars

    def alarm_trigger(**kwargs: Any) -> Any:
        f._maybe_fail()
        f.record("alarm_trigger", **kwargs)
        key = kwargs.get("idempotency_key") or str(next(f.ids))
        if key not in f.alarms:
            f.alarms[key] = types.SimpleNamespace(pk=1000 + len(f.alarms))
        return f.alarms[key]

    def checkin_record(**kwargs: Any) -> Any:
        f._maybe_fail()
        f.record("checkin_record", **kwargs)
        return types.SimpleNamespace(pk=next(f.ids))

    modules = {
        "shiguang.aid.services": _module(
            "shiguang.aid.services",
            help_request_create=help_request_create,
            help_request_cancel=help_request_cancel,
        ),
        "shiguang.aid.selectors": _module("shiguang.aid.selectors", open_requests_for=open_requests_for),
        "shiguang.community.services": _module(
            "shiguang.community.services", activity_signup=activity_signup
        ),
        "shiguang.community.selectors": _module(
            "shiguang.community.selectors", activities_for_elder=activities_for_elder
        ),
        "shiguang.timebank.selectors": _module(
            "shiguang.timebank.selectors", balance_for=balance_for, star_level=star_level
        ),
        "shiguang.sos.services": _module(
            "shiguang.sos.services", alarm_trigger=alarm_trigger, checkin_record=checkin_record
        ),
    }
    for name, module in modules.items():
        _install(monkeypatch, name, module)
    return f


def _install(monkeypatch: pytest.MonkeyPatch, name: str, fake: types.ModuleType) -> None:
    """Put the fake functions on the real module when it exists (its other names keep working for the rest
    of the project, e.g. its URLconf), else install the fake module itself."""
    try:
        module = importlib.import_module(name)
    except Exception:  # not installed (or broken while another engineer works on it)
        monkeypatch.setitem(sys.modules, name, fake)
        return
    for attribute, value in vars(fake).items():
        if not attribute.startswith("__"):
            monkeypatch.setattr(module, attribute, value, raising=False)


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch) -> Any:
    """missing("shiguang.aid.services.help_request_create") takes that function away for the test (the module
    itself stays importable, so the rest of the project keeps working)."""

    def _missing(*dotted: str) -> None:
        for name in dotted:
            module_name, _dot, attribute = name.rpartition(".")
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            monkeypatch.delattr(module, attribute, raising=False)

    return _missing


@pytest.fixture
def at() -> Any:
    """with at(datetime): pins the platform clock."""
    return clock.frozen


@pytest.fixture
def consent() -> Any:
    def _grant(user: Any) -> Any:
        from shiguang.accounts import services
        from shiguang.accounts.choices import ConsentCategory

        return services.consent_grant(actor=user, subject=user, category=ConsentCategory.CONVERSATION)

    return _grant


@pytest.fixture
def seeded(db: Any) -> int:
    """The starting knowledge base (the data migration loads it; a flushed test database may have lost it)."""
    from shiguang.assistant import knowledge
    from shiguang.assistant.knowledge_seed import seed_articles
    from shiguang.assistant.models import KnowledgeArticle

    seed_articles(KnowledgeArticle)
    knowledge.invalidate()
    return KnowledgeArticle.objects.count()
