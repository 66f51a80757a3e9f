"""The one loader of dataset splits: a Hub-ready dataset folder (``sentiv data`` output) or a Hub id.

`load_dataset_dict` is what ``sentiv train``, ``sentiv evaluate`` and the benchmark read a config with. A folder
written by ``sentiv data`` holds ``DIR/<config>/<split>-*.parquet`` whose schema metadata carries the ``datasets``
features (``ClassLabel``, ``Audio``), so its Parquet files are read directly (and hashed, for cache keys); anything
else goes through ``datasets.load_dataset`` at the given revision.

`load_task_splits` adds what the benchmark needs on top: a `Split` per split with ids, label arrays and a fingerprint.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "validation", "test")
#: A Hub dataset id: ``ORG/NAME`` (neither part ``.`` or ``..``, which would be a relative folder).
_HUB_ID = re.compile(r"(?!\.\.?/)[\w.-]+/(?!\.\.?$)[\w.-]+")


#: How the bundled demo corpus is named in tables, cards and folder names.
DEMO_NAME = "sentiv-demo"


def dataset_name(dataset: str | None) -> str:
    """The name a dataset is shown under in tables, plots, cards and submissions: a Hub id as given, a local
    folder by its own name (`sentiv_hf.naming.public_name`), ``sentiv-demo`` for the bundled demo corpus (``None``).

    Example:
        >>> dataset_name("org/sentiv"), dataset_name(None)
        ('org/sentiv', 'sentiv-demo')
    """
    from sentiv_hf.data import demo_path
    from sentiv_hf.naming import public_name

    if dataset is None or (Path(dataset).is_dir() and Path(dataset).resolve() == Path(demo_path()).resolve()):
        return DEMO_NAME
    return public_name(str(dataset))


def resolve_dataset(dataset: str | None) -> str:
    """The dataset to load: ``None`` → the bundled demo corpus folder; a folder or a Hub id unchanged.

    A name that is no existing folder and not shaped like a Hub id ``ORG/NAME`` (``./data``, ``/abs/path``,
    ``sentiv-data``, ``a/b/c``) is a mistyped folder: it fails here, instead of being looked up on the Hub.

    Raises:
        UserError: no such folder, and the name cannot be a Hub id.

    Example:
        >>> resolve_dataset("org/sentiv")
        'org/sentiv'
        >>> resolve_dataset("./no-such-folder")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        sentiv_hf.errors.UserError: No such dataset folder: ./no-such-folder (...
    """
    if dataset is None:
        from sentiv_hf.data import demo_path

        return str(demo_path())
    dataset = str(dataset)
    if Path(dataset).expanduser().exists() or _HUB_ID.fullmatch(dataset):
        return dataset
    from sentiv_hf.errors import UserError

    raise UserError(
        f"No such dataset folder: {dataset} (resolved from {Path.cwd()}). Check the path, build the folder with "
        "`sentiv data build-text/build-speech`, or give a Hub dataset id as ORG/NAME."
    )


@dataclass
class Split:
    """One split of one config, with the columns the benchmark needs pulled out once.

    Attributes:
        ids: stable example ids (the keys of predictions and of the feature cache).
        labels: ``int`` class ids ``(N,)`` or, for multi-label tasks, a multi-hot ``(N, C)`` matrix.
        label_names: class names in label-id order.
        dataset: the underlying ``datasets.Dataset`` (audio is decoded lazily from it).
        fingerprint: hash of the ids and the source files; part of feature-cache keys.
        max_seconds: the audio crop of this split's config when it differs from the run's default (``None``).
    """

    name: str
    ids: list[str]
    labels: np.ndarray
    label_names: list[str]
    dataset: object
    fingerprint: str
    multi_label: bool = False
    #: the audio crop of this split's config when it differs from the run's default (long call segments)
    max_seconds: float | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def texts(self) -> list[str]:
        col = "text" if "text" in self.dataset.column_names else "transcript"
        if col not in self.dataset.column_names:
            raise ValueError(f"Split {self.name!r} has no 'text' or 'transcript' column: {self.dataset.column_names}.")
        return [t or "" for t in self.dataset[col]]

    @cached_property
    def speaker_ids(self) -> list[str | None]:
        if "speaker_id" not in self.dataset.column_names:
            raise ValueError(
                f"Split {self.name!r} has no 'speaker_id' column (needed for grouped CV): {self.dataset.column_names}."
            )
        return list(self.dataset["speaker_id"])

    @property
    def has_audio(self) -> bool:
        return "audio" in self.dataset.column_names


def load_dataset_dict(dataset: str | None, config: str, revision: str | None = None):
    """Load every split of one config as ``(datasets.DatasetDict, {split: parquet files})``.

    Args:
        dataset: a dataset folder or Hub id; ``None`` is the bundled demo corpus.
        config: the dataset config, e.g. ``"text"``, ``"speech"`` or ``"multimodal"``.
        revision: the Hub revision (ignored for folders).

    Raises `UserError` naming the dataset, the config and the configs it has when it cannot be loaded. The file map
    is empty for Hub ids.

    Example:
        >>> splits, files = load_dataset_dict(None, "text")
        >>> sorted(splits)
        ['test', 'train', 'validation']
    """
    import datasets

    from sentiv_hf.errors import UserError
    from sentiv_hf.hub_errors import hub_access, hub_failure

    dataset = resolve_dataset(dataset)
    folder = Path(dataset).expanduser() / config
    if folder.is_dir():
        files = {s: sorted(str(p) for p in folder.glob(f"{s}-*.parquet")) for s in SPLITS}
        files = {s: f for s, f in files.items() if f}
        if not files:
            raise UserError(f"{folder} holds no '<split>-*.parquet' files; build it with `sentiv data`.")
        return datasets.load_dataset("parquet", data_files=files), files
    if Path(dataset).expanduser().is_dir():
        root = Path(dataset).expanduser()
        configs = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        raise UserError(f"Cannot load config {config!r} of dataset folder {dataset}: it has the configs {configs}.")
    what = f"dataset {dataset!r}"
    # hub_access turns offline mode, no network, a missing or gated repo into one line, with no retry.
    with hub_access(what):
        try:
            return datasets.load_dataset(dataset, config, revision=revision), {}
        except (ValueError, FileNotFoundError) as error:
            if hub_failure(error, what) is not None:
                raise  # DatasetNotFoundError is a FileNotFoundError: let hub_access word it
            try:
                available = datasets.get_dataset_config_names(dataset, revision=revision)
            except Exception:  # the dataset itself is missing: the original error says why
                available = None
            hint = f" It has the configs {available}." if available else ""
            raise UserError(f"Cannot load config {config!r} of dataset {dataset!r}: {error}.{hint}") from None


def card_config_field(dataset: str | None, field: str, config: str, revision: str | None = None) -> object | None:
    """The value the dataset card's YAML records for ``config`` under ``field`` (``segments``, ``negative_labels``),
    or None. A folder's ``README.md`` is read directly; a Hub dataset's card comes through ``huggingface_hub`` (the
    local cache when offline; None, with a warning, when it cannot be fetched).

    Example:
        >>> card_config_field(None, "segments", "calls")["segment_seconds"]
        4.0
    """
    import yaml

    dataset = resolve_dataset(dataset)
    folder = Path(dataset).expanduser()
    if folder.is_dir():
        readme = folder / "README.md"
        text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    else:
        from huggingface_hub import hf_hub_download

        try:
            text = Path(hf_hub_download(dataset, "README.md", repo_type="dataset", revision=revision)).read_text(
                encoding="utf-8"
            )
        except Exception as error:  # offline without a cached card, no card: the caller falls back to its default
            logger.warning("Cannot read the card of %s (%s); %s of %r taken as unset.", dataset, error, field, config)
            return None
    if not text.startswith("---"):
        return None
    header = text.split("---", 2)[1]
    values = yaml.safe_load(header) or {}
    by_config = values.get(field) if isinstance(values, dict) else None
    return by_config.get(config) if isinstance(by_config, dict) else None


def _with_binary_label(ds):
    """Add ``binary_label`` (negative / non-negative) derived from a single-label ``label`` column."""
    import datasets

    from sentiv_hf.labels import BINARY_LABELS, to_binary

    names = ds.features["label"].names
    binary = [BINARY_LABELS.index(to_binary(names[v])) for v in ds["label"]]
    return ds.add_column("binary_label", binary, feature=datasets.ClassLabel(names=list(BINARY_LABELS)))


def _hash_files(paths: list[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_task_splits(
    dataset: str | None,
    config: str,
    *,
    revision: str | None = None,
    label_column: str = "label",
) -> dict[str, Split]:
    """Load ``train``/``validation``/``test`` of one config.

    Args:
        dataset: folder or Hub id (``None``: the demo corpus).
        config: dataset config (``text``, ``speech``, ``multimodal``, ...).
        label_column: ``label`` (single-label), ``binary_label`` or ``labels`` (multi-label ``Sequence``).

    Example:
        >>> splits = load_task_splits(None, "text")  # doctest: +SKIP
        >>> splits["train"].label_names[:2]  # doctest: +SKIP
        ['Anger', 'Disgust']
    """
    import datasets

    dataset = resolve_dataset(dataset)
    raw, files = load_dataset_dict(dataset, config, revision)
    out: dict[str, Split] = {}
    for name in SPLITS:
        if name not in raw:
            raise ValueError(f"Dataset {dataset} config {config!r} has no {name!r} split; it has {list(raw)}.")
        ds = raw[name]
        derived = label_column == "binary_label" and label_column not in ds.column_names and "label" in ds.column_names
        if derived:
            # Any SentiV-style single-label dataset yields the binary task (labels.NEGATIVE_EMOTIONS).
            ds = _with_binary_label(ds)
        if label_column not in ds.column_names:
            raise ValueError(
                f"Dataset {dataset} config {config!r} split {name!r} has no column {label_column!r}; "
                f"it has {ds.column_names}. Multi-label hotline data needs `sentiv data build-speech --multi-label`."
            )
        if "id" not in ds.column_names:
            raise ValueError(f"Dataset {dataset} config {config!r} split {name!r} has no 'id' column.")
        feature = ds.features[label_column]
        multi = isinstance(feature, datasets.Sequence | list)
        inner = (feature.feature if isinstance(feature, datasets.Sequence) else feature[0]) if multi else feature
        if not isinstance(inner, datasets.ClassLabel):
            raise ValueError(f"Column {label_column!r} of {config}/{name} must be a ClassLabel, got {inner}.")
        names = list(inner.names)
        raw_labels = ds[label_column]
        if multi:
            labels = np.zeros((len(ds), len(names)), dtype=np.int64)
            for i, row in enumerate(raw_labels):
                labels[i, list(row)] = 1
        else:
            labels = np.asarray(raw_labels, dtype=np.int64)
        ids = [str(x) for x in ds["id"]]
        digest = hashlib.sha256("\n".join(ids).encode())
        digest.update((_hash_files(files[name]) if files else f"{dataset}@{revision}:{ds._fingerprint}").encode())
        out[name] = Split(name, ids, labels, names, ds, digest.hexdigest()[:16], multi_label=multi)
    return out
