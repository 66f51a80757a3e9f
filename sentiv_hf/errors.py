"""The package's neutral user-error type, below every layer that raises it.

`UserError` is a mistake the user can fix (a missing file, an unknown column, a bad flag). The training layer raises
it while loading datasets and models; the ``sentiv`` commands print its message without a traceback and exit with
status 2. It lives here, not in ``sentiv_hf.commands``, so that the lower layers never import the command line.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; commands print it without a traceback and exit 2.

    Example:
        >>> raise UserError("Checkpoint not found: out/x")  # doctest: +SKIP
    """


__all__ = ["UserError"]
