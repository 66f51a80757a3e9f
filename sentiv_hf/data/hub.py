"""Hub-ready dataset folders: Parquet shards per config and split, one merged dataset card, and the push.

A folder written here loads with plain ``datasets`` (``load_dataset(DIR, "text")``), no sentiv_hf needed:

* ``DIR/<config>/<split>-00000-of-0000N.parquet``: the features (``ClassLabel``, ``Audio``) are stored in the
  Parquet schema metadata by ``datasets`` itself, and audio bytes are embedded, so the shards stand alone.
* ``DIR/README.md``: one card for every config. Its YAML holds ``configs:`` (``data_files`` per split, e.g.
  ``text/train-*``), ``dataset_info`` (features and split sizes), the research-only licence, citation, tags and the
  gating fields (``extra_gated_prompt``, ``extra_gated_fields``). Writing a config replaces that config's entries and
  keeps the others, so ``build-text`` and ``build-speech`` can run in any order.
* ``DIR/<config>/rejected.csv``: the build's rejected rows. It is a local report and is **not** uploaded by
  `push_dataset_folder` unless asked (it holds raw, unvetted rows, which are not part of the release).

Every write is atomic (`sentiv_hf.data.staging`): a config's shards, its ``rejected.csv`` and the card are written to a
staging folder and swapped in at the end, so a failed rebuild leaves the previous folder intact and loadable.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import datasets
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from datasets.table import embed_table_storage
from datasets.utils.metadata import MetadataConfigs
from datasets.utils.py_utils import convert_file_size_to_int
from huggingface_hub import DatasetCard, DatasetCardData

from ..errors import UserError
from ..hub_errors import hub_failure
from .rejects import RejectLog
from .splits import SPLIT_NAMES
from .staging import BACKUP_PREFIX, STAGING_PREFIX, FolderStage

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = "text"
DEFAULT_PRETTY_NAME = "SentiV: Vietnamese emotion recognition (text, speech, speech+text)"
LICENSE_NAME = "sentiv-research-only"
LICENSE_FILE = "LICENSE.md"
DEFAULT_MAX_SHARD_SIZE = "500MB"

GATED_PROMPT = (
    "SentiV is released for non-commercial research on emotion recognition only. By requesting access you agree "
    "to the terms of use below: no commercial use, no attempt to identify speakers or authors, no redistribution of "
    "the data or of derived audio/text outside your research group, and citation of SentiV in any publication."
)
GATED_FIELDS: dict[str, object] = {
    "Name": "text",
    "Affiliation": "text",
    "Country": "country",
    "Intended use (one or two sentences)": "text",
    "I will use this dataset for non-commercial research only": "checkbox",
    "I will not try to identify the speakers or authors, and will not redistribute the data": "checkbox",
}
TERMS_OF_USE = """\
1. The data may be used for non-commercial research and teaching only.
2. Do not try to identify, contact or profile any speaker or author, and do not combine the data with other
   sources for that purpose.
3. Do not redistribute the data, or audio/text derived from it, outside your research group. Share models and
   aggregate results only.
