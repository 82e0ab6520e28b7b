"""Images in ROS encodings and bags written by the real libraries, for the bag and node tests.

`ros_encode` is written independently of bisenet_deploy.runtime.ros_image (numpy slicing; OpenCV only
for the YUV and Bayer layouts, whose decoding is OpenCV's anyway), so the tests check the converter.
"""

import numpy as np

TOPIC = "/camera/rgb/image_raw"
FRAME_ID = "camera_rgb_optical_frame"
ENCODINGS = ("rgb8", "bgr8", "mono8", "bgra8", "rgba8", "yuv422")


def sample_frames(count, height=48, width=64, seed=0):
    """`count` BGR frames of smooth random colour blobs (so a model sees structure, not only noise)."""
    import cv2
    rng = np.random.RandomState(seed)
    frames = []
    for _ in range(count):
        small = rng.randint(0, 256, (height // 8, width // 8, 3)).astype(np.uint8)
        frames.append(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR))
    return frames


def ros_encode(bgr, encoding, pad=0):
    """(data bytes, step) of `bgr` in `encoding`; rows padded by `pad` bytes. yuv422 is UYVY with U=V=128."""
    height, width = bgr.shape[:2]
    gray = (bgr.astype(np.float32) @ np.float32([0.114, 0.587, 0.299])).round().astype(np.uint8)
    if encoding == "rgb8":
        pixels = bgr[:, :, ::-1]
    elif encoding == "bgr8":
        pixels = bgr
    elif encoding == "mono8":
        pixels = gray[:, :, None]
    elif encoding in ("bgra8", "rgba8"):
        colour = bgr if encoding == "bgra8" else bgr[:, :, ::-1]
        pixels = np.concatenate([colour, np.full((height, width, 1), 255, np.uint8)], axis=2)
    elif encoding == "yuv422":  # grey picture: chroma neutral, luma per pixel, bytes U Y0 V Y1
        pixels = np.empty((height, width, 2), np.uint8)
        pixels[:, :, 0] = 128
        pixels[:, :, 1] = np.clip(16 + gray.astype(np.float32) * 219 / 255, 0, 255).round().astype(np.uint8)
    else:
        raise ValueError(encoding)
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    if pad:
        rows = np.concatenate([rows, np.zeros((height, pad), np.uint8)], axis=1)
    return rows.tobytes(), rows.shape[1]


def decoded_reference(bgr, encoding):
    """The BGR frame a correct converter makes of ros_encode(bgr, encoding)."""
    import cv2
    if encoding in ("rgb8", "bgr8", "bgra8", "rgba8"):
        return bgr
    data, step = ros_encode(bgr, encoding)
    if encoding == "mono8":
        gray = np.frombuffer(data, np.uint8).reshape(bgr.shape[:2])
        return np.repeat(gray[:, :, None], 3, axis=2)
    uyvy = np.frombuffer(data, np.uint8).reshape(bgr.shape[0], bgr.shape[1], 2)
    return cv2.cvtColor(uyvy, cv2.COLOR_YUV2BGR_UYVY)


def stamp_of(index):
    """(sec, nsec) of test frame `index`: distinct, with a nanosecond part that must survive."""
    return 1700000000 + index, 123456789 + index


def bag_time_ns(index):
    """When frame `index` was recorded: a little after its stamp, as a real recorder writes it."""
    sec, nsec = stamp_of(index)
    return sec * 10 ** 9 + nsec + 5000000


def write_rosbags_bag(path, storage, frames, encodings, topic=TOPIC):
    """A bag written by rosbags: storage 'ros1' (.bag), 'sqlite3' or 'mcap' (ROS 2 folders), with an
    Image per frame (encodings cycled) and a std_msgs/String on /notes between the images."""
    from rosbags.rosbag1 import Writer as Writer1
    from rosbags.rosbag2 import StoragePlugin, Writer as Writer2
    from rosbags.typesys import Stores, get_typestore

    ros1 = storage == "ros1"
    store = get_typestore(Stores.ROS1_NOETIC if ros1 else Stores.ROS2_HUMBLE)
    types = store.types
    if ros1:
        writer = Writer1(path)
    else:
        writer = Writer2(path, version=9, storage_plugin=StoragePlugin.MCAP if storage == "mcap"
                         else StoragePlugin.SQLITE3)
    serialize = store.serialize_ros1 if ros1 else store.serialize_cdr
    with writer:
        images = writer.add_connection(topic, "sensor_msgs/msg/Image", typestore=store)
        notes = writer.add_connection("/notes", "std_msgs/msg/String", typestore=store)
        for index, frame in enumerate(frames):
            encoding = encodings[index % len(encodings)]
            data, step = ros_encode(frame, encoding)
            sec, nsec = stamp_of(index)
            header = dict(stamp=types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nsec), frame_id=FRAME_ID)
            if ros1:
                header["seq"] = index
            message = types["sensor_msgs/msg/Image"](
                header=types["std_msgs/msg/Header"](**header), height=frame.shape[0], width=frame.shape[1],
                encoding=encoding, is_bigendian=0, step=step, data=np.frombuffer(data, np.uint8))
            writer.write(images, bag_time_ns(index), serialize(message, "sensor_msgs/msg/Image"))
            note = types["std_msgs/msg/String"](data="note {}".format(index))
            writer.write(notes, bag_time_ns(index) + 1000, serialize(note, "std_msgs/msg/String"))
    return str(path)


def read_bag(path):
    """[(topic, bag time ns, message)] of every message, through rosbags."""
    import pathlib
    from rosbags.highlevel import AnyReader
    with AnyReader([pathlib.Path(path)]) as reader:
        return [(c.topic, t, reader.deserialize(raw, c.msgtype)) for c, t, raw in reader.messages()]


def damage_message(path, index, damaged_path):
    """A copy of the ROS 1 bag at `path` whose `index`-th message record (in file order: in the bags written
    here an image, then its /notes string, and so on) declares a header field longer than the record. The
    bag's index still lists the message, so the bag opens and only reading that message fails."""
    import re
    data = bytearray(open(path, "rb").read())
    start = [match.start() for match in re.finditer(b"op=\x02", bytes(data))][index]  # op 2: a message
    data[start - 4:start] = b"\xff\xff\xff\x00"  # the length of the field "op=\x02"
    with open(damaged_path, "wb") as handle:
        handle.write(bytes(data))
    return damaged_path
