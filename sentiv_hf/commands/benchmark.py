"""``sentiv benchmark``: run the low-resource protocol and write tables, plots and the leaderboard submission.

With no arguments it runs the offline ``demo`` preset on the bundled demo corpus (what ``make demo`` runs).

Examples:
    sentiv benchmark                                   # demo preset, writes sentiv-demo-output/
    sentiv benchmark --preset sentiv --output_dir results     # PhoBERT + HuBERT-large on SentiV (Hub access, GPU)
    sentiv benchmark --config my.yaml --budgets 0.1,1.0 --seeds 5
    sentiv benchmark --tasks text --models baseline:tfidf-logreg --dataset my-sentiv-folder
                                                       # writes sentiv-benchmark-my-sentiv-folder/

One OUTPUT_DIR holds the results of one dataset: a run on another dataset is refused, and so is a second process on
a folder that another `sentiv benchmark` is using (OUTPUT_DIR/.lock).
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
        "<headline metric>_vs_budget.png (macro_f1, f1_negative for hotline_binary, weighted_f1 for "
        "hotline_multilabel), confusion/, submission.json, submissions/ and model_cards/. No arguments: the offline "
        "demo preset.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Examples:", 1)[1],
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--preset", default=None, help="bundled preset: demo (default), sentiv (fine-tuned) or sentiv-frozen"
    )
    source.add_argument("--config", default=None, help="YAML file with BenchmarkConfig fields")
    add_output_dir(
        parser,
        help="output folder (results.jsonl, tables, plots, submission); one per dataset (default: the preset's, or "
        "sentiv-benchmark-<dataset name> with --dataset)",
    )
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
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for the runs (default 1); results are identical whatever the count",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar or per-run lines")
    parser.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)  # test hook: simulated kill
    return parser


def load_config(args: argparse.Namespace):
    """The `BenchmarkConfig` selected by ``--preset``/``--config`` with the single-field flags applied.

    ``--dataset`` without ``--output_dir`` writes to ``sentiv-benchmark-<dataset name>`` (`default_output_dir`), not
    to the preset's folder: the demo's ``sentiv-demo-output`` keeps the demo's results only.
    """
    from sentiv_hf.benchmark.config import BenchmarkConfig
    from sentiv_hf.benchmark.output import default_output_dir

    base = (
        BenchmarkConfig.from_yaml(args.config) if args.config else BenchmarkConfig.from_preset(args.preset or "demo")
    )
    output_dir = args.output_dir
    if output_dir is None and args.dataset is not None:
        output_dir = default_output_dir(args.dataset)
    return base.with_overrides(
        output_dir=output_dir,
        dataset=args.dataset,
        tasks=args.tasks,
        models=args.models,
        budgets=args.budgets,
        seeds=args.seeds,
        epochs=args.epochs,
        encoder=args.encoder,
        cache_dir=args.cache_dir,
        confidence=args.confidence,
        workers=args.workers,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sentiv benchmark``; returns the exit code (2: a mistake the user can fix, told in one line)."""
    from sentiv_hf.errors import UserError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except (UserError, ValueError, FileNotFoundError, NotImplementedError) as err:
        print(f"sentiv benchmark: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    """Run the benchmark and write its outputs, holding the output folder's lock throughout."""
    config = load_config(args)
    import datasets

    from sentiv_hf.benchmark.cards import write_model_cards
    from sentiv_hf.benchmark.report import headline_metrics, markdown_tables, plot_name, write_report
    from sentiv_hf.benchmark.runner import BenchmarkRunner
    from sentiv_hf.benchmark.submission import write_submissions
    from sentiv_hf.data.loading import dataset_name

    # One progress bar (runs, with ETA) is enough; datasets would add one per split it prepares.
    datasets.disable_progress_bars()
    start = time.perf_counter()
    runner = BenchmarkRunner(
        config, progress=not args.no_progress, stop_after=args.stop_after or 0, save_models=args.save_models
    )
    print(
        f"sentiv benchmark [{config.name}] on {dataset_name(config.dataset)}: "
        f"tasks {config.tasks}, models {config.models}, "
        f"budgets {config.budgets}, seeds {config.seeds}, encoder {config.encoder} -> {config.out_dir}"
    )
    # The report, submissions and cards are written under the same lock as the runs, so that two processes never
    # interleave their writes to one folder.
    with runner.lock:
        records = runner.run()
        write_report(records, config.out_dir)
        submissions = write_submissions(records, config.out_dir)
        write_model_cards(records, config.out_dir)
    metrics = headline_metrics(records)
    print("\n" + markdown_tables(records, metrics=tuple(metrics), sections=False))
    plots = ", ".join(plot_name(metric) for metric in metrics)
    print(
        f"Wrote {config.out_dir}/table.md, table.csv, {plots}, confusion/, model_cards/ "
        f"({len(records)} runs, {time.perf_counter() - start:.1f} s)."
    )
    print("Submission files: " + ", ".join(str(path) for path in submissions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
