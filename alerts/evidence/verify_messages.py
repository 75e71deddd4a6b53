"""What `evidence verify` says, in English, Russian and Kazakh: one template per finding, names and hashes whole."""
from __future__ import annotations

LANGUAGES = ("en", "ru", "kk")

MESSAGES: dict[str, dict[str, str]] = {
    # failures
    "missing": {"en": "{name}: missing", "ru": "{name}: файл отсутствует", "kk": "{name}: файл жоқ"},
    "missing_listed": {"en": "{name}: missing (listed in {where})", "ru": "{name}: файл отсутствует (указан в {where})",
                       "kk": "{name}: файл жоқ ({where} ішінде көрсетілген)"},
    "bad_json": {"en": "{name}: not valid JSON ({why})", "ru": "{name}: некорректный JSON ({why})",
                 "kk": "{name}: JSON қате ({why})"},
    "not_manifest": {"en": "{name}: not a SaigaWatch evidence manifest",
                     "ru": "{name}: это не манифест доказательств SaigaWatch",
                     "kk": "{name}: бұл SaigaWatch дәлелдер манифесі емес"},
    "unsafe_path": {"en": "{where}: unsafe path {path} listed", "ru": "{where}: указан небезопасный путь {path}",
                    "kk": "{where}: қауіпті жол көрсетілген {path}"},
    "changed": {"en": "{name}: content changed (sha256 {got}, {where} says {want})",
                "ru": "{name}: содержимое изменено (sha256 {got}, в {where} указано {want})",
                "kk": "{name}: мазмұны өзгертілген (sha256 {got}, {where} бойынша {want})"},
    "size": {"en": "{name}: size {got}, {where} says {want}", "ru": "{name}: размер {got}, в {where} указано {want}",
             "kk": "{name}: өлшемі {got}, {where} бойынша {want}"},
    "too_big": {"en": "{name}: {why}", "ru": "{name}: {why}", "kk": "{name}: {why}"},
    "added": {"en": "{name}: file added (not in {where})", "ru": "{name}: добавлен лишний файл (его нет в {where})",
              "kk": "{name}: артық файл қосылған ({where} ішінде жоқ)"},
    "not_signed": {"en": "{where}: not signed", "ru": "{where}: не подписан", "kk": "{where}: қол қойылмаған"},
    "key_mismatch": {"en": "{name}: key {got} is not the one named in {where} ({want})",
                     "ru": "{name}: ключ {got} не совпадает с указанным в {where} ({want})",
                     "kk": "{name}: {got} кілті {where} ішінде аталғанмен ({want}) сәйкес емес"},
    "bad_key": {"en": "{name}: {why}", "ru": "{name}: {why}", "kk": "{name}: {why}"},
    "bad_signature": {"en": "{name}: signature does not match {where} (manifest or signature changed)",
                      "ru": "{name}: подпись не соответствует {where} (изменён манифест или подпись)",
                      "kk": "{name}: қолтаңба {where} файлына сәйкес емес (манифест не қолтаңба өзгертілген)"},
    "untrusted_key": {"en": "{where}: signed by key {got}, not by a trusted key ({want})",
                      "ru": "{where}: подписан ключом {got}, а не доверенным ключом ({want})",
                      "kk": "{where}: {got} кілтімен қол қойылған, сенімді кілтпен емес ({want})"},
    "token_unannounced": {"en": "{name}: present, but {where} does not announce a timestamp",
                          "ru": "{name}: файл есть, но {where} не объявляет метку времени",
                          "kk": "{name}: файл бар, бірақ {where} уақыт белгісін жарияламайды"},
    "token_missing": {"en": "{name}: missing (the manifest announces a timestamp from {url})",
                      "ru": "{name}: отсутствует (манифест объявляет метку времени от {url})",
                      "kk": "{name}: жоқ (манифест {url} уақыт белгісін жариялайды)"},
    "token_changed": {"en": "{name}: changed since it was received ({sig} does not match)",
                      "ru": "{name}: изменён после получения ({sig} не совпадает)",
                      "kk": "{name}: алынғаннан кейін өзгертілген ({sig} сәйкес емес)"},
    "token_bad": {"en": "{name}: {why}", "ru": "{name}: метка времени не прошла проверку: {why}",
                  "kk": "{name}: уақыт белгісі тексеруден өтпеді: {why}"},
    "custody": {"en": "{where}: {why}", "ru": "{where}: журнал передачи: {why}", "kk": "{where}: беру журналы: {why}"},
    "capture_added": {"en": "{name}: file added to a capture after it was sealed (not in {where})",
                      "ru": "{name}: файл добавлен в фиксацию после её опечатывания (нет в {where})",
                      "kk": "{name}: файл бекітілгеннен кейін қосылған ({where} ішінде жоқ)"},
    "unsafe": {"en": "unsafe bundle, refused: {why}", "ru": "небезопасный пакет, проверка отклонена: {why}",
               "kk": "қауіпті пакет, тексеруден бас тартылды: {why}"},
    "unreadable": {"en": "{why}", "ru": "{why}", "kk": "{why}"},
    "wacz": {"en": "{name}: {why}", "ru": "{name}: {why}", "kk": "{name}: {why}"},
    # notes
    "note_signature": {"en": "signature: {algorithm} by key {key} ({trust}), manifest dated {when}",
                       "ru": "подпись: {algorithm}, ключ {key} ({trust}), манифест от {when}",
                       "kk": "қолтаңба: {algorithm}, кілт {key} ({trust}), манифест күні {when}"},
    "trust_checked": {"en": "trusted key: {source}", "ru": "доверенный ключ: {source}", "kk": "сенімді кілт: {source}"},
    "trust_unchecked": {"en": "origin NOT checked: no trusted key was given",
                        "ru": "происхождение НЕ проверено: доверенный ключ не указан",
                        "kk": "шығу тегі ТЕКСЕРІЛМЕДІ: сенімді кілт берілмеген"},
    "note_timestamp": {"en": "timestamp: {detail}", "ru": "метка времени: {detail}", "kk": "уақыт белгісі: {detail}"},
    "note_no_timestamp": {"en": "timestamp: none taken{why}", "ru": "метка времени: не получена{why}",
                          "kk": "уақыт белгісі: алынбаған{why}"},
    "note_timestamp_unchecked": {
        "en": "timestamp NOT checked: no trusted TSA certificate (evidence.tsa_ca_file or --tsa-ca); token says {when}",
        "ru": "метка времени НЕ проверена: нет доверенного сертификата TSA (evidence.tsa_ca_file или --tsa-ca); "
              "в метке указано {when}",
        "kk": "уақыт белгісі ТЕКСЕРІЛМЕДІ: сенімді TSA сертификаты жоқ (evidence.tsa_ca_file немесе --tsa-ca); "
              "белгіде {when}"},
    "note_custody": {"en": "custody: {count} entries, chains intact, every entry signed{later}",
                     "ru": "журнал передачи: записей — {count}, цепочки целы, каждая запись подписана{later}",
                     "kk": "беру журналы: {count} жазба, тізбектер бүтін, әр жазбаға қол қойылған{later}"},
    "note_custody_legacy": {
        "en": "custody: {count} entries, chains intact; {legacy} recorded before signing was introduced "
              "({since}) (unsigned), sealed by the signed entries after them; every later entry signed{later}",
        "ru": "журнал передачи: записей — {count}, цепочки целы; {legacy} записаны до введения подписи ({since}) "
              "(без подписи), их закрепляют следующие подписанные записи; каждая более поздняя запись подписана{later}",
        "kk": "беру журналы: {count} жазба, тізбектер бүтін; {legacy} жазба қолтаңба енгізілгенге дейін ({since}) "
              "жазылған (қолтаңбасыз), оларды кейінгі қол қойылған жазбалар бекітеді; әр кейінгі жазбаға қол "
              "қойылған{later}"},
    "note_custody_unsigned": {
        "en": "{where}: {at} {action} by {actor}: recorded before signing was introduced (unsigned)",
        "ru": "{where}: {at} {action}, {actor}: записано до введения подписи (без подписи)",
        "kk": "{where}: {at} {action}, {actor}: қолтаңба енгізілгенге дейін жазылған (қолтаңбасыз)"},
    "note_later": {"en": "; {count} added after export (each signed)",
                   "ru": "; {count} добавлено после выгрузки (каждая подписана)",
                   "kk": "; экспорттан кейін {count} қосылған (әрқайсысына қол қойылған)"},
    "note_capture_unsigned": {"en": "{name}: hashed but not signed at capture time (no key then); the bundle seal covers it",
                              "ru": "{name}: хеши есть, но при фиксации подписи не было (не было ключа); файлы покрыты печатью пакета",
                              "kk": "{name}: хештер бар, бірақ бекіту кезінде қол қойылмаған (кілт болмаған); пакет мөрі қамтиды"},
    "note_wacz": {"en": "{name}: WACZ signed by the bundle's key, {count} resources intact",
                  "ru": "{name}: WACZ подписан ключом пакета, ресурсы не изменены ({count})",
                  "kk": "{name}: WACZ пакет кілтімен қол қойылған, {count} ресурс өзгермеген"},
    # verdicts
    "verified": {"en": "VERIFIED: {files} files unchanged since {when}, signed by the trusted key {key}",
                 "ru": "ПРОВЕРЕНО: {files} файлов не изменены с {when}, подписаны доверенным ключом {key}",
                 "kk": "ТЕКСЕРІЛДІ: {files} файл {when} бастап өзгермеген, сенімді {key} кілтімен қол қойылған"},
    "origin_unchecked": {
        "en": "INTACT, ORIGIN NOT CHECKED: {files} files match the signature of key {key}, but that key was not "
              "compared with a trusted one (--public-key, --fingerprint or evidence.trusted_keys){extra}",
        "ru": "ЦЕЛ, ПРОИСХОЖДЕНИЕ НЕ ПРОВЕРЕНО: {files} файлов соответствуют подписи ключа {key}, но ключ не сверен "
              "с доверенным (--public-key, --fingerprint или evidence.trusted_keys){extra}",
        "kk": "БҮТІН, ШЫҒУ ТЕГІ ТЕКСЕРІЛМЕДІ: {files} файл {key} кілтінің қолтаңбасына сәйкес, бірақ кілт сенімді "
              "кілтпен салыстырылмады (--public-key, --fingerprint немесе evidence.trusted_keys){extra}"},
    "tsa_unchecked_extra": {"en": "; the timestamp was not checked against a trusted TSA",
                            "ru": "; метка времени не сверена с доверенным TSA",
                            "kk": "; уақыт белгісі сенімді TSA арқылы тексерілмеді"},
    "not_intact": {"en": "NOT INTACT: {count} problem(s)", "ru": "НАРУШЕНА ЦЕЛОСТНОСТЬ: проблем — {count}",
                   "kk": "БҮТІНДІГІ БҰЗЫЛҒАН: {count} мәселе"},
}


def say(lang: str, message: str, /, **params) -> str:
    """The message `message` in `lang` (English when the language has no text for it)."""
    texts = MESSAGES[message]
    return texts.get(lang, texts["en"]).format(**params)
