"""Ultralytics' stock YAMLs are filed in the manifest under their scaled name: ``yolo26n-sem.yaml`` -> ``yolo26n-sem``."""

from __future__ import annotations

import shutil

import pytest
from shipped_helpers import build_upstream, mirror_entry

import zoo
from zoo.api import weights_model_name
from zoo.config import find_stock_yaml
from zoo.weights.errors import UnknownWeightsError
from zoo.weights.manifest import load_manifest


def test_default_of_a_stock_yaml_loads_offline_from_a_folder_mirror(tmp_path, monkeypatch, no_sockets):
    entry = load_manifest().get("yolo26n-sem.cityscapes")
    file = tmp_path / entry.source.filename
    build_upstream("ultralytics", "yolo26n-sem", file)
    manifest = mirror_entry(entry, file, tmp_path / "mirror", tmp_path)
    monkeypatch.setenv("ZOO_WEIGHTS_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    model = zoo.load("yolo26n-sem.yaml", weights="DEFAULT", manifest=manifest)
    assert model.load_report.ok and model.load_report.source == "yolo26n-sem.cityscapes", str(model.load_report)


def test_a_users_own_file_with_a_stock_name_has_no_weights_name(tmp_path, monkeypatch):
    """Only Ultralytics' own YAML answers to the name: a local file may hold anything."""
    stock, _ = find_stock_yaml("yolo26-sem.yaml")
    monkeypatch.chdir(tmp_path)
    shutil.copy(stock, tmp_path / "yolo26n-sem.yaml")
    assert weights_model_name({"yaml_file": "yolo26n-sem.yaml"}) is None
    with pytest.raises(UnknownWeightsError, match="weights='DEFAULT' needs the model name"):
        zoo.load("yolo26n-sem.yaml", weights="DEFAULT")


def test_names_of_catalog_and_stock_models():
    assert weights_model_name({"zoo_model": "unet-s", "yaml_file": "/x/unet.yaml"}) == "unet-s"
    assert weights_model_name({"yaml_file": "yolo26x.yaml"}) == "yolo26x"
    assert weights_model_name({"yaml_file": "no-such-model.yaml"}) is None
