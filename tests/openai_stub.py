"""A local OpenAI-compatible server for tests: real HTTP, the real chat-completions wire format.

It stands in for the LLM only. A `responder` decides each reply from the request (messages and
tools as the real OpenAI client sent them); every request is recorded for assertions. Streaming
requests get server-sent events with `data: [DONE]`, as the real API sends them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A reply: {"content": str} or {"tool_calls": [{"name": str, "arguments": dict}]}; optionally
# "delay" (seconds before answering) or "status" (an HTTP error status instead of a completion;
# "error" then gives the whole error body).
Responder = Callable[[dict[str, Any]], dict[str, Any]]
# A server's quirk, run on each chat request before the responder: returns (status, body) to refuse
# the request as that server would, or None (it may change the request, e.g. drop the tools).
Quirk = Callable[[dict[str, Any]], "tuple[int, dict[str, Any]] | None"]
# Other endpoints a server family has: (method, path) -> handler(body) -> (status, body).
Route = Callable[[dict[str, Any]], "tuple[int, Any]"]


class OpenAIStub:
    def __init__(self, responder: Responder, *, quirks: list[Quirk] = (), routes: dict[tuple[str, str], Route] | None = None):
        self.responder = responder
        self.quirks = list(quirks)
        self.routes = dict(routes or {})
        self.requests: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []  # every chat request as sent, refused ones too
        stub = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stall per keep-alive answer

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                route = stub.routes.get(("GET", self.path.rstrip("/")))
                if route is None:
                    self._json(404, {"error": {"message": f"unknown path {self.path}"}})
                    return
                self._json(*route({}))

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                route = stub.routes.get(("POST", self.path.rstrip("/")))
                if route is not None:
                    self._json(*route(body))
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": f"unknown path {self.path}", "type": "invalid_request_error"}})
                    return
                if self.headers.get("Authorization", "") != "Bearer sk-test":
                    self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
                    return
                stub.received.append(json.loads(json.dumps(body)))
                for quirk in stub.quirks:
                    refused = quirk(body)
                    if refused is not None:
                        self._json(*refused)
                        return
                stub.requests.append(body)
                reply = stub.responder(body)
                time.sleep(reply.get("delay", 0))
                if "status" in reply:
                    error = reply.get("error") or {"error": {"message": reply.get("content") or "server error", "type": "server_error"}}
                    self._json(reply["status"], error)
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._json(200, stub.completion(body, reply))

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                    pass

            def _stream(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in stub.chunks(body, reply):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # stop() waits one poll

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _tool_calls(reply: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"id": f"call_{uuid.uuid4().hex[:10]}", "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
            for c in reply.get("tool_calls", [])
        ]

    def completion(self, body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
        calls = self._tool_calls(reply)
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
        if calls:
            message["tool_calls"] = calls
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stub"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": self.usage(body, reply),
        }

    @staticmethod
    def usage(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, int]:
        """Token counts as a server reports them (here: 4 characters a token)."""
        prompt = len(json.dumps(body.get("messages", []))) // 4 + len(json.dumps(body.get("tools", []))) // 4
        completion = max(1, len(json.dumps(reply.get("tool_calls") or reply.get("content") or "")) // 4)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def chunks(self, body: dict[str, Any], reply: dict[str, Any]) -> list[dict[str, Any]]:
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:10]}", "object": "chat.completion.chunk", "created": int(time.time()), "model": body.get("model", "stub")}
        out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
        calls = self._tool_calls(reply)
        for index, call in enumerate(calls):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2  # split the arguments across chunks, as the real API does
            out.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": arguments[:half]}}]}, "finish_reason": None}]})
            out.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}, "finish_reason": None}]})
        content = reply.get("content") or ""
        for start in range(0, len(content), 12):
            out.append({**base, "choices": [{"index": 0, "delta": {"content": content[start : start + 12]}, "finish_reason": None}]})
        out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}]})
        return out
