"""Keyword / pattern tables for intents, help categories and activities.

Every table is (regex, weight). Patterns run on normalised text (simplified Chinese, lower-case
Latin, Cantonese rewritten to Mandarin). Weights are small integers/halves; see classifier.py for
how they combine.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Intent cues
# ---------------------------------------------------------------------------------------------

CANCEL_CUES: tuple[tuple[str, float], ...] = (
    (r"取消|撤销|撤回|作废|\bcancel", 8),
    (
        r"(?<![要用])不(?:用|需要|要|必)再?(?:派)?(?:个|一个)?(?:人|志愿者|义工|师傅|社工|阿姨)?"
        r"(?:来|过来|上门|陪|派|帮|送|麻烦|去了)",
        8,
    ),
    (r"(?<![要用])不(?:用|需要|要)(?:了|啦|喇|咯|嘞)(?:$|[,.!~啦了吧呀哦])", 8),
    (r"不麻烦(?:你们?|了|您)", 8),
    (r"算了", 4),
    (r"\bnever ?mind\b|\bno need\b|\bdon'?t come\b", 8),
)

BALANCE_CUES: tuple[tuple[str, float], ...] = (
    (
        r"(?:还有|还剩|剩下?|我有|存了|攒了|赚了|挣了|积了|做了|服务了|有)(?:多少|几个|几)个?"
        r"(?:时间币|时间|小时|钟头|钟|积分|分|时长|时数|币|点数)",
        6,
    ),
    (r"(?:时间币|积分|余额|时长|时数|时间银行|账户).{0,6}(?:多少|还剩|剩|够不够|够吗)", 6),
    (r"查(?:一下|一查|查|下)?(?:我的)?(?:余额|积分|时间币|时长|账户|时数)|余额", 6),
    (r"(?:积分|时间币|时长|时数)查询", 6),
    (r"(?:攒|存|赚|挣|积)(?:下)?的(?:时间币|时间|小时|积分|时长).{0,4}多少", 6),
    (
        r"\bbalance\b|how many (?:\w+ ){0,2}(?:hours|points|credits|coins)"
        r"|\bmy (?:\w+ ){0,2}(?:hours|points|credits|coins)\b",
        6,
    ),
)

CHECKIN_CUES: tuple[tuple[str, float], ...] = (
    (r"报平安|报个平安|平安|一切(?:都)?(?:正常|安好|好|顺利)", 4),
    (r"不用担心|别担心|不要担心|放心吧|请放心|(?:不用|别|不要)(?:挂念|挂心|惦记|操心)|勿念", 4),
    (r"(?:^|[,. ])(?:挺|很|都|蛮|还)好(?:的|啊|呀)?(?:$|[,.!~])|没毛病|没什么毛病|无恙", 3),
    (
        r"我(?:今天|现在|这几天|最近)?(?:身体)?(?:挺|很|都|蛮|还|也|非常|特别|一切)?"
        r"(?:好|不错|健康|正常|ok|棒棒?|精神|有精神)(?:的|啊|呀|啦|呢|着|了|哦){0,2}(?=$|[,.!~ ])",
        4,
    ),
    (
        r"(?:身体|精神|胃口|睡得|今天)(?:也|都)?(?:挺|很|还|都|蛮|非常|特别)?(?:好|不错|健康|硬朗|正常)"
        r"(?=$|[,.!~ 的啊呀啦了哦])",
        3,
    ),
    (r"我没事|没事(?:的|啦|呀|了)?(?:$|[,.!~])|好得很", 4),
    (r"\bi'?m (?:fine|ok|okay|good|well|alright)\b|\bi am (?:fine|ok|okay|good|well)\b|\ball good\b", 4),
)

POLICY_STRONG: tuple[str, ...] = (
    r"怎么(?:申请|算|用|办|收费|报名|联系|去|走|交|领|预约|加入|参加|获得|赚|挣|攒|换|兑换|计算|登记|注册|样申请)"
    r"|如何(?:申请|使用|办理|计算|加入|获得)",
    r"是什么|什么是|什么项目|什么服务|有什么用|有什么服务|提供什么|有哪些服务|能做什么",
    r"几点(?:开门|关门|上班|下班|营业|开放)|什么时候(?:开门|关门)|开不开门|开门(?:吗|时间)|关门(?:吗|时间)"
    r"|营业时间|开放时间|办公时间|上班时间",
    r"在哪(?:里|儿)?|哪里有|地址|怎么去|怎么走|位置在",
    r"收费|多少钱|要钱|免费|要交多少|费用|价格|价钱|贵不贵",
    r"会过期|过期吗|规则|政策|条件|资格|流程|手续|材料|补贴|津贴|长者卡|老人卡|敬老卡|优待"
    r"|(?:可以|能|能不能|可不可以)申请|申请(?:吗|条件|要|需要)",
    r"骗子|诈骗|骗局|被骗|是真的吗|真的假的|靠谱吗|靠不靠谱|可靠吗|中奖|手续费|转账|汇款|保健品|能治病|包治|自称|冒充|安全账户|验证码|银行卡(?:有问题|被冻结|冻结)",
    r"(?:扣|收|要|花|付|算)(?:多少|几多|几个)|值班|上班吗|休息吗|放假吗",
    r"了解一下|介绍一下|想知道|想了解|请问|想问",
    r"\bhow does\b|\bhow do i\b|\bwhat services\b|\bopening hours\b|\bwhere is\b|\bis it free\b|\bscam\b"
    r"|\bpolicy\b|\brules\b|\bhow much\b|\bfree\b|\bcost\b|\bprice\b|\bfees?\b",
)
POLICY_DOMAIN = (
    r"幸福同行|各得其所|合住|同住|时间银行|时间币|法律援助|长者服务站|服务站|服务中心|长者饭堂|义工|志愿者"
    r"|项目|计划|服务|时光家园|这个平台|小程序"
)
QUESTION = r"[?]|吗|么|呢|怎么|怎样|如何|什么|哪|几点|多少|是不是|是否|可不可以|能不能|会不会|有没有|谁"

# Help cues. Phrases like 帮我问问 / 请问 are removed before these run (they ask for information).
HELP_CUES: tuple[tuple[str, float], ...] = (
    (r"帮我|帮帮我|帮忙|帮下我|帮一下|帮个忙|帮帮忙", 3),
    (r"(?:找|请|派|叫|约|安排)(?:个|一个|位|一位|些)?(?:人|义工|志愿者|师傅|护工|阿姨|律师|社工|工人)", 3),
    (r"有没有人|有(?:个|一个)?人(?:能|可以|会)?(?:帮|陪|来|送|跟)|有冇人", 3),
    (r"送我|载我|带我|接我|扶我", 3),
    (r"陪我|陪陪我|陪下我|陪一下我|陪着我", 3),
    (r"教我|教下我|教一下|教教我", 3),
    (r"送.{0,3}(?:饭|餐|菜|药)|上门", 3),
    (r"需要有?人|想要(?:个|一个)?|需要(?:个|一个)", 2),
    (r"能不能|可不可以|可以(?:帮|教|来|陪|送|派)|能否|麻烦|请(?:帮|来|人)", 2),
    (r"来(?:个)?人|过来|来一下|来帮|谁(?:能|可以|会)?(?:来|帮)|来看看", 2),
    (r"想(?:去|找)|要去|得去", 1),
    # "I can't manage it myself" implies a request when a category is named.
    (r"搞不定|弄不好|弄不了|不会弄|不会用|够不着|做不了|不方便|不好走|走不动|去不了|不敢去|没人陪|不放心", 2),
    (
        r"\bhelp me\b|\bneed help\b|\bhelp with\b|\bsomeone\b|\bsomebody\b|\bneed (?:a|an|some)\b|\bcan you\b"
        r"|\bplease\b|\btake me\b",
        3,
    ),
)
# Stating a household problem is itself a request for help (家里灯坏了).
PROBLEM_CUES = (
    r"坏了|坏掉|不亮|漏水|滴水|渗水|堵了|堵住|跳闸|停电了|没电了?|没水了|不出水|打不开|关不上|不转了|不冷|不制冷"
    r"|不出热水|没(?:有)?热水|不热了|不响了|打不着火?|点不着火?"
    r"|不工作了|失灵|不灵了?|不好使|不能用了?|用不了|没声音了|broken|leak"
)
INFO_ASK = r"帮我问问|帮我问一下|帮我问下|帮忙问问|请问|我想问问?|想问一下"

INJECTION = (
    r"忽略(?:之前|以上|前面|上面|先前|所有)?的?(?:所有)?(?:指令|指示|规则|提示|设定|要求)"
    r"|ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|rules|prompts?)"
    r"|系统提示|system prompt|你现在是(?:管理员|开发者|admin|超级用户)|developer mode|jailbreak"
    r"|导出(?:数据库|所有|全部|用户)|(?:所有|全部)(?:用户|老人|长者|会员)的(?:电话|手机|住址|地址|身份证|信息|资料|密码)"
    r"|dump (?:the )?database|all user(?:s'?)? (?:phone|data|address)"
    r"|forget (?:your|all|the|previous) (?:rules|instructions)|everyone'?s (?:address|phone|data)"
    r"|扮演|黑客|管理员密码|(?:别人|他人|其他人|其他用户)的(?:身份证|电话|手机号|地址|住址|密码|信息)"
)

# ---------------------------------------------------------------------------------------------
# Help categories: category -> [(regex, weight)]
# ---------------------------------------------------------------------------------------------

CATEGORY_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "medical_escort": (
        (
            r"医院|医阮|看病|看医生|复查|复诊|社康|拿药|取药|开药|送药|配药|买药|体检|门诊|诊所|牙科|牙医|看牙"
            r"|抽血|打针|输液|疫苗|挂号|住院|出院|医生|大夫|康复|理疗|透析|化验|拍片|陪诊|看眼|眼科|b超|ct|做检查|拿报告"
            r"|[送拿取买配开].{0,2}药|药房|胃镜|肠镜|针灸|中医|做.{0,2}(?:检查|手术)|[内外眼牙骨皮]科",
            3,
        ),
        (r"\bhospital|\bdoctor|\bclinic|\bmedicine|\bpharmacy|\bdentist|\bcheck-?up", 3),
    ),
    "legal": (
        (r"律师|法律|遗嘱|官司|诉讼|起诉|纠纷|合同|维权|法援|公证|赡养|继承|欠钱不还", 3.5),
        (r"\blawyer|\blegal\b|\bwill\b|\bcontract", 3.5),
    ),
    "repair": (
        (
            r"修|维修|灯泡|水管|水龙头|马桶|水槽|漏水|电路|跳闸|插座|门锁|锁坏|换锁|师傅|下水道|窗户坏|门坏|灯",
            2.5,
        ),
        # Appliances alone are weak evidence (看电视 is not a repair job).
        (r"热水器|空调|冰箱|洗衣机|电视|燃气灶|抽油烟机|油烟机|电饭煲|微波炉|风扇|门铃", 1.5),
        (PROBLEM_CUES, 3),
        (r"\bfix|\brepair|\bbroken\b|\block\b|\bleak", 3),
    ),
    "digital_help": (
        (
            r"微信|手机|电脑|上.{0,2}网|网上|网络|wifi|\bapp\b|软件|扫码|二维码|健康码|支付宝|付款码|网购"
            r"|短信|打字|平板|ipad|视频通话|发视频|视频",
            3,
        ),
        # Asking to be taught is nearly always about a device (教我用手机挂号 -> digital_help).
        (r"教我|教下我|教一下|教教我", 1),
        # A device that misbehaves is a digital job, not a plumber's (手机没声音了 -> digital_help).
        (
            r"(?:手机|电脑|平板|ipad|微信|wifi|网络|路由器).{0,6}"
            r"(?:坏了|没声音|没有声音|打不开|用不了|不能用|失灵|不好使|没信号|上不了网|死机|卡住|黑屏)",
            1,
        ),
        (r"\bphone\b|\bwechat\b|\bcomputer\b|\binternet\b|\bonline\b|\bsmartphone\b|\bvideo\b|\bset up\b", 3),
    ),
    "meal": (
        (
            r"送.{0,2}(?:饭|餐)|助餐|吃饭|午饭|晚饭|早饭|早餐|午餐|晚餐|饭堂|食堂|做饭|煮饭|三餐|饭菜|便当"
            r"|盒饭",
            2.5,
        ),
        (r"\bmeals?\b|\blunch\b|\bdinner\b|\bfood\b", 2.5),
    ),
    "shopping": (
        (r"买菜|买东西|买米|买油|买水果|买点|买些|买|超市|菜市场|市场|街市|购物|代购|商场", 2.5),
        (r"\bgrocer|\bshopping\b|\bbuy\b|\bsupermarket\b", 2.5),
    ),
    "housework": (
        (
            r"打扫|扫地|拖.{0,2}地|卫生|大扫除|做家务|家务|收拾|整理房间|擦.{0,2}窗|抹窗|洗.{0,3}(?:衣服|被|床单|窗帘|碗)|执.{0,2}屋|晾衣服"
            r"|(?:窗帘|被套|被子|床单|衣服).{0,8}洗"
            r"|换床单|清洁|保洁",
            2.5,
        ),
        (r"\bclean|\bhousework\b|\blaundry\b", 2.5),
    ),
    "outing": (
        (
            r"公园|出去走走|走一?走|散.?步|逛|晒太阳|海边|爬山|早茶|喝茶|晨运|郊游|出门|兜风|看花|看电影|旅游"
            r"|去玩|溜达|音乐会|演出|表演|看戏|听戏|展览|博物馆|图书馆|花市|教堂|寺庙|拜神|喝喜酒|饮宴|探亲",
            2.5,
        ),
        (r"\bpark\b|\bwalk\b|\bstroll\b|\bouting\b", 2.5),
    ),
    "companionship": (
        (
            r"聊天|聊聊|说说话|说话|讲讲话|谈心|陪伴|孤单|孤独|寂寞|闷|无聊|下.?棋|打牌|陪陪我|陪我坐坐"
            r"|解闷",
            2.5,
        ),
        (r"陪", 0.5),
    ),
    "outing_escort": (
        # Being accompanied somewhere not otherwise named is an outing (more than 陪 alone).
        (r"陪我(?:去|出|坐车)|陪.{0,4}过去", 1.0),
        (r"\bchat\b|\btalk\b|\blonely\b|\bcompany\b", 2.5),
    ),
    "other": (
        (
            r"(?<!时间)银行|快递|取件|头发|理发|剪发|读.{0,2}信|读报|写信|水电费|电费|交费|缴费|邮局|证件|身份证|搬东西"
            r"|搬家|宠物|遛狗|办证|办.{0,2}手续|办事",
            1.5,
        ),
        # Carrying something somewhere is a job of its own, whatever is carried (搬冰箱下楼 is not a repair).
        (r"搬.{0,8}(?:下楼|上楼|出去|进来|过去|回来|走)", 3),
        (r"\bbank\b|\bparcel\b|\bhaircut\b", 1.5),
    ),
}

# ---------------------------------------------------------------------------------------------
# Activities: canonical keyword -> alias regex
# ---------------------------------------------------------------------------------------------

ACTIVITIES: tuple[tuple[str, str], ...] = (
    ("健康讲座", r"健康讲座|健康知识讲座|养生讲座|health (?:talk|lecture)"),
    ("手机课", r"智能手机课|手机课|手机班|手机培训|手机课程|phone class"),
    ("太极", r"太极|tai ?chi"),
    ("书法", r"书法|毛笔字|calligraphy"),
    ("广场舞", r"广场舞|square danc"),
    ("粤剧", r"粤剧|粤曲|cantonese opera"),
    ("八段锦", r"八段锦"),
    ("合唱", r"合唱"),
    ("唱歌", r"唱歌|唱k|卡拉ok|karaoke|\bsing(?:ing)?\b"),
    ("电影", r"电影|\bmovie|\bfilm\b"),
    ("象棋", r"象棋|\bchess\b"),
    ("绘画", r"绘画|画画|国画|\bpainting\b"),
    ("插花", r"插花"),
    ("读书会", r"读书会"),
    ("摄影", r"摄影|\bphotography\b"),
    ("编织", r"编织|织毛衣"),
    ("乒乓球", r"乒乓球"),
    ("舞蹈", r"舞蹈|跳舞|\bdanc(?:e|ing)\b"),
    ("讲座", r"讲座|\blecture\b"),
)

JOIN_STRONG = (
    r"报名|报.{0,3}名|报.{0,4}(?:班|课)|报(?:个|一个)|还收人|收不收人|招人|还要人|参加|加入|参与|想学|去学|学(?:一下|下)?|上课|登记|还有位|有位"
    r"|\bjoin\b|sign (?:me )?up|\bregister|\benrol"
)
JOIN_WEAK = r"想去|我要去|要去|去听|去看|想看|想听"
JOIN_SUFFIX = r"班|课|队|比赛|活动"
JOIN_GENERIC = (
    r"(?:参加|报名|加入|参与).{0,6}活动|活动.{0,8}(?:参加|报名)|有什么活动|有哪些活动|\bactivit(?:y|ies)\b"
)
