"""Build the ``speech`` (and ``multimodal``) configs of a SentiV dataset folder from a manifest and audio files.

The manifest (CSV, JSON Lines or XLSX) has a ``path`` column (relative to ``audio_dir``) and a ``label`` column, and
optionally ``split``, ``speaker_id`` and ``transcript``. Every audio file is decoded once with FFmpeg through
torchcodec, so a file that would break training is rejected here, with its reason, into ``DIR/speech/rejected.csv``.
The shards embed the **original** file bytes (any format, rate and channel count); the ``Audio(sampling_rate=16000,
num_channels=1)`` feature makes ``datasets`` resample and downmix at decode time.

Rejection reasons (the ``reason`` column of ``rejected.csv``, before the ``: detail``):

* ``missing audio file`` -- empty ``path`` cell or no file there;
* ``zero-length audio`` -- a 0-byte file, or a file that decodes to no samples;
* ``undecodable audio`` -- FFmpeg cannot read it (corrupt, not audio);
* ``unknown label`` / ``empty label`` -- not one of the 6 speech labels (after aliases and Disgust->Anger);
* ``duplicate path`` -- a file already listed on an earlier row (the first row is kept);
* ``unknown split`` -- a ``split`` cell that is not train / validation / test.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..labels import (
    BINARY_LABELS,
    SPEECH_LABELS,
    LabelMapper,
    UnknownLabelError,
    binary_from_multilabel,
    normalize_label_key,
    parse_label_aliases,
)
from .rejects import BuildSummary, RejectedRowsError, RejectLog
from .splits import SPLIT_NAMES, assign_splits, canonical_split_name

logger = logging.getLogger(__name__)

TARGET_SAMPLING_RATE = 16000
_CPP_PREFIX = re.compile(r"^\w+, \S+:\d+, ")
REQUIRED_COLUMNS = ("path", "label")
OPTIONAL_COLUMNS = ("split", "speaker_id", "transcript")


@dataclass(frozen=True)
class AudioInfo:
    """What decoding one audio file told us.

    Args:
        duration: seconds of decoded audio.
        sample_rate: the file's own sample rate (Hz).
        num_channels: the file's own channel count.
        num_samples: decoded samples per channel.
    """

    duration: float
    sample_rate: int
    num_channels: int
    num_samples: int = 0


class AudioDecodeError(ValueError):
    """An audio file that cannot be used; ``reason`` is the rejection category, the message names the file.

    Attributes:
        path: the file.
        reason: ``missing audio file``, ``zero-length audio`` or ``undecodable audio``.
        detail: what went wrong, in words.
    """

    def __init__(self, path: str | os.PathLike, reason: str, detail: str) -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        super().__init__(f"{self.path}: {reason}: {detail}")


def probe_audio(path: str | os.PathLike) -> AudioInfo:
    """Decode an audio file completely (FFmpeg through torchcodec) and return its duration, rate and channels.

    Decoding the whole file, not just its header, is what catches truncated or corrupt files and headers that lie
    about the length (common with MP3).

    Args:
        path: the audio file (any format FFmpeg reads: WAV, FLAC, MP3, OGG, M4A, ...).

    Raises:
        AudioDecodeError: the file is missing, empty, undecodable or holds no samples; ``.reason`` says which.

    Example:
        >>> info = probe_audio("clip.wav")  # doctest: +SKIP
        >>> info.duration, info.sample_rate, info.num_channels  # doctest: +SKIP
        (2.5, 8000, 2)
    """
    from torchcodec.decoders import AudioDecoder

    path = Path(path)
    if not path.is_file():
        raise AudioDecodeError(path, "missing audio file", "no such file" if not path.exists() else "not a file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(path, "zero-length audio", "the file is empty (0 bytes)")
    try:
        decoder = AudioDecoder(str(path))
    except Exception as err:  # torchcodec raises RuntimeError/ValueError with FFmpeg's message
        raise AudioDecodeError(
            path, "undecodable audio", f"FFmpeg could not open it ({_ffmpeg_message(err)})"
        ) from err
    try:
        samples = decoder.get_all_samples()
    except Exception as err:
        message = _ffmpeg_message(err)
        if "no audio frames" in message.lower():  # a valid container holding 0 frames
            raise AudioDecodeError(path, "zero-length audio", "the file holds no audio frames") from err
        raise AudioDecodeError(path, "undecodable audio", f"FFmpeg could not decode it ({message})") from err
    num_channels, num_samples = (samples.data.shape[0], samples.data.shape[-1]) if samples.data.ndim == 2 else (1, 0)
    if num_samples == 0:
        raise AudioDecodeError(path, "zero-length audio", "the file decodes to no audio samples")
    rate = int(samples.sample_rate)
    return AudioInfo(num_samples / rate, rate, int(num_channels), int(num_samples))


def _ffmpeg_message(err: Exception) -> str:
    # torchcodec prefixes FFmpeg's message with "function, source.cpp:line, "; keep only the message.
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return _CPP_PREFIX.sub("", text)


def _probe_many(paths: Sequence[Path], max_workers: int | None = None) -> list[AudioInfo | AudioDecodeError]:
    """Probe files in a thread pool (FFmpeg decodes outside the GIL); errors are returned, not raised."""
    from tqdm.auto import tqdm

    def safe(p: Path) -> AudioInfo | AudioDecodeError:
        try:
            return probe_audio(p)
        except AudioDecodeError as err:
            return err

    workers = max_workers or min(8, 2 * (os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(safe, paths)
        return list(tqdm(results, total=len(paths), desc="Decoding audio", disable=len(paths) < 50))


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and str(value).strip() != ""


def _clean(value: object) -> str | None:
    return unicodedata.normalize("NFC", str(value)).strip() if _present(value) else None


def _resolve_columns(columns: Sequence[str], manifest: Path) -> dict[str, str]:
    by_key = {str(c).strip().casefold(): c for c in columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in by_key]
    if missing:
        raise ValueError(
            f"Manifest {manifest} lacks the required column(s) {missing}; it has {list(columns)}. "
            f"A speech manifest needs {list(REQUIRED_COLUMNS)} (optional: {list(OPTIONAL_COLUMNS)}); rename the "
            "columns in the file."
        )
    return {c: by_key[c] for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in by_key}


class _MultiLabelNames:
    """Canonical spellings of free-form hotline label names: aliases first, then case/whitespace-insensitive
    matching; each name is spelled as it most often appears in the manifest (ties: the first spelling seen)."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = dict(aliases)
        self.spellings: dict[str, Counter] = {}

    def key(self, raw: str) -> str:
        spelled = " ".join(unicodedata.normalize("NFC", raw).split())
        target = self.aliases.get(normalize_label_key(spelled), spelled)
        key = normalize_label_key(target)
        self.spellings.setdefault(key, Counter())[" ".join(target.split())] += 1
        return key

    def parse(self, cell: object) -> list[str]:
        if not _present(cell):
            return []  # no negative type: the binary label is "non-negative"
        return sorted({self.key(part) for part in str(cell).split(";") if part.strip()})

    def canonical(self) -> dict[str, str]:
        # max() keeps the first of equal counts, and Counter keeps first-seen order: ties go to the first spelling.
        return {k: max(c.items(), key=lambda kv: kv[1])[0] for k, c in self.spellings.items()}


