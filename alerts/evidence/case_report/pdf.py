"""Lay out the case report PDF with fpdf2: cover, facts per listing, hash table, draft appeal, takedown letters."""
from __future__ import annotations

import datetime as dt
import io
from collections import OrderedDict

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image as PILImage

from alerts import fonts
from alerts.evidence.case_report.model import ReportCase, ReportListing
from alerts.evidence.case_report.texts import t
from store.queries import is_confirmed


class ReportPdf(FPDF):
    def __init__(self, lang: str, case_name: str):
        super().__init__(format="A4", enforce_compliance="PDF/A-2B")  # archival: fonts embedded, sRGB intent
        self.lang = lang
        self.case_name = case_name
        fonts.register(self)
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Sans", size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"SaigaWatch · {self.case_name} · {t(self.lang, 'page')} {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 13) -> None:
        self.set_font("Sans", "B", size)
        self.multi_cell(0, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_font("Sans", size=9.5)

    def para(self, text: str, size: float = 9.5, align: str = "J") -> None:
        self.set_font("Sans", size=size)
        self.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def facts_table(self, rows: list[tuple[str, str]]) -> None:
        self.set_font("Sans", size=8.5)
        with self.table(col_widths=(32, 110), text_align=("LEFT", "LEFT"), line_height=4.2,
                        first_row_as_headings=False, borders_layout="HORIZONTAL_LINES") as table:
            for label, value in rows:
                row = table.row()
                row.cell(label)
                row.cell(value or "—")
        self.ln(2)


def why_text(item: ReportListing, lang: str) -> str:
    """Why this is saiga horn, from the classifier's explanation and the analysts' decisions."""
    parts = []
    cls = item.classification or {}
    matches = cls.get("matches") or []
    groups = (("why_product", ("species", "disguise", "product", "protected_other")),
              ("why_intent", ("intent_sell", "intent_buy")), ("why_qty", ("price", "quantity")))
    if matches:
        for key, roles in groups:
            found = [m for m in matches if m.get("role") in roles]
            words = list(OrderedDict.fromkeys((m.get("text") or m.get("term") or "").strip() for m in found))
            words = [w for w in words if w]
            if not words:
                continue
            part = t(lang, key, terms=", ".join(f"«{w}»" for w in words))
            fields = sorted({m.get("field") for m in found if m.get("field")})
            if fields and key == "why_product":
                names = [t(lang, f"field_{f}") if f in ("title", "text", "ocr") else f for f in fields]
                part += t(lang, "why_fields", fields=", ".join(names))
            parts.append(part)
    elif cls.get("matched_terms"):
        parts.append(t(lang, "why_terms", terms=", ".join(f"«{x}»" for x in cls["matched_terms"])))
    if cls.get("score") is not None:
        intent = {"sell": "intent_sell", "buy": "intent_buy"}.get(cls.get("intent") or "", "intent_other")
        parts.append(t(lang, "why_score", model=cls.get("model_version"), intent=t(lang, intent),
                       score=f"{cls['score']:.2f}"))
    for review in item.reviews:
        if is_confirmed(review.get("decision")):
            parts.append(t(lang, "why_review", analyst=review["analyst"], at=review["at"],
                           decision=t(lang, f"decision_{review['decision']}")))
    if item.photos:
        parts.append(t(lang, "why_photos", n=item.photos))
    return "; ".join(parts) or t(lang, "none")


def _listing_section(pdf: ReportPdf, n: int, item: ReportListing, lang: str) -> None:
    pdf.add_page()
    pdf.heading(f"{t(lang, 'listing')} {n}: {item.title[:150]}")
    cls = item.classification or {}
    law = f"{item.law.article} — {item.law.title}" if item.law else t(lang, "law_missing", error=item.law_error)
    rows = [
        (t(lang, "platform"), item.platform), (t(lang, "url"), item.url), (t(lang, "id"), item.platform_id),
        (t(lang, "title"), item.title), (t(lang, "price"), item.price), (t(lang, "seller"), item.seller),
        (t(lang, "contacts"), ", ".join(item.contacts)), (t(lang, "location"), item.location),
        (t(lang, "posted"), item.posted), (t(lang, "first_seen"), item.first_seen),
        (t(lang, "last_seen"), item.last_seen),
        (t(lang, "removed"), item.removed or t(lang, "still_online")),
        (t(lang, "captures"), "\n".join(item.captures)),
        (t(lang, "classifier"), f"{t(lang, 'score')} {cls['score']:.2f}, {t(lang, 'model')} {cls.get('model_version')}"
         if cls.get("score") is not None else ""),
        (t(lang, "reviews"), "\n".join(f"{r['at']} {r['analyst']}: {t(lang, 'decision_' + r['decision'])}"
                                       + (f" — {r['note']}" if r.get("note") else "")
                                       for r in item.reviews if r.get("decision") in ("sale", "buy", "not_trade", "unsure"))),
        (t(lang, "country"), item.country), (t(lang, "law"), law),
    ]
    pdf.facts_table(rows)
    pdf.set_font("Sans", "B", 9.5)
    pdf.cell(0, 5, t(lang, "text"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.para(item.text[:3000] + ("…" if len(item.text) > 3000 else ""), size=8.5, align="L")
    if item.screenshot and item.screenshot.is_file():
        shot = PILImage.open(item.screenshot)
        crop_h = min(shot.height, int(shot.width * 1.1))
        shot = shot.crop((0, 0, shot.width, crop_h)).convert("RGB")
        width = pdf.epw * 0.8
        height = width * crop_h / shot.width
        if pdf.get_y() + height + 8 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.set_font("Sans", "B", 9.5)
        pdf.cell(0, 5, t(lang, "screenshot"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        buf = io.BytesIO()
        shot.save(buf, "JPEG", quality=80)
        pdf.image(buf, w=width)


def _wrap_path(pdf: ReportPdf, text: str, width: float) -> list[str]:
    """Lines of at most `width`, broken after '/' where possible, every character kept."""
    lines, current = [], ""
    for piece in text.replace("/", "/\0").split("\0"):
        while pdf.get_string_width(current + piece) > width and current:
            lines.append(current)
            current = "  "
        while pdf.get_string_width(current + piece) > width:  # one piece longer than a line: split it
            cut = len(piece)
            while cut > 1 and pdf.get_string_width(current + piece[:cut]) > width:
                cut -= 1
            lines.append(current + piece[:cut])
            current, piece = "  ", piece[cut:]
        current += piece
    return [*lines, current] if current.strip() else lines


def file_lines(pdf: ReportPdf, files: list[dict], numbered: bool = False) -> None:
    """Each file whole: its path (wrapped at '/' when longer than a line, never cut), then size and full sha256."""
    pdf.set_font("Mono", size=6.3)
    for n, f in enumerate(files, 1):
        if pdf.get_y() + 7 > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_font("Mono", size=6.3)
        label = f"{n}. {f['path']}" if numbered else f["path"]
        for part in _wrap_path(pdf, label, pdf.epw):
            pdf.cell(0, 3.1, part, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(70)
        pdf.cell(0, 3.1, f"    {f['size']:>10} B   {f['sha256']}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.ln(0.6)


def _hash_table(pdf: ReportPdf, files: list[dict], lang: str) -> None:
    pdf.add_page()
    pdf.heading(t(lang, "hash_table"))
    pdf.set_font("Sans", size=7.5)
    pdf.cell(0, 4, f"{t(lang, 'file')} / {t(lang, 'size')} / SHA-256", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    file_lines(pdf, files)


def _appeals(pdf: ReportPdf, case: ReportCase, lang: str) -> None:
    groups: OrderedDict[str, list[ReportListing]] = OrderedDict()
    for item in case.listings:
        groups.setdefault(item.country, []).append(item)
    for country, items in groups.items():
        law = next((i.law for i in items if i.law), None)
        article = (law.article_kk if lang == "kk" and law.article_kk else law.article) if law else "—"
        title = (law.title_kk if lang == "kk" and law.title_kk else law.title) if law else ""
        authority = ((law.authority_kk if lang == "kk" and law.authority_kk else law.authority) if law else "") \
            or "__________________________"
        pdf.add_page()
        pdf.set_font("Sans", size=10)
        header = [t(lang, "appeal_to", authority=authority), t(lang, "appeal_from", organisation=case.organisation)]
        header += [x for x in (case.organisation_address, case.organisation_contact) if x]
        pdf.set_x(pdf.l_margin + pdf.epw * 0.45)
        pdf.multi_cell(pdf.epw * 0.55, 5, "\n".join(header), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)
        pdf.set_font("Sans", "B", 13)
        pdf.cell(0, 7, t(lang, "appeal_title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Sans", size=10)
        pdf.multi_cell(0, 5, t(lang, "appeal_subtitle", article=article), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        pdf.para(t(lang, "appeal_intro", organisation=case.organisation), size=10)
        for n, item in enumerate(items, 1):
            removed = t(lang, "appeal_removed", removed=item.removed) if item.removed else ""
            pdf.para(t(lang, "appeal_item", n=n, platform=item.platform, url=item.url, id=item.platform_id,
                       title=item.title, price=item.price or "—", seller=item.seller or "—",
                       contacts=", ".join(item.contacts) or "—", posted=item.posted or "—",
                       first_seen=item.first_seen, last_seen=item.last_seen, removed=removed,
                       captured=", ".join(item.captures) or "—"), size=10, align="L")
            pdf.para(t(lang, "appeal_why", why=why_text(item, lang)), size=10)
        if law:
            pdf.para(t(lang, "appeal_law", article=article, title=title,
                       date=", ".join(sorted({i.capture_date for i in items}))), size=10)
        else:
            pdf.para(t(lang, "law_missing", error=items[0].law_error), size=10)
        pdf.set_font("Sans", "B", 10)
        pdf.cell(0, 6, t(lang, "appeal_ask"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        register = t(lang, f"register_{country}") if country in ("KZ", "RU") else t(lang, "register_other")
        platforms = ", ".join(sorted({i.platform for i in items}))
        phones = sorted({c for i in items for c in i.contacts if c.startswith("+")})
        asks = [t(lang, "ask_register", register=register), t(lang, "ask_inspect"),
                t(lang, "ask_platform", platforms=platforms)]
        if phones:
            asks.append(t(lang, "ask_phone", phones=", ".join(phones)))
        asks.append(t(lang, "ask_act"))
        for k, ask in enumerate(asks, 1):
            pdf.para(f"{k}. {ask}", size=10)
        pdf.ln(2)
        pdf.para(t(lang, "attachments"), size=10)
        file_lines(pdf, [att for item in items for att in item.attachments], numbered=True)
        if case.key_id:
            pdf.ln(1)
            pdf.para(t(lang, "appeal_fingerprint", key_id=case.key_id), size=9, align="L")
        pdf.ln(6)
        pdf.para(t(lang, "sign_line", signatory=case.signatory), size=10, align="L")
        _takedowns(pdf, case, items, article, authority, lang)


def _takedowns(pdf: ReportPdf, case: ReportCase, items: list[ReportListing], article: str, authority: str,
               lang: str) -> None:
    by_platform: OrderedDict[str, list[ReportListing]] = OrderedDict()
    for item in items:
        by_platform.setdefault(item.platform, []).append(item)
    for platform, group in by_platform.items():
        pdf.add_page()
        pdf.set_font("Sans", size=10)
        pdf.set_x(pdf.l_margin + pdf.epw * 0.45)
        header = [t(lang, "takedown_to", platform=platform), t(lang, "appeal_from", organisation=case.organisation)]
        header += [x for x in (case.organisation_contact,) if x]
        pdf.multi_cell(pdf.epw * 0.55, 5, "\n".join(header), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)
        pdf.set_font("Sans", "B", 12)
        pdf.cell(0, 7, t(lang, "takedown_title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        pdf.para(t(lang, "takedown_body", article=article), size=10)
        for n, item in enumerate(group, 1):
            pdf.para(f"{n}. {item.url} (id {item.platform_id}) — «{item.title}», {item.captures[0] if item.captures else ''}",
                     size=10, align="L")
        pdf.para(t(lang, "takedown_police", authority=authority), size=10)
        pdf.ln(6)
        pdf.para(t(lang, "sign_line", signatory=case.signatory), size=10, align="L")


def build_report(case: ReportCase, lang: str, created: dt.datetime) -> bytes:
    """The report as PDF bytes; every font embedded, nothing fetched."""
    pdf = ReportPdf(lang, case.case_name)
    pdf.set_title(f"{t(lang, 'doc_title')} — {case.case_name}")
    pdf.set_author(case.organisation)
    pdf.set_creator("SaigaWatch")
    pdf.set_creation_date(created)
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.set_font("Sans", "B", 16)
    pdf.multi_cell(0, 8, t(lang, "doc_title"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.facts_table([(t(lang, "case"), case.case_name), (t(lang, "organisation"), case.organisation),
                     (t(lang, "generated"), case.generated), (t(lang, "operator"), case.operator),
                     (t(lang, "listings_count"), str(len(case.listings)))])
    pdf.para(t(lang, "intro", algorithm=case.key_algorithm))
    for n, item in enumerate(case.listings, 1):
        pdf.set_font("Sans", size=9)
        pdf.multi_cell(0, 4.5, f"{n}. [{item.platform}] {item.title[:120]} — {item.url}", align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for n, item in enumerate(case.listings, 1):
        _listing_section(pdf, n, item, lang)
    _appeals(pdf, case, lang)
    _hash_table(pdf, case.files, lang)
    return bytes(pdf.output())
