"""What the weights cover, where users look: ``zoo list``'s WEIGHTS column and ``zoo info``'s entries."""

from __future__ import annotations

from zoo.api import weights_coverage, weights_entries
from zoo.cli import _print_entries, main


def test_list_shows_each_models_coverage(capsys):
    assert main(["list"]) == 0
    rows = {line.split()[0]: line.split()[2] for line in capsys.readouterr().out.splitlines()[1:-1]}
    assert (rows["deeplabv3-m"], rows["unet-l"], rows["sharedhead-n"], rows["vitdet-t"], rows["vit-t-cls"],
            rows["unet-classic"]) == ("full", "encoder", "backbone+neck", "backbone", "full", "-")
    assert rows == weights_coverage(list(rows))


def test_info_entries_of_a_shared_file_carry_dataset_metrics_license_size_source():
    entries = weights_entries("unet-l")
    assert [e["name"] for e in entries] == ["unet-l.tv_in1k", "unet-l.resnet50_a1_in1k", "unet-l.tv2_in1k"]
    first = entries[0]
    assert first["default"] and first["coverage"] == "encoder" and first["dataset"] == "imagenet-1k"
    assert first["metrics"] == {"ImageNet-1K/acc@1": 76.13, "ImageNet-1K/acc@5": 92.862}
    assert (first["license"], first["size"]) == ("BSD-3-Clause", 102530333)
    assert first["source"] == "https://download.pytorch.org/models/resnet50-0676ba61.pth"
    assert weights_entries("deeplabv3p-l")[0]["size"] is None  # only the digest is published


def test_info_prints_entries_and_says_when_there_are_none(capsys):
    _print_entries("deeplabv3p-l", weights_entries("deeplabv3p-l"))
    _print_entries("unet-classic", weights_entries("unet-classic"))
    out = capsys.readouterr().out
    assert "deeplabv3p-l.tv_in1k (DEFAULT)\n    covers encoder; imagenet-1k; ImageNet-1K/acc@1 77.374" in out
    assert "license BSD-3-Clause; size unknown; https://download.pytorch.org/models/resnet101-63fe2227.pth" in out
    assert "unet-classic: no published weights" in out
