"""The ``sentiv`` command line.

Each subcommand lives in its own module under ``sentiv_hf.commands`` and owns its argument parsing (the training
commands use ``HfArgumentParser``). This module only dispatches, and imports a subcommand when it is called, so that
``sentiv --help`` stays fast. It runs as ``sentiv ...``, ``python -m sentiv_hf.cli ...`` and
``accelerate launch -m sentiv_hf.cli ...``.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("sentiv_hf.commands.data", "build Hub-ready datasets (build-text, build-speech, push, stats)"),
    "train": ("sentiv_hf.commands.train", "train a text, speech or fusion model"),
    "evaluate": ("sentiv_hf.commands.evaluate", "evaluate a checkpoint on a dataset split"),
    "predict": ("sentiv_hf.commands.predict", "predict emotions for texts and/or audio files"),
    "predict-call": ("sentiv_hf.commands.predict_call", "score whole call recordings: segments, summary, timeline"),
    "benchmark": ("sentiv_hf.commands.benchmark", "run the low-resource protocol (no arguments: offline demo)"),
    "submit": ("sentiv_hf.commands.submit", "validate or push a leaderboard submission"),
    "leaderboard": ("sentiv_hf.commands.leaderboard", "build the results dataset, serve or push the Gradio board"),
}


def _usage() -> str:
    lines = ["usage: sentiv [--version] <command> [options]", "", "commands:"]
    lines += [f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `sentiv <command> --help` for the options of a command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sentiv`` console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from importlib.metadata import version

        print(f"sentiv-hf {version('sentiv-hf')}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"sentiv: unknown command {name!r}.\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
