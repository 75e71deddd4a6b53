"""VERIFY.txt: how anyone checks a bundle offline, and what the check does and does not prove."""
from __future__ import annotations

import datetime as dt

TEMPLATE = """\
SaigaWatch evidence bundle / Пакет доказательств SaigaWatch
Case / Дело: {case}
Exported / Сформирован: {when}

== Что доказывает проверка ==
Проверка показывает, что ни один файл пакета не изменён, не удалён и не добавлен с момента T:
 * T = время подписи manifest.json ключом организации (поле created_at), и
 * если есть файл manifest.tsr — время из метки времени RFC 3161, выданной независимым сервером
   меток времени (TSA); её нельзя поставить задним числом.
Каждая папка captures/<время>/ несёт свой manifest.json, подписанный в момент фиксации страницы:
он показывает, что файлы фиксации не менялись с момента обнаружения объявления.
Проверка НЕ доказывает, что сервер площадки действительно отправил именно эти данные: она доказывает
только неизменность файлов с момента T. Содержание страницы подтверждают снимок экрана, исходный
HTTP-ответ (WARC) и показания оператора; запросите данные у площадки для независимого подтверждения.

== Как проверить (без интернета) ==
1) Программой SaigaWatch:   saigawatch evidence verify {zipname}
   (код возврата 0 — пакет цел; иначе выводится, какой файл или запись не сходится).
   Ключ организации можно сверить с опубликованным отпечатком: --public-key ФАЙЛ.
   Сертификат TSA: --tsa-ca ФАЙЛ (копия в пакете: tsa-ca.pem, если он был настроен).
2) Вручную, стандартными средствами (Linux, OpenSSL 3):
   a) распакуйте ZIP в пустую папку;
   b) хеши: для каждого файла из manifest.json ("files": path, sha256) выполните
        sha256sum ПУТЬ     — значение должно совпасть с указанным после "sha256:";
      других файлов, кроме manifest.json, manifest.sig, manifest.tsr, manifest.tsr.sig и custody.jsonl, быть не должно;
   c) подпись Ed25519 (manifest.sig — 64 байта):
        openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig
      ответ "Signature Verified Successfully"; отпечаток ключа (signature.key_id) — sha256 от 32 байт
      открытого ключа; сверьте его с отпечатком, опубликованным организацией;
   d) метка времени (если есть manifest.tsr):
        openssl ts -verify -in manifest.tsr -data manifest.json -CAfile tsa-ca.pem
      ответ "Verification: OK"; время метки: openssl ts -reply -in manifest.tsr -text
      Сам файл метки подписан ключом организации (manifest.tsr.sig):
        openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.tsr -sigfile manifest.tsr.sig
      Сертификат TSA надёжнее взять с сайта самого TSA, а не из пакета;
   e) журнал передачи (custody.jsonl): каждая строка — JSON-запись; entry_hash = sha256 от канонического JSON
      записи без поля entry_hash (ключи по алфавиту, без пробелов, UTF-8); prev_hash — entry_hash предыдущей
      записи того же объявления. manifest.json ("custody" → "anchors") фиксирует число записей и последний
      хеш на момент выгрузки: удаление, изменение или перестановка записей обнаруживаются. Записи, добавленные
      после выгрузки (например, передача в полицию с номером КУСП/ЕРДР), связаны цепочкой, но не подписью.

== What the check proves (English) ==
It proves the files are unchanged since time T (the organisation's signature over manifest.json and, when
present, the RFC 3161 timestamp in manifest.tsr). It does not prove what the platform's server sent.
Check: `saigawatch evidence verify {zipname}`, or by hand: sha256sum of each file listed in manifest.json;
`openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig`;
`openssl ts -verify -in manifest.tsr -data manifest.json -CAfile tsa-ca.pem`; the custody.jsonl hash chain
as described above.

== Состав пакета ==
manifest.json, manifest.sig, manifest.tsr, manifest.tsr.sig, public_key.pem — печать пакета
custody.jsonl — журнал передачи (цепочка хешей)
report-ru.pdf (report-kk.pdf) — отчёт, проект заявления в полицию, письмо площадке
listings/<площадка>-<id>/ — listing.json, archive.wacz (открывается в ReplayWeb.page), captures/<время>/:
  http/responses.warc.gz (исходные HTTP-ответы), http/page.html, browser/screenshot.png (с URL и временем UTC),
  browser/dom.html, photos/, context/ (страница поиска, другие объявления продавца), capture_env.json
"""


def verify_text(case_name: str, when: dt.datetime) -> str:
    return TEMPLATE.format(case=case_name, when=when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
                           zipname="BUNDLE.zip")
