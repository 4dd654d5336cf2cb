"""The OpenAI-compatible wire, as the servers people run accept it: OpenAI, Ollama, vLLM, llama.cpp
(llama-server, llama-cpp-python) and LM Studio.

What each request carries, and why:
- `tool_choice: "auto"` always (llama-cpp-python drops the tools without it; vLLM refuses "auto"
  tools unless asked for explicitly), `parallel_tool_calls` only when the setting says so;
- assistant messages with tool calls carry `"content": ""`, never null (llama-cpp-python answers
  HTTP 500 "content: Input should be a valid string");
- the static system prompt first, the run's facts (date, asker) in a later message, so a server's
  prompt cache keeps the system prompt and tools across people and days;
- timeout, retries (0 for local servers by default: a retried cold prompt doubles the wait while
  the server keeps working on the first) and max tokens from settings.

Also here: the model's context size as the server reports it (llama.cpp `/props`, Ollama
`/api/show`, vLLM `/v1/models`, LM Studio `/api/v0/models`), the token estimate, and the plain
sentence for a server's "context exceeded" error.
"""

from __future__ import annotations

import json
import math
import os
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from leadpilot.settings import Settings

OPENAI_HOST = "api.openai.com"
# Context windows of OpenAI's own models (the API does not report them).
OPENAI_CONTEXTS = {"gpt-4o": 128_000, "gpt-4o-mini": 128_000, "gpt-4.1": 1_047_576, "gpt-4.1-mini": 1_047_576,
                   "gpt-4.1-nano": 1_047_576, "gpt-5": 400_000, "gpt-5-mini": 400_000, "gpt-5-nano": 400_000, "o3": 200_000,
                   "o4-mini": 200_000}
OLLAMA_DEFAULT_CONTEXT = 4096  # Ollama's num_ctx when neither the model nor OLLAMA_CONTEXT_LENGTH sets one


def is_openai(settings: Settings) -> bool:
    return not settings.openai_base_url or urlsplit(settings.openai_base_url).hostname == OPENAI_HOST


def retries(settings: Settings) -> int:
    if settings.llm_retries is not None:
        return settings.llm_retries
    return 1 if is_openai(settings) else 0


@cache
def _client(base_url: str | None, api_key: str, retries: int):
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=api_key, max_retries=retries)


