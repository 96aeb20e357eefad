"""Coverage-guided fuzzing of the SIP2 decoder with atheris.

    python -m tests.sip2.fuzz_codec -atheris_runs=1000000      # a long run, by hand
    python -m tests.sip2.fuzz_codec corpus_dir/                # keep what it finds

Properties: only the Sip2Error family leaves the decoder; every frame it accepts as valid
comes back byte for byte. ``tests/sip2/test_codec_fuzz.py`` runs a short session in CI.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from kiosk.errors import Sip2Error
    from kiosk.sip2.codec import Codec

CODECS = (Codec(), Codec(errors="surrogateescape"), Codec(encoding="cp850", delimiter="^"))


def one_input(data: bytes) -> None:
    if not data:
        return
    codec = CODECS[data[0] % len(CODECS)]
    frame = data[1:]
    try:
        message = codec.decode(frame)
    except Sip2Error:
        return
    if frame.endswith(b"\r"):
        again = codec.encode(message)
        if again != frame:
            raise AssertionError(f"round trip changed {frame!r} into {again!r}")


def main(argv: list[str]) -> None:
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
