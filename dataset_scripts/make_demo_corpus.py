"""Make the bundled demo corpus (`sentiv_hf/data/demo/`): Vietnamese text, the same text spoken by espeak-ng, and
the pairs, in the Hub-ready layout of the real SentiV release.

How the corpus is made:

* **Text**: the original sentences of `demo_sentences.py` (7 labels, social-media register).
* **Speech**: every sentence is spoken by one of twelve pseudo-speakers (espeak-ng's northern, central and southern
  Vietnamese voices x four voice variants, each with its own pitch and tempo offsets) with emotion-dependent
  prosody: base pitch (`-p`), pitch range (SSML `<prosody range>`), rate (`-s`), amplitude (`-a`), word gap (`-g`),
  plus voice-quality effects espeak-ng lacks (tremolo, spectral tilt, formant scaling). Clips are resampled to
  16 kHz mono, trimmed, mixed with seeded coloured noise at a random SNR, and written as 8-bit FLAC: that halves
  the size, so the folder stays under 10 MB although the speech and multimodal configs each embed the audio (for
  the quietest, sad clips the quantisation noise is about as loud as the added noise, like a recording noise floor).
* **Imperfect in different ways**: text-ambiguous sentences (sarcasm, plain wording) get clear emotional prosody;
  a seeded share of the clear sentences gets flattened (neutral) or mismatched prosody, so that the words tell the
  label and the voice does not. Anger and Disgust prosody overlap on purpose: they merge in the 6-label space.
  `ambiguity.csv` in the output lists, per clip, the prosody used and which modality is ambiguous.

The script writes the raw release-like files (`train.csv` with text/label/split, `label/manifest.csv` with
path/label/speaker_id/transcript/split and the FLAC files) to a temporary folder and then runs the package's own
builders, `build_text_dataset` and `build_speech_dataset`, so the demo goes through exactly the user's path. The
`split` column is one speaker-disjoint split shared by all configs. Output is deterministic for a given `--seed`.
Only maintainers need espeak-ng; users get the committed folder.

* **Calls**: the speech clips of each pseudo-speaker (the caller) are joined with pauses into synthetic hotline
  calls of emotional episodes, labelled with fine-grained types, and cut by `sentiv data build-calls` into the
  `calls` config (4 s segments); `--calls-only` rebuilds just that config from the committed speech clips, and
  `calls_segments.csv` lists each segment's episode emotion and clip (see `plan_calls`).

Example:
    python dataset_scripts/make_demo_corpus.py --out sentiv_hf/data/demo --seed 0
    python dataset_scripts/make_demo_corpus.py --calls-only --seed 0
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import soundfile as sf
import torch
import torchaudio.functional as AF
from demo_sentences import SENTENCES, DemoSentence
from scipy.signal import lfilter
from tqdm.auto import tqdm

from sentiv_hf.data.audio import crop_or_pad
from sentiv_hf.data.splits import SPLIT_NAMES, assign_splits
from sentiv_hf.labels import TEXT_LABELS

logger = logging.getLogger(__name__)

SAMPLING_RATE = 16_000
MAX_FOLDER_BYTES = 10 * 1024 * 1024
CONFIGS = ("text", "speech", "multimodal")
# Larger evaluation splits than the release default (0.8/0.1/0.1): with ~25 clips per speaker and speaker-disjoint
# splits, 15 % gives validation and test two speakers each, so demo metrics are less noisy.
FRACTIONS = (0.7, 0.15, 0.15)


@dataclass(frozen=True)
class Prosody:
    """espeak-ng prosody of one emotion: base pitch 0-99 (`-p`), pitch range change in % (SSML), rate in words per
    minute (`-s`), amplitude 0-200 (`-a`) and word gap in 10 ms units (`-g`); plus two voice-quality effects applied
    afterwards, which espeak-ng lacks: tremolo depth 0-1, spectral tilt (tense, bright voice > 0; lax, dark voice < 0)
    and a formant scale factor (> 1 like a smile, < 1 like a lowered larynx)."""

    pitch: float
    range_pct: float
    rate: float
    amplitude: float
    gap: float = 0.0
    tremolo: float = 0.0
    tilt: float = 0.0
    formant: float = 1.0


# Anger and Disgust are close on purpose (they merge into Anger in the speech label space).
PROSODY: dict[str, Prosody] = {
    "Anger": Prosody(pitch=55, range_pct=60, rate=215, amplitude=105, tilt=0.9),
    "Disgust": Prosody(pitch=40, range_pct=40, rate=160, amplitude=95, gap=1, tilt=0.7, formant=0.97),
    "Enjoyment": Prosody(pitch=68, range_pct=90, rate=200, amplitude=80, tilt=0.2, formant=1.08),
    "Fear": Prosody(pitch=78, range_pct=-40, rate=235, amplitude=50, tremolo=0.45, tilt=-0.4, formant=1.04),
    "Neutral": Prosody(pitch=45, range_pct=-50, rate=170, amplitude=60, tilt=-0.1),
    "Sadness": Prosody(pitch=25, range_pct=-70, rate=130, amplitude=35, gap=2, tilt=-0.8, formant=0.94),
    "Surprise": Prosody(pitch=90, range_pct=150, rate=155, amplitude=90, tilt=0.5, formant=1.05),
}


@dataclass(frozen=True)
class Speaker:
    """A pseudo-speaker: an espeak-ng voice and variant with its own pitch offset and tempo factor."""

    speaker_id: str
    voice: str
    pitch_offset: float
    rate_factor: float


SPEAKERS: tuple[Speaker, ...] = (
    Speaker("north-m3", "vi+m3", -8, 0.95),
    Speaker("north-f2", "vi+f2", 6, 1.05),
    Speaker("north-f4", "vi+f4", 10, 1.0),
    Speaker("north-m6", "vi+m6", -2, 1.03),
    Speaker("central-m7", "vi-vn-x-central+m7", -4, 0.96),
    Speaker("central-f3", "vi-vn-x-central+f3", 4, 1.08),
    Speaker("central-m2", "vi-vn-x-central+m2", -6, 1.0),
    Speaker("central-f1", "vi-vn-x-central+f1", 8, 0.98),
    Speaker("south-m1", "vi-vn-x-south+m1", 0, 1.04),
    Speaker("south-f5", "vi-vn-x-south+f5", 8, 0.97),
    Speaker("south-m5", "vi-vn-x-south+m5", -6, 1.02),
    Speaker("south-m4", "vi-vn-x-south+m4", -3, 0.94),
)

# Teencode as people would say it aloud; the transcript keeps the written form.
_SPOKEN_FORMS = {"ko": "không", "mn": "mọi người", "dc": "được"}


@dataclass(frozen=True)
class Clip:
    """One planned clip: the sentence, who speaks it, with which prosody, and why (for the raw item table)."""

    clip_id: str
    sentence: DemoSentence
    speaker: Speaker
    prosody_label: str
    ambiguity: str  # "text", "audio-flat", "audio-mismatch" or ""
    snr_db: float
    seed: int


def spoken_text(text: str) -> str:
    """Return what the synthesiser reads: emoji dropped (espeak would name them), teencode expanded.

    Example:
        >>> spoken_text("Đậu rồi mn ơi 🥰")
        'Đậu rồi mọi người ơi'
    """
    # NFC first, so that the only marks left to drop are emoji modifiers (variation selectors, joiners), not tones.
    composed = unicodedata.normalize("NFC", text)
    kept = "".join(ch for ch in composed if unicodedata.category(ch) not in ("So", "Sk", "Mn", "Cf"))
    words = [_SPOKEN_FORMS.get(w.casefold(), w) for w in kept.split()]
    return " ".join(words)


def plan_clips(sentences: tuple[DemoSentence, ...], *, seed: int, audio_ambiguous_rate: float) -> list[Clip]:
    """Decide speaker, prosody and SNR of every sentence, deterministically for ``seed``.

    Speakers are dealt round-robin within each label so that every speaker (hence every speaker-disjoint split)
    covers every label. A share ``audio_ambiguous_rate`` of the text-clear sentences gets flattened or mismatched
    prosody; text-ambiguous sentences always get their own emotion's prosody.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sentences))
    speaker_cursor = {label: int(rng.integers(len(SPEAKERS))) for label in TEXT_LABELS}
    clips = []
    for n, index in enumerate(order):
        sentence = sentences[index]
        speaker = SPEAKERS[speaker_cursor[sentence.label] % len(SPEAKERS)]
        speaker_cursor[sentence.label] += 1
        prosody_label, ambiguity = sentence.label, "text" if sentence.text_ambiguous else ""
        if not sentence.text_ambiguous and rng.random() < audio_ambiguous_rate:
            # Anger and Disgust sound alike anyway, so a "mismatch" between them would be no mismatch.
            related = {"Anger", "Disgust"} if sentence.label in ("Anger", "Disgust") else {sentence.label}
            others = [label for label in TEXT_LABELS if label not in related and label != "Neutral"]
            if sentence.label != "Neutral" and rng.random() < 0.5:
                prosody_label, ambiguity = "Neutral", "audio-flat"
            else:
                prosody_label, ambiguity = str(rng.choice(others)), "audio-mismatch"
        snr_db = float(rng.uniform(12.0, 32.0))
        clips.append(
            Clip(f"clip-{n:04d}", sentence, speaker, prosody_label, ambiguity, snr_db, int(rng.integers(2**31)))
        )
    return clips


