"""classifiers: a pure library that scores listing text for Saiga-horn trade and explains the decision."""
from classifiers.classifier import (Classifier, ModelNotFound, Verdict, classifier_from_settings, load_classifier,
                                    resolve_model_dir)
from classifiers.langdetect import detect_language
from classifiers.lexicon import LexiconError, load_lexicon
from classifiers.normalize import Normalizer

__all__ = ["Classifier", "ModelNotFound", "Verdict", "classifier_from_settings", "load_classifier", "resolve_model_dir", "detect_language",
           "LexiconError", "load_lexicon", "Normalizer"]
