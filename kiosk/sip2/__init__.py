"""SIP2 (3M Standard Interchange Protocol 2.00): codec, ACS server, client to an ILS.

The codec (:mod:`kiosk.sip2.codec`) has no dependencies on the rest of the product; the
server (:mod:`kiosk.sip2.server`) sits in front of the central circulation service and the
client (:mod:`kiosk.sip2.client`) is the outbox forwarder's SIP2 target.
"""

from kiosk.sip2.codec import Codec, Message, checksum, decode, encode, format_date, make, parse_date
from kiosk.sip2.errors import (
    Sip2ChecksumError,
    Sip2ConnectionError,
    Sip2DecodeError,
    Sip2EncodeError,
    Sip2Error,
    Sip2UnknownCommand,
)

__all__ = [
    "Codec",
    "Message",
    "Sip2ChecksumError",
    "Sip2ConnectionError",
    "Sip2DecodeError",
    "Sip2EncodeError",
    "Sip2Error",
    "Sip2UnknownCommand",
    "checksum",
    "decode",
    "encode",
    "format_date",
    "make",
    "parse_date",
]
