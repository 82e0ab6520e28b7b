"""bisenet-bench's FAMILY:DATASET specs (bisenetv2:city, bisenetv1:coco): random-weight networks of
CoinCheung's families at the dataset's class count, exported and measured like the seed's grid specs,
their rows naming family and dataset. Speed is never asserted."""

import csv
import json

import pytest
from cli_capture import run_cli

from bisenet_deploy.bench.main import main, parse_model_spec
from bisenet_deploy.bench.report import markdown_report


@pytest.fixture(scope="module")
def family_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench_families")
    paths = {kind: str(folder / "speed.{}".format(kind)) for kind in ("json", "csv")}
    code, out, err = run_cli(main, "--models", "bisenetv2:city", "bisenetv1:coco", "--backends", "torch,ort",
                             "--input-size", "64x128", "--iters", "2", "--warmup", "1", "--threads", "1",
                             "--json", paths["json"], "--csv", paths["csv"])
    assert code == 0, err
    with open(paths["json"]) as handle:
        records = json.load(handle)
    return {"records": records, "stdout": out, "paths": paths}


@pytest.mark.parametrize("text, arch, dataset", [
    ("bisenetv2:city", "bisenetv2", "cityscapes"),
    ("bisenetv1:cityscapes", "bisenetv1", "cityscapes"),
    ("bisenetv1:coco", "bisenetv1", "coco-stuff"),
    ("bisenetv2:ade20k", "bisenetv2", "ade20k"),
])
def test_family_specs_parse(text, arch, dataset):
    spec = parse_model_spec(text)
    assert (spec.arch, spec.dataset, spec.in_planes, spec.path) == (arch, dataset, None, None)


def test_seed_grid_specs_have_no_dataset():
    assert parse_model_spec("resnet18:32").dataset is None


@pytest.mark.parametrize("text", ["bisenetv3:city", "bisenetv2:mars", "bisenetv2:city:extra", "bisenetv2"])
def test_a_bad_family_spec_is_one_line_and_exit_2(text):
    code, _, err = run_cli(main, "--models", text, "--backends", "ort")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "FAMILY:DATASET" in err


def test_each_row_names_its_family_dataset_and_classes(family_run):
    records = family_run["records"]
    assert [(r["model"], r["backend"]) for r in records] == [
        ("bisenetv2:city", "torch"), ("bisenetv2:city", "ort"), ("bisenetv1:coco", "torch"), ("bisenetv1:coco", "ort")]
    expected = {"bisenetv2:city": ("coincheung-v2", "bisenetv2", "cityscapes"),
                "bisenetv1:coco": ("coincheung-v1", "bisenetv1-resnet18", "coco-stuff")}
    for record in records:
        assert (record["family"], record["arch"], record["dataset"]) == expected[record["model"]]
        assert record["model_source"] == "grid" and record["input_size"] == [64, 128]
        assert record["in_planes"] is None and record["fps"] > 0 and record["macs"] > 0
    lines = family_run["stdout"].splitlines()
    fps = dict(((r["model"], r["backend"]), r["fps"]) for r in records)
    assert "bisenetv2 [coincheung-v2, cityscapes] | / | {:.1f} | {:.1f}".format(
        fps["bisenetv2:city", "torch"], fps["bisenetv2:city", "ort"]) in lines
    assert "bisenetv1-resnet18 [coincheung-v1, coco-stuff] | / | {:.1f} | {:.1f}".format(
        fps["bisenetv1:coco", "torch"], fps["bisenetv1:coco", "ort"]) in lines


def test_the_csv_has_family_and_dataset_columns(family_run):
    with open(family_run["paths"]["csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["family"], row["dataset"]) for row in rows] == [
        ("coincheung-v2", "cityscapes")] * 2 + [("coincheung-v1", "coco-stuff")] * 2


def test_seed_rows_keep_the_seed_layout():
    """Formatting only: a wali record (family and dataset in the card) still reads as the seed's row."""
    record = {"model": "resnet18:32", "model_source": "grid", "arch": "resnet18", "in_planes": 32,
              "variant": "deconv", "family": "wali", "dataset": "sunrgbd", "backend": "ort", "device": "cpu",
              "precision": "fp32", "column": "ort CPU", "input_size": [64, 64], "frame_size": [480, 640],
              "threads": 1, "iters": 2, "warmup": 1, "latency_ms": 10.0, "latency_p90_ms": 11.0, "fps": 100.0,
              "e2e_latency_ms": 12.0, "e2e_latency_p90_ms": 13.0, "e2e_fps": 83.3}
    assert "res18 | 32 | 100.0" in markdown_report([record]).splitlines()
