"""Phone numbers (E.164) and account handles (@name, vk:, weibo:, wechat:, qq:) found in post text or typed in a search."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

#: Regions tried, in order, for numbers written without a country code.
DEFAULT_REGIONS: tuple[str, ...] = ("KZ", "RU", "UZ", "CN", "MN")

#: Region order by the language a post is written in (the first match wins).
REGIONS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "ru": ("KZ", "RU", "UZ", "MN"),
    "kk": ("KZ", "RU", "UZ"),
    "uz": ("UZ", "KZ", "RU"),
    "mn": ("MN", "KZ", "RU"),
    "zh": ("CN",),
}

# Telegram usernames: 5-32 characters, a letter first; an '@' glued to a word is an e-mail, not a handle.
_AT_HANDLE = re.compile(r"(?<![\w@.])@([A-Za-z][A-Za-z0-9_]{3,31})\b(?![@.][A-Za-z])")
_TME_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})\b",
    re.IGNORECASE,
)
_WA_LINK = re.compile(r"(?:https?://)?(?:wa\.me|api\.whatsapp\.com/send\?phone=)/?\+?(\d{8,15})", re.IGNORECASE)
# WeChat and QQ ids as Chinese sellers write them: "微信: abc_123", "VX：abc123", "v信 abc", "QQ 123456789".
_WECHAT = re.compile(
    r"(?:微信号?|威信|薇信|v信|vx|wx|wechat|weixin|вичат|вичате|вичат[уе]?|вейчат|(?<![\w])v(?=\s*[:：]))"
    r"\s*(?:号|id)?\s*[:：]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})",
    re.IGNORECASE,
)
# VK pages (vk.com/name, vk.com/id123) and Weibo accounts (weibo.com/u/123, weibo.com/name, 微博: name)
_VK_LINK = re.compile(r"(?:https?://)?(?:m\.)?vk\.(?:com|ru)/([A-Za-z0-9_.]{3,40})\b", re.IGNORECASE)
_VK_RESERVED = {"wall", "club", "public", "feed", "im", "search", "photo", "video", "audio", "market", "away.php"}
_WEIBO_LINK = re.compile(r"(?:https?://)?(?:www\.|m\.)?weibo\.(?:com|cn)/(?:u/)?([A-Za-z0-9_]{3,40})\b", re.IGNORECASE)
_WEIBO_NAME = re.compile(r"(?:微博|weibo)\s*[:：]\s*@?([\w]{2,30})", re.IGNORECASE)
# Chinese mobiles written with the country code but no plus sign: 86 138 1234 5678
_CN_NO_PLUS = re.compile(r"(?<![\d+])86[\s-]?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?!\d)")
_QQ = re.compile(r"(?<![A-Za-z])(?:qq|扣扣)\s*(?:号)?\s*[:：]?\s*([1-9]\d{4,11})(?!\d)", re.IGNORECASE)

# t.me paths that are Telegram features, not usernames.
_TME_RESERVED = {
    "joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "iv", "setlanguage", "addtheme",
    "login", "confirmphone", "bg", "invoice", "contact", "boost", "addlist", "giftcode",
}


@dataclass
class Contacts:
    """What a text reveals about how to reach its author."""

    phones: list[str] = field(default_factory=list)  # E.164, e.g. "+77011234567"
    handles: list[str] = field(default_factory=list)  # "@name", "wechat:id", "qq:12345"


def _normalise(text: str) -> str:
    # Full-width digits and punctuation (common in Chinese posts) become ASCII.
    return unicodedata.normalize("NFKC", text or "")


def regions_for(language: str | None) -> tuple[str, ...]:
    """The regions to try for national-format numbers in a post in this language."""
    return REGIONS_BY_LANGUAGE.get(language or "", DEFAULT_REGIONS)


def extract_phones(text: str, regions: Iterable[str] = DEFAULT_REGIONS) -> list[str]:
    """Valid phone numbers in text as E.164 strings, in order of appearance, without duplicates.

    Numbers written with a country code are recognised whatever the regions; numbers in national
    form ("8 701 123 45 67", "138 1234 5678") are read for the first region in which they are valid.
    """
    text = _normalise(text)
    if sum(c.isdigit() for c in text) < 7:
        return []  # no room for a phone number: skip the (costly) matchers
    regions = tuple(regions) or DEFAULT_REGIONS
    found: dict[int, tuple[int, str]] = {}  # start offset -> (end offset, E.164)
    for region in regions:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            if any(start <= match.start < end or match.start <= start < match.end for start, (end, _) in found.items()):
                continue  # an earlier (preferred) region already read this span
            if not _plausible(match.raw_string, match.number, region):
                continue
            e164 = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
            found[match.start] = (match.end, e164)
    for m in _WA_LINK.finditer(text):
        number = _parse_international(m.group(1))
        if number:
            found.setdefault(m.start(), (m.end(), number))
    for m in _CN_NO_PLUS.finditer(text):
        number = _parse_international("86" + re.sub(r"\D", "", m.group(1)))
        if number and not any(start <= m.start() < end for start, (end, _) in found.items()):
            found.setdefault(m.start(), (m.end(), number))
    out: list[str] = []
    for _, (_, e164) in sorted(found.items()):
        if e164 not in out:
            out.append(e164)
    return out


_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}|\d{1,2}[.:]\d{2}[.:]\d{2}\b")


def _plausible(raw: str, number: phonenumbers.PhoneNumber, region: str) -> bool:
    """Reject dates, times and file names that happen to form a valid number."""
    if _DATE_LIKE.search(raw):
        return False
    stripped = raw.lstrip("(").strip()
    if stripped.startswith("+") or stripped.startswith("00"):
        return True  # written with a country code: the writer meant a phone number
    digits = re.sub(r"\D", "", stripped)
    if region == "CN":
        # Chinese mobiles start with 1; landlines are written with the trunk 0 and an area code.
        return digits.startswith(("1", "0"))
    if region == "MN":
        return phonenumbers.number_type(number) in (
            phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
        )
    return True


def _parse_international(digits: str) -> str | None:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalise_phone(raw: str, region: str = "KZ") -> str | None:
    """One phone number as E.164, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(_normalise(raw), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def extract_handles(text: str) -> list[str]:
    """Messenger handles in text: Telegram "@name" (from @name and t.me/name), "wechat:<id>", "qq:<n>"."""
    text = _normalise(text)
    found: list[tuple[int, str]] = []
    for m in _TME_LINK.finditer(text):
        name = m.group(1)
        if name.lower() in _TME_RESERVED:
            continue
        found.append((m.start(), "@" + name))
    link_spans = [(m.start(), m.end()) for m in _TME_LINK.finditer(text)]
    for m in _AT_HANDLE.finditer(text):
        if any(s <= m.start() < e for s, e in link_spans):
            continue
        found.append((m.start(), "@" + m.group(1)))
    for m in _WECHAT.finditer(text):
        found.append((m.start(), "wechat:" + m.group(1)))
    for m in _VK_LINK.finditer(text):
        if m.group(1).lower() not in _VK_RESERVED:
            found.append((m.start(), "vk:" + m.group(1)))
    for m in _WEIBO_LINK.finditer(text):
        found.append((m.start(), "weibo:" + m.group(1)))
    for m in _WEIBO_NAME.finditer(text):
        found.append((m.start(), "weibo:" + m.group(1)))
    for m in _QQ.finditer(text):
        found.append((m.start(), "qq:" + m.group(1)))
    out: list[str] = []
    seen: set[str] = set()
    for _, handle in sorted(found):
        key = handle.lower()
        if key not in seen:
            seen.add(key)
            out.append(handle)
    return out


_HANDLE_PREFIXES = {"wechat": "wechat:", "weixin": "wechat:", "微信": "wechat:", "вичат": "wechat:", "v": "wechat:",
                    "vx": "wechat:", "wx": "wechat:", "qq": "qq:", "vk": "vk:", "weibo": "weibo:", "微博": "weibo:",
                    "telegram": "@", "tg": "@"}


def normalise_query(raw: str, regions: Iterable[str] = DEFAULT_REGIONS) -> tuple[str, str] | None:
    """What a person typed into a phone/handle search box, as ("phone", E.164) or ("handle", canonical handle).

    Accepts every way people write them: "8 702 333 44 55", "+7 (702) 333-44-55", "7702...", "wa.me/7702...",
    "+86 138...", "86138...", "138...", "@name", "t.me/name", "vk.com/name", "weibo.com/u/1", "微信: id",
    "V: id", "вичат id", "wechat:id". None when nothing recognisable is in it.
    """
    text = _normalise(raw).strip()
    if not text:
        return None
    handles = extract_handles(text)
    if handles:
        return "handle", canonical_handle(handles[0])
    prefix, sep, rest = text.partition(":")
    if sep and rest.strip() and prefix.strip().casefold() in _HANDLE_PREFIXES:
        return "handle", canonical_handle(_HANDLE_PREFIXES[prefix.strip().casefold()] + rest.strip().lstrip("@"))
    digits = re.sub(r"\D", "", text)
    if 7 <= len(digits) <= 15 and not re.search(r"[A-Za-zА-Яа-я\u4e00-\u9fff]", text.replace("wa.me", "")):
        if text.lstrip().startswith(("+", "00")):
            number = _parse_international(digits.removeprefix("00") if text.lstrip().startswith("00") else digits)
            if number:
                return "phone", number
        phones = extract_phones(text, regions)
        if phones:
            return "phone", phones[0]
        for candidate in (digits, "7" + digits[1:] if digits.startswith("8") else None, "86" + digits):
            number = _parse_international(candidate) if candidate else None
            if number:
                return "phone", number
    if re.fullmatch(r"@?[A-Za-z][A-Za-z0-9_]{3,31}", text):
        return "handle", canonical_handle("@" + text.lstrip("@"))
    return None


def canonical_handle(handle: str) -> str:
    """A handle as grouping and search compare it: case folded (Telegram, VK, WeChat and Weibo ids ignore case)."""
    return handle.strip().casefold()


def extract_contacts(text: str, language: str | None = None, regions: Iterable[str] | None = None) -> Contacts:
    """Phones and handles in one text; regions default to those of the post's language."""
    return Contacts(
        phones=extract_phones(text, regions if regions is not None else regions_for(language)),
        handles=extract_handles(text),
    )


def telegram_links(text: str) -> list[str]:
    """Channel usernames linked as t.me/<name> in text (for channel discovery), lower-cased, in order."""
    out: list[str] = []
    for m in _TME_LINK.finditer(_normalise(text)):
        name = m.group(1).lower()
        if name not in _TME_RESERVED and name not in out:
            out.append(name)
    return out
