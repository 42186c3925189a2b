"""The tagger's free signals (corpus line counts, rule verdicts), its real-page readers and unwanted-page
generator, the encoder's fast path, and the first pass of the refiner."""

from __future__ import annotations

import gzip
import json
import time

import numpy as np
import pytest

from refine.document import Document
from refine.linefreq import LineFrequency
from refine.tagger.data import TaggedDoc
from refine.tagger.features import FEATURE_NAMES, CorpusCounts, line_features
from refine.tagger.signals import Signals, count_corpus, page_host
from refine.tagger.stacking import RULE_NAMES, RuleJudge

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}
PAGE = ("Home | News | Sport\nMenu\n"
        "The council voted on Tuesday to extend the library's opening hours through the winter months.\n"
        "Officials said the change would cost little, since volunteers will staff the evening shifts.\n"
        "(Reporting by Jane Doe; Editing by John Roe)\n"
        "► August (13)\n"
        "© 2024 Example News. Privacy Policy\n")


def test_rule_verdicts_are_features_not_decisions():
    bodies = PAGE.splitlines()
    signals = RuleJudge().signals(PAGE)
    assert len(signals.line_rules) == len(bodies)
    # C4 flags the menu and the credit line (no terminal punctuation) and the widget: the tagger sees it
    assert signals.line_rules[0] is not None and signals.line_rules[1] == "c4_terminal_punct"
    assert signals.line_rules[2] is None and signals.line_rules[3] is None
    assert signals.line_rules[4] == "c4_terminal_punct"
    m = signals.matrix()
    assert m.shape == (len(bodies), len(RULE_NAMES))
    assert m[:, RULE_NAMES.index("rule_line_removed")].tolist() == [float(r is not None) for r in signals.line_rules]
    assert 0 < m[0, RULE_NAMES.index("rule_kept_share")] < 1
    assert (m[:, RULE_NAMES.index("has_rules")] == 1).all()
    # a two-sentence page is one Gopher drops (under 50 words): a document verdict copied onto every line
    assert signals.web_drop and (m[:, RULE_NAMES.index("rule_web_drop")] == 1).all()


def test_corpus_counts_fill_their_columns():
    bodies = ["Home | News", "A sentence of the article itself.", ""]
    f = line_features(bodies, CorpusCounts(np.array([40, 1, 0]), 100, np.array([9, 1, 0])))
    assert f[0, COL["corpus_docs"]] > 0.5 and f[1, COL["corpus_docs"]] == 0  # only itself: no other document
    assert f[0, COL["corpus_share"]] == pytest.approx(39 / 99)
    assert f[0, COL["host_docs"]] > 0 and f[1, COL["host_docs"]] == 0
    assert (f[:, COL["has_corpus"]] == 1).all() and (f[:, COL["has_host"]] == 1).all()
    no_host = line_features(bodies, CorpusCounts(np.array([40, 1, 0]), 100, None))
    assert (no_host[:, COL["has_host"]] == 0).all() and (no_host[:, COL["host_docs"]] == 0).all()
    assert (f >= 0).all() and (f <= 1).all()


def test_signals_count_a_corpus_per_host():
    pages = [TaggedDoc(f"Site menu | Home\nStory number 1 is about {fruit}, and only {fruit}.\n", [1, 0],
                       url=f"https://www.example.com/{i}") for i, fruit in enumerate(["figs", "limes", "pears", "plums", "kiwis"])]
    pages.append(TaggedDoc("Site menu | Home\nA page of another site.\n", [1, 0], url="https://other.org/a"))
    table = count_corpus(pages)
    assert table.documents == 6
    assert page_host(pages[0]) == "example.com" and page_host(TaggedDoc("x", [0])) is None
    assert page_host(Document("d", "x", {"url": "http://www.example.com/x"})) == "example.com"
    f = Signals().features(pages[0].bodies, pages[0].text, "example.com", table)
    assert f[0, COL["corpus_share"]] == pytest.approx(1.0)  # the menu is on every page
    assert f[0, COL["host_docs"]] == pytest.approx(np.log1p(4) / np.log1p(100), rel=1e-5)
    assert f[1, COL["corpus_docs"]] == 0  # each story line is its page's own
    alone = Signals().features(pages[0].bodies, pages[0].text)
    assert (alone[:, COL["has_corpus"]] == 0).all() and (alone[:, COL["has_rules"]] == 1).all()