4. Cite SentiV (below) in any publication or model card that uses the data.
5. Access can be revoked if these terms are broken. Report problems with the data through the repository's
   Community tab."""
#: The citation the SentiV release asks for (no venue, URL or author list exists yet).
DEFAULT_CITATION = """\
@article{sentiv2026,
  title  = {SentiV: A Benchmark for Low-Resource Vietnamese Speech–Text Emotion Understanding},
  author = {Anonymous},
  year   = {2026}
}"""
TAGS = ["emotion-recognition", "speech-emotion-recognition", "vietnamese", "low-resource", "sentiv"]
TASK_CATEGORIES = ["text-classification", "audio-classification"]
CONFIG_ORDER = ("text", "speech", "multimodal", "calls")

_SECTION_RE = re.compile(r"<!-- sentiv-config:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /sentiv-config -->\n?", re.S)


class HubPushError(UserError, RuntimeError):
    """Publishing a dataset folder failed; the message says why (network, login, permissions) and what to do."""


def _split_key(name: str) -> tuple[int, str]:
    return (SPLIT_NAMES.index(name) if name in SPLIT_NAMES else len(SPLIT_NAMES), name)


def _config_key(name: str) -> tuple[int, str]:
    return (CONFIG_ORDER.index(name) if name in CONFIG_ORDER else len(CONFIG_ORDER), name)


def _num_shards(dataset: datasets.Dataset, max_shard_size: int | str | None, max_rows: int | None) -> int:
    # Same rule as Dataset.push_to_hub: the estimated Arrow size (audio file sizes included) over the shard size.
    max_bytes = convert_file_size_to_int(max_shard_size or DEFAULT_MAX_SHARD_SIZE)
    shards = int(dataset._estimate_nbytes() / max_bytes) + 1
    if max_rows:
        shards = max(shards, -(-len(dataset) // max_rows))
    return max(1, min(shards, max(len(dataset), 1)))


def _embed_external_files(dataset: datasets.Dataset) -> datasets.Dataset:
    """Replace audio/image paths by their bytes so that the Parquet shard is self-contained (as push_to_hub does)."""
    decodable = [k for k, v in dataset.features.items() if datasets.features.features.require_decoding(v, True)]
    if not decodable:
        return dataset
    fmt = dataset.format
    dataset = dataset.with_format("arrow").map(
        embed_table_storage, batched=True, keep_in_memory=True, desc="Embedding audio bytes"
    )
    return dataset.with_format(**fmt)


def write_config(
    out_dir: str | os.PathLike,
    config_name: str,
    splits: Mapping[str, datasets.Dataset],
    *,
    description: str = "",
    max_shard_size: int | str | None = None,
    max_rows_per_shard: int | None = None,
    default: bool | None = None,
    rejects: RejectLog | None = None,
    negative_labels: list[str] | None = None,
    segments: Mapping[str, object] | None = None,
) -> dict[str, list[Path]]:
    """Write one config of a Hub-ready dataset folder and merge it into ``out_dir/README.md``, atomically.

    Args:
        out_dir: the dataset folder (created if needed).
        config_name: ``text``, ``speech``, ``multimodal`` or any other name (letters, digits, ``-_.``).
        splits: ``{"train": Dataset, "validation": Dataset, "test": Dataset}``; features must be set (ClassLabel,
            Audio, ...). Audio given as file paths is read and embedded in the shards.
        description: Markdown shown under the config's heading in the card (kept until the config is rewritten).
        max_shard_size: the largest Arrow size of one shard (default ``"500MB"``, as ``push_to_hub``).
        max_rows_per_shard: optional cap on the rows of one shard.
        default: make this the default config of ``load_dataset(DIR)``; by default the ``text`` config is.
        rejects: the build's rejected rows, written as ``<config>/rejected.csv`` with the shards.
        negative_labels: for a multi-label config, the fine-grained labels its ``binary_label`` counts as
            negative; recorded in the card's YAML under ``negative_labels: {<config>: [...]}``.
        segments: for a config of call segments, how they were cut (``mode``, ``segment_seconds``, ``overlap``,
            ``label_rule``, ``max_seconds``); recorded in the card's YAML under ``segments: {<config>: {...}}``.

    Returns:
        The written Parquet files per split, e.g. ``{"train": [DIR/text/train-00000-of-00001.parquet], ...}``.
        The config folder is replaced as a whole, so a rebuild with fewer shards leaves nothing stale, and a failed
        one leaves the previous config (and card) as they were. A split without rows is left out (``datasets``
        cannot load a declared split that has no data).

    Raises:
        UserError: ``out_dir`` is a file or not writable, or its README.md is read-only.

    Example:
        >>> from datasets import ClassLabel, Dataset, Features, Value
        >>> features = Features({"text": Value("string"), "label": ClassLabel(names=["a", "b"])})
        >>> ds = Dataset.from_dict({"text": ["xin chào"], "label": [0]}, features=features)
        >>> write_config("sentiv-data", "text", {"train": ds})  # doctest: +SKIP
        {'train': [PosixPath('sentiv-data/text/train-00000-of-00001.parquet')]}
    """
    _check_config(config_name, splits)
    with FolderStage(out_dir) as stage:
        written = stage_config(
            stage,
            config_name,
            splits,
            description=description,
            max_shard_size=max_shard_size,
            max_rows_per_shard=max_rows_per_shard,
            default=default,
            rejects=rejects,
            negative_labels=negative_labels,
            segments=segments,
        )
    return {split: [stage.final_path(p) for p in paths] for split, paths in written.items()}


def _check_config(config_name: str, splits: Mapping[str, datasets.Dataset]) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", config_name):
        raise ValueError(f"Invalid config name {config_name!r}: use letters, digits, '-', '_' or '.'.")
    if not splits or all(len(d) == 0 for d in splits.values()):
        raise ValueError(f"write_config({config_name!r}) got no rows in any split; nothing to write.")


def stage_config(
    stage: FolderStage,
    config_name: str,
    splits: Mapping[str, datasets.Dataset],
    *,
    description: str = "",
    max_shard_size: int | str | None = None,
    max_rows_per_shard: int | None = None,
    default: bool | None = None,
    rejects: RejectLog | None = None,
    negative_labels: list[str] | None = None,
    segments: Mapping[str, object] | None = None,
) -> dict[str, list[Path]]:
    """`write_config` into an open `FolderStage`, so that several configs (speech and multimodal) are swapped in
    together when the stage commits. Arguments as `write_config`; returns the staged Parquet files per split."""
    _check_config(config_name, splits)
    config_dir = stage.config_dir(config_name)
    written: dict[str, list[Path]] = {}
    infos = SplitDict()
    features = None
    for split in sorted(splits, key=_split_key):
        dataset = splits[split]
        if len(dataset) == 0:
            # datasets cannot load a declared split without rows ("corresponds to no data"), so leave it out.
            logger.warning("Config %r: split %r has no rows and is left out of the folder.", config_name, split)
            continue
        if features is None:
            features = dataset.features
        elif dataset.features != features:
            raise ValueError(
                f"Config {config_name!r}: split {split!r} has features {dataset.features}, "
                f"unlike the other splits ({features}); cast them to the same Features first."
            )
        num_shards = _num_shards(dataset, max_shard_size, max_rows_per_shard)
        paths = []
        num_bytes = 0
        for index in range(num_shards):
            shard = dataset.shard(num_shards=num_shards, index=index, contiguous=True) if num_shards > 1 else dataset
            shard = _embed_external_files(shard)
            num_bytes += shard.data.nbytes
            path = config_dir / f"{split}-{index:05d}-of-{num_shards:05d}.parquet"
            shard.to_parquet(path)
            paths.append(path)
        written[split] = paths
        infos.add(SplitInfo(name=split, num_bytes=num_bytes, num_examples=len(dataset)))
        logger.info("Wrote %s/%s: %d rows in %d shard(s)", config_name, split, len(dataset), num_shards)
    if rejects is not None:
        rejects.write_csv(config_dir / "rejected.csv")

    _stage_card(
        stage,
        config_name,
        features=features,
        split_infos=infos,
        description=description,
        default=(config_name == DEFAULT_CONFIG) if default is None else default,
        negative_labels=negative_labels,
        segments=segments,
    )
    return written


def _load_card_data(readme: Path) -> tuple[DatasetCardData, str]:
    if not readme.exists():
        return DatasetCardData(), ""
    card = DatasetCard.load(readme)
    return card.data, card.text


def update_dataset_card(
    out_dir: str | os.PathLike,
    config_name: str,
    *,
    features: datasets.Features | None = None,
    split_infos: SplitDict | Mapping[str, int] | None = None,
    data_files: Mapping[str, str] | None = None,
    description: str = "",
    default: bool = False,
    pretty_name: str | None = None,
    citation: str = DEFAULT_CITATION,
    negative_labels: list[str] | None = None,
    segments: Mapping[str, object] | None = None,
) -> Path:
    """Merge one config into ``out_dir/README.md``, keeping every other config already in the card.

    The card is written next to the old one and renamed over it, so a failure leaves the old card.

    Args:
        out_dir: the dataset folder.
        config_name: the config to add or replace.
        features: the config's features, written to ``dataset_info`` so the Hub viewer and ``load_dataset`` see them.
        split_infos: a ``SplitDict`` or ``{split: num_examples}``; gives the splits when ``data_files`` is not given.
        data_files: ``{split: pattern}`` relative to ``out_dir``; defaults to ``{split: "<config>/<split>-*"}``.
        description: Markdown for the config's section of the card.
        default: make this config the one ``load_dataset(DIR)`` loads without a config name.
        pretty_name: the card title; by default the card's current title, else `DEFAULT_PRETTY_NAME`.
        citation: BibTeX shown in the card.
        negative_labels: see `write_config`; ``None`` removes the config's entry.
        segments: see `write_config`; ``None`` removes the config's entry.

    Returns:
        The path of the card.

    Example:
        >>> update_dataset_card("data", "text", split_infos={"train": 8, "test": 1})  # doctest: +SKIP
        PosixPath('data/README.md')
    """
    with FolderStage(out_dir) as stage:
        _stage_card(
            stage,
            config_name,
            features=features,
            split_infos=split_infos,
            data_files=data_files,
            description=description,
            default=default,
            pretty_name=pretty_name,
            citation=citation,
            negative_labels=negative_labels,
            segments=segments,
        )
    return stage.out_dir / "README.md"


def _stage_card(
    stage: FolderStage,
    config_name: str,
    *,
    features: datasets.Features | None = None,
    split_infos: SplitDict | Mapping[str, int] | None = None,
    data_files: Mapping[str, str] | None = None,
    description: str = "",
    default: bool = False,
    pretty_name: str | None = None,
    citation: str = DEFAULT_CITATION,
    negative_labels: list[str] | None = None,
    segments: Mapping[str, object] | None = None,
) -> None:
    """Write the merged card (and the licence, if the folder has none) into the stage; see `update_dataset_card`."""
    card_data, old_text = _load_card_data(stage.current("README.md"))
    # A build of one config does not retitle a card that another script named (the demo corpus's).
    pretty_name = pretty_name or card_data.get("pretty_name") or DEFAULT_PRETTY_NAME

    if isinstance(split_infos, Mapping) and not isinstance(split_infos, SplitDict):
        split_dict = SplitDict()
        for name, count in split_infos.items():
            split_dict.add(SplitInfo(name=name, num_examples=int(count)))
        split_infos = split_dict
    if data_files is None:
        if not split_infos:
            raise ValueError("update_dataset_card needs data_files or split_infos to know the splits.")
        data_files = {name: f"{config_name}/{name}-*" for name in sorted(split_infos, key=_split_key)}

    # configs: MetadataConfigs replaces the entry of this config and keeps the others.
    entry: dict[str, object] = {"data_files": [{"split": s, "path": p} for s, p in data_files.items()]}
    if default:
        entry["default"] = True
        for other in card_data.get("configs") or []:
            other.pop("default", None)
    MetadataConfigs({config_name: entry}).to_dataset_card_data(card_data)
    card_data["configs"] = sorted(card_data["configs"], key=lambda c: _config_key(c["config_name"]))

    if features is not None or split_infos:
        info = DatasetInfo(features=features, splits=split_infos or None)
        if split_infos:
            info.dataset_size = sum(s.num_bytes or 0 for s in split_infos.values()) or None
        DatasetInfosDict({config_name: info}).to_dataset_card_data(card_data)
        if isinstance(card_data["dataset_info"], list):
            card_data["dataset_info"] = sorted(card_data["dataset_info"], key=lambda c: _config_key(c["config_name"]))

    # Top-level fields, not keys of the `configs:` entry: datasets passes those on to the Parquet builder.
    _set_config_field(
        card_data, "negative_labels", config_name, None if negative_labels is None else list(negative_labels)
    )
    _set_config_field(card_data, "segments", config_name, None if segments is None else dict(segments))

    total = _total_examples(card_data)
    metadata = {
        "pretty_name": pretty_name,
        "language": ["vi"],
        "license": "other",
        "license_name": LICENSE_NAME,
        "license_link": LICENSE_FILE,
        "task_categories": TASK_CATEGORIES,
        "tags": TAGS,
        "size_categories": [_size_category(total)],
        "extra_gated_prompt": GATED_PROMPT,
        "extra_gated_fields": dict(GATED_FIELDS),
        "extra_gated_button_content": "Agree and request access",
    }
    for key, value in metadata.items():
        card_data[key] = value

    sections = {m["name"]: m["body"] for m in _SECTION_RE.finditer(old_text)}
    sections[config_name] = description.strip() + "\n" if description.strip() else ""
    text = _render_body(card_data, sections, pretty_name, citation)
    DatasetCard(f"---\n{card_data.to_yaml()}\n---\n{text}").save(stage.path / "README.md")
    if not (stage.out_dir / LICENSE_FILE).exists():
        (stage.path / LICENSE_FILE).write_text(
            f"# {LICENSE_NAME}\n\nTerms of use of the SentiV dataset:\n\n{TERMS_OF_USE}\n", "utf-8"
        )


def _set_config_field(card_data: DatasetCardData, field: str, config_name: str, value: object) -> None:
    """Set ``card_data[field][config_name]`` (``None`` removes it), keeping the other configs' entries."""
    mapping = {k: v for k, v in (card_data.get(field) or {}).items() if k != config_name}
    if value is not None:
        mapping[config_name] = value
    card_data[field] = dict(sorted(mapping.items(), key=lambda kv: _config_key(kv[0]))) or None


