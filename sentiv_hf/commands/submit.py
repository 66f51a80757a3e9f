"""``sentiv submit``: validate a leaderboard submission against gold labels, and/or open a PR with it on the Hub.

Examples:
    sentiv submit sentiv-demo-output/submission.json --validate --dataset sentiv_hf/data/demo
    sentiv submit submission.json --validate --dataset sentiv-data --config speech
    sentiv submit submission.json --validate --dataset sentiv-data --push --repo-id sentiv/leaderboard
"""

from __future__ import annotations

import argparse
import logging
import sys

from .arguments import ArgumentParser

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="sentiv submit",
        description="Validate a submission.json (schema, every test id predicted exactly once, known labels, "
        "metrics RECOMPUTED from the predictions) and/or push it as a pull request to a leaderboard dataset repo.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Examples:", 1)[1],
    )
    parser.add_argument("file", help="the submission JSON file (see sentiv_hf/benchmark/submission_schema.json)")
    parser.add_argument("--validate", action="store_true", help="validate against the gold labels of --dataset")
    parser.add_argument("--dataset", default=None, help="dataset folder (or Hub id) with the gold labels")
    parser.add_argument("--config", default=None, help="dataset config for every entry (default: each entry's)")
    parser.add_argument("--push", action="store_true", help="open a PR with the file on --repo-id")
    parser.add_argument("--repo-id", default=None, help="leaderboard dataset repo, e.g. ORG/leaderboard")
    parser.add_argument("--token", default=None, help="Hub token (default: the saved login)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sentiv submit``: 0 when valid (and pushed), 1 when invalid, 2 on usage errors."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.validate and not args.push:
        print("sentiv submit: nothing to do; pass --validate (with --dataset) and/or --push.", file=sys.stderr)
        return 2
    if args.validate and not args.dataset:
        print("sentiv submit: --validate needs --dataset DIR (the folder with the gold labels).", file=sys.stderr)
        return 2
    if args.push and not args.repo_id:
        print("sentiv submit: --push needs --repo-id ORG/leaderboard.", file=sys.stderr)
        return 2

    from sentiv_hf.benchmark.hub_push import push_submission
    from sentiv_hf.benchmark.validation import validate_submission

    if args.validate or args.dataset:
        report = validate_submission(args.file, args.dataset, config=args.config)
        print(report)
        if not report.ok:
            if args.push:
                print("Not pushing an invalid submission; fix the errors above first.", file=sys.stderr)
            return 1
    if args.push:
        info = push_submission(args.file, args.repo_id, token=args.token)
        url = getattr(info, "pr_url", None) or getattr(info, "commit_url", None) or info
        print(f"Opened a pull request on {args.repo_id}: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