def test_new_shape_features():
    f = line_features(["Respectfully,", "(Reporting by Will Dunham; Editing by Tom Brown)", "► August (13)", "Plain text"])
    assert f[:, COL["ends_comma"]].tolist() == [1, 0, 0, 0]
    assert f[:, COL["parenthesised"]].tolist() == [0, 1, 0, 0]
    assert f[:, COL["ends_count"]].tolist() == [0, 0, 1, 0]
    snippets = ["... fares will rise by ten cents from ...", "We spent two days walking along the [...]",
                "Continue reading →", "Read more", "A whole sentence ends here.", "Text [...] goes on"]
    assert line_features(snippets)[:, COL["elided"]].tolist() == [1, 1, 1, 1, 0, 0]


def test_labelled_pages_flip_content_to_remove_labels(tmp_path):
    from refine.tagger.expert import read_labelled_pages

    rows = [{"id": "a", "source": "s1", "url": "http://x.com/1", "text": "Menu\nStory.\nFooter", "content": [0, 1, 0]},
            {"id": "b", "source": "s2", "text": "Only content.", "content": [1]}]
    path = tmp_path / "pages.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write("\n".join(json.dumps(r) for r in rows) + "\n")
    docs = read_labelled_pages(path)
    assert [d.labels for d in docs] == [[1, 0, 1], [0]] and docs[0].url == "http://x.com/1" and not docs[0].drop
    assert [d.source for d in read_labelled_pages(path, ["s2"])] == ["s2"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "c", "text": "one\ntwo", "content": [1]}) + "\n")
    with pytest.raises(ValueError, match=r"row 1 \(c\)"):
        read_labelled_pages(bad)


def test_unwanted_pages_are_whole_drops_of_every_kind():
    from refine.annotate.listings import MAKERS
    from refine.tagger.junk import junk_pages, material_from

    story = ("Storm closes coastal roads\n" + "Heavy rain and strong winds closed several coastal roads on Sunday, "
             "officials said, as crews worked to clear fallen trees from the main routes into town.\n")
    pages = [TaggedDoc("Home | Weather | Sport\nMenu\nLog in\n" + story + "About us\nContact\n© 2024 News\n",
                       [1, 1, 1, 0, 0, 1, 1, 1])] * 3
    material = material_from(pages)
    assert material.titles == ["Storm closes coastal roads"] * 3 and len(material.heads) == 3
    docs = junk_pages(150, 0, material)
    assert {d.source for d in docs} == {f"junk/{k}" for k in MAKERS}
    assert all(d.drop and set(d.labels) == {1} for d in docs)
    assert any("Home | Weather | Sport" in d.text for d in docs) and any("Home |" not in d.text for d in docs)
    assert [d.text for d in junk_pages(5, 1, material)] == [d.text for d in junk_pages(5, 1, material)]
    with pytest.raises(ValueError, match="content lines"):
        material_from([TaggedDoc("Menu\n", [1])])


def test_search_pages_list_one_subject_without_repeats():
    """A real search page lists pages about its query; random titles taught the tagger to drop
    incoherent listings and keep an on-topic one."""
    import random

    from refine.annotate.listings import Material, search_results

    groups = {"solar": [f"Solar panel prices fall in {s}" for s in ("Texas", "Ohio", "Utah")],
              "election": [f"Election turnout record set in {s}" for s in ("Kent", "Devon", "Essex")]}
    titles = [t for ts in groups.values() for t in ts]
    sentences = [f"{t} as officials said on Monday, according to the latest figures." for t in titles]
    material = Material(titles, sentences)
    for seed in range(20):
        listed = [line for line in search_results(random.Random(seed), material) if line in titles]
        assert listed and len(listed) == len(set(listed))
        assert any(set(listed) <= set(ts) for ts in groups.values()), listed


