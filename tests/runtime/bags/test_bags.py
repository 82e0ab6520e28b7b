"""Bags through bisenet-run --rosbag (and bisenet-eval, bisenet-calibrate): ROS 1 and ROS 2 (sqlite3, mcap)
bags written by the real rosbags library, segmented by the real ONNX Runtime backend, and the output bag
read back: every original message kept, and per image class_mask, color_mask, overlay and stats with its
header, at its bag time, holding exactly what the runtime itself computes for that frame."""

import json

import numpy as np
import pytest

from bag_files import (ENCODINGS, FRAME_ID, TOPIC, bag_time_ns, decoded_reference, read_bag, sample_frames,
                       stamp_of, write_rosbags_bag)
from bisenet_deploy.calib.main import main as calibrate_main
from bisenet_deploy.runtime.backends import create_backend
from bisenet_deploy.evaluate.main import main as eval_main
from bisenet_deploy.runtime.model_card import load_model_card
from bisenet_deploy.runtime.overlay import blend, colorize
from bisenet_deploy.runtime.run import main as run_main
from bisenet_deploy.runtime.segmenter import Segmenter
from cli_capture import run_cli

pytest.importorskip("rosbags")
FRAMES = 6
OUTPUTS = ("class_mask", "color_mask", "overlay", "stats")


def write_bag(tmp_path, storage, frames, encodings=ENCODINGS):
    name = "in.bag" if storage == "ros1" else "in_" + storage
    return write_rosbags_bag(str(tmp_path / name), storage, frames, encodings)


def runtime_labels(model, frames, encodings):
    """What the runtime makes of each frame, as it arrives from the bag's encoding."""
    card = load_model_card(model)
    with Segmenter(create_backend("ort", model, card), card) as segmenter:
        return [segmenter.segment(decoded_reference(frame, encodings[i % len(encodings)])).labels.copy()
                for i, frame in enumerate(frames)], card


def by_topic(messages):
    topics = {}
    for topic, time_ns, message in messages:
        topics.setdefault(topic, []).append((time_ns, message))
    return topics


def pixels(message, channels):
    data = np.asarray(message.data, np.uint8)
    shape = (message.height, message.width) + ((channels,) if channels > 1 else ())
    return data.reshape(message.height, message.step)[:, :message.width * channels].reshape(shape)


@pytest.mark.parametrize("storage", ["ros1", "sqlite3", "mcap"])
def test_rosbag_round_trip_keeps_every_message_and_adds_the_results(tmp_path, tiny_onnx_labels, storage):
    frames = sample_frames(FRAMES)
    bag = write_bag(tmp_path, storage, frames)
    out = tmp_path / "out.bag"
    code, stdout, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--backend", "ort", "--rosbag", bag, "--topic", TOPIC,
                                   "--headless", "--output", out)
    assert code == 0, stderr
    assert "{} frames".format(FRAMES) in stdout and "dropped" not in stdout
    topics = by_topic(read_bag(str(out)))
    assert sorted(topics) == sorted(["/notes", TOPIC] + [TOPIC + "/" + name for name in OUTPUTS])
    assert [t for t, _ in topics["/notes"]] == [bag_time_ns(i) + 1000 for i in range(FRAMES)]
    assert [m.data for _, m in topics["/notes"]] == ["note {}".format(i) for i in range(FRAMES)]
    expected, card = runtime_labels(tiny_onnx_labels, frames, ENCODINGS)
    for name in OUTPUTS:
        assert [t for t, _ in topics[TOPIC + "/" + name]] == [bag_time_ns(i) for i in range(FRAMES)], name
    for i in range(FRAMES):
        class_mask = topics[TOPIC + "/class_mask"][i][1]
        color_mask = topics[TOPIC + "/color_mask"][i][1]
        overlay = topics[TOPIC + "/overlay"][i][1]
        for message, encoding in ((class_mask, "mono8"), (color_mask, "rgb8"), (overlay, "bgr8")):
            stamp = message.header.stamp
            assert [stamp.sec, stamp.nanosec] == list(stamp_of(i)) and message.header.frame_id == FRAME_ID
            assert (message.encoding, message.height, message.width) == (encoding, 48, 64)
        np.testing.assert_array_equal(pixels(class_mask, 1), expected[i])
        colours = colorize(expected[i], card["colors"])
        np.testing.assert_array_equal(pixels(color_mask, 3), colours[:, :, ::-1])
        frame = decoded_reference(frames[i], ENCODINGS[i % len(ENCODINGS)])
        np.testing.assert_array_equal(pixels(overlay, 3), blend(frame, colours, 0.5))
        stats = json.loads(topics[TOPIC + "/stats"][i][1].data)
        assert stats["frame"] == i and stats["stamp"] == list(stamp_of(i))
        counts = np.bincount(expected[i].ravel(), minlength=card["num_classes"])
        assert stats["class_fractions"] == pytest.approx(
            {card["classes"][c]: counts[c] / expected[i].size for c in np.flatnonzero(counts)}, abs=1e-6)


