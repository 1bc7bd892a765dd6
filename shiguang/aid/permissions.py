"""Who may do what with a help request. Reads only: services raise, pages and the API show actions."""

from __future__ import annotations

from typing import Any

from shiguang.accounts.choices import Role
from shiguang.aid.choices import TAKEABLE, RatingDirection, RequestStatus, Side
from shiguang.aid.models import Dispute, HelpRequest, Invitation, Rating
from shiguang.core import clock
from shiguang.core.scoping import is_worker, is_worker_for

__all__ = ["is_worker", "is_worker_for"]  # re-exported: the aid views and services ask here


def is_family_of(actor: Any, elder: Any) -> bool:
    return actor.role == Role.FAMILY and elder.family_links.filter(family_user=actor).exists()


def acts_for_elder(actor: Any, elder: Any) -> bool:
    """The elder, a linked family member, or a worker whose area holds the elder."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    return actor.pk == elder.user_id or is_family_of(actor, elder) or is_worker_for(actor, elder)


def on_behalf(actor: Any, elder: Any) -> Any:
    """The elder's user when someone else acts (recorded as on_behalf_of in the audit trail)."""
    return elder.user if actor.pk != elder.user_id else None


def volunteer_of(actor: Any) -> Any:
    if actor.role != Role.VOLUNTEER:
        return None
    return getattr(actor, "volunteer_profile", None)


def is_assignee(actor: Any, req: HelpRequest) -> bool:
    return req.assignee is not None and req.assignee.user_id == actor.pk


def side_of(actor: Any, req: HelpRequest) -> str | None:
    if is_assignee(actor, req):
        return Side.VOLUNTEER
    if acts_for_elder(actor, req.elder):
        return Side.ELDER
    return None


def allowed_actions(actor: Any, req: HelpRequest) -> list[str]:
    """The actions the detail page offers and the API reports; each service re-checks on its own."""
    actions: list[str] = []
    status = req.status
    elder_side = acts_for_elder(actor, req.elder)
    assignee = is_assignee(actor, req)
    worker = is_worker_for(actor, req.elder)
    volunteer = volunteer_of(actor)
    if volunteer is not None and status in TAKEABLE:
        actions.append("accept")
        if Invitation.objects.filter(request=req, volunteer=volunteer, status="pending").exists():
            actions.append("decline")
    if assignee and status == RequestStatus.ACCEPTED:
        actions += ["reveal_contact", "release"]
    if assignee and status == RequestStatus.IN_SERVICE:
        actions.append("reveal_contact")
    if (assignee or worker) and status == RequestStatus.ACCEPTED:
        actions.append("check_in")
    if (assignee or worker) and status == RequestStatus.IN_SERVICE:
        actions.append("check_out")
    if elder_side and status == RequestStatus.DONE:
        actions.append("confirm")
    if status in (RequestStatus.DONE, RequestStatus.CONFIRMED) and req.checked_in_at is not None:
        done = set(Rating.objects.filter(request=req).values_list("direction", flat=True))
        if (elder_side and RatingDirection.ELDER_TO_VOLUNTEER not in done) or (
            assignee and RatingDirection.VOLUNTEER_TO_ELDER not in done
        ):
            actions.append("rate")
    disputable = (RequestStatus.ACCEPTED, RequestStatus.IN_SERVICE, RequestStatus.DONE, RequestStatus.NO_SHOW)
    if (
        (elder_side or assignee)
        and status in disputable
        and not Dispute.objects.filter(request=req, status="open").exists()
    ):
        actions.append("dispute")
    if elder_side and status in (*TAKEABLE, RequestStatus.ACCEPTED):
        actions.append("cancel")
    started = req.start_at is None or req.start_at <= clock.now()
    if status == RequestStatus.ACCEPTED and (assignee or (elder_side and started)):
        actions.append("no_show")
    if elder_side and (
        status == RequestStatus.EXPIRED
        or (status == RequestStatus.NO_SHOW and req.no_show_party == Side.VOLUNTEER)
    ):
        actions.append("reopen")
    if worker and status in TAKEABLE:
        actions += ["assign", "dispatch"]
    if worker and status == RequestStatus.ACCEPTED:
        actions.append("release")
    if req.assignee_id and status not in TAKEABLE and (elder_side or assignee):
        actions.append("block")
    return list(dict.fromkeys(actions))
