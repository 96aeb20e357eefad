"""Offline mode: central's policy and snapshot cached in the queue file, and decisions made
with the same :mod:`kiosk.policy` code over them.

The cache is refreshed by the forwarder every few minutes while online (its age is shown to
technicians by ``kiosk queue status``). Offline the machine knows, per card, the category,
expiry, loan and overdue counts and the balance; the block list; and which items are held for
whom. It decides with the profile's offline limits (items per visit, formats that may not be
issued or returned offline, the offline due date); an unknown card is refused.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from kiosk.clock import Clock, SystemClock
from kiosk.domain import Fee, FeeKind, Hold, HoldStatus, Item, Loan, Patron, PatronAccount
from kiosk.outbox.schema import cache
from kiosk.outbox.store import Outbox
from kiosk.outbox.target import Target
from kiosk.policy import Decision, Profile, check_checkin, check_checkout, check_login

CACHED = ("policy", "snapshot")
DEFAULT_FORMAT = "book"
"""The format assumed for an item the snapshot does not describe (the common case)."""


class OfflineCache:
    """Central's policy document and snapshot, kept in the machine's queue file."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._profile: tuple[float, Profile] | None = None

    def refresh(self, target: Target) -> None:
        """Fetch both bodies and store them in one commit (raises TargetUnavailable)."""
        bodies = {"policy": target.fetch_policy(), "snapshot": target.fetch_snapshot()}
        self.store(bodies)

    def store(self, bodies: dict[str, dict[str, Any]], fetched_at: float | None = None) -> None:
        at = time.time() if fetched_at is None else fetched_at
        with self.outbox.engine.begin() as conn:
            for name, body in bodies.items():
                conn.execute(
                    insert(cache)
                    .prefix_with("OR REPLACE")
                    .values(name=name, body=json.dumps(body, default=str), fetched_at=at)
                )

    def get(self, name: str) -> tuple[dict[str, Any], float] | None:
        with self.outbox.reading() as conn:
            row = conn.execute(
                select(cache.c.body, cache.c.fetched_at).where(cache.c.name == name)
            ).first()
        return (json.loads(row[0]), float(row[1])) if row else None

    def ages(self, now: float | None = None) -> dict[str, float | None]:
        """Seconds since each body was fetched (None: never)."""
        now = time.time() if now is None else now
        with self.outbox.reading() as conn:
            fetched = dict(conn.execute(select(cache.c.name, cache.c.fetched_at)).all())
        return {name: (now - fetched[name]) if name in fetched else None for name in CACHED}

    def profile(self) -> Profile | None:
        found = self.get("policy")
        if found is None:
            return None
        body, fetched_at = found
        if self._profile is None or self._profile[0] != fetched_at:
            self._profile = (fetched_at, Profile.model_validate(body["profile"]))
        return self._profile[1]


def decision_dict(decision: Decision) -> dict[str, Any]:
    """A policy Decision as the JSON the outbox keeps with a fallback."""
    return {
        "allowed": decision.allowed,
        "reasons": [
            {"code": r.code, "message_key": r.message_key, "params": _plain(r.params)}
            for r in decision.reasons
        ],
        "message_key": decision.message_key,
        "due": decision.due.isoformat() if decision.due else None,
        "fee": str(decision.fee),
        "destination": decision.destination.value if decision.destination else None,
        "source": "offline",
    }


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in params.items()}


def _refusal(code: str, **params: Any) -> dict[str, Any]:
    return {
        "allowed": False,
        "reasons": [{"code": code, "message_key": f"reason.{code}", "params": params}],
        "message_key": "checkout.refused",
        "due": None,
        "source": "offline",
    }


