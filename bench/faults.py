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
        noise = ("WARNING", "INFO", "DEBUG", "[", "20", "  warnings.warn", "/")
        return [line for line in self.stderr.splitlines() if line.strip() and not line.startswith(noise)]


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
        env: extra environment variables.
        before: called before the command (e.g. to take a lock); returns a cleanup callable or None.
    """

    name: str
    argv: list[str]
    fail: bool = True
    words: tuple[str, ...] = ()
    check: Callable[[Result], tuple[str, str] | None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    report: bool = False
    before: Callable[[], Callable[[], None] | None] | None = None


def run(argv: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> Result:
    """Run ``sentiv ARGV`` (``python -c CODE`` when ARGV starts with ``-c``, ``-m MODULE ...`` likewise)."""
    python_flags = argv[:1] in (["-c"], ["-m"])
    command = [sys.executable, *argv] if python_flags else [sys.executable, "-m", "sentiv_hf.cli", *argv]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE, **(env or {})},
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
    pd.DataFrame({"sentence": ["a"], "emotion": ["Anger"]}).to_csv(work / "wrong_columns.csv", index=False)
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
        f"pipe = pipeline('sentiv-emotion', model={str(checkpoint)!r})\n"
        "try:\n"
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


def cases_for(p: dict[str, Any]):
    """Every case, in the order they run (later ones use what earlier ones built)."""
    work = p["work"]
    data = work / "faults-text-data"
    speech_data = work / "faults-speech-data"
    hotline = work / "faults-hotline-data"
    rows = p["texts_rows"]

    # --- sentiv data build-text ---------------------------------------------------------------------------------
    yield Case(
        "build-text: empty, blank, zero-width, missing, unknown-label, duplicate, whitespace/NFD duplicate, conflict",
        ["data", "build-text", str(p["texts"]), "--output_dir", str(data)],
        fail=False,
        check=build_check(data, "text", rows, expect_rejected=None),
    )
    yield Case(
        "build-text: wrong column names",
        ["data", "build-text", str(p["wrong_columns"]), "--output_dir", str(work / "unused")],
        words=("column",),
    )
    yield Case(
        "build-text: --strict rebuild with rejected rows keeps the previous folder",
        ["data", "build-text", str(p["texts"]), "--output_dir", str(data), "--strict"],
        words=("rejected",),
        check=loads(data, "text"),
    )
    yield Case(
        "build-text: --output_dir is a file",
        ["data", "build-text", str(p["texts"]), "--output_dir", str(p["not_a_dir"])],
        words=(p["not_a_dir"].name,),
    )
    yield Case(
        "build-text: --output_dir below a file",
        ["data", "build-text", str(p["texts"]), "--output_dir", str(p["not_a_dir"] / "sub")],
        words=(p["not_a_dir"].name,),
    )
    yield Case(
        "build-text: missing source file",
        ["data", "build-text", str(work / "nope.xlsx"), "--output_dir", str(work / "unused")],
        words=("nope.xlsx",),
    )
    yield Case(
        "build-text: underscore spelling --text_column",
        ["data", "build-text", str(p["texts"]), "--output_dir", str(work / "spelling"), "--text_column", "text"],
        fail=False,
    )

    # --- sentiv data build-speech -------------------------------------------------------------------------------
    yield Case(
        "build-speech: NaN, truncated, 1- and 100-sample, empty, corrupt, missing, outside audio dir, conflicting "
        "labels; 8 kHz stereo WAV, 44.1 kHz FLAC and MP3, NFD file name accepted",
        ["data", "build-speech", str(p["manifest"]), "--audio_dir", str(p["audio"]), "--output_dir", str(speech_data)],
        fail=False,
        check=build_check(speech_data, "speech", p["manifest_rows"]),
    )
    yield Case(
        "build-speech: --allow-outside-audio-dir accepts audio outside --audio_dir",
        [
            "data",
            "build-speech",
            str(p["manifest"]),
            "--audio_dir",
            str(p["audio"]),
            "--output_dir",
            str(work / "outside-ok"),
            "--allow-outside-audio-dir",
        ],
        fail=False,
        check=build_check(work / "outside-ok", "speech", p["manifest_rows"]),
    )
    yield Case(
        "build-speech --multi-label: labels that are not SentiV emotions (one-class binary task) warn",
        [
            "data",
            "build-speech",
            str(p["hotline"]),
            "--audio_dir",
            str(p["audio"]),
            "--output_dir",
            str(hotline),
            "--multi-label",
        ],
        fail=False,
        words=("negative_labels",),
    )
    yield Case(
        "build-speech --multi-label --negative_labels: the mapping is recorded in the card",
        [
            "data",
            "build-speech",
            str(p["hotline"]),
            "--audio_dir",
            str(p["audio"]),
            "--output_dir",
            str(work / "hotline-mapped"),
            "--multi-label",
            "--negative_labels",
            "Complaint,Despair",
        ],
        fail=False,
        check=lambda r: (
            None
            if "negative_labels" in (work / "hotline-mapped" / "README.md").read_text(encoding="utf-8")
            else ("silent wrong", "the card does not record negative_labels")
        ),
    )
    yield Case(
        "build-speech --negative_labels with an unknown label",
        [
            "data",
            "build-speech",
            str(p["hotline"]),
            "--audio_dir",
            str(p["audio"]),
            "--output_dir",
            str(work / "unused"),
            "--multi-label",
            "--negative_labels",
            "Nonsense",
        ],
        words=("Nonsense",),
    )

    # --- sentiv data push: a server that echoes the Authorization header ---------------------------------------
    endpoint = p["endpoint"]
    yield Case(
        "data push: server echoes the Authorization header (HF_TOKEN must not be printed)",
        ["data", "push", str(data), "--repo_id", "org/faults"],
        words=("org/faults",),
        env={"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": endpoint, "HF_TOKEN": FAKE_TOKEN, "HF_HUB_ETAG_TIMEOUT": "2"},
        check=no_token_on_disk(data),
    )

    # --- sentiv train -------------------------------------------------------------------------------------------
    text_ckpt = work / "ckpt-text"
    yield Case(
        "train text --hub_token: the token is never written (training_args.bin, checkpoints, card)",
        [
            "train",
            "text",
            "--dataset",
            str(data),
            "--model",
            "tiny",
            "--max_steps",
            "2",
            "--save_steps",
            "1",
            "--output_dir",
            str(text_ckpt),
            "--hub_token",
            FAKE_TOKEN,
            "--report_to",
            "none",
        ],
        fail=False,
        check=no_token_on_disk(text_ckpt),
    )
    speech_ckpt = work / "ckpt-speech"
    yield Case(
        "train speech (tiny) for the predict cases",
        [
            "train",
            "speech",
            "--model",
            "tiny",
            "--max_steps",
            "1",
            "--output_dir",
            str(speech_ckpt),
            "--report_to",
            "none",
        ],
        fail=False,
    )
    yield Case(
        "train text: a Hub model id while offline",
        ["train", "text", "--model", "org/nomodel", "--output_dir", str(work / "unused")],
        words=("offline",),
    )
    yield Case(
        "train text --push_to_hub with the Hub unreachable",
        [
            "train",
            "text",
            "--dataset",
            str(data),
            "--model",
            "tiny",
            "--max_steps",
            "1",
            "--report_to",
            "none",
            "--output_dir",
            str(work / "push"),
            "--push_to_hub",
            "--hub_model_id",
            "org/faults",
        ],
        words=("org/faults",),
    )

    def half_written_checkpoint() -> None:
        newest = max(text_ckpt.glob("checkpoint-*"), key=lambda d: int(d.name.split("-")[1]))
        broken = text_ckpt / "checkpoint-99"
        shutil.copytree(newest, broken)
        (broken / "model.safetensors").write_bytes(b"")  # killed while saving
        (broken / "trainer_state.json").unlink()

    yield Case(
        "train --resume_from_checkpoint true after a kill during a save (half-written newest checkpoint)",
        [
            "train",
            "text",
            "--dataset",
            str(data),
            "--model",
            "tiny",
            "--max_steps",
            "3",
            "--save_steps",
            "1",
            "--output_dir",
            str(text_ckpt),
            "--resume_from_checkpoint",
            "true",
            "--report_to",
            "none",
        ],
        fail=False,
        before=lambda: half_written_checkpoint() and None,
    )

    def blocked_pickle() -> None:
        import pickle

        newest = max(
            (d for d in text_ckpt.glob("checkpoint-*") if d.name != "checkpoint-99"),
            key=lambda d: int(d.name.split("-")[1]),
        )
        shutil.rmtree(text_ckpt / "checkpoint-99", ignore_errors=True)

        class Evil:
            def __reduce__(self):
                return (os.system, ("echo pwned",))

        (newest / "rng_state.pth").write_bytes(pickle.dumps(Evil()))

    yield Case(
        "train --resume_from_checkpoint with a blocked pickle in the checkpoint",
        [
            "train",
            "text",
            "--dataset",
            str(data),
            "--model",
            "tiny",
            "--max_steps",
            "5",
            "--save_steps",
            "1",
            "--output_dir",
            str(text_ckpt),
            "--resume_from_checkpoint",
            "true",
            "--report_to",
            "none",
        ],
        words=("rng_state.pth",),
        before=lambda: blocked_pickle() and None,
    )
    yield Case(
        "accelerate launch, 2 CPU processes without ACCELERATE_USE_CPU=1",
        [
            "-m",
            "accelerate.commands.launch",
            "--num_processes",
            "2",
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "-m",
            "sentiv_hf.cli",
            "train",
            "text",
            "--model",
            "tiny",
            "--max_steps",
            "1",
            "--report_to",
            "none",
            "--output_dir",
            str(work / "ddp"),
        ],
        words=("ACCELERATE_USE_CPU",),
        env={"ACCELERATE_USE_CPU": ""},
    )

    # --- sentiv predict / pipelines -----------------------------------------------------------------------------
    for label, value in (("empty", ""), ("blank", "   "), ("zero-width space", "\u200b")):
        yield Case(f"predict: {label} text", ["predict", str(text_ckpt), "--text", value], words=("text",))
    for label, value in (("an int", "123"), ("NaN", "float('nan')"), ("a list inside a batch", "[['a', 'b']]")):
        yield Case(f"pipeline: {label} as text", pipeline_call(text_ckpt, value), words=("ValueError",))
    yield Case("pipeline: empty text", pipeline_call(text_ckpt, "''"), words=("ValueError",))
    for name in ("nan_wav", "one_wav", "hundred_wav"):
        yield Case(f"predict: {p[name].name}", ["predict", str(speech_ckpt), str(p[name])], words=(p[name].name,))
    yield Case(
        "predict: a good clip prints valid JSON (no NaN)",
        ["predict", str(speech_ckpt), str(p["clip"])],
        fail=False,
        check=valid_json_lines,
    )
    yield Case(
        "predict: a Hub model id while offline", ["predict", "org/nomodel", "--text", "xin chào"], words=("offline",)
    )

    # --- sentiv evaluate ----------------------------------------------------------------------------------------
    yield Case(
        "evaluate without --dataset scores the dataset the checkpoint was trained on",
        ["evaluate", str(text_ckpt)],
        fail=False,
        words=(data.name,),
        check=lambda r: (
            None
            if any(data.name in d.name for d in text_ckpt.iterdir() if d.name.startswith("eval"))
            else ("silent wrong", "the eval folder name does not name the dataset")
        ),
    )
    yield Case("evaluate: a Hub model id while offline", ["evaluate", "org/nomodel"], words=("offline",))

    # --- sentiv benchmark ---------------------------------------------------------------------------------------
    bench = work / "bench"
    yield Case(
        "benchmark on a dataset folder (builds the submission the next cases tamper with)",
        [
            "benchmark",
            "--tasks",
            "text",
            "--models",
            "baseline:tfidf-logreg",
            "--budgets",
            "0.5,1.0",
            "--seeds",
            "1",
            "--dataset",
            str(data),
            "--output_dir",
            str(bench),
            "--no-progress",
        ],
        fail=False,
    )
    yield Case(
        "benchmark: a second dataset in the same --output_dir",
        [
            "benchmark",
            "--tasks",
            "text",
            "--models",
            "baseline:tfidf-logreg",
            "--budgets",
            "1.0",
            "--seeds",
            "1",
            "--output_dir",
            str(bench),
            "--no-progress",
        ],
        words=("--output_dir",),
    )
    yield Case(
        "benchmark: an unknown model kind",
        ["benchmark", "--models", "nosuchkind:x", "--output_dir", str(work / "unused-bench")],
        words=("nosuchkind",),
    )
    yield Case(
        "benchmark: a Hub model id while offline",
        [
            "benchmark",
            "--tasks",
            "text",
            "--models",
            "text:org/nomodel",
            "--budgets",
            "1.0",
            "--seeds",
            "1",
            "--output_dir",
            str(work / "offline-bench"),
            "--no-progress",
        ],
        words=("offline",),
    )
    yield Case(
        "benchmark: a mistyped Hub dataset id while offline",
        [
            "benchmark",
            "--tasks",
            "text",
            "--models",
            "tiny",
            "--dataset",
            "org/nodata",
            "--output_dir",
            str(work / "offline-data"),
            "--no-progress",
        ],
        words=("org/nodata",),
    )
    yield Case(
        "benchmark: hotline binary on a one-class mapping warns",
        [
            "benchmark",
            "--tasks",
            "hotline_binary",
            "--models",
            "baseline:mfcc-logreg",
            "--budgets",
            "1.0",
            "--seeds",
            "1",
            "--dataset",
            str(hotline),
            "--output_dir",
            str(work / "hotline-bench"),
            "--no-progress",
        ],
        fail=False,
        words=("negative_labels",),
    )

    # --- sentiv submit ------------------------------------------------------------------------------------------
    submission = bench / "submission.json"
    valid = ["submit", "--validate", "--dataset", str(data)]
    yield Case("submit: the untouched submission validates", [*valid, str(submission)], fail=False)

    def entries(edit: Callable[[dict], None]) -> Callable[[dict], None]:
        return lambda d: [edit(entry) for entry in d["entries"]] and None

    tampered = {
        "dataset_config is an absolute path": entries(lambda e: e.update(dataset_config=str(data / "text"))),
        "dataset_config escapes with ../": entries(lambda e: e.update(dataset_config="../../x")),
        "split changed to validation": entries(lambda e: e.update(split="validation")),
        "headline_metric changed": entries(lambda e: e.update(headline_metric="accuracy")),
        "claimed_metrics deleted": entries(lambda e: e.pop("claimed_metrics", None)),
        "budget relabelled 100 % -> 1 % with a fake hash": entries(
            lambda e: [r.update(budget=0.01, train_ids_sha256="0" * 64) for r in e.get("runs", [])]
        ),
        "n_train inflated": entries(lambda e: [r.update(n_train=10**6) for r in e.get("runs", [])]),
    }
    for number, (label, edit) in enumerate(tampered.items()):
        path = work / f"tampered-{number}.json"
        yield Case(
            f"submit: {label}",
            [*valid, str(path)],
            report=True,
            words=("invalid",),
            before=lambda path=path, edit=edit: tamper(submission, path, edit) and None,
        )
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
    yield Case(
        "submit --push without --dataset (push always validates)",
        ["submit", str(submission), "--push", "--repo_id", "org/board"],
        words=("--dataset",),
    )
    yield Case(
        "submit --push of a valid file with the Hub offline",
        [*valid, str(submission), "--push", "--repo_id", "org/board"],
        words=("offline",),
    )

    # --- metrics and the command line ---------------------------------------------------------------------------
    yield Case(
        "UAR equals balanced accuracy (a predicted class absent from gold)",
        uar_snippet(),
        fail=False,
        words=("match",),
    )
    yield Case("sentiv --version", ["--version"], fail=False, words=("sentiv-hf",))
    yield Case("sentiv train --help", ["train", "--help"], fail=False, words=("usage: sentiv train",))


if __name__ == "__main__":
    sys.exit(main())
