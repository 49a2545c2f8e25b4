"""Typed errors of the weights subsystem.

Every error says what was wrong and how to fix it. They live in one stdlib-only module so that
callers can catch them without importing torch.
"""

from __future__ import annotations


class WeightsError(RuntimeError):
    """Base class of every error raised by ``zoo.weights``."""


class ManifestError(WeightsError, ValueError):
    """A weights manifest is malformed; the message names the file and the entry."""


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


class WeightsNotCachedError(WeightsError, FileNotFoundError):
    """Offline mode and the file is not (or no longer validly) in the cache."""


class WeightsFormatError(WeightsError, ValueError):
    """A file's content does not match its extension, or is no known weights format."""


class PickleRefusedError(WeightsError):
    """A pickle-based checkpoint was refused: pickles can run code when loaded."""
