"""``sentiv submit``: validate a leaderboard submission against the leaderboard's gold labels, and open a PR with it.

The gold labels come only from ``--dataset`` (the leaderboard's dataset); each task's config, split, label column and
headline metric are fixed by the leaderboard, not read from the submission. ``--push`` always validates first, so it
needs ``--dataset`` too, and an invalid file is never uploaded.

Exit status: 0 valid (and pushed, with ``--push``); 1 invalid (the report lists every error; nothing is pushed);
2 usage error, unreadable file (missing, too large, not UTF-8, not JSON, nested too deep), unloadable dataset, or a
failed push (Hub unreachable, offline or refusing) — each printed as one line, without a traceback or token.

Examples:
    sentiv submit sentiv-demo-output/submission.json --validate --dataset sentiv_hf/data/demo
    sentiv submit submission.json --push --dataset sentiv-data --repo-id sentiv/leaderboard
    sentiv submit submission.json --validate --dataset board-data --config hotline_binary=hotline  # maintainers
"""

from __future__ import annotations

import argparse
import logging
import sys

from sentiv_hf.errors import UserError

from .arguments import ArgumentParser

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="sentiv submit",
        description="Validate a submission.json (schema, the leaderboard's fixed config/split/label column/headline "
        "per task, training ids of every budget, every test id predicted exactly once, known labels, metrics "
        "RECOMPUTED from the predictions) and/or push it, validated, as a pull request to a leaderboard dataset repo.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status:" + __doc__.split("Exit status:", 1)[1],
    )
    parser.add_argument("file", help="the submission JSON file (see sentiv_hf/benchmark/submission_schema.json)")
    parser.add_argument("--validate", action="store_true", help="validate against the gold labels of --dataset")
    parser.add_argument(
        "--dataset", default=None, help="the leaderboard's dataset folder (or Hub id): the gold labels"
    )
    parser.add_argument("--dataset_revision", default=None, help="Hub revision of --dataset")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="TASK=CONFIG",
        help="leaderboard maintainers only: the config of TASK in --dataset when it differs from the default table "
        "(repeatable); entries must then claim that config. A submission never chooses where its gold labels are.",
    )
    parser.add_argument("--push", action="store_true", help="validate, then open a PR with the file on --repo-id")
    parser.add_argument("--repo-id", default=None, help="leaderboard dataset repo, e.g. ORG/leaderboard")
    parser.add_argument("--token", default=None, help="Hub token (default: the saved login); never printed")
    return parser


def parse_task_configs(values: list[str]) -> dict[str, str]:
    """``["hotline_binary=hotline"]`` → ``{"hotline_binary": "hotline"}``; a `UserError` for any other form.

    Example:
        >>> parse_task_configs(["hotline_binary=hotline"])
        {'hotline_binary': 'hotline'}
    """
    configs = {}
    for value in values:
        task, sep, config = value.partition("=")
        if not sep or not task or not config:
            raise UserError(
                f"--config {value!r} must be TASK=CONFIG (e.g. hotline_binary=hotline); each task's config is fixed "
                "by the leaderboard, so a bare config name is not accepted."
            )
        configs[task.strip()] = config.strip()
    return configs


def _usage_problem(args: argparse.Namespace) -> str | None:
    """What is missing from the command line; None when it is complete."""
    if not args.validate and not args.push:
        return "nothing to do; pass --validate (with --dataset) and/or --push."
    if not args.dataset:
        what = "--push validates the file first, so it" if args.push else "--validate"
        return f"{what} needs --dataset DIR_OR_HUB_ID (the leaderboard's dataset with the gold labels)."
    if args.push and not args.repo_id:
        return "--push needs --repo-id ORG/leaderboard."
    return None


def run(args: argparse.Namespace) -> int:
    """Validate (always) and push (with ``--push``); return 0 or 1. Raises `UserError` for exit status 2."""
    problem = _usage_problem(args)
    if problem:
        raise UserError(problem)
    configs = parse_task_configs(args.config)

    from sentiv_hf.benchmark.hub_push import push_submission
    from sentiv_hf.benchmark.validation import validate_submission

    report = validate_submission(args.file, args.dataset, revision=args.dataset_revision, task_configs=configs)
    print(report)
    if not report.ok:
        if args.push:
            print("Not pushing an invalid submission; fix the errors above first.", file=sys.stderr)
        return 1
    if args.push:
        info = push_submission(args.file, args.repo_id, report, token=args.token)
        url = getattr(info, "pr_url", None) or getattr(info, "commit_url", None) or info
        print(f"Opened a pull request on {args.repo_id}: {url}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sentiv submit``; returns the exit status described in the module docstring."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except UserError as error:
        from sentiv_hf.hub_errors import scrub_secrets

        print(f"sentiv submit: {scrub_secrets(str(error), args.token)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
