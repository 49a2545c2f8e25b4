"""Syntax of weights names and file names, checked before any I/O.

A weights name is ``<model>.<tag>`` (``deeplabv3p-s.voc``), in the spirit of timm's
``arch.tag``. Names and file names become path components of the cache, so anything that could
climb out of it (``..``, separators, NUL, drive letters) is rejected here, before a file is
opened or a socket connected.
"""

from __future__ import annotations

import re

from zoo.weights.errors import UnsafeNameError, WeightsNameError
from zoo.weights.quoting import short

#: ``deeplabv3p-s``, ``vit-b-cls``, ``unet-classic``: lowercase words joined by hyphens.
MODEL_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: ``voc``, ``augreg2_in21k_ft_in1k``, ``a1-in1k``; no dots so ``<model>.<tag>`` splits once.
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: A cached file name: one path component of safe characters, not starting with a dot.
FILENAME_RE = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
#: Hugging Face revisions must be pinned commits, never a moving branch name.
REVISION_RE = re.compile(r"^[0-9a-f]{40}$")
#: The alias that picks an architecture's default weights (torchvision's ``DEFAULT``).
DEFAULT_ALIAS = "DEFAULT"


def split_name(name: str) -> tuple[str, str]:
    """Split and check a ``<model>.<tag>`` weights name.

    Args:
        name (str): Full weights name, e.g. ``"vit-b-cls.augreg2_in21k_ft_in1k"``.

    Returns:
        (tuple[str, str]): ``(model_name, tag)``.

    Raises:
        UnsafeNameError: If the name could be used as a path (separators, ``..``, NUL).
        WeightsNameError: If the name is not of the form ``<model>.<tag>`` (a ValueError).
    """
    check_no_traversal(name, what="weights name")
    model, sep, tag = name.partition(".")
    if not sep or not MODEL_RE.match(model) or not TAG_RE.match(tag):
        raise WeightsNameError(
            f"bad weights name {short(name)}: expected '<model>.<tag>' with a model like 'deeplabv3p-s' "
            "(lowercase letters, digits, hyphens) and a tag like 'voc' or 'a1_in1k' "
            "(lowercase letters, digits, '_' or '-', no dots)"
        )
    return model, tag


def check_no_traversal(text: str, *, what: str) -> None:
    """Reject strings that could address a file outside the directory they are joined to.

    Args:
        text (str): Name to check.
        what (str): What the name is, for the error message.

    Raises:
        UnsafeNameError: On separators, ``..`` components, NUL bytes or drive prefixes.
    """
    if not isinstance(text, str) or not text:
        raise UnsafeNameError(f"{what} must be a non-empty string, got {short(text)}")
    parts = re.split(r"[/\\]", text)
    if "\x00" in text or ".." in parts or len(parts) > 1 or re.match(r"^[A-Za-z]:", text):
        raise UnsafeNameError(
            f"unsafe {what} {short(text)}: it contains a path separator, '..' or a drive prefix and could "
            "escape the weights cache; use a plain name such as 'model.safetensors'"
        )


def check_filename(filename: str) -> str:
    """Check that a file name is one safe path component and return it.

    Args:
        filename (str): File name to use inside the cache, e.g. ``model.safetensors``.

    Returns:
        (str): The same file name.

    Raises:
        UnsafeNameError: If the file name is not one safe component.
    """
    check_no_traversal(filename, what="file name")
    if not FILENAME_RE.match(filename) or len(filename) > 200:
        raise UnsafeNameError(
            f"unsafe file name {short(filename)}: use letters, digits and '._+-' only, not starting with "
            "a dot, at most 200 characters"
        )
    return filename


def check_relative_path(path: str) -> str:
    """Check a manifest-relative path (may have subfolders, never ``..``) and return it.

    Args:
        path (str): Path relative to the manifest, with ``/`` separators.

    Returns:
        (str): The same path.

    Raises:
        UnsafeNameError: On ``..`` components, backslashes or NUL bytes.
    """
    if not isinstance(path, str) or not path or "\x00" in path or "\\" in path:
        raise UnsafeNameError(f"unsafe local source path {short(path)}")
    parts = path.split("/")
    if ".." in parts or any(p == "" for p in parts[1:]):
        raise UnsafeNameError(
            f"unsafe local source path {short(path)}: '..' components are not allowed; keep weights "
            "next to (or below) their manifest, or give an absolute path"
        )
    check_filename(parts[-1])
    return path
