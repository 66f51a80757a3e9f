"""User errors of the ``sentiv`` commands: the runner that reports them.

A `sentiv_hf.errors.UserError` (``CommandError`` here, an alias kept for the commands) is a mistake the user can fix
(a missing file, an unknown column, a bad flag): the command prints its message on stderr, without a traceback, and
exits with status 2. The error type itself lives in `sentiv_hf.errors`, so the layers below raise it without
importing the command line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from sentiv_hf.errors import UserError

#: The log format of the argparse-based commands (``sentiv evaluate``, ``sentiv predict``).
LOG_FORMAT = "%(asctime)s - %(levelname)s - %(name)s - %(message)s"


#: The commands' name for `UserError` (the same class).
CommandError = UserError


def run_reporting_errors(
    prog: str,
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    body: Callable[[argparse.Namespace], object],
) -> int:
    """Parse ``argv`` with ``parser`` and run ``body(args)``; return the command's exit status.

    Args:
        prog: the command's name as printed before an error, e.g. ``"sentiv evaluate"``.
        parser: the command's argument parser.
        argv: the arguments (``sys.argv[1:]`` when None).
        body: runs the command; its return value is ignored.

    Returns 0 on success, argparse's status when parsing exits (``--help``: 0, a bad flag: 2), and 2 on a
    `UserError`, whose message is printed on stderr as ``"<prog>: <message>"``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="sentiv demo")
        >>> def body(args):
        ...     raise CommandError("Checkpoint not found: out/x")
        >>> run_reporting_errors("sentiv demo", parser, [], body)  # doctest: +SKIP
        2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(format=LOG_FORMAT, level=logging.WARNING)
    try:
        body(args)
    except UserError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    return 0
