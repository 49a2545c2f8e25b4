"""The weights manifest: schema, strict validation and lookup. Stdlib only (no torch).

File layout (``weights_manifest.json`` at the repository root)::

    {"schema_version": 1,
     "weights": {"vit-b-cls.augreg2_in21k_ft_in1k": {"source": "hf://timm/…@<rev>/model.safetensors",
                                                    "sha256": "<64 hex>", "size": 346284714, …}}}

One file may serve several models: ``shared_with`` maps each other model to the part of it the file covers,
e.g. ImageNet ResNet-50 for ``deeplabv3p-m`` (its entry) and ``{"unet-l": "encoder"}``. The entry then also
answers to ``unet-l.<tag>``. ``"default": true`` makes it the ``DEFAULT`` of every model it serves; a list of
model names (``"default": ["sharedhead-n"]``) only of those, so that a stock model can take a file by name while a
team keeps its own ``DEFAULT`` for it. No entry is duplicated, so one digest pins one file.

Extra manifests (a team's own weights) are listed in ``ZOO_MANIFEST`` (``os.pathsep``-separated
paths); their entries join the shipped ones. A name defined twice, in one file or across files,
is an error naming both places: overriding a published entry silently would defeat pinning.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.weights.errors import ManifestError, UnknownWeightsError
from zoo.weights.manifest_io import read_manifest_json
from zoo.weights.quoting import short, short_path
from zoo.weights.names import SHA256_RE, split_name
from zoo.weights.sources import Source, parse_source

SCHEMA_VERSION = 1
#: The shipped manifest lives at the repository root, next to ``zoo/``.
# The repository's top-level weights_manifest.json, shipped inside the package through the
# zoo/weights_manifest.json link (a wheel stores the file itself).
DEFAULT_MANIFEST = Path(__file__).parent.parent / "weights_manifest.json"

FORMATS = ("safetensors", "pt")
LAYOUTS = ("zoo", "timm", "smp", "ultralytics", "torchvision")
#: What a file fills: ``model`` (the whole network), ``encoder`` (a segmentation model's first layer, the
#: image encoder), ``backbone`` (a detector's feature extractor, its first layer) or ``backbone+neck`` (every
#: layer but the head). Everything but ``model`` leaves the rest at its fresh initialisation.
COVERAGES = ("model", "encoder", "backbone", "backbone+neck")
PARTIAL_COVERAGES = ("encoder", "backbone", "backbone+neck")
#: field -> (required, accepted JSON types). ``sha256`` may be null only when unverified; ``size`` may be null
#: when unverified or when only the digest is published (the download is then capped, see zoo.weights.download).
FIELDS: dict[str, tuple[bool, tuple[type, ...]]] = {
    "source": (True, (str,)),
    "sha256": (True, (str, type(None))),
    "size": (True, (int, type(None))),
    "format": (True, (str,)),
    "layout": (True, (str,)),
    "coverage": (True, (str,)),
    "license": (True, (str,)),
    "dataset": (False, (str,)),
    "metrics": (False, (dict,)),
    "input_size": (False, (list,)),
    "mean": (False, (list,)),
    "std": (False, (list,)),
    "nc": (False, (int,)),
    "names": (False, (list, dict)),
    "paper": (False, (str,)),
    "url": (False, (str,)),
    "default": (False, (bool, list)),
    "allow_pickle": (False, (bool,)),
    "unverified": (False, (bool,)),
    "notes": (False, (str,)),
    "shared_with": (False, (dict,)),
}


@dataclass(frozen=True)
class WeightsEntry:
    """One validated manifest entry.

    Attributes:
        name (str): ``<model>.<tag>``.
        model (str): Model name part, e.g. ``deeplabv3p-s``.
        tag (str): Tag part, e.g. ``voc``.
        source (Source): Parsed source.
        sha256 (str | None): Full lowercase hex digest; None only for unverified entries.
        size (int | None): Size in bytes; None when unverified or not published (the digest still pins it).
        format (str): ``safetensors`` or ``pt``.
        layout (str): Key layout, selects the converter.
        coverage (str): What the file fills in ``model`` (one of :data:`COVERAGES`).
        license (str): License of the weights.
        default (bool): Whether this is the ``DEFAULT`` weights of at least one model (see ``default_models``).
        allow_pickle (bool): Whether the publisher vouches for loading this ``.pt`` with weights_only.
        unverified (bool): No pinned digest/size: refused unless the caller allows unverified weights.
        shared_with (Mapping[str, str]): Other models this file serves, with what it covers in each.
        default_models (tuple[str, ...]): The models whose ``DEFAULT`` this entry is.
        manifest (Path | None): File the entry came from.
        meta (dict): The remaining descriptive fields (dataset, metrics, input_size, mean, std, nc,
            names, paper, url, notes).
    """

    name: str
    model: str
    tag: str
    source: Source
    sha256: str | None
    size: int | None
    format: str
    layout: str
    coverage: str
    license: str
    default: bool = False
    allow_pickle: bool = False
    unverified: bool = False
    shared_with: Mapping[str, str] = field(default_factory=dict)
    default_models: tuple[str, ...] = ()
    manifest: Path | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> tuple[str, ...]:
        """Every model this file serves: the entry's own first, then ``shared_with``."""
        return (self.model, *self.shared_with)

    def names(self) -> tuple[str, ...]:
        """Every name the entry answers to: ``<model>.<tag>`` for each model it serves."""
        return tuple(f"{m}.{self.tag}" for m in self.models)

    def coverage_for(self, model_name: str | None) -> str:
        """What the file covers in ``model_name`` (the entry's own coverage for a model it does not list)."""
        return self.shared_with.get(model_name, self.coverage) if model_name else self.coverage

    @property
    def nc(self) -> int | None:
        """Number of classes of the checkpoint's head, if recorded."""
        return self.meta.get("nc")

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the JSON object stored in a manifest.

        Returns:
            (dict[str, Any]): JSON-serialisable fields (without the name key).
        """
        out: dict[str, Any] = {
            "source": self.source.raw,
            "sha256": self.sha256,
            "size": self.size,
            "format": self.format,
            "layout": self.layout,
            "coverage": self.coverage,
            "license": self.license,
        }
        out.update(self.meta)
        for flag in ("default", "allow_pickle", "unverified"):
            if getattr(self, flag):
                out[flag] = True
        if self.default and set(self.default_models) != set(self.models):
            out["default"] = list(self.default_models)
        if self.shared_with:
            out["shared_with"] = dict(self.shared_with)
        return out


class Manifest:
    """A validated set of weights entries, merged from one or more manifest files."""

    def __init__(self, entries: Mapping[str, WeightsEntry], paths: tuple[Path, ...] = ()):
        """Build a manifest from validated entries.

        Args:
            entries (Mapping[str, WeightsEntry]): Entries by name.
            paths (tuple[Path, ...]): Files the entries came from.
        """
        self.entries: dict[str, WeightsEntry] = dict(entries)
        self.paths = paths
        # '<shared model>.<tag>' -> entry: the other names of files that serve several models
        self.aliases: dict[str, WeightsEntry] = {n: e for e in self.entries.values() for n in e.names()[1:]}

    def __iter__(self) -> Iterator[WeightsEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries or name in self.aliases

    def get(self, name: str) -> WeightsEntry:
        """Return the entry called ``name``.

        Args:
            name (str): ``<model>.<tag>``.

        Returns:
            (WeightsEntry): The entry.

        Raises:
            UnknownWeightsError: If there is none; the message lists close names.
        """
        try:
            return self.entries[name] if name in self.entries else self.aliases[name]
        except KeyError:
            # difflib is quadratic in the name's length: no suggestions for an absurdly long one
            close = difflib.get_close_matches(name, [*self.entries, *self.aliases], n=5, cutoff=0.5) if len(name) <= 200 else []
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise UnknownWeightsError(
                f"no weights named {short(name)} in {', '.join(map(short_path, self.paths)) or 'the manifest'}.{hint} "
                f"List them with zoo.weights.load_manifest().entries."
            ) from None

    def for_model(self, model_name: str) -> list[WeightsEntry]:
        """Return every entry of one model, default first.

        Args:
            model_name (str): e.g. ``deeplabv3p-s``.

        Returns:
            (list[WeightsEntry]): Entries, possibly empty.
        """
        found = [e for e in self.entries.values() if model_name in e.models]
        return sorted(found, key=lambda e: (model_name not in e.default_models, e.tag))

    def default_for(self, model_name: str) -> WeightsEntry | None:
        """Return the model's ``DEFAULT`` entry, or None if it has none.

        Args:
            model_name (str): e.g. ``vit-b-cls``.

        Returns:
            (WeightsEntry | None): The default entry.
        """
        return next((e for e in self.entries.values() if model_name in e.default_models), None)

    def coverage(self, model_name: str) -> str | None:
        """What the model's weights cover: its ``DEFAULT`` entry's coverage, else the widest of its verified entries.

        Args:
            model_name (str): e.g. ``unet-l``.

        Returns:
            (str | None): One of :data:`COVERAGES`, or None when no verified entry serves the model.
        """
        default = self.default_for(model_name)
        if default is not None and not default.unverified:
            return default.coverage_for(model_name)
        found = {e.coverage_for(model_name) for e in self.for_model(model_name) if not e.unverified}
        return next((c for c in COVERAGES[::-1] if c in found), None) if "model" not in found else "model"

    def models_with_weights(self, *, verified: bool = True) -> set[str]:
        """Models served by at least one entry (by default only entries with a pinned digest).

        Args:
            verified (bool): Count only entries that are not marked ``unverified``.

        Returns:
            (set[str]): Model names.
        """
        return {m for e in self.entries.values() if not (verified and e.unverified) for m in e.models}




def read_manifest_file(path: str | os.PathLike) -> dict[str, WeightsEntry]:
    """Read and strictly validate one manifest file.

    Args:
        path (str | os.PathLike): Manifest JSON file.

    Returns:
        (dict[str, WeightsEntry]): Entries by name.

    Raises:
        ManifestError: On any schema violation, or bytes that are not a JSON manifest (see
            :func:`zoo.weights.manifest_io.read_manifest_json`); the message names the file and the entry.
    """
    data, real = read_manifest_json(Path(path))
    return validate_manifest(data, path=real)


def validate_manifest(data: Any, *, path: Path | None = None) -> dict[str, WeightsEntry]:
    """Validate a parsed manifest document.

    Args:
        data (Any): Parsed JSON.
        path (Path | None): File it came from (for messages and relative local sources).

    Returns:
        (dict[str, WeightsEntry]): Entries by name.

    Raises:
        ManifestError: On any schema violation.
    """
    where = short_path(path) if path else "<manifest>"
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: top level must be a JSON object")
    extra = set(data) - {"schema_version", "weights"}
    if extra:
        raise ManifestError(f"{where}: unknown top-level field(s) {', '.join(map(short, sorted(extra)[:5]))}; "
                            "allowed: schema_version, weights")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):  # true == 1 in Python, not in the schema
        raise ManifestError(f"{where}: schema_version must be {SCHEMA_VERSION}, got {short(version)}")
    weights = data.get("weights")
    if not isinstance(weights, dict):
        raise ManifestError(f"{where}: 'weights' must be an object mapping '<model>.<tag>' to entries")
    entries: dict[str, WeightsEntry] = {}
    defaults: dict[str, str] = {}
    for name, raw in weights.items():
        entry = validate_entry(name, raw, path=path)
        for model in entry.default_models:
            if model in defaults:
                raise ManifestError(
                    f"{where}: entries {defaults[model]!r} and {name!r} are both the default for "
                    f"model {model!r}; mark only one with \"default\": true"
                )
            defaults[model] = name
        entries[name] = entry
    _check_unique_names(entries.values(), where)
    return entries


def _check_unique_names(entries, where: str) -> None:
    """Every name an entry answers to (its own and its ``shared_with`` ones) means one file only."""
    owner: dict[str, str] = {}
    for entry in entries:
        for name in entry.names():
            if name in owner:
                raise ManifestError(
                    f"{where}: {name!r} names both {owner[name]!r} and {entry.name!r} (through 'shared_with'); "
                    "a name must always mean the same bytes: change a tag"
                )
            owner[name] = entry.name


def validate_entry(name: Any, raw: Any, *, path: Path | None = None) -> WeightsEntry:
    """Validate one entry.

    Args:
        name (Any): Entry key.
        raw (Any): Entry object.
        path (Path | None): Manifest file, for messages and relative sources.

    Returns:
        (WeightsEntry): The validated entry.

    Raises:
        ManifestError: Naming the entry and the field at fault.
    """
    where = f"{short_path(path) if path else '<manifest>'}: entry {short(name)}"
    try:
        model, tag = split_name(name)
    except (TypeError, ValueError) as e:
        raise ManifestError(f"{where}: {e}") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        close = {u: difflib.get_close_matches(u, list(FIELDS), n=1) if len(u) <= 100 else [] for u in unknown[:5]}
        hints = ", ".join(f"{short(u)}" + (f" (did you mean {c[0]!r}?)" if c else "") for u, c in close.items())
        raise ManifestError(f"{where}: unknown field(s) {hints}; allowed: {', '.join(FIELDS)}")
    for key, (required, types) in FIELDS.items():
        if key not in raw:
            if required:
                raise ManifestError(f"{where}: missing required field {key!r}")
            continue
        value = raw[key]
        # bool is an int subclass: a 'size': true must not pass as 1 byte
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = "/".join("null" if t is type(None) else t.__name__ for t in types)
            raise ManifestError(f"{where}: field {key!r} must be {names}, got {short(value)}")
    unverified = raw.get("unverified", False)
    sha256, size = raw["sha256"], raw["size"]
    if sha256 is None and not unverified:
        raise ManifestError(
            f"{where}: 'sha256' is null; give the full 64-hex digest, or mark the entry \"unverified\": true"
        )
    if sha256 is not None and not SHA256_RE.match(sha256):
        raise ManifestError(
            f"{where}: malformed sha256 {short(sha256)}: expected 64 lowercase hex characters (the full digest)"
        )
    # a null size is fine when the digest is pinned: the digest alone decides, and downloads are capped
    if size is None and sha256 is None and not unverified:
        raise ManifestError(f"{where}: 'size' is null; give the size in bytes, or mark the entry \"unverified\": true")
    if size is not None and size <= 0:
        raise ManifestError(f"{where}: 'size' must be a positive number of bytes, got {size}")
    for key, allowed in (("format", FORMATS), ("layout", LAYOUTS), ("coverage", COVERAGES)):
        if raw[key] not in allowed:
            raise ManifestError(f"{where}: {key} {short(raw[key])} is not one of {', '.join(allowed)}")
    if raw["format"] == "safetensors" and raw.get("allow_pickle"):
        raise ManifestError(f"{where}: 'allow_pickle' makes no sense for a safetensors file; remove it")
    _check_meta(where, raw)
    shared_with = _check_shared_with(where, model, raw.get("shared_with", {}))
    default_models = _check_default(where, (model, *shared_with), raw.get("default", False))
    source = parse_source(raw["source"], base_dir=path.parent if path else None, where=where)
    expected_ext = ".safetensors" if raw["format"] == "safetensors" else (".pt", ".pth", ".bin")
    if not source.filename.endswith(expected_ext):
        raise ManifestError(
            f"{where}: format {raw['format']!r} but the source file is {short(source.filename)}; the "
            f"extension must match the format"
        )
    meta_keys = set(FIELDS) - {"source", "sha256", "size", "format", "layout", "coverage", "license",
                               "default", "allow_pickle", "unverified", "shared_with"}
    return WeightsEntry(
        name=name,
        model=model,
        tag=tag,
        source=source,
        sha256=sha256,
        size=size,
        format=raw["format"],
        layout=raw["layout"],
        coverage=raw["coverage"],
        license=raw["license"],
        default=bool(default_models),
        default_models=default_models,
        allow_pickle=raw.get("allow_pickle", False),
        unverified=unverified,
        shared_with=shared_with,
        manifest=path,
        meta={k: raw[k] for k in sorted(meta_keys) if k in raw},
    )


def _check_shared_with(where: str, model: str, shared: dict[str, Any]) -> dict[str, str]:
    """Check ``shared_with``: other model names, each mapped to one of :data:`COVERAGES`."""
    from zoo.weights.names import MODEL_RE

    for other, coverage in shared.items():
        if not MODEL_RE.match(other) or other == model:
            raise ManifestError(f"{where}: shared_with key {short(other)} must be another model name "
                                f"(lowercase words joined by hyphens, not {model!r} itself)")
        if coverage not in COVERAGES:
            raise ManifestError(f"{where}: shared_with[{other!r}] {short(coverage)} is not one of {', '.join(COVERAGES)}")
    return dict(shared)


def _check_default(where: str, models: tuple[str, ...], default: bool | list) -> tuple[str, ...]:
    """The models whose DEFAULT an entry is: all it serves for ``true``, the listed ones for a list."""
    if isinstance(default, bool):
        return models if default else ()
    stray = [m for m in default if m not in models]
    if stray or not default:
        raise ManifestError(f"{where}: 'default' lists {short(stray or default)}; list models the entry serves "
                            f"({', '.join(models)}), or use true for all of them")
    return tuple(dict.fromkeys(default))


def _check_meta(where: str, raw: dict[str, Any]) -> None:
    """Check the shapes of the descriptive fields (lists of numbers, names vs nc)."""
    if "input_size" in raw:
        v = raw["input_size"]
        if not (len(v) in (2, 3) and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)):
            raise ManifestError(f"{where}: input_size must be [C, H, W] or [H, W] positive ints, got {short(v)}")
    for key in ("mean", "std"):
        if key in raw:
            v = raw[key]
            ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
            if not (v and ok):
                raise ManifestError(f"{where}: {key} must be a non-empty list of numbers, got {short(v)}")
    if "nc" in raw and raw["nc"] <= 0:
        raise ManifestError(f"{where}: nc must be positive, got {raw['nc']}")
    if "names" in raw:
        values = raw["names"].values() if isinstance(raw["names"], dict) else raw["names"]
        if not all(isinstance(x, str) for x in values):
            raise ManifestError(f"{where}: names must be strings (a list, or an object keyed by class id), "
                                f"got {short(raw['names'])}")
        n = len(raw["names"])
        if "nc" in raw and n != raw["nc"]:
            raise ManifestError(f"{where}: {n} names but nc is {raw['nc']}; they must agree")
    if "metrics" in raw:
        bad = {k: v for k, v in raw["metrics"].items() if not isinstance(v, (int, float)) or isinstance(v, bool)}
        if bad:
            raise ManifestError(f"{where}: metrics must map names to numbers, got {short(bad)}")


def manifest_paths(path: str | os.PathLike | None = None) -> tuple[Path, ...]:
    """Return the manifest files to read: ``path`` (or the shipped one) plus ``ZOO_MANIFEST`` files.

    Args:
        path (str | os.PathLike | None): Main manifest; None for the shipped ``weights_manifest.json``.

    Returns:
        (tuple[Path, ...]): Files, in merge order.
    """
    paths = [Path(path) if path is not None else DEFAULT_MANIFEST]
    extra = os.environ.get("ZOO_MANIFEST", "")
    for p in extra.split(os.pathsep):
        if not p.strip():
            continue
        try:
            paths.append(Path(p).expanduser())
        except RuntimeError:  # '~someone/...' for a user this machine does not know
            raise ManifestError(f"ZOO_MANIFEST lists {short(p)}, whose '~' names no home directory here; "
                                "give the full path") from None
    return tuple(dict.fromkeys(paths))  # drop repeats, keep order


_CACHE: dict[tuple, Manifest] = {}


def load_manifest(path: str | os.PathLike | None = None) -> Manifest:
    """Load, validate and merge the manifest(s).

    Results are cached per set of files and their modification times, so repeated lookups are
    cheap and an edited file is re-read.

    Args:
        path (str | os.PathLike | None): Main manifest; None for the shipped one. Files listed in the
            ``ZOO_MANIFEST`` environment variable (``os.pathsep``-separated) are merged in.

    Returns:
        (Manifest): Merged, validated manifest.

    Raises:
        ManifestError: If a file is invalid (the message names it, and the entry), or two files define
            the same name or two defaults.
    """
    paths = manifest_paths(path)
    key = tuple((str(p), _stamp(p)) for p in paths)
    if key in _CACHE:
        return _CACHE[key]
    merged: dict[str, WeightsEntry] = {}
    for p in paths:
        for name, entry in read_manifest_file(p).items():
            taken = {n: e for e in merged.values() for n in e.names()}
            for alias in entry.names():
                if alias in taken:
                    raise ManifestError(
                        f"weights {alias!r} is defined in both {taken[alias].manifest} and {p}; rename one "
                        "(names are unique so that a pinned name always means the same bytes)"
                    )
            for model in entry.default_models:
                other = next((e for e in merged.values() if model in e.default_models), None)
                if other is not None:
                    raise ManifestError(
                        f"model {model!r} has two defaults: {other.name!r} in {other.manifest} and "
                        f"{name!r} in {p}; drop \"default\" from one"
                    )
            merged[name] = entry
    manifest = Manifest(merged, paths)
    _CACHE[key] = manifest
    return manifest


def _stamp(p: Path) -> tuple[int, int] | None:
    try:
        st = p.stat()
    except (OSError, ValueError):  # missing, unreadable, over-long or NUL in the name: read_manifest_file says
        return None
    return (st.st_mtime_ns, st.st_size)
