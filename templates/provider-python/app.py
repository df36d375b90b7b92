"""my-provider: a ZeroClaw provider plugin in Python. Build it with `zeroclaw plugins build .`.

An offline model, `echo-1`, that answers with the user's last message: the shape of a
provider without the network. Replace `chat()` with a call to your model's API through
zeroclaw:host/http (see the README). Import everything here, at the top: the component has
no WASI, so an import inside a function (or open, time.time) fails the call. `print` goes
to the host's log.
"""

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.provider import (
    ChatRequest,
    ChatResponse,
    ProviderError_InvalidRequest,
    ProviderInfo,
    Usage,
)

MODEL = "echo-1"


class Provider(exports.Provider):
    def info(self) -> ProviderInfo:
        # display name, default model, the models it serves, whether it takes tool specs
        return ProviderInfo("My provider", MODEL, [MODEL], False)

    def chat(self, request: ChatRequest) -> ChatResponse:
        # request.messages: system first, then the conversation (role, content, ...).
        users = [m for m in request.messages if m.role == "user"]
        if not users:
            # A `result` error is raised as Err(...): rate-limited and unavailable are
            # retried, auth / invalid-request / failed go to the next fallback provider.
            raise Err(ProviderError_InvalidRequest("the conversation has no user message"))
        text = f"You said: {users[-1].content}"
        print(f"{request.model or MODEL}: {len(request.messages)} messages in")
        usage = Usage(sum(len(m.content.split()) for m in request.messages), len(text.split()))
        # text, tool calls, usage, the model that answered
        return ChatResponse(text, [], usage, request.model or MODEL)
