"""The scene generator: deterministic by (seed, index), labels that match what was drawn."""

import numpy as np
import pytest

from bisenet_deploy.core.metrics import IGNORE_INDEX
from bisenet_deploy.scenes.camera import Box, Camera
from bisenet_deploy.scenes.canvas import Canvas
from bisenet_deploy.scenes.classes import DRAWN_IDS, ID, SUN_NAMES
from bisenet_deploy.scenes.furniture import Object, Part
from bisenet_deploy.scenes.scene import paint_object, render_scene
from bisenet_deploy.scenes.textures import Texture


def test_same_seed_and_index_give_the_same_scene():
    first, second = render_scene(7, 3, 96, 128), render_scene(7, 3, 96, 128)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_other_index_or_seed_give_other_scenes():
    base = render_scene(7, 3, 96, 128)[0]
    assert not np.array_equal(base, render_scene(7, 4, 96, 128)[0])
    assert not np.array_equal(base, render_scene(8, 3, 96, 128)[0])


@pytest.mark.parametrize("size", [(32, 32), (96, 128), (257, 131)])
def test_any_size_is_fully_labelled_with_drawn_classes(size):
    picture, labels = render_scene(0, 1, *size)
    assert picture.shape == size + (3,) and picture.dtype == np.uint8
    assert labels.shape == size and labels.dtype == np.uint8
    assert IGNORE_INDEX not in labels  # walls, floor and ceiling close the room
    assert set(np.unique(labels)) <= set(DRAWN_IDS)


def test_class_ids_are_the_sun_rgbd_ones():
    assert SUN_NAMES[:3] == ["wall", "floor", "cabinet"] and len(SUN_NAMES) == 37
    assert (ID["wall"], ID["floor"], ID["ceiling"], ID["lamp"], ID["floor_mat"]) == (0, 1, 21, 34, 19)


def test_a_set_of_scenes_draws_every_class_and_varies_colours():
    seen, wall_colours = set(), []
    for index in range(40):
        picture, labels = render_scene(3, index, 96, 128)
        seen |= set(np.unique(labels).tolist())
        wall_colours.append(picture[labels == ID["wall"]].mean(axis=0))
    assert seen == set(DRAWN_IDS)
    # the wall is not one colour: a colour lookup cannot tell classes apart
    assert np.ptp(np.array(wall_colours), axis=0).max() > 100


def _flat(colour):
    texture = Texture(np.random.RandomState(0), colour=colour, kinds=("flat",))
    return texture


def test_a_known_box_is_labelled_exactly_where_it_is_painted():
    canvas = Canvas(120, 160)
    camera = Camera(120, 160, focal=100.0, centre=(80.0, 40.0), eye=1.5)
    # a box 1 m wide, 1 m tall, 2 m in front of the camera, centred: front face spans
    # x 80 +- 100*0.5/2 = 55..105, y 40 + 100*(1.5-1)/2 = 65 .. 40 + 100*1.5/2 = 115
    box = Box(-0.5, 0.5, 0.0, 1.0, 2.0, 3.0)
    paint_object(canvas, camera, Object("table", [Part(box, ID["table"], _flat((200, 10, 10)), 0)], None))
    table = canvas.labels == ID["table"]
    assert table[67:113, 57:103].all()  # inside the front face
    assert not table[:55].any() and not table[118:].any()  # the top face ends at the back edge (y = 40 + 25)
    assert not table[:, :54].any() and not table[:, 107:].any()
    front = canvas.rgb[90, 80]
    assert np.allclose(front, np.array([200, 10, 10]) * 0.95, atol=0.5)  # front face shading
    top = canvas.rgb[62, 80]
    assert canvas.labels[62, 80] == ID["table"] and np.allclose(top, np.clip(np.array([200, 10, 10]) * 1.15, 0, 255),
                                                                   atol=0.5)
    assert (canvas.labels[~table] == IGNORE_INDEX).all()  # nothing else was painted


def test_nearer_parts_occlude_farther_ones_and_layers_lie_on_top():
    canvas = Canvas(120, 160)
    camera = Camera(120, 160, focal=100.0, centre=(80.0, 40.0), eye=1.5)
    far = Part(Box(-1.0, 1.0, 0.0, 2.0, 4.0, 4.5), ID["bookshelf"], _flat((0, 200, 0)), 0)
    near = Part(Box(-0.25, 0.25, 0.0, 0.5, 2.0, 2.5), ID["chair"], _flat((0, 0, 200)), 0)
    bed = Part(Box(-0.6, 0.6, 0.0, 0.5, 5.0, 7.0), ID["bed"], _flat((90, 90, 0)), 0)
    pillow = Part(Box(-0.3, 0.3, 0.5, 0.7, 6.0, 6.5), ID["pillow"], _flat((250, 250, 250)), 1)
    paint_object(canvas, camera, Object("shelf", [near, far], None))
    # chair front face: x 80 +- 6.25, y 40 + 100*1.0/2 = 90 .. 40 + 100*1.5/2 = 115, in front of the shelf
    assert (canvas.labels[95:112, 76:85] == ID["chair"]).all()
    assert canvas.labels[50, 80] == ID["bookshelf"]
    # the pillow (layer 1) is painted over the bed although the bed's front is nearer
    canvas = Canvas(120, 160)
    paint_object(canvas, camera, Object("bed", [pillow, bed], None))
    assert ID["pillow"] in canvas.labels and np.allclose(
        canvas.rgb[canvas.labels == ID["pillow"]].min(axis=0), [250 * 0.95] * 3, atol=1)
