"""Hostile input gets a 96 or a closed connection, never a crash, never another's problem."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.sip2.client import Sip2Client
from kiosk.sip2.codec import Codec, checksum, format_date, make
from kiosk.sip2.server import RunningServer, ServerSettings, serve
from tests.sip2.conftest import ITEM, PATRON, PIN, Site

CODEC = Codec()


class Raw:
    """A bare TCP connection that sends bytes and reads CR-terminated frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, site: Site) -> Raw:
        return cls(*await asyncio.open_connection(site.host, site.port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def frame(self, timeout: float = 5.0) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(b"\r"), timeout)

    async def closed(self, timeout: float = 5.0) -> bool:
        """True when the server closed the connection (EOF), reading through any replies."""
        try:
            while True:
                data = await asyncio.wait_for(self.reader.read(65536), timeout)
                if not data:
                    return True
        except (ConnectionError, TimeoutError):
            return False

    async def login(self, site: Site) -> None:
        login = make(
            "93", [("CN", site.machine), ("CO", site.secret)], uid_algorithm="0", pwd_algorithm="0"
        )
        await self.send(CODEC.encode(login, sequence=0))
        assert (await self.frame()).startswith(b"941")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def _still_serves(site: Site) -> None:
    """A well-behaved self-check on its own connection gets normal answers."""
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        status = await client.sc_status()
        assert status["online_status"] == "Y"


async def test_bad_checksum_gets_96_with_a_checksum_and_the_resend_works(site: Site) -> None:
    raw = await Raw.open(site)
    await raw.login(site)
    good = CODEC.encode(
        make("99", status_code="0", max_print_width="080", protocol_version="2.00"), sequence=1
    )
    bad = good[:-5] + b"0000\r"
    await raw.send(bad)
    assert await raw.frame() == b"96AZFEF6\r"
    assert CODEC.decode(b"96AZFEF6\r").command == "96"
    await raw.send(good)
    assert (await raw.frame()).startswith(b"98")
    await raw.close()


async def test_97_repeats_the_last_response(site: Site) -> None:
    raw = await Raw.open(site)
    await raw.login(site)
    status = CODEC.encode(
        make("99", status_code="0", max_print_width="080", protocol_version="2.00"), sequence=2
    )
    await raw.send(status)
    first = await raw.frame()
    await raw.send(b"97AZFEF5\r")  # request ACS resend, with its checksum
    assert await raw.frame() == first
    await raw.close()


async def test_over_long_frame_gets_96_and_the_connection_survives(site: Site) -> None:
    raw = await Raw.open(site)
    await raw.login(site)
    await raw.send(b"23" + b"A" * 200_000 + b"\r")
    assert (await raw.frame()).startswith(b"96")
    await raw.send(
        CODEC.encode(
            make("99", status_code="0", max_print_width="080", protocol_version="2.00"), sequence=3
        )
    )
    assert (await raw.frame()).startswith(b"98")
    await raw.close()


async def test_binary_unknown_and_crlf(site: Site) -> None:
    raw = await Raw.open(site)
    await raw.login(site)
    await raw.send(os.urandom(64).replace(b"\r", b"") + b"\r")
    assert (await raw.frame()).startswith(b"96")
    await raw.send(b"XY123|\r")
    assert (await raw.frame()).startswith(b"96")
    await raw.send(b"\x00\x01\x02\r")
    assert (await raw.frame()).startswith(b"96")
    # CR LF line ends (some self-checks send them) are fine
    frame = CODEC.encode(
        make("99", status_code="0", max_print_width="080", protocol_version="2.00"), sequence=4
    )
    await raw.send(frame[:-1] + b"\r\n")
    assert (await raw.frame()).lstrip(b"\n").startswith(b"98")
    await raw.close()


async def test_flood_of_garbage_closes_that_connection_only(site: Site) -> None:
    victim = await Raw.open(site)
    await victim.login(site)
    flooder = await Raw.open(site)
    await flooder.send(b"garbage!\r" * 5000)
    assert await flooder.closed()
    # the other self-check goes on as if nothing happened
    request = make(
        "23",
        [("AO", "HFL"), ("AA", PATRON), ("AC", ""), ("AD", PIN)],
        language="000",
        transaction_date=format_date(site.clock.now()),
    )
    await victim.send(CODEC.encode(request, sequence=5))
    assert (await victim.frame()).startswith(b"24")
    await victim.close()
    await _still_serves(site)


async def test_half_message_then_hang_up(site: Site) -> None:
    raw = await Raw.open(site)
    await raw.login(site)
    await raw.send(b"11NN20261123    100000")
    await raw.close()
    await asyncio.sleep(0.05)
    assert not site.server.connections or all(
        c.requests >= 0 for c in site.server.connections.values()
    )
    await _still_serves(site)
    assert site.service.item(ITEM).status.value == "available"


async def test_wrong_logins_close_the_connection(site: Site) -> None:
    raw = await Raw.open(site)
    for attempt in range(3):
        login = make(
            "93", [("CN", site.machine), ("CO", "guess")], uid_algorithm="0", pwd_algorithm="0"
        )
        await raw.send(CODEC.encode(login, sequence=attempt))
        assert (await raw.frame()).startswith(b"940")
    assert await raw.closed()


async def test_idle_connections_are_closed(make_site) -> None:
    site = await make_site(ServerSettings(idle_timeout=0.3))
    try:
        raw = await Raw.open(site)
        await raw.login(site)
        assert await raw.closed(timeout=3)
    finally:
        await site.server.close()


async def test_connections_that_never_log_in_are_closed(make_site) -> None:
    site = await make_site(ServerSettings(login_timeout=0.3))
    try:
        lurker = await Raw.open(site)
        status = make("99", status_code="0", max_print_width="080", protocol_version="2.00")
        await lurker.send(CODEC.encode(status, sequence=0))  # allowed before login …
        assert (await lurker.frame()).startswith(b"98")
        assert await lurker.closed(timeout=3)  # … but it does not buy time
        await _still_serves(site)
    finally:
        await site.server.close()


async def test_connection_limit(make_site) -> None:
    site = await make_site(ServerSettings(max_connections=1))
    try:
        first = await Raw.open(site)
        await first.login(site)
        second = await Raw.open(site)
        assert await second.closed()
        await first.close()
    finally:
        await site.server.close()


async def test_tcp_keepalive_is_on(site: Site) -> None:
    raw = await Raw.open(site)
    await raw.login(site)
    (conn,) = site.server.connections.values()
    assert conn.machine == site.machine
    assert conn.keepalive is True
    await raw.close()


def test_checksums_of_the_control_frames() -> None:
    assert checksum(b"96AZ") == "FEF6"
    assert checksum(b"97AZ") == "FEF5"


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANSWERS = {"96", "94", "98", "24", "64", "12", "10", "30", "66", "16", "18", "20", "36", "38", "26"}


@pytest.fixture
def threaded(central) -> Iterator[tuple[RunningServer, str]]:
    """The server as ``kiosk central serve --sip2`` runs it: its own thread and loop."""
    secret = central.service.add_machine("sc-fuzz")
    running = serve(central.service, "127.0.0.1:0")
    yield running, secret
    running.stop()


@FUZZ
@given(frames=st.lists(st.binary(max_size=120), min_size=1, max_size=6))
def test_random_frames_never_crash_the_server(
    threaded: tuple[RunningServer, str], frames: list[bytes]
) -> None:
    running, secret = threaded

    async def scenario() -> None:
        reader, writer = await asyncio.open_connection(running.host, running.port)
        login = make(
            "93", [("CN", "sc-fuzz"), ("CO", secret)], uid_algorithm="0", pwd_algorithm="0"
        )
        writer.write(CODEC.encode(login, sequence=0))
        for frame in frames:
            writer.write(frame + b"\r")
        writer.write(
            CODEC.encode(
                make("99", status_code="0", max_print_width="080", protocol_version="2.00"),
                sequence=9,
            )
        )
        await writer.drain()
        while True:
            try:
                data = await asyncio.wait_for(reader.readuntil(b"\r"), 5)
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the server may close on a frame it cannot accept
            decoded = CODEC.decode(data.lstrip(b"\n"))
            assert decoded.command in ANSWERS
            if decoded.command == "98":
                break
        writer.close()
        # a well-behaved self-check is still served
        client = Sip2Client(running.host, running.port)
        async with client:
            assert await client.login("sc-fuzz", secret)
            assert (await client.sc_status())["online_status"] == "Y"

    asyncio.run(scenario())


REQUESTS = ["23", "63", "11", "09", "29", "65", "15", "17", "19", "35", "37", "25", "01", "99"]
FIELD_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="|\r"), max_size=30
)
IDS = st.sampled_from(
    [
        "AO",
        "AA",
        "AB",
        "AC",
        "AD",
        "AJ",
        "AP",
        "BV",
        "BS",
        "BP",
        "BQ",
        "CG",
        "BK",
        "CH",
        "BO",
        "BI",
        "XX",
    ]
)
BARCODES = st.sampled_from([PATRON, ITEM, "3401010000003", "31234000012348", "", "0"])


@st.composite
def requests(draw: st.DrawFn):
    from kiosk.sip2.spec import MESSAGES

    spec = MESSAGES[draw(st.sampled_from(REQUESTS))]
    fixed = {
        name: draw(st.text(alphabet=" 0123456789YN+-*Z", min_size=width, max_size=width))
        for name, width in spec.fixed
    }
    fields = draw(st.lists(st.tuples(IDS, st.one_of(BARCODES, FIELD_TEXT)), max_size=8))
    return make(spec.command, fields, **fixed)


@FUZZ
@given(batch=st.lists(requests(), min_size=1, max_size=5))
def test_well_formed_but_odd_requests_get_their_response(
    threaded: tuple[RunningServer, str], batch: list
) -> None:
    """Valid frames with odd contents (bad dates, unknown cards, nonsense amounts) are answered
    with the response the standard names for them: the ACS never fails on content."""
    from kiosk.sip2.spec import RESPONSE_TO

    running, secret = threaded

    async def scenario() -> None:
        client = Sip2Client(running.host, running.port)
        async with client:
            assert await client.login("sc-fuzz", secret)
            for message in batch:
                response = await client.request(message)
                assert response.command == RESPONSE_TO[message.command]

    asyncio.run(scenario())
