"""``zoo demo``: the offline quickstart. Synthetic data, a short fine-tune, mIoU, a prediction, an overlay.

Runs without network on a laptop CPU in about two minutes: it writes a synthetic semantic dataset,
trains a small semantic model (deeplabv3p-n) for a few epochs, validates it (mIoU), publishes
the trained weights as safetensors with a manifest entry, predicts Ultralytics' ``bus.jpg`` and a
synthetic validation image, and writes their overlays. Everything lands under ``project``
(``./zoo-demo`` by default).

No surprises for the caller: ``run_demo()`` restores ``os.environ``, the global random generators and torch's
switches when it returns (:mod:`zoo.process_state`), and it writes a font only with consent (``fonts=True``).
``zoo demo`` runs in its own process and, unless ``YOLO_CONFIG_DIR`` is set, gives Ultralytics its own
config folder inside ``project``, so the font and Ultralytics' settings land there and nowhere else.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

__all__ = ["main", "run_demo", "ensure_offline_font", "HELP", "DEFAULT_MODEL"]

DEFAULTS = {"model": None, "project": "zoo-demo", "epochs": 12, "imgsz": 128, "batch": 8, "device": "cpu",
            "fonts": False}
HELP = """
    zoo demo [model=NAME|YAML] [project=zoo-demo] [epochs=12] [imgsz=128] [batch=8] [device=cpu] [fonts=False]

        model       default: deeplabv3p-n (4.7 M parameters; the default run is tested to reach mIoU >= 0.5)
        project     output folder: data/, train/ (checkpoints, results.csv), weights/ (safetensors +
                    manifest), metrics.json, bus_overlay.png, val_overlay.png, config/ (see below)
        fonts       True: copy matplotlib's DejaVu Sans as Arial.ttf into your own Ultralytics config
                    folder when Ultralytics' plot font is missing (otherwise it would download Arial.ttf)

    Offline: sets YOLO_OFFLINE=1, ZOO_OFFLINE=1, HF_HUB_OFFLINE=1 and YOLO_AUTOINSTALL=False unless they are
    set. Unless YOLO_CONFIG_DIR is set, Ultralytics gets its own config folder, project/config/, and the
    demo places DejaVu Sans there as Arial.ttf; your ~/.config is left alone. With YOLO_CONFIG_DIR set and
    no Arial.ttf in it, plots are off unless fonts=True.
    """

_NC = 4  # background + three shape classes
# The default model is pinned, not "the smallest in the catalog": the default run is tested to learn with it
# (tests/cli/test_demo.py: mIoU >= 0.5 after 12 epochs from scratch; it reached 0.802). The smallest semantic
# model today, lraspp-n, reaches only 0.22 in the same run: its MobileNetV3 encoder needs pretrained weights.
DEFAULT_MODEL = "deeplabv3p-n"
_FONTS = ("Arial.ttf", "Arial.Unicode.ttf")  # the names Ultralytics' plots ask check_font for


def _offline_env() -> None:
    """Keep the demo off the network (unless the user set these variables otherwise)."""
    for key, value in (("YOLO_OFFLINE", "1"), ("ZOO_OFFLINE", "1"), ("HF_HUB_OFFLINE", "1"),
                       ("YOLO_AUTOINSTALL", "False"), ("MPLBACKEND", "Agg")):
        os.environ.setdefault(key, value)


def _missing_fonts() -> list[Path]:
    """Ultralytics' plot fonts that ``check_font`` would download: absent from its config dir and the system."""
    from matplotlib import font_manager
    from ultralytics.utils import USER_CONFIG_DIR

    system = [f.fname for f in font_manager.fontManager.ttflist]  # the list check_font searches
    return [Path(USER_CONFIG_DIR) / name for name in _FONTS
            if not (Path(USER_CONFIG_DIR) / name).exists() and not any(name in f for f in system)]


