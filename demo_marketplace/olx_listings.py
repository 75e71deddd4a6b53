"""Demo OLX content written for SaigaWatch: saiga-horn offers and buy ads, confounders and ordinary ads.

Every listing is fictional. `days` is the half-open range of simulated days it is online
(`(0, None)` = from day 0 on); `changes` maps a day to new field values (a price cut, a refresh);
`gone` says how its page answers once it is offline: "404" or "page" (the «объявление неактивно» page).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

# ------------------------------------------------------------------ geography, categories, sellers

# region slug → (region id, region name, [(city, city id, [districts])])
REGIONS_KZ: dict[str, tuple[int, str, list[tuple[str, int, list[str]]]]] = {
    "almaty": (2, "Алматы", [("Алматы", 201, ["Алмалинский район", "Бостандыкский район", "Ауэзовский район",
                                            "Жетысуский район", "Медеуский район", "Турксибский район"])]),
    "astana": (3, "Астана", [("Астана", 301, ["Есильский район", "Алматинский район", "Сарыаркинский район"])]),
    "shymkent": (4, "Шымкент", [("Шымкент", 401, ["Абайский район", "Аль-Фарабийский район", "Енбекшинский район"])]),
    "zko": (5, "Западно-Казахстанская обл.", [("Уральск", 501, []), ("Жанибек", 502, []), ("Казталовка", 503, []),
                                              ("Чапаев", 504, [])]),
    "atyrau": (6, "Атырауская обл.", [("Атырау", 601, []), ("Махамбет", 602, []), ("Индерборский", 603, [])]),
    "aktobe": (7, "Актюбинская обл.", [("Актобе", 701, []), ("Иргиз", 702, []), ("Шалкар", 703, [])]),
    "karaganda": (8, "Карагандинская обл.", [("Караганда", 801, []), ("Жезказган", 802, []), ("Балхаш", 803, [])]),
    "kostanay": (9, "Костанайская обл.", [("Костанай", 901, []), ("Аркалык", 902, []), ("Амангельды", 903, [])]),
    "kyzylorda": (10, "Кызылординская обл.", [("Кызылорда", 1001, []), ("Аральск", 1002, [])]),
    "almaty-obl": (11, "Алматинская обл.", [("Конаев", 1101, []), ("Талгар", 1102, []), ("Каскелен", 1103, [])]),
}
REGIONS_UZ: dict[str, tuple[int, str, list[tuple[str, int, list[str]]]]] = {
    "tashkent": (21, "Ташкент", [("Ташкент", 2101, ["Юнусабадский район", "Чиланзарский район",
                                                   "Мирзо-Улугбекский район"])]),
    "karakalpakstan": (22, "Каракалпакстан", [("Нукус", 2201, []), ("Муйнак", 2202, []), ("Кунград", 2203, [])]),
    "navoi": (23, "Навоийская область", [("Навои", 2301, []), ("Учкудук", 2302, [])]),
    "bukhara": (24, "Бухарская область", [("Бухара", 2401, [])]),
    "samarkand": (25, "Самаркандская область", [("Самарканд", 2501, [])]),
}
REGIONS_UA: dict[str, tuple[int, str, list[tuple[str, int, list[str]]]]] = {  # ids as crawler's olx_ua SITE
    "kiev": (25, "Київська область", [("Київ", 2501, ["Печерський", "Оболонський", "Дарницький"])]),
    "kharkov": (22, "Харківська область", [("Харків", 2201, ["Шевченківський", "Київський"])]),
    "odessa": (19, "Одеська область", [("Одеса", 1901, ["Приморський", "Київський"]), ("Ізмаїл", 1902, [])]),
    "dnepr": (7, "Дніпропетровська область", [("Дніпро", 701, ["Центральний"]), ("Кривий Ріг", 702, [])]),
    "lvov": (13, "Львівська область", [("Львів", 1301, ["Галицький", "Франківський"])]),
    "zaporozhe": (8, "Запорізька область", [("Запоріжжя", 801, ["Хортицький"]), ("Мелітополь", 802, [])]),
    "kherson": (16, "Херсонська область", [("Херсон", 1601, ["Дніпровський", "Суворовський"])]),
}
# category key → (id, slug, name)
CATEGORIES: dict[str, tuple[int, str, str]] = {
    "antique": (1501, "hobbi-otdyh-i-sport/antikvariat-kollektsii", "Антиквариат / коллекции"),
    "hunting": (1502, "hobbi-otdyh-i-sport/ohota-rybalka", "Охота / рыбалка"),
    "health": (1601, "zdorove-i-krasota/prochie-tovary", "Здоровье и красота"),
    "animals": (1701, "zhivotnye/drugie-zhivotnye", "Другие животные"),
    "furniture": (1801, "dom-i-sad/mebel", "Мебель"),
    "phones": (1901, "elektronika/telefony", "Телефоны"),
    "parts": (2001, "transport/zapchasti", "Запчасти"),
    "toys": (2101, "detskiy-mir/igrushki", "Игрушки"),
    "gifts": (2201, "moda-i-stil/podarki-suveniry", "Подарки / сувениры"),
    "services": (2301, "uslugi", "Услуги"),
    "farm": (2401, "selhoz/selhoz-produktsiya", "Сельхозпродукция"),
}

SELLERS: dict[str, tuple[int, str, bool]] = {  # key → (id, name, business)
    "erlan": (318204771, "Ерлан", False), "bolat": (318377410, "Болат", False), "marat_u": (318551203, "Марат", False),
    "aset": (319004518, "Асет К.", False), "bakyt": (319210337, "Бақыт", False),
    "nurlan": (319447102, "Нурлан", False), "zhanar": (319500861, "Жанар", False),
    "sergey": (319623450, "Сергей", False), "aigul": (319700142, "Айгуль", False),
    "timur": (319881276, "Тимур", False), "dauren": (320001935, "Дәурен", False),
    "vostok": (320117760, "Восток-Трейд", True), "oleg": (320230018, "Олег Петрович", False),
    "askar": (320371245, "Асқар", False), "gulnara": (320448807, "Гульнара", False),
    "kanat": (320512396, "Канат", False), "yuriy": (320640017, "Юрий", False),
    "ruslan": (320788420, "Руслан", False), "saule": (320901356, "Сауле", False),
    "dias": (321044281, "Диас", False), "ohotnik": (321150672, "Охотник-Урал", True),
    "aptekar": (321270014, "Шипагер", True), "suvenir": (321388905, "Сувенирная лавка «Дала»", True),
    "murat": (321402117, "Мурат", False), "beket": (321538820, "Бекет", False),
    "alisher": (330120447, "Alisher", False), "dilshod": (330237812, "Dilshod", False),
    "farrukh": (330351096, "Фаррух", False), "nodira": (330466120, "Nodira", False),
    "bobur": (330572233, "Бобур", False), "shavkat": (330688014, "Шавкат", False),
    "mykola": (340110201, "Микола", False), "oksana": (340220315, "Оксана", False),
    "petro": (340330427, "Петро Іванович", False), "antikvar_od": (340440539, "Антикваріат Одеса", True),
    "skupka_ua": (340550641, "Скупка-Харків", True), "taras": (340660753, "Тарас", False),
    "iryna": (340770865, "Ірина", False), "bohdan": (340880977, "Богдан", False),
}


@dataclass
class DemoAd:
    id: int
    site: str  # "kz" | "uz" | "ua"
    title: str
    text: str
    price: float | None  # None: «Договорная»
    category: str
    region: str
    city: str
    seller: str
    lang: str = "ru"
    district: str | None = None
    age_days: int = 3  # created this many days before day 0
    days: tuple[int, int | None] = (0, None)
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    gone: str = "404"
    photos: int = 2
    promoted: bool = False
    kind: str = "ordinary"  # sale | buy | confounder | ordinary (ground truth for demos and tests)

    def state_on(self, day: int) -> dict[str, Any]:
        """Title/text/price/refresh offset as of `day` (later changes override earlier ones)."""
        values = {"title": self.title, "text": self.text, "price": self.price, "refresh_day": 0}
        for change_day in sorted(self.changes):
            if change_day <= day:
                values.update(self.changes[change_day])
                values["refresh_day"] = change_day
        return values

    def online(self, day: int) -> bool:
        start, end = self.days
        return start <= day and (end is None or day < end)


def _id(site: str, n: int) -> int:
    return {"kz": 178_000_000, "uz": 57_000_000, "ua": 880_000_000}[site] + n * 7919 % 1_000_000 + n


_ADS: list[DemoAd] = []


def ad(n: int, site: str, title: str, text: str, price: float | None, category: str, region: str, city: str,
       seller: str, **kw: Any) -> None:
    _ADS.append(DemoAd(_id(site, n), site, title, text, price, category, region, city, seller, **kw))


# ------------------------------------------------------------------ olx.kz: offers of saiga horn

ad(1, "kz", "Рога сайги, 2 шт", "Продам рога сайгака, пара, длина 28 и 30 см. Светлые, без трещин. "
   "Хранились дома с 90-х. Отправлю в любой город. Звоните +7 701 482 19 63", 180000, "antique", "zko", "Уральск",
   "erlan", kind="sale", age_days=6, photos=3, changes={1: {"price": 160000}})
ad(2, "kz", "Рог сайгака оптом", "Имеются рога сайгака в количестве 40 штук, цена за кг договорная. "
   "Сортированные, чистые. Только серьёзные покупатели, самовывоз Атырау. WhatsApp 8 778 300 41 27",
   None, "farm", "atyrau", "Атырау", "marat_u", kind="sale", age_days=2, photos=4, promoted=True)
ad(3, "kz", "Продаю с@йгу рога", "р.о.г.а с@йги натуральные, 3 пары. Пишите в личку, по телефону не обсуждаю.",
   95000, "antique", "aktobe", "Актобе", "aset", kind="sale", age_days=1, photos=1, days=(0, 2), gone="page")
ad(4, "kz", "Киік мүйізі сатылады", "Киік мүйізі, 2 дана, ұзындығы 25 см. Бағасы келісімді. "
   "Орал қаласы, жеткізу бар. Хабарласыңыз: 8 705 144 20 88", 150000, "antique", "zko", "Уральск", "bakyt",
   lang="kk", kind="sale", age_days=4, photos=2)
ad(5, "kz", "Рога антилопы (сувенир с историей)", "Продаются рога антилопы, привезены отцом из степи в 1988. "
   "Длина 27 см, цвет янтарный, просвечивают. Для коллекции или на лекарство. Цена за пару.", 220000, "antique",
   "kostanay", "Костанай", "oleg", kind="sale", age_days=9, photos=3)
ad(6, "kz", "Куплю рога сайги дорого", "Куплю рога сайгака любое количество, дорого. Приеду сам, расчёт "
   "наличными на месте. Также интересуют старые запасы. +7 747 918 52 10", None, "antique", "almaty", "Алматы",
   "vostok", district="Турксибский район", kind="buy", age_days=5, promoted=True, photos=0)
ad(7, "kz", "Скупка: рог сайгака, панты", "Скупаем рог сайгака (светлый, прозрачный), панты марала, "
   "желчь медвежью. Работаем по всему Казахстану, отправка в Китай. Telegram @dala_trade_kz", None,
   "services", "shymkent", "Шымкент", "vostok", district="Абайский район", kind="buy", age_days=11, photos=0)
ad(8, "kz", "Ақбөкен мүйізін сатып аламын", "Ақбөкен мүйізін қымбат бағаға сатып аламын. Кез келген "
   "мөлшерде. Ақшасы бірден. 8 702 611 73 05", None, "antique", "kyzylorda", "Кызылорда", "askar", lang="kk",
   kind="buy", age_days=3, photos=0)
ad(9, "kz", "S@iga рога", "Рoга сaйги (пишу латиницей, не удивляйтесь), 2 штуки, 26 см. Самовывоз Жанибек.",
   120000, "antique", "zko", "Жанибек", "dauren", kind="sale", age_days=2, photos=2, days=(0, 1), gone="404")
ad(10, "kz", "Рожки сайгачьи для народной медицины", "Стружка и целые рожки сайгака. Помогает при жаре, "
    "давлении (по китайской медицине). Цена за 100 г — 45 000 тг. Доставка Казпочтой.", 45000, "health",
    "aktobe", "Шалкар", "aptekar", kind="sale", age_days=8, photos=2)
ad(11, "kz", "Рога степной антилопы", "Продаю рога степной антилопы, сайгак, самец. Пара. "
    "Фото по запросу. Торг уместен.", 170000, "hunting", "atyrau", "Махамбет", "kanat", kind="sale",
    age_days=14, photos=1, changes={1: {"price": 150000}, 2: {"price": 140000}})
ad(12, "kz", "Отдам за символическую цену рога", "Остались от деда рога, говорят сайгачьи, 4 шт. "
    "Нам не нужны, отдам недорого. Город Иргиз.", 30000, "antique", "aktobe", "Иргиз", "gulnara", kind="sale",
    age_days=1, photos=2, days=(1, None))
ad(13, "kz", "Рог сайги 1 шт", "Один рог сайги, 29 см, вес 180 г.", 70000, "antique", "kostanay", "Аркалык",
    "yuriy", kind="sale", age_days=0, photos=1, days=(1, None))
ad(14, "kz", "Мүйіз, киік, 3 жұп", "Үш жұп киік мүйізі бар. Сапасы жақсы. Ақтөбе облысы, Шалқар.", 400000,
    "antique", "aktobe", "Шалкар", "beket", lang="kk", kind="sale", age_days=5, photos=3, days=(0, 2), gone="page")
ad(15, "kz", "Продам коллекцию рогов", "Коллекция: рога косули, сибирского козла, пара рогов сайгака, "
    "рог архара (старый). Продаю всё вместе или по отдельности.", 650000, "antique", "karaganda", "Караганда",
    "sergey", kind="sale", age_days=20, photos=4)
ad(16, "kz", "Рога сайгака, оптом от 1 кг", "Рога сайгака оптом, есть около 12 кг. Цена за кг 900 000 тг. "
    "Сделка в Уральске. Вопросы в WhatsApp +7 771 250 66 31", 900000, "farm", "zko", "Казталовка", "ruslan",
    kind="sale", age_days=2, photos=2, days=(2, None))
ad(17, "kz", "Куплю рог", "Куплю рог (сайгачий), можно с повреждениями. Астана и область. Пишите.", None,
    "antique", "astana", "Астана", "timur", district="Есильский район", kind="buy", age_days=6, photos=0)
ad(18, "kz", "Порошок из рога сайги", "Натуральный порошок из р0га сайги, 50 г. Для отваров. Оригинал, "
    "не подделка, есть видео как строгаю.", 60000, "health", "shymkent", "Шымкент", "aptekar",
    district="Енбекшинский район", kind="sale", age_days=4, photos=2)

# ------------------------------------------------------------------ olx.kz: confounders

# A seller who works across platforms: the same phone is on a Telegram channel post and on VK (grouping demo).
ad(29, "kz", "Рога сайги в наличии", "Есть рога сайгака, 5 пар, крупные, светлые. Опт и розница, отправка по "
   "Казахстану. Звоните +7 (702) 333-44-55", 210000, "antique", "atyrau", "Атырау", "bolat", kind="sale",
   age_days=3, photos=1)
ad(30, "kz", "Сайга-12 исп. 030", "Продам Сайга-12, исп. 030, 2015 г.в., состояние отличное, "
    "2 магазина. Разрешение обязательно, сделка через магазин. Рога (рогатка) для чистки в подарок.", 450000,
    "hunting", "almaty", "Алматы", "ohotnik", district="Бостандыкский район", kind="confounder", age_days=7,
    photos=3)
ad(31, "kz", "Карабин Сайга 410", "Карабин Сайга 410К, состояние хорошее, чехол, 3 магазина. "
    "Только владельцам разрешения.", 380000, "hunting", "kostanay", "Костанай", "ohotnik", kind="confounder",
    age_days=12, photos=2)
ad(32, "kz", "Статуэтка сайгака, бронза", "Бронзовая статуэтка сайгака на постаменте, высота 18 см. "
    "Отличный подарок, символ степи.", 25000, "gifts", "astana", "Астана", "suvenir", district="Алматинский район",
    kind="confounder", age_days=10, photos=2)
ad(33, "kz", "Магнит «Киік» сувенир", "Сувенирные магниты с ақбөкен (сайгак), 10 видов. Опт и розница.",
    1500, "gifts", "almaty", "Алматы", "suvenir", district="Медеуский район", kind="confounder", age_days=30,
    photos=1)
ad(34, "kz", "Изъяли 200 рогов сайги на границе", "Новость: на посту «Таскала» пограничники изъяли 200 рогов "
    "сайгака, возбуждено уголовное дело по ст. 339 УК РК. Будьте бдительны, не покупайте!", 1, "services",
    "zko", "Уральск", "oleg", kind="confounder", age_days=2, photos=1)
ad(35, "kz", "Панты марала", "Продаю панты марала, сушёные, сертификат. Для здоровья и силы. "
    "Рога не сайгачьи, маральи, законно.", 120000, "health", "almaty-obl", "Талгар", "kanat", kind="confounder",
    age_days=5, photos=2)
ad(36, "kz", "Рога козла для декора", "Рога горного козла (домашнего), пара, для декора стены.", 15000,
    "antique", "karaganda", "Балхаш", "yuriy", kind="confounder", age_days=3, photos=1)
ad(37, "kz", "Рога оленя на подставке", "Рога благородного оленя, 8 отростков, на деревянном щите.", 85000,
    "antique", "astana", "Астана", "sergey", district="Сарыаркинский район", kind="confounder", age_days=18,
    photos=2)
ad(38, "kz", "Бальзам «Сайгак-Форте»", "Травяной бальзам «Сайгак-Форте», 250 мл. Состав: травы степи, "
    "мумиё. Без компонентов животного происхождения.", 4500, "health", "shymkent", "Шымкент", "aptekar",
    district="Аль-Фарабийский район", kind="confounder", age_days=25, photos=1)
ad(39, "kz", "Мягкая игрушка Сайгачонок", "Плюшевая игрушка сайгачонок, 30 см, новая с биркой.", 6000,
    "toys", "almaty", "Алматы", "aigul", district="Ауэзовский район", kind="confounder", age_days=4, photos=2)
ad(40, "kz", "Чехол для Сайга-20", "Чехол оружейный, подойдёт для Сайга-20 и Сайга-12К. Новый.", 12000,
    "hunting", "zko", "Уральск", "ohotnik", kind="confounder", age_days=9, photos=1, days=(0, 2), gone="page")
ad(41, "kz", "Картина «Сайгаки в степи»", "Холст, масло, 60×80, автор местный художник. Сайгаки на закате.",
    90000, "antique", "almaty", "Алматы", "zhanar", district="Медеуский район", kind="confounder", age_days=40,
    photos=2)
ad(42, "kz", "Рог изобилия, керамика", "Ваза «Рог изобилия», керамика ручной работы.", 8000, "gifts",
    "astana", "Астана", "saule", district="Есильский район", kind="confounder", age_days=6, photos=1)
ad(43, "kz", "Лекарство Линь Ян Цзяо (аналог)", "Китайский жаропонижающий сбор, растительный аналог, "
    "без рога антилопы. Сертифицировано.", 7000, "health", "almaty", "Алматы", "aptekar",
    district="Алмалинский район", kind="confounder", age_days=13, photos=1)
ad(44, "kz", "Киік туралы кітап", "«Киік — дала сәні» кітабы, 2019 ж., жаңа.", 3500, "gifts", "astana",
    "Астана", "dauren", lang="kk", kind="confounder", age_days=21, photos=1)
ad(45, "kz", "Охота на сайгу запрещена — памятка", "Раздаю бесплатно памятки охотникам: сайгак занесён "
    "в Красную книгу, охота и продажа рогов запрещены законом.", 0, "services", "aktobe", "Актобе", "murat",
    kind="confounder", age_days=3, photos=0)

# ------------------------------------------------------------------ olx.uz

ad(101, "uz", "Sayg'oq shoxi sotiladi", "Sayg'oq shoxi, 2 dona, 27 sm. Narxi kelishiladi. Nukus, "
    "yetkazib berish bor. Tel: +998 90 713 44 21", 9_500_000, "antique", "karakalpakstan", "Нукус", "alisher",
    lang="uz", kind="sale", age_days=3, photos=2)
ad(102, "uz", "Рога сайгака, Муйнак", "Продам рога сайгака, 3 пары, с Устюрта. Цена за пару.", 12_000_000,
    "antique", "karakalpakstan", "Муйнак", "farrukh", kind="sale", age_days=6, photos=3, days=(0, 2), gone="404")
ad(103, "uz", "Sayg'oq shoxi sotib olaman", "Sayg'oq shoxini qimmat narxda sotib olaman, istalgan miqdorda. "
    "Toshkent. Telegram @shox_olaman", None, "services", "tashkent", "Ташкент", "dilshod", lang="uz", kind="buy",
    district="Юнусабадский район", age_days=2, photos=0)
ad(104, "uz", "Куплю рог сайги", "Куплю рога сайги, дорого, быстро. Нукус, Кунград.", None, "antique",
    "karakalpakstan", "Кунград", "bobur", kind="buy", age_days=4, photos=0, days=(1, None))
ad(105, "uz", "Saiga suvenir haykalcha", "Sayg'oq haykalchasi, yog'och, 20 sm. Sovg'a uchun.", 250_000,
    "gifts", "samarkand", "Самарканд", "nodira", lang="uz", kind="confounder", age_days=15, photos=2)
ad(106, "uz", "Сайга-12 ружьё", "Продаю Сайга-12, документы в порядке, только с разрешением.", 14_000_000,
    "hunting", "tashkent", "Ташкент", "shavkat", district="Чиланзарский район", kind="confounder", age_days=8,
    photos=2)
ad(107, "uz", "Shox, kiyik, juft", "Kiyik shoxi juft, eski, devorga osish uchun.", 1_200_000, "antique",
    "navoi", "Учкудук", "farrukh", lang="uz", kind="sale", age_days=5, photos=1)
ad(108, "uz", "Marál pantlari (bug'u shoxi)", "Bug'u pantlari, quritilgan, sertifikat bor.", 3_000_000,
    "health", "bukhara", "Бухара", "nodira", lang="uz", kind="confounder", age_days=9, photos=1)


# ------------------------------------------------------------------ ordinary ads (templated)

_ORDINARY_KZ = [
    ("furniture", "Диван угловой, б/у", "Угловой диван в хорошем состоянии, раскладывается. Самовывоз.", 65000),
    ("furniture", "Шкаф-купе 2 м", "Шкаф-купе с зеркалом, ширина 2 м, разборка и вывоз ваши.", 80000),
    ("furniture", "Стол обеденный и 4 стула", "Деревянный стол, 4 стула, небольшие потёртости.", 45000),
    ("phones", "iPhone 12, 128 ГБ", "Телефон в отличном состоянии, аккумулятор 86%, коробка, чехол.", 210000),
    ("phones", "Samsung Galaxy A54", "Смартфон, 8/256, гарантия ещё 4 месяца.", 150000),
    ("phones", "Redmi Note 12 на запчасти", "Разбит экран, остальное рабочее.", 20000),
    ("parts", "Шины зимние 205/55 R16", "Комплект зимней резины, шипованная, 1 сезон.", 120000),
    ("parts", "Аккумулятор 60 Ач", "Аккумулятор автомобильный, год использования.", 18000),
    ("hunting", "Палатка 4-местная", "Туристическая палатка, два тамбура, почти новая.", 35000),
    ("hunting", "Спиннинг с катушкой", "Спиннинг 2,4 м с катушкой Shimano, для щуки и судака.", 22000),
    ("hunting", "Бинокль 10×50", "Бинокль для охоты и рыбалки, прорезиненный корпус.", 28000),
    ("hunting", "Чучело утки для охоты", "Подсадные утки, пластик, 6 штук, для охоты на водоплавающую.", 15000),
    ("antique", "Самовар медный", "Старинный медный самовар на углях, рабочий.", 75000),
    ("antique", "Монеты СССР, коллекция", "Коллекция монет СССР 1961–1991, альбом.", 40000),
    ("antique", "Домбра ручной работы", "Домбра из тутового дерева, мастер из Шымкента.", 95000),
    ("gifts", "Кесе и чайный сервиз", "Сервиз на 6 персон с казахским орнаментом, новый.", 18000),
    ("gifts", "Войлочное панно «Степь»", "Панно из войлока ручной работы, 50×70.", 30000),
    ("toys", "Конструктор LEGO City", "Набор LEGO City, полный комплект, инструкция.", 25000),
    ("toys", "Детский велосипед", "Велосипед 16 дюймов, боковые колёса.", 30000),
    ("animals", "Котята британские", "Котята британской породы, 2 месяца, приучены к лотку.", 40000),
    ("animals", "Щенки алабая", "Щенки среднеазиатской овчарки, привиты, с документами.", 120000),
    ("health", "Массажёр для шеи", "Электрический массажёр, новый, в упаковке.", 14000),
    ("health", "Тонометр Omron", "Тонометр автоматический, почти не пользовались.", 16000),
    ("services", "Ремонт стиральных машин", "Ремонт стиральных машин на дому, выезд по городу.", 5000),
    ("services", "Репетитор по математике", "Подготовка к ЕНТ, опыт 10 лет.", 6000),
    ("farm", "Мёд горный", "Горный мёд с пасеки, 3-литровая банка.", 15000),
    ("farm", "Кумыс свежий", "Кумыс, доставка по городу, 1,5 л.", 2500),
    ("farm", "Шерсть овечья", "Овечья шерсть, мытая, 10 кг.", 10000),
]
_ORDINARY_KK = [
    ("furniture", "Диван сатылады", "Жақсы жағдайдағы диван, өзіңіз алып кетесіз.", 50000),
    ("farm", "Қымыз сатамын", "Таза қымыз, күнде жаңа, жеткізу бар.", 2500),
    ("animals", "Қой сатылады", "Еділбай қойы, 10 бас, бағасы бір басына.", 75000),
    ("gifts", "Киіз үй сувенирі", "Шағын киіз үй сувенирі, қолдан жасалған.", 12000),
    ("antique", "Ескі домбыра", "Атамнан қалған домбыра, жөндеуді қажет етеді.", 40000),
]
_ORDINARY_UZ = [
    ("phones", "Telefon Redmi 13C", "Yangi, qutisi bor, kafolat.", 1_600_000),
    ("furniture", "Divan sotiladi", "Yaxshi holatda, olib ketish kerak.", 2_500_000),
    ("antique", "Eski choynak", "Eski chinni choynak, to'plam uchun.", 300_000),
    ("farm", "Asal, tog' asali", "Tog' asali, 1 litr.", 120_000),
    ("hunting", "Qarmoq to'plami", "Baliq ovlash uchun to'plam.", 250_000),
    ("gifts", "Suzana, qo'l ishi", "Qo'lda tikilgan suzana, 2×1,5 m.", 4_000_000),
]
_CITIES_KZ = [(r, c[0], (c[2] or [None])) for r, (_, _, cities) in REGIONS_KZ.items() for c in cities]
_CITIES_UZ = [(r, c[0], (c[2] or [None])) for r, (_, _, cities) in REGIONS_UZ.items() for c in cities]
_ORDINARY_SELLERS_KZ = ["nurlan", "zhanar", "sergey", "aigul", "timur", "oleg", "gulnara", "kanat", "yuriy",
                        "ruslan", "saule", "dias", "murat", "beket", "askar"]
_ORDINARY_SELLERS_UZ = ["alisher", "dilshod", "farrukh", "nodira", "bobur", "shavkat"]


def _pick(seq: list, n: int, salt: str):
    digest = hashlib.sha256(f"{salt}:{n}".encode()).digest()
    return seq[int.from_bytes(digest[:4], "big") % len(seq)]


# ------------------------------------------------------------------ olx.ua (Ukrainian UI, hryvnia)

ad(1, "ua", "Роги сайги, пара", "Продам роги сайги, пара, 27 і 28 см. Старі, з колекції батька. Відправка "
   "Новою поштою. Телефонуйте 067 215 44 90", 6500, "antique", "kherson", "Херсон", "mykola", lang="uk",
   district="Дніпровський", kind="sale", age_days=4, photos=2, changes={1: {"price": 6000}})
ad(2, "ua", "Ріг сайгака", "Ріг сайгака, один, 26 см, світлий, без тріщин. Ціна договірна. Одеса, самовивіз.",
   None, "antique", "odessa", "Одеса", "antikvar_od", lang="uk", district="Приморський", kind="sale",
   age_days=2, photos=1, promoted=True)
ad(3, "ua", "Сайгачий ріг для колекції", "Сайгачий ріг, натуральний, 25 см. Пишіть у Viber.", 4200,
   "antique", "kiev", "Київ", "oksana", lang="uk", district="Печерський", kind="sale", age_days=6, photos=2,
   days=(0, 2), gone="page")
ad(4, "ua", "Роги сайгака, 3 пари", "Роги сайгака, три пари, привезені з Криму у 80-х. Ціна за пару. "
   "+380 50 318 22 71", 9000, "hunting", "zaporozhe", "Мелітополь", "petro", lang="uk", kind="sale",
   age_days=3, photos=3, days=(0, 1), gone="404")
ad(5, "ua", "Куплю роги сайги", "Куплю роги сайги та сайгака, дорого, будь-яка кількість. Розрахунок одразу. "
   "Харків і область.", None, "services", "kharkov", "Харків", "skupka_ua", lang="uk", kind="buy", age_days=9,
   photos=0)
ad(6, "ua", "Рога сайги, Днепр", "Продам рога сайги, пара, 24 см. Ріг сайгака, торг. Днепр, центр.", 7000,
   "antique", "dnepr", "Дніпро", "taras", lang="ru", district="Центральний", kind="sale", age_days=0,
   photos=1, days=(1, None))
ad(20, "ua", "Статуетка сайгак, бронза", "Бронзова статуетка сайгака, 15 см, на мармуровій підставці.", 350,
   "gifts", "lvov", "Львів", "iryna", lang="uk", district="Галицький", kind="confounder", age_days=12, photos=2)
ad(21, "ua", "Карабін Сайга-12, чохол", "Чохол і ремінь до карабіна Сайга-12. Зброя не продається.", 900,
   "hunting", "dnepr", "Кривий Ріг", "bohdan", lang="uk", kind="confounder", age_days=5, photos=1)
ad(22, "ua", "Роги оленя на щиті", "Роги благородного оленя, 10 відростків, на дубовому щиті.", 2500,
   "antique", "lvov", "Львів", "bohdan", lang="uk", district="Франківський", kind="confounder", age_days=20,
   photos=2)
ad(23, "ua", "М'яка іграшка сайгак", "Плюшева іграшка сайгачок, 30 см, нова.", 250, "toys", "kiev", "Київ",
   "iryna", lang="uk", district="Оболонський", kind="confounder", age_days=7, photos=1)
ad(24, "ua", "Ріг достатку, кераміка", "Ваза «Ріг достатку», кераміка ручної роботи.", 480, "gifts", "odessa",
   "Ізмаїл", "oksana", lang="uk", kind="confounder", age_days=11, photos=1)
ad(40, "ua", "Мед липовий, 3 л", "Мед свій, липовий, цьогорічний. Доставка по Києву.", 450, "farm", "kiev",
   "Київ", "mykola", lang="uk", district="Дарницький", age_days=2, photos=1)
ad(41, "ua", "Диван кутовий", "Диван кутовий, розкладний, самовивіз.", 7500, "furniture", "kharkov", "Харків",
   "taras", lang="uk", district="Шевченківський", age_days=8, photos=2)
ad(42, "ua", "Телефон Samsung A14", "Samsung Galaxy A14, 64 ГБ, стан ідеальний.", 3900, "phones", "zaporozhe",
   "Запоріжжя", "petro", lang="uk", district="Хортицький", age_days=1, photos=2)


def _ordinary(start: int, count: int, site: str) -> None:
    templates = (_ORDINARY_KZ + _ORDINARY_KK) if site == "kz" else _ORDINARY_UZ
    cities = _CITIES_KZ if site == "kz" else _CITIES_UZ
    sellers = _ORDINARY_SELLERS_KZ if site == "kz" else _ORDINARY_SELLERS_UZ
    for i in range(count):
        n = start + i
        category, title, text, price = templates[i % len(templates)]
        region, city, districts = _pick(cities, n, "city")
        district = _pick(districts, n, "district")
        lang = "kk" if (site == "kz" and (category, title, text, price) in _ORDINARY_KK) else ("uz" if site == "uz" else "ru")
        variant = i // len(templates)
        if variant:
            title = f"{title} ({'срочно' if site == 'kz' else 'tez'})" if variant % 2 else title
            price = round(price * (1 + 0.07 * variant))
        days = (0, None)
        changes: dict[int, dict[str, Any]] = {}
        if n % 11 == 0:
            days = (0, 1)
        elif n % 13 == 0:
            days = (1, None)
        elif n % 17 == 0:
            changes = {1: {"price": round(price * 0.9)}}
        ad(n, site, title, text, price, category, region, city, _pick(sellers, n, "seller"), lang=lang,
           district=district, age_days=n % 25, days=days, changes=changes, gone="404" if n % 2 else "page",
           photos=1 + n % 3)


_ordinary(200, 150, "kz")
_ordinary(600, 40, "uz")

ADS: list[DemoAd] = list(_ADS)
BY_ID: dict[int, DemoAd] = {a.id: a for a in ADS}
assert len(BY_ID) == len(ADS), "demo OLX ids must be unique"


def add_bench_ads(count: int) -> int:
    """Benchmarks only: add `count` more ordinary olx.kz ads (in place, idempotent); returns how many ADS now holds."""
    start = 10_000
    if any(a.id == _id("kz", start) for a in ADS):
        return len(ADS)
    before = len(_ADS)
    _ordinary(start, count, "kz")
    added = _ADS[before:]
    ADS.extend(added)
    BY_ID.update({a.id: a for a in added})
    assert len(BY_ID) == len(ADS), "demo OLX ids must be unique"
    return len(ADS)
