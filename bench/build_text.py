"""Time `sentiv data build-text` on a synthetic workbook shaped like the SentiV text release (265,011 rows).

The workbook: texts of about 20 words (whitespace tokens), drawn from a vocabulary of 3,000 two-syllable words plus
the single syllables, with a Zipf-like word frequency, so that two rows never share a text by accident; 7 labels
with an imbalanced distribution. Texts carry a label signal (``label_cues``, on by default): each label owns a few
cue words, and about one word in five of a text is a cue word, mostly of its own label and sometimes of another, so
that classifiers trained on it score in a realistic range instead of at chance.
Planted faults, one row in 200 each: an exact copy of an earlier row (same label:
a ``duplicate text``), decomposed (NFD) diacritics (accepted after NFC), a blank text (``empty text``), an unknown
label (``unknown label``), a label in odd case with spaces (accepted). The script checks the build's own report:
no ``conflicting labels`` row, and accepted + rejected = input rows. The workbook is written once into
``bench/_work/`` (gitignored; openpyxl needs a minute) and reused.

Measured leg: the real command, ``sentiv data build-text WORKBOOK --output_dir DIR``, in its own process, as a user
runs it (interpreter start, imports, reading, checks, writing Parquet). Reference leg, interleaved with it: a process
that only reads the same workbook with python-calamine (the reader the build uses), so the ratio says what the build
costs on top of reading its input. Each child is reaped with ``os.wait4``, which returns that child's own peak RSS
and CPU time. Goals on 2 cores: median wall <= 5 s and peak RSS <= 1500 MB for 265,011 rows.

Usage:
    python bench/build_text.py [--rows 265011] [--reps 5] [--rebuild-xlsx] [--quick]
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
from _common import WORK, Figure, Target, bench_parser, checked_reps, interleaved, offline_env, print_figures

SCRIPT = "build_text"
#: Bump when the generator changes, so that a cached workbook of the old kind is not reused.
GENERATOR_VERSION = 3
LABELS = ["Enjoyment", "Sadness", "Anger", "Disgust", "Fear", "Surprise", "Neutral"]
LABEL_WEIGHTS = [0.30, 0.18, 0.12, 0.10, 0.08, 0.07, 0.15]  # imbalanced, like real social-media data
SYLLABLES = (
    "tôi bạn mình nó họ ai cái này kia đó thật quá lắm rất hơi cũng vẫn đã đang sẽ không chưa có là được bị "
    "vui buồn giận sợ ghét thích yêu thương nhớ chán mệt khóc cười hát đi về ăn uống ngủ làm học chơi xem nghe "
    "nói hỏi trả lời gặp nhà trường lớp phim nhạc bài đồ quán cà phê trời mưa nắng hôm nay mai qua sáng tối "
    "đẹp xấu ngon dở hay tệ tuyệt vời kinh khủng bất ngờ bình thường ổn haha huhu ơi à nhé nha vậy thế "
    "sinh viên giáo công ty việc tiền lương xe máy đường phố chợ bệnh viện bác sĩ thuốc đau đầu bụng "
    "gia đình bố mẹ anh chị em con cháu ông bà người yêu vợ chồng bạn bè hàng xóm đồng nghiệp sếp "
    "điện thoại mạng tin nhắn video ảnh bình luận chia sẻ trang cá nhân nhóm kênh tập mới cũ "
    "lo lắng hạnh phúc thất vọng tức bực mình hãi hốt bình tĩnh căng thẳng áp lực hy vọng tin tưởng "
    "sao vì nên nhưng mà thì còn nữa rồi luôn chỉ mỗi những các từng cùng với cho để khi lúc"
).split()
N_PAIRS = 3000
#: Label signal: cue words owned by each label, the share of a text's words that are cues, and the share of those
#: cues taken from another label (noise, so that no classifier is perfect).
CUES_PER_LABEL = 12
CUE_RATE = 0.2
CUE_NOISE = 0.3
PLANTED = {7: "duplicate", 11: "nfd", 13: "blank", 17: "unknown label", 19: "odd-case label"}


def vocabulary(rng: np.random.Generator) -> np.ndarray:
    """3,000 distinct two-syllable words plus every single syllable (Vietnamese words are mostly 1-2 syllables)."""
    syllables = sorted(set(SYLLABLES))
    n = len(syllables)
    pair_ids = rng.choice(n * n, size=N_PAIRS, replace=False)
    pairs = [f"{syllables[i // n]} {syllables[i % n]}" for i in pair_ids if i // n != i % n]
    return np.array(pairs + syllables, dtype=object)


def cue_words(n_words: int, n_labels: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_labels, CUES_PER_LABEL)`` word ids: distinct cue words owned by each label."""
    return rng.choice(n_words, size=n_labels * CUES_PER_LABEL, replace=False).reshape(n_labels, CUES_PER_LABEL)


