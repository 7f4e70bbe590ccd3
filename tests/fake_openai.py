"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat API with scripted replies.

It stands in for the one thing that cannot run here, a paid remote API; everything
between `ask()` and the socket (the openai client, retries, streaming) is real.
Each scripted reply is a function of the request's JSON, so a reply can cite the
passage number the prompt gave a passage. `ScriptedChat` is the same script as an
in-process chat model, for tests where HTTP is not what is tested.
"""
from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from rag.llm import Message

Reply = Callable[[dict], "Response"]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: list[bytes] | None = None  # SSE events, sent with chunked encoding
    cut: bool = False  # drop the connection after the events, without the final chunk
    delay: float = 0.0  # before the reply
    gap: float = 0.0  # between streamed events (to watch an answer arrive word by word)


def completion(text: str) -> Response:
    """A chat.completion whose message is `text`."""
    body = {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }
    return Response(body=json.dumps(body).encode())


def streamed(pieces: list[str], cut: bool = False, gap: float = 0.0) -> Response:
    """chat.completion.chunk events, one per piece; with `cut`, no final chunk and no [DONE]."""
    def event(delta: dict, finish: str | None) -> bytes:
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(chunk)}\n\n".encode()

    events = [event({"role": "assistant", "content": p}, None) for p in pieces]
    if not cut:
        events += [event({}, "stop"), b"data: [DONE]\n\n"]
    return Response(stream=events, cut=cut, gap=gap)


def error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": code or "error", "code": code}}
    return Response(status=status, body=json.dumps(body).encode(), headers=headers or {})


def passage_number(request: dict, needle: str) -> int:
    """The number the prompt gave the passage that contains `needle` (0 if none does)."""
    prompt = request["messages"][-1]["content"]
    for block in re.split(r"\n\n(?=\[\d+\] )", prompt):
        m = re.match(r"\[(\d+)\] ", block)
        if m and needle in block:
            return int(m.group(1))
    return 0


def passage_count(request: dict) -> int:
    return len(re.findall(r"^\[\d+\] ", request["messages"][-1]["content"], re.M))


WARNING = "stand by Israel"  # in the passage with Hochstein's warning to Hezbollah


def warning_reply(messages: Sequence[Message]) -> str:
    """One sentence citing, by the number the prompt gave it, the passage with Hochstein's warning."""
    n = passage_number({"messages": list(messages)}, WARNING)
    return f"Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}]."


class ScriptedChat:
    """An in-process chat model (the `rag.llm.Chat` protocol, what a user's own model object looks like): records
    the messages it is sent and replies with the pieces `reply` gives for them, streamed one by one (a string:
    that reply, in one piece)."""

    name = "scripted"

    def __init__(self, reply: str | Callable[[list[Message]], list[str]]) -> None:
        self._reply = reply if callable(reply) else (lambda messages: [reply])
        self.requests: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens))

    def stream(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> Iterator[str]:
        self.requests.append(list(messages))
        yield from self._reply(list(messages))


class FakeOpenAI:
    """Serve scripted replies in order (the last one repeats); records every request's JSON."""

    def __init__(self, *replies: Reply | Response) -> None:
        self.replies = list(replies)
        self.requests: list[dict] = []
        handler = type("Handler", (_Handler,), {"owner": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def next_response(self, request: dict) -> Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        return reply if isinstance(reply, Response) else reply(request)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up (a cancelled or timed-out request) is part of what is tested


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FakeOpenAI

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        response = self.owner.next_response(request)
        time.sleep(response.delay)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in response.stream:
            time.sleep(response.gap)
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
        if response.cut:  # mid-answer: the client has the first events when the connection goes
            time.sleep(0.3)
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass
