"""On-disk cache of per-example features, keyed by a fingerprint of everything that produced them.

A frozen encoder's per-layer pooled states depend only on (dataset split, model, revision, preprocessing), not on the
label budget or the seed, so the benchmark computes them once and every budget × seed run reads them from here.
Files are safetensors (``features`` tensor + the example ids and the fingerprint parts as metadata), written to a
temporary name and renamed, so a killed run never leaves a truncated cache file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sentiv_hf.data.staging import atomic_path

logger = logging.getLogger(__name__)


def fingerprint(parts: Mapping[str, Any]) -> str:
    """Stable short hash of a mapping (JSON with sorted keys).

    Example:
        >>> fingerprint({"model": "tiny", "split": "train"}) == fingerprint({"split": "train", "model": "tiny"})
        True
    """
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


class FeatureCache:
    """Feature arrays cached under ``root/<fingerprint>.safetensors`` and in memory.

    Args:
        root: cache folder (created on first write).

    Example:
        >>> cache = FeatureCache("out/cache")  # doctest: +SKIP
        >>> feats = cache.get_or_compute({"model": "tiny"}, ids, lambda: encode(texts))  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._memory: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def path(self, key: str) -> Path:
        return self.root / f"{key}.safetensors"

    def load(self, key: str, ids: Sequence[str]) -> np.ndarray | None:
        """The cached array for ``key`` if it exists and was computed for exactly ``ids``."""
        if key in self._memory:
            return self._memory[key]
        path = self.path(key)
        if not path.is_file():
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="np") as fh:
                metadata = fh.metadata() or {}
                if json.loads(metadata.get("ids", "[]")) != list(ids):
                    logger.warning("Cache file %s was computed for other examples; recomputing.", path)
                    return None
                array = fh.get_tensor("features")
        except Exception as err:  # a corrupt file is recomputed, never trusted
            logger.warning("Unreadable cache file %s (%s); recomputing.", path, err)
            return None
        self._memory[key] = array
        return array

    def save(self, key: str, ids: Sequence[str], array: np.ndarray, parts: Mapping[str, Any]) -> None:
        from safetensors.numpy import save_file

        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        metadata = {"ids": json.dumps(list(ids)), "parts": json.dumps(dict(parts), sort_keys=True, default=str)}
        with atomic_path(path) as tmp:
            save_file({"features": np.ascontiguousarray(array)}, str(tmp), metadata=metadata)
        self._memory[key] = array

    def get_or_compute(
        self, parts: Mapping[str, Any], ids: Sequence[str], compute: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """Return the cached features for ``parts`` (row ``i`` belongs to ``ids[i]``), computing them once."""
        key = fingerprint(parts)
        array = self.load(key, ids)
        if array is not None:
            self.hits += 1
            return array
        self.misses += 1
        array = np.asarray(compute())
        if len(array) != len(ids):
            raise RuntimeError(f"Feature computation returned {len(array)} rows for {len(ids)} examples ({parts}).")
        self.save(key, ids, array, parts)
        logger.info("cached features %s %s -> %s", tuple(array.shape), dict(parts).get("model"), self.path(key))
        return array
