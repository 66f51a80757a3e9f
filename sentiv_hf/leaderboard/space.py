"""``sentiv leaderboard space``: a Hub Space folder for the board, and its push.

The folder holds ``app.py`` (it calls `sentiv_hf.leaderboard.app.build_app`), ``requirements.txt`` (this package with
its ``leaderboard`` extra), ``README.md`` with the Space YAML, and a copy of the results dataset under
``lb-data/``.

Example:
    >>> write_space("lb-data", "space")  # doctest: +SKIP
    >>> push_space("space", "org/sentiv-leaderboard")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .board import Board

DATA_DIR = "lb-data"
#: The gradio the Space runs when gradio is not installed here (the version constraints.txt pins).
GRADIO_VERSION = "6.31.0"

APP = '''"""The SentiV leaderboard Space, written by `sentiv leaderboard space`."""

from sentiv_hf.leaderboard.app import build_app

demo = build_app({data!r}, dataset={dataset!r}, task_configs={configs!r})

if __name__ == "__main__":
    demo.launch()
'''


def _version(name: str, default: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return default


def write_space(
    data_dir: str | Path,
    out: str | Path,
    *,
    dataset: str | None = None,
    task_configs: Mapping[str, str] | None = None,
    requirement: str | None = None,
) -> Path:
    """Write the Space folder ``out`` (replaced atomically) for the results dataset ``data_dir``.

    Args:
        data_dir: the folder ``sentiv leaderboard build`` wrote; copied into the Space.
        dataset: the Hub id of the leaderboard's dataset, for the Submit tab (default: the bundled demo corpus; a
            gated dataset needs an ``HF_TOKEN`` secret on the Space).
        task_configs: the maintainer's ``{task: config}`` overrides.
        requirement: the pip requirement for this package (default ``sentiv-hf[leaderboard]==<this version>``).

    Example:
        >>> write_space("lb-data", "space", dataset="org/sentiv")  # doctest: +SKIP
        PosixPath('space')
    """
    from sentiv_hf.data.staging import replaced_folder, write_text_atomic
    from sentiv_hf.errors import UserError

    board = Board.load(data_dir)  # refuses a folder that is not a board
    if dataset and Path(dataset).exists():
        raise UserError(
            f"--dataset {dataset} is a local folder, which the Space cannot read; pass its Hub id (ORG/NAME), or "
            "leave --dataset out to validate against the bundled demo corpus."
        )
    requirement = requirement or f"sentiv-hf[leaderboard]=={_version('sentiv-hf', '0.1.0')}"
    out = Path(out)
    readme = {
        "title": "SentiV leaderboard",
        "emoji": "🏆",
        "colorFrom": "blue",
        "colorTo": "green",
        "sdk": "gradio",
        "sdk_version": _version("gradio", GRADIO_VERSION),
        "app_file": "app.py",
        "pinned": False,
        "license": "apache-2.0",
    }
    header = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in readme.items())
    body = (
        f"# SentiV leaderboard\n\nRankings of {len(board.tasks)} task(s) ({', '.join(board.tasks)}) over label "
        f"budgets, with a paired bootstrap between neighbouring rows. The results dataset is in `{DATA_DIR}/`; "
        "rebuild it with `sentiv leaderboard build` and this folder with `sentiv leaderboard space`.\n"
    )
    with replaced_folder(out) as stage:
        shutil.copytree(data_dir, stage / DATA_DIR, ignore=shutil.ignore_patterns(".*"))
        configs = dict(task_configs) if task_configs else None
        write_text_atomic(stage / "app.py", APP.format(data=DATA_DIR, dataset=dataset, configs=configs))
        write_text_atomic(stage / "requirements.txt", requirement + "\n")
        write_text_atomic(stage / "README.md", f"---\n{header}\n---\n\n{body}")
    return out


def push_space(folder: str | Path, repo_id: str, *, token: str | None = None, private: bool = False):
    """Create (if needed) the Gradio Space ``repo_id`` and upload ``folder``; Hub failures are one-line errors.

    Example:
        >>> push_space("space", "org/sentiv-leaderboard")  # doctest: +SKIP
    """
    from huggingface_hub import HfApi

    from sentiv_hf.hub_errors import hub_access

    api = HfApi(token=token)
    with hub_access(f"Space repo {repo_id!r}", tokens=(token,), push=True):
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
        return api.upload_folder(
            repo_id=repo_id, repo_type="space", folder_path=str(folder), commit_message="Update the SentiV board"
        )


__all__ = ["push_space", "write_space"]
