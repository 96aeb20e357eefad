"""SIP2 codec speed: frames decoded and re-encoded per second, ours against pysip2's.

Both codecs get the same frames (a self-check visit's requests and responses, with AY/AZ
error detection) in the same run; each frame is decoded to a message and encoded back, the
checksum verified on the way in and computed on the way out.

    python -m bench.sip2_codec [--seconds 2]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import pysip2

from kiosk.sip2.codec import Codec
from tests.sip2.vectors import EVERGREEN_PAIRS, JSIP2_FRAMES

_RESPONSES = [
    "941AY1AZ",
    "98YYYNYY010003"
    "20261123    101500"
    "2.00AOHEFEI|AMHefei Library|BXYYYYYYYYYYYYYYYY|ANkiosk-1|AY2AZ",
    "24              00120261123    101501AOHEFEI|AA21000000000017|AEWang Fang|BLY|CQY|AY3AZ",
    "64              00120261123    101502000000000001000000000000AOHEFEI|AA21000000000017"
    "|AEWang Fang|BZ0005|CA0000|CB0005|BLY|CQY|AU31234000012345|AY4AZ",
    "121NNY20261123    101503AOHEFEI|AA21000000000017|AB31234000012345|AJThe Three-Body "
    "Problem|AH20261223    235959|AY5AZ",
    "101YNN20261123    101504AOHEFEI|AB31234000012345|AQHEFEI-MAIN|AJThe Three-Body "
    "Problem|CL2|AY6AZ",
]


def frames() -> list[bytes]:
    """Published frames plus a visit's responses; prefixes ending in AZ get their checksum."""
    texts = list(JSIP2_FRAMES) + [p for p in EVERGREEN_PAIRS.values()] + _RESPONSES
    out = []
    for text in texts:
        body = text.encode("cp850")
        if body.endswith(b"AZ"):
            body += f"{-sum(body) & 0xFFFF:04X}".encode()
        out.append(body + b"\r")
    return out


def common_frames() -> list[bytes]:
    """The frames both codecs accept and give back byte for byte."""
    ours = Codec(encoding="cp850")
    usable = []
    for frame in frames():
        try:
            theirs = pysip2.decode_message(frame)
            back = pysip2.encode_message(
                theirs.message,
                sequence_number=theirs.sequence_number,
                checksum=theirs.checksum is not None,
            )
        except pysip2.SIP2Error:
            continue
        if back == frame and ours.encode(ours.decode(frame)) == frame:
            usable.append(frame)
    return usable


def ours_cycle() -> Callable[[bytes], bytes]:
    codec = Codec(encoding="cp850")
    decode, encode = codec.decode, codec.encode
    return lambda frame: encode(decode(frame))


def pysip2_cycle() -> Callable[[bytes], bytes]:
    decode, encode = pysip2.decode_message, pysip2.encode_message

    def cycle(frame: bytes) -> bytes:
        d = decode(frame)
        return encode(d.message, sequence_number=d.sequence_number, checksum=d.checksum is not None)

    return cycle


def measure(cycle: Callable[[bytes], bytes], batch: list[bytes], seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for frame in batch:
            cycle(frame)
        done += len(batch)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    batch = common_frames()
    ours, theirs = [], []
    for _ in range(3):  # interleave to share any machine noise
        ours.append(measure(ours_cycle(), batch, args.seconds / 3))
        theirs.append(measure(pysip2_cycle(), batch, args.seconds / 3))
    best_ours, best_theirs = max(ours), max(theirs)
    print(f"frames in the set: {len(batch)} (accepted by both codecs)")
    print(f"python {platform.python_version()}, pysip2 {pysip2.__version__}")
    print(f"kiosk.sip2.codec: {best_ours:,.0f} frames/s (decode+encode)")
    print(f"pysip2 codec:     {best_theirs:,.0f} frames/s (decode+encode)")
    print(f"ratio: {best_ours / best_theirs:.2f}x")


if __name__ == "__main__":
    main()
