"""Report wording in Russian and English (reports.language)."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "_lang": {"ru": "ru", "en": "en"},
    "title": {"ru": "SaigaWatch: сводный отчёт о мониторинге онлайн-торговли рогами сайги",
              "en": "SaigaWatch: summary of online saiga horn trade monitoring"},
    "period": {"ru": "Период", "en": "Period"},
    "generated": {"ru": "Сформирован", "en": "Generated"},
    "totals": {"ru": "Итоги", "en": "Totals"},
    "detected": {"ru": "Обнаружено предложений (дел)", "en": "Offers (cases) detected"},
    "flagged": {"ru": "Отмечено классификатором", "en": "Flagged"},
    "copies_detected": {"ru": "Копий объявлений (все репосты)", "en": "Listing copies (every repost)"},
    "copies_flagged": {"ru": "Отмеченных копий", "en": "Flagged copies"},
    "sellers": {"ru": "Продавцов (аккаунтов)", "en": "Sellers (accounts)"},
    "copies": {"ru": "Копий", "en": "Copies"},
    "confirmed": {"ru": "Подтверждено аналитиками", "en": "Confirmed"},
    "not_trade": {"ru": "Отклонено аналитиками (не торговля)", "en": "Rejected by analysts (not trade)"},
    "unreviewed": {"ru": "Ещё не проверено", "en": "Not yet reviewed"},
    "platform": {"ru": "Площадка", "en": "Platform"},
    "country": {"ru": "Страна", "en": "Country"},
    "language": {"ru": "Язык", "en": "Language"},
    "month": {"ru": "Месяц", "en": "Month"},
    "by_platform": {"ru": "По площадкам", "en": "By platform"},
    "by_country": {"ru": "По странам", "en": "By country"},
    "by_language": {"ru": "По языкам", "en": "By language"},
    "by_month": {"ru": "По месяцам", "en": "By month"},
    "intent": {"ru": "Продажа и скупка", "en": "Sell vs buy"},
    "sell": {"ru": "Продажа", "en": "Sell"},
    "buy": {"ru": "Скупка (куплю)", "en": "Buy"},
    "other": {"ru": "Не определено", "en": "Unclear"},
    "prices": {"ru": "Цены", "en": "Prices"},
    "prices_note": {"ru": "Цены переведены в {cur} по курсам из конфигурации; за один рог принято {g:g} г. "
                          "Цена без единицы считается ценой за штуку.",
                    "en": "Prices converted to {cur} at the configured rates; one horn is taken as {g:g} g. "
                          "A price without a unit is taken as per piece."},
    "group": {"ru": "Группа", "en": "Group"},
    "all": {"ru": "Все", "en": "All"},
    "n": {"ru": "Объявлений", "en": "Ads"},
    "median_gram": {"ru": "Медиана за грамм", "en": "Median per gram"},
    "range_gram": {"ru": "Мин–макс за грамм", "en": "Min–max per gram"},
    "median_horn": {"ru": "Медиана за рог", "en": "Median per horn"},
    "units": {"ru": "Единицы цены", "en": "Price units"},
    "skipped": {"ru": "Без цены или курса", "en": "Without price or rate"},
    "repeat_sellers": {"ru": "Повторные продавцы", "en": "Repeat sellers"},
    "seller": {"ru": "Продавец", "en": "Seller"},
    "contacts": {"ru": "Контакты", "en": "Contacts"},
    "listings": {"ru": "Объявлений", "en": "Listings"},
    "platforms": {"ru": "Площадки", "en": "Platforms"},
    "first_seen": {"ru": "Впервые", "en": "First seen"},
    "last_seen": {"ru": "Последний раз", "en": "Last seen"},
    "repeat_contacts": {"ru": "Контакты в нескольких объявлениях", "en": "Contacts in several listings"},
    "contact": {"ru": "Контакт", "en": "Contact"},
    "sellers": {"ru": "Аккаунтов", "en": "Accounts"},
    "appeals": {"ru": "Обращения в полицию", "en": "Police appeals"},
    "case": {"ru": "Дело", "en": "Case"},
    "status": {"ru": "Статус", "en": "Status"},
    "submitted": {"ru": "Подано", "en": "Submitted"},
    "registration": {"ru": "Рег. номер", "en": "Registration no."},
    "outcome": {"ru": "Результат", "en": "Outcome"},
    "unit_gram": {"ru": "за грамм", "en": "per gram"},
    "unit_kg": {"ru": "за кг", "en": "per kg"},
    "unit_jin": {"ru": "за цзинь (500 г)", "en": "per jin (500 g)"},
    "unit_pair": {"ru": "за пару", "en": "per pair"},
    "unit_horn": {"ru": "за штуку", "en": "per piece"},
    "unit_unknown": {"ru": "без единицы", "en": "no unit"},
    "no_price": {"ru": "без цены", "en": "no price"},
    "no_rate": {"ru": "нет курса", "en": "no rate"},
    "none": {"ru": "Нет данных за период.", "en": "None in this period."},
}


def labeller(lang: str):
    """A function key -> text in `lang` (falls back to English, then to the key)."""
    def t(key: str, **fmt) -> str:
        entry = LABELS.get(key, {})
        text = entry.get(lang) or entry.get("en") or key
        return text.format(**fmt) if fmt else text
    return t