@dataclass
class _Row:
    row: int
    raw: dict
    path: Path
    label: str | list[str]
    speaker_id: str | None
    transcript: str | None
    split: str | None
    info: AudioInfo | None = None


def _speech_features(multi_label: bool, names: Sequence[str]):
    from datasets import Audio, ClassLabel, Features, Value
    from datasets import Sequence as SequenceFeature

    audio = Audio(sampling_rate=TARGET_SAMPLING_RATE, num_channels=1)
    columns: dict[str, object] = {"id": Value("string"), "audio": audio}
    if multi_label:
        columns["labels"] = SequenceFeature(ClassLabel(names=list(names)))
        columns["binary_label"] = ClassLabel(names=list(BINARY_LABELS))
    else:
        columns["label"] = ClassLabel(names=list(SPEECH_LABELS))
    columns.update({"duration": Value("float32"), "speaker_id": Value("string"), "transcript": Value("string")})
    return Features(columns)


def _multimodal_features():
    from datasets import Audio, ClassLabel, Features, Value

    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "audio": Audio(sampling_rate=TARGET_SAMPLING_RATE, num_channels=1),
            "label": ClassLabel(names=list(SPEECH_LABELS)),
            "speaker_id": Value("string"),
            "duration": Value("float32"),
        }
    )


