"""Which home page each role gets, and what it shows. Other apps add tiles through `register_tile`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shiguang.accounts.choices import Role


@dataclass(frozen=True)
class Tile:
    """A big link on a role's home page, contributed by a domain app."""

    key: str
    label: Any
    url_name: str
    icon: str = ""
    tone: str = "default"  # default | primary | danger | success
    order: int = 50


TileProvider = Callable[[Any], list[Tile]]
_TILES: dict[str, list[TileProvider]] = {}


def register_tile(role: str, provider: TileProvider) -> None:
    _TILES.setdefault(role, []).append(provider)


def tiles_for(user: Any) -> list[Tile]:
    tiles: list[Tile] = []
    for provider in _TILES.get(user.role, []):
        tiles.extend(provider(user))
    return sorted(tiles, key=lambda t: (t.order, t.key))


TEMPLATES = {
    Role.ELDER: "home/elder.html",
    Role.VOLUNTEER: "home/volunteer.html",
    Role.FAMILY: "home/family.html",
    Role.LEGAL_ADVISOR: "home/legal.html",
}


def home_context(user: Any) -> tuple[str, dict[str, Any]]:
    from shiguang.people import selectors as people
    from shiguang.reports.selectors import staff_dashboard

    context: dict[str, Any] = {"tiles": tiles_for(user)}
    role = user.role
    if role == Role.ELDER:
        context["elder"] = people.elder_for_user(user)
    elif role == Role.VOLUNTEER:
        context["volunteer"] = getattr(user, "volunteer_profile", None)
    elif role == Role.FAMILY:
        context["elders"] = list(people.family_elders(user))
    elif (
        role in (Role.COMMUNITY_WORKER, Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.ADMIN)
        or user.is_superuser
    ):
        context.update(staff_dashboard(user))
        return "home/staff.html", context
    return TEMPLATES.get(role, "home/staff.html"), context
