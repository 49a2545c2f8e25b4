"""zoo: a registry-based model zoo for Ultralytics."""

__version__ = "0.1.0"

from zoo.registry import register_module  # noqa: E402
