"""The model's fast feature look-up finds exactly the features that the string-based definition finds."""
from classifiers.textmodel import TextModel, feature_strings


def test_text_indices_equal_feature_strings(clf):
    tm: TextModel = clf.text_model
    texts = ["Продам рог сайги, 5 кг, 🦌 с@йг@ 89001234567", "出售羚羊角 正品 微信 abc", "w:ab", "",
             "Киік мүйізі сатылады \U0001F98C\U00020000 𝐬𝐚𝐢𝐠𝐚 — ЖАҢА", " a  b\tc\n" * 40]
    found = 0
    for k, text in enumerate(texts):
        words, cues = text.lower().split(), ["offer", "price"][: k % 3]
        fields = [text, texts[k - 1]]
        expected = tm.indices(feature_strings(words, fields, cues))
        assert tm.text_indices(words, fields, cues) == expected
        found += len(expected)
    assert found > 30  # the texts do hit the vocabulary
