"""The user's YAML (``user_model.yaml``: ``Widen`` and ``FuseUp`` among stock blocks) with each task's head.

Shared by the per-task engine tests (``test_tasks.py``) and the per-task DDP worker test (``test_ddp_tasks.py``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from zoo import tasks

HERE = Path(__file__).parent
# The last row of user_model.yaml (its Detect) replaced by each task's stock head, reading FuseUp (/8) and a Conv (/16).
HEADS = {
    "detect": [[5, 6], 1, "Detect", ["nc"]],
    "segment": [[5, 6], 1, "Segment", ["nc", 8, 32]],
    "semantic": [[5, 6], 1, "SemanticSegment", ["nc"]],
    "depth": [[5, 6], 1, "Depth", [32]],
    "classify": [5, 1, "Classify", ["nc"]],
    "pose": [[5, 6], 1, "Pose", ["nc", "kpt_shape"]],
    "obb": [[5, 6], 1, "OBB", ["nc", 1]],
    "rtdetr": [[5, 6], 1, "RTDETRDecoder", ["nc", 64, 30, 2, 4, 2]],
    "world": [[5, 6], 1, "WorldDetect", ["nc", 512, False]],
    # YOLOE asserts with_bn (True, as in its stock YAMLs) and exactly three levels (YOLOEDetect.forward_head):
    # these read a third, /32 level that user_yaml adds.
    "yoloe": [[5, 6, 7], 1, "YOLOEDetect", ["nc", 512, True]],
    "yoloe-seg": [[5, 6, 7], 1, "YOLOESegment", ["nc", 8, 32, 512, True]],
}
THIRD_LEVEL = [6, 1, "Conv", [40, 3, 2]]  # 7  /32, for the heads above that read [5, 6, 7]
# World and YOLOE embed class names with a text model (CLIP/MobileCLIP, downloaded); offline they train with the
# embeddings given to zoo.text_embeddings (test_tasks.py does).
OPEN_VOCABULARY = ["world", "yoloe", "yoloe-seg"]
# The closed-vocabulary rows (the open-vocabulary ones also need text embeddings).
TRAINABLE = [n for n in tasks.names() if n not in OPEN_VOCABULARY]


def user_yaml(row: str, root: Path) -> Path:
    """Write ``user-<row>.yaml`` under ``root``: the user's model with the row's head."""
    d = yaml.safe_load((HERE / "user_model.yaml").read_text())
    d["head"][-1] = HEADS[row]
    if row in ("yoloe", "yoloe-seg"):
        d["head"].insert(-1, THIRD_LEVEL)
    if row == "pose":
        d["kpt_shape"] = [3, 3]
    if row in OPEN_VOCABULARY:  # their placeholder text features have 80 classes before set_classes
        d["nc"] = 80
    path = root / f"user-{row}.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path
