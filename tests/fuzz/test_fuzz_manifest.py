"""Fuzz manifests through load_manifest (direct and via ZOO_MANIFEST) and weights names through resolution.

Fails on any exception outside zoo's WeightsError hierarchy, or a hang, listing the failing cases
by kind. Budget and seed: see weights_fuzz (ZOO_FUZZ_SECONDS, ZOO_FUZZ_CASES, ZOO_FUZZ_SEED).
"""

from __future__ import annotations

import itertools

import weights_fuzz
from manifest_gen import manifest_case, weights_ref

from zoo.weights import manifest as manifest_mod
from zoo.weights.errors import WeightsError
from zoo.weights.fetching import ref_path
from zoo.weights.manifest import load_manifest
from zoo.weights.refs import resolve_ref

_IDS = itertools.count()


def test_fuzz_manifests_and_names(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # resolution may reach for the cache, never the network
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "weights_manifest.json").write_text('{"schema_version": 1, "weights": {}}')  # a git stub's target
    (tmp_path / "stub.json").write_bytes(b"stub.json")  # a stub pointing at itself

    def load(path, via_env):
        if not via_env:
            return load_manifest(path)
        monkeypatch.setenv("ZOO_MANIFEST", str(path))
        try:
            return load_manifest()  # the shipped manifest plus this one
        finally:
            monkeypatch.delenv("ZOO_MANIFEST")

    def case(rng):
        desc, content = manifest_case(rng)
        via_env = rng.random() < 0.2
        path_kind = 0 if rng.random() < 0.95 else rng.choice([1, 2])  # 1: over-long name, 2: missing file
        tried = []

        def thunk():
            manifest_mod._CACHE.clear()  # each case reads its own file, and the cache must not grow
            path = tmp_path / f"m{next(_IDS)}.json"
            if path_kind == 1:
                path = path.with_name("m" * 5000 + ".json")  # the OS refuses the name
            elif path_kind == 2:
                path = path.with_name("missing.json")
            elif content is None:
                path.mkdir()
            else:
                path.write_bytes(content)
            try:
                manifest = load(path, via_env)
            finally:
                if path_kind == 0:
                    path.rmdir() if content is None else path.unlink()
            for _ in range(3):  # names drawn from what loaded, so resolution reaches real entries
                ref, model = weights_ref(rng, list(manifest.entries))
                tried.append(ref)
                try:
                    ref_path(resolve_ref(ref, model_name=model, manifest=manifest), progress=False)
                except WeightsError:
                    continue  # typed: try the next name

        return lambda: f"{desc} env={via_env} path={path_kind} content={weights_fuzz.short(content)} refs={tried}", thunk

    weights_fuzz.check(weights_fuzz.run(case), "manifest fuzz")
