"""``sentiv benchmark``: run the low-resource protocol and write tables, plots and the leaderboard submission.

With no arguments it runs the offline ``demo`` preset on the bundled demo corpus (what ``make demo`` runs).

Examples:
    sentiv benchmark                                   # demo preset, writes sentiv-demo-output/
    sentiv benchmark --preset sentiv --output_dir results     # PhoBERT + HuBERT-large on SentiV (Hub access, GPU)
    sentiv benchmark --config my.yaml --budgets 0.1,1.0 --seeds 5
    sentiv benchmark --tasks text --models baseline:tfidf-logreg --dataset my-sentiv-folder
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from .arguments import ArgumentParser, add_output_dir

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="sentiv benchmark",
        description="Run tasks × models × label budgets × seeds (resumable) and write OUTPUT_DIR/table.md, table.csv, "
        "macro_f1_vs_budget.png, confusion/ and submission.json. No arguments: the offline demo preset.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Examples:", 1)[1],
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--preset", default=None, help="bundled preset: demo (default), sentiv (fine-tuned) or sentiv-frozen"
    )
    source.add_argument("--config", default=None, help="YAML file with BenchmarkConfig fields")
    add_output_dir(parser, help="output folder (results.jsonl, tables, plots, submission); one per dataset")
    parser.add_argument("--dataset", default=None, help="dataset folder or Hub id (default: the preset's)")
    parser.add_argument("--tasks", default=None, help="comma-separated task ids, e.g. text,speech,multimodal")
    parser.add_argument("--models", default=None, help="comma-separated models, e.g. tiny,baseline:tfidf-logreg")
    parser.add_argument("--budgets", default=None, help="comma-separated fractions, e.g. 0.01,0.1,1.0")
    parser.add_argument("--seeds", default=None, help="a count (3 → 0,1,2) or a comma-separated list")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per trained head/model")
    parser.add_argument("--encoder", default=None, choices=["frozen", "finetune", "lora"], help="encoder mode")
    parser.add_argument("--cache-dir", default=None, help="feature cache folder (default OUTPUT_DIR/cache)")
    parser.add_argument(
        "--confidence", default=None, choices=["entropy", "max_prob"], help="confidence of the uncertainty fusion"
    )
    parser.add_argument(
        "--save-models",
        action="store_true",
        help="write every text, speech and multimodal run as a checkpoint folder under OUTPUT_DIR/models/ "
        "(loadable with from_pretrained, re-scored by `sentiv evaluate`)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar or per-run lines")
    parser.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)  # test hook: simulated kill
    return parser


def load_config(args: argparse.Namespace):
    """The `BenchmarkConfig` selected by ``--preset``/``--config`` with the single-field flags applied."""
    from sentiv_hf.benchmark.config import BenchmarkConfig

    base = (
        BenchmarkConfig.from_yaml(args.config) if args.config else BenchmarkConfig.from_preset(args.preset or "demo")
    )
    return base.with_overrides(
        output_dir=args.output_dir,
        dataset=args.dataset,
        tasks=args.tasks,
        models=args.models,
        budgets=args.budgets,
        seeds=args.seeds,
        epochs=args.epochs,
        encoder=args.encoder,
        cache_dir=args.cache_dir,
        confidence=args.confidence,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sentiv benchmark``; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"sentiv benchmark: {err}", file=sys.stderr)
        return 2
    import datasets

    from sentiv_hf.benchmark.cards import write_model_cards
    from sentiv_hf.benchmark.report import markdown_tables, write_report
    from sentiv_hf.benchmark.runner import BenchmarkRunner
    from sentiv_hf.benchmark.submission import write_submissions

    # One progress bar (runs, with ETA) is enough; datasets would add one per split it prepares.
    datasets.disable_progress_bars()
    start = time.perf_counter()
    runner = BenchmarkRunner(
        config, progress=not args.no_progress, stop_after=args.stop_after or 0, save_models=args.save_models
    )
    print(
        f"sentiv benchmark [{config.name}] on {config.dataset or 'the bundled demo corpus'}: "
        f"tasks {config.tasks}, models {config.models}, "
        f"budgets {config.budgets}, seeds {config.seeds}, encoder {config.encoder} -> {config.out_dir}"
    )
    try:
        records = runner.run()
    except (ValueError, FileNotFoundError, NotImplementedError) as err:
        print(f"sentiv benchmark: {err}", file=sys.stderr)
        return 2
    write_report(records, config.out_dir)
    write_submissions(records, config.out_dir)
    write_model_cards(records, config.out_dir)
    headline = markdown_tables(records, metrics=("macro_f1",), sections=False)
    print("\n" + headline)
    print(
        f"Wrote {config.out_dir}/table.md, table.csv, macro_f1_vs_budget.png, confusion/, submission.json, "
        f"model_cards/ "
        f"({len(records)} runs, {time.perf_counter() - start:.1f} s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
