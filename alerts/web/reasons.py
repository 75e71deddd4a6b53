"""Why a listing was flagged, in the analyst's language: reasons from the classifier's codes and words, no weights."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.web.i18n import N_

# A reason code (the classifier's feature name) → its msgid; {words} are the words found in the listing.
REASON_TEXTS = {
    "model": (N_("the wording reads like a trade ad"), N_("the wording does not read like a trade ad")),
    "species": (N_("the saiga is named: {words}"), N_("the saiga is named: {words}")),
    "title_species": (N_("the saiga is named in the title: {words}"), N_("the saiga is named in the title: {words}")),
    "near": (N_("the saiga is named next to a horn word: {words}"), N_("the saiga is named next to a horn word: {words}")),
    "product": (N_("horn or a horn product is named: {words}"), N_("horn or a horn product is named: {words}")),
    "sell": (N_("sell wording: {words}"), N_("sell wording: {words}")),
    "buy": (N_("buy wording: {words}"), N_("buy wording: {words}")),
    "intent": (N_("sell or buy wording: {words}"), N_("sell or buy wording: {words}")),
    "price": (N_("a price or quantity is given: {words}"), N_("a price or quantity is given: {words}")),
    "protected": (N_("another protected species is named: {words}"), N_("another protected species is named: {words}")),
    "firearm": (N_("looks like a firearm (the Saiga rifle): {words}"), N_("looks like a firearm (the Saiga rifle): {words}")),
    "souvenir": (N_("looks like a souvenir or artwork: {words}"), N_("looks like a souvenir or artwork: {words}")),
    "news": (N_("looks like news: {words}"), N_("looks like news: {words}")),
    "other-horn": (N_("about other animals' horns: {words}"), N_("about other animals' horns: {words}")),
    "medicine": (N_("looks like a patent medicine: {words}"), N_("looks like a patent medicine: {words}")),
    "irrelevant": (N_("looks like unrelated goods: {words}"), N_("looks like unrelated goods: {words}")),
}
NO_WORDS = {
    "species": N_("the saiga is named"), "title_species": N_("the saiga is named in the title"),
    "near": N_("the saiga is named next to a horn word"), "product": N_("horn or a horn product is named"),
    "sell": N_("sell wording"), "buy": N_("buy wording"), "intent": N_("sell or buy wording"), "price": N_("a price or quantity is given"),
    "protected": N_("another protected species is named"), "firearm": N_("looks like a firearm (the Saiga rifle)"),
    "souvenir": N_("looks like a souvenir or artwork"), "news": N_("looks like news"),
    "other-horn": N_("about other animals' horns"), "medicine": N_("looks like a patent medicine"),
    "irrelevant": N_("looks like unrelated goods"),
}
OTHER_SIGNAL = N_("another signal of the model")
# Which matched words belong to which reason (the classifier's match roles).
CODE_ROLES = {"species": ("species", "disguise"), "title_species": ("species", "disguise"),
              "near": ("species", "disguise", "product"), "product": ("product",), "sell": ("intent_sell",),
              "buy": ("intent_buy",), "intent": ("intent", "intent_sell", "intent_buy"), "price": ("price", "quantity"), "protected": ("protected_other",)}
ROLE_CODES = {"species": "species", "disguise": "species", "product": "product", "intent_sell": "sell",
              "intent_buy": "buy", "intent": "intent", "price": "price", "quantity": "price",
              "protected_other": "protected"}
# The classifier's note for a low-priority item, by category (its English note is never shown).
NOTES = {
    "medicine": N_("A patent medicine that names the saiga: review at low priority; it is never a confirmed sale."),
    "other-horn": N_("Another protected species (e.g. Tibetan antelope, rhino): review it, it is labelled differently."),
}
MAX_WORDS = 6


@dataclass(frozen=True)
class Reason:
    code: str
    text: str  # in the user's language, without numbers
    supports: bool  # True: speaks for trade; False: speaks against
    weight: float | None  # shown to admins only


def _words(code: str, matches: list[dict], params: dict | None) -> list[str]:
    if params and isinstance(params.get("words"), list):
        return [str(w) for w in params["words"]][:MAX_WORDS]
    roles = CODE_ROLES.get(code, ("confounder",))
    found: list[str] = []
    for m in matches:
        if not isinstance(m, dict) or m.get("role") not in roles:
            continue
        if code == "title_species" and m.get("field") != "title":
            continue
        if m.get("role") == "confounder" and m.get("category") != code:
            continue
        word = str(m.get("text") or m.get("term") or "").strip()
        if word and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def _text(_, code: str, supports: bool, words: list[str]) -> str:
    if code == "model":
        return _(REASON_TEXTS["model"][0 if supports else 1])
    if code not in REASON_TEXTS:
        return _(OTHER_SIGNAL)
    if not words:
        return _(NO_WORDS[code])
    return _(REASON_TEXTS[code][0], words=", ".join(f"«{w}»" for w in words))


def _coded(explanation: dict) -> list[tuple[str, float | None, dict | None]]:
    """(code, weight, params) from the explanation: reason codes when present, else the contributions,
    else the roles of the matched words (an older or hand-made explanation)."""
    out: list[tuple[str, float | None, dict | None]] = []
    for r in explanation.get("reasons") or []:
        if isinstance(r, dict) and isinstance(r.get("code"), str):
            weight = r.get("weight")
            out.append((r["code"], float(weight) if isinstance(weight, (int, float)) else None,
                        r.get("params") if isinstance(r.get("params"), dict) else None))
    if out:
        return out
    contributions = explanation.get("contributions")
    if isinstance(contributions, dict) and contributions:
        items = [(k, float(v)) for k, v in contributions.items() if isinstance(v, (int, float))]
        return [(k, v, None) for k, v in sorted(items, key=lambda kv: -abs(kv[1]))]
    seen: list[str] = []
    for m in explanation.get("matches") or []:
        if not isinstance(m, dict):
            continue
        code = m.get("category") if m.get("role") == "confounder" else ROLE_CODES.get(m.get("role"))
        if code and code not in seen:
            seen.append(code)
    return [(code, None, None) for code in seen]


def explain(explanation: Any, _) -> list[Reason]:
    """The reasons of a classification, strongest first, in the language of `_`."""
    if not isinstance(explanation, dict):
        return []
    matches = [m for m in explanation.get("matches") or [] if isinstance(m, dict)]
    reasons = []
    for code, weight, params in _coded(explanation):
        if weight is not None and abs(weight) < 0.005:
            continue
        supports = weight > 0 if weight is not None else code in CODE_ROLES or code == "model"
        reasons.append(Reason(code, _text(_, code, supports, _words(code, matches, params)), supports, weight))
    return reasons


def note_text(explanation: Any, category: str | None, _) -> str | None:
    """The low-priority note in the user's language (by category), or None."""
    if not isinstance(explanation, dict) or not explanation.get("note"):
        return None
    msgid = NOTES.get(category or explanation.get("category") or "")
    return _(msgid) if msgid else _("Review at low priority.")
