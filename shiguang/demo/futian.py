"""Static facts and word lists for the synthetic Futian demo.

Real: the district, its code, the 10 street names and the programme's totals (from the report in
seed/futian-mutual-aid-elderly-care-report.txt: 92 communities, about 203,400 residents over 60 of whom
155,500 hold Futian hukou, 93 community stations covering more than 89% of ageing communities, 13 street
centres with two each in 福田, 莲花 and 福保, 309 service posts). Everything else (community names, people,
addresses, phone and ID numbers) is invented and marked demo.
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT_NAME = "福田区"
DISTRICT_CODE = "440304"
DEMO_PASSWORD = "shiguang-demo"
DEMO_PREFIX = "演示·"  # every synthetic place name starts with this

# Bounding box of the district (approximate) used to clamp generated coordinates.
LAT_MIN, LAT_MAX = 22.502, 22.578
LNG_MIN, LNG_MAX = 114.002, 114.098


@dataclass(frozen=True)
class StreetSpec:
    name: str  # without the 街道 suffix
    communities: int
    lat: float  # approximate centre of the street
    lng: float
    centres: int = 1  # street elderly-service centres (福田, 莲花, 福保 have two: "双中心")


STREETS: tuple[StreetSpec, ...] = (
    StreetSpec("园岭", 8, 22.556, 114.095),
    StreetSpec("南园", 10, 22.536, 114.092),
    StreetSpec("福田", 13, 22.527, 114.068, centres=2),
    StreetSpec("沙头", 11, 22.525, 114.032),
    StreetSpec("香蜜湖", 9, 22.545, 114.025),
    StreetSpec("梅林", 12, 22.570, 114.047),
    StreetSpec("莲花", 11, 22.559, 114.058, centres=2),
    StreetSpec("华富", 8, 22.549, 114.074),
    StreetSpec("福保", 4, 22.511, 114.050, centres=2),
    StreetSpec("华强北", 6, 22.544, 114.086),
)
PILOT_STREET = "南园"
DISTRICT_CENTRE_STREET = "福田"
DISTRICT_CENTRE_LOCATION = (22.541, 114.058)

TOTAL_COMMUNITIES = 92
TOTAL_ELDERS = 203_400
REGISTERED_ELDERS = 155_500  # hukou holders among them
AGEING_COMMUNITIES = 78  # of 92: most of Futian's communities are ageing
COVERED_AGEING = 70  # 70 / 78 = 89.7% ("覆盖率超89%")
STATIONS = 93  # community elderly-service stations; the extra ones are second stations
STREET_CENTRES = 13
SERVICE_POSTS = 309

CN_NUMERALS = (
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
    "十三",
    "十四",
    "十五",
)

# Rating shares by facility level (1A-5A). Futian holds half of Shenzhen's 5A and three quarters of its 4A
# community care institutions, so the upper grades are well represented.
RATING_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    "street_centre": (("5A", 0.30), ("4A", 0.40), ("3A", 0.30)),
    "community_station": (("5A", 0.12), ("4A", 0.28), ("3A", 0.35), ("2A", 0.18), ("1A", 0.07)),
    "service_post": (("5A", 0.03), ("4A", 0.12), ("3A", 0.35), ("2A", 0.32), ("1A", 0.18)),
}
OPENING_HOURS = {
    "district_centre": "周一至周日 08:00-20:00",
    "street_centre": "周一至周日 08:30-20:00",
    "community_station": "周一至周六 08:30-17:30",
    "service_post": "周一至周五 09:00-17:00",
}
CAPACITY = {
    "district_centre": (500, 500),
    "street_centre": (120, 300),
    "community_station": (40, 120),
    "service_post": (15, 40),
}


@dataclass(frozen=True)
class Scale:
    elders: int
    volunteers: int


SCALES: dict[str, Scale] = {
    "tiny": Scale(24, 8),  # tests only (hidden from --help)
    "small": Scale(600, 200),
    "medium": Scale(10_000, 2_000),
    "full": Scale(TOTAL_ELDERS, 20_000),
}

# Mixes for elders.
LIVING_MIX = (("alone", 0.14), ("empty_nest", 0.36), ("with_family", 0.50))
FEMALE_SHARE = 0.54
PHONE_SHARE = 0.70
HEALTH_NOTE_SHARE = 0.35
LANGUAGE_SHARES = (
    ("mandarin", 0.90),
    ("cantonese", 0.55),
    ("hakka", 0.08),
    ("teochew", 0.08),
    ("minnan", 0.03),
)
NEED_WEIGHTS = (
    ("companionship", 5),
    ("meal", 5),
    ("medical_escort", 4),
    ("shopping", 3),
    ("housework", 3),
    ("digital_help", 3),
    ("outing", 2),
    ("repair", 2),
    ("legal", 1),
)

# Volunteers: kind, share, age range, likely skills.
VOLUNTEER_KINDS = (
    ("graduate", 0.25, (21, 25), ("companionship", "digital_help", "shopping", "outing")),
    ("trainee_lawyer", 0.08, (23, 30), ("legal", "companionship", "digital_help")),
    ("young_professional", 0.27, (24, 35), ("digital_help", "medical_escort", "repair", "outing")),
    ("student", 0.15, (18, 23), ("companionship", "digital_help", "meal")),
    ("resident_volunteer", 0.25, (30, 68), ("meal", "housework", "shopping", "medical_escort", "repair")),
)
VERIFIED_SHARE = 0.85
REJECTED_SHARE = 0.03
SLOTS = ("09:00-12:00", "14:00-17:00", "19:00-21:00")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SURNAMES = (
    "陈",
    "李",
    "黄",
    "张",
    "梁",
    "刘",
    "林",
    "吴",
    "王",
    "何",
    "郭",
    "罗",
    "郑",
    "谢",
    "杨",
    "周",
    "邓",
    "许",
    "叶",
    "曾",
    "冯",
    "蔡",
    "彭",
    "朱",
    "卢",
    "苏",
    "钟",
    "潘",
    "赖",
    "方",
    "余",
    "温",
    "古",
    "庄",
    "洪",
    "詹",
)
ELDER_GIVEN_FEMALE = (
    "桂英",
    "秀英",
    "玉兰",
    "淑芬",
    "丽华",
    "秀兰",
    "凤英",
    "惠珍",
    "美玲",
    "月娥",
    "少芳",
    "翠萍",
    "丽珍",
    "素芬",
    "婉仪",
    "玉珍",
    "桂芳",
    "瑞兰",
    "妙玲",
    "彩霞",
    "秀珍",
    "银娣",
    "金凤",
    "佩仪",
)
ELDER_GIVEN_MALE = (
    "建国",
    "国华",
    "志强",
    "伟民",
    "德明",
    "振华",
    "国强",
    "永康",
    "锦华",
    "炳坤",
    "耀祖",
    "家明",
    "志明",
    "汉生",
    "伟雄",
    "庆祥",
    "光荣",
    "树森",
    "荣华",
    "福生",
    "惠民",
    "文彬",
    "金水",
    "德胜",
)
YOUNG_GIVEN_FEMALE = (
    "欣怡",
    "雨桐",
    "佳琪",
    "诗琪",
    "晓彤",
    "嘉欣",
    "梓涵",
    "思彤",
    "可欣",
    "语嫣",
    "静怡",
    "心怡",
)
YOUNG_GIVEN_MALE = (
    "浩然",
    "思远",
    "俊杰",
    "宇航",
    "一鸣",
    "泽宇",
    "子轩",
    "梓豪",
    "嘉豪",
    "浩宇",
    "博文",
    "家乐",
)

# Invented road names (the address also says 演示地址).
ROADS = (
    "福民路",
    "福华路",
    "园岭东路",
    "南园路",
    "滨河路",
    "红荔路",
    "笋岗西路",
    "景田路",
    "莲花路",
    "梅华路",
    "新洲路",
    "香梅路",
    "沙嘴路",
    "华强北路",
    "上步路",
    "福强路",
    "彩田路",
    "益田路",
)
HEALTH_NOTES = (
    "高血压，规律服药",
    "2型糖尿病，注意饮食",
    "膝关节退变，行走需拐杖",
    "轻度听力下降",
    "冠心病，随身带药",
    "白内障术后",
    "骨质疏松，防跌倒",
    "慢性支气管炎",
    "轻度认知障碍，家属知情",
    "腰椎间盘突出",
)

# Named demo personas (also the logins printed at the end).
ELDER_PHONE = "13800000001"
VOLUNTEER_PHONE = "13800000002"
FAMILY_PHONE = "13800000003"
STAFF_USERNAMES = ("admin", "district", "street", "worker", "legal")
PERSONA_USERNAMES = (*STAFF_USERNAMES, "demo-elder", "demo-volunteer", "demo-family")
