"""The SUN RGB-D classes the scene generator draws, by name, resolved to the model's class ids.

Ids come from bisenet_deploy/data/sun37.csv (model id = row - 1, the background row dropped), so a
scene's label map means the same thing as the seed's SUN RGB-D labels.
"""

from ..core.classes import load_classes

SUN_NAMES = load_classes(37)[0]

DRAWN = ("wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf",
         "picture", "curtain", "pillow", "floor_mat", "ceiling", "lamp")

ID = dict((name, SUN_NAMES.index(name)) for name in DRAWN)
DRAWN_IDS = tuple(sorted(ID.values()))
