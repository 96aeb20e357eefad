"""Finding and loading a profile: by name (``hefei``) or by path; one clear line when bad."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from kiosk.errors import ConfigError
from kiosk.policy.profile import Profile

_PACKAGE_DIR = Path(__file__).resolve().parent / "profiles"
_REPO_DIR = Path(__file__).resolve().parents[2] / "config" / "policies"


def profile_dirs() -> list[Path]:
    """Where named profiles are looked up: ``KIOSK_POLICY_DIR``, the repository, the package."""
    dirs = []
    if env := os.environ.get("KIOSK_POLICY_DIR"):
        dirs.append(Path(env))
    dirs += [_REPO_DIR, _PACKAGE_DIR]
    return dirs


def available_profiles() -> list[str]:
    names: set[str] = set()
    for directory in profile_dirs():
        if directory.is_dir():
            names.update(p.stem for p in directory.glob("*.toml"))
    return sorted(names)


def find_profile(name_or_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or os.sep in text or "/" in text:
        if not path.is_file():
            raise ConfigError("no such profile file", file=text)
        return path
    for directory in profile_dirs():
        candidate = directory / f"{text}.toml"
        if candidate.is_file():
            return candidate
    known = ", ".join(available_profiles()) or "none"
    raise ConfigError(f"no profile named {text!r} (known: {known})", file=text)


def load_profile(name_or_path: str | os.PathLike[str]) -> Profile:
    """Load and validate a profile; a bad file raises ConfigError naming the file and key."""
    path = find_profile(name_or_path)
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=shown) from exc
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", file=shown) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=shown) from exc
    if "version" in parsed:
        line = key_line(data.decode("utf-8"), "version")
        raise ConfigError(
            "is set by the loader (a hash of the file), not written in it",
            file=f"{shown}:{line}" if line else shown,
            key="version",
        )
    parsed["version"] = hashlib.sha256(data).hexdigest()[:16]
    try:
        return Profile.model_validate(parsed)
    except ValidationError as exc:
        raise _one_line(exc, shown, data.decode("utf-8")) from exc


def _one_line(exc: ValidationError, file: str, text: str) -> ConfigError:
    """The first problem as ``file:line: key: what is wrong`` (the count when there are more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"] if not _is_type_tag(part))
    message = _message(first)
    if not key and message.startswith("changes."):
        # a dated change names its own key inside the message; lift it out
        key, _, message = message.partition(": ")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    line = key_line(text, key) if key else None
    where = f"{file}:{line}" if line else file
    return ConfigError(message, file=where, key=key or None)


_HEADER = re.compile(r"^\[(\[)?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*(\"[^\"]+\"|[A-Za-z0-9_-]+)\s*=")


def key_line(text: str, dotted: str) -> int | None:
    """The line of ``text`` where the dotted key (``changes.1.rules.fines.per_day``) is set.

    Tables, arrays of tables and plain ``key =`` lines are followed; a key inside an inline
    table or array resolves to the line that holds it. None when it cannot be found.
    """
    wanted = dotted.split(".")
    arrays: dict[tuple[str, ...], int] = {}
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched depth, line)

    def consider(path: list[str], line_no: int) -> None:
        nonlocal best
        depth = len(path)
        if path[: len(wanted)] == wanted:  # the key's own table (its first occurrence)
            depth = len(wanted)
        elif not path or wanted[:depth] != path:
            return
        if best is None or depth > best[0]:
            best = (depth, line_no)

    for line_no, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw.strip())
        if header:
            names = [part.strip().strip('"') for part in header.group(2).split(".")]
            if header.group(1):  # [[array]]
                arrays[tuple(names)] = arrays.get(tuple(names), 0) + 1
            table = _resolve(names, arrays)
            consider(table, line_no)
            continue
        assign = _ASSIGN.match(raw)
        if assign:
            consider([*table, assign.group(1).strip('"')], line_no)
    if best is None:
        return None
    depth, line_no = best
    rest = wanted[depth:]
    if rest and rest[0].isdigit():
        # an element of a multi-line inline array: one ``{ … }`` per line
        lines = text.splitlines()
        elements = [
            n for n in range(line_no + 1, len(lines) + 1) if lines[n - 1].lstrip().startswith("{")
        ]
        index = int(rest[0])
        if index < len(elements):
            return elements[index]
    return line_no


def _resolve(names: list[str], arrays: dict[tuple[str, ...], int]) -> list[str]:
    """A table path with the index of each array-of-tables element it belongs to."""
    path: list[str] = []
    for depth, name in enumerate(names, start=1):
        path.append(name)
        count = arrays.get(tuple(names[:depth]))
        if count:
            path.append(str(count - 1))
    return path


def _is_type_tag(part: object) -> bool:
    # pydantic puts validator names such as "function-after[...]" in locations
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _message(error: dict[str, object]) -> str:
    kind = error.get("type")
    msg = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        return "unknown key (not part of a profile)"
    if kind == "missing":
        return "required key is missing"
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    value = error.get("input")
    if not isinstance(value, dict | list | tuple) and value is not None and repr(value) not in msg:
        return f"{msg} (got {value!r})"
    return msg
