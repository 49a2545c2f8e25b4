"""Datasets for zoo's tests and examples: torch-free synthetic generators that Ultralytics trains on directly."""

from zoo.data.synthetic import (
    SHAPES,
    make_classification_dataset,
    make_dataset,
    make_detection_dataset,
    make_semantic_dataset,
)

__all__ = [
    "SHAPES",
    "make_classification_dataset",
    "make_dataset",
    "make_detection_dataset",
    "make_semantic_dataset",
]
