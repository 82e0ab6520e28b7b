"""repository -> bisenet-serve -> bisenet-run, -eval and -bench through the real server: the same labels
as ONNX Runtime here, the card read from the server, faults said in one line."""

import os

import cv2
import numpy as np
import pytest

from bisenet_deploy.bench.main import main as bench_main
from bisenet_deploy.evaluate.main import main as eval_main
from bisenet_deploy.runtime.run import main as run_main
from bisenet_deploy.scenes.main import main as scenes_main
from cli_capture import run_cli
from triton_servers import free_ports


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """Six pictures: four at the camera's 240x320, two at the network's own 192x256."""
    folder = tmp_path_factory.mktemp("frames")
    for index in range(6):
        size = (240, 320) if index < 4 else (192, 256)
        picture = (np.random.RandomState(index).rand(size[0], size[1], 3) * 255).astype(np.uint8)
        cv2.imwrite(str(folder / "{}.png".format(index)), cv2.GaussianBlur(picture, (9, 9), 3))
    return folder


def _labels(folder):
    return dict((name, cv2.imread(os.path.join(str(folder), name), cv2.IMREAD_UNCHANGED))
                for name in sorted(os.listdir(str(folder))) if name.endswith("_labels.png"))


@pytest.mark.parametrize("name, local", [("demo", "demo_onnx_labels"), ("demo_logits", "demo_onnx_logits")])
def test_run_through_the_server_gives_the_local_labels(triton_server, frames, tmp_path, request, name, local):
    code, out, err = run_cli(run_main, "--backend", "triton", "--server", triton_server.address, "--model-name", name,
                             "--images", frames, "--output", "{}/".format(tmp_path / "remote"), "--headless")
    assert code == 0, err
    assert "system shared memory" in out and "6 frames" in out
    code, _, err = run_cli(run_main, "--backend", "ort", "--model", request.getfixturevalue(local), "--images", frames,
                           "--output", "{}/".format(tmp_path / "local"), "--headless")
    assert code == 0, err
    remote, here = _labels(tmp_path / "remote"), _labels(tmp_path / "local")
    assert sorted(remote) == sorted(here) and len(remote) == 6
    for key in here:
        assert np.array_equal(remote[key], here[key]), key


def test_raw_input_model_gives_the_local_labels_on_network_sized_frames(triton_server, frames, tmp_path,
                                                                       demo_onnx_labels):
    """uint8 frames are exact where no resize happens (the two 192x256 pictures)."""
    code, _, err = run_cli(run_main, "--backend", "triton", "--server", triton_server.address, "--model-name",
                           "demo_raw", "--images", frames, "--output", "{}/".format(tmp_path / "raw"), "--headless")
    assert code == 0, err
    assert run_cli(run_main, "--model", demo_onnx_labels, "--backend", "ort", "--images", frames, "--output",
                   "{}/".format(tmp_path / "local"), "--headless")[0] == 0
    remote, here = _labels(tmp_path / "raw"), _labels(tmp_path / "local")
    for key in ("4_labels.png", "5_labels.png"):
        assert np.array_equal(remote[key], here[key])


def test_eval_through_the_server_agrees_with_the_local_model(triton_server, demo_onnx_labels, tmp_path):
    assert run_cli(scenes_main, tmp_path / "scenes", "--count", "3", "--size", "192x256", "--seed", "7")[0] == 0
    code, out, err = run_cli(eval_main, "--backend", "triton", "--server", triton_server.address, "--model-name",
                             "demo", "--data", tmp_path / "scenes", "--compare", demo_onnx_labels)
    assert code == 0, err
    assert "pixel agreement 100.0000%" in out


def test_bench_reports_each_concurrency_level_with_server_batches(triton_server, tmp_path):
    report = tmp_path / "bench.json"
    code, out, err = run_cli(bench_main, "--backend", "triton", "--server", triton_server.address, "--model-name",
                             "demo", "--concurrency", "1,4", "--duration", "1", "--warmup-seconds", "0.5",
                             "--json", report, "--markdown", tmp_path / "bench.md", "--csv", tmp_path / "bench.csv")
    assert code == 0, err
    import json
    records = json.loads(report.read_text())
    assert [r["concurrency"] for r in records] == [1, 4]
    for record in records:
        assert record["requests"] > 0 and record["errors"] == 0
        assert record["latency_p99_ms"] >= record["latency_p50_ms"] > 0
        served = sum(int(size) * count for size, count in record["server_batches"].items())
        assert served >= record["requests"] - record["concurrency"]  # requests in flight at the window's edges
    assert "| 4 |" in out
    table = (tmp_path / "bench.md").read_text()
    assert table.startswith("| concurrency | requests/s |") and table in out  # the printed table, as written
    import csv
    rows = list(csv.DictReader((tmp_path / "bench.csv").open()))
    assert [int(row["concurrency"]) for row in rows] == [1, 4]
    assert [float(row["throughput_per_s"]) for row in rows] == [r["throughput_per_s"] for r in records]
    assert rows[1]["server_batches"] == " ".join("{}:{}".format(k, v) for k, v in records[1]["server_batches"].items())
    # every request answered without an error in the server's log (the python backend once printed one per
    # request: numpy's DLPack destructor and the backend disagreed on a consumed capsule's name)
    with open(triton_server.log_path, "rb") as handle:
        log = handle.read().decode("utf-8", "replace")
    assert "successfully loaded" in log, triton_server.log_tail()
    assert "Traceback" not in log and "Failed to process the request" not in log, triton_server.log_tail()


def test_no_server_is_one_line_and_exit_2(frames):
    port = free_ports(1)[0]
    code, _, err = run_cli(run_main, "--backend", "triton", "--server", "127.0.0.1:{}".format(port), "--images",
                           frames, "--headless")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no Triton server answers at 127.0.0.1:{}".format(port) in err


def test_a_wrong_model_name_says_what_the_server_has(triton_server, frames):
    code, _, err = run_cli(run_main, "--backend", "triton", "--server", triton_server.address, "--model-name",
                           "nope", "--images", frames, "--headless")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no ready model 'nope'" in err and "demo, demo_logits, demo_raw" in err


def test_several_models_and_no_name_asks_for_one(triton_server, frames):
    code, _, err = run_cli(run_main, "--backend", "triton", "--server", triton_server.address, "--images", frames,
                           "--headless")
    assert code == 2 and "--model-name" in err


def test_model_and_server_exclude_each_other(triton_server, frames, demo_onnx_labels):
    code, _, err = run_cli(run_main, "--model", demo_onnx_labels, "--server", triton_server.address, "--images",
                           frames, "--headless")
    assert code == 2 and "exclude each other" in err
