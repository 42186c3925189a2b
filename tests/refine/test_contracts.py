"""The refiner and backend contracts: every hook is declared on the base class with a default, so the
pipeline, the executors and the refiners call hooks directly instead of probing for them."""

from __future__ import annotations

import sys
import types

import pytest

from refine.backends.base import Backend, Completion
from refine.backends.cache import CachedBackend
from refine.document import Document
from refine.options import RunOptions
from refine.refiners import UnknownRefiner, build_refiner
from refine.refiners.base import Refinement, Refiner


class Minimal(Refiner):
    def refine(self, docs):
        return [Refinement(d.id) for d in docs]


class Named(Minimal):
    name = "named"


class Child(Named):
    pass


def test_a_refiner_writes_refine_and_inherits_no_op_hooks():
    r = Minimal()
    doc = Document("a", "text")
    assert r.validate(doc) is None and r.needs_prepare is False
    assert r.prepare([doc]) is None and r.close() is None
    assert r.refine([doc])[0].doc_id == "a"


def test_names_default_to_the_class_and_are_inherited():
    assert Minimal.name == "Minimal" and Named().name == "named" and Child().name == "named"


def test_refine_must_be_written():
    class Nothing(Refiner):
        pass

    with pytest.raises(NotImplementedError, match="Nothing must implement refine"):
        Nothing().refine([])


def test_a_plugin_that_returns_no_refiner_is_refused_with_the_fix(monkeypatch):
    class Duck:
        def refine(self, docs):
            return []

    module = types.ModuleType("duck_refiner_plugin")
    module.from_options = lambda opts: Duck()
    monkeypatch.setitem(sys.modules, "duck_refiner_plugin", module)
    with pytest.raises(UnknownRefiner, match="returned a Duck, not a refiner: subclass refine.refiners.base.Refiner"):
        build_refiner(RunOptions(mode="duck_refiner_plugin"))


class Plain(Backend):
    model = "plain"

    def generate(self, requests):
        return [Completion("x") for _ in requests]


def test_backend_hooks_have_defaults_and_the_cache_forwards_them(tmp_path):
    plain = Plain()
    assert plain.grammar_kinds == ("lark",) and plain.tokenizer is None and plain.inner is None
    assert plain.close() is None
    plain.tokenizer = tok = object()  # in-process backends set their own
    cached = CachedBackend(plain, tmp_path / "cache.sqlite")
    try:
        assert cached.inner is plain and cached.tokenizer is tok and cached.grammar_kinds == ("lark",)
    finally:
        cached.close()
