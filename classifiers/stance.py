"""Offer-versus-report cues: does a text address a reader (contact, price, imperatives) or describe third parties?"""
from __future__ import annotations

import re
from collections import Counter
from itertools import compress, filterfalse

from classifiers.bmp_patterns import BmpTwin, beyond_bmp
from classifiers.normalize import CJK_CHAR, fold_kazakh
from classifiers.wordcache import WordCache

# Cue words per kind, written naturally; they are folded like normalised text (ә→а, і→и, й→и, ё→е) before use.
# A trailing * matches any ending; _ joins a two-word cue. Language does not matter: a cue is a cue wherever it appears.
_CUES = {
    # an offer addresses the reader: contact channels and calls to act
    "contact": """whatsapp ватсап вацап вотсап watsapp телеграм* telegram тг-канал вайбер viber личк* лс директ* dm pm
        wechat 微信 vx 加微 私聊 私信 联系 电话 qq 闲鱼 звоните звонить пишите писать пишіть телефонуйте дзвоніть
        звертайтесь обращайтесь хабарласыңыз хабарласыныз жазыңыз жазыныз қоңырау залга* холбогд* утас
        contact call text inbox""",
    "deal": """торг* договорн* самовывоз доставк* отправк* отправлю отправляю наложенн* предоплат* оплат* обмен
        опт оптом розниц* наличи* в_наличии остал* срочно скидк* недорого дешево дешевле недорого
        包邮 顺丰 现货 批发 量大 从优 价格 价钱 每克 一克 元 块 验货 保真 求购 有货 代购
        жеткізу келісім* арзан тегін хүргэлт үнэ тохиро* доставка знижк* ціна договірн* наявност* відправ*
        shipping delivery discount wholesale negotiable dm""",
    # a report describes others: officials, courts, seizures, numbers of cases, reported speech
    "official": """полици* полицейск* таможн* таможен* пограничн* прокурор* прокуратур* суд судом суда судь* следств*
        следовател* мвд кнб фсб инспектор* росприроднадзор* минприрод* минэколог* охотинспекц* егер* комитет*
        министерств* ведомств* управлени* департамент* пресс-служб* задержан* изъят* изъял* конфиск* обнаружил*
        возбужд* уголовн* статья статьи штраф* приговор* осужден* осудил* арест* контрабанд* браконьер*
        поліці* митниц* митн* прокуратур* суд* затрима* вилучи* вилучен* кримінальн* браконьєр*
        полиция* кеден* прокуратура* сотта сотқа соты тәркіле* ұстал* қылмыст* браконьер* инспекция* министрлі*
        цагдаа* гааль* шүүх* прокурор* хураа* баривчил*
        海关 警方 公安 法院 检察 查获 缉获 走私 判处 被告 案件 执法 森林公安 罚款 刑事 涉案 抓获
        police customs court seized seizure arrested smuggling smuggler prosecutor convicted sentenced
        ministry authorities investigators poaching poacher poachers""",
    "reported": """сообщ* сообщает сообщили заявил* рассказал* отметил* пояснил* по_данным по_словам пишет журналист*
        корреспондент* новост* источник* повідом* заявив заявила розповів за_даними жаңалық* хабарла* мәлімде*
        мэдээл* мэдээ 据 报道 记者 称 表示 新闻 通报 reported according said says spokesperson news""",
    "rule": """запрещ* запрет* незаконн* нелегальн* ответственност* наказуем* кодекс* закон* красн* охраня* охран*
        заповедн* природоохран* мораторий* cites сохранени* спасени* популяци* численност*
        заборон* незаконн* відповідальніст* охорон* тыйым* заңсыз* жауапкершілік* қорға* қорық*
        хориг* хууль* хамгаал* 禁止 违法 非法 保护 濒危 公约 一级 二级 保护动物
        banned illegal prohibited protected endangered conservation population law penalty""",
}
# Each cue pattern starts with one character class, so the regex engine skips ahead to candidate characters; the
# lookbehinds then say which alternative applies («+7 701…» or «8701…» phones and @handles; years 19xx/20xx at a
# word start, 2020年, 3月5日).
# (a phone never starts right after a digit: a start there would have matched from that digit already)
_PHONE = re.compile(r"[+\d@](?:(?<=\+)\d[\d \-()]{8,}\d|(?<=\d)(?<!\d\d)[\d \-()]{8,}\d|(?<=@)[a-z0-9_]{4,})")
_MONEY = re.compile(r"\d(?<!\d\d)[\d\s.,]*+\s?(?:тг|тенге|теңге|₸|руб|р\b|₽|грн|₴|\$|usd|юан|元|块|төг|₮|доллар)", re.I)
_YEAR = re.compile(r"\d(?:(?<=1)(?<!\w.)9\d\d\b|(?<=2)(?<!\w.)0\d\d\b|\d{3}年|\d*月\d+日)")
_YEAR_NO_CJK = re.compile(r"\d(?:(?<=1)(?<!\w.)9\d\d\b|(?<=2)(?<!\w.)0\d\d\b)")  # the same without 年 and 月
_QUOTES = "«»“”„\"「」"
_WORD = re.compile(r"[^\W\d_]+", re.U)
_PHONE_TWIN, _MONEY_TWIN, _YEAR_TWIN, _YEAR_NO_CJK_TWIN, _WORD_TWIN = map(BmpTwin, (_PHONE, _MONEY, _YEAR,
                                                                                   _YEAR_NO_CJK, _WORD))
_CJK_WORD = re.compile(r"[\u3400-\u9fff]")
_PAST_ENDINGS = ("ли", "лись", "ено", "ены", "ана", "ано", "аны")


