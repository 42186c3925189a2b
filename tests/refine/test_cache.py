"""The SQLite request cache: hits across instances and reopenings, misses on any parameter change."""

from __future__ import annotations

import sqlite3

from refine.backends import build_backend
from refine.backends.base import Backend, Completion, Grammar, Request
from refine.backends.cache import CachedBackend
from refine.options import RunOptions


class CountingBackend(Backend):
    """Answers from the prompt and counts what it was asked; 'fail' prompts come back as errors."""

    def __init__(self, model: str = "m"):
        self.model = model
        self.asked: list[Request] = []
        self.closed = False

    def generate(self, requests):
        self.asked.extend(requests)
        return [
            Completion(text="", finish_reason="error", error="server said no") if r.prompt == "fail"
            else Completion(text=f"{r.prompt}->{r.max_new_tokens}", prompt_tokens=1, completion_tokens=2)
            for r in requests
        ]

    def close(self):
        self.closed = True


def test_hits_across_instances_and_reopened_files(tmp_path):
    path = tmp_path / "cache.sqlite"
    requests = [Request(prompt="a"), Request(prompt="b")]
    first = CachedBackend(CountingBackend(), path)
    out = first.generate(requests)
    assert [c.text for c in out] == ["a->256", "b->256"] and not any(c.cached for c in out)
    first.close()

    inner = CountingBackend()
    second = CachedBackend(inner, path)
    again = second.generate([Request(prompt="b"), Request(prompt="c"), Request(prompt="a")])
    assert [c.text for c in again] == ["b->256", "c->256", "a->256"]
    assert [c.cached for c in again] == [True, False, True]
    assert again[0].completion_tokens == 2
    assert [r.prompt for r in inner.asked] == ["c"]
    assert (second.hits, second.misses) == (2, 1) and len(second) == 3
    second.close()
    assert inner.closed


def test_two_open_instances_share_one_file(tmp_path):
    path = tmp_path / "cache.sqlite"
    writer, reader_inner = CachedBackend(CountingBackend(), path), CountingBackend()
    reader = CachedBackend(reader_inner, path)
    writer.generate([Request(prompt="x")])
    assert reader.generate([Request(prompt="x")])[0].cached
    assert reader_inner.asked == []
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_any_parameter_or_model_change_is_a_miss(tmp_path):
    path = tmp_path / "cache.sqlite"
    inner = CountingBackend()
    cache = CachedBackend(inner, path)
    base = Request(prompt="p")
    variants = [
        base,
        Request(prompt="p", max_new_tokens=5),
        Request(prompt="p", temperature=0.7),
        Request(prompt="p", stop=("\n",)),
        Request(prompt="p", grammar=Grammar("lark", 'start: "x"')),
        Request(messages=({"role": "user", "content": "p"},)),
    ]
    cache.generate(variants)
    assert len(inner.asked) == len(variants)
    other_model = CachedBackend(CountingBackend(model="other"), path)
    assert not other_model.generate([base])[0].cached


def test_errors_are_not_cached_and_duplicates_generate_once(tmp_path):
    inner = CountingBackend()
    cache = CachedBackend(inner, tmp_path / "cache.sqlite")
    out = cache.generate([Request(prompt="fail"), Request(prompt="d"), Request(prompt="d")])
    assert out[0].error == "server said no" and out[1].text == out[2].text == "d->256"
    assert [r.prompt for r in inner.asked] == ["fail", "d"]
    retried = cache.generate([Request(prompt="fail")])
    assert retried[0].error and not retried[0].cached
    assert [r.prompt for r in inner.asked] == ["fail", "d", "fail"]


def test_build_backend_wraps_with_the_cache_only_when_asked(tiny_model_dir, tmp_path):
    opts = RunOptions(backend="transformers", model=str(tiny_model_dir), device="cpu",
                      cache=str(tmp_path / "c.sqlite"))
    cached = build_backend(opts)
    assert isinstance(cached, CachedBackend) and cached.model == str(tiny_model_dir)
    request = Request(prompt="hello", max_new_tokens=4)
    fresh, hit = cached.generate([request])[0], cached.generate([request])[0]
    assert hit.cached and hit.text == fresh.text and not fresh.cached
    cached.close()
    opts.cache = None
    plain = build_backend(opts)
    assert not isinstance(plain, CachedBackend)
    plain.close()
