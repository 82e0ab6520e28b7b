"""A picture and its label map painted together, so every pixel's label is what was drawn there last."""

import cv2
import numpy as np

from ..core.metrics import IGNORE_INDEX


class Canvas(object):
    def __init__(self, height, width):
        self.height, self.width = int(height), int(width)
        self.rgb = np.zeros((self.height, self.width, 3), np.float32)
        self.labels = np.full((self.height, self.width), IGNORE_INDEX, np.uint8)

    def fill_polygon(self, points, label, texture, shade=1.0):
        """Paint the polygon `points` ((x, y) pixel floats) with `texture`; False when it is off-canvas."""
        points = np.asarray(points, np.float64)
        x0, y0 = np.floor(points.min(axis=0)).astype(int)
        x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 1
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x1 <= x0 or y1 <= y0:
            return False
        # clip far-away vertices so int32 drawing coordinates cannot overflow
        limit = 8 * max(self.width, self.height)
        local = np.clip(points - (x0, y0), -limit, limit)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round(local).astype(np.int32)], 1, lineType=cv2.LINE_8)
        inside = mask.astype(bool)
        if not inside.any():
            return False
        self.rgb[y0:y1, x0:x1][inside] = texture.render(y1 - y0, x1 - x0, shade)[inside]
        self.labels[y0:y1, x0:x1][inside] = label
        return True

    def fill_mask(self, mask, label, texture, shade=1.0):
        """Paint the boolean (height, width) `mask`."""
        if not mask.any():
            return False
        self.rgb[mask] = texture.render(self.height, self.width, shade)[mask]
        self.labels[mask] = label
        return True


def warp_onto(canvas, quad, label, texture, size, shade=1.0):
    """Paint the projected quad `quad` (4 image points, texture corners TL, TR, BR, BL) with `texture`
    rendered at `size` (h, w) texels and warped in perspective, so patterns recede like the surface."""
    quad = np.asarray(quad, np.float64)
    points = np.clip(quad, -8 * max(canvas.width, canvas.height), 8 * max(canvas.width, canvas.height))
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)).astype(int) + 1, (canvas.width, canvas.height))
    if x1 <= x0 or y1 <= y0:
        return False
    height, width = max(int(size[0]), 2), max(int(size[1]), 2)
    source = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(source, (quad - (x0, y0)).astype(np.float32))
    pixels = cv2.warpPerspective(texture.render(height, width, shade), matrix, (int(x1 - x0), int(y1 - y0)),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(points - (x0, y0)).astype(np.int32)], 1, lineType=cv2.LINE_8)
    inside = mask.astype(bool)
    canvas.rgb[y0:y1, x0:x1][inside] = pixels[inside]
    canvas.labels[y0:y1, x0:x1][inside] = label
    return bool(inside.any())
