"""CPU inference overhead of `SentiVSpeechForAudioClassification` against transformers' own
`HubertForSequenceClassification`, at HuBERT-large size, with the same weights and the same inputs.

The encoder config is that of ``facebook/hubert-large-ls960-ft``, built in code (no Hub): transformers'
`HubertConfig` defaults plus hidden size 1024, 24 layers, 16 heads, intermediate size 4096, ``conv_dim=(512,)*7``,
``feat_extract_norm="layer"`` and ``do_stable_layer_norm=True``; random weights (speed does not depend on them).
Both classifiers use a learned weighted layer sum, masked mean pooling and a 256-wide projector, the only setting in
which the two compute the same function; SentiV gets the HF model's weights, and the script checks that their logits
agree before it times anything. So the ratio measures the wrapper's overhead alone. Target: SentiV / HF clips/s
>= 0.95.

Each leg is one pass over ``--clips`` random clips of ``--seconds`` s in batches of ``--batch-size`` (default 4 clips
of 2 s in batches of 2: 8 s of audio, about 10-20 s per leg on 2 CPU cores). The two models alternate leg by leg,
after an untimed warm-up pass of each (that pass is also the logits check). ``--quick`` uses a 2-layer, 32-wide
encoder of the same kind (a smoke test: no target).

Usage:
    python bench/speech_inference.py [--clips 4] [--seconds 2] [--batch-size 2] [--threads 2] [--reps 5] [--quick]
"""

from __future__ import annotations

import statistics
import sys

import numpy as np
import torch
from _common import Figure, Target, bench_parser, checked_reps, interleaved, print_figures
from transformers import HubertConfig, HubertForSequenceClassification, Wav2Vec2FeatureExtractor

from sentiv_hf.labels import SPEECH_LABELS
from sentiv_hf.models import SentiVSpeechConfig, SentiVSpeechForAudioClassification

SCRIPT = "speech_inference"
#: facebook/hubert-large-ls960-ft, on top of `HubertConfig`'s defaults.
HUBERT_LARGE = {
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "intermediate_size": 4096,
    "conv_dim": (512,) * 7,
    "feat_extract_norm": "layer",
    "do_stable_layer_norm": True,
}
#: --quick: the same kind of encoder (layer-norm front end, stable layer norm), 2 layers of 32.
TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": (16,) * 7,
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 2,
    "feat_extract_norm": "layer",
    "do_stable_layer_norm": True,
}
PROJECTOR = 256  # HubertConfig's classifier_proj_size default, also used by SentiV


def build_models(encoder: dict) -> tuple[HubertForSequenceClassification, SentiVSpeechForAudioClassification]:
    """HF and SentiV classifiers on one encoder config, with the SentiV weights copied from the HF model."""
    id2label = dict(enumerate(SPEECH_LABELS))
    label2id = {v: k for k, v in id2label.items()}
    hf_config = HubertConfig(
        **encoder,
        use_weighted_layer_sum=True,
        classifier_proj_size=PROJECTOR,
        id2label=id2label,
        label2id=label2id,
    )
    torch.manual_seed(0)
    hf = HubertForSequenceClassification(hf_config).eval()
    ours = SentiVSpeechForAudioClassification(
        SentiVSpeechConfig(
            encoder_config=HubertConfig(**encoder),
            pooling="mean",
            use_weighted_layer_sum=True,
            classifier_proj_size=PROJECTOR,
            id2label=id2label,
            label2id=label2id,
        )
    ).eval()
    ours.encoder.load_state_dict(hf.hubert.state_dict())
    for name in ("projector", "classifier"):
        getattr(ours, name).load_state_dict(getattr(hf, name).state_dict())
    ours.layer_weights.data.copy_(hf.layer_weights.data)
    return hf, ours


def make_batches(clips: int, seconds: float, batch_size: int) -> list[dict[str, torch.Tensor]]:
    """Random 16 kHz clips, normalised and batched as a HuBERT-large feature extractor does (with a mask)."""
    extractor = Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True)
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(int(seconds * 16000)).astype(np.float32) for _ in range(clips)]
    return [
        dict(extractor(waves[i : i + batch_size], sampling_rate=16000, padding=True, return_tensors="pt"))
        for i in range(0, clips, batch_size)
    ]


def predict_all(model, batches) -> torch.Tensor:
    """Logits of every batch (one leg)."""
    with torch.inference_mode():
        return torch.cat([model(**batch).logits for batch in batches])


def one_pass(model, batches):
    """A leg: predict every batch once."""

    def leg() -> None:
        predict_all(model, batches)

    return leg


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--clips", type=int, default=4, help="clips per leg")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each clip")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args(argv)
    reps = checked_reps(args.reps)
    torch.set_num_threads(args.threads)
    encoder, size = (TINY, "tiny (--quick)") if args.quick else (HUBERT_LARGE, "HuBERT-large")
    clips, seconds = (4, 1.0) if args.quick else (args.clips, args.seconds)

    hf, ours = build_models(encoder)
    batches = make_batches(clips, seconds, args.batch_size)
    print(
        f"{size} config, random weights, torch {torch.__version__}, {args.threads} thread(s); each leg: {clips} "
        f"clips of {seconds:g} s in batches of {args.batch_size}"
    )
    # Warm-up pass of each model, which is also the proof that both compute the same function.
    diff = (predict_all(hf, batches) - predict_all(ours, batches)).abs().max().item()
    print(f"max |logit difference| SentiV vs HF on the same weights: {diff:.2e}")
    if diff > 1e-3:
        print("the two models disagree: the comparison would not be fair")
        return 1
    times = interleaved(
        {
            "SentiVSpeechForAudioClassification": one_pass(ours, batches),
            "HubertForSequenceClassification": one_pass(hf, batches),
        },
        reps,
        warmup=False,
    )
    rate = {name: [clips / t for t in values] for name, values in times.items()}
    figure = Figure.from_samples(
        SCRIPT,
        f"{size} CPU inference, SentiV vs HF (clips/s)",
        rate["SentiVSpeechForAudioClassification"],
        "clips/s",
        reference=rate["HubertForSequenceClassification"],
        reference_name="HubertForSequenceClassification",
        target=None if args.quick else Target("ratio", ">=", 0.95),  # tiny legs are noise, not a figure
        best="max",
        clips=clips,
        seconds=seconds,
        batch_size=args.batch_size,
        threads=args.threads,
        max_logit_diff=diff,
        leg_seconds_median=statistics.median(times["SentiVSpeechForAudioClassification"]),
    )
    print_figures([figure], "speech inference overhead")
    return 0


if __name__ == "__main__":
    sys.exit(main())
