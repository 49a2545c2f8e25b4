"""The task table: one :class:`Task` row per task or model family, and how a task name resolves.

Every per-task table in zoo is derived from :data:`TASKS` (the catalog's task names and aliases, the command
line's task words and help, zoo's model classes, the engine's ``task_map``, the synthetic dataset makers, the
benchmark's reference classes and chart colours). Adding a task is adding a row here, a model class, a trainer
and a dataset maker; no other file branches on task names.

The table imports nothing: classes and functions are ``"module:attr"`` strings, imported by :meth:`Task.load`
when they are used, so listing and resolving tasks stays torch-free.

**How a task name resolves (the one rule).** A row answers to its ``name``, its Ultralytics task
(``ultralytics``) and its ``aliases``. A name is always resolved *against the architecture's own row* when it
is known (a zoo architecture's ``task:``, a model class, or the head of a stock YAML that identifies a family):

- the architecture's row is taken when the given name is one it answers to, otherwise the names conflict and
  :class:`ValueError` names both. So ``segment`` means *semantic* for a semantic-only architecture
  (``zoo.load("deeplabv3p-s", task="segment")``), and *instance* segmentation on ``yolo26n-seg.yaml``;
  ``detect`` on ``rtdetr-l.yaml`` means the RT-DETR row.
- without an architecture row (a YAML whose head names no family), the row *named* so wins, then a row whose
  alias it is, then a row whose Ultralytics task it is: ``segment`` alone is instance segmentation.

A task given by the caller always wins over guessing: the head of a stock YAML is read only to tell families
apart (RT-DETR, YOLO-World, YOLOE) among the rows the given name answers to, and Ultralytics'
``guess_model_task`` only runs when no task was given.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass

__all__ = ["Task", "TASKS", "task", "resolve", "row_for", "names", "words", "aliases", "for_model"]


@dataclass(frozen=True)
class Task:
    """One task or model family: what builds, trains, validates and predicts it.

    Attributes:
        name (str): zoo's name for the row (``detect``, ``rtdetr``...); an architecture's ``task:`` holds it.
        ultralytics (str): Ultralytics' task (``cfg.TASKS``), what ``model.task`` and ``args.task`` hold.
        model (str): ``"module:Class"`` of zoo's model class (built by zoo's parser).
        trainer (str): ``"module:Class"`` of zoo's trainer (overrides only ``get_model``).
        validator (str): ``"module:Class"`` of the validator (zoo's subclass of Ultralytics' own: bf16 on ``half``).
        predictor (str): ``"module:Class"`` of the predictor (likewise).
        reference (str): ``"module:Class"`` of Ultralytics' own model class (the oracle zoo's must equal).
        dataset (str | None): ``"module:function"`` writing this task's synthetic dataset (None: no offline data).
        metrics (tuple[str, ...]): Keys the validator's ``results_dict`` carries (the first is the fitness metric).
        result (str): The ``Results`` attribute predict fills.
        aliases (tuple[str, ...]): Other names users write for it (resolved as the module docstring says).
        heads (tuple[str, ...]): Head module names that identify this family in a YAML without zoo metadata.
        color (str): Matplotlib colour of the task in benchmark charts.
        summary (str): One line for help texts.
    """

    name: str
    ultralytics: str
    model: str
    trainer: str
    validator: str
    predictor: str
    reference: str
    dataset: str | None
    metrics: tuple[str, ...]
    result: str
    aliases: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    color: str = "tab:gray"
    summary: str = ""

    def load(self, field: str):
        """Import the object a ``"module:attr"`` field names (e.g. ``row.load("model")``)."""
        module, _, attr = getattr(self, field).partition(":")
        return getattr(importlib.import_module(module), attr)

    def answers_to(self, word: str) -> bool:
        """True when ``word`` (lower case) is this row's name, Ultralytics task or an alias."""
        return word in (self.name, self.ultralytics, *self.aliases)

    def engine(self) -> dict:
        """The row as Ultralytics' ``task_map`` entry: model, trainer, validator and predictor classes."""
        return {k: self.load(k) for k in ("model", "trainer", "validator", "predictor")}


_M, _T, _A = "zoo.nn.models", "zoo.engine.trainers", "zoo.engine.accelerate"
_N, _D = "ultralytics.nn.tasks", "zoo.data"

