"""Furniture as lists of boxes (metres, camera coordinates), each part with its class and texture.

Every builder takes the random stream, the floor point (x, z) of the object's front-left corner and
returns an Object. Parts of one object are painted far to near, then by `layer` (things lying on
top of the object, such as pillows on a bed, come last).
"""

import collections

from .camera import Box
from .classes import ID
from .textures import Texture, random_colour

Part = collections.namedtuple("Part", "box label texture layer")
Object = collections.namedtuple("Object", "name parts footprint")  # footprint: (x0, x1, z0, z1)

DARK = (30, 28, 26)


def _part(x0, x1, y0, y1, z0, z1, label, texture, layer=0):
    return Part(Box(x0, x1, y0, y1, z0, z1), label, texture, layer)


def _legs(x0, x1, z0, z1, height, size, label, texture):
    return [_part(x, x + size, 0.0, height, z, z + size, label, texture)
            for x in (x0, x1 - size) for z in (z0, z1 - size)]


def table(rng, x, z):
    width, depth, height = rng.uniform(0.8, 1.6), rng.uniform(0.6, 1.0), rng.uniform(0.7, 0.8)
    wood = Texture(rng)
    parts = [_part(x, x + width, height - 0.05, height, z, z + depth, ID["table"], wood)]
    parts += _legs(x + 0.03, x + width - 0.03, z + 0.03, z + depth - 0.03, height - 0.05, 0.07, ID["table"], wood)
    if rng.uniform() < 0.5:
        lamp_x, lamp_z = x + rng.uniform(0.1, width - 0.35), z + rng.uniform(0.1, depth - 0.35)
        parts += [p._replace(layer=1) for p in _lamp_parts(rng, lamp_x, lamp_z, height, rng.uniform(0.35, 0.5))]
    return Object("table", parts, (x, x + width, z, z + depth))


def chair(rng, x, z):
    width, height, seat = rng.uniform(0.42, 0.55), rng.uniform(0.85, 1.0), rng.uniform(0.42, 0.48)
    texture, label = Texture(rng), ID["chair"]
    back_near = rng.uniform() < 0.3  # seen from behind: the back hides part of the seat
    back_z = z if back_near else z + width - 0.06
    parts = _legs(x, x + width, z, z + width, seat - 0.05, 0.05, label, texture)
    parts.append(_part(x, x + width, seat - 0.05, seat, z, z + width, label, texture))
    parts.append(_part(x, x + width, seat + 0.2, height, back_z, back_z + 0.06, label, texture))
    parts += [_part(px, px + 0.05, seat, seat + 0.2, back_z, back_z + 0.06, label, texture)
              for px in (x, x + width - 0.05)]
    return Object("chair", parts, (x, x + width, z, z + width))


def sofa(rng, x, z):
    width, depth = rng.uniform(1.5, 2.3), rng.uniform(0.8, 1.0)
    fabric, label = Texture(rng), ID["sofa"]
    arm = 0.2
    parts = [
        _part(x, x + width, 0.05, 0.42, z, z + depth, label, fabric),
        _part(x, x + width, 0.05, rng.uniform(0.8, 0.95), z + depth - 0.25, z + depth, label, fabric),
        _part(x, x + arm, 0.05, 0.62, z, z + depth, label, fabric),
        _part(x + width - arm, x + width, 0.05, 0.62, z, z + depth, label, fabric),
    ]
    cushions = rng.randint(2, 4)
    step = (width - 2 * arm) / cushions
    parts += [_part(x + arm + i * step + 0.01, x + arm + (i + 1) * step - 0.01, 0.42, 0.52, z + 0.02,
                    z + depth - 0.26, label, fabric, layer=1) for i in range(cushions)]
    if rng.uniform() < 0.6:
        pillow = Texture(rng)
        parts.append(_part(x + arm + 0.05, x + arm + 0.45, 0.5, 0.85, z + depth - 0.4, z + depth - 0.26,
                           ID["pillow"], pillow, layer=2))
    return Object("sofa", parts, (x, x + width, z, z + depth))


