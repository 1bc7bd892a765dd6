"""Every write of community life. Import from here: `from shiguang.community import services`.

The functions live in one module per area (activities, groups, training, rules, outreach, cases) and are
re-exported here, so `shiguang.community.services.activity_signup` and `.certification_record` are the
stable names other apps use.
"""

from shiguang.community.services.activities import (
    activity_cancel,
    activity_checkin,
    activity_create,
    activity_set_capacity,
    activity_signup,
    attendance_mark,
    extend_series,
    send_due_reminders,
    series_create,
    series_end,
    signup_cancel,
)
from shiguang.community.services.cases import (
    case_draft,
    case_review,
    case_submit,
    case_update,
    case_withdraw,
)
from shiguang.community.services.groups import (
    announcement_post,
    group_create,
    group_join,
    group_leave,
    group_set_role,
)
from shiguang.community.services.outreach import (
    outreach_link_elder,
    outreach_log,
    screening_record,
    youth_survey_record,
)
from shiguang.community.services.rules import rule_set
from shiguang.community.services.training import (
    certification_record,
    certification_revoke,
    course_create,
    enrollment_cancel,
    enrollment_mark,
    insurance_record,
    recruitment_set,
    send_expiry_reminders,
    session_cancel,
    session_create,
    session_enroll,
)

__all__ = [
    "activity_cancel",
    "activity_checkin",
    "activity_create",
    "activity_set_capacity",
    "activity_signup",
    "announcement_post",
    "attendance_mark",
    "case_draft",
    "case_review",
    "case_submit",
    "case_update",
    "case_withdraw",
    "certification_record",
    "certification_revoke",
    "course_create",
    "enrollment_cancel",
    "enrollment_mark",
    "extend_series",
    "group_create",
    "group_join",
    "group_leave",
    "group_set_role",
    "insurance_record",
    "outreach_link_elder",
    "outreach_log",
    "recruitment_set",
    "rule_set",
    "screening_record",
    "send_due_reminders",
    "send_expiry_reminders",
    "series_create",
    "series_end",
    "session_cancel",
    "session_create",
    "session_enroll",
    "signup_cancel",
    "youth_survey_record",
]