def _jittered(prosody: Prosody, speaker: Speaker, rng: np.random.Generator, scale: float) -> Prosody:
    return replace(
        prosody,
        pitch=float(np.clip(prosody.pitch + speaker.pitch_offset + rng.normal(0, 4 * scale), 5, 95)),
        range_pct=prosody.range_pct + rng.normal(0, 12 * scale),
        rate=prosody.rate * speaker.rate_factor * (1 + rng.normal(0, 0.05 * scale)),
        amplitude=float(np.clip(prosody.amplitude * (1 + rng.normal(0, 0.08 * scale)), 20, 110)),
        tilt=float(np.clip(prosody.tilt + rng.normal(0, 0.15 * scale), -0.95, 1.2)),
    )


def tilt_spectrum(waveform: np.ndarray, tilt: float) -> np.ndarray:
    """Brighten (``tilt`` > 0, first-difference boost) or darken (``tilt`` < 0, one-pole low-pass) a waveform,
    keeping its RMS: a crude stand-in for tense versus lax phonation, which espeak-ng does not model."""
    if tilt > 0:
        shaped = waveform + 2.0 * tilt * np.diff(waveform, prepend=waveform[:1])
    elif tilt < 0:
        shaped = lfilter([1.0 + tilt], [1.0, tilt], waveform)
    else:
        return waveform
    rms_in, rms_out = np.sqrt(np.mean(waveform**2)), np.sqrt(np.mean(shaped**2))
    return shaped * (rms_in / max(rms_out, 1e-9))


