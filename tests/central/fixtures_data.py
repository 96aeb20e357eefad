"""Small fixtures for the central tests, one per library, written as TOML text."""

from __future__ import annotations

HEFEI = """
[library]
name = "Hefei Library"
policy = "hefei"
timezone = "Asia/Shanghai"
currency = "CNY"
branches = ["main", "yueshufang-1"]

[[patron]]
barcode = "3401010000001"
name = "Wang Fang"
category = "adult"
birth_date = "1985-03-12"
email = "wang@example.org"
language = "zh_CN"

[[patron]]
barcode = "3401010000002"
pin = "246813"
name = "Li Lei"
category = "adult"
email = "li@example.org"
language = "zh_CN"

[[patron]]
barcode = "3401010000003"
pin = "975310"
name = "Zhao Min"
category = "adult"
history_opt_in = true

[[patron]]
barcode = "1234567890123"
pin = "135790"
name = "Old Card"
category = "adult"

[[patron]]
barcode = "3401010000005"
pin = "135790"
name = "Expired Card"
category = "adult"
expires = "2025-01-31"

[[item]]
barcode = "31234000012345"
title = "红楼梦"
author = "曹雪芹"
format = "book"
owning_branch = "main"
price = "45.00"

[[item]]
barcode = "31234000012346"
title = "西游记"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012347"
title = "三国演义"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012348"
title = "水浒传"
format = "book"
owning_branch = "yueshufang-1"

[[item]]
barcode = "31234000012349"
title = "围城"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012350"
title = "活着"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012351"
title = "平凡的世界"
format = "book"
owning_branch = "main"

[[loan]]
patron = "3401010000002"
item = "31234000012349"
checked_out = "2026-10-01T10:00:00"
due = "2026-10-31"
"""

SANJOSE = """
[library]
name = "San José Public Library"
policy = "sanjose"
timezone = "America/Los_Angeles"
currency = "USD"
branches = ["king", "almaden"]

[[patron]]
barcode = "21197000000011"
pin = "4826"
name = "Ana Reyes"
category = "adult"
email = "ana@example.org"
language = "en"

[[patron]]
barcode = "21197000000029"
pin = "5937"
name = "Minh Tran"
category = "adult"
email = "minh@example.org"
language = "vi"

[[patron]]
barcode = "21197000000037"
pin = "6048"
name = "Ed Ucator"
category = "educator"

[[item]]
barcode = "31197000000015"
title = "The Grapes of Wrath"
format = "book"
owning_branch = "king"
price = "18.00"

[[item]]
barcode = "31197000000023"
title = "Hotspot 1"
format = "hotspot"
owning_branch = "king"
price = "80.00"

[[item]]
barcode = "31197000000031"
title = "Goodnight Moon"
format = "book"
audience = "child"
owning_branch = "king"
price = "9.00"

[[item]]
barcode = "31197000000049"
title = "The Grapes of Wrath"
format = "book"
owning_branch = "almaden"
price = "18.00"

[[loan]]
patron = "21197000000011"
item = "31197000000015"
checked_out = "2026-11-05T10:00:00"
due = "2026-11-26"

[[loan]]
patron = "21197000000029"
item = "31197000000023"
checked_out = "2026-08-01T10:00:00"
due = "2026-10-30"

[[hold]]
patron = "21197000000029"
title = "The Grapes of Wrath"
pickup_branch = "king"
placed = "2026-11-10T09:00:00"
"""

HAMBURG = """
[library]
name = "Bücherhallen Hamburg"
policy = "hamburg"
timezone = "Europe/Berlin"
currency = "EUR"
branches = ["zentrale", "altona"]

[[patron]]
barcode = "A0000001"
pin = "4711"
name = "Greta Berg"
category = "adult"
email = "greta@example.org"
language = "de"

[[patron]]
barcode = "A0000002"
pin = "8152"
name = "Jonas Kuhn"
category = "adult"
language = "de"

[[patron]]
barcode = "A0000003"
pin = "9263"
name = "Tag Karte"
category = "day"

[[item]]
barcode = "M0000001"
title = "Tschick"
format = "book"
owning_branch = "zentrale"

[[item]]
barcode = "M0000002"
title = "Der Vorleser"
format = "book"
owning_branch = "altona"

[[item]]
barcode = "M0000003"
title = "Onleihe E-Book"
format = "emedia"
owning_branch = "zentrale"

[[loan]]
patron = "A0000002"
item = "M0000001"
checked_out = "2026-11-01T10:00:00"

[[loan]]
patron = "A0000002"
item = "M0000003"
checked_out = "2026-11-01T10:00:00"

[[credit]]
patron = "A0000001"
amount = "10.00"
"""
