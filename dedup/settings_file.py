"""Settings from a configuration file.

dedup looks for its settings in the current folder and then in each parent
folder, and uses the first folder that has one of (in this order):

1. ``dedup.toml`` - keys at the top level, or in a ``[dedup]`` table;
2. ``pyproject.toml`` - the ``[tool.dedup]`` table;
3. ``setup.cfg`` - the ``[dedup]`` section.

The environment variable ``DEDUP_CONFIG`` names a file to use instead (any of
the three kinds, by its name; another name is read as ``dedup.toml``). Keys
are the names of the command-line options with ``-`` or ``_`` (for example
``threshold``, ``num_perm``, ``min-tokens``, ``index``, ``baseline``,
``format``, ``ext``, ``text-field``); flags given on the command line override
them. ``setup.cfg`` values are strings and are converted (integers, numbers,
``true``/``false``, comma-separated lists for ``ext``).

TOML needs Python 3.11+ (``tomllib``) or the ``tomli`` package
(``pip install 'article-dedup[toml]'`` on older Pythons); ``setup.cfg`` always works.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError, MissingDependencyError

__all__ = ["CONFIG_ENV", "FileSettings", "find_settings", "load_settings_file"]

#: Environment variable naming a settings file to use.
CONFIG_ENV = "DEDUP_CONFIG"

_CANDIDATES = ("dedup.toml", "pyproject.toml", "setup.cfg")

#: Keys accepted under another name.
ALIASES = {"ext": "extensions", "format": "fmt"}


@dataclass(frozen=True)
class FileSettings:
    """Settings read from a file.

    Attributes:
        values: Normalized keys (``_`` separators, aliases resolved) to values.
        source: Where they came from, e.g. ``"/repo/pyproject.toml [tool.dedup]"``
            (``None`` when no file was found).
    """

    values: dict[str, Any] = field(default_factory=dict)
    source: str | None = None


def _toml(path: str) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise MissingDependencyError(
                f"{path}: reading TOML needs Python 3.11+ or tomli (pip install 'article-dedup[toml]')"
            ) from None
    from .io.nesting import MAX_NESTING, too_deep

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        text = data.decode("utf-8")
        if too_deep(text, "toml"):
            raise ConfigError(f"{path}: nested deeper than {MAX_NESTING} levels")
        return tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _convert(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    for conv in (int, float):
        try:
            return conv(text.strip())
        except ValueError:
            pass
    return text.strip()


def _normalize(raw: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            raise ConfigError(f"{where}: {key!r} must be a value, not a table")
        name = key.replace("-", "_")
        name = ALIASES.get(name, name)
        if name == "extensions":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: ext must be a list of file endings")
            value = tuple(value)
        out[name] = value
    return out


def load_settings_file(path: str) -> FileSettings:
    """Read the dedup settings of one file (empty when it has no dedup section).

    Raises:
        ConfigError: The file cannot be read or parsed.
        MissingDependencyError: TOML cannot be read on this Python.
    """
    base = os.path.basename(path)
    if base == "setup.cfg" or base.endswith(".cfg") or base.endswith(".ini"):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8") as fh:
                parser.read_file(fh)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except configparser.Error as exc:
            raise ConfigError(f"{path}: invalid: {exc}") from None
        if not parser.has_section("dedup"):
            return FileSettings()
        where = f"{path} [dedup]"
        raw = {k: _convert(v) for k, v in parser.items("dedup")}
        return FileSettings(_normalize(raw, where), where)
    data = _toml(path)
    if base == "pyproject.toml":
        table = data.get("tool", {}).get("dedup") if isinstance(data.get("tool"), dict) else None
        where = f"{path} [tool.dedup]"
    elif isinstance(data.get("dedup"), dict):
        table, where = data["dedup"], f"{path} [dedup]"
    else:
        table, where = data, path
    if table is None:
        return FileSettings()
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    return FileSettings(_normalize(table, where), where)


def find_settings(start: str | None = None) -> FileSettings:
    """Find and read the settings file that applies in ``start`` (default: cwd).

    Raises:
        ConfigError: The file found cannot be read or parsed.
    """
    env = os.environ.get(CONFIG_ENV)
    if env:
        if not os.path.isfile(env):
            raise ConfigError(f"{CONFIG_ENV}={env}: no such file")
        return load_settings_file(env)
    folder = os.path.abspath(start or os.getcwd())
    while True:
        for name in _CANDIDATES:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found = load_settings_file(path)
                if found.source is not None:
                    return found
        parent = os.path.dirname(folder)
        if parent == folder:
            return FileSettings()
        folder = parent