def _fold(word: str) -> str:
    return fold_kazakh(word.lower()).replace("_", " ")


class _CueIndex:
    """Exact words, word pairs and stems (word*) per kind, looked up word by word; Chinese cues by one regex."""

    def __init__(self) -> None:
        self.exact: dict[str, tuple[str, ...]] = {}
        self.stems: dict[str, tuple[str, ...]] = {}
        cjk: dict[str, list[str]] = {}
        for kind, words in _CUES.items():
            for w in sorted({_fold(w) for w in words.split()}):
                if _CJK_WORD.match(w):
                    cjk.setdefault(kind, []).append(w)
                elif w.endswith("*"):
                    self.stems[w[:-1]] = self.stems.get(w[:-1], ()) + (kind,)
                else:
                    self.exact[w] = self.exact.get(w, ()) + (kind,)
        self.pairs: dict[str, dict[str, tuple[str, ...]]] = {}  # first word → second word → kinds
        for w, k in self.exact.items():
            if " " in w:
                first, second = w.split(" ", 1)
                self.pairs.setdefault(first, {})[second] = k
        self.pair_firsts = frozenset(self.pairs)
        self.stem_lengths = sorted({len(s) for s in self.stems})
        self.cache = WordCache(self.kinds)
        self.heads = {s[:3] for s in self.stems}  # most words share no three-letter start with any stem
        self.cjk = {kind: re.compile("|".join(map(re.escape, sorted(ws, key=len, reverse=True))))
                    for kind, ws in cjk.items()}

    def kinds(self, word: str) -> tuple[str, ...]:
        """The cue kinds one word counts for (its exact entry, every stem it starts with, a past-tense ending)."""
        found = list(self.exact.get(word, ()))
        if word[:3] in self.heads:
            for n in self.stem_lengths:
                if n > len(word):
                    break
                found.extend(self.stems.get(word[:n], ()))
        if len(word) > 4 and word.endswith(_PAST_ENDINGS):
            found.append("past")
        return tuple(found)

    def count(self, text: str, words: list[str] | None = None) -> dict[str, int]:
        """Cue counts of a normalised text; `words`: its letter runs (_WORD.findall(text)) if already known."""
        out = dict.fromkeys(_CUES, 0)
        out["past"] = 0
        if words is None:
            words = _WORD.findall(text)
        counts = Counter(words)
        cache = self.cache
        for w in cache.hits(counts):  # most words count for nothing: only these need a look
            for kind in cache[w]:
                out[kind] += counts[w]
        if not self.pair_firsts.isdisjoint(counts):  # then only the words that start a pair need a look
            firsts = self.pair_firsts
            for i in compress(range(len(words) - 1), map(firsts.__contains__, words)):
                for kind in self.pairs[words[i]].get(words[i + 1], ()):
                    out[kind] += 1
        if _CJK_WORD.search(text):
            for kind, pattern in self.cjk.items():
                out[kind] += len(pattern.findall(text))
        return out


_INDEX = _CueIndex()
STANCE_CUES = ("contact", "deal", "phone", "money", "official", "reported", "rule", "past", "year", "quote")


def letter_words(text: str, forms: list[str], has_cjk: bool | None = None, bmp: bool = False) -> list[str]:
    """_WORD.findall(text) (the runs of letters), read off `forms`, the text's tokens (runs of word characters but
    «_», Chinese runs apart): without Chinese, a run of letters ends only where a token ends or at a digit. `has_cjk`:
    whether the text has a Chinese character, if known; `bmp`: all its characters are in the BMP."""
    if CJK_CHAR.search(text) if has_cjk is None else has_cjk:  # Chinese and the letters it touches: one run
        return _WORD_TWIN.pick(bmp).findall(text)
    if all(map(str.isalpha, forms)):
        return forms
    # a number has no letters (the commonest token that is not all letters)
    return [w for form in filterfalse(str.isdecimal, forms) for w in ((form,) if form.isalpha() else _WORD.findall(form))]


def stance_cues(norm_text: str, raw_text: str, words: list[str] | None = None) -> dict[str, int]:
    """Counts of each cue kind; `norm_text` is the normalised (folded) text, `raw_text` the original; `words`: the
    letter runs of `norm_text`, if known (see `letter_words`)."""
    out = _INDEX.count(norm_text, words)
    bmp = not beyond_bmp(raw_text)  # (lower case keeps a text in the BMP)
    # only a handle (@name) needs the lower case: digits, «+» and the separators have none
    out["phone"] = len(_PHONE_TWIN.pick(bmp).findall(raw_text.lower() if "@" in raw_text else raw_text))
    out["money"] = len(_MONEY_TWIN.pick(bmp).findall(raw_text))
    year = _YEAR_TWIN if "年" in raw_text or "月" in raw_text else _YEAR_NO_CJK_TWIN
    out["year"] = len(year.pick(bmp).findall(raw_text))
    out["quote"] = sum(map(raw_text.count, _QUOTES)) // 2
    return out


def offer_report(cues: dict[str, int]) -> tuple[float, float]:
    """Two bounded scores in [0, 1]: how much the text reads like an offer, and like a report or notice."""
    offer = min(1.0, 0.5 * min(cues["contact"], 2) + 0.5 * min(cues["phone"], 1) + 0.25 * min(cues["deal"], 2)
                + 0.25 * min(cues["money"], 2))
    report = min(1.0, 0.3 * min(cues["official"], 3) + 0.25 * min(cues["reported"], 2) + 0.2 * min(cues["rule"], 2)
                 + 0.1 * min(cues["past"], 3) + 0.1 * min(cues["year"], 1) + 0.1 * min(cues["quote"], 1))
    return offer, report
