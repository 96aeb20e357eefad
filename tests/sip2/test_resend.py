"""Error recovery through a fault proxy between our client and our ACS.

The proxy garbles chosen frames on the wire: a request the ACS cannot verify gets a 96 and
the client resends it; a response the client cannot verify makes it send 97 and the ACS
repeats itself. Either way the transaction happens once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from kiosk.sip2.client import ClientSettings, Sip2Client
from kiosk.sip2.codec import format_date, make
from tests.sip2.conftest import ITEM, PATRON, PIN, Site


class FaultProxy:
    """Forwards frames both ways; garbles the n-th request and/or the n-th response."""

    def __init__(
        self, site: Site, *, bad_request: int | None = None, bad_response: int | None = None
    ) -> None:
        self.site = site
        self.bad_request, self.bad_response = bad_request, bad_response
        self.requests: list[bytes] = []
        self.responses: list[bytes] = []
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.site.host, self.site.port)

        async def pump(src, dst, seen: list[bytes], bad: int | None) -> None:
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                while True:
                    frame = await src.readuntil(b"\r")
                    seen.append(frame)
                    if bad is not None and len(seen) == bad:
                        frame = frame[:4] + bytes([frame[4] ^ 0x01]) + frame[5:]
                    dst.write(frame)
                    await dst.drain()
            dst.close()

        await asyncio.gather(
            pump(reader, up_writer, self.requests, self.bad_request),
            pump(up_reader, writer, self.responses, self.bad_response),
        )

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.fixture
async def proxy_factory(site: Site) -> AsyncIterator:
    made: list[FaultProxy] = []

    async def make_proxy(**faults: int) -> tuple[FaultProxy, Sip2Client]:
        proxy = FaultProxy(site, **faults)
        port = await proxy.start()
        made.append(proxy)
        return proxy, Sip2Client("127.0.0.1", port, settings=ClientSettings(timeout=5))

    yield make_proxy
    for proxy in made:
        await proxy.close()


def _checkout(site: Site):
    return make(
        "11",
        [("AO", "HFL"), ("AA", PATRON), ("AB", ITEM), ("AC", ""), ("AD", PIN)],
        sc_renewal_policy="N",
        no_block="N",
        transaction_date=format_date(site.clock.now()),
        nb_due_date=" " * 18,
    )


async def test_garbled_request_gets_96_and_is_resent(site: Site, proxy_factory) -> None:
    proxy, client = await proxy_factory(bad_request=2)  # 1 = login, 2 = the checkout
    async with client:
        assert await client.login(site.machine, site.secret)
        out = await client.request(_checkout(site))
    assert out["ok"] == "1"
    assert proxy.responses[1] == b"96AZFEF6\r"  # the ACS asked for the resend
    assert proxy.requests[2][:2] == b"11"  # and got it
    assert len(site.service.patron_account(PATRON).loans) == 1


async def test_garbled_response_is_asked_again_with_97(site: Site, proxy_factory) -> None:
    proxy, client = await proxy_factory(bad_response=2)
    async with client:
        assert await client.login(site.machine, site.secret)
        out = await client.request(_checkout(site))
    assert out["ok"] == "1"
    assert proxy.requests[2].startswith(b"97")  # the client asked for a repeat
    assert proxy.responses[2] == proxy.responses[1]  # the ACS repeated its response
    assert len(site.service.patron_account(PATRON).loans) == 1
