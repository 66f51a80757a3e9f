"""sentiv-hf: the SentiV benchmark (Vietnamese emotion recognition for text, speech and speech+text) on the
Hugging Face stack.

Importing the package registers the SentiV configs and models with the transformers Auto classes and the
``sentiv-emotion`` pipeline, so that ``AutoModelForAudioClassification.from_pretrained(dir)`` and
``AutoModel.from_pretrained(dir)`` work on folders it wrote.
"""

from __future__ import annotations

from . import models  # noqa: F401  (registers Auto classes and pipelines on import)
from .data import demo_path
from .labels import BINARY_LABELS, SPEECH_LABELS, TEXT_LABELS, LabelMapper

__version__ = "0.1.0"

__all__ = ["BINARY_LABELS", "SPEECH_LABELS", "TEXT_LABELS", "LabelMapper", "demo_path", "__version__"]
