from __future__ import annotations

from django.contrib import admin

from shiguang.core.admin import ReadOnlyAdmin
from shiguang.homeshare.models import AgreementVersion, Application, HelpLog, Match, Offer, Visit

# Read-only in the back office: every change goes through the services (audit trail, checks, constraints).


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ("elder", "community", "stage", "rent_yuan", "help_hours_per_week", "registered_on")
    list_filter = ("stage", "community__street")
    list_select_related = ("elder", "community")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "community", "stage", "budget_yuan", "background_outcome", "registered_on")
    list_filter = ("stage", "background_outcome", "community__street")
    exclude = ("id_number", "id_number_index")
    list_select_related = ("volunteer", "community")


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "community", "status", "score", "started_on", "ended_on", "end_reason")
    list_filter = ("status", "end_reason", "community__street")


@admin.register(AgreementVersion)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "sha256", "finalised_at", "signed_at")
    list_filter = ("status",)
    exclude = ("terms_json", "rendered_text")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("match", "kind", "scheduled_for", "status", "elder_wellbeing", "youth_wellbeing")
    list_filter = ("status", "kind")


@admin.register(HelpLog)
class HelpLogAdmin(ReadOnlyAdmin):
    list_display = ("match", "date", "minutes", "status", "ledger_ref")
    list_filter = ("status",)