def synthesize(text: str, voice: str, prosody: Prosody, workdir: Path) -> tuple[np.ndarray, int]:
    """Speak ``text`` with espeak-ng and return ``(waveform float32, sample_rate)``.

    Example:
        >>> wav, sr = synthesize("Xin chào", "vi", PROSODY["Neutral"], Path("/tmp"))  # doctest: +SKIP
    """
    wav_path = workdir / "espeak.wav"
    wav_path.unlink(missing_ok=True)
    ssml = f'<speak><prosody range="{prosody.range_pct:+.0f}%">{escape(text)}</prosody></speak>'
    command = [
        "espeak-ng", "-m", "-z", "-v", voice,
        "-p", str(round(prosody.pitch)), "-s", str(round(prosody.rate)),
        "-a", str(round(prosody.amplitude)), "-g", str(round(prosody.gap)),
        "-w", str(wav_path), ssml,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not wav_path.exists():
        raise RuntimeError(f"espeak-ng failed for voice {voice!r} on {text!r}: {result.stderr.strip()}")
    waveform, sample_rate = sf.read(wav_path, dtype="float32")
    return waveform, sample_rate


def trim_silence(waveform: np.ndarray, *, threshold: float = 0.02, margin_s: float = 0.05) -> np.ndarray:
    """Cut leading and trailing samples quieter than ``threshold`` x peak, keeping ``margin_s`` on each side."""
    loud = np.flatnonzero(np.abs(waveform) > threshold * max(float(np.abs(waveform).max()), 1e-9))
    if loud.size == 0:
        return waveform
    margin = int(margin_s * SAMPLING_RATE)
    return waveform[max(loud[0] - margin, 0) : loud[-1] + margin + 1]


def render_clip(clip: Clip, workdir: Path) -> np.ndarray:
    """Synthesise, scale formants while resampling to 16 kHz, trim, tilt, add tremolo, level and noise; returns
    float32 in [-1, 1]."""
    rng = np.random.default_rng(clip.seed)
    # Text-ambiguous items get their emotion spoken clearly (less jitter): the voice is what disambiguates them.
    scale = 0.5 if clip.ambiguity == "text" else 1.0
    prosody = _jittered(PROSODY[clip.prosody_label], clip.speaker, rng, scale)
    waveform, sample_rate = synthesize(spoken_text(clip.sentence.text), clip.speaker.voice, prosody, workdir)
    # Reading the samples as if recorded at a rate `formant` times higher scales formants (and pitch) by `formant`,
    # like a smile (> 1) or a lowered larynx (< 1); espeak-ng has no formant control of its own.
    # Rounded to 50 Hz (a divisor of 16 kHz and 22.05 kHz) so the resampling ratio stays small and fast.
    source_rate = 50 * round(sample_rate * prosody.formant / 50)
    waveform = AF.resample(torch.from_numpy(waveform), source_rate, SAMPLING_RATE).numpy()
    waveform = trim_silence(waveform)
    waveform = tilt_spectrum(waveform, prosody.tilt)
    if prosody.tremolo:
        t = np.arange(waveform.size) / SAMPLING_RATE
        waveform = waveform * (1 - prosody.tremolo * 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(5, 8) * t)))
    # Recording level varies by a few dB, so loudness is a cue but not a perfect one.
    waveform = waveform * 0.45 * 10 ** (rng.normal(0, 1.5) / 20)
    speech_rms = float(np.sqrt(np.mean(waveform**2)))
    noise = lfilter([1.0], [1.0, -rng.uniform(0.0, 0.95)], rng.standard_normal(waveform.size))
    noise *= speech_rms / 10 ** (clip.snr_db / 20) / max(float(np.sqrt(np.mean(noise**2))), 1e-9)
    return np.clip(waveform + noise, -1.0, 1.0).astype(np.float32)


