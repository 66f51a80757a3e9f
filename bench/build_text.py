"""Time `sentiv data build-text` on a synthetic 265,011-row workbook (about the size of the SentiV text release).

The workbook is written once into ``bench/_work/`` (gitignored; openpyxl needs a minute to write it) and reused.
Each run builds the dataset in a fresh subprocess, so the peak RSS is that of the build alone, and prints:

* the wall time of the whole command (interpreter start and imports included, as a user sees it),
* the time of ``build_text_dataset`` itself, and rows/s,
* the peak RSS of the subprocess.

Goal on the 2-core development machine: <= 5 s wall and <= 1.5 GB peak RSS.

Usage:
    python bench/build_text.py [--rows 265011] [--repeat 1] [--rebuild-xlsx]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


CHILD = """
import json, sys, time, types
t0 = time.perf_counter()
if sys.argv[3] == "1":
    # Projection only: stand in an empty sentiv_hf.models so that `import sentiv_hf` skips torch/transformers
    # (the model registration that sentiv_hf/__init__.py does eagerly today).
    sys.modules["sentiv_hf.models"] = types.ModuleType("sentiv_hf.models")
from sentiv_hf.data.text import build_text_dataset
t1 = time.perf_counter()
summary = build_text_dataset(sys.argv[1], sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "summary": summary.to_dict()}))
"""


def run_once(xlsx: Path, out_dir: Path, without_models: bool = False) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(xlsx), str(out_dir), "1" if without_models else "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stderr[-4000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the largest peak of any child waited for so far (KiB on Linux), so the runs
    # without models (smaller) go first in main().
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # CPU seconds (user + sys) of the child: on the shared 2-core machine, wall time grows with the other jobs'
    # load, CPU time much less, so both are printed.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.update(wall_s=wall, cpu_s=cpu, peak_rss_mb=after.ru_maxrss / 1024, load=os.getloadavg()[0])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=265_011)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rebuild-xlsx", action="store_true", help="rewrite the cached workbook")
    parser.add_argument(
        "--projection",
        action="store_true",
        help="also time the build with sentiv_hf.models stubbed out (what a lazy model registration would give)",
    )
    args = parser.parse_args(argv)

    WORK.mkdir(parents=True, exist_ok=True)
    xlsx = WORK / f"train-{args.rows}.xlsx"
    if args.rebuild_xlsx or not xlsx.exists():
        make_workbook(xlsx, args.rows)
    variants = ([("without model imports (projection)", True)] if args.projection else []) + [("as shipped", False)]
    for label, without_models in variants:
        for run in range(args.repeat):
            r = run_once(xlsx, WORK / "sentiv-data", without_models)
            s = r["summary"]
            print(
                f"{label}, run {run + 1}: {s['input_rows']} rows ({s['accepted']} accepted, {s['rejected']} rejected: "
                f"{s['by_reason']})"
            )
            print(
                f"  wall {r['wall_s']:.2f} s (imports {r['import_s']:.2f} s, build {r['build_s']:.2f} s), "
                f"CPU {r['cpu_s']:.2f} s, load average {r['load']:.1f}, "
                f"{s['input_rows'] / r['build_s']:,.0f} rows/s in build, {s['input_rows'] / r['wall_s']:,.0f} rows/s "
                f"overall, peak RSS {r['peak_rss_mb']:.0f} MB  (goal: <= 5 s wall, <= 1500 MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
