"""Try bad inputs and faults against the ``sentiv`` commands and pipelines, and print what happened to each.

Every case runs the real command in its own process (``python -m sentiv_hf.cli ...``, offline) on files written
here: tables with bad rows, broken audio files, tampered submissions, checkpoints with a leaked token, and so on.
Each outcome is sorted into one column of the summary:

* **clear error**: a non-zero exit with one line that contains the expected words (the file, row or field and the
  fix), and no traceback;
* **handled**: a run that had to succeed did, and its output passed the case's check (e.g. the rejected rows are
  reported and accepted + rejected = input);
* **unclear error**: a non-zero exit without a traceback, but several lines or without the expected words;
* **traceback**: a Python traceback reached the user;
* **silent wrong**: exit 0 where an error was due, or an output that fails its check (a NaN in the JSON, a token on
  disk, a one-class task scored without a warning);
* **rows lost**: a build whose accepted + rejected rows differ from its input.

The last three must be 0. The table lists each case, then the totals.

Usage:
    python bench/faults.py [--only SUBSTRING] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "sentiv_hf" / "data" / "demo"
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
FAKE_TOKEN = "hf_FaultSuiteToken0123456789abcdef"
_PROGRESS = re.compile(r"^.*?\d+%\|[^|]*\|[^\]]*\]")
COLUMNS = ("clear error", "handled", "unclear error", "traceback", "silent wrong", "rows lost")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        """stderr lines that are not log records (warnings and info lines start with a level or a timestamp)."""
        # Log records, Python warnings (a "/path: UserWarning" line and its indented source line), progress bars.
        noise = ("WARNING", "INFO", "DEBUG", "[", "20", "  ", "/")
        # Progress bars (transformers' "Loading weights: 40%|####| 20/51 [00:01<00:02, 9.1it/s]") are not error lines.
        lines = [_PROGRESS.sub("", line) for line in self.stderr.replace("\r", "\n").splitlines()]
        return [line for line in lines if line.strip() and not line.startswith(noise)]


@dataclass
class Case:
    """One bad input or fault.

    Args:
        name: what is tried.
        argv: the ``sentiv`` arguments (or ``["-c", CODE]`` for a Python snippet, run with ``python``).
        fail: True when the right outcome is an error; False when the command must succeed.
        words: fragments the error line (``fail``) or the output (not ``fail``) must contain.
        check: returns ``(column, why)`` when the result (or what it left on disk) is wrong, else None; runs after
            successful runs and after clear errors (e.g. "the previous folder still loads").
        report: the error is a multi-line reject report (``sentiv submit``) rather than one line.
        env: extra environment variables (None removes one).
        before: called before the command (e.g. to take a lock); returns a cleanup callable or None.
    """

    name: str
    argv: list[str]
    fail: bool = True
    words: tuple[str, ...] = ()
    check: Callable[[Result], tuple[str, str] | None] | None = None
    env: dict[str, str | None] = field(default_factory=dict)
    report: bool = False
    before: Callable[[], Callable[[], None] | None] | None = None


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(argv: list[str], env: dict[str, str | None] | None = None, timeout: float = 600) -> Result:
    """Run ``sentiv ARGV`` (``python -c CODE`` when ARGV starts with ``-c``, ``-m MODULE ...`` likewise)."""
    python_flags = argv[:1] in (["-c"], ["-m"])
    command = [sys.executable, *argv] if python_flags else [sys.executable, "-m", "sentiv_hf.cli", *argv]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={k: v for k, v in {**os.environ, **OFFLINE, **(env or {})}.items() if v is not None},
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def classify(case: Case, result: Result) -> tuple[str, str]:
    """The column of ``result`` and a short note."""
    text = result.stdout + result.stderr
    if "Traceback (most recent call last)" in text:
        last = [line for line in result.stderr.splitlines() if line.strip()][-1:] or [""]
        return "traceback", last[0][:110]
    if case.fail:
        if result.code == 0:
            return "silent wrong", "exit 0 where an error was due"
        lines = result.error_lines if not case.report else (result.stdout + result.stderr).splitlines()
        one_line = len(lines) == 1 or (case.report and lines)
        found = all(word.lower() in " ".join(lines).lower() for word in case.words)
        note = (lines[0] if lines else result.stderr.strip()[:110])[:110]
        if not (one_line and found):
            return "unclear error", note
        if case.check is not None and (problem := case.check(result)) is not None:
            return problem
        return "clear error", note
    if result.code != 0:
        return "unclear error", (result.error_lines or [result.stderr.strip()])[0][:110]
    if case.check is not None and (problem := case.check(result)) is not None:
        return problem
    missing = [word for word in case.words if word.lower() not in text.lower()]
    if missing:
        return "silent wrong", f"output lacks {missing}"
    return "handled", (result.stdout.strip().splitlines() or [""])[-1][:110]


# ---------------------------------------------------------------------------------------------------------------
# Files


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, channels: int = 1) -> Path:
    """A 16-bit PCM WAV."""
    data = np.clip(samples, -1, 1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((data * 32767).astype("<i2").tobytes())
    return path


def write_float_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """A 32-bit IEEE-float WAV (format 3), the only WAV that can hold NaN."""
    payload = samples.astype("<f4").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(payload)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, rate, rate * 4, 4, 32)
    path.write_bytes(header + b"data" + struct.pack("<I", len(payload)) + payload)
    return path


def write_truncated_wav(path: Path, claimed_seconds: float = 1.5, kept_bytes: int = 1000) -> Path:
    """A WAV whose header claims ``claimed_seconds`` of 16-bit 16 kHz audio but holds ``kept_bytes`` of it."""
    claimed = int(claimed_seconds * 16000) * 2
    header = b"RIFF" + struct.pack("<I", 36 + claimed) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    noise = (np.random.default_rng(0).normal(0, 0.1, kept_bytes // 2) * 32767).astype("<i2").tobytes()
    path.write_bytes(header + b"data" + struct.pack("<I", claimed) + noise)
    return path


def tone(seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def prepare(work: Path) -> dict[str, Any]:
    """Write every input the cases use; returns named paths (and row counts)."""
    import pandas as pd

    paths: dict[str, Any] = {"work": work}
    # A text table: demo sentences plus one row of each bad kind.
    good = pd.read_parquet(DEMO / "text" / "train-00000-of-00001.parquet")
    names = ["Anger", "Disgust", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise"]
    rows = [{"text": t, "label": names[i]} for t, i in zip(good.text[:140], good.label[:140], strict=True)]
    first = rows[0]["text"]
    bad = [
        {"text": "", "label": "Anger"},
        {"text": "   ", "label": "Anger"},
        {"text": "\u200b", "label": "Fear"},
        {"text": None, "label": "Fear"},
        {"text": "Một câu bình thường nhưng nhãn lạ", "label": "Happyish"},
        {"text": first, "label": rows[0]["label"]},  # exact duplicate
        {"text": first.replace(" ", "  ", 1), "label": rows[0]["label"]},  # duplicate up to inner whitespace
        {"text": first + " ", "label": "Surprise" if rows[0]["label"] != "Surprise" else "Fear"},  # conflict
        {"text": unicodedata.normalize("NFD", rows[1]["text"]), "label": rows[1]["label"]},  # NFD duplicate
    ]
    table = pd.DataFrame(rows + bad)
    paths["texts"] = work / "texts.csv"
    table.to_csv(paths["texts"], index=False)
    paths["texts_rows"] = len(table)
    pd.DataFrame({"body": ["a"], "tag": ["Anger"]}).to_csv(work / "wrong_columns.csv", index=False)
    paths["wrong_columns"] = work / "wrong_columns.csv"

    # Audio: demo clips, then broken ones.
    audio = work / "audio"
    audio.mkdir()
    speech = pd.read_parquet(DEMO / "speech" / "train-00000-of-00001.parquet")
    labels6 = ["Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise"]
    manifest = []
    for i in range(36):
        name = f"clip{i:03d}.wav"
        (audio / name).write_bytes(speech.audio[i]["bytes"])
        manifest.append({"path": name, "label": labels6[int(speech.label[i])], "speaker_id": speech.speaker_id[i]})
    paths["clip"] = audio / "clip000.wav"
    write_float_wav(audio / "nan.wav", np.full(16000, np.nan, dtype=np.float32))
    write_truncated_wav(audio / "truncated.wav")
    write_wav(audio / "one_sample.wav", np.array([0.1]))
    write_wav(audio / "hundred.wav", tone(100 / 16000))
    (audio / "empty.wav").write_bytes(b"")
    (audio / "corrupt.wav").write_bytes(os.urandom(4000))
    stereo = np.stack([tone(1.0, 8000), tone(1.0, 8000)], axis=1).reshape(-1)
    write_wav(audio / "stereo8k.wav", stereo, rate=8000, channels=2)
    nfd_name = unicodedata.normalize("NFD", "giọng nói.wav")
    write_wav(audio / nfd_name, tone(1.0))
    for codec, suffix in (("flac", "flac"), ("libmp3lame", "mp3")):
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(audio / "clip001.wav"),
                "-ar",
                "44100",
                "-c:a",
                codec,
                str(audio / f"clip001_44k.{suffix}"),
            ],
            check=True,
        )
    outside = work / "outside.wav"
    write_wav(outside, tone(1.0))
    paths["nan_wav"], paths["one_wav"], paths["hundred_wav"] = (
        audio / "nan.wav",
        audio / "one_sample.wav",
        audio / "hundred.wav",
    )
    extra = [
        {"path": "nan.wav", "label": "Anger", "speaker_id": "x1"},
        {"path": "truncated.wav", "label": "Anger", "speaker_id": "x1"},
        {"path": "one_sample.wav", "label": "Fear", "speaker_id": "x1"},
        {"path": "hundred.wav", "label": "Fear", "speaker_id": "x1"},
        {"path": "empty.wav", "label": "Neutral", "speaker_id": "x1"},
        {"path": "corrupt.wav", "label": "Neutral", "speaker_id": "x1"},
        {"path": "missing.wav", "label": "Neutral", "speaker_id": "x1"},
        {"path": str(outside), "label": "Sadness", "speaker_id": "x2"},
        {"path": "../outside.wav", "label": "Sadness", "speaker_id": "x2"},
        {
            "path": "clip000.wav",
            "label": "Surprise" if manifest[0]["label"] != "Surprise" else "Fear",
            "speaker_id": "x2",
        },
        {"path": "stereo8k.wav", "label": "Enjoyment", "speaker_id": "x3"},
        {"path": "clip001_44k.flac", "label": "Enjoyment", "speaker_id": "x3"},
        {"path": "clip001_44k.mp3", "label": "Enjoyment", "speaker_id": "x3"},
        {"path": unicodedata.normalize("NFC", nfd_name), "label": "Neutral", "speaker_id": "x3"},
    ]
    paths["manifest"] = work / "manifest.csv"
    pd.DataFrame(manifest + extra).to_csv(paths["manifest"], index=False)
    paths["manifest_rows"] = len(manifest) + len(extra)
    paths["audio"] = audio

    # A hotline manifest whose fine-grained labels are not SentiV emotions.
    hotline = [
        {
            "path": row["path"],
            "label": ["Thanks", "Inquiry", "Complaint;Despair", "Despair"][i % 4],
            "speaker_id": f"caller{i % 6}",
        }
        for i, row in enumerate(manifest)
    ]
    paths["hotline"] = work / "hotline.csv"
    pd.DataFrame(hotline).to_csv(paths["hotline"], index=False)

    paths["not_a_dir"] = work / "a-file.txt"
    paths["not_a_dir"].write_text("not a folder")
    return paths


# ---------------------------------------------------------------------------------------------------------------
# Checks


def build_check(folder: Path, config: str, rows: int, expect_rejected: int | None = None):
    """accepted + rejected = input, and (when given) the number of rejected rows."""

    def check(result: Result) -> tuple[str, str] | None:
        import pandas as pd

        accepted = sum(len(pd.read_parquet(p)) for p in (folder / config).glob("*.parquet"))
        rejects = folder / config / "rejected.csv"
        rejected = len(pd.read_csv(rejects)) if rejects.exists() else 0
        if accepted + rejected != rows:
            return "rows lost", f"{accepted} accepted + {rejected} rejected != {rows} input rows"
        if expect_rejected is not None and rejected != expect_rejected:
            return "silent wrong", f"{rejected} rows rejected, expected {expect_rejected}"
        return None

    return check


def no_token_on_disk(folder: Path):
    def check(result: Result) -> tuple[str, str] | None:
        if FAKE_TOKEN in result.stdout + result.stderr:
            return "silent wrong", "token printed"
        for path in folder.rglob("*"):
            if path.is_file() and FAKE_TOKEN.encode() in path.read_bytes():
                return "silent wrong", f"token written to {path.relative_to(folder)}"
        return None

    return check


def valid_json_lines(result: Result) -> tuple[str, str] | None:
    for line in result.stdout.splitlines():
        try:
            json.loads(line, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        except ValueError as error:
            return "silent wrong", f"invalid JSON line ({error})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=None, help="run only the cases whose name contains this")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it (default: a temp folder)")
    args = parser.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sentiv-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run_all(work, args.only)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run_all(work: Path, only: str | None) -> int:
    p = prepare(work)
    endpoint, stop_server = echo_server()
    p["endpoint"] = endpoint
    try:
        return run_cases(cases_for(p), only)
    finally:
        stop_server()


def run_cases(cases: Iterable[Case], only: str | None) -> int:
    """Run the cases one by one (lazily: a case may read what an earlier one wrote) and print the table."""
    outcomes: list[tuple[Case, str, str, float]] = []
    for case in cases:
        if only and only not in case.name:
            continue
        cleanup = case.before() if case.before else None
        try:
            result = run(case.argv, case.env)
        finally:
            if cleanup:
                cleanup()
        column, note = classify(case, result)
        outcomes.append((case, column, note, result.seconds))
        print(f"{column:<13} {result.seconds:6.1f}s  {case.name}: {note}", flush=True)
    print()
    print("| column | cases |")
    print("| --- | ---: |")
    for column in COLUMNS:
        print(f"| {column} | {sum(1 for _, c, _, _ in outcomes if c == column)} |")
    print(f"| **tried** | **{len(outcomes)}** |")
    bad = sum(1 for _, c, _, _ in outcomes if c in ("traceback", "silent wrong", "rows lost"))
    return 1 if bad else 0


def loads(folder: Path, config: str):
    """Check that ``load_dataset(folder, config)`` still works (a failed rebuild must leave the old folder)."""

    def check(result: Result) -> tuple[str, str] | None:
        done = run(["-c", f"import datasets; print(datasets.load_dataset({str(folder)!r}, {config!r}))"])
        if done.code != 0:
            return "silent wrong", f"the previous {config} folder no longer loads"
        return None

    return check


def pipeline_call(checkpoint: Path, value: str) -> list[str]:
    """A Python snippet: the sentiv-emotion pipeline on a bad value; ValueError is the clear error (exit 2)."""
    code = (
        "import sys, math\n"
        "import sentiv_hf\n"
        "from transformers import pipeline\n"
        "try:\n"
        f"    pipe = pipeline('sentiv-emotion', model={str(checkpoint)!r})\n"
        f"    print(pipe({value}))\n"
        "except ValueError as error:\n"
        "    print(f'ValueError: {error}', file=sys.stderr)\n"
        "    sys.exit(2)\n"
    )
    return ["-c", code]


def uar_snippet() -> list[str]:
    code = (
        "import numpy as np\n"
        "from sklearn.metrics import balanced_accuracy_score\n"
        "from sentiv_hf.metrics import compute_classification_metrics\n"
        "gold = np.array([0, 0, 1, 1, 2, 2]); pred = np.array([0, 3, 1, 1, 2, 0])\n"
        "ours = compute_classification_metrics(pred, gold, label_names=['a', 'b', 'c', 'd'])['uar']\n"
        "print('match' if abs(ours - balanced_accuracy_score(gold, pred)) < 1e-12 else f'MISMATCH {ours}')\n"
    )
    return ["-c", code]


def echo_server() -> tuple[str, Callable[[], None]]:
    """A local HTTP server that answers every request with 500 and echoes the request headers in its body."""
    import http.server
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def _echo(self) -> None:
            body = json.dumps({"error": f"Internal error for headers {dict(self.headers)}"}).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _echo

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server.shutdown


def tamper(source: Path, target: Path, edit: Callable[[dict], None]) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    edit(data)
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def args(*parts: str | Path | list[str]) -> list[str]:
    """Command-line arguments: strings are split on spaces, paths and lists (values with spaces) are kept whole.

    Example:
        >>> args("train text --output_dir", Path("out"), "--text", ["xin chào"])
        ['train', 'text', '--output_dir', 'out', '--text', 'xin chào']
    """
    out: list[str] = []
    for part in parts:
        if isinstance(part, Path):
            out.append(str(part))
        elif isinstance(part, list):
            out += part
        else:
            out += part.split()
    return out


def cases_for(p: dict[str, Any]):
    """Every case, in the order they run (later ones use what earlier ones built)."""
    work = p["work"]
    data, speech_data, hotline = work / "faults-text-data", work / "faults-speech-data", work / "faults-hotline-data"
    unused = work / "unused"

    # --- sentiv data build-text ---------------------------------------------------------------------------------
    yield Case(
        "build-text: empty, blank, zero-width, missing, unknown-label, duplicate, whitespace/NFD duplicate, conflict",
        args("data build-text", p["texts"], "--output_dir", data),
        fail=False,
        check=build_check(data, "text", p["texts_rows"]),
    )
    yield Case("build-text: wrong column names", args("data build-text", p["wrong_columns"], "--output_dir", unused),
               words=("column",))  # fmt: skip
    yield Case(
        "build-text: --strict rebuild with rejected rows keeps the previous folder",
        args("data build-text", p["texts"], "--output_dir", data, "--strict"),
        words=("rejected",),
        check=loads(data, "text"),
    )
    yield Case("build-text: --output_dir is a file",
               args("data build-text", p["texts"], "--output_dir", p["not_a_dir"]),
               words=(p["not_a_dir"].name,))  # fmt: skip
    yield Case("build-text: --output_dir below a file",
               args("data build-text", p["texts"], "--output_dir", p["not_a_dir"] / "sub"),
               words=(p["not_a_dir"].name,))  # fmt: skip
    yield Case("build-text: missing source file", args("data build-text", work / "nope.xlsx", "--output_dir", unused),
               words=("nope.xlsx",))  # fmt: skip
    yield Case("build-text: underscore spelling --text_column",
               args("data build-text", p["texts"], "--output_dir", work / "spelling", "--text_column text"),
               fail=False)  # fmt: skip

    # --- sentiv data build-speech -------------------------------------------------------------------------------
    speech = args("data build-speech", p["manifest"], "--audio_dir", p["audio"], "--output_dir")
    yield Case(
        "build-speech: NaN, truncated, 1- and 100-sample, empty, corrupt, missing, outside audio dir, conflicting "
        "labels; 8 kHz stereo WAV, 44.1 kHz FLAC and MP3, NFD file name accepted",
        [*speech, str(speech_data)],
        fail=False,
        check=build_check(speech_data, "speech", p["manifest_rows"]),
    )
    yield Case("build-speech: --allow-outside-audio-dir accepts audio outside --audio_dir",
               [*speech, str(work / "outside-ok"), "--allow-outside-audio-dir"],
               fail=False, check=build_check(work / "outside-ok", "speech", p["manifest_rows"]))  # fmt: skip
    calls = args("data build-speech", p["hotline"], "--audio_dir", p["audio"], "--multi-label --output_dir")
    yield Case("build-speech --multi-label: labels that are not SentiV emotions (one-class binary task) warn",
               [*calls, str(hotline)], fail=False, words=("negative_labels",))  # fmt: skip
    mapped = work / "hotline-mapped"
    yield Case(
        "build-speech --multi-label --negative_labels: the mapping is recorded in the card",
        [*calls, str(mapped), "--negative_labels", "Complaint,Despair"],
        fail=False,
        check=lambda r: (
            None
            if "negative_labels" in (mapped / "README.md").read_text(encoding="utf-8")
            else ("silent wrong", "the card does not record negative_labels")
        ),
    )
    yield Case("build-speech --negative_labels with an unknown label",
               [*calls, str(unused), "--negative_labels", "Nonsense"], words=("Nonsense",))  # fmt: skip

    # --- sentiv data push: a server that echoes the Authorization header ---------------------------------------
    yield Case(
        "data push: server echoes the Authorization header (HF_TOKEN must not be printed)",
        args("data push", data, "--repo_id org/faults"),
        words=("org/faults",),
        env={"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": p["endpoint"], "HF_TOKEN": FAKE_TOKEN, "HF_HUB_ETAG_TIMEOUT": "2"},
        check=no_token_on_disk(data),
    )

    # --- sentiv train -------------------------------------------------------------------------------------------
    text_ckpt, speech_ckpt, fusion_ckpt = work / "ckpt-text", work / "ckpt-speech", work / "ckpt-fusion"
    train_text = args("train text --dataset", data, "--model tiny --report_to none --save_steps 1 --output_dir")
    yield Case("train text --hub_token: the token is never written (training_args.bin, checkpoints, card)",
               [*train_text, str(text_ckpt), "--max_steps", "2", "--hub_token", FAKE_TOKEN],
               fail=False, check=no_token_on_disk(text_ckpt))  # fmt: skip
    yield Case("train speech (tiny) for the predict cases",
               args("train speech --model tiny --max_steps 1 --report_to none --output_dir", speech_ckpt),
               fail=False)  # fmt: skip
    yield Case("train fusion (tiny) for the pipeline cases",
               args("train fusion --text_model", text_ckpt, "--speech_model", speech_ckpt,
                    "--fusion average --report_to none --output_dir", fusion_ckpt),
               fail=False)  # fmt: skip
    yield Case("train text: a Hub model id while offline",
               args("train text --model org/nomodel --output_dir", unused), words=("offline",))  # fmt: skip
    yield Case("train text --push_to_hub with the Hub unreachable",
               [*train_text, str(work / "push"), "--max_steps", "1", "--push_to_hub", "--hub_model_id", "org/faults"],
               words=("org/faults",))  # fmt: skip

    def half_written_checkpoint() -> None:
        newest = max(text_ckpt.glob("checkpoint-*"), key=lambda d: int(d.name.split("-")[1]))
        broken = text_ckpt / "checkpoint-99"
        shutil.copytree(newest, broken)
        (broken / "model.safetensors").write_bytes(b"")  # killed while saving
        (broken / "trainer_state.json").unlink()

    yield Case("train --resume_from_checkpoint true after a kill during a save (half-written newest checkpoint)",
               [*train_text, str(text_ckpt), "--max_steps", "3", "--resume_from_checkpoint", "true"],
               fail=False, before=lambda: half_written_checkpoint() and None)  # fmt: skip

    def blocked_pickle() -> None:
        import torch

        shutil.rmtree(text_ckpt / "checkpoint-99", ignore_errors=True)
        newest = max(text_ckpt.glob("checkpoint-*"), key=lambda d: int(d.name.split("-")[1]))

        class Evil:
            def __reduce__(self):
                return (os.system, ("echo pwned",))

        torch.save({"python": Evil()}, newest / "rng_state.pth")  # a real torch file whose pickle runs a command

    yield Case("train --resume_from_checkpoint with a blocked pickle in the checkpoint",
               [*train_text, str(text_ckpt), "--max_steps", "5", "--resume_from_checkpoint", "true"],
               words=("rng_state.pth",), before=lambda: blocked_pickle() and None)  # fmt: skip
    ddp = work / "ddp"
    yield Case(
        "accelerate launch --config_file accelerate_configs/cpu_ddp.yaml without ACCELERATE_USE_CPU=1: one DDP run",
        args("-m accelerate.commands.launch --config_file", ROOT / "accelerate_configs" / "cpu_ddp.yaml",
             "--main_process_port", str(free_port()), "-m sentiv_hf.cli train text --model tiny --max_steps 2",
             "--report_to none --output_dir", ddp),
        fail=False,
        env={"ACCELERATE_USE_CPU": None},
        check=lambda r: None
        if "| world_size | 2 |" in (ddp / "README.md").read_text(encoding="utf-8")
        else ("silent wrong", "the processes did not train one 2-process run"),
    )  # fmt: skip

    # --- sentiv predict / pipelines -----------------------------------------------------------------------------
    for label, value in (("empty", ""), ("blank", "   "), ("zero-width space", "\u200b")):
        yield Case(f"predict: {label} text", args("predict", text_ckpt, "--text", [value]), words=("blank",))
    bad_texts = (("an int", "123"), ("NaN", "float('nan')"), ("a list", "['a', 'b']"), ("empty", "''"))
    bad_texts += (("zero-width space", "'\\u200b'"),)
    for label, value in bad_texts:
        yield Case(f"pipeline: {label} as text", pipeline_call(fusion_ckpt, f"{{'text': {value}}}"), words=("text",))
    yield Case("pipeline: a text checkpoint in the sentiv-emotion pipeline",
               pipeline_call(text_ckpt, "{'text': 'xin chào'}"), words=("text-classification",))  # fmt: skip
    for name in ("nan_wav", "one_wav", "hundred_wav"):
        yield Case(f"predict: {p[name].name}", args("predict", speech_ckpt, p[name]), words=(p[name].name,))
    yield Case("predict: a good clip prints valid JSON (no NaN)", args("predict", speech_ckpt, p["clip"]),
               fail=False, check=valid_json_lines)  # fmt: skip
    yield Case("predict: a Hub model id while offline", args("predict org/nomodel --text", ["xin chào"]),
               words=("offline",))  # fmt: skip

    # --- sentiv evaluate ----------------------------------------------------------------------------------------
    yield Case(
        "evaluate without --dataset scores the dataset the checkpoint was trained on",
        args("evaluate", text_ckpt),
        fail=False,
        words=(data.name,),
        check=lambda r: (
            None
            if (text_ckpt / f"eval-{data.name}-text-test").is_dir()
            else ("silent wrong", "the eval folder does not name the dataset")
        ),
    )
    yield Case("evaluate: a Hub model id while offline", args("evaluate org/nomodel"), words=("offline",))

    # --- sentiv benchmark ---------------------------------------------------------------------------------------
    bench = work / "bench"
    text_bench = "benchmark --tasks text --models baseline:tfidf-logreg --seeds 1 --no-progress"
    yield Case("benchmark on a dataset folder (builds the submission the next cases tamper with)",
               args(text_bench, "--budgets 0.5,1.0 --dataset", data, "--output_dir", bench), fail=False)  # fmt: skip
    yield Case("benchmark: a second dataset in the same --output_dir",
               args(text_bench, "--budgets 1.0 --output_dir", bench), words=("--output_dir",))  # fmt: skip
    yield Case("benchmark: an unknown model kind",
               args("benchmark --models nosuchkind:x --output_dir", work / "unused-bench"),
               words=("nosuchkind",))  # fmt: skip
    yield Case("benchmark: a Hub model id while offline",
               args("benchmark --tasks text --models text:org/nomodel --budgets 1.0 --seeds 1 --no-progress",
                    "--output_dir", work / "offline-bench"), words=("offline",))  # fmt: skip
    yield Case("benchmark: a mistyped Hub dataset id while offline",
               args("benchmark --tasks text --models tiny --dataset org/nodata --no-progress --output_dir",
                    work / "offline-data"), words=("org/nodata",))  # fmt: skip
    yield Case("benchmark: hotline binary on a one-class mapping warns",
               args("benchmark --tasks hotline_binary --models baseline:mfcc-logreg --budgets 1.0 --seeds 1",
                    "--no-progress --dataset", hotline, "--output_dir", work / "hotline-bench"),
               fail=False, words=("negative_labels",))  # fmt: skip

    # --- sentiv submit ------------------------------------------------------------------------------------------
    submission = bench / "submission.json"
    valid = args("submit --validate --dataset", data)
    yield Case("submit: the untouched submission validates", [*valid, str(submission)], fail=False)

    def entries(edit: Callable[[dict], None]) -> Callable[[dict], None]:
        return lambda d: [edit(entry) for entry in d["entries"]] and None

    tampered = {
        "dataset_config is an absolute path": entries(lambda e: e.update(dataset_config=str(data / "text"))),
        "dataset_config escapes with ../": entries(lambda e: e.update(dataset_config="../../x")),
        "split changed to validation": entries(lambda e: e.update(split="validation")),
        "headline_metric changed": entries(lambda e: e.update(headline_metric="accuracy")),
        "claimed_metrics deleted": entries(lambda e: [r.pop("claimed_metrics", None) for r in e.get("runs", [])]),
        "budget relabelled 100 % -> 1 % with a fake hash": entries(
            lambda e: [r.update(budget=0.01, train_ids_sha256="0" * 64) for r in e.get("runs", [])]
        ),
        "n_train inflated": entries(lambda e: [r.update(n_train=10**6) for r in e.get("runs", [])]),
    }
    for number, (label, edit) in enumerate(tampered.items()):
        path = work / f"tampered-{number}.json"
        yield Case(f"submit: {label}", [*valid, str(path)], report=True, words=("invalid",),
                   before=lambda path=path, edit=edit: tamper(submission, path, edit) and None)  # fmt: skip
    deep = work / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    yield Case("submit: JSON nested 100,000 deep", [*valid, str(deep)], words=("deep.json",))
    latin = work / "latin1.json"
    latin.write_bytes('{"model": {"id": "café"}}'.encode("latin-1"))
    yield Case("submit: not UTF-8", [*valid, str(latin)], words=("latin1.json",))
    huge = work / "huge.json"
    with open(huge, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: 1 GiB of zeros, must be refused before it is read
    yield Case("submit: a 1 GiB file is refused before reading", [*valid, str(huge)], words=("huge.json",))
    yield Case("submit --push without --dataset (push always validates)",
               args("submit", submission, "--push --repo_id org/board"), words=("--dataset",))  # fmt: skip
    yield Case("submit --push of a valid file with the Hub offline",
               [*valid, str(submission), "--push", "--repo_id", "org/board"], words=("offline",))  # fmt: skip

    # --- metrics and the command line ---------------------------------------------------------------------------
    yield Case("UAR equals balanced accuracy (a predicted class absent from gold)", uar_snippet(), fail=False,
               words=("match",))  # fmt: skip
    yield Case("sentiv --version", ["--version"], fail=False, words=("sentiv-hf",))
    yield Case("sentiv train --help", ["train", "--help"], fail=False, words=("usage: sentiv train",))


if __name__ == "__main__":
    sys.exit(main())
