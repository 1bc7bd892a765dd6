"""Back office: scoped, read-only views of community records (changes go through the pages and services,
which keep queue order, reminders and the audit trail right). Courses are edited here by administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shiguang.community.models import (
    Activity,
    ActivitySeries,
    CaseStory,
    Certification,
    Course,
    CourseSession,
    DistrictRule,
    InterestGroup,
    OutreachVisit,
    SessionEnrollment,
    Signup,
    VolunteerInsurance,
    VolunteerRecruitment,
    YouthSurvey,
)
from shiguang.core.admin import ReadOnlyAdmin


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "start_at", "facility", "capacity", "status")
    list_filter = ("kind", "status")
    search_fields = ("title",)
    exclude = ("checkin_code", "search_text")
    list_select_related = ("facility",)


@admin.register(ActivitySeries)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "weekday", "start_time", "facility", "capacity", "active")
    list_filter = ("kind", "active")


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    list_display = ("activity", "elder", "status", "seq", "channel", "checked_in_at")
    list_filter = ("status", "channel")
    list_select_related = ("activity", "elder")


@admin.register(InterestGroup)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "community", "active")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "certification_kind", "validity_months", "hours", "active")

    def has_module_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and (user.is_superuser or user.is_staff_role))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CourseSession)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ("course", "start_at", "facility", "trainer_name", "capacity", "status")
    list_filter = ("course", "status")


@admin.register(SessionEnrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("session", "volunteer", "status", "attended_at", "result")
    list_filter = ("result", "status")


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "kind", "issued_on", "expires_on", "revoked_at")
    list_filter = ("kind",)


@admin.register(VolunteerInsurance)
class InsuranceAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "insurer", "policy_number", "valid_from", "valid_to")


@admin.register(VolunteerRecruitment)
class RecruitmentAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "channel", "organisation")
    list_filter = ("channel",)


@admin.register(OutreachVisit)
class OutreachAdmin(ReadOnlyAdmin):
    list_display = ("visited_on", "community", "elder", "outcome", "visited_by")
    list_filter = ("outcome",)
    exclude = ("household_address", "household_index")  # sensitive: shown masked on the pages


@admin.register(YouthSurvey)
class YouthSurveyAdmin(ReadOnlyAdmin):
    list_display = ("surveyed_on", "community", "respondent_kind", "channel")
    exclude = ("contact_phone",)


@admin.register(CaseStory)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "community", "status", "published_at")
    list_filter = ("status", "kind")


@admin.register(DistrictRule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("district", "key", "value", "updated_by", "updated_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