def _to_splits(records: list[dict], splits: list[str], features) -> dict[str, object]:
    from datasets import Dataset

    out = {}
    for name in SPLIT_NAMES:
        chosen = [r for r, s in zip(records, splits) if s == name]
        if not chosen:
            logger.warning("Split %r is empty (too few rows or groups); it is left out of the config.", name)
            continue
        columns = {key: [r[key] for r in chosen] for key in features}
        out[name] = Dataset.from_dict(columns, features=features, split=name)
    return out


def build_speech_dataset(
    manifest: str | os.PathLike,
    audio_dir: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    *,
    label_aliases: Mapping[str, str] | Sequence[str] | None = None,
    multi_label: bool = False,
    split_seed: int = 42,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    strict: bool = False,
    max_workers: int | None = None,
) -> list[BuildSummary]:
    """Check a speech manifest and its audio files and write the ``speech`` (+ ``multimodal``) configs.

    Args:
        manifest: CSV / JSON Lines / XLSX with ``path`` and ``label`` (+ optional ``split``, ``speaker_id``,
            ``transcript``); column names match case-insensitively.
        audio_dir: the folder ``path`` is relative to (absolute paths are used as they are); ``None`` means the
            manifest's folder.
        out_dir: the dataset folder (shared with the other configs and its card).
        label_aliases: ``{"Other": "Neutral"}`` or ``["Other=Neutral"]`` specs.
        multi_label: the hotline layout: ``label`` holds ``;``-separated names taken from the data (not mapped to
            the SentiV labels); features ``labels: Sequence(ClassLabel(sorted names))`` and ``binary_label``. An
            empty cell is a row with no negative type (``non-negative``). No ``multimodal`` config is written.
        split_seed: seed of the generated split when the manifest has no ``split`` column.
        fractions: train / validation / test shares of the generated split; it is stratified (on the label, or on
            the binary label in multi-label mode) and speaker-disjoint when ``speaker_id`` is given.
        strict: raise on any rejection (``rejected.csv`` is still written) instead of dropping the row.
        max_workers: threads used to decode the files.

    Returns:
        The `BuildSummary` of ``speech``, then that of ``multimodal`` when rows with transcripts exist;
        ``str(summary)`` is the report to print (``sentiv data build-speech`` prints it; here it is only logged).

    Raises:
        DataFileError: the manifest is missing or unreadable.
        ValueError: a required column is missing (the message lists the columns found) or no row survives.
        RejectedRowsError: ``strict`` and something was rejected (a ``ValueError``).

    Example:
        >>> summaries = build_speech_dataset("label/manifest.csv", "VietSpeech/", "sentiv-data")  # doctest: +SKIP
        >>> print(summaries[0])  # doctest: +SKIP
        speech: 300 input rows -> 297 accepted, 3 rejected
    """
    from .hub import write_config
    from .tables import read_table

    manifest = Path(manifest)
    out_dir = Path(out_dir)
    audio_root = Path(audio_dir) if audio_dir is not None else manifest.parent
    table = read_table(manifest)
    cols = _resolve_columns(list(table.columns), manifest)
    if "split" in cols and not any(_present(v) for v in table[cols["split"]]):
        logger.warning("The manifest's split column is empty everywhere; generating a split instead.")
        del cols["split"]
    aliases = parse_label_aliases(label_aliases)
    mapper = LabelMapper.for_space("speech", aliases) if not multi_label else None
    ml_names = _MultiLabelNames(aliases) if multi_label else None

    # Every rejection is kept with its transcript flag so that the multimodal config gets its own report.
    rejects: list[tuple[int, str, dict, str, bool]] = []
    rows: list[_Row] = []
    seen_paths: dict[str, int] = {}
    records = table.to_dict(orient="records")
    for i, raw in enumerate(records):
        row_no = i + 1  # 1-based data row of the manifest (the header is not counted)
        raw = {str(k): v for k, v in raw.items()}
        transcript = _clean(raw.get(cols.get("transcript", ""), None))
        has_text = transcript is not None

        def reject(reason: str, detail: str, raw=raw, row_no=row_no, has_text=has_text) -> None:
            rejects.append((row_no, reason, raw, detail, has_text))

        path_cell = _clean(raw[cols["path"]])
        if path_cell is None:
            reject("missing audio file", "the path cell is empty")
            continue
        path = Path(path_cell)
        path = path if path.is_absolute() else audio_root / path
        label_cell = raw[cols["label"]]
        if multi_label:
            label: str | list[str] = ml_names.parse(label_cell)
        else:
            try:
                label = mapper(label_cell)
            except UnknownLabelError as err:
                reject("empty label" if not _present(label_cell) else "unknown label", str(err))
                continue
        split = None
        if "split" in cols:
            split = canonical_split_name(raw[cols["split"]]) if _present(raw[cols["split"]]) else None
            if split is None:
                reject("unknown split", f"split {raw[cols['split']]!r} is not one of {list(SPLIT_NAMES)}")
                continue
        key = os.path.normcase(os.path.abspath(path))
        if key in seen_paths:
            reject("duplicate path", f"{path_cell} is already listed on row {seen_paths[key]}")
            continue
        seen_paths[key] = row_no
        speaker = _clean(raw.get(cols.get("speaker_id", ""), None))
        rows.append(_Row(row_no, raw, path, label, speaker, transcript, split))

    kept: list[_Row] = []
    for row, result in zip(rows, _probe_many([r.path for r in rows], max_workers)):
        if isinstance(result, AudioDecodeError):
            rejects.append(
                (row.row, result.reason, row.raw, f"{result.path}: {result.detail}", row.transcript is not None)
            )
        else:
            row.info = result
            kept.append(row)
    rejects.sort(key=lambda r: r[0])

    speech_log = RejectLog(str(manifest))
    for row_no, reason, raw, detail, _ in rejects:
        speech_log.add(row_no, reason, raw, detail=detail)
    rejects_path = speech_log.write_csv(out_dir / "speech" / "rejected.csv")
    if strict and rejects:
        raise RejectedRowsError(
            f"--strict: {len(rejects)} of {len(records)} manifest rows were rejected "
            f"({speech_log.counts_by_reason()}); see {rejects_path}. Fix them or drop --strict."
        )
    if not kept:
        raise ValueError(f"No usable row in {manifest}: all {len(records)} were rejected; see {rejects_path}.")

    if multi_label:
        canonical = ml_names.canonical()
        # Names come from the accepted rows only: a name seen only on rejected rows would be an empty class.
        names = sorted({canonical[k] for r in kept for k in r.label})
        for row in kept:
            row.label = sorted({canonical[k] for k in row.label}, key=names.index)
        strat = [binary_from_multilabel(r.label) for r in kept]
    else:
        names = list(SPEECH_LABELS)
        strat = [r.label for r in kept]

    if "split" in cols:
        splits = [r.split for r in kept]
        _warn_speaker_overlap(kept, splits)
    else:
        speakers = [r.speaker_id for r in kept]
        groups = speakers if any(s is not None for s in speakers) else None
        splits = assign_splits(strat, groups=groups, fractions=fractions, seed=split_seed)

    speech_records = []
    for row in kept:
        rec = {
            "id": f"speech-{row.row:06d}",
            "audio": str(row.path.resolve()),  # write_config embeds the original bytes (as basename + bytes)
            "duration": row.info.duration,
            "speaker_id": row.speaker_id,
            "transcript": row.transcript,
        }
        if multi_label:
            rec["labels"] = list(row.label)
            rec["binary_label"] = binary_from_multilabel(row.label)
        else:
            rec["label"] = row.label
        speech_records.append(rec)

    features = _speech_features(multi_label, names)
    description = (
        f"Speech clips with {'multi-label hotline labels' if multi_label else 'the 6 SentiV speech labels'}, "
        f"built from `{manifest.name}` by `sentiv data build-speech`. Audio keeps the original file bytes; "
        "`datasets` decodes it to 16 kHz mono."
    )
    write_config(out_dir, "speech", _to_splits(speech_records, splits, features), description=description)
    label_counts = Counter(n for r in kept for n in ([r.label] if isinstance(r.label, str) else r.label))
    summaries = [_summary("speech", speech_log, splits, label_counts, names, rejects_path)]

    with_text = [i for i, r in enumerate(kept) if r.transcript is not None]
    if multi_label and with_text:
        logger.info("Multi-label mode: the multimodal config is not written (it uses the 6 SentiV labels).")
    elif with_text:
        summaries.append(_write_multimodal(out_dir, manifest, speech_records, splits, with_text, rejects))

    for summary in summaries:
        # The CLI prints the summaries; logging here keeps library calls quiet and avoids printing them twice.
        logger.info("%s", summary)
    return summaries


