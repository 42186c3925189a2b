"""`refine annotate`: the synthetic expert (determinism, labels that match programs, disjoint splits,
stats), the programs and edits experts with a scripted backend, and the command."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from programs.apply import apply
from programs.lines import split_lines
from programs.ops import KeepChunk, Program, RemoveLines, RemoveStr
from programs.render import render
from refine.annotate import boilerplate as B
from refine.annotate import negatives as N
from refine.annotate import sources as S
from refine.annotate.dataset import Prompter, Stats, labels_from_program, load_annotations, program_from_labels
from refine.annotate.experts import annotate_edits, annotate_programs, parse_judgement
from refine.annotate.synthetic import generate_synthetic, label_runs, write_synthetic
from refine.document import Document

from fake_backend import FakeBackend

# Bundled sources only: the tests never depend on apt lists or installed manual pages.
TRAIN = ("stdlib",)
HELDOUT = ("licenses",)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("sources")


@pytest.fixture(scope="module")
def train_samples(cache):
    return list(generate_synthetic(120, seed=7, split="train", sources=TRAIN, cache_dir=cache))


@pytest.fixture(scope="module")
def heldout_samples(cache):
    return list(generate_synthetic(120, seed=7, split="heldout", sources=HELDOUT, cache_dir=cache))


# ---- synthetic expert ---------------------------------------------------------------------------


def test_same_seed_same_samples_and_another_seed_differs(cache, train_samples):
    again = list(generate_synthetic(120, seed=7, split="train", sources=TRAIN, cache_dir=cache))
    assert again == train_samples
    other = list(generate_synthetic(20, seed=8, split="train", sources=TRAIN, cache_dir=cache))
    assert [s.text for s in other] != [s.text for s in train_samples[:20]]
    # Sample i depends on (seed, split, i) only: a shorter run is a prefix of a longer one.
    assert list(generate_synthetic(5, seed=7, split="train", sources=TRAIN, cache_dir=cache)) == train_samples[:5]


@pytest.mark.parametrize("which", ["train_samples", "heldout_samples"])
def test_program_reproduces_the_clean_text(which, request):
    samples = request.getfixturevalue(which)
    for s in samples:
        assert len(s.labels) == len(split_lines(s.text)) == len(s.line_kinds)
        result = apply(s.text, s.program())
        assert not result.errors, (s.id, result.errors)
        if s.drop:
            assert not result.kept and set(s.labels) == {1}
        else:
            assert result.text == s.clean, s.id
            # Kept lines are exactly the content lines (separators follow their neighbours).
            for label, kind in zip(s.labels, s.line_kinds):
                if kind.startswith("content:"):
                    assert label == 0
                elif kind != "sep":
                    assert label == 1


def test_samples_mix_layouts_negatives_and_inline_junk(train_samples):
    layouts = Counter(s.layout.split(":")[0] for s in train_samples)
    assert {"plain", "light", "generic", "kit", "negative"} <= set(layouts)
    assert any(s.remove_strs for s in train_samples)
    kept = [s for s in train_samples if not s.drop]
    removed = sum(sum(s.labels) for s in kept) / sum(len(s.labels) for s in kept)
    assert 0.1 < removed < 0.7
    # Short content lines (headings, items, code) are kept: short does not mean boilerplate.
    short_kept = [b for s in kept for b, lab in zip(s.text.split("\n"), s.labels) if lab == 0 and 0 < len(b) < 30]
    assert len(short_kept) > 50


def test_train_and_heldout_share_no_template_source_or_document(train_samples, heldout_samples):
    train_t = {t.name for t in B.TEMPLATES if t.family == "train"}
    held_t = {t.name for t in B.TEMPLATES if t.family == "heldout"}
    assert train_t and held_t and not train_t & held_t
    assert set(B.KITS["train"]).isdisjoint(B.KITS["heldout"])
    assert not set(S.TRAIN_SOURCES) & set(S.HELDOUT_SOURCES)
    assert {n for n, (f, _) in N.NEGATIVES.items() if f == "train"}.isdisjoint(
        {n for n, (f, _) in N.NEGATIVES.items() if f == "heldout"})
    used_train = {t for s in train_samples for t in s.templates}
    used_held = {t for s in heldout_samples for t in s.templates}
    assert used_train <= train_t and used_held <= held_t
    assert {d for s in train_samples for d in s.doc_ids}.isdisjoint({d for s in heldout_samples for d in s.doc_ids})
    assert {s.source for s in heldout_samples} <= {*HELDOUT, "negative"}


def _kept_kinds(samples) -> Counter:
    return Counter(k for s in samples if not s.drop for k, lab in zip(s.line_kinds, s.labels) if lab == 0)


@pytest.mark.parametrize("which", ["train_samples", "heldout_samples"])
def test_page_titles_sit_between_chrome_and_body_and_are_kept(which, request):
    samples = request.getfixturevalue(which)
    titled = [s for s in samples if "content:title" in s.line_kinds]
    assert len(titled) > 10
    # Some titles come right after header chrome, before the byline/breadcrumb and the body.
    after_chrome = 0
    for s in titled:
        at = s.line_kinds.index("content:title")
        before = [k for k in s.line_kinds[:at] if k != "sep"]
        assert s.labels[at] == 0
        after_chrome += bool(before) and not before[-1].startswith("content:")
    assert after_chrome > 5
    # Titles with the site's name after them are content too.
    assert any(" | " in line or " - " in line or " – " in line for s in titled
               for line, k in zip(s.text.split("\n"), s.line_kinds) if k == "content:title")


def test_short_line_web_content_is_kept(train_samples, heldout_samples):
    from refine.annotate import webcontent as W

    for samples in (train_samples, heldout_samples):
        kept = [line for s in samples if not s.drop for line, lab in zip(s.text.split("\n"), s.labels) if lab == 0]
        # Recipe ingredients, spec rows and dialogue lines: short lines, all labelled keep.
        assert any(any(f in line for f in W._FOODS) and len(line) < 60 for line in kept)
        assert any(k in line for line in kept for k, _ in W._SPECS)
        assert _kept_kinds(samples)["content:row"] > 0
    # Every maker gives blocks of content kinds, and a product page leads with its name.
    rng = __import__("random").Random(0)
    for name, make in W.MAKERS.items():
        blocks = make(rng, ["alpha", "beta", "gamma"])
        assert blocks and {k for k, _ in blocks} <= {S.HEADING, S.PARA, S.ITEM, S.CODE, S.ROW}, name
    page = W.product_page(rng, "train", ["alpha", "beta"], ["A long description of the product."])
    assert page[0][0] == S.HEADING and sum(len(t) < 60 for _, t in page) >= 4


def test_documentation_kits_have_their_own_chrome_in_each_family():
    for family, must in (("train", ("rtd_theme", "furo", "pydata", "alabaster", "manweb", "sphinx")),
                         ("heldout", ("mkdocs_rtd", "sphinx_book", "javadoc", "man2html"))):
        assert set(must) <= set(B.KITS[family])
        for kit in must:
            assert B.templates(family, kit=kit), kit
    rng = __import__("random").Random(3)
    ctx = B.Ctx(rng, B.Site.make(rng), "A page title", ["alpha", "beta", "gamma"], ["Other page one", "Other page two"],
                ["First heading"])
    train_lines = {line for t in B.templates("train") if t.kit != "generic" for _ in range(20) for line in t.make(ctx)}
    held_lines = {line for t in B.templates("heldout") if t.kit != "generic" for _ in range(20) for line in t.make(ctx)}
    assert "Built with Sphinx using a theme provided by Read the Docs." in train_lines
    assert "Built with Sphinx using a theme provided by Read the Docs." not in held_lines


def test_unknown_split_is_refused(cache):
    with pytest.raises(ValueError, match="split"):
        next(generate_synthetic(1, split="validation", sources=TRAIN, cache_dir=cache))


def test_written_dataset_rows_and_stats_agree(tmp_path, cache):
    stats = write_synthetic(tmp_path / "ds", 40, seed=1, split="train", sources=TRAIN, cache_dir=cache)
    docs = load_annotations(tmp_path / "ds", stage="doc")
    chunks = load_annotations(tmp_path / "ds", stage="chunk")
    written = json.loads((tmp_path / "ds" / "stats.json").read_text())
    assert len(docs) == 40 == sum(written["docs"].values())
    assert written["kept"] == {"doc": 40, "chunk": len(chunks)}
    assert written["lines"]["remove"] == sum(sum(r["labels"]) for r in docs)
    assert sum(v["kept"] for v in written["by_source"].values()) == 40
    assert written["by_template"] == dict(sorted(stats.by_template.items()))
    for row in docs:
        assert row["program"] == ("drop_doc()" if row["doc_label"] else "keep_doc()")
        assert row["prompt"] and row["text"].startswith(row["prompt"][:50])
    by_doc = {r["doc_id"]: r for r in docs}
    for row in chunks:
        doc = by_doc[row["doc_id"]]
        lo, hi = row["scope"]
        assert row["prompt"].startswith("[doc]\n") and row["prompt"].endswith("\n[/doc]")
        assert f"[{lo:03d}]" in row["prompt"] and f"[{hi + 1:03d}]" not in row["prompt"]
        expected = render(program_from_labels(doc["labels"], (), (lo, hi))).splitlines()
        written = row["program"].splitlines()
        assert [l for l in written if l.startswith("remove_lines")] == [l for l in expected if l.startswith("remove_lines")]
        assert written == ["keep_chunk()"] or all(l.startswith(("remove_lines", "remove_str")) for l in written)


def test_labels_programs_and_runs_round_trip():
    labels = [1, 1, 0, 0, 1, 0, 1]
    assert label_runs(labels) == [(0, 1), (4, 4), (6, 6)]
    text = "\n".join(f"line {i}" for i in range(7))
    program = program_from_labels(labels, [(2, " 2")])
    assert program.ops == (RemoveStr(2, " 2"), RemoveLines(0, 1), RemoveLines(4, 4), RemoveLines(6, 6))
    assert labels_from_program(text, program) == labels
    assert apply(text, program).text == "line\nline 3\nline 5"  # ends as the text did
    assert program_from_labels([0, 0], (), (0, 1)).ops == (KeepChunk(),)


# ---- sources ------------------------------------------------------------------------------------


def test_plain_text_blocks():
    text = "Title Here\n\nA paragraph that is\nwrapped over lines.\n\n - one item\n - two\n   continued\n\n    x = f(1)\n    y = g(x)\n"
    assert S.blocks_from_plain(text) == [
        ("heading", "Title Here"), ("para", "A paragraph that is wrapped over lines."),
        ("item", "one item"), ("item", "two continued"), ("code", "x = f(1)\ny = g(x)")]


def test_markdown_blocks():
    md = "# Tool\n\nFast **and** [simple](http://x).\n\n- a\n- b\n\n```py\nprint(1)\n```\n\n| k | v |\n|---|---|\n| 1 | 2 |\n"
    assert S._markup_blocks(md) == [("heading", "Tool"), ("para", "Fast and simple."), ("item", "a"), ("item", "b"),
                                   ("code", "print(1)"), ("row", "k\tv"), ("row", "1\t2")]


def test_sources_are_cached_and_deterministic(tmp_path):
    first = S.load_source("licenses", tmp_path)
    assert first and list(tmp_path.glob("licenses.*.jsonl.gz"))
    assert S.load_source("licenses", tmp_path) == first
    with pytest.raises(ValueError, match="unknown source"):
        S.load_source("nope", tmp_path)


# ---- model experts --------------------------------------------------------------------------------


PAGE = "Home | News | Contact\nLentils need no soaking.\nThey cook in twenty minutes. Share\n© 2024 Site\n"
SPAM = "cheap pills cheap pills\nbuy now buy now\n"


def test_doc_judgements_parse():
    j = parse_judgement("Score: 4\nReason: a clear recipe.\nProgram: keep_doc()")
    assert (j.keep, j.score, j.reason) == (True, 4.0, "a clear recipe.")
    assert parse_judgement("Score: 0\nReason: spam\ndrop_doc()").keep is False
    assert parse_judgement("I think it is fine") == "doc_no_decision"
    assert parse_judgement("keep_doc() or drop_doc()") == "doc_conflicting_decisions"


def test_programs_expert_merges_task_answers_and_counts_failures():
    docs = [Document("good", PAGE), Document("spam", SPAM), Document("mumble", "Some text\n"),
            Document("broken", "Menu\nA real sentence here.\n")]
    backend = FakeBackend([
        ("Judge whether", lambda r: ("Score: 0\nReason: spam\nProgram: drop_doc()" if "cheap pills" in r.messages[-1]["content"]
                                      else "no idea" if "Some text" in r.messages[-1]["content"]
                                      else "Score: 4\nReason: content\nProgram: keep_doc()")),
        ("[000]Menu", "remove_lines(line_start=0, line_end=0"),  # unparseable in every task
        ("Task: remove navigation", "remove_lines(line_start=0, line_end=0)"),
        ("Task: remove link clutter", 'remove_str(line=2, del_str=" Share")'),
        ("Task: remove page footers", "remove_lines(line_start=3, line_end=3)"),
    ])
    stats = Stats()
    rows = list(annotate_programs(docs, backend, stats, Prompter()))
    by_id = {r["id"]: r for r in rows}
    assert by_id["good/doc"]["labels"] == [1, 0, 0, 1] and by_id["good/doc"]["labels_complete"] is True
    assert by_id["good/chunk0"]["program"].splitlines() == [
        'remove_str(line=2, del_str=" Share")', "remove_lines(line_start=0, line_end=0)",
        "remove_lines(line_start=3, line_end=3)"]
    assert by_id["spam/doc"]["program"] == "drop_doc()" and "spam/chunk0" not in by_id
    assert "mumble/doc" not in by_id and stats.rejected["doc_no_decision"] == 1
    assert by_id["broken/doc"]["labels_complete"] is False and "broken/chunk0" not in by_id
    assert stats.rejected["chunk_invalid:syntax"] == 1


def test_edits_expert_derives_programs_and_rejects_rewrites():
    docs = [Document("a", PAGE), Document("b", "Intro line\nThe cat sat on the mat.\n"), Document("c", "x\n"),
            Document("d", SPAM)]
    edits = {"a": "Lentils need no soaking.\nThey cook in twenty minutes.\n",
             "b": "The dog, a large animal, stood on the rug and barked loudly.\n", "d": ""}
    stats = Stats()
    rows = list(annotate_edits(docs, stats, edits=edits))
    by_id = {r["id"]: r for r in rows}
    assert by_id["a/doc"]["labels"] == [1, 0, 0, 1]
    program = Program((RemoveStr(2, " Share"), RemoveLines(0, 0), RemoveLines(3, 3)))
    assert apply(PAGE, program).text == edits["a"]
    assert by_id["a/chunk0"]["program"] == render(Program(program.ops, (0, 3)))
    assert by_id["d/doc"]["doc_label"] == 1
    assert stats.rejected == Counter({"edit_not_deletion": 1, "no_edit": 1})


def test_edits_expert_with_a_model():
    backend = FakeBackend([("Lentils", "Lentils need no soaking.\nThey cook in twenty minutes. Share\n")])
    rows = list(annotate_edits([Document("a", PAGE)], Stats(), backend=backend))
    assert rows[0]["labels"] == [1, 0, 0, 1]
    with pytest.raises(ValueError, match="exactly one"):
        list(annotate_edits([], Stats()))


# ---- the command ----------------------------------------------------------------------------------


def test_annotate_command(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("REFINE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["annotate", "-", str(out), "--n", "15", "--sources", "stdlib"])
    assert result.exit_code == 0, result.output
    assert len(load_annotations(out, stage="doc")) == 15
    assert json.loads((out / "stats.json").read_text())["split"] == "train"

    edits = tmp_path / "edits.jsonl"
    edits.write_text(json.dumps({"id": "a", "edited": "Lentils need no soaking.\n"}) + "\n")
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(json.dumps({"id": "a", "text": "Menu\nLentils need no soaking.\n"}) + "\n")
    result = CliRunner().invoke(app, ["annotate", str(corpus), str(tmp_path / "e"), "--expert", "edits",
                                      "--edits", str(edits)])
    assert result.exit_code == 0, result.output
    assert load_annotations(tmp_path / "e", stage="doc")[0]["labels"] == [1, 0]

    bad = CliRunner().invoke(app, ["annotate", str(corpus), str(tmp_path / "p"), "--expert", "programs"])
    assert bad.exit_code == 2 and "--model" in bad.output
