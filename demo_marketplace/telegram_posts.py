"""Demo content for the fake t.me: channels and posts written for SaigaWatch (offers, buy posts, confounders)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

EPOCH = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.timezone.utc)  # demo day 0


@dataclass
class Post:
    channel: str
    id: int
    text: str  # HTML allowed (links, <br/>, <b>)
    day: int = 0  # first day online
    until: int | None = None  # last day online (deleted afterwards)
    hour: int = 0  # hours after the day's start
    views: str = "312"
    photos: list[str] = field(default_factory=list)  # image names served under /telegram/img/
    album: bool = False
    document: tuple[str, str] | None = None  # (title, size)
    preview: tuple[str, str, str] | None = None  # (url, site name, title)
    forwarded_from: tuple[str, str] | None = None  # (channel, title)
    edited: bool = False
    service: bool = False
    video: bool = False
    edit: tuple[int, str] | None = None  # (from day, new text): the post is edited on that day

    @property
    def posted_at(self) -> dt.datetime:
        return EPOCH + dt.timedelta(days=self.day, hours=self.hour, minutes=(self.id * 7) % 60)


CHANNELS: dict[str, dict] = {
    "saiga_rog_kz": {"title": "Рога и копыта KZ", "about": "Скупка и продажа. Опт/розница. Пишите в личку."},
    "kiik_muiiz_sauda": {"title": "Киік мүйізі — сауда", "about": "Сатып аламыз, сатамыз. Алматы, Атырау."},
    "ohota_kz_news": {"title": "Охота и рыбалка Казахстана", "about": "Новости, законы, снаряжение."},
    "step_suvenir": {"title": "Степной сувенир", "about": "Сувениры ручной работы из Казахстана."},
    "panty_altai": {"title": "Панты Алтая — здоровье", "about": "Пантовые ванны, настойки, БАД."},
    "rog_opt_private": {"title": "Опт рог (закрытые продажи)", "about": "Только проверенные покупатели."},
}

# Seller posts: offers and buy posts in Russian, some obfuscated.
_SELLER = [
    "Продам рога сайги, 4 пары, сухие, длина 28-32 см. Цена договорная. Звонить 8 701 555 12 34",
    "Рог сайгака в наличии, вес от 250 г. Отправка по Казахстану и в РФ. WhatsApp wa.me/77015551234",
    "Куплю рога сайги любые, дорого, расчёт сразу. Пишите @saiga_skupka",
    "С@йга р0га, опт от 10 кг. Только личка, без звонков",
    "Рога антилопы (сайгак) — 2 шт, отличное состояние, 180 000 тг за пару",
    "Скупаем рог сайгака у охотников, Атырау, Уральск. Тел +7 705 444 22 11",
    "Продаю рога сайги старые, из дедовской коллекции, 3 пары. Торг",
    "Порошок из рога сайгака, 50 г, для китайской медицины. Доставка Алматы",
    "Отдам рога сайги в хорошие руки за символическую цену, пишите в телеграм",
    "Рога сайги оптом, поставка в Урумчи, нужен партнёр. Контакт t.me/rog_opt_private",
    "Новое поступление: рога сайгака, 12 пар, крупные. Фото в альбоме",
    "Продам стружку рога сайги, 100 г — 45 000 тг. Алматы, самовывоз",
]
_KAZ = [
    "Киік мүйізін сатамын, 2 жұп, бағасы келісімді. Тел 8 777 123 45 67",
    "Ақбөкен мүйізі сатып аламыз, қымбат. Атырау облысы. @kiik_satamyz",
    "Киік мүйізі бар, Шымкент. WhatsApp +7 747 765 43 21",
    "Мүйіз сатылады (киік), жақсы сапа, жеткізу бар",
    "Сайғақ мүйізін аламыз, көп болса бағасы жоғары",
]
_NEWS = [
    "На границе с Китаем изъяли 120 рогов сайги, возбуждено уголовное дело по ст. 339 УК РК",
    "Численность сайги в Казахстане превысила 2,8 млн голов — данные авиаучёта",
    "Карабин Сайга-12 и Сайга-МК: обзор, сравнение и цены на вторичном рынке",
    "Продам карабин Сайга-9, состояние отличное, с разрешением, торг",
    "Инспекторы охотнадзора задержали браконьеров с рогами сайгака в Западно-Казахстанской области",
    "Сезон охоты на кабана открыт: сроки и лимиты на 2026 год",
    "Как отличить рога сайги от рогов джейрана — материал для инспекторов",
    "Суд приговорил перевозчика рогов сайги к 5 годам лишения свободы",
]
_SOUVENIR = [
    "Сувенир «Сайга» из бронзы, ручная работа, 25 см. Отличный подарок",
    "Магнит на холодильник с сайгой, 1500 тг, опт от 50 шт",
    "Вышитая картина «Степь и сайгаки», 40×60 см",
    "Деревянная статуэтка антилопы, 3 000 тг",
    "Юбилейная монета «Сайга» НБ РК, серебро, пруф",
]
_PANTY = [
    "Пантовые ванны на Алтае: запись на декабрь открыта",
    "Настойка из пантов марала, 250 мл — лучший подарок мужчине",
    "Рога марала (панты) сухие, 1 кг, цена за кг 90 000 тг",
    "Лин Ян Гань Мао Пянь (羚羊感冒片) — китайские таблетки от простуды, 2 упаковки",
    "Оленьи рога для собак — натуральное лакомство",
]
_PRIVATE = [
    "Закрытый прайс: рога сайги 1 сорт, 2 сорт. Пишите только по делу @rog_opt_admin",
    "Отгрузка рогов сайгака на Хоргос, собираем партию 40 кг",
    "Приём рогов сайги круглый год, оплата наличными. +7 700 909 90 90",
]


def _photo(channel: str, pid: int, n: int = 0) -> str:
    return f"{channel}-{pid}-{n}.jpg"


def build() -> dict[str, list[Post]]:
    """All demo posts by channel, ids increasing with time."""
    posts: dict[str, list[Post]] = {name: [] for name in CHANNELS}

    def add(channel: str, text: str, **kw) -> Post:
        pid = len(posts[channel]) + 1
        post = Post(channel=channel, id=pid, text=text, **kw)
        posts[channel].append(post)
        return post

    # The main seller channel: enough posts for three ?before= pages; some appear or vanish on later days.
    add("saiga_rog_kz", "Channel created", service=True, day=-30)
    for i in range(52):
        text = _SELLER[i % len(_SELLER)]
        day = -25 + i // 2 if i < 46 else i - 46  # the last six appear on days 0..5
        kw: dict = {"day": min(day, 0) if i < 46 else day, "hour": i % 12, "views": f"{1 + i % 9}.{i % 10}K" if i % 3 else str(200 + i)}
        if i % 4 == 0:
            kw["photos"] = [_photo("saiga_rog_kz", i + 2)]
        if i % 11 == 10:
            kw["photos"] = [_photo("saiga_rog_kz", i + 2, n) for n in range(3)]
            kw["album"] = True
        if i % 13 == 5:
            kw["edited"] = True
        if i == 20:
            kw["until"] = 1  # deleted after day 1
        if i == 30:
            kw["edit"] = (2, text + "<br/>UPD: осталось 2 пары, звонить +7 701 999 88 77")
        if i % 9 == 4:
            kw["document"] = ("прайс_рога_2026.pdf", "84.2 KB")
        add("saiga_rog_kz", text.replace("\n", "<br/>"), **kw)
    add("saiga_rog_kz", 'Пишите в мой второй канал: <a href="https://t.me/rog_opt_private">t.me/rog_opt_private</a>', day=0, hour=3)
    add("saiga_rog_kz", "", day=0, hour=4, forwarded_from=("rog_opt_private", CHANNELS["rog_opt_private"]["title"]),
        photos=[_photo("saiga_rog_kz", 99)])
    add("saiga_rog_kz", "Pinned a message", service=True, day=0, hour=5)
    add("saiga_rog_kz", 'Наш прайс на сайте <a href="https://example.org/rog-price">example.org/rog-price</a>', day=1,
        preview=("https://example.org/rog-price", "Рога Опт", "Прайс-лист: рога сайги, панты, копыта"))
    # The phone number is only in the photo (for OCR).
    add("saiga_rog_kz", "Звоните, номер на фото 👇", day=1, hour=2, photos=["phone-card.jpg"])

    for i, text in enumerate(_KAZ * 2):
        add("kiik_muiiz_sauda", text, day=-10 + i, hour=i % 10, views=str(80 + i * 13),
            photos=[_photo("kiik_muiiz_sauda", i + 1)] if i % 2 else [])
    for i, text in enumerate(_NEWS * 3):
        kw = {"video": True} if i % 7 == 3 else {}
        if i % 5 == 1:
            kw["preview"] = ("https://example.org/news/%d" % i, "Экология KZ", text[:60])
        add("ohota_kz_news", text, day=-20 + i // 2, hour=i % 9, views=f"{10 + i}.{i % 10}K", **kw)
    add("ohota_kz_news", "Репост из канала скупщиков — будьте бдительны:", day=0, hour=6,
        forwarded_from=("saiga_rog_kz", CHANNELS["saiga_rog_kz"]["title"]))
    for i, text in enumerate(_SOUVENIR * 2):
        add("step_suvenir", text, day=-8 + i, hour=i % 8, views=str(50 + i), photos=[_photo("step_suvenir", i + 1)])
    for i, text in enumerate(_PANTY * 2):
        add("panty_altai", text, day=-9 + i, hour=i % 6, views=f"{i + 1}.2K")
    # The OLX seller "bolat" posts here too, in other words but with the same phone (cross-platform linking demo).
    add("kiik_muiiz_sauda", "Рог сайги оптом и в розницу, качество отличное. Пишите или звоните 8-702-333-44-55",
        day=0, hour=9, views="312")
    for i, text in enumerate(_PRIVATE * 2):
        add("rog_opt_private", text, day=-6 + i, hour=i % 5, views=str(40 + i))
    return posts


def make_jpeg(title: str, lines: list[str] | None = None, size: tuple[int, int] = (480, 320), seed: int = 0) -> bytes:
    """A small JPEG with readable text (DejaVu Sans when installed): demo photos, OCR-able phone cards."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    palette = [(236, 224, 200), (214, 228, 236), (230, 214, 214), (220, 236, 214), (240, 240, 240)]
    img = Image.new("RGB", size, palette[seed % len(palette)])
    draw = ImageDraw.Draw(img)
    font_big = font_small = None
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            font_big = ImageFont.truetype(path, 34)
            font_small = ImageFont.truetype(path, 28)
            break
        except OSError:
            continue
    if font_big is None:
        font_big = font_small = ImageFont.load_default()
    if not title and not lines:  # an ordinary photo: shapes only, nothing for OCR to read
        for n in range(3):
            x = 60 + ((seed + n * 97) % max(size[0] - 200, 1))
            y = 40 + ((seed * 3 + n * 53) % max(size[1] - 160, 1))
            draw.ellipse((x, y, x + 90 + n * 20, y + 120), outline=(90, 70, 40), width=6)
    draw.text((24, 24), title, fill=(20, 20, 20), font=font_big)
    y = 90
    for line in lines or []:
        draw.text((24, y), line, fill=(20, 20, 20), font=font_small)
        y += 44
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()
