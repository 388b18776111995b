"""uvicorn's protocol driven by hand, without a server: the protocol for one connection
(`uvicorn_protocol`) and a transport keeping each write (`RecordingTransport`), for
tests/test_asgi.py and tests/test_dependency_internals.py."""

from __future__ import annotations

import asyncio
from typing import Any


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    @property
    def written(self) -> bytes:
        return b"".join(self.writes)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def uvicorn_protocol(
    app: Any, protocol_class: type[Any] | None = None, access_log: bool = False, state: Any = None
) -> Any:
    """The protocol (uvicorn's httptools one, unless `protocol_class`) serving `app` on the
    running loop, as uvicorn's server makes one per connection (`state`: the server's, with
    its default headers; a fresh one if None)."""
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    config = Config(
        app, lifespan="off", log_config=None, proxy_headers=False, access_log=access_log
    )
    return (protocol_class or HttpToolsProtocol)(
        config=config,
        server_state=ServerState() if state is None else state,
        app_state={},
        _loop=asyncio.get_running_loop(),
    )