def test_bag_without_the_topic_lists_its_image_topics(tmp_path, tiny_onnx_labels):
    bag = write_bag(tmp_path, "mcap", sample_frames(2))
    code, _, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--rosbag", bag, "--topic", "/nope", "--headless")
    assert code == 2 and "has no topic /nope; its image topics: " + TOPIC in stderr
    code, _, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--rosbag", bag, "--topic", "/notes", "--headless")
    assert code == 2 and "holds std_msgs/msg/String, not sensor_msgs/Image" in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv,fragment", [
    (["--rosbag", "{bag}", "--headless"], "--rosbag needs --topic"),
    (["--images", "{tmp}", "--topic", TOPIC, "--headless"], "--topic goes with --rosbag, not --images"),
    (["--camera", "0", "--topic", TOPIC, "--headless"], "--topic goes with --rosbag, not --camera"),
    (["--rosbag", "{tmp}/missing.bag", "--topic", TOPIC, "--headless"], "no such bag"),
])
def test_bag_flags_are_checked(tmp_path, tiny_onnx_labels, argv, fragment):
    bag = write_bag(tmp_path, "ros1", sample_frames(1))
    argv = [a.format(bag=bag, tmp=tmp_path) for a in argv]
    code, _, stderr = run_cli(run_main, "--model", tiny_onnx_labels, *argv)
    assert code == 2 and fragment in stderr


def test_bag_output_needs_a_bag_source(tmp_path, tiny_onnx_labels):
    import cv2
    (tmp_path / "frames").mkdir()  # the bag beside the images' folder, not in it (that is refused for itself)
    cv2.imwrite(str(tmp_path / "frames" / "a.png"), sample_frames(1)[0])
    code, _, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--images", tmp_path / "frames", "--headless",
                              "--output", tmp_path / "out.bag")
    assert code == 2 and "needs a --rosbag source" in stderr
    assert not (tmp_path / "out.bag").exists()


def test_unsupported_images_in_a_bag_are_skipped_with_one_warning(tmp_path, tiny_onnx_labels, caplog):
    frames = sample_frames(4)
    bag = write_rosbags_bag(str(tmp_path / "mixed.bag"), "ros1", frames, ["rgb8", "mono8"])
    _corrupt_encodings(bag, str(tmp_path / "mixed2.bag"), {1: "32FC1", 3: "32FC1"})
    out = tmp_path / "out.bag"
    code, stdout, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--rosbag", tmp_path / "mixed2.bag",
                                   "--topic", TOPIC, "--headless", "--output", out)
    assert code == 0, stderr
    warnings = [r.getMessage() for r in caplog.records if "32FC1" in r.getMessage()]
    assert len(warnings) == 1
    stamps = [m.header.stamp.sec for _, m in by_topic(read_bag(str(out)))[TOPIC + "/class_mask"]]
    assert stamps == [stamp_of(0)[0], stamp_of(2)[0]]


def _corrupt_encodings(src, dst, encodings):
    """A copy of bag `src` whose image `i` claims encoding `encodings[i]` (data left as it was)."""
    import pathlib
    from rosbags.highlevel import AnyReader
    from rosbags.rosbag1 import Writer
    with AnyReader([pathlib.Path(src)]) as reader, Writer(dst) as writer:
        conns = dict((c.id, writer.add_connection(c.topic, c.msgtype, typestore=reader.typestore))
                     for c in reader.connections)
        index = 0
        for connection, time_ns, raw in reader.messages():
            if connection.topic == TOPIC:
                message = reader.deserialize(raw, connection.msgtype)
                message.encoding = encodings.get(index, message.encoding)
                raw = reader.typestore.serialize_ros1(message, connection.msgtype)
                index += 1
            writer.write(conns[connection.id], time_ns, raw)


def test_eval_on_a_bag_reports_agreement_over_every_frame(tmp_path, tiny_onnx_labels, tiny_onnx_logits):
    bag = write_bag(tmp_path, "sqlite3", sample_frames(FRAMES))
    report = tmp_path / "report.json"
    # the random tiny network's two heads label near-ties differently (in-graph nearest resize against the
    # label step's bilinear scores): the report is written, and the gate (agreement, a bag has no labels) fails
    code, stdout, stderr = run_cli(eval_main, "--model", tiny_onnx_logits, "--backend", "ort", "--rosbag", bag, "--topic", TOPIC,
                                   "--compare", tiny_onnx_labels, "--json", report)
    assert code == 1 and "FAILED | pixel agreement" in stdout and "pixel agreement" in stderr
    data = json.loads(report.read_text())
    assert data["samples"] == FRAMES and data["topic"] == TOPIC
    assert 0.5 < data["agreement"]["pixels"] < 0.99 and sum(data["class_fractions"].values()) == pytest.approx(1.0)
    assert data["gate"] == {"criterion": "agreement", "limit": 0.99, "passed": False, "judged": "--model",
                            "measured": data["agreement"]["pixels"]}
    code, stdout, stderr = run_cli(eval_main, "--model", tiny_onnx_logits, "--backend", "ort", "--rosbag", bag, "--topic",
                                   TOPIC, "--compare", "ort")
    assert code == 0 and "PASSED | pixel agreement 100.000%" in stdout, stderr
    code, _, stderr = run_cli(eval_main, "--model", tiny_onnx_logits, "--rosbag", bag, "--topic", TOPIC)
    assert code == 2 and "add --compare" in stderr


