"""The line tagger: features, training, decisions → programs → applied text, the shipped default."""

from __future__ import annotations

import random

import numpy as np
import pytest

from programs.apply import apply
from programs.lines import split_lines
from refine.document import Document
from refine.options import RunOptions
from refine.tagger.data import TaggedDoc
from refine.tagger.features import FEATURE_NAMES, line_features
from refine.tagger.spans import absorb_blank_lines, removal_spans, to_programs

# -- a throwaway page generator: known labels, no realism (the synthetic expert gives that) ---------
CONTENT = [
    "The river floods every spring, and the farmers plant after the water recedes.",
    "Install the package with the system's package manager before running the tool.",
    "Each configuration file is read in order; later files override earlier ones.",
    "The committee met twice in March to review the proposed budget.",
    "Options",
    "  --verbose  print every step",
    "Results are written to the output directory as one file per shard.",
    "History of the bridge",
]
MENUS = ["Home | About | Blog | Contact", "Skip to main content", "Menu", "Search this site", "Log in  Sign up"]
FOOTERS = [
    "© 2021 Example Media. All rights reserved.",
    "Privacy Policy | Terms of Use | Cookie Settings",
    "We use cookies to improve your experience. Accept all",
    "Share on Facebook  Share on Twitter",
    "Subscribe to our newsletter",
]
SPAM = ["cheap pills buy now best price", "casino bonus win win win free spins", "click here click here"]


def toy_docs(n: int, seed: int) -> list[TaggedDoc]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        if rng.random() < 0.15:
            lines = [rng.choice(SPAM) for _ in range(rng.randint(3, 8))]
            docs.append(TaggedDoc("\n".join(lines) + "\n", [0] * len(lines), drop=True))
            continue
        head = rng.sample(MENUS, rng.randint(1, 3))
        body = rng.sample(CONTENT, rng.randint(2, 6))
        foot = rng.sample(FOOTERS, rng.randint(1, 3))
        lines = head + body + foot
        docs.append(TaggedDoc("\n".join(lines) + "\n", [1] * len(head) + [0] * len(body) + [1] * len(foot)))
    return docs


# -- features -----------------------------------------------------------------------------------
def test_features_describe_hand_made_lines():
    bodies = ["Home | About | Contact", "", "The quick brown fox jumps over the lazy dog.", "Home | About | Contact",
              "  - a list item", "© 2023 Example Inc. All rights reserved."]
    f = line_features(bodies)
    col = {name: f[:, i] for i, name in enumerate(FEATURE_NAMES)}
    assert f.shape == (6, len(FEATURE_NAMES)) and f.dtype == np.float32
    assert col["blank"].tolist() == [0, 1, 0, 0, 0, 0]
    assert col["separators"][0] > 0 and col["separators"][2] == 0
    assert col["ends_sentence"].tolist() == [0, 0, 1, 0, 0, 1]
    assert col["repeated_in_doc"].tolist() == [1, 0, 0, 1, 0, 0]
    assert col["starts_bullet"][4] == 1 and col["indent"][4] > 0
    assert col["copyright"][5] == 1 and col["year"][5] == 1 and col["copyright"][2] == 0
    assert col["rel_position"][0] == 0 and col["rel_position"][5] == 1
    assert col["blank_after"][0] == 1 and col["blank_before"][2] == 1
    assert col["has_corpus"].max() == 0 and col["has_host"].max() == 0 and col["has_rules"].max() == 0
    assert (f >= 0).all() and (f <= 1).all()
    assert line_features([]).shape == (0, len(FEATURE_NAMES))


# -- decisions → programs → text -------------------------------------------------------------------
def test_spans_and_blank_lines():
    assert removal_spans([True, True, False, True]) == [(0, 1), (3, 3)]
    assert removal_spans([]) == []
    remove = [True, False, True, False, False, True]
    blank = [False, True, False, True, False, False]
    # line 1 only separates two removed lines: absorbed; line 3 sits before kept content: kept
    assert absorb_blank_lines(remove, blank) == [True, True, True, False, False, True]


def test_programs_parse_and_apply_to_the_expected_text():
    from programs.parse import parse

    text = "Home | About\n\nLog in\nA real paragraph.\nAnother one.\n\n© 2024 Site\n\nPrivacy\n"
    lines = split_lines(text)
    remove = [True, False, True, False, False, False, True, False, True]
    blank = [not line.strip() for line in lines]
    programs = to_programs(absorb_blank_lines(remove, blank), drop=False)
    assert [(p.stage, p.text) for p in programs] == [
        ("doc", "keep_doc()"),
        ("chunk", "remove_lines(line_start=0, line_end=2)\nremove_lines(line_start=6, line_end=8)"),
    ]  # the blank lines between removed lines go with them; the one before the footer stays
    result = apply(text, [parse(p.text, scope=p.scope) for p in programs])
    assert result.text == "A real paragraph.\nAnother one.\n\n"
    dropped = to_programs(remove, drop=True)
    assert [p.text for p in dropped] == ["drop_doc()"]
    assert apply(text, [parse(p.text) for p in dropped]).text == ""
    assert [p.text for p in to_programs([False] * 3, drop=False, stages=("chunk",))] == ["keep_chunk()"]


