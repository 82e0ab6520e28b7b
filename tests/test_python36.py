"""The device side on the TX2's Python 3.6, for real: .venv-py36 (./scripts/setup.sh --py36) holds CPython
3.6 with numpy 1.19.5, OpenCV 4.5.5 and ONNX Runtime 1.10.0. Every module imports there (or lacks only an
optional package that venv does not have), and bisenet-run, bisenet-eval, bisenet-bench and bisenet-doctor
run there and agree with the same commands on this suite's Python. vermin checks syntax; this checks
what only running on 3.6 shows (library APIs, import-time behaviour, the pinned versions)."""

import json
import os
import pathlib
import subprocess
import sys

import cv2
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PY36_BIN = ROOT / ".venv-py36" / "bin"
HERE_BIN = pathlib.Path(sys.executable).parent

pytestmark = pytest.mark.skipif(not (PY36_BIN / "python").exists(),
                                reason="no .venv-py36 (./scripts/setup.sh --py36)")

# Imports every module; a failure counts unless it is a missing optional package (torch, onnx, openvino,
# rospy, tritonclient, ...) that this venv does not install.
IMPORT_ALL = r"""
import importlib, importlib.util, json, pkgutil, sys, traceback
import bisenet_deploy
imported, missing_optional, failed = [], {}, {}
for info in pkgutil.walk_packages(bisenet_deploy.__path__, "bisenet_deploy."):
    try:
        importlib.import_module(info.name)
        imported.append(info.name)
    except ImportError as error:
        top = (error.name or "").split(".")[0]
        if top and top != "bisenet_deploy" and importlib.util.find_spec(top) is None:
            missing_optional[info.name] = top
        else:
            failed[info.name] = traceback.format_exc()
    except Exception:
        failed[info.name] = traceback.format_exc()
print(json.dumps({"version": list(sys.version_info[:2]), "imported": imported,
                  "missing_optional": missing_optional, "failed": failed}))
"""


def _run(command, cwd, timeout=300):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)  # each venv imports its own installed copy of the project
    result = subprocess.run(command, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=timeout, env=env)
    assert result.returncode == 0, (command, result.stderr.decode("utf-8", "replace")[-3000:])
    return result.stdout.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("py36_scenes")
    _run([str(PY36_BIN / "bisenet-scenes"), str(folder), "--count", "3", "--size", "192x256"], folder)
    return folder


def test_every_module_imports_on_python36(tmp_path):
    report = json.loads(_run([str(PY36_BIN / "python"), "-c", IMPORT_ALL], tmp_path))
    assert report["version"] == [3, 6]
    assert not report["failed"], "\n".join(report["failed"].values())
    for device_module in ("bisenet_deploy.commands", "bisenet_deploy.runtime.segmenter",
                          "bisenet_deploy.evaluate", "bisenet_deploy.bench", "bisenet_deploy.doctor",
                          "bisenet_deploy.runtime.sinks", "bisenet_deploy.runtime.sources"):
        assert device_module in report["imported"], report["missing_optional"].get(device_module)


def test_run_writes_the_same_label_maps_on_python36(demo_onnx_labels, scenes, tmp_path):
    outputs = {}
    for name, bin_dir in (("py36", PY36_BIN), ("here", HERE_BIN)):
        out = tmp_path / name
        _run([str(bin_dir / "bisenet-run"), "--model", demo_onnx_labels, "--backend", "ort",
              "--images", str(scenes / "images"), "--output", str(out) + "/"], tmp_path)
        outputs[name] = sorted(out.glob("*_labels.png"))
    assert len(outputs["py36"]) == 3 and [p.name for p in outputs["py36"]] == [p.name for p in outputs["here"]]
    for old, new in zip(outputs["py36"], outputs["here"]):
        assert np.array_equal(cv2.imread(str(old), cv2.IMREAD_UNCHANGED), cv2.imread(str(new), cv2.IMREAD_UNCHANGED)), old.name


def test_eval_gives_the_same_miou_on_python36(demo_onnx_labels, scenes, tmp_path):
    reports = {}
    for name, bin_dir in (("py36", PY36_BIN), ("here", HERE_BIN)):
        report = tmp_path / (name + ".json")
        _run([str(bin_dir / "bisenet-eval"), "--model", demo_onnx_labels, "--backend", "ort",
              "--data", str(scenes), "--json", str(report)], tmp_path)
        reports[name] = json.loads(report.read_text())["results"][0]
    assert reports["py36"]["backend"] == "ort" and 0.0 < reports["py36"]["mIoU"] <= 1.0
    assert reports["py36"]["per_class"] == reports["here"]["per_class"]
    assert reports["py36"]["mIoU"] == pytest.approx(reports["here"]["mIoU"], abs=1e-9)


def test_bench_measures_ort_on_python36(demo_onnx_labels, tmp_path):
    record_file = tmp_path / "bench.json"
    _run([str(PY36_BIN / "bisenet-bench"), "--models", demo_onnx_labels, "--backends", "ort",
          "--iters", "3", "--warmup", "1", "--json", str(record_file)], tmp_path, timeout=600)
    records = json.loads(record_file.read_text())
    ort = [record for record in records if record.get("backend") == "ort"]
    assert ort, records
    assert ort[0]["environment"]["python"].startswith("3.6.")
    assert ort[0]["latency_ms"] > 0 and ort[0]["e2e_fps"] > 0


def test_doctor_passes_the_ort_requirement_on_python36(tmp_path):
    output = _run([str(PY36_BIN / "bisenet-doctor"), "--require", "onnxruntime"], tmp_path)
    assert "3.6." in output and "1.10.0" in output
