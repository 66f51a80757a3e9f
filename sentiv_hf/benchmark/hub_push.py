"""Pushing a leaderboard submission to the Hub, as a pull request on the leaderboard dataset repo."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path

from .report import slug


def push_submission(
    path: str | Path, repo_id: str, *, token: str | None = None, api=None, commit_message: str | None = None
):
    """Open a pull request adding ``path`` to the leaderboard dataset repo ``repo_id``.

    The file goes to ``submissions/<model>/<UTC time>-<sha256[:8]>.json``; the leaderboard's maintainers (or a bot
    running `validate_submission`) merge it.

    Args:
        path: the submission file.
        repo_id: ``ORG/leaderboard`` (a dataset repo).
        token: Hub token; by default the one saved by ``hf auth login``.
        api: an ``HfApi`` instance (tests pass a mock).

    Returns:
        The ``CommitInfo`` of the PR (``.pr_url`` is the link).

    Example:
        >>> info = push_submission("sentiv-demo-output/submission.json", "sentiv/leaderboard")  # doctest: +SKIP
        >>> info.pr_url  # doctest: +SKIP
    """
    path = Path(path)
    data = path.read_bytes()
    submission = json.loads(data)
    model_id = submission.get("model", {}).get("id", "unknown")
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path_in_repo = f"submissions/{slug(model_id)}/{stamp}-{hashlib.sha256(data).hexdigest()[:8]}.json"
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    tasks = sorted({e["task"] for e in submission.get("entries", [])})
    return api.upload_file(
        path_or_fileobj=str(path),
        path_in_repo=path_in_repo,
        repo_id=repo_id,
        repo_type="dataset",
        create_pr=True,
        commit_message=commit_message or f"Submission: {model_id} ({', '.join(tasks)})",
    )


__all__ = ["push_submission"]
