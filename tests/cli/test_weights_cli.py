"""``zoo weights publish`` then ``verify`` (by name through ZOO_MANIFEST and by path), and a tampered file."""

from cli_helpers import run_zoo

from zoo.cli import main


def test_publish_then_verify(tmp_path):
    manifest = tmp_path / "release" / "my_weights.json"
    out = run_zoo("weights", "publish", "model=yolo26n.yaml", "task=detect", "name=yolo26n.cli-test",
                  f"out_dir={tmp_path / 'release'}", f"manifest={manifest}")
    assert out.returncode == 0, out.stderr[-3000:]
    file = tmp_path / "release" / "yolo26n.cli-test.safetensors"
    assert file.is_file() and manifest.is_file()

    out = run_zoo("weights", "verify", "yolo26n.cli-test", ZOO_MANIFEST=str(manifest))
    assert out.returncode == 0, out.stderr
    assert "yolo26n.cli-test: ok" in out.stdout
    out = run_zoo("weights", "verify", str(file), ZOO_MANIFEST=str(manifest))
    assert out.returncode == 0, out.stderr
    out = run_zoo("weights", "list", "yolo26n", ZOO_MANIFEST=str(manifest))
    assert out.returncode == 0 and "yolo26n.cli-test" in out.stdout

    data = bytearray(file.read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the last tensor
    file.write_bytes(bytes(data))
    out = run_zoo("weights", "verify", "yolo26n.cli-test", ZOO_MANIFEST=str(manifest))
    assert out.returncode == 1
    assert "sha256" in out.stderr


def test_publish_from_a_damaged_checkpoint_names_it(tmp_path, capsys):
    """A .pt is read by the restricted reader (a payload is refused: tests/engine/test_checkpoint_safety.py)."""
    fake = tmp_path / "best.pt"
    fake.write_bytes(b"not really a checkpoint")
    assert main(["weights", "publish", f"model={fake}", "name=yolo26n.x", f"out_dir={tmp_path}"]) == 1
    assert f"{fake}: not a torch.save checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "yolo26n.x.safetensors").exists()
