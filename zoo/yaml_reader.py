"""The bounded, safe YAML reader: a file or text in, plain data out, or a :class:`ModelConfigError`.

A YAML is data: it is parsed with a safe loader, ``!!python/*`` tags are refused, and the work a
document may cause is bounded by :func:`zoo.limits.limits` before it is composed: file size, node count
with aliases expanded ("billion laughs"), nesting depth. Recursive aliases and duplicate keys are
refused rather than letting the last key win.

Torch-free.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import ModelConfigError, clip_text, short_repr
from zoo.limits import Limits, limit_error, limits

__all__ = ["load_yaml", "parse_yaml_text", "path_text"]

try:  # libyaml is 10x faster; both loaders are safe
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping safely, within :func:`limits`.

    Args:
        path (str | Path): The file.

    Returns:
        (dict): The parsed mapping.

    Raises:
        ModelConfigError: For a missing or unreadable file (a directory, a path too long, no permission),
            non-UTF-8 bytes, YAML syntax, ``!!python`` tags, duplicate keys, recursive aliases or a
            document that is not a mapping.
        LimitExceededError: For a file, an alias expansion or a nesting beyond :func:`limits`.
    """
    path = Path(path)
    source = path_text(path)
    lim = limits()
    raw = _read_bounded(path, source, lim)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelConfigError(
            f"{source}: not UTF-8 text (invalid byte 0x{raw[e.start]:02x} at offset {e.start}); save the file as UTF-8"
        ) from None
    data = parse_yaml_text(text, source, lim)
    if not isinstance(data, dict):
        raise ModelConfigError(f"{source}: expected a mapping with 'backbone' and 'head', got {type(data).__name__}")
    return data


def path_text(path: Path) -> str:
    """``path`` for a message: a path of thousands of characters is cut in the middle."""
    text = str(path)
    return text if len(text) <= 300 else f"{text[:150]}...{text[-140:]} ({len(text)} characters)"


def _read_bounded(path: Path, source: str, lim: Limits) -> bytes:
    """The file's bytes, refusing what is not a regular file or is larger than ``lim.yaml_bytes``."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ModelConfigError(f"{source}: is a directory, not a model YAML file")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise ModelConfigError(f"{source}: not a regular file; a model YAML is a file on disk")
        if info.st_size > lim.yaml_bytes:
            raise limit_error(source, "file size (bytes)", info.st_size, "yaml_bytes", lim)
        with open(path, "rb") as f:
            raw = f.read(lim.yaml_bytes + 1)
    except FileNotFoundError:
        raise ModelConfigError(f"{source}: no such model YAML file") from None
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise ModelConfigError(f"{source}: path too long for this system ({os.strerror(e.errno)})") from None
        raise ModelConfigError(f"{source}: cannot read the model YAML ({type(e).__name__}: {e.strerror or e})") from None
    if len(raw) > lim.yaml_bytes:  # grew while we read it
        raise limit_error(source, "file size (bytes)", len(raw), "yaml_bytes", lim)
    return raw


def parse_yaml_text(text: str, source: str = "<yaml>", lim: Limits | None = None) -> Any:
    """Parse YAML text with a safe loader, after checking its size with aliases expanded.

    Args:
        text (str): The document.
        source (str): Its name, for messages.
        lim (Limits | None): Limits to apply (default :func:`limits`).

    Returns:
        The parsed document.

    Raises:
        ModelConfigError: For syntax, refused tags, duplicate keys or recursive aliases.
        LimitExceededError: For more nodes (aliases expanded) or deeper nesting than allowed.
    """
    lim = lim or limits()
    if len(text) > lim.yaml_bytes:
        raise limit_error(source, "text size (characters)", len(text), "yaml_bytes", lim)
    try:
        _check_events(text, source, lim)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_duplicate_keys(loader, node, source)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as e:
        mark = f" at line {e.problem_mark.line + 1}" if e.problem_mark else ""
        if "could not determine a constructor" in str(e.problem):
            raise ModelConfigError(
                f"{source}{mark}: tag refused ({short_repr(e.problem, 200)}); model YAMLs hold data only, no Python objects"
            ) from None
        raise ModelConfigError(f"{source}{mark}: {short_repr(e.problem, 200)}") from None
    except yaml.YAMLError as e:
        raise ModelConfigError(f"{source}: invalid YAML: {clip_text(str(e), 500)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        if isinstance(e, ModelConfigError):
            raise
        # e.g. an int of 5,000 digits, a date like 2001-13-45: values Python refuses to construct
        raise ModelConfigError(f"{source}: a value cannot be read ({type(e).__name__}: {clip_text(str(e), 200)})") from None


def _check_events(text: str, source: str, lim: Limits) -> None:
    """Count nodes with aliases expanded and nesting depth from the event stream, before composing.

    Iterative and memory-flat: an anchored node's expanded size is remembered, each alias adds it, and the
    count stops at the budget. Composing first is unsafe: libyaml recurses in C and crashes on deep nesting.
    """
    loader = _Loader(text)
    try:
        nodes, sizes, open_nodes = 0, {}, []  # open_nodes: (anchor, node count at start)
        while not _next_event_ready(loader, source, lim):
            event = loader.get_event()
            if isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                nodes += 1
                open_nodes.append((event.anchor, nodes))
                if len(open_nodes) > lim.yaml_depth:
                    raise limit_error(
                        f"{source} at line {event.start_mark.line + 1}", "nesting depth", len(open_nodes), "yaml_depth", lim
                    )
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, start = open_nodes.pop()
                if anchor:
                    sizes[anchor] = nodes - start + 1
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_nodes):
                    raise ModelConfigError(
                        f"{source} at line {event.start_mark.line + 1}: alias *{short_repr(event.anchor, 60)} refers to "
                        "a node that contains it (a recursive structure); model YAMLs are trees"
                    )
                nodes += sizes.get(event.anchor, 1)
            if nodes > lim.yaml_nodes:
                raise limit_error(
                    f"{source} at line {event.start_mark.line + 1}", "node count with aliases expanded (at least)",
                    nodes, "yaml_nodes", lim,
                )
    finally:
        loader.dispose()


def _next_event_ready(loader: Any, source: str, lim: Limits) -> bool:
    """``check_event(StreamEnd)``, with libyaml's own nesting refusal reported as the depth limit.

    Recent libyaml scanners stop at 1,000 flow levels while reading ahead, before the event that would
    cross zoo's lower limit reaches the counter; either way the file nests deeper than the limit.
    """
    try:
        return loader.check_event(yaml.StreamEndEvent)
    except yaml.YAMLError as e:
        if "nesting depth" not in str(getattr(e, "problem", "")):
            raise
        line = e.problem_mark.line + 1 if getattr(e, "problem_mark", None) else "?"
        raise limit_error(f"{source} at line {line}", "nesting depth (at least)", lim.yaml_depth + 1, "yaml_depth",
                          lim) from None


def _check_duplicate_keys(loader: Any, root: yaml.Node, source: str) -> None:
    """Refuse a mapping that names a key twice (YAML loaders keep the last silently)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key, value in node.value:
                stack.append(value)
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    stack.append(key)
                    continue
                try:
                    ident = loader.construct_object(key)  # 1, 0x1 and true are one Python key
                    line = first.setdefault(ident, key.start_mark.line + 1)
                except TypeError:  # unhashable: the constructor refuses it with its own message
                    continue
                if line != key.start_mark.line + 1:
                    raise ModelConfigError(
                        f"{source} at line {key.start_mark.line + 1}: duplicate key {short_repr(key.value, 60)} "
                        f"(first at line {line}); remove one, YAML would silently keep the last"
                    )
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)