def bed(rng, x, z, length=None):
    width, length = rng.uniform(1.0, 1.8), length or rng.uniform(1.9, 2.1)
    frame, sheet, label = Texture(rng), Texture(rng), ID["bed"]
    parts = [
        _part(x, x + width, 0.0, 0.3, z, z + length, label, frame),
        _part(x + 0.03, x + width - 0.03, 0.3, 0.5, z + 0.03, z + length - 0.03, label, sheet, layer=1),
        _part(x, x + width, 0.0, rng.uniform(0.9, 1.2), z + length - 0.08, z + length, label, frame),
    ]
    pillow = Texture(rng)
    count = 1 if width < 1.3 else 2
    step = (width - 0.1) / count
    parts += [_part(x + 0.05 + i * step + 0.03, x + 0.05 + (i + 1) * step - 0.03, 0.5, 0.65,
                    z + length - 0.5, z + length - 0.1, ID["pillow"], pillow, layer=2) for i in range(count)]
    return Object("bed", parts, (x, x + width, z, z + length))


def cabinet(rng, x, z):
    width, depth, height = rng.uniform(0.6, 1.2), rng.uniform(0.4, 0.6), rng.uniform(0.6, 1.1)
    body, label = Texture(rng), ID["cabinet"]
    handle = Texture(rng, colour=random_colour(rng, value=(0.1, 0.4)), kinds=("flat",))
    parts = [_part(x, x + width, 0.0, height, z, z + depth, label, body)]
    doors = 2 if width > 0.8 else 1
    for i in range(doors):
        hx = x + width * (i + 0.5) / doors + (0.08 if i == 0 and doors == 2 else -0.04)
        parts.append(_part(hx - 0.02, hx + 0.02, height * 0.55, height * 0.8, z - 0.03, z, label, handle))
    parts.append(_part(x + 0.02, x + width - 0.02, height - 0.12, height - 0.1, z - 0.01, z, label, handle))
    return Object("cabinet", parts, (x, x + width, z, z + depth))


def bookshelf(rng, x, z):
    width, depth, height = rng.uniform(0.7, 1.3), rng.uniform(0.3, 0.4), rng.uniform(1.5, 2.1)
    wood, label = Texture(rng), ID["bookshelf"]
    back = Texture(rng, colour=(DARK), kinds=("flat", "noise"))
    board = 0.03
    parts = [_part(x, x + width, 0.0, height, z + depth - 0.02, z + depth, label, back)]
    parts += [_part(px, px + board, 0.0, height, z, z + depth, label, wood) for px in (x, x + width - board)]
    shelves = rng.randint(3, 6)
    level = (height - board) / shelves
    for i in range(shelves + 1):
        parts.append(_part(x, x + width, i * level, i * level + board, z, z + depth, label, wood))
        if i == shelves:
            break
        bx = x + board
        while bx < x + width - board - 0.03:
            thick = min(rng.uniform(0.02, 0.07), x + width - board - bx)
            top = i * level + board + rng.uniform(0.6, 0.95) * (level - board)
            parts.append(_part(bx, bx + thick, i * level + board, top, z + rng.uniform(0.02, 0.08), z + depth - 0.03,
                               label, Texture(rng, kinds=("flat",))))
            bx += thick + (rng.uniform(0.05, 0.3) if rng.uniform() < 0.1 else 0.0)
    return Object("bookshelf", parts, (x, x + width, z, z + depth))


def _lamp_parts(rng, x, z, floor, height):
    metal = Texture(rng, colour=random_colour(rng, value=(0.2, 0.7)), kinds=("flat",))
    shade = Texture(rng, colour=random_colour(rng, saturation=(0.0, 0.5), value=(0.75, 1.0)), kinds=("flat", "noise"))
    label, radius = ID["lamp"], rng.uniform(0.12, 0.22)
    cx, cz = x + radius, z + radius
    shade_height = rng.uniform(0.2, 0.35)
    return [
        _part(cx - 0.1, cx + 0.1, floor, floor + 0.03, cz - 0.1, cz + 0.1, label, metal),
        _part(cx - 0.02, cx + 0.02, floor, floor + height - shade_height, cz - 0.02, cz + 0.02, label, metal),
        _part(cx - radius, cx + radius, floor + height - shade_height, floor + height, cz - radius, cz + radius,
              label, shade),
    ]


def floor_lamp(rng, x, z):
    parts = _lamp_parts(rng, x, z, 0.0, rng.uniform(1.3, 1.8))
    return Object("lamp", parts, (x, x + 0.45, z, z + 0.45))


# builder, how many an average room has, and whether it stands against the back wall
BUILDERS = (
    (table, 0.7, False), (chair, 1.2, False), (sofa, 0.5, False), (bed, 0.4, True),
    (cabinet, 0.6, True), (bookshelf, 0.6, True), (floor_lamp, 0.5, False),
)
