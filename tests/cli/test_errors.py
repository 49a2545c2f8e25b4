"""Wrong commands and arguments: a clear message, close-match hints, exit status 2, no traceback."""

import pytest
from cli_helpers import run_zoo

from zoo.cli import main


def test_unknown_command_subprocess():
    out = run_zoo("trian", "model=yolo26n.yaml")
    assert out.returncode == 2
    assert "'trian' is not a valid command. Similar: train" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_mode_argument_subprocess(detect_data):
    out = run_zoo("train", "model=yolo26n.yaml", f"data={detect_data}", "epoch=1")
    assert out.returncode == 2
    assert "'epoch' is not a valid argument. Similar: epochs=100" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "model=yolo26n.yaml", "data=x.yaml", "epochs=abc"], "'epochs' must be an int"),
        (["train", "model=yolo26n.yaml", "data=x.yaml", "imgsz"], "missing an '=' sign"),
        (["train", "model=yolo26n.yaml", "data=x.yaml", "lr00=0.1"], "Similar: lr0"),
        (["train", "model=yolo26n.yaml", "data=x.yaml", "frobnicate"], "'frobnicate' is not a valid argument"),
        (["train", "data=x.yaml"], "model= is missing"),
        (["train", "model=yolo26n.yaml"], "data= is missing"),
        (["val", "model=yolo26n.yaml"], "data= is missing"),
        (["train", "model=unet-x", "data=x.yaml"], "Closest: unet-s"),
        (["train", "model=nosuch.yaml", "data=x.yaml"], "no such model YAML file"),
        (["train", "model=deeplabv3p-n", "task=classify", "data=x.yaml"], "does not match"),
        (["train", "model=yolo26n.yaml", "task=posture", "data=x.yaml"], "unknown task"),
        (["benchmark", "imgsize=64"], "Similar: imgsz"),
        (["benchmark", "nosuch-model"], "no model named"),
        (["benchmark", "zzz*"], "matches no model"),
        (["weights", "publish", "model=yolo26n.yaml"], "missing name=, out_dir="),
        (["demo", "epoch=1"], "Similar: epochs"),
        (["info", "a", "b"], "takes one NAME"),
    ],
)
def test_usage_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_weights_subcommand_error():
    assert main(["weights", "frobnicate"]) == 2
