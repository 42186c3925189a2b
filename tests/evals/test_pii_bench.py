"""The PII benchmark: deterministic, splits that share nothing, and a scorer that tells leaks from losses."""

from __future__ import annotations

from evals.pii_bench import PII_KINDS, PUBLIC_KINDS, _POOLS, make_docs, read_docs, write_docs
from evals.pii_score import score, survives


def test_documents_are_deterministic_and_every_span_points_at_its_text():
    a, b = make_docs("heldout", 30, seed=3), make_docs("heldout", 30, seed=3)
    assert [d.to_json() for d in a] == [d.to_json() for d in b]
    assert [d.text for d in make_docs("heldout", 30, seed=4)] != [d.text for d in a]
    for doc in a:
        for span in doc.pii + doc.public:
            assert doc.text[span.start:span.end] == span.text


def test_every_kind_and_layout_is_planted():
    docs = make_docs("train", 80) + make_docs("heldout", 80)
    assert {s.kind for d in docs for s in d.pii} == set(PII_KINDS)
    assert {s.kind for d in docs for s in d.public} == set(PUBLIC_KINDS)
    assert {d.layout for d in docs} == {"prose", "list", "signature", "form", "public"}
    assert any(not d.pii and d.public for d in docs)


def test_train_and_heldout_share_no_names_or_templates():
    for pool in ("first", "last", "street", "city", "company", "figure", "product", "domain"):
        assert not set(_POOLS["train"][pool]) & set(_POOLS["heldout"][pool]), pool
    train = {d.text for d in make_docs("train", 60)}
    held_names = {s.text for d in make_docs("heldout", 60) for s in d.pii if s.kind == "name"}
    assert not any(name in text for name in held_names for text in train)


def test_the_target_replaces_every_person_and_keeps_every_public_fact(tmp_path):
    docs = make_docs("train", 40)
    assert read_docs(write_docs(docs, tmp_path / "d.jsonl"))[0].to_json() == docs[0].to_json()
    oracle = score(docs, {d.id: d.target for d in docs})
    assert oracle["recall"] == 1.0 and oracle["precision"] == 1.0 and oracle["f1"] == 1.0
    assert oracle["novel_words_per_1k_outside_pii"] == 0.0
    assert oracle["consistent_people"] == 1.0 and oracle["people_named_twice"] > 0
    assert set(oracle["public_kept_by_kind"].values()) == {1.0}


def test_the_source_itself_leaks_everything_and_a_drop_loses_the_public_facts():
    docs = make_docs("heldout", 40)
    same = score(docs, {d.id: d.text for d in docs})
    assert same["recall"] == 0.0 and same["f1"] == 0.0 and same["novel_words_per_1k_outside_pii"] == 0.0
    dropped = score(docs, {})
    assert dropped["recall"] == 1.0 and dropped["missing"] == dropped["dropped"] == 40
    assert dropped["precision"] < 1.0 and set(dropped["public_kept_by_kind"].values()) == {0.0}


def test_inventions_outside_pii_and_inconsistent_stand_ins_are_counted():
    (doc,) = [d for d in make_docs("train", 20) if d.layout == "prose" and "reach" in d.text][:1]
    person = doc.pii[0].text
    out = doc.target.replace("committee", "board of governors")
    s = score([doc], {doc.id: out})
    assert s["novel_words_per_1k_outside_pii"] > 0 and s["recall"] == 1.0
    first_fake = doc.target.split("Last week ")[1].split()[0]
    inconsistent = doc.target.replace(f"reach {first_fake}", "reach Someone")
    assert score([doc], {doc.id: inconsistent})["consistent_people"] == 0.0
    assert score([doc], {doc.id: doc.target})["consistent_people"] == 1.0
    assert person.split()[0] in doc.text


def test_survival_rules_per_kind():
    from evals.pii_bench import Span
    assert survives(Span("phone", 0, 12, "555-201-7788", "p"), "call (555) 201 7788")
    assert not survives(Span("phone", 0, 12, "555-201-7788", "p"), "call 555-999-1111")
    assert survives(Span("name", 0, 9, "Anna Berg", "p"), "Dear Ms Berg,")
    assert not survives(Span("name", 0, 9, "Anna Berg", "p"), "Dear Ms Bergman,")
    assert survives(Span("email", 0, 16, "anna@example.com", "p"), "anna@other.org")
    assert survives(Span("url", 0, 26, "https://github.com/annab", "p"), "see gitlab.com/annab")
    assert survives(Span("address", 0, 20, "12 Elm Street, Milton", "p"), "at 12 Elm Street")
