"""Build the ``speech`` (and ``multimodal``) configs of a SentiV dataset folder from a manifest and audio files.

The manifest (CSV, JSON Lines or XLSX) has a ``path`` column (relative to ``audio_dir``) and a ``label`` column, and
optionally ``split``, ``speaker_id`` and ``transcript``. A path is opened as written; only when no file has that
name is its other Unicode normalisation (NFC or NFD) tried, since file systems keep either. Ids and transcripts are
NFC. Every audio file is decoded once with FFmpeg through
torchcodec, so a file that would break training is rejected here, with its reason, into ``DIR/speech/rejected.csv``.
The shards embed the **original** file bytes (any format, rate and channel count); the ``Audio(sampling_rate=16000,
num_channels=1)`` feature makes ``datasets`` resample and downmix at decode time.

Rejection reasons (the ``reason`` column of ``rejected.csv``, before the ``: detail``):

* ``missing audio file`` -- empty ``path`` cell or no file there;
* ``outside audio dir`` -- the path (symlinks and ``..`` resolved) leads out of ``audio_dir``; its bytes would be
  embedded in a dataset that may be pushed, so this needs ``allow_outside_audio_dir`` (``--allow-outside-audio-dir``);
* ``zero-length audio`` -- a 0-byte file, or a file that decodes to no samples;
* ``undecodable audio`` -- FFmpeg cannot read it (corrupt, not audio);
* ``non-finite samples`` -- it decodes to NaN or infinite samples;
* ``truncated audio`` -- a WAV file that holds far less audio than its header states (a cut-off copy);
* ``too short`` -- under `MIN_AUDIO_SAMPLES` samples at 16 kHz (25 ms), which the speech encoders cannot take;
* ``unknown label`` / ``empty label`` -- not one of the 6 speech labels (after aliases and Disgust->Anger);
* ``duplicate path`` -- a file already listed on an earlier row with the same label (the first row is kept);
* ``conflicting labels`` -- a file listed on several rows with different labels (every such row is rejected);
* ``unknown split`` -- a ``split`` cell that is not train / validation / test.

The folder is written atomically (`sentiv_hf.data.staging`): ``speech`` and ``multimodal`` are swapped in together
at the end, so a failed build leaves the previous configs and card as they were.
"""

from __future__ import annotations

import logging
import os
import re
import struct
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
from .audio import MIN_AUDIO_SAMPLES
from .rejects import BuildSummary, RejectedRowsError, RejectLog
from .splits import SPLIT_NAMES, assign_splits, canonical_split_name
from .staging import FolderStage, check_output_dir, write_failed_build_report
from .text import normalize_text

logger = logging.getLogger(__name__)

TARGET_SAMPLING_RATE = 16000
_CPP_PREFIX = re.compile(r"^\w+, \S+:\d+, ")
REQUIRED_COLUMNS = ("path", "label")
OPTIONAL_COLUMNS = ("split", "speaker_id", "transcript")
#: A WAV file whose decoded length is under this share of the length its header states was cut short.
TRUNCATION_RATIO = 0.95


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
        reason: ``missing audio file``, ``zero-length audio``, ``undecodable audio``, ``non-finite samples``,
            ``truncated audio`` or ``too short``.
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
    about the length (common with MP3). The samples must be finite, a WAV file must hold (almost) the length its
    header states, and the clip must have at least `MIN_AUDIO_SAMPLES` samples once resampled to 16 kHz.

    Args:
        path: the audio file (any format FFmpeg reads: WAV, FLAC, MP3, OGG, M4A, ...).

    Raises:
        AudioDecodeError: the file is missing, empty, undecodable, holds no or non-finite samples, is a truncated WAV
            or is too short; ``.reason`` says which.

    Example:
        >>> info = probe_audio("clip.wav")  # doctest: +SKIP
        >>> info.duration, info.sample_rate, info.num_channels  # doctest: +SKIP
        (2.5, 8000, 2)
    """
    return decode_checked(path)[1]


def decode_checked(path: str | os.PathLike):  # noqa: ANN201  (returns a torch.Tensor; torch is imported lazily)
    """Decode an audio file once with the checks of `probe_audio`, and return its samples too.

    `probe_audio` keeps only the `AudioInfo`; `sentiv_hf.data.calls` also cuts the samples into segments, so that a
    whole call is decoded once.

    Returns:
        ``(samples, info)``: a float32 ``(channels, samples)`` tensor at the file's own rate, and its `AudioInfo`.

    Raises:
        AudioDecodeError: as `probe_audio`.

    Example:
        >>> samples, info = decode_checked("call.flac")  # doctest: +SKIP
        >>> samples.shape, info.sample_rate  # doctest: +SKIP
        (torch.Size([1, 960000]), 16000)
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
    _check_samples(path, samples.data, int(num_samples), rate)
    return samples.data, AudioInfo(num_samples / rate, rate, int(num_channels), int(num_samples))


