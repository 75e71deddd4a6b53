"""spaCy registrations: the normalising tokenizer that carries the lexicon (rules travel with the model)."""
from __future__ import annotations

import json
from pathlib import Path

import spacy
from spacy.tokens import Doc

from classifiers.analysis import Analyzer
from classifiers.lexicon import Lexicon, load_lexicon, parse_lexicon

LABELS = ("SELL", "BUY", "FIREARM", "SOUVENIR", "NEWS", "OTHER_HORN", "MEDICINE", "IRRELEVANT")
TRADE_LABELS = ("SELL", "BUY")
CATEGORY_OF = {"FIREARM": "firearm", "SOUVENIR": "souvenir", "NEWS": "news", "OTHER_HORN": "other-horn",
               "MEDICINE": "medicine", "IRRELEVANT": "irrelevant"}
LABEL_OF_CATEGORY = {v: k for k, v in CATEGORY_OF.items()}


class SaigaTokenizer:
    """Turns raw text into the model's words (normalised tokens + lexicon markers); saves its lexicon with the model."""

    def __init__(self, vocab, lexicon_dir: str | None = None) -> None:
        self.vocab = vocab
        self.lexicon_dir = lexicon_dir
        self._analyzer: Analyzer | None = None

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            if not self.lexicon_dir:
                raise ValueError("SaigaTokenizer has no lexicon: load a saved model or pass lexicon_dir")
            self._analyzer = Analyzer(load_lexicon(self.lexicon_dir))
        return self._analyzer

    def set_lexicon(self, lexicon: Lexicon) -> None:
        self._analyzer = Analyzer(lexicon)

    def doc_for(self, text: str, title: str | None = None) -> Doc:
        return Doc(self.vocab, words=self.analyzer.analyse(text, title).words)

    def __call__(self, text: str) -> Doc:
        return self.doc_for(text)

    def pipe(self, texts, batch_size: int = 1000):
        for text in texts:
            yield self(text)

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return json.dumps(self.analyzer.lexicon.sources, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "SaigaTokenizer":
        self.set_lexicon(parse_lexicon(json.loads(data.decode("utf-8"))))
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, text in self.analyzer.lexicon.sources.items():
            (path / name).write_text(text, encoding="utf-8")

    def from_disk(self, path, *, exclude=tuple()) -> "SaigaTokenizer":
        self.set_lexicon(load_lexicon(path))
        return self


@spacy.registry.tokenizers("saigawatch.SaigaTokenizer.v1")
def create_saiga_tokenizer(lexicon_dir: str | None = None):
    """Registered tokenizer factory referenced by classifiers/config.cfg."""

    def make(nlp):
        return SaigaTokenizer(nlp.vocab, lexicon_dir)

    return make
