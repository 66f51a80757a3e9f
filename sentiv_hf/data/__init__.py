"""The SentiV data layer: Hub-ready dataset folders, label budgets and the bundled demo corpus.

Layer: data, at the bottom next to ``labels``, ``models`` and ``metrics``. It may import ``sentiv_hf.labels`` and
``sentiv_hf.errors``, datasets, pandas, pyarrow and huggingface_hub; never ``training``, ``benchmark`` or
``commands``. torch, torchaudio and torchcodec are imported only inside the functions that decode or resample
audio, so that ``sentiv data`` commands start without them.
"""

from __future__ import annotations

from pathlib import Path


def demo_path() -> Path:
    """Return the folder of the bundled demo corpus, a Hub-ready dataset with ``text``, ``speech``,
    ``multimodal`` and ``calls`` (synthetic hotline calls in 4 s segments) configs.

    Example:
        >>> from datasets import load_dataset
        >>> ds = load_dataset(str(demo_path()), "text")  # doctest: +SKIP
    """
    return Path(__file__).resolve().parent / "demo"


__all__ = ["demo_path"]
