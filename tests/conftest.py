"""Shared test set-up: every test runs offline, and on few threads so that the 2-core CI machine is not thrashed."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")

# A datasets cache of this test session only. `datasets` (5.2) caches a dataset *folder* under its name and config,
# not its content: a folder named like one loaded before (the user's own `lb-data/`, or a test's) would be served
# from the old cache. It must be set before `datasets` is imported, which this module precedes.
_DATASETS_CACHE = tempfile.mkdtemp(prefix="sentiv-tests-datasets-")
os.environ["HF_DATASETS_CACHE"] = _DATASETS_CACHE
# A cold cache prints "Generating <split> split" bars; what a test reads must not depend on which test loaded first.
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
atexit.register(shutil.rmtree, _DATASETS_CACHE, ignore_errors=True)
