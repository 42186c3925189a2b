"""Line document frequencies: per host vs corpus-wide, once per document, bounded memory, files."""

import random

import numpy as np
import pytest

from refine.document import Document
from refine.linefreq import LineFrequency, host_of, normalize_line


def page(i: int, host: str, body: str) -> Document:
    return Document(f"{host}-{i}", f"Home | Blog | Contact\n{body}\n\u00a9 20{i:02d} {host}\n",
                    {"url": f"https://www.{host}/post/{i}"})


@pytest.fixture
def corpus() -> list[Document]:
    docs = [page(i, "alpha.com", f"Alpha article number {i} about birds.") for i in range(4)]
    docs += [page(i, "beta.org", f"Beta essay {i} on rivers and lakes.") for i in range(2)]
    docs.append(Document("nourl", "Home | Blog | Contact\nA page with no URL at all.\n"))
    return docs


def test_normalize_line_lowercases_collapses_digits_and_squeezes_space():
    assert normalize_line("  Page 3 of   12\t") == "page 0 of 0"
    assert normalize_line("Copyright 2019") == normalize_line("copyright 2024")
    assert normalize_line(" \t ") == ""


def test_host_of_strips_www_and_ignores_missing_urls():
    assert host_of(Document("a", "x", {"url": "https://www.Example.com/a?b=1"})) == "example.com"
    assert host_of(Document("a", "x", {"url": "example.org/path"})) == "example.org"
    assert host_of(Document("a", "x", {})) is None
    assert host_of(Document("a", "x", {"url": 42})) is None


def test_counts_per_host_and_corpus_wide(corpus):
    lf = LineFrequency(width=1 << 12).count(corpus)
    assert lf.documents == 7
    assert lf.frequency("Home | Blog | Contact") == 7  # every page, hosts and no host alike
    assert lf.frequency("home |  blog | contact", "alpha.com") == 4
    assert lf.frequency("Home | Blog | Contact", "beta.org") == 2
    assert lf.frequency("Home | Blog | Contact", "gamma.net") == 0
    # The footer differs only in its digits: one normalized line per host.
    assert lf.frequency("\u00a9 2099 alpha.com", "alpha.com") == 4
    assert lf.frequency("\u00a9 2099 alpha.com", "beta.org") == 0
    assert lf.frequency("A page with no URL at all.") == 1
    assert lf.frequency("never seen") == 0


def test_a_line_counts_once_per_document():
    lf = LineFrequency(width=1 << 10)
    lf.add(["Share", "Share", "share ", "Body"], host="h.com")
    lf.add(["Share"], host="h.com")
    assert lf.frequency("Share") == 2
    assert lf.frequency("Share", "h.com") == 2
    assert lf.frequency("Body", "h.com") == 1


def test_sketch_overestimates_but_never_underestimates():
    # A tiny table forces collisions: every estimate must still be >= the true count.
    rng = random.Random(0)
    vocab = [f"line {chr(97 + i % 26)}{i // 26} text" for i in range(400)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 20))] for _ in range(300)]
    truth: dict[str, int] = {}
    lf = LineFrequency(width=64, depth=3)
    for lines in docs:
        lf.add(lines)
        for norm in {normalize_line(x) for x in lines}:
            truth[norm] = truth.get(norm, 0) + 1
    estimates = lf.frequencies(vocab)
    exact = np.array([truth.get(normalize_line(v), 0) for v in vocab])
    assert (estimates >= exact).all()
    assert (estimates > exact).any()  # with 400 lines in 64 columns, collisions must show


def test_memory_is_fixed_by_width_and_depth(corpus):
    small = LineFrequency(width=1 << 12, depth=4).count(corpus[:1])
    large = LineFrequency(width=1 << 12, depth=4).count(corpus * 200)
    assert small.table.shape == large.table.shape == (4, 1 << 12)
    assert small.table.nbytes == large.table.nbytes == 4 * (1 << 12) * 4
    assert large.frequency("Home | Blog | Contact") == 1400


def test_save_load_round_trip(tmp_path, corpus):
    lf = LineFrequency(width=1 << 12, depth=3).count(corpus)
    path = tmp_path / "freq.npz"
    lf.save(path)
    back = LineFrequency.load(path)
    assert (back.width, back.depth, back.documents) == (1 << 12, 3, 7)
    assert np.array_equal(back.table, lf.table)
    assert back.frequency("Home | Blog | Contact", "alpha.com") == 4


def test_load_rejects_a_foreign_file(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, something=np.zeros(3))
    with pytest.raises(ValueError, match="not a line-frequency file"):
        LineFrequency.load(path)


def test_width_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        LineFrequency(width=1000)


def test_table_is_the_same_whether_keys_are_added_few_or_many_at_a_time():
    # A flush with many keys per cell counts with bincount, one with few with np.add.at: same table.
    rng = random.Random(1)
    docs = [[f"line {rng.randint(0, 500)}" for _ in range(rng.randint(1, 30))] for _ in range(200)]
    one_by_one, all_at_once = LineFrequency(width=1 << 14), LineFrequency(width=1 << 14)
    for lines in docs:
        one_by_one.add(lines, "a.com")
        one_by_one._flush()  # a few keys: the sparse path
        all_at_once.add(lines, "a.com")
    all_at_once._flush()  # thousands of keys: the dense path
    assert len(all_at_once._pending) == 0
    assert np.array_equal(one_by_one.table, all_at_once.table)
    assert one_by_one.table.sum() == all_at_once.table.sum() > 0


def test_lookup_of_counted_documents_reads_their_remembered_hashes(corpus, monkeypatch):
    import refine.linefreq as linefreq

    lf = LineFrequency(width=1 << 12).count(corpus)
    fresh = LineFrequency(width=1 << 12)
    fresh.table, fresh.documents = lf.table, lf.documents  # the same counts, nothing remembered
    expected = [fresh.lookup(d.bodies, host_of(d)) for d in corpus]

    def no_normalizing(line):
        raise AssertionError("a counted document's lines were normalized again")

    monkeypatch.setattr(linefreq, "normalize_line", no_normalizing)
    for doc, (corpus_counts, host_counts) in zip(corpus, expected):
        got_corpus, got_host = lf.lookup(doc.bodies, host_of(doc))
        assert got_corpus.tolist() == corpus_counts.tolist()
        assert (got_host is None) == (host_counts is None)
        if host_counts is not None:
            assert got_host.tolist() == host_counts.tolist()
    with pytest.raises(AssertionError, match="normalized again"):  # other lines, or another host: computed
        lf.lookup(corpus[0].bodies, "gamma.net")


def test_remembered_hashes_are_bounded(corpus, monkeypatch):
    import refine.linefreq as linefreq

    monkeypatch.setattr(linefreq, "REMEMBER_LINES", 5)
    lf = LineFrequency(width=1 << 12).count(corpus)
    # the first page's 3 lines, then only what still fits: the 2-line page at the end
    assert lf._remembered_lines == 5 and len(lf._remembered) == 2
    middle = corpus[2]  # not remembered: its counts are computed, and the same
    assert lf.lookup(middle.bodies, host_of(middle))[1].tolist() == [4, 4, 4]  # digits are normalized away
    assert lf.lookup(corpus[-1].bodies, None)[0].tolist() == [7, 1]