def client(settings: Settings):
    """The official OpenAI client for these settings (one per server, shared by runs)."""
    return _client(settings.openai_base_url, settings.openai_api_key or "", retries(settings))


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def to_wire(message: Any) -> dict[str, Any]:
    """A LangChain message (as the conversation is stored) as a chat-completions message."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    text = message.content if isinstance(message.content, str) else json.dumps(message.content)
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": text}
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": text}
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": _tool_content(text)}
    if isinstance(message, AIMessage):
        wire: dict[str, Any] = {"role": "assistant", "content": text or ""}  # "" not null: llama-cpp-python
        if message.tool_calls:
            wire["tool_calls"] = [
                {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": json.dumps(call["args"])}}
                for call in message.tool_calls
            ]
        return wire
    raise TypeError(f"cannot send a {type(message).__name__} to the model")


def _tool_content(text: str) -> str:
    """A tool's result goes to the model only inside the untrusted-data wrapper (it carries lead
    text); our own plain-text notes (a tool's error, "not run") are not JSON and go as they are."""
    from leadpilot.agent.toolbox.common import for_model

    try:
        json.loads(text)
    except ValueError:
        return text
    return for_model(text)


def request_body(settings: Settings, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat-completions request (without `model`'s transport options)."""
    body: dict[str, Any] = {"model": settings.model, "messages": messages, "temperature": 0, "max_tokens": settings.llm_max_tokens}
    if tools:
        body["tools"] = tools
        body["tool_choice"] = "auto"
        if settings.llm_parallel_tool_calls != "auto":
            body["parallel_tool_calls"] = settings.llm_parallel_tool_calls == "on"
    return body


# ---------------------------------------------------------------------------------------------
# Tokens and context
# ---------------------------------------------------------------------------------------------


def _tiktoken_cached(encoding: str) -> bool:
    """Whether tiktoken can load `encoding` without the network (its file is in tiktoken's cache)."""
    import hashlib
    import tempfile

    urls = {"o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
            "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"}
    directory = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return os.path.exists(os.path.join(directory, hashlib.sha1(urls[encoding].encode()).hexdigest()))


@cache
def _encoder(model: str):
    """tiktoken's encoder for an OpenAI model, only when its file is cached (tiktoken downloads it
    on first use otherwise, and Leadpilot downloads nothing at run time); None = estimate."""
    encoding = "cl100k_base" if model.startswith(("gpt-4-", "gpt-3.5", "gpt-4")) and not model.startswith(("gpt-4o", "gpt-4.1")) else "o200k_base"
    if not model.startswith(("gpt-", "o1", "o3", "o4")) or not _tiktoken_cached(encoding):
        return None
    try:
        import tiktoken

        return tiktoken.get_encoding(encoding)
    except Exception:  # noqa: BLE001 - any failure to load: estimate instead
        return None


def count_tokens(text: str, model: str, *, json_text: bool = False) -> tuple[int, str]:
    """Tokens in `text` for `model`, and how they were counted: tiktoken for OpenAI model names when
    its encoding is cached; otherwise an estimate of one token per 4 characters of prose and per 3
    of JSON (tool schemas tokenize denser than prose; the estimate errs high, so a context check
    warns before a server refuses)."""
    encoder = _encoder(model)
    if encoder is not None:
        return len(encoder.encode(text)), "tiktoken"
    return math.ceil(len(text) / (3 if json_text else 4)), "estimate"


def request_tokens(settings: Settings, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """Estimated prompt tokens of a request (messages + tools), plus ~4 per message for the template."""
    prose = "\n".join(str(m.get("content") or "") for m in messages)
    calls = json.dumps([m.get("tool_calls") for m in messages if m.get("tool_calls")]) if any(m.get("tool_calls") for m in messages) else ""
    return (count_tokens(prose, settings.model)[0] + count_tokens(json.dumps(tools) + calls, settings.model, json_text=True)[0]
            + 4 * len(messages))


def _root(base_url: str) -> str:
    """The server's root URL (without /v1)."""
    return re.sub(r"/v1/?$", "", base_url.rstrip("/"))


def _get_json(url: str, *, method: str = "GET", body: dict[str, Any] | None = None, api_key: str | None = None) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = httpx.request(method, url, json=body, headers=headers, timeout=3.0)
    response.raise_for_status()
    return response.json()


_contexts: dict[tuple, tuple[int | None, str]] = {}


def forget_servers() -> None:
    """Forget the context sizes asked and the clients made (a server restarted with another context)."""
    _contexts.clear()
    _client.cache_clear()


def context_size(settings: Settings) -> tuple[int | None, str]:
    """The model's context in tokens and where that came from; (None, why) when nobody says.

    LEADPILOT_LLM_CONTEXT first; then OpenAI's known models; then what the server reports: llama.cpp's
    `/props` (n_ctx), Ollama's `/api/show` (num_ctx, else Ollama's default), vLLM's `/v1/models`
    (max_model_len), LM Studio's `/api/v0/models` (loaded_context_length). Asked once per server."""
    if settings.llm_context:
        return settings.llm_context, "LEADPILOT_LLM_CONTEXT"
    if is_openai(settings):
        known = next((size for name, size in sorted(OPENAI_CONTEXTS.items(), key=lambda kv: -len(kv[0])) if settings.model.startswith(name)), None)
        return (known, f"OpenAI's {settings.model}") if known else (None, f"{settings.model}'s context is not known")
    key = (settings.openai_base_url, settings.model)
    if key not in _contexts:
        _contexts[key] = _ask_server(settings)
    return _contexts[key]


def _ask_server(settings: Settings) -> tuple[int | None, str]:
    root, key = _root(settings.openai_base_url or ""), settings.openai_api_key
    probes = (
        ("llama.cpp /props", lambda: _llama_cpp(_get_json(f"{root}/props", api_key=key))),
        ("Ollama /api/show", lambda: _ollama(_get_json(f"{root}/api/show", method="POST", body={"model": settings.model}, api_key=key))),
        ("LM Studio /api/v0/models", lambda: _lm_studio(_get_json(f"{root}/api/v0/models", api_key=key), settings.model)),
        ("/v1/models max_model_len", lambda: _vllm(_get_json(f"{root}/v1/models", api_key=key), settings.model)),
    )
    for source, probe in probes:
        try:
            size = probe()
        except Exception:  # noqa: BLE001 - a server without that endpoint: try the next
            continue
        if size:
            return int(size), source
    return None, "the server does not report its context size (set LEADPILOT_LLM_CONTEXT)"


def _llama_cpp(props: dict[str, Any]) -> int | None:
    return (props.get("default_generation_settings") or {}).get("n_ctx") or props.get("n_ctx")


def _ollama(show: dict[str, Any]) -> int | None:
    if "model_info" not in show and "parameters" not in show:
        return None
    match = re.search(r"num_ctx\s+(\d+)", show.get("parameters") or "")
    if match:
        return int(match.group(1))
    return int(os.environ.get("OLLAMA_CONTEXT_LENGTH") or OLLAMA_DEFAULT_CONTEXT)


def _lm_studio(models: dict[str, Any], model: str) -> int | None:
    for entry in models.get("data", []):
        if entry.get("id") == model and "loaded_context_length" in entry:
            return entry["loaded_context_length"]
    return None


def _vllm(models: dict[str, Any], model: str) -> int | None:
    for entry in models.get("data", []):
        if entry.get("id") == model and entry.get("max_model_len"):
            return entry["max_model_len"]
    return None


# The servers' "context exceeded" messages: (context, requested) from the text.
_CONTEXT_ERRORS = (
    re.compile(r"maximum context length is (?P<ctx>\d+) tokens.*?(?:you )?requested (?P<req>\d+)", re.I | re.S),  # OpenAI, vLLM, llama-cpp-python
    re.compile(r"Requested tokens \((?P<req>\d+)\) exceed context window of (?P<ctx>\d+)", re.I),  # llama-cpp-python
    re.compile(r"request \((?P<req>\d+) tokens\) exceeds the available context size \((?P<ctx>\d+) tokens\)", re.I),  # llama-server
    re.compile(r"exceeds the available context size", re.I),  # llama-server, numbers in the body
)


def context_exceeded(message: str, body: Any = None) -> tuple[int | None, int | None] | None:
    """(context, requested) when a server's error says the request did not fit; None otherwise."""
    for pattern in _CONTEXT_ERRORS:
        match = pattern.search(message or "")
        if match:
            groups = match.groupdict()
            if "ctx" in groups:
                return int(groups["ctx"]), int(groups["req"])
            error = (body or {}).get("error", body) if isinstance(body, dict) else {}
            error = error if isinstance(error, dict) else {}
            return error.get("n_ctx"), error.get("n_prompt_tokens")
    return None


def context_sentence(context: int | None, needed: int | None, toolset: str) -> str:
    """"this model's context is 8,192 tokens, the request needs 9,400 — use the core tool set or a larger context"."""
    has = f"this model's context is {context:,} tokens" if context else "the request does not fit this model's context"
    needs = f", the request needs {needed:,}" if needed else ""
    fix = ("use the core tool set (LEADPILOT_LLM_TOOLSET=core) or a larger context" if toolset != "core"
           else "start the server with a larger context (llama.cpp -c 8192, Ollama num_ctx 8192)")
    return f"{has[0].upper()}{has[1:]}{needs} — {fix}."