def ensure_offline_font(place: bool = False) -> bool:
    """Tell whether Ultralytics' plots have a local font; with consent, give them one.

    Ultralytics' ``check_font`` downloads ``Arial.ttf`` into its config folder when no local copy exists.
    With ``place=True`` matplotlib's bundled DejaVu Sans is copied there under the missing names; without
    it nothing is written and the caller turns plots off.

    Args:
        place (bool): Consent to write the missing font files into Ultralytics' config folder.

    Returns:
        (bool): True when every font file is available locally (plots are safe offline).
    """
    import matplotlib

    missing = _missing_fonts()
    if missing and not place:
        print(f"zoo demo: plots off: {missing[0]} is missing (fonts=True places matplotlib's DejaVu Sans there)")
        return False
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        for target in missing:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(font, target)
            print(f"zoo demo: placed {font.name} as {target} (Ultralytics would download Arial.ttf)")
        return True
    except OSError as e:
        print(f"zoo demo: no local font ({e}); plots off", file=sys.stderr)
        return False


def _overlay_val_image(model, data_yaml: Path, imgsz: int, device: str, out: Path) -> Path:
    """Side by side: ground truth and prediction overlays of the first synthetic validation image."""
    import cv2
    import numpy as np
    import torch
    from ultralytics.engine.results import Results

    root = data_yaml.parent
    image_file = sorted((root / "images" / "val").glob("*.png"))[0]
    gt = cv2.imread(str(root / "masks" / "val" / image_file.name), cv2.IMREAD_GRAYSCALE)
    pred = model.predict(source=str(image_file), imgsz=imgsz, device=device, verbose=False)[0]
    truth = Results(pred.orig_img, path=str(image_file), names=pred.names,
                    semantic_mask=torch.from_numpy(np.where(gt == 255, 0, gt).astype(np.uint8)))
    panels = [cv2.resize(r.plot(), (256, 256), interpolation=cv2.INTER_NEAREST) for r in (truth, pred)]
    for panel, label in zip(panels, ("ground truth", "prediction")):
        cv2.putText(panel, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.imwrite(str(out), np.hstack(panels))
    return out


def run_demo(model: str | None = None, project: str | os.PathLike = "zoo-demo", epochs: int = 12, imgsz: int = 128,
             batch: int = 8, device: str = "cpu", fonts: bool = False) -> dict:
    """Run the quickstart and return where everything went; the caller's process state comes back as it was.

    Args:
        model (str | None): Model name or YAML; default ``DEFAULT_MODEL`` (deeplabv3p-n).
        project (str | os.PathLike): Output folder.
        epochs (int): Training epochs.
        imgsz (int): Image size of the synthetic data, training and prediction.
        batch (int): Batch size.
        device (str): ``cpu`` or a CUDA device.
        fonts (bool): Consent to copy DejaVu Sans as Ultralytics' ``Arial.ttf`` into its config folder when
            missing; without it and without a local font, plots are off.

    Returns:
        (dict): ``model``, ``params``, ``metrics``, ``seconds`` and the output paths.
    """
    from zoo.process_state import preserved_process_state

    with preserved_process_state():
        _offline_env()
        return _run(model, Path(project), epochs, imgsz, batch, device, fonts)


def _run(model: str | None, project: Path, epochs: int, imgsz: int, batch: int, device: str, fonts: bool) -> dict:
    """The demo's steps; :func:`run_demo` wraps them in the offline environment and restores the caller's."""
    t0 = time.perf_counter()
    plots = ensure_offline_font(place=fonts)
    import zoo
    from ultralytics.utils import ASSETS
    from zoo.data import make_semantic_dataset
    from zoo.weights import publish

    project = Path(project).expanduser().resolve()
    project.mkdir(parents=True, exist_ok=True)
    note = "given"
    if model is None:
        model, note = DEFAULT_MODEL, "the demo's default"
    print(f"zoo demo: model {model} ({note}); writing to {project}")
    data = make_semantic_dataset(project / "data", n_train=64, n_val=16, imgsz=imgsz, nc=_NC, seed=0)
    zm = zoo.load(model, task="semantic", nc=_NC)
    params = sum(p.numel() for p in zm.model.parameters())
    zm.train(data=str(data), epochs=epochs, imgsz=imgsz, batch=batch, workers=0, device=device, amp=False,
             plots=plots, optimizer="AdamW", lr0=0.003, warmup_epochs=1, project=str(project), name="train",
             exist_ok=True, seed=0, verbose=False)
    trainer = zm.trainer
    metrics = {k: round(float(v), 4) for k, v in (trainer.metrics or {}).items()}
    best = Path(trainer.best if Path(trainer.best).exists() else trainer.last)
    weights_dir = project / "weights"
    entry = publish(best, name=f"{Path(str(model)).stem}.demo", out_dir=weights_dir, metrics=metrics,
                    manifest=weights_dir / "weights_manifest.json", dataset="zoo synthetic shapes",
                    overwrite=True, allow_pickle="trusted")  # our own training output
    bus = project / "bus_overlay.png"
    import cv2

    cv2.imwrite(str(bus), zm.predict(source=str(ASSETS / "bus.jpg"), imgsz=imgsz, device=device,
                                     verbose=False)[0].plot())
    val = _overlay_val_image(zm, data, imgsz, device, project / "val_overlay.png")
    out = {
        "model": str(model), "params": params, "epochs": epochs, "imgsz": imgsz, "metrics": metrics,
        "data": str(data), "checkpoint": str(best), "weights": str(weights_dir / f"{entry.name}.safetensors"),
        "manifest": str(weights_dir / "weights_manifest.json"), "bus_overlay": str(bus), "val_overlay": str(val),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (project / "metrics.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    out["metrics_file"] = str(project / "metrics.json")
    return out


def _summary(r: dict) -> str:
    m = r["metrics"]
    miou, acc = m.get("metrics/mIoU"), m.get("metrics/pixel_acc")
    return "\n".join([
        f"\nzoo demo finished in {r['seconds']:.0f} s",
        f"  model       {r['model']} ({r['params'] / 1e6:.2f} M parameters), "
        f"{r['epochs']} epochs at imgsz {r['imgsz']}",
        f"  mIoU        {miou:.3f} (pixel accuracy {acc:.3f}) on the synthetic validation split"
        if miou is not None else f"  metrics     {m}",
        f"  data        {r['data']}",
        f"  checkpoint  {r['checkpoint']}",
        f"  weights     {r['weights']} (manifest {r['manifest']})",
        f"  metrics     {r['metrics_file']}",
        f"  overlays    {r['val_overlay']} (synthetic, truth | prediction)",
        f"              {r['bus_overlay']} (bus.jpg: the model only knows coloured shapes)",
        f"\nNext: zoo predict model={r['checkpoint']} source=path/to/image.jpg imgsz={r['imgsz']}",
    ])


def main(args: list[str]) -> int:
    """``zoo demo [key=value ...]``.

    Args:
        args (list[str]): Words after ``zoo demo``.

    Returns:
        (int): 0 on success.
    """
    from zoo.cli import UsageError, _wants_help, parse_simple_args

    if _wants_help(args):
        print(HELP)
        return 0
    positional, opts = parse_simple_args(args, DEFAULTS, "demo", strings=("model",))
    if positional:
        raise UsageError(f"zoo demo: unexpected {positional}; use key=value, e.g. model=unet-s")
    opts = {**DEFAULTS, **opts}
    if not isinstance(opts["fonts"], bool):
        raise UsageError(f"zoo demo: fonts must be True or False, got {opts['fonts']!r}")
    if "YOLO_CONFIG_DIR" not in os.environ and "ultralytics" not in sys.modules:
        # This process is the demo's: Ultralytics' settings and the offline font go to project/config/,
        # never to the user's ~/.config. Ultralytics reads the variable when first imported, below.
        os.environ["YOLO_CONFIG_DIR"] = str(Path(opts["project"]).expanduser().resolve() / "config")
        opts["fonts"] = True  # our own folder: placing the font there needs no consent
    print(_summary(run_demo(**opts)))
    return 0
