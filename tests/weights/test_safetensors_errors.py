"""Every way a .safetensors file can be broken is a SafetensorsHeaderError naming the file, the rule and the fix.

Each bad file goes through all three readers: the header-only ``read_safetensors_metadata`` (what
``zoo.load(x.safetensors)`` calls), ``read_state_dict`` and ``load_weights`` into a tiny model.
"""

from __future__ import annotations

import struct

import pytest
import torch
from st_bytes import one_tensor, st_file
from torch import nn

import zoo
from zoo.weights import SafetensorsHeaderError, WeightsFormatError, load_weights, read_state_dict
from zoo.weights.io import detect_format, read_safetensors_metadata
from zoo.weights.safetensors_header import MAX_HEADER_BYTES

GOOD_DATA = struct.pack("<2f", 1.0, 2.0)
FIX = r"It was not loaded; re-download it"

CASES = {
    "zero-byte": (b"", r"it is 0 bytes long; a safetensors file starts with an 8-byte header length"),
    "truncated length": (b"\x10\x00\x00", r"it is 3 bytes long"),
    "header length 0": (st_file(None, length=0, raw_header=b""), r"its header length is 0"),
    "header longer than file": (st_file(one_tensor(), GOOD_DATA, length=5000),
                                r"header length claims 5000 bytes but the file has only \d+ after"),
    "header above the cap": (st_file(one_tensor(), GOOD_DATA, length=MAX_HEADER_BYTES + 1),
                             rf"claims {MAX_HEADER_BYTES + 1} bytes, above safetensors' {MAX_HEADER_BYTES}-byte cap"),
    "length 2**64-1": (b"\xff" * 8 + b"{}", r"claims 18446744073709551615 bytes"),
    "not JSON": (st_file(None, raw_header=b"{not json"), r"its header is not valid JSON \(Expecting"),
    "not an object": (st_file(None, raw_header=b"[1, 2]   "), r"does not start with '\{'"),
    "not UTF-8": (st_file(None, raw_header=b'{"\xff": 1}'), r"its header is not UTF-8 text \(byte 2\)"),
    "deeply nested": (st_file(None, raw_header=b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"),
                      r"nested too deeply"),
    "huge integer": (st_file(None, raw_header=b'{"a": ' + b"9" * 5000 + b"}"), r"holds an unreadable value"),
    "duplicate tensor": (st_file(None, raw_header=b'{"w": {}, "w": {}}'), r"defines 'w' twice"),
    "wrong dtype": (st_file(one_tensor(dtype="F128"), GOOD_DATA), r"tensor 'w' has dtype 'F128', not one of F64"),
    "dtype not a string": (st_file(one_tensor(dtype=4), GOOD_DATA), r"tensor 'w' has dtype 4"),
    "negative dim": (st_file(one_tensor(shape=[-2]), GOOD_DATA), r"shape \[-2\]; expected a list of non-negative"),
    "bool dim": (st_file(one_tensor(shape=[True, 2]), GOOD_DATA), r"shape \[True, 2\]"),
    "offsets outside the file": (st_file(one_tensor(offsets=[0, 10**12]), GOOD_DATA),
                                 r"data_offsets \[0, 1000000000000\] outside the 8 data bytes"),
    "offsets reversed": (st_file(one_tensor(offsets=[8, 0]), GOOD_DATA), r"data_offsets \[8, 0\] outside"),
    "offsets not a pair": (st_file(one_tensor(offsets=[0]), GOOD_DATA), r"data_offsets \[0\]; expected \[begin, end\]"),
    "shape does not fit offsets": (st_file(one_tensor(shape=[10**9, 10**9]), GOOD_DATA),
                                   r"needs 4000000000000000000 bytes but its data_offsets span 8"),
    "tensor not an object": (st_file({"w": [1, 2]}), r"tensor 'w' must be an object"),
    "tensor lacks fields": (st_file({"w": {"dtype": "F32"}}), r"tensor 'w' lacks shape, data_offsets"),
    "trailing bytes": (st_file(one_tensor(), GOOD_DATA + b"xx"), r"cover 8 of the 10 data bytes"),
    "gap": (st_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, GOOD_DATA),
            r"tensor 'a' starts at byte 4 and leaves a gap at byte 0"),
    "overlap": (st_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, GOOD_DATA),
                r"tensor 'b' starts at byte 4 and overlaps"),
    "metadata not strings": (st_file(one_tensor(__metadata__={"nc": 4}), GOOD_DATA),
                             r"__metadata__ must map strings to strings, got \{'nc': 4\}"),
    "metadata a list": (st_file(one_tensor(__metadata__=["x"]), GOOD_DATA), r"__metadata__ must map strings"),
}


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2))