def write_raw_release(
    clips: list[Clip], raw_dir: Path, *, seed: int, fractions: tuple[float, float, float] = FRACTIONS
) -> tuple[Path, Path, Path, pd.DataFrame]:
    """Write `train.csv`, `label/manifest.csv` and `audio/*.flac`; return their paths and the table of clips
    (transcript, label, speaker, prosody, ambiguity, SNR, duration, split), one row per clip in file order.

    Both tables carry the same `split` column: speaker-disjoint and stratified by the 7 text labels
    (`sentiv_hf.data.splits.assign_splits`), so the text, speech and multimodal configs share one split."""
    audio_dir = raw_dir / "audio"
    (raw_dir / "label").mkdir(parents=True, exist_ok=True)
    audio_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for clip in tqdm(clips, desc="Synthesising"):
            waveform = render_clip(clip, Path(workdir))
            # 8-bit FLAC halves the size; the added noise mostly masks the quantisation noise (module docstring).
            sf.write(audio_dir / f"{clip.clip_id}.flac", waveform, SAMPLING_RATE, format="FLAC", subtype="PCM_S8")
            rows.append(
                {
                    "path": f"{clip.clip_id}.flac",
                    "label": clip.sentence.label,
                    "speaker_id": clip.speaker.speaker_id,
                    "transcript": clip.sentence.text,
                    "prosody": clip.prosody_label,
                    "ambiguity": clip.ambiguity,
                    "snr_db": round(clip.snr_db, 1),
                    "duration": round(waveform.size / SAMPLING_RATE, 3),
                }
            )
    items = pd.DataFrame(rows)
    # One speaker-disjoint split for all three configs, written into both raw files: otherwise the text config
    # would split the same sentences differently, and a text model trained on `text` would have seen the
    # multimodal test sentences.
    items["split"] = assign_splits(
        items["label"].tolist(), groups=items["speaker_id"].tolist(), fractions=fractions, seed=seed
    )
    text_path = raw_dir / "train.csv"
    manifest_path = raw_dir / "label" / "manifest.csv"
    items[["transcript", "label", "split"]].rename(columns={"transcript": "text"}).to_csv(text_path, index=False)
    items[["path", "label", "speaker_id", "transcript", "split"]].to_csv(manifest_path, index=False)
    return text_path, manifest_path, audio_dir, items


CARD_TITLE = "SentiV demo corpus (synthetic: original Vietnamese sentences, espeak-ng speech)"
CARD_NOTES = {
    "text": (
        "**Demo corpus.** {n} original Vietnamese sentences written for sentiv-hf in a social-media register "
        "({per_label} per label), not taken from any dataset. {n_text} are deliberately ambiguous as text (sarcasm, "
        "or plain wording whose emotion only the voice carries); `ambiguity.csv` lists them. All three configs share "
        "one split, speaker-disjoint for the speech: a sentence is in the same split everywhere."
    ),
    "speech": (
        "**Demo corpus.** Every sentence spoken by espeak-ng's northern, central and southern Vietnamese voices "
        "({n_speakers} pseudo-speakers = voice x variant, in `speaker_id`; splits are speaker-disjoint) with "
        "emotion-dependent prosody (pitch, pitch range, rate, loudness, pauses, tremolo, spectral tilt, formant "
        "shift) and seeded coloured noise at 12-32 dB SNR; trimmed, 16 kHz mono, 8-bit FLAC. Text-ambiguous "
        "sentences get clear emotional prosody; {n_audio} text-clear ones get flattened or mismatched prosody "
        "(`ambiguity.csv`). Anger and Disgust prosody overlap. Made by "
        "`python dataset_scripts/make_demo_corpus.py --seed {seed}` (needs espeak-ng)."
    ),
    "multimodal": (
        "**Demo corpus.** The spoken sentences with their text. Text and voice are ambiguous on different items "
        "(see `ambiguity.csv`), so fusing the two modalities has something to gain."
    ),
}
_SECTION = r"<!-- sentiv-config:{name} -->\n(?P<body>.*?)<!-- /sentiv-config -->"


