"""Pretrained checkpoints: ``text:<id>``, ``speech:<id>`` or a bare id/folder whose config tells its modality.

Text checkpoints get a fresh sequence-classification head (PhoBERT: ``vinai/phobert-base``); speech encoders
(HuBERT, wav2vec2, WavLM, Whisper) are wrapped in `SentiVSpeechForAudioClassification`. The revision is resolved to
a commit hash once (or the weight files of a local folder are hashed), and the model is loaded at that commit, so the
cache key names exactly the weights that produced the features.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import register_kind
from .base import ModelSpec

logger = logging.getLogger(__name__)

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "config.json")


@register_kind
@dataclass(frozen=True)
class CheckpointModel(ModelSpec):
    kind = "checkpoint"
    large_encoder = True
    catch_all = True

    @classmethod
    def parse(cls, spec: str, revisions: dict[str, str]) -> ModelSpec | None:
        prefix, sep, rest = spec.partition(":")
        if sep and prefix in ("text", "speech"):
            # The prefix names the modality: nothing is downloaded to guess it.
            return cls(rest, frozenset({prefix}), rest, revisions.get(rest))
        if spec.startswith("baseline:"):
            return None
        revision = revisions.get(spec)
        return cls(spec, frozenset({_checkpoint_modality(spec, revision)}), spec, revision)

    def pinned_revision(self) -> str | None:
        """The commit hash ``revision`` resolves to (``None`` for local folders)."""
        return resolve_commit(self.model_id, self.revision) if not Path(self.model_id).is_dir() else None

    def provenance(self, modality: str) -> dict[str, Any]:
        if Path(self.model_id).is_dir():
            return {"model_id": self.model_id, "weights_sha256": hash_weight_files(self.model_id)}
        return {"model_id": self.model_id, "commit": self.pinned_revision()}


@cache
def resolve_commit(model_id: str, revision: str | None) -> str:
    """The commit hash a Hub ``revision`` (branch, tag or hash; ``None``: ``main``) points to, read from the local
    Hub cache when offline.

    Example:
        >>> resolve_commit("vinai/phobert-base", None)  # doctest: +SKIP
        'c1e37c5c86f918761049cef6fa216b4779d0d01d'
    """
    from huggingface_hub import hf_hub_download

    from sentiv_hf.hub_errors import hub_access

    with hub_access(f"model {model_id!r}" + (f" at revision {revision!r}" if revision else "")):
        path = Path(hf_hub_download(model_id, "config.json", revision=revision))
    # .../models--org--name/snapshots/<commit>/config.json
    return path.parent.name


def hash_weight_files(folder: str | Path) -> str:
    """sha256 over the names and bytes of a local checkpoint's weight files and config (retraining in place changes
    it, so features cached for the old weights are never reused). Hashed once per (file, size, mtime)."""
    paths = sorted({p for pattern in WEIGHT_PATTERNS for p in Path(folder).glob(pattern)})
    return _hash_files(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths))


@cache
def _hash_files(signature: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in signature:
        path = Path(name)
        digest.update(path.name.encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _checkpoint_modality(model_id: str, revision: str | None) -> str:
    """``"text"`` or ``"speech"``, read from the config of a bare checkpoint id or folder.

    A Hub failure (offline, unreachable, no such repo) is a one-line `UserError` that names the network as the cause
    (`hub_access`) and lists the valid model forms, since a bare id may also be a typo of ``tiny`` or a baseline.
    """
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    import sentiv_hf.models  # noqa: F401  (SentiV configs resolve with AutoConfig)
    from sentiv_hf.errors import UserError
    from sentiv_hf.hub_errors import hub_access

    from . import known_models

    try:
        with hub_access(f"the config of model {model_id!r}"):
            config = AutoConfig.from_pretrained(model_id, revision=revision)
    except UserError as err:
        raise UserError(f"{err} Valid models: {known_models()}.") from None
    except (OSError, ValueError) as err:  # a local folder without a readable config.json
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(
            f"Cannot read the config of model {model_id!r} to tell whether it is a text or speech model "
            f"({first_line}); write it as 'text:{model_id}' or 'speech:{model_id}'."
        ) from None
    audio_types = set(MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES) | {"sentiv-speech", "whisper"}
    return "speech" if config.model_type in audio_types else "text"
