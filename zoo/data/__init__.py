"""Datasets for zoo's tests and examples: torch-free synthetic generators that Ultralytics trains on directly."""

from zoo.data.depth import make_depth_dataset
from zoo.data.instance import make_instance_dataset
from zoo.data.obb import make_obb_dataset
from zoo.data.pose import make_pose_dataset
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
    "make_depth_dataset",
    "make_instance_dataset",
    "make_obb_dataset",
    "make_pose_dataset",
    "make_dataset",
    "make_detection_dataset",
    "make_semantic_dataset",
]
