"""The framer over hand-picked and random byte streams."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.framing import Frame, Framer, FramerSettings, Rejected, Terminator

PRINTABLE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=64
)


def frames(results):
    return [r.payload for r in results if isinstance(r, Frame)]


@pytest.mark.parametrize(
    ("terminator", "stream"),
    [
        (Terminator.CR, b"31234000012345\r"),
        (Terminator.LF, b"31234000012345\n"),
        (Terminator.CRLF, b"31234000012345\r\n"),
        (Terminator.ETX, b"31234000012345\x03"),
    ],
)
def test_each_terminator(terminator: Terminator, stream: bytes) -> None:
    framer = Framer(FramerSettings(terminator=terminator))
    assert frames(framer.feed(stream)) == ["31234000012345"]
    assert framer.pending == b""


def test_crlf_device_on_a_cr_framer_loses_nothing() -> None:
    framer = Framer(FramerSettings(terminator=Terminator.CR))
    assert frames(framer.feed(b"111\r\n222\r\n")) == ["111", "222"]


def test_terminator_split_across_reads() -> None:
    framer = Framer(FramerSettings(terminator=Terminator.CRLF))
    assert framer.feed(b"123\r") == []
    assert frames(framer.feed(b"\n")) == ["123"]


def test_prefix_and_suffix_are_stripped() -> None:
    framer = Framer(FramerSettings(terminator=Terminator.ETX, prefix=b"\x02", suffix=b"#"))
    assert frames(framer.feed(b"\x02ABC#\x03")) == ["ABC"]
    # Without them the frame still counts unless the affixes are required.
    assert frames(framer.feed(b"ABC\x03")) == ["ABC"]
    strict = Framer(FramerSettings(prefix=b"*", require_affixes=True))
    results = strict.feed(b"ABC\r")
    assert results == [Rejected("missing prefix", b"ABC")]


def test_noise_is_rejected_with_a_reason_and_the_next_frame_survives() -> None:
    framer = Framer(FramerSettings(max_length=20))
    results = framer.feed(b"\x00\xff\x13abc\r" + b"9" * 50 + b"\r" + b"OK1\r")
    reasons = [r.reason for r in results if isinstance(r, Rejected)]
    assert reasons == ["non-printable bytes in frame", "over-long frame (>20 bytes)"]
    assert frames(results) == ["OK1"]


def test_overlong_without_terminator_is_dropped_early_and_resyncs() -> None:
    framer = Framer(FramerSettings(max_length=10))
    first = framer.feed(b"X" * 40)
    assert [type(r) for r in first] == [Rejected]
    assert len(framer.pending) < 5  # not accumulating forever
    assert frames(framer.feed(b"X" * 40 + b"\rGOOD\r")) == ["GOOD"]


def test_partial_frame_expires_at_timeout() -> None:
    framer = Framer(FramerSettings(frame_timeout=0.5))
    assert framer.feed(b"3123", now=10.0) == []
    assert framer.expire(10.3) == []
    assert framer.expire(10.6) == [Rejected("partial frame at timeout (no terminator)", b"3123")]
    assert frames(framer.feed(b"55\r", now=11.0)) == ["55"]


# --- property tests ------------------------------------------------------------------------

TERMINATORS = st.sampled_from(list(Terminator))


@st.composite
def streams(draw):
    """A stream of segments, each ending in the terminator: some valid frames, some noise."""
    terminator = draw(TERMINATORS)
    prefix = draw(st.sampled_from([b"", b"\x02", b"]"]))
    suffix = draw(st.sampled_from([b"", b"#"]))
    term = terminator.bytes
    segments = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            payload = draw(PRINTABLE).encode()
            segments.append(("frame", payload, prefix + payload + suffix + term))
        else:
            noise = draw(st.binary(max_size=120))
            for byte in set(term):
                noise = noise.replace(bytes([byte]), b"")
            segments.append(("noise", noise, noise + term))
    return terminator, prefix, suffix, segments


@settings(max_examples=300, deadline=None)
@given(streams(), st.data())
def test_random_streams_find_every_frame_and_invent_none(sample, data) -> None:
    terminator, prefix, suffix, segments = sample
    framer = Framer(FramerSettings(terminator=terminator, prefix=prefix, suffix=suffix))
    stream = b"".join(raw for _, _, raw in segments)
    # Feed in random chunks: framing must not depend on how reads split the bytes.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    results = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        results.extend(framer.feed(stream[start:end]))
    found = frames(results)
    expected_valid = [p.decode() for kind, p, _ in segments if kind == "frame"]
    # Every result came from one segment, in order (noise may by chance be a valid frame).
    remaining = iter(segments)
    for payload in found:
        assert any(_could_be(payload, seg, prefix, suffix) for seg in remaining), payload
    # Every well-formed frame is found.
    it = iter(found)
    assert all(any(p == f for f in it) for p in expected_valid)


def _could_be(payload: str, segment, prefix: bytes, suffix: bytes) -> bool:
    kind, body, _ = segment
    if kind == "frame":
        return payload == body.decode()
    text = body.lstrip(b"\r\n")
    if prefix and text.startswith(prefix):
        text = text[len(prefix) :]
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    return payload.encode() == text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), TERMINATORS, st.floats(0, 5))
def test_any_bytes_never_raise_and_only_yield_clean_frames(stream, terminator, later) -> None:
    framer = Framer(FramerSettings(terminator=terminator, max_length=32))
    results = framer.feed(stream, now=0.0) + framer.expire(later)
    for result in results:
        if isinstance(result, Frame):
            assert 1 <= len(result.payload) <= 32
            assert result.payload.isprintable() and result.payload.isascii()
            assert result.payload.encode() in stream
        else:
            assert result.reason