@pytest.fixture(params=list(CASES), ids=list(CASES))
def bad_file(request, tmp_path):
    content, match = CASES[request.param]
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    return path, match


def test_metadata_reader_names_file_rule_and_fix(bad_file):
    path, match = bad_file
    with pytest.raises(SafetensorsHeaderError, match=rf"{path} is not a valid safetensors file: .*{match}.*{FIX}"):
        read_safetensors_metadata(path)


def test_read_state_dict_refuses_before_safetensors_does(bad_file):
    path, match = bad_file
    with pytest.raises(SafetensorsHeaderError, match=match):
        read_state_dict(path)


def test_load_weights_refuses_and_leaves_the_model_alone(bad_file):
    path, match = bad_file
    model = Tiny()
    with pytest.raises(SafetensorsHeaderError, match=match):
        load_weights(model, path)
    assert torch.equal(model.w, torch.zeros(2))


def test_the_valid_neighbour_of_the_cases_loads(tmp_path):
    """The builders make valid files when not asked to break them (so the cases above test one rule each)."""
    path = tmp_path / "model.safetensors"
    path.write_bytes(st_file(one_tensor(__metadata__={"layout": "zoo"}), GOOD_DATA))
    assert read_safetensors_metadata(path) == {"layout": "zoo"}
    assert torch.equal(read_state_dict(path)["w"], torch.tensor([1.0, 2.0]))


def test_directory_named_safetensors(tmp_path):
    path = tmp_path / "model.safetensors"
    path.mkdir()
    with pytest.raises(WeightsFormatError, match=r"model.safetensors is a directory, not a weights file"):
        detect_format(path)
    with pytest.raises(SafetensorsHeaderError, match=r"it is a directory, not a file"):
        read_safetensors_metadata(path)


def test_zoo_load_of_a_truncated_file(tmp_path):
    path = tmp_path / "net.safetensors"
    path.write_bytes(st_file(one_tensor(), GOOD_DATA)[:-3])
    with pytest.raises(SafetensorsHeaderError, match=r"net.safetensors is not a valid safetensors file: "
                                                     r"tensor .w. has data_offsets \[0, 8\] outside the 5 data bytes"):
        zoo.load(str(path))


@pytest.mark.parametrize(
    "meta, match",
    [
        ({"layout": "timm"}, r"not a zoo-published file \(no zoo layout and YAML"),
        ({"layout": "zoo", "yaml": "{not json"}, r"metadata 'yaml' is not the JSON zoo.weights.publish writes"),
        ({"layout": "zoo", "yaml": "[1]"}, r"metadata 'yaml' is a list, not a model YAML"),
        ({"layout": "zoo", "yaml": "{}", "names": "{bad"}, r"metadata 'names' is not the JSON"),
        ({"layout": "zoo", "yaml": "{}", "names": "[1, 2]"}, r"'names' must be a JSON list of strings, got \[1, 2\]"),
    ],
)
def test_published_metadata_is_checked(tmp_path, meta, match):
    from zoo.weights.published import read_published

    path = tmp_path / "pub.safetensors"
    path.write_bytes(st_file(one_tensor(__metadata__=meta), GOOD_DATA))
    with pytest.raises(WeightsFormatError, match=rf"pub.safetensors: .*{match}"):
        read_published(path)


def test_published_metadata_of_a_real_publish(tmp_path):
    from zoo.weights import publish
    from zoo.weights.published import read_published

    model = nn.Linear(2, 3)
    model.yaml, model.names = {"nc": 3, "backbone": []}, {0: "a", 1: "b", 2: "c"}
    publish(model, name="net-s.toy", out_dir=tmp_path)
    info = read_published(tmp_path / "net-s.toy.safetensors")
    assert info.yaml["nc"] == 3 and info.names == ["a", "b", "c"] and info.metadata["layout"] == "zoo"
