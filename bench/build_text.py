"""Time `sentiv data build-text` on a synthetic 265,011-row workbook (about the size of the SentiV text release).

The workbook is written once into ``bench/_work/`` (gitignored; openpyxl needs a minute to write it) and reused.
Each run is the real command, ``sentiv data build-text WORKBOOK --output_dir DIR``, in its own process, as a user
runs it: the figures are those of the whole process (interpreter start, imports, reading, building, writing
Parquet). The child is reaped with ``os.wait4``, which returns its own resource usage, so each run prints:

* the wall time and the CPU time (user + system) of the whole process,
* its peak RSS,
* rows/s, and the load average (the development machine is shared, so wall time moves with the load).

Goal on the 2-core development machine: <= 5 s wall and <= 1.5 GB peak RSS.

Usage:
    python bench/build_text.py [--rows 265011] [--repeat 3] [--rebuild-xlsx]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

WORK = Path(__file__).resolve().parent / "_work"
LABELS = ["Enjoyment", "Sadness", "Anger", "Disgust", "Fear", "Surprise", "Neutral"]
LABEL_WEIGHTS = [0.30, 0.18, 0.12, 0.10, 0.08, 0.07, 0.15]  # imbalanced, like real social-media data
SYLLABLES = (
    "tôi bạn mình nó họ ai cái này kia đó thật quá lắm rất hơi cũng vẫn đã đang sẽ không chưa có là được bị "
    "vui buồn giận sợ ghét thích yêu thương nhớ chán mệt khóc cười hát đi về ăn uống ngủ làm học chơi xem nghe "
    "nói hỏi trả lời gặp nhà trường lớp phim nhạc bài đồ ăn quán cà phê trời mưa nắng hôm nay mai qua sáng tối "
    "đẹp xấu ngon dở hay tệ tuyệt vời kinh khủng bất ngờ bình thường ổn ok haha huhu trời ơi ơi à nhé nha vậy thế"
).split()


def make_workbook(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` data rows (plus a header) of synthetic Vietnamese-ish sentences with 7 labels."""
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    words = np.array(SYLLABLES, dtype=object)
    lengths = rng.integers(4, 30, size=rows)
    labels = rng.choice(LABELS, size=rows, p=LABEL_WEIGHTS)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("train")
    ws.append(["Sentence", "Emotion"])
    started = time.perf_counter()
    texts: list[str] = []
    for i in range(rows):
        text = " ".join(words[rng.integers(0, len(words), size=lengths[i])])
        kind = i % 200
        label = str(labels[i])
        if kind == 7 and texts:  # ~0.5 % exact duplicates of an earlier row (same label or not)
            text = texts[int(rng.integers(0, len(texts)))]
        elif kind == 11:  # decomposed diacritics, which NFC must fold onto the composed form
            text = unicodedata.normalize("NFD", text)
        elif kind == 13:
            text = "   "
        elif kind == 17:
            label = "Other"  # an unknown label
        elif kind == 19:
            label = f"  {label.lower()} "
        texts.append(text)
        ws.append([text, label])
    wb.save(path)
    print(f"wrote {rows} rows to {path} in {time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")


def sentiv_command() -> list[str]:
    script = Path(sys.executable).with_name("sentiv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentiv_hf.cli"]


def run_once(xlsx: Path, out_dir: Path) -> dict:
    """Run ``sentiv data build-text XLSX --output_dir OUT`` as its own process; its wall time, CPU time and peak RSS.

    The child is reaped with ``os.wait4``, which returns its own usage (``RUSAGE_CHILDREN`` would hold the largest
    peak of any child so far).
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}
    with open(out_dir.parent / "build-text.log", "w", encoding="utf-8") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*sentiv_command(), "data", "build-text", str(xlsx), "--output_dir", str(out_dir)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    output = (out_dir.parent / "build-text.log").read_text(encoding="utf-8")
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{output[-4000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "output": output,
        "load": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=265_011)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild-xlsx", action="store_true", help="rewrite the cached workbook")
    args = parser.parse_args(argv)

    WORK.mkdir(parents=True, exist_ok=True)
    xlsx = WORK / f"train-{args.rows}.xlsx"
    if args.rebuild_xlsx or not xlsx.exists():
        make_workbook(xlsx, args.rows)
    results = []
    for run in range(args.repeat):
        r = run_once(xlsx, WORK / "sentiv-data")
        results.append(r)
        if run == 0:
            print(r["output"].strip())
        print(
            f"run {run + 1}: wall {r['wall_s']:.2f} s, CPU {r['cpu_s']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"{args.rows / r['wall_s']:,.0f} rows/s, load average {r['load']:.1f}"
        )
    best = min(results, key=lambda r: r["wall_s"])
    wall = statistics.median(r["wall_s"] for r in results)
    rss = max(r["peak_rss_mb"] for r in results)
    verdict = "OK" if wall <= 5.0 and rss <= 1500 else "OVER"
    print(
        f"sentiv data build-text, whole process, {args.rows:,} rows: median wall {wall:.2f} s (best "
        f"{best['wall_s']:.2f} s), peak RSS {rss:.0f} MB; goal <= 5 s and <= 1500 MB: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
