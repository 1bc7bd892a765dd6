"""Every read of community life, always through the actor's scope for personal data.

Stable names other apps use: `has_certifications`, `certified_volunteer_ids`, `has_valid_insurance`,
`valid_certifications`, `insurance_required`, `volunteer_may_visit_homes`, `activities_for_elder`.
"""

from shiguang.community.selectors.activities import (
    activities_for_elder,
    activities_for_staff,
    activity_for_staff,
    activity_public,
    card_for,
    cards,
    facilities_for,
    groups_for_staff,
    groups_for_user,
    my_signups,
    roster,
    signup_message,
    waitlist_position,
)
from shiguang.community.selectors.cases import case_get, case_list, case_public, published_cases
from shiguang.community.selectors.certifications import (
    certification_status,
    certifications_of,
    certified_volunteer_ids,
    expiring_certifications,
    has_certifications,
    has_valid_insurance,
    insurances_of,
    insured_volunteer_ids,
    missing_certifications,
    valid_certifications,
    volunteer_may_visit_homes,
)
from shiguang.community.selectors.outreach import funnel, outreach_list, youth_summary
from shiguang.community.selectors.rules import insurance_required, rule_value, rules_for

__all__ = [
    "activities_for_elder",
    "activities_for_staff",
    "activity_for_staff",
    "activity_public",
    "card_for",
    "cards",
    "case_get",
    "case_list",
    "case_public",
    "certification_status",
    "certifications_of",
    "certified_volunteer_ids",
    "expiring_certifications",
    "facilities_for",
    "funnel",
    "groups_for_staff",
    "groups_for_user",
    "has_certifications",
    "has_valid_insurance",
    "insurance_required",
    "insurances_of",
    "insured_volunteer_ids",
    "missing_certifications",
    "my_signups",
    "outreach_list",
    "published_cases",
    "roster",
    "rule_value",
    "rules_for",
    "signup_message",
    "valid_certifications",
    "volunteer_may_visit_homes",
    "waitlist_position",
    "youth_summary",
]