def _warn_speaker_overlap(rows: Sequence[_Row], splits: Sequence[str]) -> None:
    by_speaker: dict[str, set[str]] = {}
    for row, split in zip(rows, splits):
        if row.speaker_id is not None:
            by_speaker.setdefault(row.speaker_id, set()).add(split)
    shared = sorted(s for s, v in by_speaker.items() if len(v) > 1)
    if shared:
        logger.warning(
            "The manifest's split column puts %d speaker(s) in more than one split (e.g. %s); results will not be "
            "speaker-independent.",
            len(shared),
            shared[:5],
        )


def _summary(
    config: str,
    log: RejectLog,
    splits: Sequence[str],
    label_counts: Mapping[str, int],
    names: Sequence[str],
    rejects_path: Path,
) -> BuildSummary:
    # Every input row is either accepted (it has a split) or in the log.
    return BuildSummary(
        config,
        len(splits) + len(log),
        len(splits),
        len(log),
        log.counts_by_reason(),
        {s: splits.count(s) for s in SPLIT_NAMES if s in splits},
        rejects_path,
        {n: label_counts[n] for n in names if label_counts.get(n)},
    )


def _write_multimodal(
    out_dir: Path,
    manifest: Path,
    speech_records: Sequence[dict],
    splits: Sequence[str],
    with_text: Sequence[int],
    rejects: Sequence[tuple[int, str, dict, str, bool]],
) -> BuildSummary:
    from .hub import write_config

    log = RejectLog(str(manifest))
    for row_no, reason, raw, detail, has_text in rejects:
        if has_text:
            log.add(row_no, reason, raw, detail=detail)
    rejects_path = log.write_csv(out_dir / "multimodal" / "rejected.csv")
    # The speech records already hold id, audio, label, speaker and duration; _to_splits keeps only the feature keys.
    records = [{**speech_records[i], "text": speech_records[i]["transcript"]} for i in with_text]
    mm_splits = [splits[i] for i in with_text]
    description = (
        "Speech clips that have a transcript, with the transcript as `text` (NFC) and the 6 SentiV speech labels; "
        "ids and splits are those of the `speech` config."
    )
    write_config(
        out_dir, "multimodal", _to_splits(records, mm_splits, _multimodal_features()), description=description
    )
    counts = Counter(r["label"] for r in records)
    return _summary("multimodal", log, mm_splits, counts, SPEECH_LABELS, rejects_path)


__all__ = ["AudioDecodeError", "AudioInfo", "build_speech_dataset", "probe_audio"]