def test_calibrate_on_a_bag_topic(tmp_path, tiny_onnx_labels):
    bag = write_bag(tmp_path, "mcap", sample_frames(14, 64, 96))
    out = tmp_path / "tiny.qdq.onnx"
    code, stdout, stderr = run_cli(calibrate_main, tiny_onnx_labels, "--rosbag", bag, "--topic", TOPIC, "--calib-count",
                                   "10", "--eval-count", "4", "--no-progress", "--min-agreement", "0", "-o", out)
    assert code == 0, stderr
    assert "14 images of topic {} in bag".format(TOPIC) in stdout, stdout
    assert "calibrated on 10 images" in stdout and "on 4 held-out images" in stdout
    assert out.is_file()
    code, _, stderr = run_cli(calibrate_main, tiny_onnx_labels, "--rosbag", bag, "-o", out)
    assert code == 2 and "--rosbag BAG --topic T" in stderr


def write_many_class_onnx(path, num_classes=300, height=32, width=48):
    """A card-less ONNX labelling every pixel with the last class (299 > 255, so only mono16 holds it):
    a 1x1 Conv to `num_classes` zero channels but the last (bias 1), ArgMax, Cast."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    weight = np.zeros((num_classes, 3, 1, 1), np.float32)
    bias = np.zeros(num_classes, np.float32)
    bias[-1] = 1.0
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "w", "b"], ["scores"]),
         helper.make_node("ArgMax", ["scores"], ["index"], axis=1, keepdims=0),
         helper.make_node("Cast", ["index"], ["pred"], to=TensorProto.INT32)],
        "many_classes", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, height, width])],
        [helper.make_tensor_value_info("pred", TensorProto.INT32, [1, height, width])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    onnx.save(model, str(path))
    return str(path)


def test_more_than_255_classes_give_a_mono16_class_mask(tmp_path):
    model = write_many_class_onnx(tmp_path / "many.onnx")
    bag = write_bag(tmp_path, "ros1", sample_frames(2, 32, 48), ["bgr8"])
    out = tmp_path / "out.bag"
    code, _, stderr = run_cli(run_main, "--model", model, "--input-size", "32x48", "--num-classes", "300", "--head",
                              "labels", "--rosbag", bag, "--topic", TOPIC, "--headless", "--output", out)
    assert code == 0, stderr
    masks = by_topic(read_bag(str(out)))[TOPIC + "/class_mask"]
    assert len(masks) == 2
    for _, message in masks:
        assert (message.encoding, message.step, message.is_bigendian) == ("mono16", 2 * 48, 0)
        labels = np.asarray(message.data, np.uint8).view("<u2").reshape(32, 48)
        assert (labels == 299).all()


def test_without_either_bag_library_the_refusal_says_how_to_get_one(monkeypatch):
    from bisenet_deploy.core.errors import InputError
    from bisenet_deploy.runtime import bags
    monkeypatch.setattr(bags, "is_installed", lambda name: False)
    with pytest.raises(InputError, match=r"needs the rosbags library .* or ROS 1's rosbag module"):
        bags.pick_library()


def test_a_failed_run_leaves_no_bag_behind(tmp_path, tiny_onnx_labels, monkeypatch):
    from bisenet_deploy.core.errors import InputError
    bag = write_bag(tmp_path, "ros1", sample_frames(4))
    calls = []
    real_submit = Segmenter.submit

    def fail_on_third(self, frame):  # stands in for a frame the backend cannot take
        calls.append(1)
        if len(calls) == 3:
            raise InputError("cannot segment this frame")
        return real_submit(self, frame)

    monkeypatch.setattr(Segmenter, "submit", fail_on_third)
    out = tmp_path / "out" / "seg.bag"
    out.parent.mkdir()
    code, _, stderr = run_cli(run_main, "--model", tiny_onnx_labels, "--rosbag", bag, "--topic", TOPIC, "--headless",
                              "--output", out)
    assert code == 2 and "cannot segment this frame" in stderr
    assert list(out.parent.iterdir()) == []
