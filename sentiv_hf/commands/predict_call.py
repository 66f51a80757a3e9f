"""``sentiv predict-call CALL.wav [CALL2.wav ...] --model CKPT``: score whole call recordings, segment by segment.

The call is cut into fixed windows (``--segment-seconds``, ``--overlap``; by default a context checkpoint's own
settings, else 30 s without overlap) and streamed: each window is decoded and encoded on its own, so memory does not
grow with the call's length. A speech classifier scores each window; a context checkpoint (``SentiVContextModel``)
embeds each window and scores every segment from the whole call. The work is the ``sentiv-call`` pipeline's
(`sentiv_hf.models.call_pipeline.SentiVCallPipeline`); this command loads the checkpoint as ``sentiv predict`` does and
writes, per call, next to it (or into ``--output_dir``):

* ``CALL.segments.csv``: ``segment_index``, ``start``, ``end`` (seconds), ``score_<label>`` per label, ``labels``
  (the predicted labels, ``;``-joined) and, when the labels have a negative side, ``negativity``;
* ``CALL.summary.json``: duration, number of segments, share of negative time, the peak segment, the share of time
  of each label, the model and the segment settings;
* ``CALL.timeline.png``: negativity (or the top label's score) over time, with a band per label where it is
  predicted.

"Negativity" is defined once, in `sentiv_hf.models.call_pipeline.call_negativity`: the probability of ``negative``
for a binary head, the highest negative-type probability for a multi-label hotline head, the summed probability of
Anger, Fear and Sadness for the SentiV emotion labels. A segment is negative when it reaches ``--threshold``.

Examples:
    sentiv predict-call call.wav --model out/speech
    sentiv predict-call calls/*.wav --model out/context --output_dir reports --batch_size 8
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .arguments import ArgumentParser, add_output_dir
from .errors import CommandError, run_reporting_errors

logger = logging.getLogger(__name__)

#: The timeline's size: 1200 x 600 pixels.
TIMELINE_FIGSIZE = (12.0, 6.0)
TIMELINE_DPI = 100
#: The file suffixes written per call.
SEGMENTS_SUFFIX, SUMMARY_SUFFIX, TIMELINE_SUFFIX = ".segments.csv", ".summary.json", ".timeline.png"


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="sentiv predict-call", description=__doc__.split("\n\n")[0])
    parser.add_argument("calls", nargs="+", help="call recordings (any format FFmpeg decodes)")
    parser.add_argument("--model", required=True, help="a speech or context checkpoint folder (or a Hub id)")
    parser.add_argument(
        "--segment-seconds",
        type=float,
        default=None,
        help="window length in seconds (default: the context checkpoint's, else 30)",
    )
    parser.add_argument(
        "--overlap", type=float, default=None, help="seconds shared by consecutive windows (default: as above, or 0)"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="negativity (and multi-label probability) that counts (0.5)"
    )
    parser.add_argument("--batch_size", type=int, default=4, help="windows per forward pass")
    add_output_dir(parser, help="write the files here instead of next to each call")
    return parser


def output_paths(call: str | Path, output_dir: str | Path | None = None) -> dict[str, Path]:
    """Where ``sentiv predict-call`` writes the files of ``call``: ``{"segments", "summary", "timeline"}``.

    Example:
        >>> output_paths("calls/a.wav")["summary"]
        PosixPath('calls/a.summary.json')
    """
    call = Path(call)
    folder = Path(output_dir) if output_dir else call.parent
    return {
        "segments": folder / f"{call.stem}{SEGMENTS_SUFFIX}",
        "summary": folder / f"{call.stem}{SUMMARY_SUFFIX}",
        "timeline": folder / f"{call.stem}{TIMELINE_SUFFIX}",
    }


def segments_table(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The ``CALL.segments.csv`` columns and rows of a ``sentiv-call`` result.

    Example:
        >>> columns, rows = segments_table(pipe("call.wav"))  # doctest: +SKIP
        >>> columns[:4]  # doctest: +SKIP
        ['segment_index', 'start', 'end', 'score_Anger']
    """
    segments = result["segments"]
    names = list(segments[0]["scores"])
    has_negativity = result["summary"]["negativity"] is not None
    columns = ["segment_index", "start", "end", *(f"score_{name}" for name in names), "labels"]
    columns += ["negativity"] if has_negativity else []
    rows = []
    for segment in segments:
        row = [segment["segment_index"], round(segment["start"], 6), round(segment["end"], 6)]
        row += [round(segment["scores"][name], 6) for name in names]
        row.append(";".join(segment["labels"]))
        row += [round(segment["negativity"], 6)] if has_negativity else []
        rows.append(row)
    return columns, rows


