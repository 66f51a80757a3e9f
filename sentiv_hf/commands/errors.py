"""User errors of the ``sentiv`` commands: the `CommandError` exception and the runner that reports it.

A `CommandError` is a mistake the user can fix (a missing file, an unknown column, a bad flag): the command prints
its message on stderr, without a traceback, and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

#: The log format of the argparse-based commands (``sentiv evaluate``, ``sentiv predict``).
LOG_FORMAT = "%(asctime)s - %(levelname)s - %(name)s - %(message)s"


class CommandError(Exception):
    """A user error: printed to stderr without a traceback, exit status 2."""


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
    `CommandError`, whose message is printed on stderr as ``"<prog>: <message>"``.

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
    except CommandError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    return 0
