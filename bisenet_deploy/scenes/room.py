"""The room shell (walls, floor, ceiling) and what hangs on its walls (doors, windows, curtains,
pictures), all drawn as perspective-warped textured quads."""

import collections

import numpy as np

from .canvas import warp_onto
from .classes import ID
from .textures import Texture, random_colour

Room = collections.namedtuple("Room", "left right depth ceiling")
ROOM_NEAR = 0.6  # metres: nearer than this, every room surface projects outside the picture
TEXELS_PER_METRE = 48


def random_room(rng):
    return Room(-rng.uniform(1.5, 3.5), rng.uniform(1.5, 3.5), rng.uniform(4.5, 8.0), rng.uniform(2.5, 3.2))


def _wall_quad(room, wall, u0, u1, y0, y1):
    """3D corners (TL, TR, BR, BL as seen from inside) of a rectangle on `wall`; u runs along the wall."""
    if wall == "back":
        return [(u0, y1, room.depth), (u1, y1, room.depth), (u1, y0, room.depth), (u0, y0, room.depth)]
    x = room.left if wall == "left" else room.right
    if wall == "left":
        return [(x, y1, u0), (x, y1, u1), (x, y0, u1), (x, y0, u0)]
    return [(x, y1, u1), (x, y1, u0), (x, y0, u0), (x, y0, u1)]


def _paint(canvas, camera, corners, label, texture, shade=1.0):
    corners = np.asarray(corners, np.float64)
    width = np.linalg.norm(corners[1] - corners[0])
    height = np.linalg.norm(corners[3] - corners[0])
    size = (height * TEXELS_PER_METRE, width * TEXELS_PER_METRE)
    return warp_onto(canvas, camera.quad(corners), label, texture, size, shade)


def paint_shell(canvas, camera, room, rng):
    wall = Texture(rng, colour=random_colour(rng, value=(0.35, 0.95)), kinds=("flat", "noise", "stripes"))
    floor = Texture(rng)
    ceiling = Texture(rng, colour=random_colour(rng, saturation=(0.0, 0.3), value=(0.6, 1.0)),
                      kinds=("flat", "noise"))
    r, near = room, ROOM_NEAR
    _paint(canvas, camera, _wall_quad(r, "back", r.left, r.right, 0.0, r.ceiling), ID["wall"], wall)
    _paint(canvas, camera, _wall_quad(r, "left", near, r.depth, 0.0, r.ceiling), ID["wall"], wall, 0.85)
    _paint(canvas, camera, _wall_quad(r, "right", near, r.depth, 0.0, r.ceiling), ID["wall"], wall, 0.75)
    _paint(canvas, camera, [(r.left, 0, r.depth), (r.right, 0, r.depth), (r.right, 0, near), (r.left, 0, near)],
           ID["floor"], floor)
    _paint(canvas, camera, [(r.left, r.ceiling, near), (r.right, r.ceiling, near), (r.right, r.ceiling, r.depth),
                            (r.left, r.ceiling, r.depth)], ID["ceiling"], ceiling, 1.05)


def _extent(room, wall):
    return (room.left + 0.2, room.right - 0.2) if wall == "back" else (1.5, room.depth - 0.3)


def _place(rng, room, taken, wall, width):
    """A free interval (u0, u1) of `width` metres on `wall`, or None after a few tries."""
    low, high = _extent(room, wall)
    for _ in range(8):
        if high - low <= width:
            return None
        u0 = rng.uniform(low, high - width)
        if all(u0 + width < a or u0 > b for a, b in taken[wall]):
            taken[wall].append((u0 - 0.1, u0 + width + 0.1))
            return u0, u0 + width
    return None


def _door(canvas, camera, room, rng, wall, span):
    u0, u1 = span
    height = rng.uniform(1.95, 2.15)
    slab = Texture(rng)
    _paint(canvas, camera, _wall_quad(room, wall, u0, u1, 0.0, height), ID["door"], slab)
    inset = (u1 - u0) * 0.15
    for y0, y1 in ((0.2, 0.95), (1.1, height - 0.15)):  # raised panels
        _paint(canvas, camera, _wall_quad(room, wall, u0 + inset, u1 - inset, y0, y1), ID["door"], slab, 0.85)
    knob_u = u1 - 0.1 if rng.uniform() < 0.5 else u0 + 0.06
    knob = Texture(rng, colour=random_colour(rng, value=(0.5, 0.9)), kinds=("flat",))
    _paint(canvas, camera, _wall_quad(room, wall, knob_u, knob_u + 0.05, 0.95, 1.05), ID["door"], knob)


