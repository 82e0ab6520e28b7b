"""--images DIR|GLOB: image files in natural name order; files that do not decode are skipped."""

import logging
import os

from ...core.errors import InputError
from ...core.wording import count
from ...core.images import dataset_images, decode_image, glob_files, images_in_folder, is_glob, is_image_name, stem
from .base import Frame, FrameSource, SourceType

log = logging.getLogger(__name__)


class ImageFilesSource(FrameSource):
    """Image files in the given order; `keys` are the paths, and `subset(keys)` reads only those."""

    def __init__(self, paths, location):
        super(ImageFilesSource, self).__init__(live=False, fps=None, frame_count=len(paths))
        self.keys = list(paths)
        self.location = location
        self._next = 0
        self.skipped = 0
        self.warn_skips = True

    sequential = False  # any order can be read

    def name(self, key):
        return stem(key)

    def subset(self, keys):
        """A new source over exactly these paths, in this order (nothing is read yet)."""
        return ImageFilesSource(keys, self.location)

    def item_text(self, key):
        return key

    def _read_next(self):
        while self._next < len(self.keys):
            path = self.keys[self._next]
            self._next += 1
            image = decode_image(path)
            if image is not None:
                return Frame(image, stem(path), None, {"path": path})
            self.skipped += 1
            if self.warn_skips:
                log.warning("skipping %s: not a readable image", path)
        return None

    def read_keys(self):
        """(key, BGR image or None when unreadable) for every key, in order; nothing skipped silently."""
        for path in self.keys:
            yield path, decode_image(path)

    def describe(self):
        if self.frame_size_wh is None:
            return "{} in {}".format(count(len(self.keys), "image file"), self.location)
        width, height = self.frame_size_wh
        return "opened images {} ({}, first {}x{})".format(self.location, count(self.frame_count, "file"), width,
                                                            height)

    def report_shortfall(self):
        """Unreadable files were warned about one by one as they were skipped."""

    def _release(self):
        self._next = len(self.keys)


def image_paths(location):
    # type: (str) -> list
    """The images a folder (or a data set's images/ folder), glob or single image file names, in natural
    name order."""
    if os.path.isdir(location):
        return images_in_folder(dataset_images(location) or location)
    if os.path.isfile(location):
        return [location]
    paths = glob_files(location)
    if not paths:
        if is_glob(location):
            raise InputError("no files match --images {!r}".format(location))
        raise InputError("no such image folder or file: {}".format(location))
    return paths


def list_images(location):
    """An unread ImageFilesSource for a folder, glob or image; a glob's non-image files are left out."""
    paths = image_paths(location)
    images = [path for path in paths if is_image_name(path)] if is_glob(location) else paths
    if not images:
        raise InputError("{} matches {} files but no images".format(location, len(paths)))
    return ImageFilesSource(images, location)


def open_images(location, options):
    paths = image_paths(location)
    source = ImageFilesSource(paths, location)
    return source.probe("none of the {} files in {} could be decoded as an image".format(len(paths), location))


SOURCE = SourceType(
    "images", "--images", open_images, form="--images DIR|GLOB",
    argparse={"metavar": "DIR|GLOB", "help": "image folder or glob, in name order"},
    example="  --images DIR|GLOB   images in name order, every one       --images 'frames/*.png'")
