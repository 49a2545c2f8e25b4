"""Typed errors of the weights subsystem.

Every error says what was wrong and how to fix it. They live in one stdlib-only module so that
callers can catch them without importing torch.
"""

from __future__ import annotations


class WeightsError(RuntimeError):
    """Base class of every error raised by ``zoo.weights``."""


class ManifestError(WeightsError, ValueError):
    """A weights manifest is malformed; the message names the file and the entry."""


class WeightsNameError(WeightsError, ValueError):
    """A weights name is not ``<model>.<tag>``; write it like ``deeplabv3p-s.voc`` (lowercase, one dot)."""


class UnknownWeightsError(WeightsError, KeyError):
    """A weights name is not in any manifest; the message lists close alternatives."""

    def __str__(self) -> str:  # KeyError would repr() the message and add quotes
        return str(self.args[0]) if self.args else ""


class UnsafeNameError(WeightsError, ValueError):
    """A weights name or file name could escape the cache directory (path traversal)."""


class UnverifiedWeightsError(WeightsError):
    """The entry has no pinned sha256/size; pass ``allow_unverified=True`` to use it anyway."""


class DownloadError(WeightsError):
    """A download failed for good (after retries where the error was transient)."""


class ChecksumError(WeightsError):
    """A file's size or sha256 differs from the manifest; the message gives both values."""


class CacheError(WeightsError):
    """The weights cache holds something zoo will not write through (a link or a folder where a file
    belongs, or a file that changes while zoo opens it). Delete the path the message names, or point
    ``ZOO_CACHE_DIR`` at a folder only you can write to."""


class WeightsNotCachedError(WeightsError, FileNotFoundError):
    """Offline mode and the file is not (or no longer validly) in the cache."""


class WeightsFormatError(WeightsError, ValueError):
    """A file's content does not match its extension, or is no known weights format."""


class PickleRefusedError(WeightsError):
    """A pickle-based checkpoint was refused: pickles can run code when loaded."""


class UnsafeCheckpointError(PickleRefusedError):
    """A checkpoint names a class outside zoo's allow-list; nothing from it ran.

    Fix: import the module of your own blocks first (or pass ``modules=[...]``) so they are registered,
    or pass ``trusted=True`` for a file whose origin you trust.
    """


class MissingModuleError(WeightsError, ImportError):
    """A checkpoint needs a module that cannot be imported; zoo never installs one a file names.

    Fix: put the module's folder on ``PYTHONPATH`` or install the package that provides it.
    """


class SafetensorsHeaderError(WeightsFormatError):
    """A ``.safetensors`` file is corrupt, truncated or not safetensors at all; the message names the
    rule it breaks. Re-download it (``zoo weights fetch`` verifies the sha256) or export it again."""


class StrictLoadError(WeightsError):
    """``strict=True`` and the weights do not match the model key for key; nothing was loaded. Read
    the report in the message, pass the right weights or converter, or load with ``strict=False``."""


class NonFiniteWeightsError(WeightsError, ValueError):
    """``strict=True`` and the weights hold NaN or Inf values; nothing was loaded. The checkpoint
    comes from a diverged training run or a broken export: use another checkpoint."""


class WeightsWarning(UserWarning):
    """Base class of the warnings of ``zoo.weights``: the load worked but its result is suspect."""


class PartialLoadWarning(WeightsWarning):
    """Fewer than half of the tensors found a match: the weights probably belong to another
    architecture or key layout. Check the weights name, or pass ``converter=``."""


class NonFiniteWeightsWarning(WeightsWarning):
    """Loaded tensors hold NaN or Inf values; outputs will be NaN. Use another checkpoint."""