class OfflineDecider:
    """Decides like central would, from what the machine cached while online."""

    def __init__(
        self, cache: OfflineCache, *, profile: Profile | None = None, clock: Clock | None = None
    ) -> None:
        self.cache = cache
        self.fallback_profile = profile
        self.clock = clock or SystemClock()

    def _profile(self) -> Profile | None:
        return self.cache.profile() or self.fallback_profile

    def _snapshot(self) -> dict[str, Any]:
        found = self.cache.get("snapshot")
        return found[0] if found else {}

    def login(self, card: str) -> dict[str, Any]:
        """May ``card`` start a visit offline? ``pin_required`` follows the profile; PIN
        hashes live only at central, so a machine that needs a PIN offline cannot check it
        (``pin_verifiable`` is False) and the session must say so rather than guess."""
        profile = self._profile()
        if profile is None:
            return _refusal("no_offline_policy") | {"message_key": "login.refused"}
        snapshot = self._snapshot()
        known = snapshot.get("patrons", {}).get(card)
        if known is None:
            return _refusal("unknown_card") | {"message_key": "login.refused"}
        now = self.clock.now()
        decision = check_login(profile, _account(card, known, now).patron, now, offline=True)
        result = decision_dict(decision) | {
            "pin_required": decision.pin_required,
            "pin_verifiable": False,
        }
        self._add_blocks(result, snapshot.get("blocked", {}).get(card))
        return result

    @staticmethod
    def _add_blocks(result: dict[str, Any], blocked: list[str] | None) -> None:
        """Central's block list wins: a blocked card is refused offline, whatever else."""
        if not blocked:
            return
        known_codes = {r["code"] for r in result["reasons"]}
        for code in blocked:
            if code not in known_codes:
                result["reasons"].append(
                    {"code": code, "message_key": f"reason.{code}", "params": {}}
                )
        result["allowed"] = False

    def checkout(
        self, card: str, item_barcode: str, *, items_this_visit: int = 0
    ) -> dict[str, Any]:
        """May ``card`` take ``item_barcode`` home while central is unreachable?"""
        profile = self._profile()
        if profile is None:
            return _refusal("no_offline_policy")
        snapshot = self._snapshot()
        known = snapshot.get("patrons", {}).get(card)
        if known is None:
            return _refusal("unknown_card")
        now = self.clock.now()
        account = _account(card, known, now)
        item = _item(item_barcode, snapshot)
        decision = check_checkout(
            profile,
            account,
            item,
            now,
            item_holds=_holds(item_barcode, snapshot, now),
            offline=True,
            items_this_visit=items_this_visit,
        )
        result = decision_dict(decision)
        self._add_blocks(result, snapshot.get("blocked", {}).get(card))
        return result

    def checkin(self, item_barcode: str, *, branch: str | None = None) -> dict[str, Any]:
        """A return offline: accepted unless the profile says the format may not come back
        offline; the destination follows the cached hold list."""
        profile = self._profile()
        if profile is None:
            return {
                "allowed": True,
                "reasons": [],
                "message_key": "checkin.ok",
                "source": "offline",
            }
        snapshot = self._snapshot()
        now = self.clock.now()
        decision = check_checkin(
            profile,
            _item(item_barcode, snapshot),
            now,
            item_holds=_holds(item_barcode, snapshot, now),
            offline=True,
            branch=branch,
        )
        return decision_dict(decision)


def _account(card: str, known: dict[str, Any], now: datetime) -> PatronAccount:
    expires = date.fromisoformat(known["expires"]) if known.get("expires") else None
    patron = Patron(
        barcode=card, name="", category=str(known.get("category", "adult")), expires=expires
    )
    today = now.date()
    overdue = int(known.get("overdue", 0))
    loans = tuple(
        Loan(
            patron=card,
            item=f"?{n}",
            checked_out=now - timedelta(days=60),
            due=today - timedelta(days=1) if n < overdue else today + timedelta(days=14),
        )
        for n in range(int(known.get("loans", 0)))
    )
    balance = Decimal(str(known.get("balance", "0")))
    fees = (Fee(patron=card, kind=FeeKind.OVERDUE, amount=balance),) if balance > 0 else ()
    return PatronAccount(patron=patron, loans=loans, fees=fees)


def _item(barcode: str, snapshot: dict[str, Any]) -> Item:
    known = snapshot.get("items", {}).get(barcode, {})
    return Item(barcode=barcode, title="", format=str(known.get("format", DEFAULT_FORMAT)))


def _holds(barcode: str, snapshot: dict[str, Any], now: datetime) -> tuple[Hold, ...]:
    hold = snapshot.get("holds", {}).get(barcode)
    if not hold:
        return ()
    status = HoldStatus.READY if hold.get("status") == "ready" else HoldStatus.WAITING
    return (
        Hold(
            patron=str(hold.get("patron") or hold.get("patron_alias", "?")),
            pickup_branch=str(hold.get("pickup_branch", "")),
            placed=now,
            item=barcode,
            status=status,
        ),
    )