def _plant_cues(ids: np.ndarray, label: int, cues: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``ids`` with about `CUE_RATE` of its words (at least one) replaced by cue words of ``label`` (or, for a
    `CUE_NOISE` share of them, of a random other label)."""
    ids = ids.copy()
    n_cues = max(1, rng.binomial(len(ids), CUE_RATE))
    owners = np.where(rng.random(n_cues) < CUE_NOISE, rng.integers(0, len(cues), n_cues), label)
    ids[rng.choice(len(ids), size=n_cues, replace=False)] = cues[owners, rng.integers(0, cues.shape[1], n_cues)]
    return ids


def synthetic_texts(rows: int, rng: np.random.Generator, labels: np.ndarray | None = None) -> list[str]:
    """``rows`` texts of about 20 whitespace tokens (6-120), words drawn with a Zipf-like frequency.

    Args:
        labels: label ids ``(rows,)``; when given, each text gets cue words of its label (`_plant_cues`), so the
            texts carry a label signal. ``None``: texts independent of any label.
    """
    words = vocabulary(rng)
    frequency = 1.0 / np.arange(1, len(words) + 1) ** 0.8
    rng.shuffle(frequency)  # which words are frequent is random, not "pairs first"
    cues = None if labels is None else cue_words(len(words), int(labels.max()) + 1, rng)
    tokens_per_word = np.char.count(words.astype(str), " ").mean() + 1
    tokens = np.clip(np.round(rng.lognormal(np.log(18.0), 0.5, size=rows)), 6, 120)
    n_words = np.maximum(3, np.round(tokens / tokens_per_word)).astype(int)
    p = frequency / frequency.sum()

    def draw(i: int, ids: np.ndarray) -> str:
        return " ".join(words[ids if cues is None else _plant_cues(ids, int(labels[i]), cues, rng)])

    stream = rng.choice(len(words), size=int(n_words.sum()), p=p)
    ends = np.cumsum(n_words)
    texts = [draw(i, stream[end - k : end]) for i, (end, k) in enumerate(zip(ends, n_words))]
    # A few short texts of frequent words can still coincide (about 1 in 60,000 rows): draw those again, so that
    # every duplicate in the workbook is a planted one (and no two labels ever share a text by accident).
    seen: set[str] = set()
    for i, text in enumerate(texts):
        while text in seen:
            text = draw(i, rng.choice(len(words), size=n_words[i], p=p))
        seen.add(text)
        texts[i] = text
    return texts


def workbook_path(rows: int, label_cues: bool = True) -> Path:
    """Where the workbook of ``rows`` rows is cached (the name holds the generator version and the cue setting)."""
    return WORK / f"text-release-{rows}-v{GENERATOR_VERSION}{'' if label_cues else '-nocues'}.xlsx"


def make_workbook(path: Path, rows: int, seed: int = 0, *, label_cues: bool = True) -> None:
    """Write ``rows`` data rows (plus a header) with the planted faults of the module docstring.

    Args:
        label_cues: give the texts a label signal (cue words per label); ``False``: texts independent of labels.

    Example:
        >>> make_workbook(workbook_path(2_000), 2_000)  # doctest: +SKIP
    """
    from openpyxl import Workbook

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    label_ids = rng.choice(len(LABELS), size=rows, p=LABEL_WEIGHTS)
    texts = synthetic_texts(rows, rng, label_ids if label_cues else None)
    assert len(set(texts)) == rows, "synthetic_texts must return distinct texts"
    labels = [LABELS[i] for i in label_ids]
    for i in range(rows):
        kind = PLANTED.get(i % 200)
        if kind == "duplicate" and i > 0:  # the same text *and* label as an earlier row: a duplicate, no conflict
            j = int(rng.integers(0, i))
            texts[i], labels[i] = texts[j], labels[j]
        elif kind == "nfd":
            texts[i] = unicodedata.normalize("NFD", texts[i])
        elif kind == "blank":
            texts[i] = "   "
        elif kind == "unknown label":
            labels[i] = "Other"
        elif kind == "odd-case label":
            labels[i] = f"  {labels[i].lower()} "
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("train")
    ws.append(["Sentence", "Emotion"])
    for text, label in zip(texts, labels):
        ws.append([text, label])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    wb.save(partial)
    partial.replace(path)  # an interrupted write never leaves a truncated workbook to be reused
    mean_tokens = np.mean([len(t.split()) for t in texts[:20000]])
    print(
        f"wrote {rows:,} rows to {path} in {time.perf_counter() - started:.0f} s "
        f"({path.stat().st_size / 1e6:.1f} MB, {mean_tokens:.1f} tokens per text on average)"
    )


def sentiv_command() -> list[str]:
    script = Path(sys.executable).with_name("sentiv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentiv_hf.cli"]


def run_process(argv: list[str], log: Path, usage: dict[str, list[float]]):
    """A leg: run ``argv`` as its own process, record its peak RSS (MB) and CPU time (s) in ``usage``.

    The child is reaped with ``os.wait4``, which returns its own usage (``RUSAGE_CHILDREN`` would hold the largest
    peak of any child so far).
    """

    def leg() -> None:
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.Popen(argv, env=offline_env(), stdout=out, stderr=subprocess.STDOUT)
            _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv[-4:])} failed:\n{log.read_text(encoding='utf-8')[-4000:]}")
        usage.setdefault("peak_rss_mb", []).append(rusage.ru_maxrss / 1024)  # KiB on Linux
        usage.setdefault("cpu_s", []).append(rusage.ru_utime + rusage.ru_stime)

    return leg


def check_build(out_dir: Path, rows: int, log: Path) -> Counter:
    """The build's rejections by reason; exits unless it has no conflicting row and accepted + rejected = rows."""
    with (out_dir / "text" / "rejected.csv").open(encoding="utf-8", newline="") as handle:
        reasons = Counter(row["reason"].split(":", 1)[0] for row in csv.DictReader(handle))
    report = log.read_text(encoding="utf-8")
    accepted = int(report.split(" accepted", 1)[0].rsplit("-> ", 1)[1])
    if reasons["conflicting labels"]:
        raise SystemExit(f"the build rejected {reasons['conflicting labels']} rows as conflicting labels; expected 0")
    if accepted + sum(reasons.values()) != rows:
        raise SystemExit(f"accepted {accepted} + rejected {sum(reasons.values())} != {rows} input rows")
    return reasons


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--rows", type=int, default=265_011)
    parser.add_argument("--rebuild-xlsx", action="store_true", help="rewrite the cached workbook")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    rows = 20_000 if args.quick else args.rows

    xlsx = workbook_path(rows)
    if args.rebuild_xlsx or not xlsx.exists():
        make_workbook(xlsx, rows)
    out_dir = WORK / "sentiv-data"
    build_log, read_log = WORK / "build-text.log", WORK / "read-xlsx.log"
    read_code = (
        "import sys; from python_calamine import CalamineWorkbook; "
        "rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python(); print(len(rows))"
    )
    usage: dict[str, dict[str, list[float]]] = {"build": {}, "read": {}}
    build = run_process(
        [*sentiv_command(), "data", "build-text", str(xlsx), "--output_dir", str(out_dir)], build_log, usage["build"]
    )
    read = run_process([sys.executable, "-c", read_code, str(xlsx)], read_log, usage["read"])
    print(f"{rows:,} rows; each leg is one process; {reps} reps")
    times = interleaved({"sentiv data build-text": build, "read workbook only": read}, reps)
    print(build_log.read_text(encoding="utf-8").strip())
    reasons = check_build(out_dir, rows, build_log)
    print(f"checked: 0 conflicting labels; rejected by reason: {dict(reasons)}")
    # The first (warm-up) sample of each usage list is dropped, as its time was.
    rss = {name: values["peak_rss_mb"][1:] for name, values in usage.items()}
    cpu = {name: values["cpu_s"][1:] for name, values in usage.items()}
    common = {"rows": rows, "rejected": dict(reasons)}
    # The goals are for the release's size; a --quick run has no target to meet.
    wall_goal, rss_goal = (None, None) if args.quick else (Target("value", "<=", 5.0), Target("value", "<=", 1500.0))
    figures = [
        Figure.from_samples(
            SCRIPT,
            f"build-text wall time, {rows:,} rows (whole process)",
            times["sentiv data build-text"],
            "s",
            reference=times["read workbook only"],
            reference_name="python-calamine read only",
            target=wall_goal,
            cpu_s_median=sorted(cpu["build"])[len(cpu["build"]) // 2],
            **common,
        ),
        Figure.from_samples(
            SCRIPT,
            f"build-text peak RSS, {rows:,} rows",
            rss["build"],
            "MB",
            reference=rss["read"],
            reference_name="python-calamine read only",
            target=rss_goal,
            **common,
        ),
    ]
    print_figures(figures, "sentiv data build-text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
