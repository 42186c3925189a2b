"""The openai and sglang backends against loopback servers: payloads, retries, limits, balancing."""

from __future__ import annotations

import asyncio
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from refine.backends import build_backend
from refine.backends.base import BackendError, Grammar, Request
from refine.backends.http import base_urls, retry_after_seconds
from refine.backends.openai_backend import OpenAIBackend
from refine.backends.sglang_backend import SglangBackend
from refine.options import RunOptions
from tests.refine.tinyserver import LoopbackServer, Reply, free_port, openai_reply


def fast_backend(url: str, **kwargs) -> OpenAIBackend:
    """Retries in milliseconds, so tests of failure paths stay fast."""
    return OpenAIBackend(url, backoff_s=0.001, **{"timeout_s": 5.0, "max_retries": 3, **kwargs})


def test_completions_payload_usage_and_order():
    with LoopbackServer(openai_reply) as server:
        backend = fast_backend(server.url, model="m", concurrency=4)
        requests = [Request(prompt=f"p{i} x", max_new_tokens=7, stop=("\n",)) for i in range(6)]
        out = backend.generate(requests)
    assert [c.text for c in out] == [f"echo:p{i} x" for i in range(6)]
    assert all(c.error is None and c.prompt_tokens == 2 and c.completion_tokens == 2 for c in out)
    body = server.calls_to("/v1/completions")[0].body
    assert body["model"] == "m" and body["max_tokens"] == 7 and body["stop"] == ["\n"]
    assert body["temperature"] == 0.0 and body["top_p"] == 1.0
    assert "regex" not in body and "ebnf" not in body


def test_chat_messages_go_to_chat_completions_and_model_comes_from_the_server():
    with LoopbackServer(openai_reply) as server:
        backend = fast_backend(server.url)  # no model given: the first one /v1/models lists
        messages = ({"role": "system", "content": "s"}, {"role": "user", "content": "hi"})
        out = backend.generate([Request(messages=messages)])
    assert backend.model == "tiny"
    assert out[0].text == "chat:hi" and out[0].finish_reason == "length"
    assert out[0].prompt_tokens == 7 and out[0].completion_tokens == 3
    assert server.calls_to("/v1/chat/completions")[0].body["messages"] == list(messages)


def test_429_and_500_are_retried_then_succeed():
    def respond(call):
        if call.path == "/v1/completions" and call.number == 0:
            return Reply(status=429, body={"error": "slow down"})
        if call.path == "/v1/completions" and call.number == 1:
            return Reply(status=500, body={"error": "boom"})
        return openai_reply(call)

    with LoopbackServer(respond) as server:
        backend = fast_backend(server.url)
        out = backend.generate([Request(prompt="a")])
    assert out[0].text == "echo:a" and out[0].error is None
    assert backend.retries == 2
    assert len(server.calls_to("/v1/completions")) == 3


def test_retry_after_is_honoured():
    def respond(call):
        if call.path == "/v1/completions" and call.number == 0:
            return Reply(status=429, headers={"Retry-After": "0.4"})
        return openai_reply(call)

    with LoopbackServer(respond) as server:
        backend = fast_backend(server.url)
        start = time.perf_counter()
        out = backend.generate([Request(prompt="a")])
        elapsed = time.perf_counter() - start
    assert out[0].error is None
    assert elapsed >= 0.4  # backoff alone would have waited about a millisecond


def test_retry_after_parsing():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after_seconds(later) <= 30


def test_timeout_is_retried():
    def respond(call):
        if call.path == "/v1/completions" and call.number == 0:
            return Reply(delay_s=1.0, body={})
        return openai_reply(call)

    with LoopbackServer(respond) as server:
        backend = fast_backend(server.url, timeout_s=0.2)
        out = backend.generate([Request(prompt="a")])
    assert out[0].text == "echo:a" and backend.retries == 1


def test_a_request_that_keeps_failing_becomes_an_error_completion():
    def respond(call):
        if call.path == "/v1/completions" and call.body["prompt"] == "bad":
            return Reply(status=503, body={"error": "overloaded"})
        return openai_reply(call)

    with LoopbackServer(respond) as server:
        backend = fast_backend(server.url, max_retries=2)
        out = backend.generate([Request(prompt="good"), Request(prompt="bad"), Request(prompt="fine")])
    assert out[0].text == "echo:good" and out[2].text == "echo:fine"
    assert out[1].finish_reason == "error" and "HTTP 503" in out[1].error and "2 retries" in out[1].error
    assert sum(1 for c in server.calls_to("/v1/completions") if c.body["prompt"] == "bad") == 3


