"""SharedDetect: Ultralytics' Detect contract, YOLO26 weight transfer, parameter counts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from ultralytics import YOLO
from ultralytics.nn.modules import Detect
from ultralytics.utils.loss import E2ELoss, v8DetectionLoss

import zoo
from zoo.architectures.sharedhead.modules import SharedDetect
from zoo.nn.models import ZooDetectionModel

CH = [32, 64, 128]


def _feats(bs=2, size=64):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(bs, c, size // s, size // s, generator=g) for c, s in zip(CH, (8, 16, 32))]


@pytest.mark.parametrize("reg_max,end2end", [(16, False), (1, True)])
def test_output_contract_equals_stock_detect(reg_max, end2end):
    """Same keys, shapes and dtypes as a stock Detect of the same configuration, in train, eval and export."""
    stock, ours = Detect(3, reg_max, end2end, CH), SharedDetect(3, reg_max, end2end, CH)
    for head in (stock, ours):
        head.stride = torch.tensor([8.0, 16.0, 32.0])
        head.bias_init()
    x = _feats()
    t_stock, t_ours = stock.train()(x), ours.train()(x)
    shapes = lambda d: {k: tuple(v.shape) for k, v in d.items() if k != "feats"}  # noqa: E731
    if end2end:
        assert t_ours.keys() == t_stock.keys() == {"one2many", "one2one"}
        assert shapes(t_ours["one2one"]) == shapes(t_stock["one2one"])
        t_stock, t_ours = t_stock["one2many"], t_ours["one2many"]
    assert shapes(t_ours) == shapes(t_stock) == {"boxes": (2, 4 * reg_max, 84), "scores": (2, 3, 84)}
    (y_stock, _), (y_ours, _) = stock.eval()(x), ours.eval()(x)
    assert y_ours.shape == y_stock.shape
    ours.export = True
    try:
        assert isinstance(ours(x), torch.Tensor)
    finally:
        ours.export = False


def test_end2end_switch_and_fuse():
    head = SharedDetect(3, 1, True, CH).eval()
    head.stride = torch.tensor([8.0, 16.0, 32.0])
    head.end2end = True
    y = head(_feats())[0]
    assert y.shape == (2, 84, 6)  # one-to-one: top-k detections, no NMS
    head.fuse()
    assert head.cv2 is None and head.cv3 is None and head.end2end
    assert head(_feats())[0].shape == (2, 84, 6)


def test_levels_share_weights_with_per_level_box_scales():
    head = SharedDetect(3, 16, False, CH)
    assert len(head.cv2.proj) == 3 and head.cv2.scale.shape == (3,) and head.cv3.scale is None
    calls = []
    hooks = [m.register_forward_hook(lambda *_: calls.append(1)) for m in (head.cv2.tower, head.cv3.pred)]
    head.train()(_feats())
    for h in hooks:
        h.remove()
    assert len(calls) == 6  # one tower and one predictor serve all three levels
    with torch.no_grad():
        head.cv2.scale[2] = 0.0  # the box scale of P5 alone silences P5's box output
        boxes = head(_feats())["boxes"]
    assert boxes[..., -4:].abs().sum() == 0 and boxes[..., :64].abs().sum() > 0


def test_losses_accept_its_output():
    model = ZooDetectionModel("sharedhead-n", nc=3, verbose=False)
    model.args = SimpleNamespace(box=7.5, cls=0.5, dfl=1.5, epochs=1)
    criterion = model.init_criterion()
    assert isinstance(criterion, E2ELoss)
    batch = {"batch_idx": torch.tensor([0.0, 1.0]), "cls": torch.tensor([[1.0], [2.0]]),
             "bboxes": torch.tensor([[0.5, 0.5, 0.3, 0.3], [0.4, 0.6, 0.2, 0.4]])}
    loss, items = criterion(model.train()(torch.rand(2, 3, 64, 64)), batch)
    assert torch.isfinite(loss).all() and loss.sum() > 0
    loss.sum().backward()
    assert model.model[-1].cv3.pred.weight.grad is not None and model.model[-1].one2one_cv3.pred.weight.grad is not None
    vit = ZooDetectionModel("vitdet-t", nc=3, verbose=False)
    vit.args = model.args
    assert isinstance(vit.init_criterion(), v8DetectionLoss)


@pytest.mark.parametrize("scale", ["n", "s"])
def test_backbone_and_neck_equal_yolo26(scale):
    ours = ZooDetectionModel(f"sharedhead-{scale}", verbose=False)
    stock = YOLO(f"yolo26{scale}.yaml").model
    count = lambda layers: [sum(p.numel() for p in m.parameters()) for m in layers]  # noqa: E731
    assert count(ours.model[:-1]) == count(stock.model[:-1])
    assert [m.f for m in ours.model] == [m.f for m in stock.model]
    assert torch.equal(ours.stride, stock.stride)


def _yolo26_checkpoint(path, trainer_style: bool):
    """Save a YOLO26n as Ultralytics publishes it: the pickled model under "model" (and "ema" for trainer files)."""
    torch.manual_seed(1)
    stock = YOLO("yolo26n.yaml").model
    for p in stock.parameters():  # non-default values, so that a copied tensor is recognisable
        p.data.normal_()
    ckpt = {"model": stock.half(), "train_args": {}, "date": "test"}
    if trainer_style:
        ckpt.update({"ema": stock, "epoch": -1, "optimizer": None, "updates": 0})
    torch.save(ckpt, path)
    return stock.float().state_dict()


@pytest.mark.parametrize("trainer_style", [False, True])
def test_yolo26_weights_transfer_backbone_and_neck(tmp_path, trainer_style):
    source = _yolo26_checkpoint(tmp_path / "yolo26n.pt", trainer_style)
    model = zoo.load("sharedhead-n", weights=tmp_path / "yolo26n.pt", allow_pickle="trusted")
    report = model.load_report
    body = [k for k in model.model.state_dict() if int(k.split(".")[1]) < 23]
    assert sorted(report.loaded) == sorted(body)  # every backbone and neck tensor, nothing else
    assert all(k.startswith("model.23.") for k in report.missing) and report.missing
    assert all(".23." in k for k in report.unexpected)  # the stock head's tensors, listed key by key
    state = model.model.state_dict()
    for k in body:
        torch.testing.assert_close(state[k], source[k].to(state[k].dtype), rtol=0, atol=1e-3)  # fp16 in the file


def test_yolo26_weights_with_another_nc(tmp_path):
    _yolo26_checkpoint(tmp_path / "yolo26n.pt", False)
    model = zoo.load("sharedhead-n", weights=tmp_path / "yolo26n.pt", allow_pickle="trusted", nc=5)
    assert model.model.model[-1].nc == 5 and model.model.model[-1].cv3.pred.out_channels == 5
    assert len(model.load_report.loaded) == sum(int(k.split(".")[1]) < 23 for k in model.model.state_dict())
