"""Run a console script's main() in this process and capture what it prints."""

import contextlib
import io


def run_cli(main, *argv):
    """(exit code, stdout, stderr) of `main([str(a) for a in argv])`; argparse's SystemExit included."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()
