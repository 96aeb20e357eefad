"""Write the demo fixtures config/demo/{hefei,hamburg,sanjose}.toml (deterministic).

Run ``python config/demo/generate.py`` after changing it; the output is committed. Each
library gets a few dozen patrons and a few hundred items that cover every card category and
item format of its profile, and the edges of its rules: old card prefixes, expired and
blocked cards, default PINs, overdue and long-overdue loans, loans at the limit, fees over
the block threshold, waiting/ready/expired holds, hold credit, lost/damaged/in-transit items,
children's items, and patrons with and without e-mail in each language.
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import tomli_w

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TODAY = date(2026, 11, 23)  # the demo's "now"; `kiosk demo --now` may move it


def _codabar(body: str) -> str:
    """``body`` (13 digits) with its Codabar mod-10 check digit appended."""
    sys.path.insert(0, str(ROOT))
    from kiosk.domain.barcode import codabar_check_digit

    return body + str(codabar_check_digit(body))


LIBRARIES: dict[str, dict[str, Any]] = {
    "hefei": {
        "library": {
            "name": "Hefei Library",
            "policy": "hefei",
            "timezone": "Asia/Shanghai",
            "currency": "CNY",
            "branches": ["main", "yueshufang-1", "yueshufang-2"],
            "institution_id": "HFL",
        },
        "card": lambda i: ("5513401" if i % 7 == 6 else "340101") + f"{i:07d}",
        # Deliberately bad: a card from before the 340101 alliance prefix. It still reads as a
        # patron card ("other card"), and the policy refuses it at login (old_card_prefix).
        "old_card": "2100100000042",
        "item": lambda i: f"3{1234000000000 + i:013d}",
        "languages": ["zh_CN", "zh_CN", "zh_CN", "en"],
        "names": [
            "Wang Fang",
            "Li Lei",
            "Zhang Wei",
            "Liu Yang",
            "Chen Jing",
            "Yang Min",
            "Zhao Lei",
            "Huang Li",
            "Zhou Jie",
            "Wu Xia",
            "Xu Tao",
            "Sun Hui",
        ],
        "titles": [
            "红楼梦",
            "西游记",
            "三国演义",
            "水浒传",
            "围城",
            "活着",
            "平凡的世界",
            "白鹿原",
            "边城",
            "骆驼祥子",
            "朝花夕拾",
            "呐喊",
            "家",
            "茶馆",
            "城南旧事",
        ],
        "default_pin": True,
        "price": (20, 80),
    },
    "hamburg": {
        "library": {
            "name": "Bücherhallen Hamburg",
            "policy": "hamburg",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
            "branches": ["zentrale", "altona", "harburg", "wandsbek"],
            "institution_id": "BHH",
        },
        "card": lambda i: f"A{i:09d}",
        "old_card": None,
        # Two letters: "M000000001" (one letter and digits) is what Hamburg's rules call a
        # lettered patron card; "BH…" falls through to the profile's "other item" rule.
        "item": lambda i: f"BH{i:010d}",
        "languages": ["de", "de", "de", "en", "vi"],
        "names": [
            "Greta Berg",
            "Jonas Kuhn",
            "Lena Vogel",
            "Paul Wagner",
            "Mia Schulz",
            "Felix Braun",
            "Anna Koch",
            "Tim Richter",
            "Nguyen Lan",
            "Emma Wolf",
        ],
        "titles": [
            "Tschick",
            "Der Vorleser",
            "Momo",
            "Die Verwandlung",
            "Faust",
            "Der Steppenwolf",
            "Effi Briest",
            "Emil und die Detektive",
            "Homo faber",
            "Das Parfum",
            "Die Blechtrommel",
            "Krabat",
            "Der Schimmelreiter",
        ],
        "default_pin": False,
        "price": (10, 40),
    },
    "sanjose": {
        "library": {
            "name": "San José Public Library",
            "policy": "sanjose",
            "timezone": "America/Los_Angeles",
            "currency": "USD",
            "branches": ["king", "almaden", "alviso", "berryessa", "willow-glen"],
            "institution_id": "SJPL",
        },
        # 14-digit Codabar numbers whose last digit is the mod-10 check digit, as the San
        # José profile's barcode rules require.
        "card": lambda i: _codabar(f"21197{i:08d}"),
        "old_card": None,
        "item": lambda i: _codabar(f"31197{i:08d}"),
        "languages": ["en", "en", "vi", "en", "de"],
        "names": [
            "Ana Reyes",
            "Minh Tran",
            "John Smith",
            "Maria Garcia",
            "David Kim",
            "Linh Pham",
            "Sarah Lee",
            "Carlos Lopez",
            "Emily Chen",
            "Kevin Nguyen",
        ],
        "titles": [
            "The Grapes of Wrath",
            "Beloved",
            "Goodnight Moon",
            "Dune",
            "Hamlet",
            "The Hobbit",
            "Where the Wild Things Are",
            "Moby-Dick",
            "Kindred",
            "The Joy Luck Club",
            "Native Speaker",
            "Parable of the Sower",
        ],
        "default_pin": False,
        "price": (8, 120),
    },
}


def _profile(policy: str) -> Any:
    sys.path.insert(0, str(ROOT))
    from kiosk.policy import load_profile

    return load_profile(policy)


def build(key: str) -> dict[str, Any]:
    spec = LIBRARIES[key]
    rng = random.Random(key)
    profile = _profile(spec["library"]["policy"])
    rules = profile.rule_set(TODAY)
    categories = sorted(rules.categories)
    formats = sorted(rules.formats)
    branches = spec["library"]["branches"]
    audiences = ["adult", "teen", "child"]

    patrons: list[dict[str, Any]] = []
    for i in range(40):
        name = f"{spec['names'][i % len(spec['names'])]} {i:02d}"
        birth = date(1950 + rng.randrange(60), rng.randrange(1, 13), rng.randrange(1, 28))
        patron: dict[str, Any] = {
            "barcode": spec["card"](i + 1),
            "name": name,
            "category": categories[i % len(categories)],
            "birth_date": birth.isoformat(),
            "language": spec["languages"][i % len(spec["languages"])],
            "home_branch": branches[i % len(branches)],
        }
        if not spec["default_pin"] or i % 3:
            patron["pin"] = (
                f"{rng.randrange(10**5, 10**6)}" if key == "hefei" else f"{1357 + 7 * i}"
            )
        if i % 4 != 3:
            patron["email"] = f"patron{i:02d}@example.org"
        if i % 9 == 4:
            patron["history_opt_in"] = True
        if i == 5:
            patron["expires"] = (TODAY - timedelta(days=30)).isoformat()
        else:
            patron["expires"] = (TODAY + timedelta(days=365 + 30 * i)).isoformat()
        if i == 6:
            patron["blocked"] = "card reported stolen"
        patrons.append(patron)
    if spec["old_card"]:
        patrons.append(
            {
                "barcode": spec["old_card"],
                "pin": "246802",
                "name": "Old Card Holder",
                "category": "adult",
                "language": "zh_CN",
            }
        )

    items: list[dict[str, Any]] = []
    for i in range(300):
        fmt = formats[i % len(formats)]
        audience = audiences[(i // len(formats)) % 3] if i % 5 == 0 else "adult"
        title = spec["titles"][i % len(spec["titles"])]
        items.append(
            {
                "barcode": spec["item"](i + 1),
                "title": f"{title} ({fmt})" if fmt != "book" else title,
                "author": f"Author {i % 37}",
                "format": fmt,
                "audience": audience,
                "owning_branch": branches[i % len(branches)],
                "price": f"{rng.randrange(*spec['price'])}.00",
                "status": "available",
            }
        )
    for index, status in ((290, "lost"), (291, "damaged"), (292, "missing"), (293, "in_transit")):
        items[index]["status"] = status

    lendable = [
        it
        for it in items
        if it["status"] == "available" and rules.formats[it["format"]].self_service
    ]
    loans: list[dict[str, Any]] = []
    taken: set[str] = set()

    def lend(patron: dict[str, Any], days_ago: int, due_in: int | None = None) -> None:
        item = next(it for it in lendable if it["barcode"] not in taken)
        taken.add(item["barcode"])
        item["status"] = "on_loan"
        out = TODAY - timedelta(days=days_ago)
        loan = {
            "patron": patron["barcode"],
            "item": item["barcode"],
            "checked_out": f"{out.isoformat()}T10:00:00",
        }
        if due_in is not None:
            loan["due"] = (TODAY + timedelta(days=due_in)).isoformat()
        loans.append(loan)

    limit = rules.loans.max_items or 5
    for _ in range(limit):  # patron 0: at the loan limit
        lend(patrons[0], 5)
    lend(patrons[1], 40, due_in=-10)  # overdue
    lend(patrons[2], 70, due_in=-35)  # long overdue: billed where the profile bills
    for p in range(7, 30):  # ordinary loans, due over the next weeks (tick has work)
        lend(patrons[p], rng.randrange(1, 20), due_in=(p % 12) + 1)
    lend(patrons[3], 20, due_in=3)  # due-soon notice tomorrow-ish
    lend(patrons[11], 1, due_in=0)

    holds: list[dict[str, Any]] = []
    on_loan = [loan["item"] for loan in loans]
    for n, p in enumerate(range(12, 20)):
        holds.append(
            {
                "patron": patrons[p]["barcode"],
                "item": on_loan[n + 7],
                "pickup_branch": branches[n % len(branches)],
                "placed": f"{(TODAY - timedelta(days=n + 2)).isoformat()}T09:00:00",
                "status": "waiting",
            }
        )
    shelf = [it for it in lendable if it["barcode"] not in taken][:3]
    for n, (item, since) in enumerate(zip(shelf, (1, 10, 16), strict=True)):
        taken.add(item["barcode"])
        holds.append(
            {
                "patron": patrons[20 + n]["barcode"],
                "item": item["barcode"],
                "pickup_branch": branches[0],
                "placed": f"{(TODAY - timedelta(days=since + 3)).isoformat()}T09:00:00",
                "status": "ready",
                "ready_since": (TODAY - timedelta(days=since)).isoformat(),
            }
        )
    holds.append(
        {
            "patron": patrons[23]["barcode"],
            "title": spec["titles"][0],
            "pickup_branch": branches[-1],
            "placed": f"{(TODAY - timedelta(days=1)).isoformat()}T09:00:00",
            "status": "waiting",
        }
    )

    fees = [
        {
            "patron": patrons[1]["barcode"],
            "kind": "overdue",
            "amount": "1.50",
            "created": (TODAY - timedelta(days=20)).isoformat(),
        },
        {
            "patron": patrons[24]["barcode"],
            "kind": "lost",
            "amount": "25.00",
            "item": items[290]["barcode"],
            "created": (TODAY - timedelta(days=60)).isoformat(),
        },
        {"patron": patrons[25]["barcode"], "kind": "reminder", "amount": "1.00"},
        {"patron": patrons[26]["barcode"], "kind": "card", "amount": "1.00"},
    ]
    credits = []
    if profile.rules.holds.credit.enabled:
        credits = [
            {"patron": patrons[27]["barcode"], "amount": "10.00"},
            {"patron": patrons[28]["barcode"], "amount": "3.00"},
        ]
    return {
        "library": spec["library"],
        "patron": patrons,
        "item": items,
        "loan": loans,
        "hold": holds,
        "fee": fees,
        "credit": credits,
    }


def main() -> None:
    for key in LIBRARIES:
        data = build(key)
        if not data["credit"]:
            del data["credit"]
        header = (
            f"# Demo data for {data['library']['name']}: generated by config/demo/generate.py "
            f"for {TODAY.isoformat()}; do not edit by hand.\n"
        )
        (HERE / f"{key}.toml").write_text(header + tomli_w.dumps(data), encoding="utf-8")
        print(
            f"wrote config/demo/{key}.toml: {len(data['patron'])} patrons, "
            f"{len(data['item'])} items, {len(data['loan'])} loans, {len(data['hold'])} holds"
        )


if __name__ == "__main__":
    main()