@pytest.fixture(scope="module")
def small_encoder():
    from refine.tagger.encoder import LineEncoder

    return LineEncoder(layers=0)  # token embeddings only: fast, and the same code path as deeper ones


def test_training_lowers_the_loss_and_the_model_reloads(small_encoder, tmp_path):
    from refine.refiners.tagger import TaggerRefiner
    from refine.tagger.infer import Tagger
    from refine.tagger.model import TaggerConfig
    from refine.tagger.train import TrainSettings, train_tagger

    config = TaggerConfig(encoder_layers=0, proj_dim=16, hidden=16, gru_layers=1)
    report = train_tagger(toy_docs(48, 0), toy_docs(16, 1), tmp_path, config,
                          TrainSettings(epochs=8, batch_docs=8, lr=1e-2, patience=8), encoder=small_encoder,
                          log=lambda s: None)
    assert report.losses[-1] < 0.6 * report.losses[0]
    assert report.val["line"]["f1"] > 0.8
    assert 0.1 <= report.line_threshold <= 0.9
    tagger = Tagger.load(tmp_path)
    assert tagger.line_threshold == report.line_threshold
    page = Document("p1", "Home | About | Blog | Contact\nThe committee met twice in March to review the proposed budget.\n"
                          "© 2021 Example Media. All rights reserved.\n")
    [ref] = TaggerRefiner(tagger).refine([page])
    assert [p.text for p in ref.programs] == [
        "keep_doc()", "remove_lines(line_start=0, line_end=0)\nremove_lines(line_start=2, line_end=2)"]
    assert ref.audit["removed_lines"] == 2 and ref.audit["lines"] == 3
    # a threshold of 1.0 removes nothing: `--set threshold=` reaches the decisions
    [ref] = TaggerRefiner(tagger, line_threshold=1.0).refine([page])
    assert ref.programs[1].text == "keep_chunk()"
    # thresholds chosen again on other validation pages are saved, and torch's threads put back
    import torch

    from refine.tagger.train import retune

    before = torch.get_num_threads()
    chosen = retune(tmp_path, toy_docs(16, 2), TrainSettings(threads=1))
    assert torch.get_num_threads() == before
    again = Tagger.load(tmp_path)
    assert (again.line_threshold, again.doc_threshold) == chosen


def test_scores_cover_empty_long_and_many_documents(small_encoder):
    import torch

    from refine.tagger.infer import Tagger
    from refine.tagger.model import LineTagger, TaggerConfig

    torch.manual_seed(0)
    tagger = Tagger(LineTagger(TaggerConfig(encoder_layers=0, proj_dim=8, hidden=8, gru_layers=1)), small_encoder,
                    max_lines_per_batch=500)
    docs = [[], ["one line"], [f"line {i % 50}" for i in range(3000)], ["a", "", "b"], ["a", "b", ""]]
    scores = tagger.score(docs)  # a last "" is a blank last line: the rule verdicts cover it too
    assert [len(s.remove) for s in scores] == [0, 1, 3000, 3, 3]
    assert all(0.0 <= s.drop <= 1.0 for s in scores)
    # a document scores the same alone as in a batch with others
    alone = tagger.score([docs[3]])[0]
    np.testing.assert_allclose(alone.remove, scores[3].remove, rtol=1e-5, atol=1e-6)


def test_refiner_options_are_checked():
    from refine.refiners import tagger

    with pytest.raises(ValueError, match="--model"):
        tagger.from_options(RunOptions(mode="tagger"))
    with pytest.raises(ValueError, match="threshold"):
        tagger._float_option(RunOptions(extra={"threshold": "high"}), "threshold")
    with pytest.raises(ValueError, match="threshold"):
        tagger._float_option(RunOptions(extra={"threshold": "1.5"}), "threshold")
    assert tagger._float_option(RunOptions(extra={"threshold": "0.7"}), "threshold") == 0.7


