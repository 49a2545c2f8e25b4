"""Read ``.pt`` checkpoints without running the code a pickle can carry.

Every path in zoo that reads a ``.pt`` file (``zoo.load``, ``ZooModel`` modes and resume, the command
line, ``zoo.weights``) goes through :func:`read_checkpoint`. By default it unpickles with
``torch.load(weights_only=True)`` and an allow-list built for this one file and dropped afterwards:

* tensors and plain containers (torch's own defaults);
* ``nn.Module`` classes defined in the packages zoo runs on anyway: ``torch.nn``, ``ultralytics.nn``,
  ``zoo`` (its architectures included), ``timm`` and ``torchvision`` models/ops;
* the few data classes an Ultralytics or zoo checkpoint holds (its argument namespace, numpy dtypes
  and scalars, paths, loss objects, timm's feature table, a classifier's torchvision transforms) and a
  ``getattr`` that only returns a module's ``forward``;
* a user's blocks: ``nn.Module`` classes of a module that is **already imported** and registers
  blocks with zoo (import it yourself, pass ``modules=[...]``, or ship it through the ``zoo.modules``
  entry point). A module that a file names is never imported because the file names it, and never
  pip-installed.

Anything else is refused with :class:`UnsafeCheckpointError`, naming the class and the file. Full
unpickling (``weights_only=False``, which runs whatever the file says) happens only with ``trusted=True``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pickle
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

from zoo.weights.errors import MissingModuleError, UnsafeCheckpointError, WeightsFormatError

__all__ = ["read_checkpoint", "allowed_globals", "TRUSTED_PACKAGES"]

LOGGER = logging.getLogger("zoo.weights")

# Packages whose modules may be imported to resolve a class a checkpoint names: zoo depends on them and
# imports them anyway. Only their nn.Module subclasses are allowed (plus the data classes below).
TRUSTED_PACKAGES = ("torch.nn.modules.", "ultralytics.nn.", "zoo.", "timm.layers.", "timm.models.",
                    "torchvision.models.", "torchvision.ops.")
# Ultralytics keeps loss objects on models it trained; these modules hold only such classes.
_LOSS_MODULES = ("ultralytics.utils.loss", "ultralytics.utils.tal")
# Plain data that timm's feature extractors (zoo's encoders) keep on the module: a feature table and an enum.
_TIMM_DATA = ("timm.models._features.FeatureInfo", "timm.layers.format.Format")
# zoo's own plain records that a trained model may carry (a load report: lists, dicts and strings)
_ZOO_DATA = ("zoo.weights.report.LoadReport",)
# A classifier Ultralytics trained keeps its preprocessing on the model (``model.transforms``): the torchvision
# transforms its classify_transforms builds and their interpolation enum, by name (not the whole module: no Lambda).
_TRANSFORMS = tuple(f"torchvision.transforms.transforms.{c}" for c in ("Compose", "Resize", "CenterCrop", "ToTensor",
                                                                       "Normalize")) + (
    "torchvision.transforms.functional.InterpolationMode",)
_LOCK = threading.Lock()  # torch's allow-list is process-wide: one zoo load at a time owns it


def read_checkpoint(path: str | Path, *, trusted: bool = False) -> Any:
    """Unpickle a ``torch.save`` checkpoint, by default without running code.

    Args:
        path (str | Path): A local ``.pt`` file. Nothing is downloaded.
        trusted (bool): Unpickle fully (``weights_only=False``): the file may run any code. Only for
            files you produced or whose origin you trust.

    Returns:
        (Any): The unpickled object, usually Ultralytics' checkpoint dictionary.

    Raises:
        FileNotFoundError: The file does not exist (no network attempt is made).
        WeightsFormatError: Not a ``torch.save`` archive, or damaged.
        UnsafeCheckpointError: The file names a class outside the allow-list.
        MissingModuleError: The file names a module that cannot be imported.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file" + (" (it is a directory)" if path.is_dir() else ""))
    if trusted:
        LOGGER.warning("%s: unpickling with weights_only=False (trusted): the file can run code", path)
        return _load(path, weights_only=False)
    if not zipfile.is_zipfile(path):
        if _is_raw_pickle(path):  # no archive index to vet the globals by before unpickling
            raise UnsafeCheckpointError(
                f"{path}: a raw (legacy) pickle, which zoo does not unpickle from a file it does not trust; nothing "
                "from it was run. Re-save it with torch.save, or pass trusted=True (CLI: trusted) if you trust its origin"
            )
        raise WeightsFormatError(f"{path}: not a torch.save checkpoint (empty, truncated or another format)")
    try:
        needed = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except Exception as e:  # a damaged archive: torch raises RuntimeError or ValueError depending on the damage
        raise WeightsFormatError(f"{path}: unreadable checkpoint ({type(e).__name__}: {e})") from None
    entries = allowed_globals(needed, path)
    with _LOCK, torch.serialization.safe_globals(entries):
        return _load(path, weights_only=True)


