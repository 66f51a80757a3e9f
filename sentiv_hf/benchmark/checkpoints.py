"""``--save-models``: every text, speech and multimodal run as a checkpoint folder under ``OUTPUT_DIR/models/``.

A folder is what ``sentiv train`` writes: ``save_pretrained`` weights (safetensors) and config, the tokenizer and/or
feature extractor, and a model card whose ``model-index`` holds the run's test metrics with the task, dataset, label
budget and seed, and ``train_ids.json`` (the dataset, config and training ids, as ``sentiv train`` writes it).
``from_pretrained``, the pipelines and ``sentiv evaluate CKPT`` (which reads the dataset from ``train_ids.json``)
give back the metrics of the run's results line, and ``push_to_hub`` uploads it as it is.

The folder is written into a staging folder and swapped into place (`sentiv_hf.data.staging.replaced_folder`), so a
killed run never leaves half a checkpoint.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sentiv_hf.data.staging import replaced_folder

from .tasks import Outcome

logger = logging.getLogger(__name__)

CARD_TASKS = {"text": "text", "speech": "speech", "multimodal": "fusion"}


def save_run_checkpoint(outcome: Outcome, folder: Path, record: dict[str, Any], source: dict[str, Any]) -> Path:
    """Write ``outcome.checkpoint`` (model and processors) with its model card to ``folder``, atomically.

    Args:
        outcome: the run's outcome; ``outcome.checkpoint`` is ``(model, [processors])``.
        folder: the checkpoint folder (replaced if it exists).
        record: the run's results line (task, budget, seed, metrics, n_train).
        source: the dataset the run was tested on (``{"path", "name", "revision", "config"}``); the card names it
            by its Hub id or folder name (`card_dataset_id`), never by its local path.

    Example:
        >>> save_run_checkpoint(outcome, Path("out/models/text--tiny--b0.1--s0"), record, source)  # doctest: +SKIP
    """
    folder = Path(folder)
    with replaced_folder(folder) as staged:
        _write_checkpoint(staged, folder, outcome, record, source)
    logger.info("Saved checkpoint %s", folder)
    return folder


def _write_checkpoint(
    staged: Path, folder: Path, outcome: Outcome, record: dict[str, Any], source: dict[str, Any]
) -> None:
    """Write the weights, processors, card and ``train_ids.json`` into ``staged``, which becomes ``folder``."""
    from sentiv_hf.training.inference import write_training_record
    from sentiv_hf.training.model_card import SentiVModelCardData

    model, processors = outcome.checkpoint
    model.save_pretrained(staged)
    for processor in processors:
        processor.save_pretrained(staged)

    task = record["task"]
    fitted = outcome.fits.get(task) if task in ("text", "speech") else None
    card = fitted.card_data if fitted is not None and fitted.card_data is not None else SentiVModelCardData()
    card.task = CARD_TASKS[task]
    card.base_model = record["model"] if task != "multimodal" else f"{record['text_model']} + {record['speech_model']}"
    card.dataset_id = card_dataset_id(source)
    card.dataset_config = source["config"]
    card.dataset_revision = source.get("revision")
    card.label_budget = record["budget"]
    card.seed = record["seed"]
    card.num_train_examples = record["n_train"]
    card.labels = list(record["label_names"])
    card.preprocessing = _preprocessing(model)
    card.hyperparameters["benchmark_mode"] = record["selection"].get("mode") or record["config"]["encoder"]
    if task == "multimodal":
        card.hyperparameters.update(record["selection"].get("temperatures", {}))
        card.hyperparameters["fusion"] = record["fusion"]
    card.metrics = {}
    card.add_metrics({f"test_{k}": v for k, v in record["metrics"].items()}, "test")
    card.save(staged / "README.md")
    # What `sentiv evaluate` reads without --dataset.
    write_training_record(
        staged,
        dataset=source["path"],
        config=source["config"],
        revision=source.get("revision"),
        budget=record["budget"],
        seed=record["seed"],
        ids=outcome.train_ids,
        final_folder=folder,
    )


def card_dataset_id(source: dict[str, Any]) -> str:
    """How a checkpoint's card names its dataset: the Hub id, or ``./<folder name>`` for a local folder (the bundled
    demo corpus included), so that neither an absolute local path nor a made-up Hub link ends up in the card.

    Example:
        >>> card_dataset_id({"path": "org/sentiv", "name": "org/sentiv"})
        'org/sentiv'
    """
    from sentiv_hf.data.loading import dataset_name

    name = source.get("name") or dataset_name(source["path"])
    return f"./{name}" if Path(source["path"]).is_dir() else name


def _preprocessing(model) -> str:
    """The model card's description of the preprocessing stored in the config."""
    from sentiv_hf.training.preprocessing import describe_audio_preprocessing, describe_text_preprocessing

    config = model.config
    text = getattr(config, "text_config", None) if hasattr(config, "speech_config") else config
    speech = getattr(config, "speech_config", None) if hasattr(config, "speech_config") else config
    parts = []
    if text is not None and hasattr(text, "text_max_length"):
        parts.append(f"text: {describe_text_preprocessing(text.word_segmenter, text.text_max_length)}")
    if speech is not None and hasattr(speech, "max_duration_s"):
        parts.append(f"audio: {describe_audio_preprocessing(speech.sampling_rate, speech.max_duration_s)}")
    return "; ".join(parts)
