"""The SentiV data layer: Hub-ready dataset folders, label budgets and the bundled demo corpus."""

from __future__ import annotations

from pathlib import Path


def demo_path() -> Path:
    """Return the folder of the bundled demo corpus, a Hub-ready dataset with ``text``, ``speech`` and
    ``multimodal`` configs.

    Example:
        >>> from datasets import load_dataset
        >>> ds = load_dataset(str(demo_path()), "text")  # doctest: +SKIP
    """
    return Path(__file__).resolve().parent / "demo"


__all__ = ["demo_path"]