def describe_demo(out_dir: Path, items: pd.DataFrame, seed: int) -> Path:
    """Write `ambiguity.csv` (per clip: text and speech ids, label, speaker, prosody used, ambiguity, SNR) and put
    a demo note at the top of each config's section of the card, through the package's own card writer.

    Example:
        >>> describe_demo(Path("sentiv_hf/data/demo"), items, seed=0)  # doctest: +SKIP
    """
    from sentiv_hf.data.hub import DEFAULT_CONFIG, update_dataset_card

    # The builders number ids by 1-based data row, and both raw files list the clips in the same order.
    rows = np.arange(1, len(items) + 1)
    table = items.assign(text_id=[f"text-{r:06d}" for r in rows], speech_id=[f"speech-{r:06d}" for r in rows])
    columns = ["text_id", "speech_id", "label", "speaker_id", "prosody", "ambiguity", "snr_db", "transcript"]
    table[columns].to_csv(out_dir / "ambiguity.csv", index=False)
    values = {
        "n": len(items),
        "per_label": int(items["label"].value_counts().min()),
        "n_text": int((items["ambiguity"] == "text").sum()),
        "n_audio": int(items["ambiguity"].str.startswith("audio").sum()),
        "n_speakers": items["speaker_id"].nunique(),
        "seed": seed,
    }
    readme = out_dir / "README.md"
    for config in CONFIGS:
        match = re.search(_SECTION.format(name=config), readme.read_text("utf-8"), re.S)
        body = match["body"].strip() if match else ""
        present = {p.name.split("-")[0] for p in (out_dir / config).glob("*.parquet")}
        splits = [split for split in SPLIT_NAMES if split in present]
        readme = update_dataset_card(
            out_dir,
            config,
            data_files={split: f"{config}/{split}-*" for split in splits},
            description=f"{CARD_NOTES[config].format(**values)}\n\n{body}",
            default=config == DEFAULT_CONFIG,
            pretty_name=CARD_TITLE,
        )
    return readme


