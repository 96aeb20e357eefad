"""Finding and loading a profile: by name (``hefei``) or by path; one clear line when bad."""

from __future__ import annotations

import hashlib
import os
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
        raise ConfigError(
            "is set by the loader (a hash of the file), not written in it",
            file=shown,
            key="version",
        )
    parsed["version"] = hashlib.sha256(data).hexdigest()[:16]
    try:
        return Profile.model_validate(parsed)
    except ValidationError as exc:
        raise _one_line(exc, shown) from exc


def _one_line(exc: ValidationError, file: str) -> ConfigError:
    """The first problem as ``file: key: what is wrong`` (the count when there are more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"] if not _is_type_tag(part))
    message = _message(first)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ConfigError(message, file=file, key=key or None)


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
