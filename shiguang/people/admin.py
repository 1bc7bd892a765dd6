from __future__ import annotations

from django.contrib import admin

from shiguang.core.admin import ReadOnlyAdmin, ScopedAdmin
from shiguang.people.models import (
    CapabilityAssessment,
    ElderProfile,
    EmergencyContact,
    FamilyLink,
    VolunteerProfile,
)

# Sensitive fields are never shown or edited in the admin: use the elder page (masked, audited reveal).
SENSITIVE = ("id_number", "id_number_index", "address", "health_notes")


@admin.register(ElderProfile)
class ElderAdmin(ReadOnlyAdmin):
    list_display = ("name", "community", "gender", "living_arrangement", "hukou", "has_phone")
    list_filter = ("living_arrangement", "hukou", "gender", "community__street")
    search_fields = ("name",)
    exclude = SENSITIVE
    list_select_related = ("community__street",)


@admin.register(VolunteerProfile)
class VolunteerAdmin(ScopedAdmin):
    list_display = ("name", "kind", "community", "verification_status")
    list_filter = ("kind", "verification_status", "community__street")
    search_fields = ("name",)
    readonly_fields = ("user", "verified_by", "verified_at", "verification_status")
    list_select_related = ("community",)


@admin.register(CapabilityAssessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("elder", "assessed_on", "total", "level", "reassess_due", "assessor")
    list_filter = ("level",)


@admin.register(FamilyLink)
class FamilyLinkAdmin(ReadOnlyAdmin):
    list_display = ("elder", "family_user", "relation")


@admin.register(EmergencyContact)
class EmergencyContactAdmin(ReadOnlyAdmin):
    list_display = ("elder", "name", "relation")
    exclude = ("phone",)
