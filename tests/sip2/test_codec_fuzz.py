"""Property tests: the decoder only ever raises Sip2Error, and valid messages round-trip."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.errors import Sip2Error
from kiosk.sip2.codec import Codec, Message
from kiosk.sip2.spec import MESSAGES
from tests.sip2.vectors import EVERGREEN_PAIRS, JSIP2_FRAMES

CODECS = [
    Codec(),
    Codec(errors="surrogateescape"),
    Codec(encoding="cp850", lenient_checksums=False),
    Codec(delimiter="^", encoding="latin-1", verify_checksums=False),
]
SEEDS = [(t + "\r").encode() for t in JSIP2_FRAMES] + [
    (prefix + value + "\r").encode() for value, prefix in EVERGREEN_PAIRS.items()
]
FIXED_CHARS = " 0123456789YNU."
VALUE_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="|^\r")
FIELD_ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=2)
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode_only_sip2_errors(codec: Codec, data: bytes) -> None:
    try:
        message = codec.decode(data)
    except Sip2Error:
        return
    if data.endswith(b"\r") and codec.verify_checksums:
        # a frame the codec accepts as valid comes back byte for byte
        assert codec.encode(message) == data


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(CODECS))
def test_random_bytes_raise_only_sip2_errors(data: bytes, codec: Codec) -> None:
    _decode_only_sip2_errors(codec, data)


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = draw(st.integers(0, max(len(frame) - 1, 0)))
        if op == "flip" and frame:
            frame[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del frame[pos : pos + draw(st.integers(1, 20))]
        elif op == "insert":
            frame[pos:pos] = draw(st.sampled_from([b"|", b"\r", b"AY", b"AZ", b"\x00", b"\xc3"]))
        else:
            frame[pos:pos] = frame[pos : pos + draw(st.integers(1, 30))]
    return bytes(frame)


@FUZZ
@given(mutated_frames(), st.sampled_from(CODECS))
def test_mutated_published_frames_raise_only_sip2_errors_or_round_trip(
    data: bytes, codec: Codec
) -> None:
    _decode_only_sip2_errors(codec, data)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    spec = MESSAGES[draw(st.sampled_from(sorted(MESSAGES)))]
    fixed = {
        name: draw(st.text(alphabet=FIXED_CHARS, min_size=width, max_size=width))
        for name, width in spec.fixed
    }
    known = list(spec.required + spec.optional) or ["AF"]
    code = st.one_of(st.sampled_from(known), FIELD_ID)
    fields = draw(st.lists(st.tuples(code, st.text(VALUE_CHARS, max_size=40)), max_size=8))
    sequence = draw(st.one_of(st.none(), st.sampled_from("0123456789")))
    return Message(spec.command, fixed, fields, sequence)


@FUZZ
@given(messages(), st.sampled_from([Codec(), Codec(delimiter="^")]))
def test_valid_messages_round_trip(message: Message, codec: Codec) -> None:
    frame = codec.encode(message)
    again = codec.decode(frame)
    assert (again.command, again.fixed, again.fields, again.sequence) == (
        message.command,
        message.fixed,
        message.fields,
        message.sequence,
    )
    assert (again.checksum is not None) == (message.sequence is not None)
    assert codec.encode(again) == frame


def test_atheris_short_session(tmp_path) -> None:
    """A short coverage-guided run (the long ones are run by hand)."""
    import subprocess
    import sys
    from pathlib import Path

    seeds = tmp_path / "corpus"
    seeds.mkdir()
    for n, frame in enumerate(SEEDS):
        (seeds / f"seed{n}").write_bytes(b"\x00" + frame)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "tests.sip2.fuzz_codec", "-atheris_runs=100000", str(seeds)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done 100000 in" in result.stderr
