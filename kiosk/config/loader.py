"""Reading a machine configuration file and reporting every problem in it at once."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.config.machine import MachineConfig
from kiosk.errors import ConfigError


@dataclass(frozen=True)
class ConfigProblem:
    """One row of ``kiosk config validate``: where, which key, what is wrong."""

    file: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key or '(file)'}: {self.message}"


class ConfigInvalid(ConfigError):
    """A configuration file has problems; ``problems`` lists all of them."""

    def __init__(self, file: str, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{first.message}{more}",
            file=f"{first.file}:{first.line}" if first.line else first.file,
            key=first.key or None,
            message_key="error.config.invalid",
            count=len(problems),
        )


def _dotted(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    """('devices', 'scan', 'scanner', 'baudrate') -> 'devices.scan.baudrate'.

    pydantic puts a discriminated union's tag (the table's ``kind``) into the location;
    it is not a key of the file, so it is dropped wherever it appears.
    """
    parts: list[str] = []
    node: Any = data
    for part in loc:
        # ``[central]`` without ``kind`` is tagged "http" (its default kind).
        default_kind = "http" if parts == ["central"] else None
        if (
            isinstance(node, Mapping)
            and part not in node
            and node.get("kind", default_kind) == part
        ):
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, Mapping) else None
    return ".".join(parts)


def _line_of(key: str, text: str) -> int | None:
    """The line where ``key`` is set in TOML ``text`` (a best effort for the report)."""
    if not key or not text:
        return None
    *table, leaf = key.split(".")
    lines = text.splitlines()
    whole = re.compile(r"\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, key.split("."))) + r"\s*\]")
    for number, line in enumerate(lines):
        if whole.match(line):
            return number + 1
    start, end = 0, len(lines)
    if table:
        header = re.compile(r"\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]")
        for number, line in enumerate(lines):
            if header.match(line):
                start = number + 1
                break
        else:
            start = -1
    if start >= 0:
        for number in range(start, end):
            line = lines[number]
            if number > start and line.lstrip().startswith("[") and table:
                break
            if table == [] and line.lstrip().startswith("["):
                break
            if re.match(r"\s*" + re.escape(leaf) + r"\s*=", line):
                return number + 1
        if table and start > 0:
            return start  # the key is missing: point at its table
    return None


def _env_name(key: str) -> str:
    return "KIOSK_" + key.replace(".", "__").upper()


def problems_from(
    error: ValidationError, file: str, data: Mapping[str, Any], text: str = ""
) -> list[ConfigProblem]:
    problems = []
    for item in error.errors(include_url=False):
        key = _dotted(tuple(item["loc"]), data)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; see config/kiosk.example.toml)"
        elif item["type"] == "missing":
            message = "required setting is missing"
        elif item["type"] == "central_kind":  # see kiosk.config.machine.AnyCentral
            key += ".kind"
        elif item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            context = item.get("ctx", {})
            key += "." + str(context.get("discriminator", "'kind'")).strip("'")
            expected = str(context.get("expected_tags", "")).replace("'", "")  # tag_invalid only
            if item["type"] == "union_tag_invalid":
                message = f"{context.get('tag', '')!r} is not one of: {expected}"
            else:
                message = "required setting is missing (it says what kind of table this is)"
        if key.endswith(".[key]"):
            key = key.removesuffix(".[key]")
        env = _env_name(key)
        source = f"${env}" if env in os.environ else file
        line = None if source != file else _line_of(key, text)
        problems.append(ConfigProblem(source, key, message, line))
    return problems


def read_config(path: str | Path) -> tuple[MachineConfig | None, list[ConfigProblem]]:
    """The configuration and no problems, or None and every problem found."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [ConfigProblem(file, "", "file not found")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ConfigProblem(file, "", f"cannot read: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return None, [
            ConfigProblem(
                file, "", f"not valid TOML: {exc}", int(match.group(1)) if match else None
            )
        ]
    try:
        return MachineConfig(**data), []
    except ValidationError as exc:
        return None, problems_from(exc, file, data, text)


def load_config(path: str | Path) -> MachineConfig:
    """Read and validate a machine configuration; raises :class:`ConfigInvalid`."""
    config, problems = read_config(path)
    if config is None:
        raise ConfigInvalid(str(path), problems)
    return config