def _window(canvas, camera, room, rng, wall, span):
    u0, u1 = span
    y0, y1 = rng.uniform(0.7, 1.1), min(rng.uniform(1.9, 2.4), room.ceiling - 0.15)
    frame = Texture(rng, colour=random_colour(rng, saturation=(0.0, 0.4)), kinds=("flat",))
    sky = Texture(rng, colour=random_colour(rng, saturation=(0.0, 0.5), value=(0.75, 1.0)), kinds=("noise", "flat"))
    _paint(canvas, camera, _wall_quad(room, wall, u0, u1, y0, y1), ID["window"], frame)
    bar = 0.05
    panes = 2 if u1 - u0 > 1.0 else 1
    step = (u1 - u0 - bar) / panes
    for i in range(panes):
        a = u0 + bar + i * step
        _paint(canvas, camera, _wall_quad(room, wall, a, a + step - bar, y0 + bar, y1 - bar), ID["window"], sky, 1.1)
    if rng.uniform() < 0.5:
        curtain = Texture(rng, kinds=("stripes", "noise", "flat"))
        curtain.angle = 0.0  # folds hang vertically
        for a, b in ((u0 - 0.25, u0 + rng.uniform(0.05, 0.3)), (u1 - rng.uniform(0.05, 0.3), u1 + 0.25)):
            _paint(canvas, camera, _wall_quad(room, wall, a, b, rng.uniform(0.0, y0 - 0.1), y1 + 0.1),
                   ID["curtain"], curtain)


def _picture(canvas, camera, room, rng, wall, span):
    u0, u1 = span
    height = (u1 - u0) * rng.uniform(0.6, 1.3)
    y0 = rng.uniform(1.1, max(1.15, room.ceiling - height - 0.3))
    frame = Texture(rng, colour=random_colour(rng, value=(0.1, 0.9)), kinds=("flat", "grain"))
    art = Texture(rng)
    art.amplitude, art.period = rng.uniform(0.4, 0.5), rng.uniform(3, 10)
    _paint(canvas, camera, _wall_quad(room, wall, u0, u1, y0, y0 + height), ID["picture"], frame)
    border = (u1 - u0) * 0.08
    _paint(canvas, camera, _wall_quad(room, wall, u0 + border, u1 - border, y0 + border, y0 + height - border),
           ID["picture"], art)


def paint_wall_items(canvas, camera, room, rng):
    """Doors, windows (with curtains) and pictures on free stretches of the three walls."""
    taken = {"back": [], "left": [], "right": []}
    walls = ("back", "left", "right")
    plan = [(_door, rng.uniform(0.8, 1.0)) for _ in range(int(rng.uniform() < 0.6))]
    plan += [(_window, rng.uniform(0.8, 2.0)) for _ in range(rng.randint(0, 3))]
    plan += [(_picture, rng.uniform(0.3, 0.9)) for _ in range(rng.randint(0, 4))]
    for draw, width in plan:
        wall = walls[rng.randint(3)]
        span = _place(rng, room, taken, wall, width)
        if span is not None:
            draw(canvas, camera, room, rng, wall, span)
    return taken


def paint_floor_mat(canvas, camera, room, rng):
    width, depth = rng.uniform(1.2, 2.5), rng.uniform(1.0, 2.0)
    x0 = rng.uniform(room.left + 0.1, max(room.left + 0.2, room.right - width - 0.1))
    z0 = rng.uniform(1.0, max(1.1, room.depth - depth - 0.5))
    rug = Texture(rng, kinds=("stripes", "checker", "noise"))
    _paint(canvas, camera, [(x0, 0, z0 + depth), (x0 + width, 0, z0 + depth), (x0 + width, 0, z0), (x0, 0, z0)],
           ID["floor_mat"], rug)
