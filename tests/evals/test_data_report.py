"""`refine eval data` and `refine eval compare`: hand-made corpora with known numbers, and end to end."""

from __future__ import annotations

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from evals.corpus import read_raw, read_refined
from evals.data_report import evaluate_data, sample_ids
from evals.encoder import Encoder, resolve_encoder
from evals.gold import aligned_removed_lines, read_gold
from evals.quality import Scorer
from helpers import REPO, write_jsonl
from refine.tiny import build_tiny_causal_lm, train_tokenizer

torch.set_num_threads(1)  # tiny models on a shared CPU
SAMPLE = REPO / "examples" / "sample.jsonl"
runner = CliRunner()

TEN_LINES = "".join(f"line {i} says something different about topic {i}.\n" for i in range(10))
RAW = {
    "d0": TEN_LINES,
    "d1": "plain text that stays the same",
    "d2": "buy cheap pills now\nclick here\n",
    "d3": "nothing worth keeping here",
    "d4": "the cat sat on the mat, write to jane@example.org",
}
REFINED = {
    "d0": "".join(line for i, line in enumerate(TEN_LINES.splitlines(keepends=True)) if i not in (2, 5, 7)),
    "d1": RAW["d1"],
    # d2 dropped
    "d3": "",
    "d4": "the cat sat on the red mat",
    "zz": "a document the raw corpus does not have",
}
GOLD = [
    {"id": "d0", "removed_lines": [2, 5, 7], "keep": True},
    {"id": "d1", "labels": [0], "doc_label": 0},
    {"id": "d2", "doc_label": 1},
    {"id": "d3", "keep": True},
    {"id": "d4", "doc_label": 1},
    {"id": "elsewhere", "keep": True},
]


@pytest.fixture
def corpora(tmp_path):
    raw = write_jsonl(tmp_path / "raw.jsonl", [{"id": k, "text": v} for k, v in RAW.items()])
    refined = write_jsonl(tmp_path / "refined.jsonl", [{"id": k, "text": v, "url": "x"} for k, v in REFINED.items()])
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    return raw, refined, gold


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_known_numbers_on_a_hand_made_corpus(corpora):
    raw, refined, gold = corpora
    result = evaluate_data(read_raw(str(raw)), read_refined(str(refined)), gold=read_gold(str(gold)), pii_names=False)
    n = result.numbers
    r = n["retention"]
    assert (r["docs_raw"], r["docs_kept"], r["docs_dropped"], r["docs_emptied"], r["docs_untouched"]) == (5, 4, 1, 1, 1)
    assert n["refined"]["ids_not_in_raw"] == 1 and "programs" not in n
    f = n["faithfulness"]
    # refined words (\w+): d0 keeps 7 lines of 8 words, d1 has 6, d4 has 7 of which "red" is new
    assert (f["novel_words"], f["refined_words"]) == (1, 69)
    assert f["novel_words_per_1k"] == pytest.approx(1000 / 69)
    assert f["deletion_subsequence"] == {"line": 0.75, "char": 0.75}  # d4 inserted "red"
    assert f["char_edits"]["inserted"] + f["char_edits"]["replaced"] >= 4
    assert n["pii"]["raw"]["by_kind"] == {"email": 1} and n["pii"]["refined"]["spans"] == 0
    g = n["gold"]
    assert (g["gold_docs"], g["matched_docs"], g["missing_docs"]) == (6, 5, 1)
    assert g["lines"]["precision"] == 1.0 and g["lines"]["recall"] == 1.0 and g["lines"]["docs"] == 2
    assert g["line_sources"] == {"audit": 0, "alignment": 2}
    assert (g["docs"]["tp"], g["docs"]["fp"], g["docs"]["fn"]) == (1, 1, 1)  # d2 / d3 emptied / d4 kept
    assert g["docs"]["f1"] == 0.5
    d = n["diversity"]
    assert d["words_measured"] == 69 and d["encoder"] is None  # the refined side's 69 words; the raw has 105
    raw_head = " ".join(" ".join(RAW[k].split()) for k in ("d0", "d1", "d2", "d3", "d4")).split()[:69]
    assert d["raw"]["distinct_1"] == pytest.approx(len(set(raw_head)) / 69)


def test_sample_ids_are_stable_and_independent_of_the_rest_of_the_corpus():
    ids = [f"doc-{i}" for i in range(100)]
    picked = sample_ids(ids, 10)
    assert len(picked) == 10 and sample_ids(list(reversed(ids)), 10) == picked
    assert set(picked) <= set(sample_ids(ids + ["extra"], 11))  # a new document never evicts two old ones
    assert sample_ids(ids, 0) == ids


def test_mismatched_ids_and_missing_raw_are_clean_errors(corpora, tmp_path):
    raw, refined, _ = corpora
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": "x1", "text": "t"}])
    result = invoke("eval", "data", raw, other, "-o", tmp_path / "rep")
    assert result.exit_code == 2 and "no id of" in result.output and "Traceback" not in result.output
    result = invoke("eval", "compare", refined, "-o", tmp_path / "rep2")
    assert result.exit_code == 2 and "--raw" in result.output
    result = invoke("eval", "data", raw, refined, "-o", tmp_path / "rep3", "--scorer", tmp_path / "no-model")
    assert result.exit_code == 2 and "--scorer" in result.output


