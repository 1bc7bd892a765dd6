"""Text normalisation: width folding, traditional -> simplified (small table), Cantonese and
colloquial variants -> Mandarin, emoji stripping, lower-casing of Latin text.

Only cheap, table-driven rewrites live here; the tables are deliberately small and cover the
vocabulary the intent rules care about, not general conversion.
"""

from __future__ import annotations

import re
import unicodedata

# Traditional -> simplified pairs, written as "TS" tokens (identical pairs are ignored).
# 係 is intentionally absent: it is handled as the Cantonese copula (-> 是) below.
_TRAD_SIMP_PAIRS = """
幫帮 買买 賣卖 該该 頭头 龍龙 聽听 點点 醫医 後后 晝昼 兩两 飲饮 禮礼 個个 這这 園园 凍冻 師师 報报
劇剧 粵粤 時时 間间 幣币 餘余 額额 熱热 護护 車车 積积 幾几 錢钱 請请 飯饭 東东 們们 麼么 樣样 話话
說说 週周 號号 電电 腦脑 視视 門门 鎖锁 機机 氣气 燈灯 壞坏 掃扫 衛卫 開开 關关 問问 題题 會会 給给
謝谢 體体 還还 沒没 嗎吗 從从 讓让 處处 應应 辦办 樓楼 媽妈 爺爷 孫孙 兒儿 鐘钟 區区 務务 費费 為为
過过 來来 邊边 進进 騙骗 詐诈 轉转 賬账 帳账 銀银 網网 線线 碼码 課课 講讲 書书 畫画 戲戏 參参 團团
隊队 動动 場场 暈晕 燒烧 災灾 洩泄 賊贼 闖闯 難难 歲岁 藥药 診诊 複复 檢检 約约 覺觉 夠够 換换 將将
單单 對对 誰谁 讀读 寫写 學学 習习 聯联 繫系 鄰邻 傷伤 腳脚 顧顾 計计 劃划 鬧闹 靜静 離离 員员 義义
結结 證证 據据 權权 遺遗 囑嘱 訟讼 紛纷 淨净 髒脏 櫃柜 廚厨 調调 擔担 憂忧 慮虑 膽胆 險险 濕湿 條条
歡欢 樂乐 興兴 攝摄 織织 盤盘 館馆 圖图 覽览 觀观 遊游 遠远 廳厅 價价 貴贵 優优 補补 貼贴 長长 壽寿
愛爱 協协 議议 剛刚 現现 詢询 戶户 記记 錄录 數数 類类 種种 須须 緊紧 塊块 張张 萬万 陽阳 陰阴 雲云
風风 並并 與与 裡里 裏里 麵面 雞鸡 魚鱼 豬猪 蘋苹 鹽盐 醬酱 鮮鲜 鐵铁 鋼钢 馬马 絡络 載载 裝装 軟软
訊讯 頻频 聲声 響响 態态 傳传 發发 郵邮 遞递 髮发 掛挂 療疗 針针 鏡镜 驗验 壓压 著着 煙烟 嗆呛 搶抢
悶闷 聞闻 語语 談谈 陳陈 舊旧 懷怀 憶忆 獨独 願愿 囉啰 尋寻 曆历 節节 慶庆 國国 際际 誕诞 農农 鬆松
隻只 臺台 檯台 適适 當当 準准 備备 預预 訂订 銷销 廢废 減减 斷断 錯错 誤误 練练 組组 導导 鎮镇 縣县
灣湾 橋桥 廣广 藝艺 術术 撲扑 繡绣 編编 養养 環环 匯汇 獎奖 續续 稅税 貸贷 齡龄 規规 則则 資资 審审
產产 繼继 贍赡 簽签 煩烦 勞劳 駕驾 擾扰 歷历 啟启 漲涨 輕轻 腸肠 臟脏 癥症 疊叠 雙双 隨随 陣阵 寵宠
滿满 證证 嚴严 厲厉 殺杀 燈灯 鑰钥 匙匙 櫥橱 窩窝 舖铺 鋪铺 貨货 糧粮 錶表 殘残 癱瘫 輪轮 椅椅 鑽钻
攜携 帶带 穩稳 團团 聚聚 纔才 嘆叹 喚唤 總总 覓觅 揀拣 遲迟 驚惊 嚇吓 憑凭 倆俩 戲戏 劑剂 孫孙 婦妇
"""
_TRAD_SIMP: dict[int, str] = {}
for _tok in _TRAD_SIMP_PAIRS.split():
    if len(_tok) == 2 and _tok[0] != _tok[1]:
        _TRAD_SIMP[ord(_tok[0])] = _tok[1]