def test_the_shipped_default_loads_offline_and_refines_a_page():
    from programs.parse import parse
    from refine.refiners import build_refiner
    from refine.refiners.default import DEFAULT_MODEL_DIR

    assert (DEFAULT_MODEL_DIR / "MODEL_CARD.md").is_file()
    assert sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir()) < 5_000_000  # the encoder is not copied
    refiner = build_refiner(RunOptions(mode="default"))
    assert refiner.name == "default"
    paragraphs = [
        "The city council voted on Tuesday to add three bus routes serving neighbourhoods east of the river.",
        "The new routes will run every 20 minutes on weekdays and every 40 minutes on weekends.",
        "Opponents argued that the annual cost should have gone to road repairs instead.",
    ]
    text = "\n".join(["Skip to content", "Home | News | Sport | Business | Contact", "", *paragraphs, "",
                      "© 2023 The Valley Courier. All rights reserved.",
                      "Privacy Policy | Terms of Service | Cookie Settings"]) + "\n"
    [ref] = refiner.refine([Document("page", text)])
    result = apply(text, [parse(p.text, scope=p.scope) for p in ref.programs])
    assert result.kept
    for paragraph in paragraphs:
        assert paragraph in result.text
    assert "Home | News" not in result.text and "Privacy Policy" not in result.text


def test_the_shipped_default_drops_unwanted_pages_and_keeps_short_clean_ones():
    from refine.refiners import build_refiner

    refiner = build_refiner(RunOptions(mode="default"))
    search = "\n".join(['Search results for "bus routes"', "Showing 1-10 of 2,345 results", "Sort by: Relevance | Date",
                        "City adds three bus routes", "... The new routes will run every 20 minutes on weekdays ...",
                        "Council debates road repairs", "... Opponents argued that the annual cost should ...",
                        "Bus fares to rise in spring", "... Fares will rise by ten cents from April ...",
                        "1 2 3 4 5 Next »"]) + "\n"
    # results about one subject, as a real search lists them (a default trained on listings of random titles kept it)
    on_topic = "\n".join(['Search results for "solar panels"', "About 2,478 results"]
                         + [line for title, snippet in (
                             ("How solar panels work", "Solar panels convert sunlight into electricity using cells made of ..."),
                             ("Best solar panels of 2024", "We tested 20 models to find the most efficient panels for ..."),
                             ("Are solar panels worth it?", "The answer depends on where you live, your rates and ..."),
                             ("Solar panel installation costs", "The average cost to install solar panels ranges from ..."),
                             ("How long do solar panels last?", "Most makers guarantee their panels for 25 years, but ..."),
                             ("Cleaning solar panels", "Dust and bird droppings can cut the output of a panel by ..."))
                            for line in (title, snippet)] + ["1 2 3 4 5 Next »"]) + "\n"
    login = "Sign In\nUsername\nPassword\nRemember me\nForgot your password?\nLog in\nDon't have an account? Sign up\n"
    short = ("City adds three bus routes\n"
             "The city council voted on Tuesday to add three bus routes serving neighbourhoods east of the river. "
             "The new routes will run every 20 minutes on weekdays and every 40 minutes on weekends.\n")
    refs = refiner.refine([Document("search", search), Document("login", login), Document("article", short),
                           Document("on-topic search", on_topic)])
    programs = {r.doc_id: [p.text for p in r.programs] for r in refs}
    assert programs["search"] == ["drop_doc()"] and programs["login"] == ["drop_doc()"]
    assert programs["on-topic search"] == ["drop_doc()"]
    assert programs["article"] == ["keep_doc()", "keep_chunk()"]  # a short extracted article and its headline stay
    assert refs[0].audit["drop_reason"] == "unwanted page"


def test_line_cache_computes_each_distinct_line_once_and_evicts_the_oldest():
    from refine.tagger.encoder import LineCache

    calls: list[list[str]] = []

    def compute(texts):
        calls.append(list(texts))
        return np.array([[len(t), ord(t[0])] for t in texts], np.float32).reshape(len(texts), 2)

    cache = LineCache(3, compute)
    expect = lambda lines: np.array([[len(t), ord(t[0])] for t in lines], np.float32)  # noqa: E731
    np.testing.assert_array_equal(cache.get(["bb", "a", "bb"]), expect(["bb", "a", "bb"]))
    assert calls == [["a", "bb"]] and len(cache) == 2
    np.testing.assert_array_equal(cache.get(["a", "ccc", "dddd"]), expect(["a", "ccc", "dddd"]))
    assert calls[-1] == ["ccc", "dddd"] and len(cache) == 3  # "bb", the least recently used, is gone
    cache.get(["bb"])
    assert calls[-1] == ["bb"]
    # one call with more new lines than the cache holds still answers every line
    lines = ["e", "ff", "ggg", "hhhh", "iiiii", "e"]
    np.testing.assert_array_equal(cache.get(lines), expect(lines))
    assert len(cache) == 3
    assert LineCache(0, compute).get(["x"]).shape == (1, 2)