TASKS: tuple[Task, ...] = (
    Task("detect", "detect", f"{_M}:ZooDetectionModel", f"{_T}:ZooDetectionTrainer", f"{_A}:ZooDetectionValidator",
         f"{_A}:ZooDetectionPredictor", f"{_N}:DetectionModel", f"{_D}.synthetic:make_detection_dataset",
         ("metrics/mAP50-95(B)", "metrics/mAP50(B)", "metrics/precision(B)", "metrics/recall(B)"), "boxes",
         aliases=("detection",), color="tab:orange", summary="object detection (boxes)"),
    Task("segment", "segment", f"{_M}:ZooSegmentationModel", f"{_T}:ZooSegmentationTrainer",
         f"{_A}:ZooSegmentationValidator", f"{_A}:ZooSegmentationPredictor", f"{_N}:SegmentationModel",
         f"{_D}.instance:make_instance_dataset", ("metrics/mAP50-95(M)", "metrics/mAP50-95(B)"), "masks",
         aliases=("instance",), color="tab:red", summary="instance segmentation (boxes and masks)"),
    Task("semantic", "semantic", f"{_M}:ZooSemanticModel", f"{_T}:ZooSemanticTrainer", f"{_A}:ZooSemanticValidator",
         f"{_A}:ZooSemanticPredictor", f"{_N}:SemanticSegmentationModel", f"{_D}.synthetic:make_semantic_dataset",
         ("metrics/mIoU", "metrics/pixel_acc"), "semantic_mask", aliases=("segment", "semseg"), color="tab:blue",
         summary="semantic segmentation (a class per pixel); 'segment' on a semantic architecture"),
    Task("depth", "depth", f"{_M}:ZooDepthModel", f"{_T}:ZooDepthTrainer", f"{_A}:ZooDepthValidator",
         f"{_A}:ZooDepthPredictor", f"{_N}:DepthModel", f"{_D}.depth:make_depth_dataset",
         ("metrics/delta1", "metrics/abs_rel", "metrics/rmse"), "depth", color="tab:brown",
         summary="monocular depth (metres per pixel)"),
    Task("classify", "classify", f"{_M}:ZooClassificationModel", f"{_T}:ZooClassificationTrainer",
         f"{_A}:ZooClassificationValidator", f"{_A}:ZooClassificationPredictor", f"{_N}:ClassificationModel",
         f"{_D}.synthetic:make_classification_dataset", ("metrics/accuracy_top1", "metrics/accuracy_top5"), "probs",
         aliases=("classification",), color="tab:green", summary="image classification"),
    Task("pose", "pose", f"{_M}:ZooPoseModel", f"{_T}:ZooPoseTrainer", f"{_A}:ZooPoseValidator",
         f"{_A}:ZooPosePredictor", f"{_N}:PoseModel", f"{_D}.pose:make_pose_dataset",
         ("metrics/mAP50-95(P)", "metrics/mAP50-95(B)"), "keypoints", aliases=("keypoints",), color="tab:purple",
         summary="keypoints (pose) with boxes"),
    Task("obb", "obb", f"{_M}:ZooOBBModel", f"{_T}:ZooOBBTrainer", f"{_A}:ZooOBBValidator", f"{_A}:ZooOBBPredictor",
         f"{_N}:OBBModel", f"{_D}.obb:make_obb_dataset", ("metrics/mAP50-95(B)", "metrics/mAP50(B)"), "obb",
         aliases=("oriented",), color="tab:olive", summary="oriented (rotated) boxes"),
    Task("rtdetr", "detect", f"{_M}:ZooRTDETRModel", f"{_T}:ZooRTDETRTrainer",
         f"{_A}:ZooRTDETRValidator", f"{_A}:ZooRTDETRPredictor",
         f"{_N}:RTDETRDetectionModel", f"{_D}.synthetic:make_detection_dataset",
         ("metrics/mAP50-95(B)", "metrics/mAP50(B)"), "boxes", aliases=("rt-detr",), heads=("RTDETRDecoder",),
         color="tab:pink", summary="RT-DETR family (Ultralytics task detect)"),
    Task("world", "detect", f"{_M}:ZooWorldModel", f"{_T}:ZooWorldTrainer", f"{_A}:ZooWorldValidator",
         f"{_A}:ZooDetectionPredictor", f"{_N}:WorldModel", f"{_D}.synthetic:make_detection_dataset",
         ("metrics/mAP50-95(B)", "metrics/mAP50(B)"), "boxes", aliases=("yolo-world",), heads=("WorldDetect",),
         color="tab:cyan", summary="YOLO-World family (open vocabulary; Ultralytics task detect)"),
    Task("yoloe", "detect", f"{_M}:ZooYOLOEModel", f"{_T}:ZooYOLOETrainer", f"{_A}:ZooYOLOEDetectValidator",
         f"{_A}:ZooDetectionPredictor", f"{_N}:YOLOEModel", f"{_D}.synthetic:make_detection_dataset",
         ("metrics/mAP50-95(B)", "metrics/mAP50(B)"), "boxes", heads=("YOLOEDetect",), color="gold",
         summary="YOLOE family, detection (prompted; Ultralytics task detect)"),
    Task("yoloe-seg", "segment", f"{_M}:ZooYOLOESegModel", f"{_T}:ZooYOLOESegTrainer",
         f"{_A}:ZooYOLOESegValidator", f"{_A}:ZooSegmentationPredictor", f"{_N}:YOLOESegModel",
         f"{_D}.instance:make_instance_dataset", ("metrics/mAP50-95(M)", "metrics/mAP50-95(B)"), "masks",
         aliases=("yoloe",), heads=("YOLOESegment", "YOLOESegment26"), color="goldenrod",
         summary="YOLOE family, instance segmentation (Ultralytics task segment)"),
)
_BY_NAME = {t.name: t for t in TASKS}


