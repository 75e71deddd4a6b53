"""The model's fast feature look-up finds exactly the features that the string-based definition finds."""
import numpy as np
import pytest

from classifiers.textmodel import KeyTable, TextModel, feature_strings


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


def test_a_batch_of_texts_finds_what_each_text_finds_alone(clf):
    tm: TextModel = clf.text_model
    docs = [([], [], []), (["продам", "рог", "сайги"], ["продам рог сайги", "5 кг"], ["offer"]), ([], [], []),
            (["羚", "羊", "角"], ["出售羚羊角 正品"], []), (["x"], [""], ["lang:ru"]),
            (["киик", "муйизи"], ["Киік мүйізі " * 300], ["price"]), ([], [""], [])]
    batch = tm.text_index_arrays(docs)
    assert len(batch) == len(docs) and tm.text_index_arrays([]) == []
    for (words, fields, cues), ids in zip(docs, batch):
        assert ids.tolist() == tm.indices(feature_strings(words, fields, cues))


def test_batched_scores_equal_row_by_row_sums_bit_for_bit(clf):
    import numpy as np

    tm: TextModel = clf.text_model
    rng = np.random.default_rng(7)
    rows = [np.sort(rng.choice(len(tm.vocab), size, replace=False)) for size in (0, 1, 5, 300, 800, 0, 42)]
    expected = []
    for idx in rows:  # the plain definition: bias + sum of the rows' weights / √n, then a softmax
        z = tm.bias + (tm.weights[idx].sum(axis=0) / np.sqrt(len(idx)) if len(idx) else 0.0)
        z = np.asarray(z, dtype=np.float32)
        e = np.exp(z - z.max())
        expected.append(e / e.sum())
    assert np.array_equal(tm.predict(rows), np.array(expected, dtype=np.float32))
    assert np.array_equal(tm.predict([r.tolist() for r in rows]), tm.predict(rows))
    assert tm.predict([]).shape == (0, len(tm.labels))


def test_word_pairs_never_span_two_documents_of_a_batch(clf):
    tm: TextModel = clf.text_model
    (first, second), _ = next(iter(tm._kind_tables()[1].items()))
    docs = [([], [], []), (["zz", first], [], []), ([second, "zz"], [], []), ([first], [], []), ([], [], []),
            ([second], [], []), ([first, second], [], [])]
    batch = tm.text_index_arrays(docs)
    for (words, fields, cues), ids in zip(docs, batch):
        assert ids.tolist() == tm.indices(feature_strings(words, fields, cues))
    assert tm.vocab[f"b:{first}|{second}"] in batch[-1] and tm.vocab[f"b:{first}|{second}"] not in batch[0]


def test_key_table_finds_exactly_what_a_dict_finds():
    rng = np.random.default_rng(7)
    # small keys, keys that share their hash slot's high bits, keys near 2**64, and 0
    keys = np.unique(np.concatenate([rng.integers(0, 1 << 20, 3000, dtype=np.uint64),
                                     (np.arange(500, dtype=np.uint64) << np.uint64(40)),
                                     np.array([0, (1 << 64) - 1, (1 << 63) + 5], dtype=np.uint64)]))
    ids = rng.permutation(len(keys)).astype(np.int64)
    table = KeyTable(keys, ids)
    plain = dict(zip(keys.tolist(), ids.tolist()))
    queries = np.concatenate([keys, rng.integers(0, 1 << 21, 20000, dtype=np.uint64),
                              (np.arange(1000, dtype=np.uint64) << np.uint64(40)), keys[::-1]])
    assert table.lookup(queries).tolist() == [plain.get(q, -1) for q in queries.tolist()]
    assert KeyTable(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)).lookup(queries).tolist() == \
        [-1] * len(queries)
    with pytest.raises(ValueError):
        KeyTable(np.array([3, 3], dtype=np.uint64), np.array([0, 1]))


def test_n_grams_of_several_lengths_are_found_group_by_group(monkeypatch):
    """With n-grams of two lengths (the shipped model has one), each group gets every n-gram of each length that
    starts in it, none spanning two texts, and the counts say where each group's indices end."""
    from classifiers import textmodel

    monkeypatch.setattr(textmodel, "CHAR_NGRAMS", (2, 4))
    vocab = {g: i for i, g in enumerate([" р", "ро", "га", " рог", "рога", "а ", "ай", "сайг", " с", "a b "])}
    table = textmodel.GramTable(vocab)
    groups = [[" рога "], [], [" сайга ", " рог "], [" a b "], [""]]
    ids, counts = table.lookup_groups(groups)
    expected = []
    for group in groups:
        found = [vocab[t[i:i + n]] for n in (2, 4) for t in group for i in range(len(t) - n + 1) if t[i:i + n] in vocab]
        expected.append(sorted(found))
    assert counts.tolist() == [len(e) for e in expected]
    parts = [sorted(p) for p in np.split(ids, np.cumsum(counts)[:-1])]
    assert parts == expected
