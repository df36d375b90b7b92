"""Model hints: a request for model `hint:NAME` goes to the provider and model of route
NAME (config `llm.routes.NAME`), so a caller can ask for "fast" or "reasoning" without
knowing which provider serves it. Any other model goes to the default provider unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace

from zeroclaw.providers.base import ChatRequest, ChatResponse, Provider, ProviderError, StreamEvent
from zeroclaw.providers.options import honoured

HINT_PREFIX = "hint:"


class RouterProvider:
    def __init__(self, default: Provider, routes: Mapping[str, tuple[Provider, str]]) -> None:
        self.name = default.name
        self._default = default
        self._routes = dict(routes)

    def honoured_options(self, model: str) -> frozenset[str]:
        route = self._routes.get(model.removeprefix(HINT_PREFIX))
        if model.startswith(HINT_PREFIX) and route is not None:
            return honoured(route[0], route[1])
        return honoured(self._default, model)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        provider, routed = self._route(request)
        return await provider.chat(routed)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        provider, routed = self._route(request)
        async for event in provider.stream(routed):
            yield event

    def _route(self, request: ChatRequest) -> tuple[Provider, ChatRequest]:
        if not request.model.startswith(HINT_PREFIX):
            return self._default, request
        hint = request.model.removeprefix(HINT_PREFIX)
        route = self._routes.get(hint)
        if route is None:
            known = ", ".join(sorted(self._routes)) or "none are configured"
            raise ProviderError(
                f"unknown model hint {hint!r} (known hints: {known})",
                provider=self.name,
                hint=f'add [llm.routes.{hint}] with provider = "..." and model = "..."',
            )
        provider, model = route
        return provider, replace(request, model=model)
