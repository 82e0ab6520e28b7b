"""One finding per line: what was looked at, what was found, and the command that fixes it when missing."""

import collections
import json

Check = collections.namedtuple("Check", "key section label ok detail fix")
# key: the name --require takes; ok: True found, False missing, None unknown or not applicable here;
# fix: the command (or step) that gets it, for a missing or unknown piece

MARKS = {True: "ok", False: "--", None: "??"}


def check(key, section, label, ok, detail, fix=None):
    return Check(key, section, label, ok, detail, None if ok else fix)


def format_text(checks):
    # type: (list) -> str
    lines, section = [], None
    for item in checks:
        if item.section != section:
            section = item.section
            lines.append(section)
        lines.append("  {:<3} {:<22} {}".format(MARKS[item.ok], item.label, item.detail))
        if item.fix:
            lines.append("      {:<22} fix: {}".format("", item.fix))
    missing = [item.label for item in checks if item.ok is False]
    lines.append("{} missing{}".format(len(missing), ": " + ", ".join(missing) if missing else ""))
    return "\n".join(lines)


def format_json(checks):
    # type: (list) -> str
    return json.dumps([dict(item._asdict()) for item in checks], indent=2)


def unmet(checks, required):
    # type: (list, list) -> list
    """The --require keys that are not found (missing or unknown)."""
    found = dict((item.key, item.ok) for item in checks)
    return [key for key in required if found.get(key) is not True]
