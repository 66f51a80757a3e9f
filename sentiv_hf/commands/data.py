"""``sentiv data``: build Hub-ready dataset folders, print their statistics, and push them to the Hub.

Subcommands:

* ``build-text SRC --output_dir DIR``: the ``text`` config from a table (xlsx/csv/parquet/jsonl).
* ``build-speech MANIFEST --audio_dir AUDIO --output_dir DIR``: the ``speech`` (and ``multimodal``) configs;
  ``--multi-label [--negative_labels A,B]`` for hotline data, ``--allow-outside-audio-dir`` to embed files that lie
  outside AUDIO.
* ``build-calls CALLS --audio-dir AUDIO --output_dir DIR [--annotations SPANS] [--segment-seconds 15,30,45]``:
  the ``calls`` config(s): whole call recordings cut into labelled segments (`sentiv_hf.data.calls`).
* ``push DIR --repo-id ORG/NAME [--gated manual|auto] [--private]``: publish the folder (gated dataset repo).
* ``stats [DIR]``: rows per config and split, and the label distribution (default DIR: the bundled demo corpus).

User errors (bad file, bad column, unknown option value, an output folder that is a file or read-only, no network)
print one line to stderr and exit with 2. Builds are atomic: a failed one leaves the dataset folder as it was.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from .arguments import ArgumentParser, add_output_dir

logger = logging.getLogger(__name__)

EXIT_ERROR = 2


def _add_label_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--label-alias",
        action="append",
        default=[],
        metavar="RAW=LABEL",
        help="map a raw label onto a canonical one, e.g. --label-alias Other=Neutral (repeatable; any case)",
    )
    parser.add_argument("--split-seed", type=int, default=42, help="seed of the generated stratified split")
    parser.add_argument("--strict", action="store_true", help="fail (exit 2) when any row is rejected")


def _label_kwargs(args: argparse.Namespace) -> dict[str, object]:
    """The builder keywords of the options added by `_add_label_options`."""
    return {"label_aliases": args.label_alias, "split_seed": args.split_seed, "strict": args.strict}


def build_parser() -> argparse.ArgumentParser:
    """The ``sentiv data`` argument parser (one subparser per subcommand)."""
    parser = ArgumentParser(
        prog="sentiv data",
        description="Build Hub-ready dataset folders, print their statistics, push them to the Hub.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{build-text,build-speech,build-calls,push,stats}")
    sub.required = True

    text = sub.add_parser("build-text", help="build the text config from an xlsx/csv/parquet/jsonl table")
    text.add_argument("source", metavar="SRC", help="the table, e.g. train.xlsx")
    add_output_dir(text, required=True, help="the dataset folder (other configs are kept)")
    text.add_argument("--text-column", help="the text column (default: auto-detect text/sentence/comment/content)")
    text.add_argument("--label-column", help="the label column (default: auto-detect label/emotion)")
    _add_label_options(text)

    speech = sub.add_parser("build-speech", help="build the speech (and multimodal) configs from a manifest")
    speech.add_argument("manifest", metavar="MANIFEST", help="CSV, JSON Lines or XLSX with path and label columns")
    speech.add_argument(
        "--audio-dir", required=True, metavar="AUDIO", help="folder the manifest paths are relative to"
    )
    add_output_dir(speech, required=True, help="the dataset folder (other configs are kept)")
    speech.add_argument("--multi-label", action="store_true", help="';'-separated labels (hotline layout)")
    speech.add_argument(
        "--negative_labels",
        metavar="A,B,...",
        help="with --multi-label: the labels that make binary_label negative (any case; recorded in the card). "
        "Default, for hotline data whose fine-grained labels are negative types: every label except Enjoyment, "
        "Neutral, Surprise and None",
    )
    speech.add_argument(
        "--allow-outside-audio-dir",
        action="store_true",
        help="accept manifest paths that lead outside --audio-dir (absolute, '..', symlinks); by default such rows "
        "are rejected, since the file's bytes are embedded in the dataset",
    )
    _add_label_options(speech)

    calls = sub.add_parser("build-calls", help="cut whole call recordings into the labelled segments of `calls`")
    calls.add_argument(
        "manifest", metavar="CALLS_MANIFEST", help="CSV, JSON Lines or XLSX with call_id, path, caller_id (+ split)"
    )
    calls.add_argument("--audio-dir", required=True, metavar="AUDIO", help="folder the manifest paths are relative to")
    add_output_dir(calls, required=True, help="the dataset folder (other configs are kept)")
    calls.add_argument(
        "--annotations", metavar="SPANS", help="table of labelled spans: call_id, start, end, label (';' for several)"
    )
    calls.add_argument(
        "--segments",
        choices=["fixed", "annotated"],
        default="fixed",
        help="fixed windows (default) or one segment per annotated span",
    )
    calls.add_argument(
        "--segment-seconds",
        metavar="S[,S...]",
        help="window length(s) in seconds (default 30); several, e.g. 15,30,45, write one config each: calls for "
        "30 s (else the first length), calls-<S>s for the others",
    )
    calls.add_argument("--overlap", type=float, default=0.0, help="seconds shared by consecutive windows")
    calls.add_argument(
        "--labels", metavar="A,B,...", help="the declared label set; spans with another label are rejected"
    )
    calls.add_argument(
        "--negative_labels",
        metavar="A,B,...",
        help="the labels that make binary_label negative (any case; recorded in the card). Default: every label "
        "except Enjoyment, Neutral, Surprise and None",
    )
    calls.add_argument(
        "--allow-outside-audio-dir",
        action="store_true",
        help="accept recordings outside --audio-dir (their segments are embedded in the dataset)",
    )
    _add_label_options(calls)

    push = sub.add_parser("push", help="publish a dataset folder to the Hub (token from login or HF_TOKEN)")
    push.add_argument("folder", metavar="DIR", help="the dataset folder")
    push.add_argument("--repo-id", required=True, metavar="ORG/NAME")
    push.add_argument("--gated", choices=["manual", "auto"], help="turn on gated access with this approval mode")
    push.add_argument("--private", action="store_true", help="create the repo as private")
    push.add_argument("--include-rejects", action="store_true", help="also upload <config>/rejected.csv")

    stats = sub.add_parser("stats", help="rows per config/split and label distributions")
    stats.add_argument(
        "folder", metavar="DIR", nargs="?", help="the dataset folder (default: the bundled demo corpus)"
    )
    stats.add_argument("--config", action="append", help="only these configs (repeatable)")
    return parser


def _build_text(args: argparse.Namespace) -> int:
    from ..data.text import build_text_dataset

    summary = build_text_dataset(
        args.source,
        args.output_dir,
        text_column=args.text_column,
        label_column=args.label_column,
        **_label_kwargs(args),
    )
    print(summary)
    print(f"Wrote {Path(args.output_dir) / 'text'} and {Path(args.output_dir) / 'README.md'}")
    return 0


def _build_speech(args: argparse.Namespace) -> int:
    from ..data.speech import build_speech_dataset

    summaries = build_speech_dataset(
        args.manifest,
        args.audio_dir,
        args.output_dir,
        multi_label=args.multi_label,
        negative_labels=args.negative_labels,
        allow_outside_audio_dir=args.allow_outside_audio_dir,
        **_label_kwargs(args),
    )
    for summary in summaries:
        print(summary)
    print(f"Wrote {', '.join(s.config for s in summaries)} to {args.output_dir}")
    return 0


def _build_calls(args: argparse.Namespace) -> int:
    from ..data.calls import build_calls_dataset

    summary = build_calls_dataset(
        args.manifest,
        args.audio_dir,
        args.output_dir,
        annotations=args.annotations,
        segments=args.segments,
        segment_seconds=args.segment_seconds,
        overlap=args.overlap,
        labels=args.labels,
        negative_labels=args.negative_labels,
        allow_outside_audio_dir=args.allow_outside_audio_dir,
        **_label_kwargs(args),
    )
    print(summary)
    print(f"Wrote {', '.join(summary.segments)} to {args.output_dir}")
    return 0


def _push(args: argparse.Namespace) -> int:
    from ..data.hub import push_dataset_folder

    url = push_dataset_folder(
        args.folder, args.repo_id, gated=args.gated, private=args.private, include_rejects=args.include_rejects
    )
    print(f"Pushed {args.folder} to {url}" + (f" (gated: {args.gated} approval)" if args.gated else ""))
    return 0


def _card_configs(folder: Path) -> list[str]:
    from huggingface_hub import DatasetCard

    readme = folder / "README.md"
    if not folder.is_dir():
        raise FileNotFoundError(f"Dataset folder not found: {folder}.")
    if not readme.is_file():
        raise FileNotFoundError(
            f"{folder} is not a dataset folder (no README.md); build it with `sentiv data build-text/build-speech`."
        )
    configs = [c["config_name"] for c in (DatasetCard.load(readme).data.get("configs") or [])]
    if not configs:
        raise ValueError(f"{readme} declares no `configs:`; rebuild the folder with `sentiv data build-*`.")
    return configs


def _label_counts(split) -> str:  # noqa: ANN001  (a datasets.Dataset)
    """``"Anger 8, Disgust 8, ..."`` for ``label``; each label column prefixed by its name when there are several."""
    import datasets

    parts = []
    for column in ("label", "labels", "binary_label"):
        feature = split.features.get(column)
        if feature is None:
            continue
        values = split.data.column(column).to_pylist()  # the Arrow column: no audio decoding
        inner = getattr(feature, "feature", None)
        if isinstance(feature, datasets.ClassLabel):
            names, counts = feature.names, Counter(values)
        elif isinstance(inner, datasets.ClassLabel):
            names, counts = inner.names, Counter(i for row in values for i in row or ())
        else:
            continue
        parts.append((column, ", ".join(f"{name} {counts.get(i, 0)}" for i, name in enumerate(names))))
    if not parts:
        return "(no label column)"
    if len(parts) == 1 and parts[0][0] == "label":
        return parts[0][1]
    return " | ".join(f"{column}: {text}" for column, text in parts)


def _stats(args: argparse.Namespace) -> int:
    import datasets

    from ..data import demo_path

    folder = Path(args.folder) if args.folder else demo_path()
    configs = _card_configs(folder)
    wanted = args.config or configs
    unknown = [c for c in wanted if c not in configs]
    if unknown:
        raise ValueError(f"{folder} has no config {', '.join(unknown)}; its configs are {', '.join(configs)}.")
    print(f"Dataset folder {folder}")
    for config in wanted:
        dataset_dict = datasets.load_dataset(str(folder), config)
        total = sum(len(s) for s in dataset_dict.values())
        columns = ", ".join(next(iter(dataset_dict.values())).column_names)
        print(f"{config}: {total} rows in {len(dataset_dict)} split(s); columns: {columns}")
        for name, split in dataset_dict.items():
            print(f"  {name:<10} {len(split):>7}  {_label_counts(split)}")
    return 0


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors printed as one line. Imported only once one is raised: `sentiv_hf.data.hub` imports datasets,
    which build-text imports itself, in parallel with reading the table."""
    from huggingface_hub.errors import HFValidationError

    from ..data.hub import HubPushError
    from ..data.rejects import RejectedRowsError
    from ..data.tables import DataFileError
    from ..errors import UserError

    return (
        UserError,
        DataFileError,
        RejectedRowsError,
        HubPushError,
        HFValidationError,
        FileNotFoundError,
        ValueError,
    )


COMMANDS = {
    "build-text": _build_text,
    "build-speech": _build_speech,
    "build-calls": _build_calls,
    "push": _push,
    "stats": _stats,
}


def main(argv: list[str] | None = None) -> int:
    """Run ``sentiv data ...``; returns the exit code (0 ok, 2 user error).

    Example:
        >>> main(["build-text", "train.xlsx", "--output_dir", "data"])  # doctest: +SKIP
        0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:  # argparse already printed its usage message
        return int(exit_.code or 0)

    try:
        return COMMANDS[args.command](args)
    except Exception as err:
        if not isinstance(err, _user_errors()):
            raise
        message = " ".join(str(err).split())  # one line, whatever the message holds
        print(f"sentiv data {args.command}: error: {message}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
