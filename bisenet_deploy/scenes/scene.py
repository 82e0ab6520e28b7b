"""One indoor scene, deterministic by (seed, index): room shell, wall items, a rug, furniture, then
light, sensor noise and blur. Returns a BGR picture and its label map (model class ids)."""

import cv2
import numpy as np

from .camera import FACE_SHADE, Camera, box_depth
from .canvas import Canvas
from .furniture import BUILDERS, Object
from .room import ROOM_NEAR, paint_floor_mat, paint_shell, paint_wall_items, random_room


def random_camera(rng, height, width):
    focal = width * rng.uniform(0.6, 1.0)
    centre = (width * rng.uniform(0.4, 0.6), height * rng.uniform(0.3, 0.55))
    return Camera(height, width, focal, centre, rng.uniform(1.0, 1.6))


def _shift(obj, dx, dz):
    parts = [p._replace(box=p.box._replace(x0=p.box.x0 + dx, x1=p.box.x1 + dx, z0=p.box.z0 + dz,
                                           z1=p.box.z1 + dz)) for p in obj.parts]
    x0, x1, z0, z1 = obj.footprint
    return Object(obj.name, parts, (x0 + dx, x1 + dx, z0 + dz, z1 + dz))


def _free(footprint, placed):
    x0, x1, z0, z1 = footprint
    return all(x1 + 0.1 < a or x0 > b + 0.1 or z1 + 0.1 < c or z0 > d + 0.1 for a, b, c, d in placed)


def place_furniture(rng, room):
    """Objects standing on the floor inside the room, without overlapping footprints."""
    placed, objects = [], []
    for builder, mean, against_wall in BUILDERS:
        for _ in range(rng.poisson(mean)):
            obj = builder(rng, 0.0, 0.0)
            x0, x1, z0, z1 = obj.footprint
            for _ in range(6):
                dx = rng.uniform(room.left + 0.05, room.right - (x1 - x0) - 0.05)
                far = room.depth - (z1 - z0) - 0.02
                dz = far if against_wall else rng.uniform(ROOM_NEAR + 1.0, max(ROOM_NEAR + 1.1, far))
                moved = _shift(obj, dx - x0, dz - z0)
                if room.right - room.left > (x1 - x0) + 0.1 and _free(moved.footprint, placed):
                    placed.append(moved.footprint)
                    objects.append(moved)
                    break
    return objects


def paint_object(canvas, camera, obj):
    for part in sorted(obj.parts, key=lambda p: (p.layer, -box_depth(p.box))):
        for face, polygon in camera.box_faces(part.box):
            canvas.fill_polygon(polygon, part.label, part.texture, FACE_SHADE[face])


def _light(rng, height, width):
    """A smooth brightness field: a linear falloff plus one soft light spot, roughly 0.5..1.4."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    xx, yy = xx / width, yy / height
    angle = rng.uniform(0, 2 * np.pi)
    field = 1.0 + rng.uniform(0.0, 0.35) * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
    sx, sy, radius = rng.uniform(0, 1), rng.uniform(0, 0.6), rng.uniform(0.2, 0.6)
    field += rng.uniform(0.0, 0.4) * np.exp(-((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * radius ** 2))
    return field * rng.uniform(0.7, 1.05)


def finish(canvas, rng):
    """Light, colour cast, blur and sensor noise on the painted picture; BGR uint8."""
    height, width = canvas.height, canvas.width
    tint = 1.0 + rng.uniform(-0.08, 0.08, 3)
    rgb = canvas.rgb * _light(rng, height, width)[..., None] * tint.astype(np.float32)
    sigma = rng.uniform(0.0, 1.2) * max(height, width) / 320.0
    if sigma > 0.3:
        rgb = cv2.GaussianBlur(rgb, (0, 0), sigma)
    noise = np.random.RandomState(rng.randint(1 << 30)).normal(0, rng.uniform(1.0, 7.0), rgb.shape)
    rgb = np.clip(rgb + noise.astype(np.float32), 0, 255)
    return cv2.cvtColor(np.round(rgb).astype(np.uint8), cv2.COLOR_RGB2BGR)


def render_scene(seed, index, height, width):
    # type: (int, int, int, int) -> tuple
    """(bgr uint8 (h, w, 3), labels uint8 (h, w)) of scene `index` of the set made with `seed`."""
    rng = np.random.RandomState([int(seed) & 0xFFFFFFFF, int(index) & 0xFFFFFFFF])
    camera = random_camera(rng, height, width)
    room = random_room(rng)
    canvas = Canvas(height, width)
    paint_shell(canvas, camera, room, rng)
    paint_wall_items(canvas, camera, room, rng)
    if rng.uniform() < 0.4:
        paint_floor_mat(canvas, camera, room, rng)
    objects = place_furniture(rng, room)
    for obj in sorted(objects, key=lambda o: -min(box_depth(p.box) for p in o.parts)):
        paint_object(canvas, camera, obj)
    return finish(canvas, rng), canvas.labels.copy()