@pytest.fixture(scope="module")
def rules_run(tmp_path_factory):
    """`refine run --mode rules` on the example corpus, through the command line."""
    out = tmp_path_factory.mktemp("rules") / "out"
    result = invoke("run", SAMPLE, out, "--mode", "rules")
    assert result.exit_code == 0, result.output
    return out


def test_eval_data_end_to_end_on_a_rules_run(rules_run, tmp_path):
    raw = read_raw(str(SAMPLE))
    refined = read_refined(str(rules_run))
    # gold from aligning raw and refined lines: the audit's programs must say the same
    gold = [{"id": i, "removed_lines": sorted(aligned_removed_lines(t, refined.texts.get(i))),
             "doc_label": int(i not in refined.texts)} for i, t in raw.texts.items()]
    gold_file = write_jsonl(tmp_path / "gold.jsonl", gold)
    scorer = build_tiny_causal_lm(tmp_path / "scorer", list(raw.texts.values())[:10], vocab_size=300)

    report = tmp_path / "report"
    result = invoke("eval", "data", SAMPLE, rules_run, "-o", report, "--gold", gold_file, "--scorer", scorer,
                    "--sample", "8", "--no-pii-names")
    assert result.exit_code == 0, result.output
    assert "documents kept" in result.output
    n = json.loads((report / "report.json").read_text())
    for key in ("retention", "lengths", "programs", "faithfulness", "diversity", "tokens", "quality", "pii", "gold"):
        assert key in n, key
    stats = json.loads((rules_run / "stats.json").read_text())
    assert n["retention"]["docs_kept"] == stats["docs_kept"] and n["retention"]["words_refined"] == stats["words_out"]
    assert n["programs"]["ops_emitted"]["remove_lines"] == stats["ops"]["remove_lines"]
    assert n["faithfulness"]["novel_words_per_1k"] == 0.0  # rules only delete
    assert n["faithfulness"]["deletion_subsequence"]["line"] == 1.0
    assert n["gold"]["line_sources"]["audit"] == 40
    assert n["gold"]["lines"]["f1"] == 1.0 and n["gold"]["docs"]["f1"] == 1.0
    assert n["tokens"]["raw"] > n["tokens"]["refined"] > 0
    assert n["quality"]["kind"] == "causal_lm" and n["quality"]["raw"]["docs"] == 8
    assert math.isfinite(n["quality"]["raw"]["token_ppl"]) and math.isfinite(n["quality"]["refined"]["token_ppl"])
    html = (report / "report.html").read_text()
    assert html.count("<svg ") >= 5 and "http://" not in html and "https://" not in html
    assert "Agreement with gold labels" in (report / "report.md").read_text()


def test_eval_compare_puts_variants_side_by_side(rules_run, tmp_path):
    identity = tmp_path / "identity.jsonl"
    identity.write_text(SAMPLE.read_text())
    report = tmp_path / "cmp"
    result = invoke("eval", "compare", rules_run, identity, "--raw", SAMPLE, "-o", report, "--sample", "5",
                    "--no-pii-names")
    assert result.exit_code == 0, result.output
    n = json.loads((report / "report.json").read_text())
    assert list(n["variants"]) == ["out", "identity.jsonl"]
    kept = n["table"]["share of words kept"]
    assert kept["identity.jsonl"] == 1.0 and 0 < kept["out"] < 1
    assert n["table"]["documents untouched"]["identity.jsonl"] == 1.0
    assert n["table"]["distinct-2"]["raw"] == n["table"]["distinct-2"]["identity.jsonl"]
    md = (report / "report.md").read_text()
    assert "| share of words kept |  | " in md and "identity.jsonl" in md
    # without --raw, a run directory is compared with the input its run.json records
    again = invoke("eval", "compare", rules_run, "-o", tmp_path / "cmp2", "--sample", "5", "--no-pii-names")
    assert again.exit_code == 0, again.output


def test_encoder_auto_measures_embedding_spread(corpora):
    raw, refined, _ = corpora
    encoder = Encoder(resolve_encoder("auto"), max_length=64)
    n = evaluate_data(read_raw(str(raw)), read_refined(str(refined)), encoder=encoder, pii_names=False).numbers
    for side in ("raw", "refined"):
        assert 0.0 < n["diversity"][side]["embedding_distance"] < 2.0
    assert n["diversity"]["encoder"].endswith("model")


def test_a_classifier_scorer_scores_probabilities(tmp_path, corpora):
    from transformers import AutoConfig, AutoModelForSequenceClassification

    tokenizer = train_tokenizer(list(RAW.values()) * 4, vocab_size=300)
    config = AutoConfig.for_model("llama", vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                  num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, num_labels=2,
                                  pad_token_id=tokenizer.pad_token_id)
    AutoModelForSequenceClassification.from_config(config).save_pretrained(tmp_path / "clf")
    tokenizer.save_pretrained(tmp_path / "clf")
    scorer = Scorer(str(tmp_path / "clf"))
    assert scorer.kind == "classifier"
    raw, refined, _ = corpora
    q = evaluate_data(read_raw(str(raw)), read_refined(str(refined)), scorer=scorer, pii_names=False).numbers["quality"]
    assert 0.0 <= q["raw"]["mean_score"] <= 1.0 and q["raw"]["docs"] == 5 and q["refined"]["docs"] == 3
