"""Loopback HTTP servers for backend tests: 127.0.0.1, an ephemeral port, a thread, a script.

A test gives a `respond(call) -> Reply` function; the server records every call and the most requests
it had in flight at once, so tests can check retries, balancing and concurrency bounds.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops concurrent connects (1 s SYN retry)


@dataclass
class Call:
    method: str
    path: str
    body: object
    headers: dict
    number: int  # 0-based count of calls to this path so far


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0


class LoopbackServer:
    def __init__(self, respond: Callable[[Call], Reply]):
        self.respond = respond
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def __enter__(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between headers and body

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                self._serve(None)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                self._serve(json.loads(raw) if raw else None)

            def _serve(self, body):
                with server._lock:
                    number = sum(1 for c in server.calls if c.path == self.path)
                    call = Call(self.command, self.path, body, dict(self.headers), number)
                    server.calls.append(call)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server.respond(call)
                    time.sleep(reply.delay_s)
                    data = json.dumps(reply.body).encode()
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    with server._lock:
                        server.in_flight -= 1

        return Handler


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openai_reply(call: Call, text: Callable[[dict], str] | None = None, owner: str = "sglang") -> Reply:
    """A well-formed OpenAI-compatible answer: model list, completion, or chat completion."""
    if call.path == "/v1/models":
        return Reply(body={"object": "list", "data": [{"id": "tiny", "object": "model", "owned_by": owner}]})
    body = call.body or {}
    if call.path == "/v1/completions":
        answer = text(body) if text else "echo:" + body["prompt"]
        return Reply(body={
            "choices": [{"index": 0, "text": answer, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(body["prompt"].split()), "completion_tokens": len(answer.split())},
        })
    if call.path == "/v1/chat/completions":
        answer = text(body) if text else "chat:" + body["messages"][-1]["content"]
        return Reply(body={
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "finish_reason": "length"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        })
    return Reply(status=404, body={"error": f"no route {call.path}"})