def _check_samples(path: Path, data, num_samples: int, rate: int) -> None:  # noqa: ANN001  (a torch.Tensor)
    """Reject decoded audio that would break training: NaN/inf samples, a cut-off WAV, or too few samples."""
    import torch

    bad = int((~torch.isfinite(data)).sum())
    if bad:
        raise AudioDecodeError(
            path, "non-finite samples", f"{bad} of {data.numel()} samples are NaN or infinite; re-export the file"
        )
    # FFmpeg trims a WAV's length to the bytes present, so the header's own claim is read here.
    stated = _wav_header_frames(path)
    if stated and num_samples < TRUNCATION_RATIO * stated:
        raise AudioDecodeError(
            path,
            "truncated audio",
            f"the WAV header states {stated / rate:.3f} s but the file holds {num_samples / rate:.3f} s; it was cut "
            "short (copy or export it again)",
        )
    at_16k = num_samples * TARGET_SAMPLING_RATE / rate
    if at_16k < MIN_AUDIO_SAMPLES:
        raise AudioDecodeError(
            path,
            "too short",
            f"{num_samples / rate * 1000:.2f} ms ({num_samples} samples at {rate} Hz); the speech encoders need at "
            f"least {MIN_AUDIO_SAMPLES} samples at 16 kHz ({MIN_AUDIO_SAMPLES * 1000 // TARGET_SAMPLING_RATE} ms)",
        )


