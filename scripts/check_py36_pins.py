#!/usr/bin/env python3
"""Check that every Python package pinned in the TX2 image has a release for Python 3.6 on aarch64.

The pins are read from docker/tx2/Dockerfile (every `pip install NAME==VERSION` in a RUN line).
For each pin this asks PyPI's simple index (the JSON form, PEP 691: the data pip itself uses) for
the files of that version and accepts the pin when one of them installs on the TX2: a wheel whose
tags fit CPython 3.6 on linux aarch64 with glibc 2.27, or an sdist (built in the image), whose
Requires-Python admits Python 3.6.9 and which is not yanked.

    scripts/check_py36_pins.py            ask PyPI, compare with the committed table
    scripts/check_py36_pins.py --write    ask PyPI and rewrite the table (docker/tx2/py36_pins.json)
    scripts/check_py36_pins.py --offline  check the pins against the table only (no network)

Exit codes: 0 every pin passes; 1 a pin fails or the table is out of date; 2 bad input;
3 PyPI cannot be reached.
"""

import argparse
import concurrent.futures
import datetime
import json
import re
import shlex
import sys
import urllib.error
import urllib.request
from pathlib import Path

from packaging import tags
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename, canonicalize_name,
                             parse_sdist_filename, parse_wheel_filename)
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "docker" / "tx2" / "Dockerfile"
TABLE = ROOT / "docker" / "tx2" / "py36_pins.json"
INDEX_URL = "https://pypi.org/simple/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

# JetPack 4.6.x: Ubuntu 18.04 (glibc 2.27) on aarch64, Python 3.6.9.
TARGET_PYTHON = "3.6.9"
TARGET_PLATFORMS = (["manylinux_2_{}_aarch64".format(minor) for minor in range(27, 16, -1)]
                    + ["manylinux2014_aarch64", "linux_aarch64"])
TARGET_TAGS = frozenset(tags.cpython_tags((3, 6), abis=["cp36m"], platforms=TARGET_PLATFORMS)) | frozenset(
    tags.compatible_tags((3, 6), "cp36", TARGET_PLATFORMS))

# pip options that take a value, so the value is not mistaken for a requirement.
PIP_OPTIONS_WITH_VALUE = {"-c", "--constraint", "-r", "--requirement", "-e", "--editable", "-i", "--index-url",
                          "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                          "--platform", "--python-version", "--implementation", "--abi", "--src",
                          "--upgrade-strategy", "--progress-bar", "--cache-dir", "--log", "--timeout",
                          "--retries", "--proxy", "--trusted-host", "--cert", "--client-cert",
                          "--global-option", "--install-option", "--no-binary", "--only-binary"}


class PinError(Exception):
    """Bad input: a missing or unreadable Dockerfile or table."""


# ---------------------------------------------------------------- Dockerfile

def parse_dockerfile(text):
    """[(KEYWORD, arguments, first line number)], continuation lines joined, comments dropped.

    Like Docker: a trailing backslash continues the instruction, and comment lines inside a
    continuation are removed. Only the default escape character is handled.
    """
    instructions = []
    parts, start = [], None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and stripped.startswith("#"):
            continue
        if start is None:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        line = " ".join(part for part in parts if part)
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip(), start))
        parts, start = [], None
    if parts:
        raise PinError("the Dockerfile ends inside a continued instruction (line {})".format(start))
    return instructions


