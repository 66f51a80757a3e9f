"""``sentiv leaderboard``: build the results dataset, serve the Gradio board, write (and push) its Space.

Examples:
    sentiv leaderboard build sentiv-demo-output/submissions/*.json --output_dir lb-data
    sentiv leaderboard serve --data lb-data --port 7860
    sentiv leaderboard space --data lb-data --output_dir space --push --repo-id ORG/sentiv-leaderboard

Exit status: 0 done (``build``: at least one submission accepted; refused ones are listed); 2 usage error, no
submission accepted, unreadable data folder, missing gradio, or a failed push, each printed as one line.
"""

from __future__ import annotations

import argparse
import logging
import sys

from sentiv_hf.errors import UserError

from .arguments import ArgumentParser, add_output_dir
from .submit import parse_task_configs

logger = logging.getLogger(__name__)


def _dataset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        default=None,
        help="the leaderboard's dataset (folder or Hub id) with the gold labels (default: the bundled demo corpus)",
    )
    parser.add_argument("--dataset_revision", default=None, help="Hub revision of --dataset")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="TASK=CONFIG",
        help="the config of TASK in --dataset when it differs from the default table (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="sentiv leaderboard",
        description="The SentiV leaderboard: a results dataset from validated submissions, and its Gradio board.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status:" + __doc__.split("Exit status:", 1)[1],
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="{build,serve,space}")
    build = sub.add_parser("build", help="validate submissions and write the results dataset folder")
    build.add_argument("submissions", nargs="+", help="submission JSON files")
    add_output_dir(build, required=True, help="the results dataset folder (replaced atomically)")
    _dataset_options(build)
    build.add_argument("--resamples", type=int, default=1000, help="paired bootstrap resamples (default 1000)")
    build.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")

    serve = sub.add_parser("serve", help="serve the board locally (needs `pip install sentiv-hf[leaderboard]`)")
    serve.add_argument("--data", required=True, help="the folder `sentiv leaderboard build` wrote")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    _dataset_options(serve)

    space = sub.add_parser("space", help="write the Hub Space folder for the board, and push it with --push")
    space.add_argument("--data", required=True, help="the folder `sentiv leaderboard build` wrote")
    add_output_dir(space, required=True, help="the Space folder (app.py, requirements.txt, README.md, data)")
    space.add_argument(
        "--dataset",
        default=None,
        help="Hub id of the leaderboard's dataset for the Submit tab (default: the bundled demo corpus)",
    )
    space.add_argument("--config", action="append", default=[], metavar="TASK=CONFIG")
    space.add_argument(
        "--requirement",
        default=None,
        help="pip requirement for sentiv-hf in the Space "
        "(default: sentiv-hf[leaderboard]==<this version>; a git URL or wheel also works)",
    )
    space.add_argument("--push", action="store_true", help="create the Space repo if needed and upload the folder")
    space.add_argument("--repo-id", default=None, help="the Space, e.g. ORG/sentiv-leaderboard")
    space.add_argument("--private", action="store_true")
    space.add_argument("--token", default=None, help="Hub token (default: the saved login); never printed")
    return parser


def _build(args: argparse.Namespace) -> int:
    from sentiv_hf.leaderboard.results import REFUSED_FILE, build_results

    summary = build_results(
        args.submissions,
        args.output_dir,
        dataset=args.dataset,
        revision=args.dataset_revision,
        task_configs=parse_task_configs(args.config),
        n_resamples=args.resamples,
        seed=args.seed,
    )
    print(summary)
    if summary.refused:
        print(f"Refused submissions and their reasons: {summary.out / REFUSED_FILE}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        from sentiv_hf.leaderboard.app import serve
    except ImportError as error:
        raise UserError(f"The board needs gradio ({error}); run `pip install 'sentiv-hf[leaderboard]'`.") from None
    print(f"Serving the SentiV board from {args.data} on http://{args.host}:{args.port} (Ctrl+C stops it)")
    serve(
        args.data,
        host=args.host,
        port=args.port,
        dataset=args.dataset,
        task_configs=parse_task_configs(args.config) or None,
    )
    return 0


def _space(args: argparse.Namespace) -> int:
    from sentiv_hf.leaderboard.space import push_space, write_space

    if args.push and not args.repo_id:
        raise UserError("--push needs --repo-id ORG/NAME (the Space to create or update).")
    out = write_space(
        args.data,
        args.output_dir,
        dataset=args.dataset,
        task_configs=parse_task_configs(args.config) or None,
        requirement=args.requirement,
    )
    print(f"Wrote the Space folder {out} (app.py, requirements.txt, README.md, lb-data/).")
    if args.push:
        push_space(out, args.repo_id, token=args.token, private=args.private)
        print(f"Pushed to https://huggingface.co/spaces/{args.repo_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sentiv leaderboard``; returns the exit status described in the module docstring."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return {"build": _build, "serve": _serve, "space": _space}[args.action](args)
    except UserError as error:
        from sentiv_hf.hub_errors import scrub_secrets

        print(f"sentiv leaderboard: {scrub_secrets(str(error), getattr(args, 'token', None))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
