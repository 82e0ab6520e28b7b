"""The model zoo: one module per family of BiSeNet checkpoints. Adding a family = one module with a
`FAMILY` (a base.Family) and one line here. Modules are imported only when a checkpoint is read, so
`--help` needs no torch."""

import collections
import importlib

from ...core.errors import InputError

# --family value -> module; detection tries them in this order
MODULES = collections.OrderedDict((
    ("wali", "wali"),
    ("coincheung-v1", "coincheung_v1"),
    ("coincheung-v2", "coincheung_v2"),
    ("mmseg-v1", "mmseg_v1"),
    ("mmseg-v2", "mmseg_v2"),
))
NAMES = tuple(MODULES)
_MAX_LISTED = 5


def family_named(name):
    if name not in MODULES:
        raise InputError("unknown --family {!r}; choose one of {}".format(name, ", ".join(NAMES)))
    return importlib.import_module("." + MODULES[name], __name__).FAMILY


def detect(state_dict, path):
    """The one family whose key names and shapes `state_dict` has. Otherwise one InputError naming the
    families tried and what the closest one misses."""
    families = [family_named(name) for name in NAMES]
    found = [family for family in families if family.matches(state_dict)]
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError("{} matches several families ({}); pass --family".format(
            path, ", ".join(f.name for f in found)))
    closest = min(families, key=lambda f: len(f.missing(state_dict)) / float(len(f.signature)))
    missing = closest.missing(state_dict)
    raise InputError("{} is not a checkpoint of any known BiSeNet family (tried {}); closest: {}, which lacks "
                     "{}{} ({} tensors in the file, first: {})".format(
                         path, ", ".join(NAMES), closest.name, ", ".join(missing[:_MAX_LISTED]),
                         ", ..." if len(missing) > _MAX_LISTED else "", len(state_dict),
                         next(iter(state_dict), "none")))