def _is_raw_pickle(path: Path) -> bool:
    """True when the file starts like a pickle (protocol 2-5), as legacy ``torch.save`` files do."""
    with open(path, "rb") as f:
        head = f.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _load(path: Path, *, weights_only: bool) -> Any:
    """``torch.load`` on CPU with damaged files and refused globals turned into zoo's typed errors."""
    import torch

    try:
        return torch.load(str(path), map_location="cpu", weights_only=weights_only)
    except pickle.UnpicklingError as e:
        if weights_only:
            raise UnsafeCheckpointError(
                f"{path}: refused by the restricted unpickler ({str(e).splitlines()[0][:300]}). Nothing from it "
                "was run. Pass trusted=True (CLI: trusted) only if you trust the file's origin"
            ) from None
        raise WeightsFormatError(f"{path}: not a loadable checkpoint ({e})") from None
    except ModuleNotFoundError as e:  # trusted loads only: a restricted load never imports by name
        raise MissingModuleError(_missing_module_message(path, e.name or str(e))) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as e:
        raise WeightsFormatError(
            f"{path}: not a loadable checkpoint, empty, truncated or damaged ({type(e).__name__}: "
            f"{str(e).splitlines()[0][:300] if str(e) else ''})"
        ) from None


def allowed_globals(needed: list[str], path: Path) -> list:
    """The allow-list entries for the globals one checkpoint names.

    Args:
        needed (list[str]): ``module.Name`` strings from ``get_unsafe_globals_in_checkpoint``.
        path (Path): The checkpoint, for messages.

    Returns:
        (list): ``(object, "module.Name")`` pairs for ``torch.serialization.safe_globals``.

    Raises:
        UnsafeCheckpointError: A name outside the allow-list.
        MissingModuleError: A name whose module cannot be imported.
    """
    entries, refused = [], []
    for name in needed:
        obj = _data_global(name)
        if obj is None:
            obj = _module_class(name, path)
        if obj is None:
            refused.append(name)
        else:
            entries.append((obj, name))
    if refused:
        shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
        raise UnsafeCheckpointError(
            f"{path}: names {shown}, which zoo does not unpickle from a file it does not trust. Nothing from it was "
            "run. If these are your own blocks, import their module first (or pass modules=['your.module'], CLI "
            "modules=your.module) so that they are registered with zoo; if you trust the file's origin, pass "
            "trusted=True (CLI: trusted)"
        )
    return entries


def _data_global(name: str) -> Any:
    """The non-module objects an Ultralytics checkpoint may hold, by their pickled name; ``None`` otherwise."""
    module, _, attr = name.rpartition(".")
    if name in ("ultralytics.utils.IterableSimpleNamespace", "ultralytics.yolo.utils.IterableSimpleNamespace"):
        from ultralytics.utils import IterableSimpleNamespace

        return IterableSimpleNamespace
    if name in ("pathlib.PosixPath", "pathlib.WindowsPath", "pathlib._local.PosixPath", "pathlib._local.WindowsPath"):
        return type(Path())  # a path pickled on the other OS is read as this OS's path
    if name == "builtins.getattr":
        return _module_method_getattr
    if module in ("numpy", "numpy.dtypes", "numpy.core.multiarray", "numpy._core.multiarray"):
        import numpy as np

        if name == "numpy.dtype":
            return np.dtype
        if attr == "scalar":
            return np.float64(0).__reduce__()[0]
        if module == "numpy.dtypes":
            obj = getattr(np.dtypes, attr, None)
            return obj if isinstance(obj, type) and issubclass(obj, np.dtype) else None
        return None
    if module in _LOSS_MODULES or name in _TIMM_DATA or name in _TRANSFORMS or name in _ZOO_DATA:
        obj = getattr(importlib.import_module(module), attr, None)
        return obj if isinstance(obj, type) and obj.__module__ == module else None
    return None


def _module_method_getattr(obj: Any, name: str) -> Any:
    """``getattr`` for checkpoints that pickle a module's bound ``forward``; refuses everything else."""
    import torch

    if isinstance(obj, torch.nn.Module) and name in ("forward", "forward_fuse"):
        return getattr(type(obj), name).__get__(obj)
    raise pickle.UnpicklingError(f"getattr({type(obj).__name__}, {name!r}) is not allowed in a checkpoint")


def _module_class(name: str, path: Path) -> Any:
    """An ``nn.Module`` class from a trusted package or an already imported module of registered blocks."""
    import torch

    from zoo.registry import MODULES

    module_name, _, attr = name.rpartition(".")
    if not module_name:
        return None
    if name.startswith(TRUSTED_PACKAGES):
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise MissingModuleError(_missing_module_message(path, module_name, e)) from None
    else:
        module = sys.modules.get(module_name)
        if module is None:
            MODULES.discover()  # packages that contribute blocks through the zoo.modules entry point
            module = sys.modules.get(module_name)
        if module is None:
            if importlib.util.find_spec(module_name.partition(".")[0]) is None:
                raise MissingModuleError(_missing_module_message(path, module_name))
            return None  # importable but not imported by the user: refused, the message says how to allow it
        if not _hosts_registered_blocks(module):
            return None
    obj = getattr(module, attr, None)
    if isinstance(obj, type) and issubclass(obj, torch.nn.Module) and obj.__module__ == module_name:
        return obj
    return None


def _hosts_registered_blocks(module: Any) -> bool:
    """True when the module defines at least one class registered with zoo (a user's block module)."""
    from zoo.registry import MODULES

    return any(
        isinstance(v, type) and getattr(v, "__module__", None) == module.__name__ and MODULES.entry_for_class(v)
        for v in vars(module).values()
    )


def _missing_module_message(path: Path, module: str, error: Exception | None = None) -> str:
    detail = f" ({error})" if error else ""
    return (
        f"{path}: needs module {module!r}, which cannot be imported{detail}. zoo never installs a module a file names. "
        f"Make it importable: put its folder on PYTHONPATH, install the package that provides it (packages can "
        f"register their blocks through the 'zoo.modules' entry point), then load again"
    )