def names() -> tuple[str, ...]:
    """zoo's task names, one per row."""
    return tuple(_BY_NAME)


def words() -> tuple[str, ...]:
    """Every word a row answers to (names, Ultralytics tasks, aliases), in table order without repeats."""
    return tuple(dict.fromkeys(w for t in TASKS for w in (t.name, t.ultralytics, *t.aliases)))


def aliases() -> dict[str, str]:
    """Context-free aliases (a word that is no row's name) → the row it names when no architecture is known."""
    return {w: resolve(w).name for w in words() if w not in _BY_NAME}


def task(name: str) -> Task:
    """The row named ``name`` exactly.

    Raises:
        KeyError: Listing the closest row names.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_BY_NAME), n=3, cutoff=0.5)
        raise KeyError(f"no task row {name!r}" + (f"; closest: {', '.join(close)}" if close else "")) from None


def resolve(word: str | None, *, arch: str | None = None, source: str = "") -> Task:
    """Resolve a task as users write it, against the architecture's own row (the module docstring's rule).

    Args:
        word (str | None): What the caller gave (``segment``, ``detect``, ``pose``...); None takes ``arch``.
        arch (str | None): The architecture's row name, when known.
        source (str): What is being resolved, for error messages.

    Returns:
        (Task): The row.

    Raises:
        ValueError: For an unknown word (listing the close ones), no word and no architecture, or a word the
            architecture's row does not answer to (naming both).
    """
    where = f"{source}: " if source else ""
    own = task(arch) if arch is not None else None
    if word is None:
        if own is None:
            raise ValueError(f"{where}no task given; pass task= one of {', '.join(_BY_NAME)}")
        return own
    w = str(word).lower()
    candidates = [t for t in TASKS if t.answers_to(w)]
    if not candidates:
        close = difflib.get_close_matches(w, list(words()), n=3, cutoff=0.5)
        hint = f" Closest: {', '.join(close)}." if close else ""
        raise ValueError(f"{where}unknown task {word!r}; zoo's tasks are {', '.join(_BY_NAME)}.{hint}")
    if own is not None:
        if own in candidates:
            return own
        raise ValueError(f"{where}task {word!r} does not match the architecture's task {own.name!r}")
    return min(candidates, key=lambda t: (t.name != w, w not in t.aliases))  # named, then alias, then Ultralytics


def row_for(word: str | None, model_dict: dict, source: str = "") -> Task:
    """The row of a model dictionary: its zoo ``task:``, else a family its head names, else Ultralytics' guess.

    Args:
        word (str | None): The task the caller gave (it wins over guessing).
        model_dict (dict): A parsed model YAML.
        source (str): What is being resolved, for error messages.

    Raises:
        ValueError: As :func:`resolve`.
    """
    if model_dict.get("task"):
        return resolve(word, arch=resolve(model_dict["task"], source=source).name, source=source)
    rows = (model_dict.get("head") or model_dict.get("backbone") or [[None, None, None]])[-1]
    head = str(rows[2]).rsplit(".", 1)[-1] if len(rows) > 2 else ""
    family = next((t for t in TASKS if head in t.heads), None)
    if word is None:
        if family is not None:
            return family
        from ultralytics.nn.tasks import guess_model_task  # a stock YAML without zoo metadata; only then

        return resolve(guess_model_task(model_dict), source=source)
    candidates = [t for t in TASKS if t.answers_to(str(word).lower())]
    if family is not None and family in candidates:
        return family
    if len(candidates) > 1:  # e.g. 'segment' on yolo26n-sem.yaml: the head tells which of the named rows
        from ultralytics.nn.tasks import guess_model_task

        guessed = guess_model_task(model_dict)
        return next((t for t in candidates if t.name == guessed), resolve(word, source=source))
    return resolve(word, source=source)


def for_model(model: object) -> Task | None:
    """The row whose model class is exactly ``type(model)`` (a checkpoint's zoo model), or None."""
    cls_path = f"{type(model).__module__}:{type(model).__qualname__}"
    return next((t for t in TASKS if t.model == cls_path), None)
