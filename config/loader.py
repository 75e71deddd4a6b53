"""Read a YAML config file, merge overlays, and validate it into Settings."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.schema import Settings

CONFIG_DIR = Path(__file__).resolve().parent
ENV_CONFIG = "SAIGAWATCH_CONFIG"


class ConfigError(Exception):
    """A config file is missing, unreadable or invalid; the message names file, key and expectation."""


def default_config_path() -> Path:
    """The config file in use: $SAIGAWATCH_CONFIG, else the shipped config/saigawatch.yaml."""
    env = os.environ.get(ENV_CONFIG)
    return Path(env) if env else CONFIG_DIR / "saigawatch.yaml"


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping (YAML would keep only the last)."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *defaults` merges an anchor; keys given here may override what it brings
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: the constructor below reports it
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first given on line {first + 1}); give each key once",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}:{where}: invalid YAML: {problem}") from None
    if data is None:
        raise ConfigError(f"{path}: line 1: the file is empty (no settings); give at least one setting, "
                          f"or 'extends:' a config file")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# Paths that belong with the config files themselves (not with the working directory):
# a relative value is taken relative to the YAML file that sets it.
FILE_RELATIVE_KEYS = (("classifier", "lexicon_dir"),)


def _anchor_paths(data: dict[str, Any], directory: Path) -> None:
    for section, key in FILE_RELATIVE_KEYS:
        block = data.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), str) and not Path(block[key]).expanduser().is_absolute():
            block[key] = str(directory / block[key])


def _load_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a file and, first, the file it `extends:` (relative to itself)."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: 'extends' loops back to itself")
    data = _read_yaml(path)
    _anchor_paths(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: key 'extends': expected a file path, got {parent!r}")
    base = _load_raw((path.parent / parent), seen + (path,))
    _inherit_sources(path, data, base)
    return _merge(base, data)


def _inherit_sources(path: Path, data: dict[str, Any], base: dict[str, Any]) -> None:
    """`like: NAME` in a source of an overlay file: start from the extended file's source NAME (its site spec
    included) and change only the keys given, e.g. the demo's base_url."""
    sources = data.get("sources")
    if not isinstance(sources, list):
        return
    parents = {s.get("name"): s for s in base.get("sources") or [] if isinstance(s, dict)}
    for i, source in enumerate(sources):
        if not isinstance(source, dict) or "like" not in source:
            continue
        like = source.pop("like")
        if like not in parents:
            known = ", ".join(str(n) for n in parents) or "none"
            raise ConfigError(f"{path}: key 'sources[{source.get('name', i)}].like': no source {like!r} in the "
                              f"extended file (its sources: {known})")
        sources[i] = _merge(parents[like], source)


UNION_BRANCH = re.compile(r"^(function-(after|before|wrap|plain)\[.*\]|Reader|list\[Reader\]|list\[.*\])$")


def _key(loc: tuple, raw: dict[str, Any]) -> str:
    """The dotted key of an error; a source is named, not numbered: sources[violity].spec.list.fields.price."""
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        sources = raw.get("sources")
        entry = sources[loc[1]] if isinstance(sources, list) and loc[1] < len(sources) else None
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            parts[:2] = [f"sources[{entry['name']}]"]
    # pydantic names the branch of a union (Reader | list[Reader]) and validators it tried; the user never wrote those
    return ".".join(p for p in parts if not UNION_BRANCH.match(p)) or "(top level)"


def _format_error(path: Path, exc: ValidationError, raw: dict[str, Any] | None = None) -> str:
    err = exc.errors()[0]
    key = _key(tuple(err["loc"]), raw or {})
    got = err.get("input")
    got_s = "" if isinstance(got, dict) else f" (got {got!r})"
    more = f" [+{len(exc.errors()) - 1} more]" if len(exc.errors()) > 1 else ""
    return f"{path}: key '{key}': {err['msg']}{got_s}{more}"


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load, merge and validate a config file; raise ConfigError with one clear line on any problem."""
    path = Path(path) if path else default_config_path()
    raw = _load_raw(path)
    if overrides:
        raw = _merge(raw, overrides)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc, raw)) from None
    settings.config_path = path.resolve()
    if settings.classifier.lexicon_dir is None:
        settings.classifier.lexicon_dir = str(CONFIG_DIR / "lexicons")
    return settings
