"""The two kinds of failure a user can cause or meet; each maps to one exit code."""


class InputError(Exception):
    """Bad usage or bad input: missing/corrupt/foreign file, wrong flag, untrusted pickle (exit 2)."""

    exit_code = 2


class WorkFailed(Exception):
    """The work ran but its result is not acceptable: verification out of tolerance, lint failed (exit 1)."""

    exit_code = 1
