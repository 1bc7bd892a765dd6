from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificationKind(models.TextChoices):
    """What a passed course certifies. Help categories and SOS responder duty can require these."""

    ELDER_CARE_BASICS = "elder_care_basics", _("为老服务基础")
    HOME_VISIT_SAFETY = "home_visit_safety", _("安全入户")
    FALL_RESPONSE = "fall_response", _("跌倒应急（应急响应人）")
    ANTI_FRAUD = "anti_fraud", _("防诈骗")
    DIGITAL_HELP = "digital_help", _("数码帮助")