def shell_commands(run_arguments):
    """The simple commands of a shell-form RUN line, split at && || ; and |, each as a token list."""
    lexer = shlex.shlex(run_arguments, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands, current = [], []
    for token in lexer:
        if token and set(token) <= set(";&|"):
            if current:
                commands.append(current)
            current = []
        else:
            current.append(token)
    if current:
        commands.append(current)
    return commands


def pip_install_commands(instructions):
    """[(options, requirements, line)] for every `pip install` in a RUN instruction."""
    found = []
    for keyword, arguments, line in instructions:
        if keyword != "RUN":
            continue
        for command in shell_commands(arguments):
            rest = _after_pip_install(command)
            if rest is None:
                continue
            options, requirements = [], []
            words = iter(rest)
            for word in words:
                if word.startswith("-"):
                    options.append(word)
                    if word in PIP_OPTIONS_WITH_VALUE:
                        options.append(next(words, ""))
                else:
                    requirements.append(word)
            found.append((options, requirements, line))
    return found


def _after_pip_install(command):
    """The words after `pip install` (pip, pip3, pythonX -m pip), or None for another command."""
    for index, word in enumerate(command[:-1]):
        is_pip = re.fullmatch(r"pip3?(\.\d+)?", Path(word).name) or (
            word == "pip" and index >= 2 and command[index - 1] == "-m")
        if is_pip and command[index + 1] == "install":
            return command[index + 2:]
    return None


def is_local_project(requirement):
    """A path (this repository copied into the image), not a PyPI requirement."""
    return requirement.startswith(("/", "./", "../", "."))


def pins_from_dockerfile(text):
    """{canonical name: (name as written, version)} for every NAME==VERSION a RUN line installs.

    Raises PinError for an install of a PyPI package without an exact pin.
    """
    pins, unpinned = {}, []
    for _, requirements, line in pip_install_commands(parse_dockerfile(text)):
        for requirement in requirements:
            if is_local_project(requirement):
                continue
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", requirement)
            if not match:
                unpinned.append("{} (line {})".format(requirement, line))
                continue
            pins[canonicalize_name(match.group(1))] = (match.group(1), match.group(2))
    if unpinned:
        raise PinError("not pinned with ==: " + ", ".join(unpinned))
    return pins


# ---------------------------------------------------------------- facts about one pin

def file_fact(name, version, filename, requires_python, yanked):
    """The judgement on one distribution file: None if it does not belong to the pin, else a row."""
    try:
        if filename.endswith(".whl"):
            file_name, file_version, _, file_tags = parse_wheel_filename(filename)
            kind = "wheel"
        else:
            file_name, file_version = parse_sdist_filename(filename)
            file_tags, kind = None, "sdist"
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    if canonicalize_name(file_name) != canonicalize_name(name) or file_version != Version(version):
        return None
    return {"name": name, "version": version, "file": filename, "kind": kind,
            "requires_python": requires_python, "yanked": bool(yanked),
            "fits_target": file_tags is None or bool(file_tags & TARGET_TAGS)}


def row_problems(row):
    """Why a fact row does not give the TX2 a Python 3.6 install, as a list of short reasons."""
    problems = []
    if row.get("yanked"):
        problems.append("{} is yanked".format(row["file"]))
    requires = row.get("requires_python")
    if requires:
        try:
            if TARGET_PYTHON not in SpecifierSet(requires):
                problems.append("{} requires Python {}".format(row["file"], requires))
        except InvalidSpecifier:
            problems.append("{} has an unreadable Requires-Python {!r}".format(row["file"], requires))
    fact = file_fact(row["name"], row["version"], row["file"], requires, row.get("yanked"))
    if fact is None:
        problems.append("{} is not a distribution of {} {}".format(row["file"], row["name"], row["version"]))
    elif not fact["fits_target"]:
        problems.append("{} does not install on CPython 3.6 linux aarch64".format(row["file"]))
    return problems


def best_row(name, version, files):
    """The file pip would take on the TX2 (a fitting wheel, else an sdist), or the closest failure."""
    rows = [file_fact(name, version, f["filename"], f.get("requires-python"), f.get("yanked")) for f in files]
    rows = [row for row in rows if row is not None]
    if not rows:
        return None
    rows.sort(key=lambda row: (bool(row_problems(row)), row["kind"] != "wheel", row["file"]))
    return {key: value for key, value in rows[0].items() if key != "fits_target"}


def fetch_files(name, index_url=INDEX_URL, timeout=30):
    """The file list of one project from a PEP 691 simple index."""
    request = urllib.request.Request(index_url.rstrip("/") + "/" + canonicalize_name(name) + "/",
                                     headers={"Accept": SIMPLE_JSON})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))["files"]


def probe(index_url=INDEX_URL, timeout=10):
    """None when the index answers in JSON, else the reason it cannot be used."""
    try:
        fetch_files("pip", index_url, timeout)
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        return "cannot reach {}: {}".format(index_url, exc)
    return None


def facts_from_index(pins, index_url=INDEX_URL):
    """{canonical name: row or None} asked of the index, several projects at once."""
    def one(item):
        key, (name, version) = item
        try:
            files = fetch_files(name, index_url)
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
            files = []  # no such project
        row = best_row(name, version, files)
        if row is not None:
            row["source"] = index_url.rstrip("/") + "/" + key + "/"
        return key, row
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(one, sorted(pins.items())))


# ---------------------------------------------------------------- table

