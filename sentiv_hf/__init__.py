"""sentiv-hf: the SentiV benchmark (Vietnamese emotion recognition for text, speech and speech+text) on the
Hugging Face stack.

Importing the package is fast: it imports neither torch nor transformers. The public names below load on first
access (as transformers' ``_LazyModule`` does), and the SentiV configs and models are registered with the
transformers Auto classes and the ``sentiv-emotion`` pipeline on first use (see `sentiv_hf.registration`), so that
``AutoModelForAudioClassification.from_pretrained(dir)``, ``AutoModel.from_pretrained(dir)`` and
``pipeline("audio-classification", model=dir)`` work on folders it wrote right after ``import sentiv_hf``.

Example:
    >>> import sentiv_hf
    >>> from transformers import AutoModelForAudioClassification
    >>> model = AutoModelForAudioClassification.from_pretrained("out/speech")  # doctest: +SKIP
    >>> sentiv_hf.SPEECH_LABELS[:2]
    ('Anger', 'Enjoyment')
"""

from __future__ import annotations

import importlib

from . import registration

TYPE_CHECKING = False  # not `from typing import TYPE_CHECKING`: typing costs `sentiv --help` 6 ms; checkers know both

__version__ = "0.1.0"

#: Public name -> the module that defines it, imported when the name is first looked up.
_LAZY_NAMES = {
    "BINARY_LABELS": "sentiv_hf.labels",
    "SPEECH_LABELS": "sentiv_hf.labels",
    "TEXT_LABELS": "sentiv_hf.labels",
    "LabelMapper": "sentiv_hf.labels",
    "demo_path": "sentiv_hf.data",
    "UserError": "sentiv_hf.errors",
    "SentiVSpeechConfig": "sentiv_hf.models",
    "SentiVSpeechForAudioClassification": "sentiv_hf.models",
    "SentiVFusionConfig": "sentiv_hf.models",
    "SentiVFusionModel": "sentiv_hf.models",
    "SentiVEmotionPipeline": "sentiv_hf.models",
}

if TYPE_CHECKING:
    from .data import demo_path
    from .errors import UserError
    from .labels import BINARY_LABELS, SPEECH_LABELS, TEXT_LABELS, LabelMapper
    from .models import (
        SentiVEmotionPipeline,
        SentiVFusionConfig,
        SentiVFusionModel,
        SentiVSpeechConfig,
        SentiVSpeechForAudioClassification,
    )


#: Subpackages reachable as attributes (``sentiv_hf.models``) without importing them first, as before the lazy init.
_SUBMODULES = ("benchmark", "data", "errors", "labels", "metrics", "models", "training")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMES) | set(_SUBMODULES))


__all__ = [
    "BINARY_LABELS",
    "SPEECH_LABELS",
    "TEXT_LABELS",
    "LabelMapper",
    "SentiVEmotionPipeline",
    "SentiVFusionConfig",
    "SentiVFusionModel",
    "SentiVSpeechConfig",
    "SentiVSpeechForAudioClassification",
    "UserError",
    "__version__",
    "demo_path",
]

registration.install()
