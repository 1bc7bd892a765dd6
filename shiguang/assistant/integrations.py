"""The other apps' services the assistant acts through, looked up when needed.

The mutual-aid, activity, time-bank and emergency apps are separate; a function that is not there (the
app is not installed or not built yet) raises `ServiceUnavailable`, and the assistant says plainly that
the service is not available yet instead of failing. The names are the cross-app contracts of the
engineering brief.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)

HELP_REQUEST_CREATE = ("shiguang.aid.services", "help_request_create")
HELP_REQUEST_CANCEL = ("shiguang.aid.services", "help_request_cancel")
OPEN_REQUESTS_FOR = ("shiguang.aid.selectors", "open_requests_for")
ACTIVITY_SIGNUP = ("shiguang.community.services", "activity_signup")
ACTIVITIES_FOR_ELDER = ("shiguang.community.selectors", "activities_for_elder")
BALANCE_FOR = ("shiguang.timebank.selectors", "balance_for")
STAR_LEVEL = ("shiguang.timebank.selectors", "star_level")
ALARM_TRIGGER = ("shiguang.sos.services", "alarm_trigger")
CHECKIN_RECORD = ("shiguang.sos.services", "checkin_record")


class ServiceUnavailable(Exception):
    """The function the assistant needs is not available in this installation (yet)."""

    def __init__(self, target: tuple[str, str]) -> None:
        self.target = target
        super().__init__(f"{target[0]}.{target[1]} is not available")


def get(target: tuple[str, str]) -> Callable[..., Any]:
    module_name, attribute = target
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # A missing module is simply "not available"; one that fails while importing is a bug to report.
        missing = getattr(exc, "name", None)
        if missing is None or not module_name.startswith(missing):
            logger.exception("importing %s failed", module_name)
        raise ServiceUnavailable(target) from exc
    except Exception as exc:  # another app broken at import time must not break the assistant
        logger.exception("importing %s failed", module_name)
        raise ServiceUnavailable(target) from exc
    func = getattr(module, attribute, None)
    if not callable(func):
        raise ServiceUnavailable(target)
    return func  # type: ignore[no-any-return]


def available(*targets: tuple[str, str]) -> bool:
    try:
        for target in targets:
            get(target)
    except ServiceUnavailable:
        return False
    return True


def first_url(*names: str, args: tuple[Any, ...] = ()) -> str | None:
    """The first of several URL names (another app's pages) that resolves, or None."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def sos_page_url() -> str | None:
    return first_url("sos:elder", "sos:home", "sos:index")


def sos_alarm_url(alarm_id: Any) -> str | None:
    """The elder's own page for one alarm ("help is coming"), else the SOS page."""
    if alarm_id not in (None, ""):
        try:
            url = first_url("sos:status", args=(int(alarm_id),))
        except (TypeError, ValueError):
            url = None
        if url:
            return url
    return sos_page_url()


def help_square_url() -> str | None:
    return first_url("aid:square", "aid:mine", "aid:index")


def help_request_url(request_id: Any) -> str | None:
    return first_url("aid:detail", args=(request_id,)) or first_url("aid:mine", "aid:square")


def activities_url() -> str | None:
    return first_url("community:activities", "community:index")


def timebank_url() -> str | None:
    return first_url("timebank:mine", "timebank:index")
