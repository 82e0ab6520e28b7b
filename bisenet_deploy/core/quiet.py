"""OpenCV's and FFmpeg's own log lines ('[ WARN:0] ... grfmt_png', '[mjpeg @ 0x..] overread') would sit
between our one-line messages; they are silenced unless --debug asks for everything."""

import os

FFMPEG_QUIET = "-8"  # AV_LOG_QUIET; OpenCV's FFmpeg backend reads it when it first opens a file


def quiet_opencv(debug=False):
    if debug:
        return
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_QUIET)
    import cv2

    logging_module = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging_module is not None and hasattr(logging_module, "setLogLevel"):
        logging_module.setLogLevel(logging_module.LOG_LEVEL_SILENT)
    elif hasattr(cv2, "setLogLevel"):  # older bindings expose it at the top level
        cv2.setLogLevel(0)
