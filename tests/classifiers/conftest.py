"""Fixtures for the classifier tests: the shipped model and lexicon, loaded once per session."""
from pathlib import Path

import pytest

from classifiers import load_classifier, load_lexicon

LEXICON_DIR = Path(__file__).resolve().parents[2] / "config" / "lexicons"


@pytest.fixture(scope="session")
def lexicon():
    return load_lexicon(LEXICON_DIR)


@pytest.fixture(scope="session")
def clf():
    return load_classifier(lexicon_dir=LEXICON_DIR)
