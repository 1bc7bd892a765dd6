"""The one place where "who may see what" is decided.

Every model that holds people's data declares a `Scoping` inner class naming its paths:
    community: path to the Community FK (e.g. "community" or "elder__community"; "" on Community itself)
    self_path: path to the user the row is about (elders see themselves)
    family_path: path to family users linked to it (family members see their elders)
Selectors, API handlers and admin querysets call `scoped(queryset, actor)`; nothing filters by role by hand.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from shiguang.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def _paths(model: type[models.Model]) -> Any:
    spec = getattr(model, "Scoping", None)
    if spec is None:
        raise TypeError(f"{model.__name__} declares no Scoping; it cannot be read through scoped()")
    return spec


def scope_q(model: type[models.Model], actor: Any) -> Q | None:
    """A Q limiting `model` to `actor`'s scope; None means everything."""
    from shiguang.accounts.choices import Role  # local: accounts depends on core

    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Q(pk__in=[])
    if actor.is_superuser or actor.role == Role.ADMIN:
        return None
    spec = _paths(model)
    community = getattr(spec, "community", None)
    conditions = Q(pk__in=[])
    if community is not None:
        # "" means the model is Community itself.
        prefix = f"{community}__" if community else ""
        if actor.role == Role.DISTRICT_STAFF and actor.district_id:
            conditions |= Q(**{f"{prefix}street__district_id": actor.district_id})
        elif actor.role == Role.STREET_STAFF and actor.street_id:
            conditions |= Q(**{f"{prefix}street_id": actor.street_id})
        elif actor.role == Role.COMMUNITY_WORKER and actor.community_id:
            conditions |= Q(**{f"{prefix}id": actor.community_id})
    self_path = getattr(spec, "self_path", None)
    if self_path:
        conditions |= Q(**{self_path: actor.pk})
    family_path = getattr(spec, "family_path", None)
    if family_path and actor.role == Role.FAMILY:
        conditions |= Q(**{family_path: actor.pk})
    extra = getattr(spec, "extra", None)
    if extra is not None:
        more = extra(actor)
        if more is not None:
            conditions |= more
    return conditions


def scoped(queryset: models.QuerySet[M], actor: Any) -> models.QuerySet[M]:
    q = scope_q(queryset.model, actor)
    if q is None:
        return queryset
    return queryset.filter(q).distinct()


def get_scoped(queryset: models.QuerySet[M], actor: Any, **lookup: Any) -> M:
    """Fetch one row inside the actor's scope; out of scope looks exactly like missing (404)."""
    try:
        return scoped(queryset, actor).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def in_scope(obj: models.Model, actor: Any) -> bool:
    return scoped(type(obj)._default_manager.filter(pk=obj.pk), actor).exists()


def is_worker(actor: Any) -> bool:
    """A signed-in worker (community, street, district staff, admin): one who acts for others in a place."""
    from shiguang.accounts.choices import WORKER_ROLES

    return bool(
        actor is not None
        and actor.is_authenticated
        and (actor.is_superuser or getattr(actor, "role", None) in WORKER_ROLES)
    )


def is_worker_for(actor: Any, obj: models.Model) -> bool:
    """A worker whose place contains `obj` (the one check services use before acting for someone)."""
    return is_worker(actor) and in_scope(obj, actor)