# Cantonese / colloquial phrase rewrites (applied after the character table, so keys are simplified).
# Order matters: longer / more specific phrases first.
_PHRASES: tuple[tuple[str, str], ...] = (
    ("起唔到身", "起不来"),
    ("起唔到", "起不来"),
    ("企唔起", "站不起来"),
    ("透唔到气", "喘不上气"),
    ("唞唔到气", "喘不上气"),
    ("系唔系", "是不是"),
    ("系咪", "是不是"),
    ("唔该", "请"),
    ("唔使", "不用"),
    ("唔洗", "不用"),
    ("唔好", "不要"),
    ("有冇", "有没有"),
    ("冇", "没有"),
    ("唔", "不"),
    ("係", "是"),
    ("佢哋", "他们"),
    ("我哋", "我们"),
    ("你哋", "你们"),
    ("佢", "他"),
    ("嚟", "来"),
    ("咗", "了"),
    ("啲", "点"),
    ("乜嘢", "什么"),
    ("咩", "什么"),
    ("乜", "什么"),
    ("点样", "怎么"),
    ("点解", "为什么"),
    ("点算", "怎么办"),
    ("边度", "哪里"),
    ("边个", "谁"),
    ("几多", "多少"),
    ("而家", "现在"),
    ("宜家", "现在"),
    ("啱啱", "刚刚"),
    ("听日", "明天"),
    ("今日", "今天"),
    ("琴日", "昨天"),
    ("寻日", "昨天"),
    ("后日", "后天"),
    ("朝早", "早上"),
    ("下昼", "下午"),
    ("晏昼", "中午"),
    ("夜晚", "晚上"),
    ("睇", "看"),
    ("搵", "找"),
    ("揾", "找"),
    ("攞", "拿"),
    ("屋企", "家里"),
    ("跌低", "摔倒"),
    ("跌亲", "摔倒"),
    ("仆亲", "摔倒"),
    ("倾偈", "聊天"),
    ("买餸", "买菜"),
    ("餸", "菜"),
    ("饮早茶", "喝早茶"),
    ("饮茶", "喝早茶"),
    ("流紧", "流着"),
    ("几好", "挺好"),
    ("仲有", "还有"),
    ("行下", "走走"),
    ("行吓", "走走"),
    ("行街", "逛街"),
    ("帮手", "帮忙"),
    ("同埋", "和"),
    ("呢个", "这个"),
    ("呢度", "这里"),
    ("冷气", "空调"),
    ("食饭", "吃饭"),
    ("食咗", "吃了"),
    ("食药", "吃药"),
    ("嘅", "的"),
    ("咁", "这么"),
    ("整下", "修一下"),
    ("整番", "修好"),
    ("整返", "修好"),
    ("俾", "给"),
    ("喺", "在"),
    ("嘢", "东西"),
    ("咋办", "怎么办"),
    ("咋", "怎么"),
    ("啥", "什么"),
    ("俺", "我"),
    ("木有", "没有"),
    ("肿么", "怎么"),
    ("星期天", "星期日"),
    ("礼拜天", "礼拜日"),
    ("周天", "周日"),
    ("禮拜", "礼拜"),
)

_PHRASE_RE = re.compile("|".join(re.escape(src) for src, _ in _PHRASES))
_PHRASE_MAP = dict(_PHRASES)

# Emoji, pictographs, dingbats, variation selectors, zero-width joiners, and other symbols.
_EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\U0001fc00-\U0001ffff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
    "\ufe0e\ufe0f\u200b-\u200f\u2060\u20e3\U000e0000-\U000e007f]+"
)
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
# Whitespace touching a CJK character carries no meaning (ASR output often inserts it).
_SPACE_NEAR_CJK_RE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_MULTI_SPACE_RE = re.compile(r"\s+")
_CONTENT_RE = re.compile(rf"[{_CJK}a-z0-9]")


# Cantonese 好好 = "very good" after a subject (我好好, 今天好好, 身体好好).
_HOHO_RE = re.compile(r"(今天|我|身体|都)好好(?=$|[,.!~呀啊啦的])")


def normalize(text: str) -> str:
    """Return a normalised, lower-cased, simplified-Chinese form of ``text``."""
    if not text:
        return ""
    text = _EMOJI_RE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = text.lower().translate(_TRAD_SIMP)
    text = _PHRASE_RE.sub(lambda m: _PHRASE_MAP[m.group(0)], text)
    text = _HOHO_RE.sub(r"\1很好", text)
    text = text.replace("。", ".").replace("、", ",").replace("～", "~").replace("…", "...")
    text = _SPACE_NEAR_CJK_RE.sub("", text)
    return _MULTI_SPACE_RE.sub(" ", text).strip()


def has_content(text: str) -> bool:
    """True when the normalised text contains at least one CJK character, letter, or digit."""
    return _CONTENT_RE.search(text) is not None
