"""Pushing a validated leaderboard submission to the Hub, as a pull request on the leaderboard dataset repo.

Only a file that `validate_submission` passed is uploaded: `push_submission` takes the validation report and
uploads the bytes it read only when they are the bytes that were validated (same sha256), so an invalid file, or one
edited after validation, is never pushed.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path

from sentiv_hf.errors import UserError
from sentiv_hf.naming import slug

from .submission import decode_submission, read_submission_bytes
from .validation import ValidationReport


def _refusal(path: Path, report: ValidationReport | None, digest: str) -> str | None:
    """Why ``path`` must not be pushed with ``report``; ``None`` when it may."""
    if report is None:
        return f"Not pushing {path}: it was not validated; validate it against the leaderboard dataset first."
    if not report.ok:
        return f"Not pushing {path}: it is INVALID ({len(report.errors)} error(s)); fix the errors and validate again."
    if report.sha256 != digest:
        return f"Not pushing {path}: it is not the file that was validated (or it changed since); validate it again."
    return None


def push_submission(
    path: str | Path,
    repo_id: str,
    report: ValidationReport | None,
    *,
    token: str | None = None,
    api=None,
    commit_message: str | None = None,
):
    """Open a pull request adding the validated submission ``path`` to the leaderboard dataset repo ``repo_id``.

    The file goes to ``submissions/<model>/<UTC time>-<sha256[:8]>.json``; the leaderboard's maintainers (or a bot
    running `validate_submission`) merge it.

    Args:
        path: the submission file.
        repo_id: ``ORG/leaderboard`` (a dataset repo).
        report: what ``validate_submission(path, dataset)`` returned for this file; anything but a passing report
            for these exact bytes is refused.
        token: Hub token; by default the one saved by ``hf auth login``. Never printed.
        api: an ``HfApi`` instance (tests pass a mock).

    Returns:
        The ``CommitInfo`` of the PR (``.pr_url`` is the link).

    Raises:
        UserError: one line, when the file is not validated, invalid or changed since validation, or when the Hub
            cannot be reached or refuses the upload (tokens scrubbed).

    Example:
        >>> path = "sentiv-demo-output/submission.json"
        >>> report = validate_submission(path, demo_path())  # doctest: +SKIP
        >>> info = push_submission(path, "sentiv/leaderboard", report)  # doctest: +SKIP
        >>> info.pr_url  # doctest: +SKIP
    """
    from sentiv_hf.hub_errors import hub_access

    path = Path(path)
    data = read_submission_bytes(path)  # read once: these bytes are checked and uploaded
    digest = hashlib.sha256(data).hexdigest()
    refusal = _refusal(path, report, digest)
    if refusal:
        raise UserError(refusal)
    submission = decode_submission(data, path)
    model_id = submission["model"]["id"]
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path_in_repo = f"submissions/{slug(model_id)}/{stamp}-{digest[:8]}.json"
    tasks = sorted({e["task"] for e in submission["entries"]})
    with hub_access(f"leaderboard repo {repo_id!r}", tokens=(token,), push=True):
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi(token=token)
        return api.upload_file(
            path_or_fileobj=data,
            path_in_repo=path_in_repo,
            repo_id=repo_id,
            repo_type="dataset",
            create_pr=True,
            commit_message=commit_message or f"Submission: {model_id} ({', '.join(tasks)})",
        )


__all__ = ["push_submission"]
