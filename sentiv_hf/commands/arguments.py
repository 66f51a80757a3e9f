"""One flag vocabulary for every ``sentiv`` command.

`transformers.HfArgumentParser` (``sentiv train``) accepts ``--output_dir`` and ``--output-dir`` alike. The argparse
commands use `ArgumentParser` from here, which gives each long flag both spellings, so that a flag learnt in one
command works in every other. The shared names are:

* ``--output_dir``: where a command writes (a dataset folder, a benchmark folder, evaluation or prediction files);
* ``--dataset``, ``--dataset_config``, ``--dataset_revision``: the dataset and its config and revision;
* ``--text_column``, ``--audio_column``, ``--label_column``: the columns;
* ``--gated {manual,auto}``: the approval mode of a gated repo;
* ``--token``: a Hub token (default: ``HF_TOKEN`` or the saved login), never printed or written.
"""

from __future__ import annotations

import argparse
import sys


def _other_spelling(option: str) -> str | None:
    """``--output_dir`` ↔ ``--output-dir``; None for short flags and names without a dash or underscore."""
    if not option.startswith("--"):
        return None
    name = option[2:]
    if "_" in name:
        return "--" + name.replace("_", "-")
    if "-" in name:
        return "--" + name.replace("-", "_")
    return None


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` whose long flags take both spellings, ``--a_b`` and ``--a-b``.

    Help shows the spelling the flag was declared with; the other is rewritten to it before parsing, in argument
    groups and subcommands alike (``add_subparsers`` makes subparsers of this class).

    Example:
        >>> parser = ArgumentParser(prog="sentiv demo")
        >>> _ = parser.add_argument("--output_dir")
        >>> parser.parse_args(["--output-dir", "out"]).output_dir
        'out'
    """

    def spelling(self, token: str) -> str:
        """``token`` with its flag rewritten to the declared spelling (unchanged when unknown or declared)."""
        name, sep, value = token.partition("=")
        if not name.startswith("--") or name in self._option_string_actions:
            return token
        other = _other_spelling(name)
        return other + sep + value if other in self._option_string_actions else token

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        end = args.index("--") if "--" in args else len(args)
        args = [self.spelling(token) for token in args[:end]] + args[end:]
        return super().parse_known_args(args, namespace)


def add_output_dir(parser: argparse.ArgumentParser, *, required: bool = False, default=None, help: str) -> None:
    """Add the shared ``--output_dir`` flag (``OUTPUT_DIR`` in help)."""
    parser.add_argument("--output_dir", required=required, default=default, metavar="OUTPUT_DIR", help=help)
