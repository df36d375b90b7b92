"""openai-compat: a ZeroClaw provider plugin in Python, built with componentize-py.

It sends the agent's chat requests to an OpenAI-compatible `/chat/completions` endpoint and
maps the answer back (text, tool calls, usage). It has no network of its own: every request
goes through the host's `zeroclaw:host/http`, which checks the URL's host, and every address
it resolves to, against the plugin's `http:` grants. Its settings (`base_url`, `model`)
come from `zeroclaw:host/config`, and the API key is the named secret `API_KEY`, which the
host hands over only when it was granted.

Built with `--stub-wasi`, the component imports no WASI at all: `print`, `open`, `time` and
any `import` run inside a function would trap. So everything is imported here, at the top.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.provider import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ProviderError,
    ProviderError_Auth,
    ProviderError_Failed,
    ProviderError_InvalidRequest,
    ProviderError_RateLimited,
    ProviderError_Unavailable,
    ProviderInfo,
    ToolCall,
    Usage,
)
from wit_world.imports import config, http

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"


def setting(key: str, default: object) -> object:
    raw = config.get(key)
    return default if raw is None else json.loads(raw)


def api_key() -> str | None:
    try:
        return config.get_secret("API_KEY")
    except Err:
        return None  # not granted or not set: no Authorization header


def wire_message(message: ChatMessage) -> dict[str, object]:
    wire: dict[str, object] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    return wire


def wire_request(request: ChatRequest) -> dict[str, object]:
    body: dict[str, object] = {
        "model": request.model or str(setting("model", DEFAULT_MODEL)),
        "messages": [wire_message(m) for m in request.messages],
    }
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": json.loads(tool.parameters_schema),
                },
            }
            for tool in request.tools
        ]
    options = request.options
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if options.max_tokens is not None:
        body["max_tokens"] = options.max_tokens
    if options.stop:
        body["stop"] = options.stop
    return body


def status_error(status: int, body: bytes) -> ProviderError:
    """The provider-error case of an HTTP error status (the host retries some of them)."""
    try:
        detail = json.loads(body.decode("utf-8"))["error"]["message"]
    except Exception:
        detail = body[:200].decode("utf-8", "replace")
    message = f"HTTP {status}: {detail}"
    if status in (401, 403):
        return ProviderError_Auth(message)
    if status == 429:
        return ProviderError_RateLimited(message)
    if status >= 500:
        return ProviderError_Unavailable(message)
    if status in (400, 404, 413, 422):
        return ProviderError_InvalidRequest(message)
    return ProviderError_Failed(message)


HTTP_ERRORS = {
    http.HttpError_Denied: "denied",
    http.HttpError_InvalidRequest: "invalid-request",
    http.HttpError_Timeout: "timeout",
    http.HttpError_ResponseTooLarge: "response-too-large",
    http.HttpError_TooManyRedirects: "too-many-redirects",
    http.HttpError_Connection: "connection",
}


def http_error(error: object) -> ProviderError:
    """The provider-error case of a failed request: unreachable is worth retrying, a
    request the host refused (its host is not granted) is not."""
    kind = HTTP_ERRORS.get(type(error), type(error).__name__)
    message = f"http {kind}: {getattr(error, 'value', error)}"
    if isinstance(error, (http.HttpError_Timeout, http.HttpError_Connection)):
        return ProviderError_Unavailable(message)
    return ProviderError_Failed(message)


def parse_response(body: bytes) -> ChatResponse:
    data = json.loads(body.decode("utf-8"))
    message = data["choices"][0]["message"]
    calls = [
        ToolCall(
            id=call.get("id") or f"call_{index}",
            name=call["function"]["name"],
            arguments=call["function"].get("arguments") or "{}",
        )
        for index, call in enumerate(message.get("tool_calls") or [])
    ]
    usage = data.get("usage")
    return ChatResponse(
        text=message.get("content"),
        tool_calls=calls,
        usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)))
        if usage
        else None,
        model=data.get("model"),
    )


class Provider(exports.Provider):
    def info(self) -> ProviderInfo:
        models = setting("models", [])
        return ProviderInfo(
            display_name="OpenAI-compatible API",
            default_model=str(setting("model", DEFAULT_MODEL)),
            models=[str(m) for m in models] if isinstance(models, list) else [],
            supports_tools=True,
        )

    def chat(self, request: ChatRequest) -> ChatResponse:
        try:
            url = str(setting("base_url", DEFAULT_BASE_URL)).rstrip("/") + "/chat/completions"
            headers = [http.Header("content-type", "application/json")]
            key = api_key()
            if key:
                headers.append(http.Header("authorization", f"Bearer {key}"))
            body = json.dumps(wire_request(request)).encode("utf-8")
            outgoing = http.Request(http.Method.POST, url, headers, body, None, 3)
        except Exception as exc:
            raise Err(ProviderError_InvalidRequest(f"{type(exc).__name__}: {exc}")) from None
        try:
            response = http.send(outgoing)
        except Err as failed:
            raise Err(http_error(failed.value)) from None
        if response.status >= 400:
            raise Err(status_error(response.status, response.body))
        try:
            return parse_response(response.body)
        except Exception as exc:
            raise Err(ProviderError_Failed(f"unexpected answer from {url}: {exc!r}")) from None
