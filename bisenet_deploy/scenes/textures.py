"""Surface looks: a random base colour with one of a few patterns, rendered for any pixel box.

A texture is drawn once per scene from the scene's random stream and stores everything it needs, so
rendering the same texture twice (or for a different box) is deterministic.
"""

import cv2
import numpy as np

KINDS = ("flat", "noise", "stripes", "checker", "grain")


def random_colour(rng, saturation=(0.05, 0.8), value=(0.25, 0.95)):
    """An RGB colour (floats 0..255) from a uniform hue and the given saturation/value ranges."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*saturation) * 255, rng.uniform(*value) * 255]]],
                   np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


class Texture(object):
    def __init__(self, rng, colour=None, kinds=KINDS):
        self.colour = random_colour(rng) if colour is None else np.asarray(colour, np.float32)
        self.second = np.clip(self.colour * rng.uniform(0.6, 1.4) + rng.uniform(-30, 30, 3), 0, 255)
        self.kind = kinds[rng.randint(len(kinds))]
        self.period = rng.uniform(4, 24)
        self.angle = rng.uniform(0, np.pi)
        self.amplitude = rng.uniform(0.1, 0.5)
        self.noise_seed = rng.randint(1 << 30)

    def render(self, height, width, shade=1.0):
        """(height, width, 3) float32 RGB pixels of this surface, scaled by `shade`."""
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        if self.kind == "flat":
            mix = np.zeros((height, width), np.float32)
        elif self.kind == "stripes":
            phase = (xx * np.cos(self.angle) + yy * np.sin(self.angle)) / self.period
            mix = (np.sin(2 * np.pi * phase) > 0).astype(np.float32)
        elif self.kind == "checker":
            mix = ((np.floor(xx / self.period) + np.floor(yy / self.period)) % 2).astype(np.float32)
        else:
            mix = self._noise(height, width)
        mix = mix * self.amplitude * 2
        pixels = self.colour * (1 - mix[..., None]) + self.second * mix[..., None]
        return np.clip(pixels * shade, 0, 255)

    def _noise(self, height, width):
        rng = np.random.RandomState(self.noise_seed)
        if self.kind == "grain":  # wood-like: long along one axis, fine across it
            cells = (max(2, int(height / self.period)), 3)
        else:
            cells = (max(2, int(height / self.period)), max(2, int(width / self.period)))
        grid = rng.uniform(0, 1, cells).astype(np.float32)
        return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)