def folder_size(path: Path) -> int:
    """Total size in bytes of the files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def summarize(out_dir: Path) -> str:
    """Load every config of ``out_dir`` with plain `datasets` and tabulate examples per label per split."""
    import datasets

    lines = []
    for config in CONFIGS:
        dataset = datasets.load_dataset(str(out_dir), config)
        names = dataset["train"].features["label"].names
        table = pd.DataFrame(
            {split: pd.Series(ds["label"]).map(dict(enumerate(names))).value_counts() for split, ds in dataset.items()}
        )
        table = table.reindex(names).fillna(0).astype(int)
        table.loc["total"] = table.sum()
        lines.append(f"[{config}]\n{table.to_string()}")
    size = folder_size(out_dir)
    lines.append(f"Total size of {out_dir}: {size / 2**20:.2f} MB (limit {MAX_FOLDER_BYTES / 2**20:.0f} MB)")
    return "\n\n".join(lines)


# --- Calls: the bundled speech clips joined into synthetic hotline calls (`--calls-only` runs just this step) ---

CALLS_SEGMENT_SECONDS = 4.0
#: Share of an episode's segments filled with a clip of another emotion (mostly Neutral), under the episode's labels.
FILLER_RATE = 0.3
#: Clips are cut to this length (centre) so that each 4 s slot keeps pauses and the config stays small.
CALLS_MAX_CLIP_SECONDS = 3.2
CALLS_MAX_BYTES = 5 * 1024 * 1024
#: Fine-grained labels of an episode, from its emotion: the first is the episode's label, the second may join it
#: on a run of its segments (two labels at once). Only the negative emotions have negative types.
FINE_LABELS: dict[str, tuple[str, ...]] = {
    "Anger": ("Anger", "Grievance"),
    "Fear": ("Anxiety", "Panic"),
    "Sadness": ("Grief", "Hopelessness"),
    "Neutral": ("Calm",),
    "Enjoyment": ("Relief",),
    "Surprise": ("Surprise",),
}
CALLS_NEGATIVE = ("Anger", "Grievance", "Anxiety", "Panic", "Grief", "Hopelessness")
CALLS_LABELS = tuple(sorted({name for names in FINE_LABELS.values() for name in names}))
CALLS_NOTE = (
    "**Demo calls.** {n_calls} synthetic calls from the {n_callers} pseudo-speakers of `speech` (the callers, in "
    "`speaker_id`), made from the bundled speech clips by `python dataset_scripts/make_demo_corpus.py --calls-only "
    "--seed {seed}`: one clip (at most {clip:g} s) per {seconds:g} s slot, placed at a random offset between pauses "
    "(silence), so the "
    "{seconds:g} s windows are the slots. A call is a run of emotional episodes of 3-6 segments; the episode's "
    "emotion fixes its fine-grained labels ({labels}), and a run of 1-2 of its segments may carry the episode's "
    "second type as well (two labels). About {filler:.0%} of an episode's segments use a clip of another emotion "
    "(Neutral most often) but keep the episode's labels, so a segment's neighbours tell more than its own audio: "
    "context carries signal. Negative types: {negative}. The split is the `speech` split of each caller. "
    "`calls_segments.csv` lists, per segment, the episode's emotion and the clip used."
)


@dataclass(frozen=True)
class DemoClip:
    """A bundled speech clip: its id, 6-label emotion, speaker and 16 kHz samples."""

    clip_id: str
    label: str
    speaker_id: str
    split: str
    waveform: np.ndarray


def load_demo_clips(demo_dir: Path) -> list[DemoClip]:
    """Read the clips of the bundled ``speech`` config (its Parquet shards) without re-synthesising anything."""
    import io

    import pyarrow.parquet as pq

    clips = []
    for split in SPLIT_NAMES:
        for shard in sorted((demo_dir / "speech").glob(f"{split}-*.parquet")):
            table = pq.read_table(shard)
            names = _class_names(table.schema, "label")
            for row in table.select(["id", "audio", "label", "speaker_id"]).to_pylist():
                waveform, rate = sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="float32")
                if rate != SAMPLING_RATE:
                    raise SystemExit(f"{shard}: clip {row['id']} is {rate} Hz, not {SAMPLING_RATE}; rebuild the demo.")
                clips.append(DemoClip(row["id"], names[row["label"]], row["speaker_id"], split, waveform))
    if not clips:
        raise SystemExit(f"No speech shards under {demo_dir / 'speech'}; build the demo corpus first.")
    return clips


def _class_names(schema, column: str) -> list[str]:  # noqa: ANN001  (a pyarrow.Schema)
    from datasets import Features

    return Features.from_arrow_schema(schema)[column].names


@dataclass(frozen=True)
class CallSegment:
    """One planned slot of a call: its episode, labels and the clip that fills it."""

    call_id: str
    caller: str
    index: int
    episode: int
    emotion: str
    labels: tuple[str, ...]
    clip: DemoClip


def plan_calls(
    clips: list[DemoClip], *, seed: int, calls_per_caller: int = 2, segments_per_call: int = 7
) -> list[CallSegment]:
    """Cut each caller's clips into calls of emotional episodes (3-6 segments each), deterministically for ``seed``.

    An episode's emotion is drawn among those the caller still has clips of; each of its segments takes a matching
    clip, except a share `FILLER_RATE` that take a clip of another emotion (Neutral most often) while keeping the
    episode's labels.
    Negative episodes may add their second type on a run of 1-2 segments. Every clip is used at most once.
    """
    rng = np.random.default_rng(seed + 1)
    by_caller: dict[str, dict[str, list[DemoClip]]] = {}
    for clip in clips:
        by_caller.setdefault(clip.speaker_id, {}).setdefault(clip.label, []).append(clip)
    plan: list[CallSegment] = []
    for caller in sorted(by_caller):
        pools = {label: [pool[i] for i in rng.permutation(len(pool))] for label, pool in by_caller[caller].items()}
        episode_no = 0
        for call_no in range(calls_per_caller):
            call_id = f"{caller}-call{call_no + 1}"
            index = 0
            previous = None
            while index < segments_per_call:
                emotions = [e for e in sorted(pools) if pools[e] and e != previous]
                if not emotions:
                    break
                emotion = str(rng.choice(emotions))  # uniform, so that rare emotions get episodes too
                left = segments_per_call - index
                # 3-6 segments, leaving room for another episode of at least 3 when the call is long enough.
                length = int(rng.integers(3, min(6, left - 3) + 1)) if left >= 6 else left
                fine = FINE_LABELS[emotion]
                second = set()
                if len(fine) > 1 and rng.random() < 0.5:
                    run = int(rng.integers(1, 3))
                    begin = int(rng.integers(0, max(length - run, 0) + 1))
                    second = set(range(begin, begin + run))
                for k in range(length):
                    others = [label for label in sorted(pools) if pools[label] and label != emotion]
                    if others and (rng.random() < FILLER_RATE or not pools[emotion]):
                        # A clip of another emotion, Neutral most often: the segment keeps the episode's labels.
                        weights = np.array([len(pools[o]) * (3 if o == "Neutral" else 1) for o in others], float)
                        source = str(rng.choice(others, p=weights / weights.sum()))
                    elif pools[emotion]:
                        source = emotion
                    else:
                        break
                    labels = (fine[0], fine[1]) if k in second else (fine[0],)
                    clip = pools[source].pop()
                    plan.append(CallSegment(call_id, caller, index, episode_no, emotion, labels, clip))
                    index += 1
                episode_no += 1
                previous = emotion
    return plan


def write_raw_calls(plan: list[CallSegment], raw_dir: Path, *, seed: int) -> tuple[Path, Path, Path]:
    """Write the call recordings, the calls manifest and the annotation table (one span per run of segments with
    the same labels); return their paths. The recordings are 16-bit FLAC holding the clips' 8-bit samples: FLAC
    drops the unused low bits, so segments cost what 8-bit ones would (FFmpeg misreads 8-bit FLAC with silence)."""
    rng = np.random.default_rng(seed + 2)
    audio_dir = raw_dir / "calls"
    audio_dir.mkdir(parents=True, exist_ok=True)
    slot = int(CALLS_SEGMENT_SECONDS * SAMPLING_RATE)
    longest = int(CALLS_MAX_CLIP_SECONDS * SAMPLING_RATE)
    calls, spans = [], []
    by_call: dict[str, list[CallSegment]] = {}
    for segment in plan:
        by_call.setdefault(segment.call_id, []).append(segment)
    for call_id, segments in by_call.items():
        waveform = np.zeros(slot * len(segments), dtype=np.float32)
        for segment in segments:
            clip = crop_or_pad(segment.clip.waveform, longest, train=False)
            offset = int(rng.integers(int(0.2 * SAMPLING_RATE), slot - clip.size - int(0.2 * SAMPLING_RATE) + 1))
            start = segment.index * slot + offset
            waveform[start : start + clip.size] = clip
        sf.write(audio_dir / f"{call_id}.flac", waveform, SAMPLING_RATE, format="FLAC", subtype="PCM_16")
        split = segments[0].clip.split
        calls.append({"call_id": call_id, "path": f"{call_id}.flac", "caller_id": segments[0].caller, "split": split})
        run_start = 0
        for k in range(1, len(segments) + 1):
            if k == len(segments) or segments[k].labels != segments[run_start].labels:
                spans.append(
                    {
                        "call_id": call_id,
                        "start": run_start * CALLS_SEGMENT_SECONDS,
                        "end": k * CALLS_SEGMENT_SECONDS,
                        "label": ";".join(segments[run_start].labels),
                    }
                )
                run_start = k
    manifest = raw_dir / "calls.csv"
    annotations = raw_dir / "call_spans.csv"
    pd.DataFrame(calls).to_csv(manifest, index=False)
    pd.DataFrame(spans).to_csv(annotations, index=False)
    return manifest, annotations, audio_dir


def build_calls(out_dir: Path, *, seed: int, raw_dir: Path | None = None) -> str:
    """Build the ``calls`` config of the demo from its bundled speech clips with the package's own
    `build_calls_dataset` (``sentiv data build-calls``); the other configs are left as they are.

    Example:
        >>> print(build_calls(Path("sentiv_hf/data/demo"), seed=0))  # doctest: +SKIP
    """
    from sentiv_hf.data.calls import build_calls_dataset

    plan = plan_calls(load_demo_clips(out_dir), seed=seed)
    note = CALLS_NOTE.format(
        n_calls=len({s.call_id for s in plan}),
        n_callers=len({s.caller for s in plan}),
        seed=seed,
        seconds=CALLS_SEGMENT_SECONDS,
        clip=CALLS_MAX_CLIP_SECONDS,
        filler=FILLER_RATE,
        labels=", ".join(f"{e} -> {' / '.join(names)}" for e, names in FINE_LABELS.items()),
        negative=", ".join(CALLS_NEGATIVE),
    )
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_dir or Path(tmp)
        manifest, annotations, audio_dir = write_raw_calls(plan, raw, seed=seed)
        summary = build_calls_dataset(
            manifest,
            audio_dir,
            out_dir,
            annotations=annotations,
            segment_seconds=CALLS_SEGMENT_SECONDS,
            labels=CALLS_LABELS,
            negative_labels=CALLS_NEGATIVE,
            strict=True,
            description=note,
        )
    table = pd.DataFrame(
        {
            "id": f"{s.call_id}-{s.index:04d}",
            "call_id": s.call_id,
            "speaker_id": s.caller,
            "episode": s.episode,
            "emotion": s.emotion,
            "labels": ";".join(s.labels),
            "clip_id": s.clip.clip_id,
            "clip_label": s.clip.label,
        }
        for s in plan
    )
    table.to_csv(out_dir / "calls_segments.csv", index=False)
    size = folder_size(out_dir / "calls") + (out_dir / "calls_segments.csv").stat().st_size
    report = f"{summary}\n\nSize of the calls config: {size / 2**20:.2f} MB (limit {CALLS_MAX_BYTES / 2**20:.0f} MB)"
    if size > CALLS_MAX_BYTES:
        raise SystemExit(f"{report}\n\nThe demo calls are over {CALLS_MAX_BYTES / 2**20:.0f} MB; shorten them.")
    return report


def build(out_dir: Path, *, seed: int, audio_ambiguous_rate: float, raw_dir: Path | None = None) -> str:
    """Synthesise the corpus and build the `text`, `speech` and `multimodal` configs into ``out_dir``, then the
    `calls` config from the new speech clips (`build_calls`).

    Args:
        out_dir: dataset folder to (re)write; its configs and card are replaced.
        seed: seed of every random choice (order, speakers, prosody jitter, noise).
        audio_ambiguous_rate: share of text-clear sentences spoken with flattened or mismatched prosody.
        raw_dir: keep the raw release-like files here instead of a temporary folder.

    Returns:
        The printed summary.

    Example:
        >>> print(build(Path("sentiv_hf/data/demo"), seed=0, audio_ambiguous_rate=0.2))  # doctest: +SKIP
    """
    from sentiv_hf.data.speech import build_speech_dataset
    from sentiv_hf.data.text import build_text_dataset

    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed; run `sudo apt-get install espeak-ng` (only needed here).")
    clips = plan_clips(SENTENCES, seed=seed, audio_ambiguous_rate=audio_ambiguous_rate)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Start clean so no shard of an earlier build survives; only what this script writes is removed.
    for config in (*CONFIGS, "calls"):
        shutil.rmtree(out_dir / config, ignore_errors=True)
    for name in ("README.md", "LICENSE.md", "ambiguity.csv", "calls_segments.csv"):
        (out_dir / name).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_dir or Path(tmp)
        text_path, manifest_path, audio_dir, items = write_raw_release(clips, raw, seed=seed)
        text_summary = build_text_dataset(text_path, out_dir)
        speech_summaries = build_speech_dataset(manifest_path, audio_dir, out_dir)
    describe_demo(out_dir, items, seed)
    reports = [str(text_summary), *map(str, speech_summaries), build_calls(out_dir, seed=seed, raw_dir=raw_dir)]
    summary = "\n\n".join([*reports, summarize(out_dir)])
    if folder_size(out_dir) > MAX_FOLDER_BYTES:
        raise SystemExit(f"{summary}\n\nThe demo corpus is over {MAX_FOLDER_BYTES / 2**20:.0f} MB; shorten the clips.")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--output_dir", "--output-dir", type=Path, default=Path("sentiv_hf/data/demo"), help="dataset folder to write"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    parser.add_argument(
        "--audio-ambiguous-rate",
        type=float,
        default=0.2,
        help="share of text-clear sentences spoken with flattened or mismatched prosody",
    )
    parser.add_argument("--raw-dir", type=Path, default=None, help="keep the raw release-like files here")
    parser.add_argument(
        "--calls-only",
        action="store_true",
        help="only (re)build the calls config from the speech clips already in --output_dir (no espeak-ng needed)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.calls_only:
        print(build_calls(args.output_dir, seed=args.seed, raw_dir=args.raw_dir))
        return 0
    print(build(args.output_dir, seed=args.seed, audio_ambiguous_rate=args.audio_ambiguous_rate, raw_dir=args.raw_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
