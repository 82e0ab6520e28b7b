"""The console scripts (pyproject.toml's [project.scripts]). Each installs the signal handlers before
it imports its command: numpy, OpenCV and the runtimes take up to a second to import, and a signal
then must end the command at once as one later does (one line, exit 128 + N), not print a traceback
or vanish (OpenCV's import swallows one)."""

import importlib

from .core import interrupts

# console script -> the module whose main() it runs
MODULES = {
    "bisenet-export": "bisenet_deploy.export.main",
    "bisenet-run": "bisenet_deploy.runtime.run",
    "bisenet-eval": "bisenet_deploy.evaluate.main",
    "bisenet-bench": "bisenet_deploy.bench.main",
    "bisenet-build-engine": "bisenet_deploy.engines.main",
    "bisenet-calibrate": "bisenet_deploy.calib.main",
    "bisenet-ros": "bisenet_deploy.ros.node",
    "bisenet-doctor": "bisenet_deploy.doctor.main",
    "bisenet-scenes": "bisenet_deploy.scenes.main",
    "bisenet-package": "bisenet_deploy.serve.main",
    "bisenet-serve": "bisenet_deploy.serve.server",
}


def _command(prog):
    def main():
        interrupts.install()
        try:
            with interrupts.starting(prog):
                module = importlib.import_module(MODULES[prog])
            code = module.main()
        except BaseException:  # SystemExit (--help, a usage error) included: it passes unless a signal came
            if interrupts.received() is None:
                raise
            code = interrupts.report(prog, interrupts.received())
        interrupts.hold()  # the exit code is decided: a signal from here on changes nothing
        return code
    return main


export = _command("bisenet-export")
run = _command("bisenet-run")
evaluate = _command("bisenet-eval")
bench = _command("bisenet-bench")
build_engine = _command("bisenet-build-engine")
calibrate = _command("bisenet-calibrate")
ros = _command("bisenet-ros")
doctor = _command("bisenet-doctor")
scenes = _command("bisenet-scenes")
package = _command("bisenet-package")
serve = _command("bisenet-serve")