def _wav_header_frames(path: Path) -> int | None:
    """The number of frames a RIFF/WAVE header states (data chunk size / block size); None when ``path`` is not a
    WAV file or its header does not say (streaming writers leave the size 0 or 0xFFFFFFFF)."""
    with path.open("rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block_align = 0
        while len(chunk := handle.read(8)) == 8:
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"fmt ":
                fmt = handle.read(size + size % 2)  # chunks are padded to an even size
                if len(fmt) < 14:
                    return None
                block_align = struct.unpack("<H", fmt[12:14])[0]
            elif chunk_id == b"data":
                return size // block_align if block_align and size not in (0, 0xFFFFFFFF) else None
            else:
                handle.seek(size + size % 2, os.SEEK_CUR)
    return None


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


def _resolve_columns(
    columns: Sequence[str],
    manifest: Path,
    required: Sequence[str] = REQUIRED_COLUMNS,
    optional: Sequence[str] = OPTIONAL_COLUMNS,
    kind: str = "A speech manifest",
    title: str = "Manifest",
) -> dict[str, str]:
    """``{wanted name: column as spelled in the file}``, matched case-insensitively; shared with build-calls."""
    by_key = {str(c).strip().casefold(): c for c in columns}
    missing = [c for c in required if c not in by_key]
    if missing:
        raise ValueError(
            f"{title} {manifest} lacks the required column(s) {missing}; it has {list(columns)}. "
            f"{kind} needs {list(required)} (optional: {list(optional)}); rename the columns in the file."
        )
    return {c: by_key[c] for c in (*required, *optional) if c in by_key}


class _MultiLabelNames:
    """Canonical spellings of free-form hotline label names: aliases first, then case/whitespace-insensitive
    matching; each name is spelled as it most often appears in the manifest (ties: the first spelling seen)."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = dict(aliases)
        self.spellings: dict[str, Counter] = {}

    def _target(self, raw: str) -> str:
        spelled = " ".join(unicodedata.normalize("NFC", raw).split())
        return " ".join(self.aliases.get(normalize_label_key(spelled), spelled).split())

    def lookup(self, raw: str) -> str:
        """The key of a name given on the command line (not counted as a spelling)."""
        return normalize_label_key(self._target(raw))

    def key(self, raw: str) -> str:
        target = self._target(raw)
        key = normalize_label_key(target)
        self.spellings.setdefault(key, Counter())[target] += 1
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
    path_cell: str = ""  # the path as the manifest spells it, for messages
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
    negative_labels: Sequence[str] | str | None = None,
    allow_outside_audio_dir: bool = False,
    split_seed: int = 42,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    strict: bool = False,
    max_workers: int | None = None,
) -> list[BuildSummary]:
    """Check a speech manifest and its audio files and write the ``speech`` (+ ``multimodal``) configs.

    Args:
        manifest: CSV / JSON Lines / XLSX with ``path`` and ``label`` (+ optional ``split``, ``speaker_id``,
            ``transcript``); column names match case-insensitively.
        audio_dir: the folder ``path`` is relative to; ``None`` means the manifest's folder. Absolute paths are used
            as they are, but every file must lie inside this folder once symlinks and ``..`` are resolved.
        out_dir: the dataset folder (shared with the other configs and its card).
        label_aliases: ``{"Other": "Neutral"}`` or ``["Other=Neutral"]`` specs.
        multi_label: the hotline layout: ``label`` holds ``;``-separated names taken from the data (not mapped to
            the SentiV labels); features ``labels: Sequence(ClassLabel(sorted names))`` and ``binary_label``. An
            empty cell is a row with no label (``non-negative``). No ``multimodal`` config is written.
        negative_labels: multi-label only: the labels that make ``binary_label`` negative (a list, or one
            comma-separated string), matched like labels (any case, aliases). By default, as in the hotline data
            whose fine-grained labels are all negative types, every label except the non-negative SentiV emotions
            (Enjoyment, Neutral, Surprise) and ``None`` is negative. The mapping used is recorded in the card's YAML
            (``negative_labels: {speech: [...]}``).
        allow_outside_audio_dir: accept files outside ``audio_dir`` (their bytes are embedded in the shards)
            instead of rejecting them as ``outside audio dir``.
        split_seed: seed of the generated split when the manifest has no ``split`` column.
        fractions: train / validation / test shares of the generated split; it is stratified (on the label, or on
            the binary label in multi-label mode) and speaker-disjoint when ``speaker_id`` is given.
        strict: raise on any rejection instead of dropping the row; the folder is left as it was and the rejected
            rows are written to ``out_dir/speech.rejected.csv``.
        max_workers: threads used to decode the files.

    Returns:
        The `BuildSummary` of ``speech``, then that of ``multimodal`` when rows with transcripts exist;
        ``str(summary)`` is the report to print (``sentiv data build-speech`` prints it; here it is only logged).
        A binary task left with one class (every row negative, or none) is a ``warning`` of the speech summary.

    Raises:
        DataFileError: the manifest is missing or unreadable.
        ValueError: a required column is missing (the message lists the columns found), ``negative_labels`` names a
            label the manifest does not have (the message lists those it has), or no row survives.
        RejectedRowsError: ``strict`` and something was rejected (a ``ValueError``).
        UserError: ``out_dir`` is a file or not writable.

    Example:
        >>> summaries = build_speech_dataset("label/manifest.csv", "VietSpeech/", "sentiv-data")  # doctest: +SKIP
        >>> print(summaries[0])  # doctest: +SKIP
        speech: 300 input rows -> 297 accepted, 3 rejected
    """
    from .hub import stage_config
    from .tables import read_table

    manifest = Path(manifest)
    out_dir = check_output_dir(out_dir)
    audio_root = Path(audio_dir) if audio_dir is not None else manifest.parent
    if negative_labels is not None and not multi_label:
        raise ValueError("--negative_labels applies to multi-label manifests only; add --multi-label or drop it.")
    table = read_table(manifest)
    cols = _resolve_columns(list(table.columns), manifest)
    if "split" in cols and not any(_present(v) for v in table[cols["split"]]):
        logger.warning("The manifest's split column is empty everywhere; generating a split instead.")
        del cols["split"]
    aliases = parse_label_aliases(label_aliases)
    mapper = LabelMapper.for_space("speech", aliases) if not multi_label else None
    ml_names = _MultiLabelNames(aliases) if multi_label else None
    inside = None if allow_outside_audio_dir else Path(os.path.realpath(audio_root))

    # Every rejection is kept with its transcript flag so that the multimodal config gets its own report.
    rejects: list[tuple[int, str, dict, str, bool]] = []
    rows: list[_Row] = []
    records = table.to_dict(orient="records")
    for i, raw in enumerate(records):
        row_no = i + 1  # 1-based data row of the manifest (the header is not counted)
        raw = {str(k): v for k, v in raw.items()}
        transcript = normalize_text(raw.get(cols.get("transcript", ""), None)) or None
        has_text = transcript is not None

        def reject(reason: str, detail: str, raw=raw, row_no=row_no, has_text=has_text) -> None:
            rejects.append((row_no, reason, raw, detail, has_text))

        path_cell = raw[cols["path"]]
        if not _present(path_cell):
            reject("missing audio file", "the path cell is empty")
            continue
        path_cell = str(path_cell).strip()  # not NFC: the file is opened by the name as written (see _locate)
        path = _locate(path_cell, audio_root)
        if inside is not None and not Path(os.path.realpath(path)).is_relative_to(inside):
            reject(
                "outside audio dir",
                f"{path_cell} resolves to {os.path.realpath(path)}, outside the audio folder {inside}; "
                "move the file into it, or pass --allow-outside-audio-dir to embed files from anywhere",
            )
            continue
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
        speaker = _clean(raw.get(cols.get("speaker_id", ""), None))
        rows.append(_Row(row_no, raw, path, label, speaker, transcript, split, path_cell))

    canonical = ml_names.canonical() if multi_label else {}
    negative_keys = _negative_keys(negative_labels, ml_names, canonical) if multi_label else None
    rows = _drop_repeated_paths(rows, rejects, canonical)

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
    # A failed build writes its report beside the configs, never into them: the previous build stays as it was.
    if strict and rejects:
        report = write_failed_build_report(speech_log, out_dir, "speech")
        raise RejectedRowsError(
            f"--strict: {len(rejects)} of {len(records)} manifest rows were rejected "
            f"({speech_log.counts_by_reason()}); see {report}. Fix them or drop --strict."
        )
    if not kept:
        report = write_failed_build_report(speech_log, out_dir, "speech")
        raise ValueError(f"No usable row in {manifest}: all {len(records)} were rejected; see {report}.")

    warnings: list[str] = []
    negative: list[str] = []
    if multi_label:
        # Names come from the accepted rows only: a name seen only on rejected rows would be an empty class.
        names = sorted({canonical[k] for r in kept for k in r.label})
        for row in kept:
            row.label = sorted({canonical[k] for k in row.label}, key=names.index)
        negative = [name for name in names if normalize_label_key(name) in negative_keys]
        strat = [binary_from_multilabel(r.label, negative=negative) for r in kept]
        warnings += _one_class_warning(strat, names, negative, negative_labels is None)
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
    for row, binary in zip(kept, strat):
        rec = {
            "id": f"speech-{row.row:06d}",
            "audio": str(row.path.resolve()),  # write_config embeds the original bytes (as basename + bytes)
            "duration": row.info.duration,
            "speaker_id": row.speaker_id,
            "transcript": row.transcript,
        }
        if multi_label:
            rec["labels"] = list(row.label)
            rec["binary_label"] = binary
        else:
            rec["label"] = row.label
        speech_records.append(rec)

    features = _speech_features(multi_label, names)
    description = (
        f"Speech clips with {'multi-label hotline labels' if multi_label else 'the 6 SentiV speech labels'}, "
        f"built from `{manifest.name}` by `sentiv data build-speech`. Audio keeps the original file bytes; "
        "`datasets` decodes it to 16 kHz mono."
    )
    if multi_label:
        description += " " + _binary_description(negative, negative_labels is None)
    rejects_path = out_dir / "speech" / "rejected.csv"
    label_counts = Counter(n for r in kept for n in ([r.label] if isinstance(r.label, str) else r.label))
    summaries = [_summary("speech", speech_log, splits, label_counts, names, rejects_path, warnings)]
    for warning in warnings:
        logger.warning("%s", warning)

    with_text = [i for i, r in enumerate(kept) if r.transcript is not None]
    with FolderStage(out_dir) as stage:
        stage_config(
            stage,
            "speech",
            _to_splits(speech_records, splits, features),
            description=description,
            rejects=speech_log,
            negative_labels=negative if multi_label else None,
        )
        if multi_label and with_text:
            logger.info("Multi-label mode: the multimodal config is not written (it uses the 6 SentiV labels).")
        elif with_text:
            summaries.append(_stage_multimodal(stage, manifest, speech_records, splits, with_text, rejects))

    for summary in summaries:
        # The CLI prints the summaries; logging here keeps library calls quiet and avoids printing them twice.
        logger.info("%s", summary)
    return summaries


def _locate(path_cell: str, audio_root: Path) -> Path:
    """The file a manifest path names: the path as written when it exists, else its NFC or NFD spelling that does.

    File systems keep names byte for byte (Linux) or decomposed (macOS), and Vietnamese diacritics come both ways,
    so a manifest written on one machine may spell a name differently from the disk of another.
    """
    candidates = [path_cell, unicodedata.normalize("NFC", path_cell), unicodedata.normalize("NFD", path_cell)]
    paths = [p if p.is_absolute() else audio_root / p for p in map(Path, dict.fromkeys(candidates))]
    return next((p for p in paths if p.exists()), paths[0])


def _drop_repeated_paths(
    rows: list[_Row], rejects: list[tuple[int, str, dict, str, bool]], canonical: Mapping[str, str]
) -> list[_Row]:
    """Rows whose file is listed once; repeats go to ``rejects``.

    A file listed again with the same label is a ``duplicate path`` (the first row is kept). A file listed with
    different labels is a ``conflicting labels`` conflict: there is no telling which label is right, so every row of
    it is rejected (as for texts), and the detail names each label with its rows.
    """
    by_file: dict[str, list[_Row]] = {}
    for row in rows:
        # The resolved path: "a.wav", "./a.wav", its absolute path and its NFC/NFD spellings are one file.
        by_file.setdefault(os.path.normcase(os.path.realpath(row.path)), []).append(row)
    dropped: set[int] = set()
    for group in by_file.values():
        if len(group) < 2:
            continue
        by_label: dict[str, list[int]] = {}
        for row in group:
            by_label.setdefault(_label_text(row.label, canonical), []).append(row.row)
        if len(by_label) > 1:
            conflict = " vs ".join(
                f"{label or '(no label)'} (row{'s' if len(nos) > 1 else ''} {', '.join(map(str, nos))})"
                for label, nos in by_label.items()
            )
            for row in group:
                detail = f"{row.path_cell} is listed with different labels: {conflict}"
                rejects.append((row.row, "conflicting labels", row.raw, detail, row.transcript is not None))
                dropped.add(row.row)
            continue
        for row in group[1:]:
            detail = f"{row.path_cell} is already listed on row {group[0].row}"
            rejects.append((row.row, "duplicate path", row.raw, detail, row.transcript is not None))
            dropped.add(row.row)
    return [row for row in rows if row.row not in dropped]


def _label_text(label: str | list[str], canonical: Mapping[str, str]) -> str:
    return label if isinstance(label, str) else ";".join(sorted(canonical.get(k, k) for k in label))


def _negative_keys(
    negative_labels: Sequence[str] | str | None, names: _MultiLabelNames, canonical: Mapping[str, str]
) -> set[str]:
    """The label keys that make ``binary_label`` negative; see `build_speech_dataset`'s ``negative_labels``."""
    if negative_labels is None:
        # The hotline default: every label but the non-negative SentiV emotions (and "None") is a negative type.
        return {k for k, name in canonical.items() if binary_from_multilabel([name]) == "negative"}
    if isinstance(negative_labels, str):
        negative_labels = negative_labels.split(",")
    wanted = {names.lookup(n): n.strip() for n in negative_labels if n.strip()}
    unknown = [n for k, n in wanted.items() if k not in canonical]
    if not wanted or unknown:
        raise ValueError(
            f"--negative_labels {', '.join(unknown) or '(empty)'}: not among the manifest's labels "
            f"{sorted(canonical.values())}; name the negative ones, comma-separated (any case)."
        )
    return set(wanted)


def _one_class_warning(binary: Sequence[str], names: Sequence[str], negative: Sequence[str], default: bool) -> list:
    """A warning when every accepted row has the same binary label: the binary task cannot be trained or scored."""
    counts = Counter(binary)
    if counts["negative"] and counts["non-negative"]:
        return []
    rule = (
        "by default every label except Enjoyment, Neutral, Surprise and None counts as negative"
        if default
        else f"--negative_labels counts {', '.join(negative)} as negative"
    )
    return [
        f"binary_label has {counts['negative']} negative and {counts['non-negative']} non-negative rows, so the "
        f"binary task has one class ({rule}); the labels are {', '.join(names)}: name the negative ones with "
        "--negative_labels A,B"
    ]


def _binary_description(negative: Sequence[str], default: bool) -> str:
    how = (
        "(the default for hotline data, whose fine-grained labels are negative types: every label except "
        "Enjoyment, Neutral, Surprise and None)"
        if default
        else "(chosen with `--negative_labels`)"
    )
    listed = ", ".join(f"`{n}`" for n in negative) or "none"
    return (
        f"`binary_label` is `negative` when a clip has any of these labels {how}: {listed}; otherwise "
        "`non-negative`. The list is also in the card's YAML as `negative_labels`."
    )


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
    warnings: Sequence[str] = (),
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
        list(warnings),
    )


