"""Peak memory and wall time of ``sentiv predict-call`` against the length of the call: memory must stay flat.

``sentiv predict-call`` streams a recording window by window (decode, encode, keep only the scores), so its peak RSS
should not grow with the call. This script writes synthetic calls (16 kHz mono 16-bit WAV: a tone whose pitch and
loudness drift, plus noise) of ``--minutes`` (default 2, 10 and 30 minutes), saves a tiny HuBERT-style speech
checkpoint (`sentiv_hf.models.tiny`), and runs ``sentiv predict-call CALL.wav --model CKPT`` on each call as its own
process, the lengths interleaved over the repetitions (`_common.interleaved`). Each child is reaped with
``os.wait4``, which gives that process's own peak RSS.

Figures: wall time and peak RSS per call length, and the peak RSS of the longest call over that of the shortest
(target: <= 1.2, i.e. flat), paired per repetition; and the wall time per minute of audio, longest over shortest
(linear time gives about 1, less when start-up dominates the short call; no target). ``--quick`` uses calls of 0.5,
1 and 2 minutes (a smoke test: no target).

Usage:
    python bench/predict_call_memory.py [--minutes 2,10,30] [--reps 5] [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import WORK, Figure, Target, bench_parser, checked_reps, interleaved, offline_env, print_figures

SCRIPT = "predict_call_memory"
RATE = 16000
FOLDER = WORK / "predict_call"


def write_call(path: Path, minutes: float, seed: int = 0) -> Path:
    """A synthetic call of ``minutes``, written a minute at a time (the writer itself stays small)."""
    import soundfile as sf

    if path.exists() and sf.info(str(path)).frames == int(minutes * 60 * RATE):
        return path
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * RATE)
    with sf.SoundFile(str(path), "w", samplerate=RATE, channels=1, subtype="PCM_16") as out:
        for first in range(0, total, 60 * RATE):
            t = np.arange(first, min(total, first + 60 * RATE)) / RATE
            tone = np.sin(2 * np.pi * (200 + 120 * np.sin(t / 23)) * t) * (0.6 + 0.5 * np.sin(t / 41))
            out.write((0.3 * tone + 0.05 * rng.standard_normal(t.size)).astype(np.float32))
    return path


def save_checkpoint(folder: Path) -> Path:
    from sentiv_hf.models.tiny import tiny_speech_feature_extractor, tiny_speech_model

    if not (folder / "config.json").is_file():
        tiny_speech_model(num_labels=6).save_pretrained(folder)
        tiny_speech_feature_extractor().save_pretrained(folder)
    return folder


def sentiv_command() -> list[str]:
    script = Path(sys.executable).with_name("sentiv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentiv_hf.cli"]


def run_leg(argv: list[str], log: Path, usage: dict[str, list[float]]):
    """A leg: ``argv`` as its own process; records its wall time (s) and peak RSS (MB) in ``usage``."""

    def leg() -> float:
        started = time.perf_counter()
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.Popen(argv, env=offline_env(), stdout=out, stderr=subprocess.STDOUT)
            _, status, rusage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{log.read_text(encoding='utf-8')[-4000:]}")
        usage.setdefault("peak_rss_mb", []).append(rusage.ru_maxrss / 1024)  # KiB on Linux
        usage.setdefault("wall_s", []).append(seconds)
        return seconds

    return leg


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--minutes", default="2,10,30", help="call lengths in minutes, comma-separated")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    minutes = [0.5, 1.0, 2.0] if args.quick else sorted(float(m) for m in args.minutes.split(","))
    FOLDER.mkdir(parents=True, exist_ok=True)
    checkpoint = save_checkpoint(FOLDER / "tiny-speech")
    legs, usage = {}, {}
    for length in minutes:
        name = f"{length:g} min"
        call = write_call(FOLDER / f"call-{length:g}min.wav", length)
        usage[name] = {}
        command = [*sentiv_command(), "predict-call", str(call), "--model", str(checkpoint)]
        command += ["--output_dir", str(FOLDER / "out")]
        legs[name] = run_leg(command, FOLDER / f"call-{length:g}min.log", usage[name])
    print(f"calls of {', '.join(legs)}; each leg is one `sentiv predict-call` process; {reps} reps")
    interleaved(legs, reps)
    # The warm-up sample of each leg is dropped, as its time was.
    rss = {name: values["peak_rss_mb"][1:] for name, values in usage.items()}
    wall = {name: values["wall_s"][1:] for name, values in usage.items()}
    shortest, longest = next(iter(legs)), list(legs)[-1]
    figures = []
    for (name, values), length in zip(rss.items(), minutes):
        figures.append(Figure.from_samples(SCRIPT, f"predict-call peak RSS, {name} call", values, "MB"))
        figures.append(
            Figure.from_samples(SCRIPT, f"predict-call wall time, {name} call", wall[name], "s", audio_minutes=length)
        )
    figures.append(
        Figure.from_samples(
            SCRIPT,
            f"predict-call peak RSS, {longest} vs {shortest} call",
            rss[longest],
            "MB",
            reference=rss[shortest],
            reference_name=f"{shortest} call",
            target=None if args.quick else Target("ratio", "<=", 1.2),
        )
    )
    figures.append(
        Figure.from_samples(
            SCRIPT,
            f"predict-call wall time per audio minute, {longest} vs {shortest} call",
            [w / minutes[-1] for w in wall[longest]],
            "s/min",
            reference=[w / minutes[0] for w in wall[shortest]],
            reference_name=f"{shortest} call",
        )
    )
    print_figures(figures, "sentiv predict-call: memory and time against call length (tiny model)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
