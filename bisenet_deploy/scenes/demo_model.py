"""The shipped demo model: BiSeNet ResNet-18, in_planes=16, trained on generated scenes by
scripts/train_demo_model.py, stored in the seed's checkpoint format with float16 tensors.

Its recorded held-out mIoU/pixel accuracy (in the checkpoint, key `demo_model`) are measured on
`bisenet-scenes OUT --count HELD_OUT_COUNT --size 192x256 --seed HELD_OUT_SEED` at DEMO_INPUT_SIZE.
"""

import os

DEMO_CHECKPOINT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                               "scenes_res18_inp16.pth")
DEMO_INPUT_SIZE = (192, 256)  # the size it was trained and evaluated at (H, W)
HELD_OUT_SEED = 1000  # training scenes use other seeds, so no held-out scene was ever trained on
HELD_OUT_COUNT = 100
