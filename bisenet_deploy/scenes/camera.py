"""A pinhole camera standing in a box-shaped room: world metres to pixels, and boxes to visible faces.

World axes: X to the right, Y up from the floor, Z away from the camera (which sits at X=0,
Y=`eye`, Z=0, looking along +Z). Every object is an axis-aligned box, which keeps occlusion simple:
a box's visible faces tile its silhouette, and boxes are painted far to near.
"""

import collections

import numpy as np

Box = collections.namedtuple("Box", "x0 x1 y0 y1 z0 z1")
NEAR = 0.3  # metres; vertices closer than this are pulled back so projections stay finite


class Camera(object):
    def __init__(self, height, width, focal, centre, eye):
        self.height, self.width = height, width
        self.focal, self.eye = focal, eye
        self.cx, self.cy = centre

    def project(self, x, y, z):
        z = max(z, NEAR)
        return (self.cx + self.focal * x / z, self.cy + self.focal * (self.eye - y) / z)

    def quad(self, corners):
        return [self.project(*c) for c in corners]

    def box_faces(self, box):
        """[(face name, polygon)] of the faces the camera sees, the front face last."""
        b = box
        faces = []
        if b.y1 < self.eye:
            faces.append(("top", self.quad([(b.x0, b.y1, b.z0), (b.x1, b.y1, b.z0),
                                            (b.x1, b.y1, b.z1), (b.x0, b.y1, b.z1)])))
        if b.y0 > self.eye:
            faces.append(("bottom", self.quad([(b.x0, b.y0, b.z0), (b.x1, b.y0, b.z0),
                                               (b.x1, b.y0, b.z1), (b.x0, b.y0, b.z1)])))
        if b.x0 > 0:
            faces.append(("left", self.quad([(b.x0, b.y0, b.z0), (b.x0, b.y1, b.z0),
                                             (b.x0, b.y1, b.z1), (b.x0, b.y0, b.z1)])))
        if b.x1 < 0:
            faces.append(("right", self.quad([(b.x1, b.y0, b.z0), (b.x1, b.y1, b.z0),
                                              (b.x1, b.y1, b.z1), (b.x1, b.y0, b.z1)])))
        faces.append(("front", self.quad([(b.x0, b.y0, b.z0), (b.x1, b.y0, b.z0),
                                          (b.x1, b.y1, b.z0), (b.x0, b.y1, b.z0)])))
        return faces


# How bright each face of a box looks under a light from above and slightly left.
FACE_SHADE = {"top": 1.15, "bottom": 0.6, "left": 0.8, "right": 0.7, "front": 0.95}


def box_depth(box):
    """Sort key: distance of the box's nearest point from the camera (painted far first)."""
    dx = 0.0 if box.x0 <= 0 <= box.x1 else min(abs(box.x0), abs(box.x1))
    return float(np.hypot(dx, box.z0))