def _clock(seconds: float, _position: object = None) -> str:
    seconds = max(0.0, float(seconds))
    return (
        f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
        if seconds >= 3600
        else (f"{int(seconds // 60)}:{int(seconds % 60):02d}")
    )


def plot_timeline(result: dict[str, Any], path: str | Path, title: str) -> Path:
    """Draw ``CALL.timeline.png`` (1200 x 600 px): the negativity of each segment over time (or, for labels without
    a negative side, the top label's score), the threshold and the negative spans shaded, the peak segment marked;
    below it one band per label, coloured where the label is predicted. Written atomically.

    Example:
        >>> plot_timeline(pipe("call.wav"), "call.timeline.png", "call.wav")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    from sentiv_hf.data.staging import atomic_path

    segments, summary = result["segments"], result["summary"]
    names = list(segments[0]["scores"])
    starts = np.array([s["start"] for s in segments])
    ends = np.array([s["end"] for s in segments])
    has_negativity = summary["negativity"] is not None
    values = np.array([s["negativity"] if has_negativity else max(s["scores"].values()) for s in segments])
    threshold = summary["threshold"]

    figure = Figure(figsize=TIMELINE_FIGSIZE, dpi=TIMELINE_DPI, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    # Each segment's value holds from its start until the next segment starts (the last one until the call ends).
    x = np.append(starts, ends[-1])
    y = np.append(values, values[-1])
    top.step(x, y, where="post", color="#b2182b" if has_negativity else "#2166ac", linewidth=2)
    if has_negativity:
        top.axhline(threshold, color="0.4", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
        negative = [(start, end) for start, end, value in zip(starts, ends, values) if value >= threshold]
        for index, (start, end) in enumerate(negative):
            label = "negative segment" if index == 0 else None
            top.axvspan(start, end, color="#f4a582", alpha=0.35, linewidth=0, label=label)
    else:
        top.fill_between(x, y, step="post", alpha=0.15, color="#2166ac")
        top.legend(loc="upper right", fontsize=9)
    peak = summary["peak_segment"]
    top.plot([(peak["start"] + peak["end"]) / 2], [peak["score"]], marker="v", color="black", markersize=9)
    top.annotate(
        f"peak {peak['score']:.2f}",
        ((peak["start"] + peak["end"]) / 2, peak["score"]),
        textcoords="offset points",
        xytext=(0, 8),
        ha="center",
        fontsize=9,
    )
    top.set_ylim(0, 1.08)
    top.set_ylabel("negativity" if has_negativity else "top-label score")
    top.grid(axis="y", alpha=0.3)

    colors = _label_colors(len(names))
    for row, name in enumerate(names):
        spans = [(s["start"], s["end"] - s["start"]) for s in segments if name in s["labels"]]
        bottom.broken_barh(spans, (row - 0.4, 0.8), color=colors[row], linewidth=0)
    bottom.set_yticks(range(len(names)), names, fontsize=9 if len(names) <= 8 else 7)
    bottom.set_ylim(len(names) - 0.5, -0.5)
    bottom.set_xlim(0, summary["duration"])
    bottom.grid(axis="x", alpha=0.3)
    bottom.xaxis.set_major_locator(MultipleLocator(_tick_step(summary["duration"])))
    bottom.xaxis.set_major_formatter(FuncFormatter(_clock))
    bottom.set_xlabel("time in the call (min:s)")
    bottom.set_ylabel("predicted")
    share = summary["negative_share"]
    subtitle = f"{_clock(summary['duration'])}, {summary['n_segments']} segments"
    if share is not None:
        subtitle += f"; negative {share:.0%} of the time"
    figure.suptitle(f"{title}  ({subtitle})", fontsize=12)
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=TIMELINE_DPI)
    return path


def _tick_step(duration: float) -> float:
    """A round time step (10 s ... 1 h) giving at most 12 ticks over ``duration`` seconds."""
    steps = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
    return float(next((step for step in steps if duration / step <= 12), steps[-1] * math.ceil(duration / 43200)))


def _label_colors(count: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(count)]


def write_call_outputs(result: dict[str, Any], call: str | Path, output_dir: str | Path | None = None) -> dict:
    """Write the CSV, the summary JSON and the timeline of one call (atomically); returns their paths.

    Example:
        >>> write_call_outputs(pipe("call.wav"), "call.wav")["segments"]  # doctest: +SKIP
        PosixPath('call.segments.csv')
    """
    from sentiv_hf.data.staging import write_text_atomic

    paths = output_paths(call, output_dir)
    paths["segments"].parent.mkdir(parents=True, exist_ok=True)
    columns, rows = segments_table(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    write_text_atomic(paths["segments"], buffer.getvalue())
    summary = {"file": Path(call).name, **result["summary"]}
    write_text_atomic(paths["summary"], json.dumps(summary, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
    plot_timeline(result, paths["timeline"], Path(call).name)
    return paths


def _check_calls(calls: list[str], output_dir: str | None) -> None:
    """Every call exists, and no two calls would write the same files."""
    seen: dict[Path, str] = {}
    for call in calls:
        if not Path(call).is_file():
            raise CommandError(f"Call recording not found: {call}. Pass the path of an audio file.")
        target = output_paths(call, output_dir)["summary"].resolve()
        if target in seen:
            raise CommandError(
                f"{seen[target]} and {call} would both write {target.name} in {target.parent}; rename one, or run "
                "them with different --output_dir."
            )
        seen[target] = call


def main(argv: list[str] | None = None) -> int:
    """``sentiv predict-call``: 0 on success, 2 on a user error (message on stderr)."""
    return run_reporting_errors("sentiv predict-call", _parser(), argv, _run)


def _run(args: argparse.Namespace) -> None:
    import torch

    from sentiv_hf.data.calls import segment_windows
    from sentiv_hf.models.audio_input import AudioInputError
    from sentiv_hf.models.call_pipeline import SentiVCallPipeline
    from sentiv_hf.training.inference import check_finite_scores, load_for_inference

    if args.batch_size < 1:
        raise CommandError(f"--batch_size must be at least 1, got {args.batch_size}.")
    if not 0.0 < args.threshold < 1.0:
        raise CommandError(f"--threshold must be between 0 and 1 (exclusive), got {args.threshold}.")
    _check_calls(args.calls, args.output_dir)
    parts = load_for_inference(args.model, tasks=("speech", "context"))
    pipe = SentiVCallPipeline(
        model=parts["model"],
        feature_extractor=parts["feature_extractor"],
        device=0 if torch.cuda.is_available() else -1,
    )
    settings = pipe.segment_settings(args.segment_seconds, args.overlap)
    try:
        segment_windows(settings["segment_seconds"] * 2, settings["segment_seconds"], settings["overlap"])
    except ValueError as error:
        raise CommandError(f"--segment-seconds / --overlap: {error}") from None
    for call in args.calls:
        try:
            result = pipe(call, **settings, threshold=args.threshold, batch_size=args.batch_size)
        except AudioInputError as error:
            raise CommandError(str(error)) from None
        scores = np.array([list(s["scores"].values()) for s in result["segments"]])
        check_finite_scores(scores, args.model, [f"{call} segment {s['segment_index']}" for s in result["segments"]])
        paths = write_call_outputs(result, call, args.output_dir)
        summary = result["summary"]
        share = summary["negative_share"]
        peak = summary["peak_segment"]
        print(
            f"{call}: {summary['n_segments']} segments over {_clock(summary['duration'])}"
            + (f", negative {share:.0%} of the time" if share is not None else "")
            + f"; peak segment {peak['segment_index']} ({_clock(peak['start'])}-{_clock(peak['end'])}, "
            f"{peak['score_name']} {peak['score']:.2f}) -> {paths['segments']}, {paths['summary'].name}, "
            f"{paths['timeline'].name}"
        )


if __name__ == "__main__":
    sys.exit(main())
