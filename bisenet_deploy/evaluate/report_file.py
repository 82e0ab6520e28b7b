"""The --json report of bisenet-eval, written whole (temporary name, then rename)."""

import json

from ..core.atomic import atomic_path


def write_report(path, report, log):
    # type: (str, dict, object) -> None
    with atomic_path(path) as tmp:
        with open(tmp, "w") as handle:
            json.dump(report, handle, indent=2, allow_nan=False)  # NaN is no JSON: callers null it first
    log("wrote {}".format(path))
