"""FrameResult: what every sink gets; the colour mask and the overlay are made on first use, once."""

import numpy as np

from bisenet_deploy.runtime.overlay import OverlayRenderer, blend, colorize
from bisenet_deploy.runtime.result import FrameResult

CARD = {"classes": ["floor", "wall", "bed"], "colors": [[255, 0, 0], [0, 255, 0], [0, 0, 255]]}


class CountingRenderer(OverlayRenderer):
    renders = 0

    def render(self, *args, **kwargs):
        CountingRenderer.renders += 1
        return super(CountingRenderer, self).render(*args, **kwargs)


def result(**kwargs):
    rng = np.random.RandomState(0)
    frame = rng.randint(0, 256, (20, 30, 3)).astype(np.uint8)
    labels = rng.randint(0, 3, (20, 30)).astype(np.uint8)
    return FrameResult(5, frame, labels, renderer=CountingRenderer(CARD, alpha=0.4, legend=False), **kwargs)


def test_nothing_is_drawn_until_asked_and_then_once():
    CountingRenderer.renders = 0
    r = result(timings={"network": 2.0})
    assert CountingRenderer.renders == 0 and "overlay" not in r.timings
    first = r.overlay
    assert r.overlay is first and CountingRenderer.renders == 1
    assert set(r.timings) == {"network", "overlay"}


def test_mask_and_overlay_are_what_bisenet_run_draws():
    r = result()
    np.testing.assert_array_equal(r.color_mask, colorize(r.labels, CARD["colors"]))
    np.testing.assert_array_equal(r.overlay, blend(r.frame, r.color_mask, 0.4))


def test_gpu_blended_frame_is_used_instead_of_blending_again():
    blended = np.full((20, 30, 3), 7, np.uint8)
    r = result(blended=blended)
    np.testing.assert_array_equal(r.overlay, blended)
    assert r.overlay is not blended  # copied: the GPU buffer is reused by the next frame


def test_metadata_defaults():
    r = result()
    assert (r.index, r.name, r.stamp, r.meta) == (5, "000005", None, {})
    r = result(name="scene001", stamp=1.5, meta={"path": "a/scene001.png"})
    assert (r.name, r.stamp, r.meta["path"]) == ("scene001", 1.5, "a/scene001.png")
