import io
import contextlib

import pytest

from bisenet_deploy.export.main import main as export_main


@pytest.fixture
def run_export():
    """Run bisenet-export in-process: returns (exit code, stdout, stderr)."""

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = export_main([str(a) for a in argv])
            except SystemExit as exc:  # argparse usage errors
                code = exc.code
        return code, out.getvalue(), err.getvalue()

    return run
