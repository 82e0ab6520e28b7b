"""scripts/check_py36_pins.py: every Python package pinned in the TX2 image has a Python 3.6 release
for linux aarch64. Offline against the committed table (docker/tx2/py36_pins.json); online against
PyPI when it can be reached."""

import contextlib
import io

import pytest

NUMPY_WHEEL = "numpy-1.19.4-cp36-cp36m-manylinux2014_aarch64.whl"


def row(name="numpy", version="1.19.4", file=NUMPY_WHEEL, requires_python=">=3.6", yanked=False):
    kind = "wheel" if file.endswith(".whl") else "sdist"
    return {"name": name, "version": version, "file": file, "kind": kind,
            "requires_python": requires_python, "yanked": yanked, "source": "test"}


def run_main(pins_tool, *argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pins_tool.main(list(argv))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- offline: the committed table

def test_every_pin_has_a_python_3_6_release_by_the_committed_table(pins_tool, tx2_text, pin_table):
    pins = pins_tool.pins_from_dockerfile(tx2_text)
    rows = {pins_tool.canonicalize_name(r["name"]): r for r in pin_table["pins"]}
    assert pins_tool.table_problems(pins, rows) == []
    assert pin_table["target"]["python"].startswith("3.6.")
    assert all(r["source"].startswith("https://") for r in pin_table["pins"]), "every fact names where it came from"


def test_offline_mode_passes_and_prints_the_verdict(pins_tool):
    code, out, _ = run_main(pins_tool, "--offline")
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("PASSED | ")


@pytest.mark.parametrize("bad, reason", [
    (row(requires_python=">=3.7"), "requires Python >=3.7"),
    (row(file="numpy-1.19.4-cp37-cp37m-manylinux2014_aarch64.whl"), "does not install"),
    (row(file="numpy-1.19.4-cp36-cp36m-manylinux2014_x86_64.whl"), "does not install"),
    (row(file="numpy-1.19.4-cp36-cp36m-manylinux_2_31_aarch64.whl"), "does not install"),  # glibc 2.31 > 2.27
    (row(file="numpy-1.19.5-cp36-cp36m-manylinux2014_aarch64.whl"), "not a distribution of"),
    (row(yanked=True), "yanked"),
    (row(requires_python="3.6+"), "unreadable"),
])
def test_a_row_that_gives_no_python_3_6_install_is_refused(pins_tool, bad, reason):
    problems = pins_tool.row_problems(bad)
    assert any(reason in problem for problem in problems), problems


@pytest.mark.parametrize("good", [
    row(),
    row(file="numpy-1.19.4.zip", requires_python=None),
    row(name="pycuda", version="2022.1", file="pycuda-2022.1.tar.gz", requires_python="~=3.6"),
    row(name="tqdm", version="4.64.1", file="tqdm-4.64.1-py2.py3-none-any.whl",
        requires_python="!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,>=2.7"),
    row(file="numpy-1.19.4-cp36-cp36m-manylinux_2_27_aarch64.whl"),
])
def test_a_row_that_installs_on_the_tx2_is_accepted(pins_tool, good):
    assert pins_tool.row_problems(good) == []


def test_the_table_must_follow_the_dockerfile(pins_tool, tx2_text, pin_table):
    pins = pins_tool.pins_from_dockerfile(tx2_text)
    rows = {pins_tool.canonicalize_name(r["name"]): dict(r) for r in pin_table["pins"]}
    moved = dict(pins, numpy=("numpy", "1.19.5"), extra=("extra", "1.0"))
    problems = pins_tool.table_problems(moved, rows)
    assert any("numpy==1.19.5: the table has version 1.19.4" in p for p in problems)
    assert any("extra==1.0: no row" in p for p in problems)
    del moved["pycuda"]
    assert any("pycuda: in the table but not pinned" in p for p in pins_tool.table_problems(moved, rows))


def test_missing_table_is_bad_input(pins_tool, tmp_path):
    code, _, err = run_main(pins_tool, "--offline", "--table", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read the table" in err


def test_an_unreachable_index_is_its_own_exit_code(pins_tool):
    """Exit 3, not a failed check, so CI can tell "no network" from "a pin lost Python 3.6"."""
    code, _, err = run_main(pins_tool, "--index-url", "http://127.0.0.1:9/simple/")
    assert code == 3 and "cannot reach" in err


# ---------------------------------------------------------------- online: PyPI itself

@pytest.fixture(scope="module")
def pypi(pins_tool):
    reason = pins_tool.probe()
    if reason:
        pytest.skip("PyPI's simple index is not reachable from here ({}); the offline table test still ran".format(reason))
    return pins_tool.INDEX_URL


def test_pypi_confirms_every_pin_and_the_committed_table(pins_tool, pypi):
    code, out, err = run_main(pins_tool, "--index-url", pypi)
    assert code == 0, out + err
    assert "pycuda" in out and "2022.1" in out


@pytest.mark.parametrize("name, version, reason", [
    ("tqdm", "4.65.0", "requires Python >=3.7"),     # the first tqdm without 3.6
    ("pycuda", "2022.2", "requires Python ~=3.8"),   # the first pycuda without 3.6
    ("numpy", "1.20.0", "requires Python >=3.7"),    # the first numpy without 3.6
])
def test_pypi_answers_refuse_releases_without_python_3_6(pins_tool, pypi, name, version, reason):
    facts = pins_tool.facts_from_index({name: (name, version)}, pypi)
    problems = pins_tool.row_problems(facts[name]) if facts[name] else ["no such release"]
    assert problems, "{}=={} was accepted".format(name, version)
    assert any(reason in p for p in problems), problems
