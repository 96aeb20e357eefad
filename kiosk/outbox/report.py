"""Plain-words explanations of queued transactions for technicians and staff.

Used by ``kiosk queue status|report`` and the technician screen. The words for reason codes
come from the policy's glossary (:data:`kiosk.policy.REASON_CODES`); the patron-facing text
lives in the i18n catalogs, not here.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from kiosk.outbox.store import QueuedRow, QueueStatus
from kiosk.policy import REASON_CODES

REPORT_COLUMNS = (
    "seq",
    "state",
    "kind",
    "mode",
    "occurred_at",
    "patron",
    "item",
    "reasons",
    "explanation",
    "uuid",
)


def age(seconds: float | None) -> str:
    """``42 s``, ``7 min``, ``3 h 5 min``, ``2 d 4 h``; ``-`` for none."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def when(epoch: float | None) -> str:
    if epoch is None:
        return "never"
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
    return f"{stamp} ({age(time.time() - epoch)} ago)"


def reason_codes(row: QueuedRow) -> list[str]:
    return [str(r.get("code", "?")) for r in (row.result or {}).get("reasons", [])]


def explain(row: QueuedRow) -> str:
    """One sentence a member of staff can act on."""
    what = f"{row.kind} of {row.payload.get('item', '?')}"
    if row.payload.get("patron"):
        what += f" for card {row.payload['patron']}"
    words = "; ".join(REASON_CODES.get(code, code.replace("_", " ")) for code in reason_codes(row))
    if row.state.value == "refused" and (row.result or {}).get("local"):
        return f"The machine refused the {what} while offline: {words or 'no reason given'}."
    if row.state.value == "refused":
        return f"Central refused the {what}; nothing changed: {words or 'no reason given'}."
    if row.state.value == "exception" and row.outcome is None:
        return (
            f"Central would not accept the {what} ({row.last_error}); "
            "after fixing the cause, `kiosk queue retry` sends it again."
        )
    if row.state.value == "exception":
        return (
            f"The {what} happened while the machine was offline and broke a rule "
            f"({words or 'unspecified'}); central recorded it for staff to resolve."
        )
    return f"The {what} is {row.state.value}."


def status_lines(status: QueueStatus, cache_ages: dict[str, float | None]) -> list[str]:
    counts = ", ".join(f"{state} {count}" for state, count in status.counts.items())
    lines = [
        f"mode:           {status.mode}",
        f"depth:          {status.depth} waiting to be sent",
        f"oldest waiting: {age(status.oldest_age_s)}",
        f"last delivery:  {when(status.last_delivery_at)}",
        f"last error:     {status.last_error or '-'}"
        + (f" at {when(status.last_error_at)}" if status.last_error else ""),
        f"by state:       {counts}",
        f"forwarder:      {status.lease_owner or 'none running'}",
    ]
    for name, seconds in cache_ages.items():
        shown = f"{age(seconds)} old" if seconds is not None else "never fetched"
        lines.append(f"offline {name + ':':8s}{shown}")
    return lines


def report_rows(rows: Iterable[QueuedRow]) -> list[dict[str, str]]:
    return [
        {
            "seq": str(row.seq),
            "state": row.state.value,
            "kind": row.kind,
            "mode": row.mode,
            "occurred_at": row.occurred_at,
            "patron": str(row.payload.get("patron", "")),
            "item": str(row.payload.get("item", "")),
            "reasons": " ".join(reason_codes(row)),
            "explanation": explain(row),
            "uuid": row.uuid,
        }
        for row in rows
    ]


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def as_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "no refused or exception transactions"
    columns = ("seq", "state", "kind", "occurred_at", "patron", "item", "reasons")
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    for row in rows:
        lines.append("  ".join(row[c].ljust(widths[c]) for c in columns))
        lines.append(f"    {row['explanation']}")
    return "\n".join(lines)