def test_short_pages_keep_the_chrome_and_the_first_paragraphs_with_their_labels():
    from refine.tagger.short import short_pages

    para = "Officials said the bridge would reopen next week after repairs to the deck and the rails."  # 16 words
    text = "Home | News\nMenu\nBridge closed\n" + f"{para}\nAdvertisement\n{para}\n{para}\n{para}\n" \
        + "Comments (3)\nGreat post!\n© 2024 News"
    page = TaggedDoc(text, [1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1], source="news/raw", url="https://news.example/a")
    docs = short_pages([page, TaggedDoc("Menu\nShort story.\n", [1, 0])], 5, 0, words=(30, 34))
    assert len(docs) == 1  # the second page has too few content words to be cut; each page is cut once
    doc = docs[0]
    # head chrome, content up to the budget (boilerplate between kept), nothing else of the body, tail chrome
    assert doc.bodies == ["Home | News", "Menu", "Bridge closed", para, "Advertisement", para,
                          "Comments (3)", "Great post!", "© 2024 News"]
    assert doc.labels == [1, 1, 0, 0, 1, 0, 1, 1, 1] and not doc.drop
    assert (doc.source, doc.url) == ("short/news/raw", "https://news.example/a")
    assert [d.text for d in short_pages([page] * 3, 2, 4, (10, 30))] \
        == [d.text for d in short_pages([page] * 3, 2, 4, (10, 30))]
    with pytest.raises(ValueError, match="content words"):
        short_pages([TaggedDoc("Menu\nShort story.\n", [1, 0])], 1, 0)


def test_fast_token_embeddings_match_the_transformers_layer():
    """The encoder pools without a per-token LayerNorm (an algebraic rewrite); it must give the
    vectors of BERT's own embedding layer, mean-pooled."""
    from transformers import AutoModel

    from refine.tagger.encoder import PACKAGED, LineEncoder, resolve_encoder

    lines = ["Home | News | Sport", "The quick brown fox jumps over the lazy dog.", "► August (13)", "日本語 Ünïcode",
             "x", "A long paragraph, longer than the encoder's 48 tokens, " * 6,  # truncated
             "supercalifragilistic " * 40,  # tokenized from a prefix: whole words, 48 tokens and more
             "a b c " + "x" * 900,  # the prefix holds 3 tokens, so the whole line is tokenized again
             # printable ASCII goes through a lowercase-only normalizer; the rest through BERT's own
             "READ MORE >> [MASK] Page 3/12 (c) 2024", "e\u0301 caf\u00e9", "tab\tand\x07bell", "\u201cquoted\u201d\u00a0text"]
    fast = LineEncoder(layers=0)
    assert fast._tables is not None and fast._tables.ascii_tokenizer is not None
    model = AutoModel.from_pretrained(resolve_encoder(PACKAGED)).eval()
    import torch

    batch = fast._tables.tokenizer.encode_batch(lines)
    assert fast._tables.token_ids(lines) == [e.ids for e in batch]
    with torch.inference_mode():
        for line, enc, vec in zip(lines, batch, fast.encode(lines)):
            ids = torch.tensor([enc.ids])
            hidden = model.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            ref = torch.nn.functional.normalize(hidden.mean(1), dim=-1)[0].numpy()
            np.testing.assert_allclose(vec, ref, atol=1e-5)


def test_a_huge_line_costs_no_more_than_a_long_one():
    from refine.tagger.encoder import LineEncoder

    enc = LineEncoder(layers=0)
    huge = "word " * 2_000_000  # 10 MB on one line
    t0 = time.perf_counter()
    vec = enc.encode([huge])
    assert vec.shape == (1, enc.dim) and np.isfinite(vec).all()
    np.testing.assert_allclose(vec, enc.encode(["word " * 400]), atol=1e-6)  # both truncated to max_tokens
    features = Signals().features([huge.strip(), "A short line."], huge.strip() + "\nA short line.")
    long_one = Signals().features([("word " * 800).strip(), "A short line."], ("word " * 800).strip() + "\nA short line.")
    assert features.shape == long_one.shape
    # the rules and the shape features read the huge line's start: apart from its length, it looks the same
    same = [i for i, name in enumerate(FEATURE_NAMES) if name not in ("log_chars", "log_words")]
    np.testing.assert_allclose(features[:, same], long_one[:, same], atol=1e-3)
    assert time.perf_counter() - t0 < 20  # a bound on work, not a benchmark: untruncated it is minutes