def read_table(path=TABLE):
    try:
        table = json.loads(Path(path).read_text())
        return {canonicalize_name(row["name"]): row for row in table["pins"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PinError("cannot read the table {}: {}".format(path, exc))


def write_table(rows, path=TABLE, index_url=INDEX_URL):
    """One row per line, so a diff shows which pin's facts changed."""
    header = {
        "what": "For each Python package pinned in docker/tx2/Dockerfile: the PyPI file that installs it on "
                "the TX2 and that file's Requires-Python. Regenerate with scripts/check_py36_pins.py --write.",
        "target": {"python": TARGET_PYTHON, "platform": "linux aarch64, glibc 2.27 (Ubuntu 18.04, JetPack 4.6.x)"},
        "index": index_url,
        "checked_on": datetime.date.today().isoformat(),
    }
    lines = ['  "{}": {},'.format(key, json.dumps(value)) for key, value in header.items()]
    lines += ['  "pins": [']
    lines += ["    " + json.dumps(rows[key]) + ("," if n < len(rows) - 1 else "") for n, key in enumerate(sorted(rows))]
    Path(path).write_text("{\n" + "\n".join(lines) + "\n  ]\n}\n")


def table_problems(pins, table_rows):
    """Every disagreement between the Dockerfile's pins and the table, and every failing row."""
    problems = []
    for key, (name, version) in sorted(pins.items()):
        row = table_rows.get(key)
        if row is None:
            problems.append("{}=={}: no row in the table".format(name, version))
        elif Version(row["version"]) != Version(version):
            problems.append("{}=={}: the table has version {}".format(name, version, row["version"]))
        else:
            problems.extend("{}=={}: {}".format(name, version, reason) for reason in row_problems(row))
    problems.extend("{}: in the table but not pinned in the Dockerfile".format(table_rows[key]["name"])
                    for key in sorted(set(table_rows) - set(pins)))
    return problems


# ---------------------------------------------------------------- command line

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=DOCKERFILE, help="default: docker/tx2/Dockerfile")
    parser.add_argument("--table", type=Path, default=TABLE, help="default: docker/tx2/py36_pins.json")
    parser.add_argument("--index-url", default=INDEX_URL, help="a PEP 691 simple index (default: PyPI)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="ask the index and rewrite the table")
    mode.add_argument("--offline", action="store_true", help="check the pins against the table only")
    args = parser.parse_args(argv)
    try:
        pins = pins_from_dockerfile(Path(args.dockerfile).read_text())
        table_rows = {} if args.write else read_table(args.table)
    except (OSError, PinError) as exc:
        print("check_py36_pins: {}".format(exc), file=sys.stderr)
        return 2
    if not pins:
        print("check_py36_pins: no pinned pip install in {}".format(args.dockerfile), file=sys.stderr)
        return 2

    if args.offline:
        problems = table_problems(pins, table_rows)
        where = "the table {}".format(args.table)
    else:
        unreachable = probe(args.index_url)
        if unreachable:
            print("check_py36_pins: {}".format(unreachable), file=sys.stderr)
            return 3
        try:
            fetched = facts_from_index(pins, args.index_url)
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            print("check_py36_pins: {} stopped answering: {}".format(args.index_url, exc), file=sys.stderr)
            return 3
        rows = {key: row for key, row in fetched.items() if row is not None}
        problems = ["{}=={}: no such release on the index".format(*pins[key])
                    for key, row in sorted(fetched.items()) if row is None]
        problems += table_problems(pins, rows)
        if args.write:
            write_table(rows, args.table, args.index_url)
            print("wrote {}".format(args.table))
        else:
            problems += ["{}: the table says {}, the index now says {}; run --write".format(
                key, _summary(table_rows.get(key)), _summary(row))
                for key, row in sorted(rows.items()) if _summary(table_rows.get(key)) != _summary(row)]
        where = args.index_url

    for key, (name, version) in sorted(pins.items()):
        row = table_rows.get(key) if args.offline else rows.get(key)
        if row:
            print("  {:<22} {:<12} {:<6} Requires-Python {:<28} {}".format(
                name, version, row["kind"], row.get("requires_python") or "(any)", row["file"]))
    if problems:
        print("FAILED | {} of {} pins: {}".format(len(problems), len(pins), "; ".join(problems)))
        return 1
    print("PASSED | {} pins have a Python {} release for linux aarch64 ({})".format(len(pins), TARGET_PYTHON, where))
    return 0


def _summary(row):
    return None if row is None else (row["version"], row["file"], row.get("requires_python"), bool(row.get("yanked")))


if __name__ == "__main__":
    sys.exit(main())
