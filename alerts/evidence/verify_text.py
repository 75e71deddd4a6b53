"""VERIFY.txt: how anyone checks a bundle offline, what the check proves, and exactly which files the bundle holds."""
from __future__ import annotations

import datetime as dt

from alerts.evidence import keys

HEAD = """\
SaigaWatch evidence bundle / Пакет доказательств SaigaWatch / SaigaWatch дәлелдер пакеті
Case / Дело / Іс: {case}
Exported / Сформирован / Жасалған: {when}
Signing key fingerprint / Отпечаток ключа подписи / Қолтаңба кілтінің іздері:
  {key_id}
Сверьте этот отпечаток с тем, что напечатан в письме организации, полученном отдельно (не из этого пакета).

== Что доказывает проверка ==
Проверка показывает, что ни один файл пакета не изменён, не удалён и не добавлен с момента T:
 * T = время подписи manifest.json ключом организации (поле created_at){tsa_line}
Каждая папка captures/<время>/ несёт свой manifest.json, подписанный в момент фиксации страницы.
Каждая запись журнала передачи (custody.jsonl) подписана ключом организации в момент её записи.
Проверка доказывает происхождение пакета, только если отпечаток ключа совпал с доверенным (из письма
организации или с её сайта): ключ из самого пакета ничего не доказывает, его мог подменить кто угодно.
Проверка НЕ доказывает, что сервер площадки действительно отправил именно эти данные: она доказывает
неизменность файлов с момента T. Исходные HTTP-ответы сохранены в WARC так, как их прислал сервер.

== Как проверить (без интернета) ==
1) Программой SaigaWatch:
     saigawatch evidence verify --fingerprint {key_id} --lang ru ПАКЕТ.zip
   код возврата 0 — пакет цел и подписан доверенным ключом; 2 — цел, но происхождение НЕ проверено
   (не указан доверенный ключ или сертификат TSA); 1 — пакет изменён (выводится, что именно).
   Сертификат TSA, полученный от самого TSA: --tsa-ca ФАЙЛ.
2) Стандартными средствами (Linux, OpenSSL 3, Python):
   a) распакуйте ZIP в пустую папку;
   b) ключ: openssl pkey -pubin -in public_key.pem -outform DER | sha256sum
      — должен совпасть с отпечатком выше (без префикса sha256:);
   c) подпись ({algorithm}):
        {openssl_manifest}
      ответ "{openssl_ok}";
   d) хеши: для каждого файла из manifest.json ("files": path, sha256) выполните sha256sum ПУТЬ;
      других файлов, кроме {seal_files}, быть не должно;{tsa_steps}
   f) веб-архивы: pip install wacz warcio
        wacz validate -f listings/<объявление>/archive.wacz      — "Validation succeeded"
        warcio check listings/<объявление>/captures/<время>/http/responses.warc.gz
      archive.wacz подписан тем же ключом (datapackage-digest.json → signedData) и открывается
      в ReplayWeb.page; даже отдельно от пакета он подтверждает своё происхождение;
   g) журнал передачи (custody.jsonl): entry_hash = sha256 от канонического JSON записи без полей
      entry_hash и signature (ключи по алфавиту, без пробелов, UTF-8); prev_hash — entry_hash предыдущей записи
      того же объявления; signature — "<отпечаток> <base64 подписи {algorithm} над текстом entry_hash>".
      manifest.json ("custody" → "anchors") фиксирует число записей и последний хеш на момент выгрузки.
      Записи, сделанные до введения подписи, помечены "signature_status": "recorded before signing was
      introduced (unsigned)" (signature пусто). Такая запись допустима, только если её время (at) раньше
      manifest.json → "custody" → "signing_introduced" и она стоит в начале цепочки: её закрепляет prev_hash
      первой подписанной записи. Любая другая запись без подписи — подделка.

== What the check proves (English) ==
It proves the files are unchanged since time T (the organisation's signature over manifest.json{tsa_en}), and
who signed them only when the key fingerprint above matches one obtained from the organisation by other means.
Custody entries marked "recorded before signing was introduced (unsigned)" are accepted only when dated before
manifest.json custody.signing_introduced and first in their chain (the next signed entry's prev_hash seals them);
any other unsigned entry is forged. It does not prove what the platform's server sent. Check:
  saigawatch evidence verify --fingerprint {key_id} BUNDLE.zip   (exit 0 verified, 2 origin not checked, 1 changed)
  {openssl_manifest}
  wacz validate -f listings/<listing>/archive.wacz ; warcio check listings/<listing>/captures/<time>/http/*.warc.gz

== Состав пакета / Contents ==
{contents}
"""

TSA_LINE = """, и
 * время из метки времени RFC 3161 (manifest.tsr), выданной независимым сервером меток времени (TSA);
   её нельзя поставить задним числом."""

TSA_STEPS = """
   e) метка времени RFC 3161 (сертификат TSA возьмите у самого TSA, в пакете его нет):
        openssl ts -verify -in manifest.tsr -data manifest.json -CAfile СЕРТИФИКАТ_TSA.pem
      ответ "Verification: OK"; время метки: openssl ts -reply -in manifest.tsr -text
      Сам файл метки подписан ключом организации:
        {openssl_token}"""


def verify_text(case_name: str, when: dt.datetime, *, key: keys.PublicKey, timestamped: bool,
                languages: list[str], unsigned_history: int = 0) -> str:
    """The text for this bundle: only the files it holds, the fingerprint of the public key that signed it, the
    OpenSSL commands for that key's type, and how many custody entries predate signing (`unsigned_history`)."""
    seal = ["manifest.json", "manifest.sig", *(["manifest.tsr", "manifest.tsr.sig"] if timestamped else [])]
    contents = [
        f"{', '.join(seal)}, public_key.pem — печать пакета / bundle seal",
        "VERIFY.txt — эта инструкция / these instructions",
        "custody.jsonl — журнал передачи (цепочка подписанных записей) / chain of custody"
        + (f"; записей, сделанных до введения подписи (без подписи): {unsigned_history} / {unsigned_history} "
           "recorded before signing was introduced (unsigned)" if unsigned_history else ""),
        *(f"report-{lang}.pdf — отчёт (PDF/A), проект заявления в полицию, письмо площадке / report"
          for lang in languages),
        "listings/<площадка>-<id>/ — listing.json, archive.wacz (WACZ 1.1.1, подписан), captures/<время>/:",
        "  manifest.json, manifest.sig, public_key.pem — печать фиксации; http/responses.warc.gz (HTTP-ответы",
        "  как получены), http/page.html, browser/screenshot.png (URL, время UTC, оператор), browser/dom.html,",
        "  photos/, context/ (страница поиска, другие объявления продавца), capture_env.json",
    ]
    return HEAD.format(case=case_name, when=when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
                       key_id=keys.key_id(key),
                       algorithm=keys.algorithm_label(key),
                       openssl_manifest=keys.openssl_verify(key, "manifest.json", "manifest.sig"),
                       openssl_ok="Signature Verified Successfully" if keys.algorithm(key) == "Ed25519" else "Verified OK",
                       tsa_line=TSA_LINE if timestamped else ".",
                       seal_files=", ".join([*seal, "custody.jsonl"]),
                       tsa_steps=TSA_STEPS.format(openssl_token=keys.openssl_verify(key, "manifest.tsr", "manifest.tsr.sig"))
                       if timestamped else "",
                       tsa_en=" and the RFC 3161 timestamp in manifest.tsr" if timestamped else "",
                       contents="\n".join(contents))
