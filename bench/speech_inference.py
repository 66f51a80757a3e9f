"""CPU inference speed of `SentiVSpeechForAudioClassification` against transformers' own
`HubertForSequenceClassification`, with the same tiny config, the same weights and the same inputs, in one run.

Both models use a learned weighted layer sum and masked mean pooling (the only setting where the two compute the
same function), so the ratio measures the wrapper's overhead alone. Target: SentiV / HF clips/s >= 0.95.
The two models are timed in alternating rounds, so that noise from other processes on the machine hits both alike.

A second figure times a set of variable-length clips (0.5-8 s) in batches, in the given order and after sorting by
length (less padding per batch).

Usage:
    python bench/speech_inference.py [--batch-size 8] [--seconds 2.0] [--rounds 20] [--threads 1]
                                     [--clips 48] [--hidden-size 32] [--layers 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from transformers import HubertConfig, HubertForSequenceClassification

from sentiv_hf.labels import SPEECH_LABELS
from sentiv_hf.models import SentiVSpeechConfig, SentiVSpeechForAudioClassification
from sentiv_hf.models.tiny import tiny_encoder_config, tiny_speech_feature_extractor


def build_models(
    hidden_size: int, layers: int
) -> tuple[HubertForSequenceClassification, SentiVSpeechForAudioClassification]:
    """HF and SentiV classifiers on one encoder config, with the SentiV weights copied from the HF model."""
    encoder_config = tiny_encoder_config("hubert").to_dict()
    encoder_config.update(hidden_size=hidden_size, num_hidden_layers=layers, intermediate_size=2 * hidden_size)
    id2label = dict(enumerate(SPEECH_LABELS))
    hf_config = HubertConfig(
        **{k: v for k, v in encoder_config.items() if k not in ("model_type", "transformers_version")},
    )
    hf_config.use_weighted_layer_sum = True
    hf_config.classifier_proj_size = 16
    hf_config.id2label = id2label
    hf_config.label2id = {v: k for k, v in id2label.items()}
    torch.manual_seed(0)
    hf = HubertForSequenceClassification(hf_config).eval()
    ours = SentiVSpeechForAudioClassification(
        SentiVSpeechConfig(
            encoder_config=encoder_config,
            pooling="mean",
            use_weighted_layer_sum=True,
            classifier_proj_size=16,
            id2label=id2label,
            label2id=hf_config.label2id,
        )
    ).eval()
    ours.encoder.load_state_dict(hf.hubert.state_dict())
    for name in ("projector", "classifier"):
        getattr(ours, name).load_state_dict(getattr(hf, name).state_dict())
    ours.layer_weights.data.copy_(hf.layer_weights.data)
    return hf, ours


def clips_per_second(model, batches, rounds: int, results: list[float]) -> None:
    n_clips = sum(b["input_values"].shape[0] for b in batches)
    with torch.inference_mode():
        start = time.perf_counter()
        for _ in range(rounds):
            for batch in batches:
                model(**batch)
        results.append(n_clips * rounds / (time.perf_counter() - start))


def compare(runs: dict, rounds: int, repeats: int) -> dict[str, float]:
    """Median clips/s of each ``name: (model, batches)`` over ``repeats`` alternating measurements."""
    for model, batches in runs.values():  # warm-up
        clips_per_second(model, batches, 1, [])
    results = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (model, batches) in runs.items():
            clips_per_second(model, batches, rounds, results[name])
    return {name: statistics.median(values) for name, values in results.items()}


def make_batches(waves, batch_size: int, fe, sort: bool):
    order = sorted(range(len(waves)), key=lambda i: len(waves[i])) if sort else list(range(len(waves)))
    batches = []
    for start in range(0, len(order), batch_size):
        chunk = [waves[i] for i in order[start : start + batch_size]]
        batches.append(dict(fe(chunk, sampling_rate=16000, padding=True, return_tensors="pt")))
    return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0, help="clip length of the fixed-length comparison")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the batches per measurement")
    parser.add_argument("--repeats", type=int, default=7, help="alternating measurements per model (median kept)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clips", type=int, default=48, help="variable-length clips for the sorting figure")
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    fe = tiny_speech_feature_extractor("hubert")
    hf, ours = build_models(args.hidden_size, args.layers)

    waves = [rng.standard_normal(int(args.seconds * 16000)).astype(np.float32) for _ in range(args.batch_size)]
    batches = make_batches(waves, args.batch_size, fe, sort=False)
    with torch.inference_mode():
        diff = (hf(**batches[0]).logits - ours(**batches[0]).logits).abs().max().item()
    fixed = compare({"hf": (hf, batches), "sentiv": (ours, batches)}, args.rounds, args.repeats)
    print(f"torch {torch.__version__}, {args.threads} thread(s), hidden {args.hidden_size}, {args.layers} layers")
    print(f"max |logit difference| SentiV vs HF on the same weights: {diff:.2e}")
    print(f"fixed length: batch {args.batch_size} x {args.seconds:.1f} s")
    print(f"  HubertForSequenceClassification     {fixed['hf']:9.1f} clips/s")
    print(f"  SentiVSpeechForAudioClassification  {fixed['sentiv']:9.1f} clips/s")
    print(f"  ratio SentiV / HF                   {fixed['sentiv'] / fixed['hf']:9.3f}  (target >= 0.95)")

    lengths = rng.uniform(0.5, 8.0, size=args.clips)
    var_waves = [rng.standard_normal(int(s * 16000)).astype(np.float32) for s in lengths]
    unsorted = make_batches(var_waves, args.batch_size, fe, sort=False)
    sorted_batches = make_batches(var_waves, args.batch_size, fe, sort=True)
    padded = {
        name: sum(b["input_values"].numel() for b in bs) / sum(len(w) for w in var_waves)
        for name, bs in (("unsorted", unsorted), ("sorted", sorted_batches))
    }
    variable = compare({"unsorted": (ours, unsorted), "sorted": (ours, sorted_batches)}, 1, args.repeats)
    print(f"variable length: {args.clips} clips of 0.5-8 s (mean {lengths.mean():.1f} s), batch {args.batch_size}")
    print(f"  given order     {variable['unsorted']:9.1f} clips/s  (padded/real samples {padded['unsorted']:.2f})")
    print(f"  length-sorted   {variable['sorted']:9.1f} clips/s  (padded/real samples {padded['sorted']:.2f})")
    print(f"  speed-up from sorting {variable['sorted'] / variable['unsorted']:.2f}x")


if __name__ == "__main__":
    main()