def _stage_multimodal(
    stage: FolderStage,
    manifest: Path,
    speech_records: Sequence[dict],
    splits: Sequence[str],
    with_text: Sequence[int],
    rejects: Sequence[tuple[int, str, dict, str, bool]],
) -> BuildSummary:
    """Stage the ``multimodal`` config: the speech rows that have a transcript, and the rejected rows that had one."""
    from .hub import stage_config

    log = RejectLog(str(manifest))
    for row_no, reason, raw, detail, has_text in rejects:
        if has_text:
            log.add(row_no, reason, raw, detail=detail)
    # The speech records already hold id, audio, label, speaker and duration; _to_splits keeps only the feature keys.
    records = [{**speech_records[i], "text": speech_records[i]["transcript"]} for i in with_text]
    mm_splits = [splits[i] for i in with_text]
    description = (
        "Speech clips that have a transcript, with the transcript as `text` (NFC, whitespace collapsed) and the 6 "
        "SentiV speech labels; ids and splits are those of the `speech` config."
    )
    splits_by_name = _to_splits(records, mm_splits, _multimodal_features())
    stage_config(stage, "multimodal", splits_by_name, description=description, rejects=log)
    counts = Counter(r["label"] for r in records)
    rejects_path = stage.out_dir / "multimodal" / "rejected.csv"
    return _summary("multimodal", log, mm_splits, counts, SPEECH_LABELS, rejects_path)


__all__ = [
    "MIN_AUDIO_SAMPLES",
    "AudioDecodeError",
    "AudioInfo",
    "build_speech_dataset",
    "decode_checked",
    "probe_audio",
]