def test_client_errors_are_not_retried():
    def respond(call):
        if call.path == "/v1/completions":
            return Reply(status=400, body={"error": "context too long"})
        return openai_reply(call)

    with LoopbackServer(respond) as server:
        backend = fast_backend(server.url)
        out = backend.generate([Request(prompt="a")])
    assert out[0].finish_reason == "error" and "context too long" in out[0].error
    assert len(server.calls_to("/v1/completions")) == 1 and backend.retries == 0


def test_unreachable_server_fails_at_start_with_a_hint():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(BackendError) as info:
        OpenAIBackend(url, model="m", timeout_s=2.0)
    assert url in str(info.value) and "--base-url" in str(info.value)
    assert "sglang.launch_server" in str(info.value)


def test_concurrency_bound_is_respected():
    def respond(call):
        reply = openai_reply(call)
        reply.delay_s = 0.05 if call.path == "/v1/completions" else 0.0
        return reply

    with LoopbackServer(respond) as server:
        backend = fast_backend(server.url, concurrency=3)
        out = backend.generate([Request(prompt=str(i)) for i in range(12)])
    assert [c.text for c in out] == [f"echo:{i}" for i in range(12)]
    assert server.max_in_flight == 3


def test_round_robin_over_several_servers():
    with LoopbackServer(openai_reply) as one, LoopbackServer(openai_reply) as two:
        backend = fast_backend(f"{one.url}/v1/, {two.url}", model="m")
        out = backend.generate([Request(prompt=str(i)) for i in range(6)])
    assert all(c.error is None for c in out)
    assert len(one.calls_to("/v1/completions")) == 3 and len(two.calls_to("/v1/completions")) == 3
    assert len(one.calls_to("/v1/models")) == 1 and len(two.calls_to("/v1/models")) == 1


def test_base_urls_are_normalised():
    assert base_urls(" http://a:1/v1/ ,b:2,") == ["http://a:1", "http://b:2"]
    assert base_urls(None) == []


def test_api_key_from_options_or_environment(monkeypatch):
    with LoopbackServer(openai_reply) as server:
        fast_backend(server.url, api_key="k1").generate([Request(prompt="a")])
        monkeypatch.setenv("OPENAI_API_KEY", "k2")
        fast_backend(server.url).generate([Request(prompt="b")])
    keys = [c.headers.get("Authorization") for c in server.calls_to("/v1/completions")]
    assert keys == ["Bearer k1", "Bearer k2"]


def test_rejected_api_key_fails_at_start():
    with LoopbackServer(lambda call: Reply(status=401, body={"error": "bad key"})) as server:
        with pytest.raises(BackendError, match="--api-key"):
            fast_backend(server.url, api_key="wrong")


@pytest.mark.parametrize(
    ("owner", "grammar", "expected"),
    [
        ("sglang", Grammar("lark", 'start: "a"'), {"ebnf": '%llguidance {}\nstart: "a"'}),
        ("sglang", Grammar("regex", "a+"), {"regex": "a+"}),
        ("vllm", Grammar("regex", "a+"), {"structured_outputs": {"regex": "a+"}}),
        ("vllm", Grammar("lark", 'start: "a"'), {"structured_outputs": {"grammar": 'start: "a"'}}),
    ],
)
def test_grammar_travels_in_the_servers_dialect(owner, grammar, expected):
    with LoopbackServer(lambda call: openai_reply(call, owner=owner)) as server:
        backend = fast_backend(server.url)
        backend.generate([Request(prompt="a", grammar=grammar)])
    body = server.calls_to("/v1/completions")[0].body
    assert {k: body[k] for k in expected} == expected
    assert backend.grammar_style == owner


def test_async_and_sync_generate_work_inside_a_running_loop():
    with LoopbackServer(openai_reply) as server:
        backend = fast_backend(server.url)

        async def main():
            first = await backend.agenerate([Request(prompt="a")])
            second = backend.generate([Request(prompt="b")])  # sync call from async code
            return first[0].text, second[0].text

        assert asyncio.run(main()) == ("echo:a", "echo:b")


def test_build_backend_openai_from_options():
    with LoopbackServer(openai_reply) as server:
        opts = RunOptions(backend="openai", base_url=server.url, concurrency=2, max_retries=1)
        backend = build_backend(opts)
        assert backend.model == "tiny" and backend.concurrency == 2
        assert backend.generate([Request(prompt="z")])[0].text == "echo:z"
        backend.close()


