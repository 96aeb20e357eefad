"""Every demo card reads as a patron card and every demo item as an item under its own
library's barcode rules (config/demo/generate.py); a demo that rejects its own labels at
the scanner teaches nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk.domain.barcode import BarcodeChain, BarcodeKind
from kiosk.policy import load_profile

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo"
DELIBERATELY_BAD: dict[str, set[str]] = {
    # An old Hefei card prefix: read as a card, refused at login by the policy.
    "hefei": {"2100100000042"},
}


@pytest.mark.parametrize("library", ["hefei", "hamburg", "sanjose"])
def test_demo_barcodes_classify_under_their_own_profile(library: str) -> None:
    data = tomllib.loads((DEMO / f"{library}.toml").read_text("utf-8"))
    chain = BarcodeChain(load_profile(data["library"]["policy"]).barcodes.rules)
    wrong = []
    for kind, key in ((BarcodeKind.PATRON, "patron"), (BarcodeKind.ITEM, "item")):
        for entry in data[key]:
            code = entry["barcode"]
            result = chain.classify(code)
            if not (result.ok and result.kind is kind and result.value == code):
                wrong.append((code, kind.value, result.kind, result.error))
    assert wrong == []
    assert len(data["patron"]) >= 40 and len(data["item"]) >= 300
    for code in DELIBERATELY_BAD.get(library, ()):
        # still a card (so the patron hears why it is refused), and the policy refuses it
        assert chain.classify(code).kind is BarcodeKind.PATRON
        assert any(p["barcode"] == code for p in data["patron"])