def test_refiner_counts_the_corpus_first_and_keeps_scores_in_the_audit(tmp_path):
    from refine.refiners.tagger import TaggerRefiner
    from refine.tagger.encoder import LineEncoder
    from refine.tagger.infer import Tagger
    from refine.tagger.model import LineTagger, TaggerConfig

    tagger = Tagger(LineTagger(TaggerConfig(proj_dim=8, hidden=8, gru_layers=1)), LineEncoder(layers=0))
    docs = [Document(str(i), f"Menu | Home\nStory {i} has its own words, number {i}.\n", {"url": f"http://a.com/{i}"})
            for i in range(4)]
    refiner = TaggerRefiner(tagger)
    assert refiner.needs_prepare
    refiner.prepare(iter(docs))
    assert not refiner.needs_prepare and refiner.linefreq.documents == 4
    assert refiner.linefreq.frequency("Menu | Home", "a.com") == 4
    refs = refiner.refine(docs)
    assert all(len(r.audit["remove_probs"]) == 2 and r.audit["corpus_counts"] for r in refs)
    assert all(0 <= p <= 1 for r in refs for p in r.audit["remove_probs"])
    off = TaggerRefiner(tagger, linefreq="off")
    assert not off.needs_prepare and not off.refine(docs[:1])[0].audit["corpus_counts"]
    path = tmp_path / "lf.npz"
    refiner.linefreq.save(path)
    assert TaggerRefiner(tagger, linefreq=str(path)).linefreq.documents == 4


def test_thresholds_put_kept_pages_first_and_weigh_each_corpus():
    from refine.tagger.infer import Scores
    from refine.tagger.train import _length_buckets, tune_thresholds

    # ten pages to keep, one of them looks like junk (0.7); two junk pages at 0.6 and 0.95
    scores = [Scores(np.array([0.9, 0.1]), 0.0) for _ in range(9)] + [Scores(np.array([0.9, 0.1]), 0.7)]
    scores += [Scores(np.array([0.9, 0.9]), 0.6), Scores(np.array([0.9, 0.9]), 0.95)]
    gold = [([1, 0], False)] * 10 + [([1, 1], True)] * 2
    _, doc_t = tune_thresholds(scores, gold, max_false_drops=0.0)
    assert 0.7 < doc_t <= 0.95  # dropping the look-alike page is not allowed, so the 0.6 junk page stays
    _, loose = tune_thresholds(scores, gold, max_false_drops=0.2)
    assert loose <= 0.6
    # a corpus of few lines weighs as much as one of many: its best threshold is not drowned out
    many = [Scores(np.array([0.9] * 60 + [0.4] * 40 + [0.1] * 100), 0.0)]  # 100 boilerplate lines, 40 of them unsure
    few = [Scores(np.array([0.8, 0.45, 0.2]), 0.0)] * 10  # boilerplate 0.8; a content line at 0.45
    gold2 = [([1] * 100 + [0] * 100, False)] + [([1, 0, 0], False)] * 10
    pooled, _ = tune_thresholds(many + few, gold2)
    per_corpus, _ = tune_thresholds(many + few, gold2, ["raw"] + ["extracted"] * 10)
    assert pooled <= 0.45 and 0.45 < per_corpus <= 0.8

    rng = np.random.default_rng(0)
    examples = [(np.zeros((n, 1)),) for n in rng.integers(1, 300, 400)]
    batches = _length_buckets(examples, 8, rng)
    assert sorted(i for b in batches for i in b) == list(range(400))
    spread = np.mean([np.ptp([len(examples[i][0]) for i in b]) for b in batches])
    assert spread < 60  # batches hold similar lengths (random batches would spread ~200)


def test_a_page_is_dropped_only_when_the_line_head_agrees():
    from refine.tagger.spans import cut

    bodies = ["Menu", "word " * 60, "", "Footer"]  # 60 words in the one content line
    probs = [0.9, 0.1, 0.2, 0.9]
    assert cut(bodies, probs, 0.99, 0.5, 0.5) == ([True, False, False, True], False)  # 60 kept words: overruled
    assert cut(bodies, probs, 0.99, 0.5, 0.5, keep_words=61)[1]  # fewer kept words than asked: dropped
    assert cut(bodies, [0.9, 0.9, 0.2, 0.9], 0.99, 0.5, 0.5)[1]  # every line removed: the drop stands
    assert not cut(bodies, [0.9] * 4, 0.3, 0.5, 0.5)[1]  # below the doc threshold
    assert cut(bodies, probs, 0.1, 0.5, None, dropped=True) == ([True, False, False, True], True)  # kept decision