# --- sglang native /generate -------------------------------------------------------------------

SAMPLING_KEYS = {"temperature", "top_p", "max_new_tokens", "stop", "regex", "ebnf", "json_schema"}


def sglang_reply(call, finish=None):
    """A fake sglang server that checks the documented /generate request shape and answers it."""
    if call.path == "/get_model_info":
        return Reply(body={"model_path": "org/served-model", "tokenizer_path": "org/served-model"})
    if call.path != "/generate":
        return Reply(status=404)
    body = call.body
    problems = []
    if set(body) != {"text", "sampling_params"}:
        problems.append(f"keys {sorted(body)}")
    texts, params = body.get("text"), body.get("sampling_params")
    if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)):
        problems.append("text must be a list of strings")
    if not (isinstance(params, list) and len(params) == len(texts or [])):
        problems.append("sampling_params must be a list, one per text")
    for p in params or []:
        if not set(p) <= SAMPLING_KEYS or not {"temperature", "max_new_tokens"} <= set(p):
            problems.append(f"sampling params {sorted(p)}")
        if len(set(p) & {"regex", "ebnf", "json_schema"}) > 1:
            problems.append("more than one constraint")
    if problems:
        return Reply(status=400, body={"error": "; ".join(problems)})
    reason = finish or {"type": "stop", "matched": 2}
    return Reply(body=[
        {"text": f"out:{t[-6:]}", "meta_info": {"prompt_tokens": len(t), "completion_tokens": p["max_new_tokens"],
                                                "finish_reason": reason}}
        for t, p in zip(texts, params)
    ])


def test_sglang_native_payload_batches_and_mapping():
    with LoopbackServer(sglang_reply) as server:
        backend = SglangBackend(base_url=server.url, batch_size=2, backoff_s=0.001)
        requests = [Request(prompt=f"prompt{i}", max_new_tokens=i + 1, stop=("\n",)) for i in range(5)]
        requests.append(Request(prompt="constrained", grammar=Grammar("lark", 'start: "keep_doc()"')))
        out = backend.generate(requests)
    assert backend.model == "org/served-model"
    assert [c.text for c in out] == ["out:rompt0", "out:rompt1", "out:rompt2", "out:rompt3", "out:rompt4",
                                     "out:rained"]
    assert [c.completion_tokens for c in out[:5]] == [1, 2, 3, 4, 5]
    assert all(c.error is None and c.finish_reason == "stop" and c.prompt_tokens > 0 for c in out)
    posts = server.calls_to("/generate")
    assert [len(p.body["text"]) for p in posts] == [2, 2, 2]
    sent = {text: params for p in posts for text, params in zip(p.body["text"], p.body["sampling_params"])}
    assert sent["constrained"]["ebnf"] == '%llguidance {}\nstart: "keep_doc()"'
    assert "regex" not in sent["constrained"]
    assert sent["prompt0"] == {"temperature": 0.0, "top_p": 1.0, "max_new_tokens": 1, "stop": ["\n"]}


def test_sglang_finish_reasons():
    with LoopbackServer(lambda call: sglang_reply(call, finish={"type": "length", "length": 3})) as server:
        out = SglangBackend(base_url=server.url).generate([Request(prompt="a")])
    assert out[0].finish_reason == "length"
    aborted = {"type": "abort", "message": "grammar compile failed"}
    with LoopbackServer(lambda call: sglang_reply(call, finish=aborted)) as server:
        out = SglangBackend(base_url=server.url).generate([Request(prompt="a")])
    assert out[0].finish_reason == "error" and "grammar compile failed" in out[0].error


def test_sglang_chat_messages_are_rendered_with_the_chat_template(tiny_model_dir):
    with LoopbackServer(sglang_reply) as server:
        backend = SglangBackend(str(tiny_model_dir), base_url=server.url)
        backend.generate([Request(messages=({"role": "user", "content": "hello"},))])
    sent = server.calls_to("/generate")[0].body["text"][0]
    assert sent == "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"
    assert backend.model == str(tiny_model_dir)


def test_sglang_without_package_or_server_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sglang(name, *args, **kwargs):
        if name == "sglang":
            raise ImportError("No module named 'sglang'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sglang)
    with pytest.raises(BackendError, match=r"pip install 'refine\[sglang\]'"):
        build_backend(RunOptions(backend="sglang", model="some/model"))


def test_sglang_unreachable_server():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(BackendError, match="launch_server"):
        SglangBackend(base_url=url, timeout_s=2.0)