def _infos_by_config(card_data: DatasetCardData) -> dict[str, dict]:
    infos = card_data.get("dataset_info") or []
    if isinstance(infos, dict):
        infos = [infos]
    return {info.get("config_name", "default"): info for info in infos}


def _total_examples(card_data: DatasetCardData) -> int:
    return max(
        (
            sum(s.get("num_examples", 0) for s in info.get("splits", []))
            for info in _infos_by_config(card_data).values()
        ),
        default=0,
    )


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _feature_summary(info: Mapping) -> str:
    parts = []
    for feature in info.get("features", []):
        dtype = feature.get("dtype")
        if isinstance(dtype, Mapping) and "class_label" in dtype:
            names = dtype["class_label"]["names"]
            names = list(names.values()) if isinstance(names, Mapping) else list(names)
            parts.append(f"`{feature['name']}` (ClassLabel: {', '.join(names)})")
        elif isinstance(dtype, Mapping):
            parts.append(f"`{feature['name']}` ({next(iter(dtype))})")
        elif dtype is not None:
            parts.append(f"`{feature['name']}` ({dtype})")
        else:
            parts.append(f"`{feature['name']}` (list)")
    return ", ".join(parts)


def _render_body(card_data: DatasetCardData, sections: Mapping[str, str], title: str, citation: str) -> str:
    infos = _infos_by_config(card_data)
    configs = [c["config_name"] for c in card_data.get("configs", [])]
    lines = [
        f"# {title}",
        "",
        "Vietnamese emotion recognition data in a Hub-ready layout: Parquet shards per config and split. Labels are",
        "`ClassLabel` features; text is Unicode NFC. Text uses 7 labels (Anger, Disgust, Enjoyment, Fear, Neutral,",
        "Sadness, Surprise); speech and speech+text use 6 (Disgust is merged into Anger).",
        "",
        "**Access is gated: research use only.** Request access on this page and accept the terms below.",
        "",
        "## Configs",
        "",
        "| config | train | validation | test |",
        "|---|---|---|---|",
    ]
    for name in configs:
        sizes = {s["name"]: s.get("num_examples", "") for s in infos.get(name, {}).get("splits", [])}
        lines.append(
            f"| `{name}` | {sizes.get('train', '-')} | {sizes.get('validation', '-')} | {sizes.get('test', '-')} |"
        )
    for name in configs:
        lines += ["", f"### `{name}`", ""]
        if name in infos:
            lines += [f"Features: {_feature_summary(infos[name])}.", ""]
        lines += [f"<!-- sentiv-config:{name} -->", sections.get(name, "").rstrip("\n"), "<!-- /sentiv-config -->"]
    lines += [
        "",
        "## Usage",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'ds = load_dataset("<org>/<name>", "{configs[0] if configs else "text"}")  # or a local folder path',
        'print(ds["train"].features)',
        "```",
        "",
        "Rows rejected while building (empty text, unknown labels, duplicates, undecodable audio) are reported in",
        "each config's `rejected.csv` next to the shards when built locally; they are not part of the release.",
        "",
        "## Terms of use",
        "",
        f"License: `{LICENSE_NAME}` (see `{LICENSE_FILE}`).",
        "",
        TERMS_OF_USE,
        "",
        "## Citation",
        "",
        "```bibtex",
        citation.strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _push_failure(err: Exception, repo_id: str, token: str | None) -> Exception:
    """The `HubPushError` for an exception raised while pushing; ``err`` itself when it is not a Hub failure.

    `sentiv_hf.hub_errors.hub_failure` words every Hub failure (offline, unreachable, no token, HTTP refusals) and
    scrubs tokens from it: a server may echo the ``Authorization`` header.
    """
    failure = hub_failure(err, f"dataset repo {repo_id!r}", tokens=(token,), push=True)
    return err if failure is None else HubPushError(str(failure))


def push_dataset_folder(
    out_dir: str | os.PathLike,
    repo_id: str,
    *,
    gated: str | None = None,
    private: bool = False,
    token: str | None = None,
    include_rejects: bool = False,
    commit_message: str = "Upload SentiV dataset folder with sentiv-hf",
) -> str:
    """Publish a dataset folder to a (gated) dataset repo on the Hub.

    Creates the repo if needed (``repo_type="dataset"``), uploads the folder in one commit and, when ``gated`` is
    given, turns on gated access with that approval mode. ``rejected.csv`` files are left out unless
    ``include_rejects`` (they are raw, unvetted rows).

    Args:
        out_dir: a folder written by `write_config` (it must hold ``README.md``).
        repo_id: ``ORG/NAME``.
        gated: ``None`` (leave the setting as it is), ``"auto"`` or ``"manual"`` approval.
        private: create the repo as private.
        token: a Hub token; by default the usual login or ``HF_TOKEN``. It is never printed or written.
        include_rejects: also upload ``<config>/rejected.csv`` (and ``<config>.rejected.csv`` of a failed build).
        commit_message: the commit message.

    Returns:
        The URL of the dataset repo.

    Raises:
        ValueError: bad arguments or a folder that is not a dataset folder.
        HubPushError: the Hub could not be reached, the login is missing or lacks rights, or offline mode is on.

    Example:
        >>> push_dataset_folder("sentiv-data", "my-org/sentiv", gated="manual")  # doctest: +SKIP
        'https://huggingface.co/datasets/my-org/sentiv'
    """
    from huggingface_hub import HfApi, constants

    out_dir = Path(out_dir)
    if gated not in (None, "auto", "manual"):
        raise ValueError(f"gated must be None, 'auto' or 'manual', not {gated!r}.")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id or ""):
        raise ValueError(f"Invalid repo id {repo_id!r}: expected ORG/NAME, for example my-org/sentiv.")
    if not (out_dir / "README.md").is_file():
        raise ValueError(
            f"{out_dir} is not a dataset folder (no README.md); build it first with `sentiv data build-*`."
        )

    endpoint = constants.ENDPOINT
    api = HfApi(token=token)
    # Leftovers of an interrupted build (hidden staging and backup folders) are never part of the release.
    ignore = ["**/.cache/**", ".cache/**", "**/.lock", f"{STAGING_PREFIX}*", f"{BACKUP_PREFIX}*"]
    if not include_rejects:
        ignore += ["rejected.csv", "**/rejected.csv", "*.rejected.csv"]
    try:
        url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            folder_path=str(out_dir),
            repo_type="dataset",
            ignore_patterns=ignore,
            commit_message=commit_message,
        )
        if gated is not None:
            api.update_repo_settings(repo_id, gated=gated, repo_type="dataset")
    except Exception as err:
        failure = _push_failure(err, repo_id, token)
        if failure is err:
            raise
        # `from None`: the original error may quote request headers, and a traceback would show them.
        raise failure from None
    repo_url = str(url) if url else f"{endpoint}/datasets/{repo_id}"
    logger.info("Pushed %s to %s (gated=%s, private=%s)", out_dir, repo_url, gated, private)
    return repo_url


__all__ = [
    "GATED_FIELDS",
    "HubPushError",
    "LICENSE_NAME",
    "push_dataset_folder",
    "stage_config",
    "update_dataset_card",
    "write_config",
]
