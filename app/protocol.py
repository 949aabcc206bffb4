"""HTTP at the edge of the app: HEAD answered like GET, and request bodies read in bounded time.

Both are pure ASGI middleware: they never buffer a response.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """HEAD answers like GET (status and headers) without a body, on every GET route.

    FastAPI registers a GET route for GET only (HEAD would get 405). Here the app sees a GET;
    its body is not sent, and a streamed body (a large export) is stopped after its first
    chunk instead of being produced to no one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not finished:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                if message.get("more_body", False):
                    raise HeadAnswered

        try:
            await self.app({**scope, "method": "GET"}, receive, send_headers_only)
        except HeadAnswered:
            pass
        except BaseExceptionGroup as group:  # a streaming response runs in a task group
            rest = group.subgroup(lambda error: not isinstance(error, HeadAnswered))
            if rest is not None:
                raise rest from None


class HeadAnswered(Exception):
    """Stops the GET behind a HEAD once its headers are out."""


class BodyReadTimeout:
    """A client that stops sending its request body mid-way gets 408 and the connection closes.

    Each wait for the next part of an unfinished body is bounded by ``seconds``; once the body
    is complete, waits (for a disconnect, while a response streams) are not limited.
    Idle connections between requests are bounded by uvicorn's ``timeout_keep_alive``.
    """

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_complete = False
        response_started = False

        async def bounded_receive() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError:
                raise BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, watching_send)
        except BodyTimedOut:
            if response_started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = f"The request body did not arrive within {self.seconds:g} seconds.".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 408,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body may still come: this connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTimedOut(Exception):
    pass
