"""SIP2 (3M Standard Interchange Protocol 2.00): codec, ACS server, client to an ILS.

- :mod:`kiosk.sip2.codec` (with the message table in :mod:`kiosk.sip2.spec`): frames <->
  messages, lossless; no dependency on the rest of the product.
- :mod:`kiosk.sip2.server` (protocol, connections, hostile input) and :mod:`kiosk.sip2.acs`
  (the library behind it: the central circulation service it is given): the ACS that
  ``kiosk central serve --sip2`` runs.
- :mod:`kiosk.sip2.client` (asyncio), :mod:`kiosk.sip2.link` (blocking, for machine
  threads), :mod:`kiosk.sip2.target` (the outbox forwarder's SIP2 target),
  :mod:`kiosk.sip2.lookups` (the session's online questions) and :mod:`kiosk.sip2.config`
  (``[central] kind = "sip2"``): our machines in front of an existing ILS.
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
