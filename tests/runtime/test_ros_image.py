"""ROS image messages <-> numpy without cv_bridge: every supported encoding, padded rows, what is refused."""

import types

import cv2
import numpy as np
import pytest

from bag_files import decoded_reference, ros_encode, sample_frames
from bisenet_deploy.runtime.ros_image import (UnsupportedImage, bgr_from_compressed, bgr_from_image, header_meta,
                                              image_fields, label_encoding)


def image_message(data, height, width, encoding, step):
    return types.SimpleNamespace(data=data, height=height, width=width, encoding=encoding, step=step, is_bigendian=0)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "mono8", "bgra8", "rgba8", "yuv422"])
@pytest.mark.parametrize("pad", [0, 6])
def test_each_encoding_decodes_to_the_bgr_frame(encoding, pad):
    frame = sample_frames(1, 24, 32, seed=3)[0]
    data, step = ros_encode(frame, encoding, pad=pad)
    decoded = bgr_from_image(image_message(data, 24, 32, encoding, step))
    assert decoded.shape == (24, 32, 3) and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, decoded_reference(frame, encoding))


def test_yuv422_is_uyvy_byte_order():
    # U Y0 V Y1 with neutral chroma: pixel 0 dark, pixel 1 bright; YUYV order would swap luma and chroma
    data = np.array([128, 40, 128, 200] * 4, np.uint8).tobytes()
    decoded = bgr_from_image(image_message(data, 1, 8, "yuv422", 16))
    assert decoded[0, 0, 0] < 40 < 200 < decoded[0, 1, 0]
    assert np.all(decoded[0, 0] == decoded[0, 0, 0])  # grey: B = G = R


def test_numpy_data_as_rosbags_delivers_it():
    frame = sample_frames(1, 8, 8)[0]
    data, step = ros_encode(frame, "rgb8")
    decoded = bgr_from_image(image_message(np.frombuffer(data, np.uint8), 8, 8, "rgb8", step))
    np.testing.assert_array_equal(decoded, frame)


@pytest.mark.parametrize("encoding,pattern_from_top_left", [("bayer_rggb8", "RGGB"), ("bayer_bggr8", "BGGR"),
                                                     ("bayer_gbrg8", "GBRG"), ("bayer_grbg8", "GRBG")])
def test_bayer_patterns_recover_a_flat_colour(encoding, pattern_from_top_left):
    bgr = np.array([30, 120, 220], np.uint8)  # B, G, R far apart, so a swapped pattern shows
    mosaic = np.empty((16, 16), np.uint8)
    channel = {"R": 2, "G": 1, "B": 0}
    for dy in (0, 1):
        for dx in (0, 1):
            mosaic[dy::2, dx::2] = bgr[channel[pattern_from_top_left[dy * 2 + dx]]]
    decoded = bgr_from_image(image_message(mosaic.tobytes(), 16, 16, encoding, 16))
    np.testing.assert_allclose(decoded[4:12, 4:12].reshape(-1, 3), np.tile(bgr, (64, 1)), atol=2)


def test_unsupported_encoding_names_itself_and_the_supported_ones():
    with pytest.raises(UnsupportedImage, match=r"'32FC1' is not supported \(supported: .*rgb8"):
        bgr_from_image(image_message(b"\0" * 16, 2, 2, "32FC1", 8))


def test_data_shorter_than_its_size_is_refused():
    with pytest.raises(UnsupportedImage, match="does not fit"):
        bgr_from_image(image_message(b"\0" * 10, 2, 2, "rgb8", 6))


def test_compressed_jpeg_and_garbage():
    frame = sample_frames(1, 16, 16)[0]
    ok, png = cv2.imencode(".png", frame)
    decoded = bgr_from_compressed(types.SimpleNamespace(format="png", data=png.tobytes()))
    np.testing.assert_array_equal(decoded, frame)
    with pytest.raises(UnsupportedImage, match="does not decode"):
        bgr_from_compressed(types.SimpleNamespace(format="jpeg", data=b"not a jpeg"))


def test_outgoing_fields_mono16_little_endian_and_steps():
    labels = np.array([[0, 300], [256, 1]], np.uint16)
    fields = image_fields(labels, "mono16")
    assert (fields["step"], fields["is_bigendian"], fields["encoding"]) == (4, 0, "mono16")
    np.testing.assert_array_equal(np.frombuffer(fields["data"], "<u2").reshape(2, 2), labels)
    rgb = image_fields(np.zeros((3, 5, 3), np.uint8), "rgb8")
    assert (rgb["height"], rgb["width"], rgb["step"], len(rgb["data"])) == (3, 5, 15, 45)
    assert label_encoding(255) == "mono8" and label_encoding(256) == "mono16"
    with pytest.raises(ValueError):
        image_fields(np.zeros((3, 5), np.uint8), "rgb8")


def test_header_meta_reads_rospy_and_rosbags_stamps():
    rospy_like = types.SimpleNamespace(stamp=types.SimpleNamespace(secs=5, nsecs=7), frame_id="a", seq=3)
    rosbags_like = types.SimpleNamespace(stamp=types.SimpleNamespace(sec=5, nanosec=0), frame_id="b")
    assert header_meta(rospy_like) == {"stamp": [5, 7], "frame_id": "a", "seq": 3}
    assert header_meta(rosbags_like) == {"stamp": [5, 0], "frame_id": "b", "seq": 0}
