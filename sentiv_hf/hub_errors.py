"""Hub failures as one-line user errors, with every secret scrubbed.

The Hub is reached by `datasets`, `transformers` and `huggingface_hub`, and each fails in its own words: an
``OSError`` that says "couldn't connect", a ``ConnectionError`` that names ``OfflineModeIsEnabled``, an
``HfHubHTTPError`` that may quote request headers. `hub_access` wraps any call that may reach the Hub and turns
those failures into one `UserError` line that says what was being fetched, why it failed, and the fix. Nothing is
retried: with ``HF_HUB_OFFLINE=1`` the libraries fail at once, and the error surfaces at once.

`scrub_secrets` removes Hub tokens from any text shown to the user: the token passed in code, ``HF_TOKEN``, the
stored login, and anything shaped like a token or an ``Authorization`` header.

Layer: bottom (next to `sentiv_hf.errors`); every layer may use it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import UserError

#: Token-shaped text: Hub user tokens, and the value of an ``Authorization``/``Bearer`` header.
_SECRET_PATTERNS = (
    re.compile(r"hf_[A-Za-z0-9]{6,}"),
    re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?!bearer)[^\s'\",}]+"),
)

_OFFLINE_FIX = "unset HF_HUB_OFFLINE to download it, or pass a local folder (or fill HF_HUB_CACHE with it first)"


def _known_tokens(extra: tuple[str | None, ...]) -> list[str]:
    tokens = [t for t in extra if t]
    tokens += [os.environ[name] for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if os.environ.get(name)]
    try:
        from huggingface_hub import get_token

        stored = get_token()
    except Exception:  # no login, unreadable token file: nothing to scrub
        stored = None
    if stored:
        tokens.append(stored)
    return [t for t in tokens if len(t) >= 4]


def scrub_secrets(text: str, *tokens: str | None) -> str:
    """``text`` with Hub tokens replaced by ``***``.

    Args:
        text: a message about to be printed or written.
        tokens: tokens known to the caller (e.g. ``--token``); ``HF_TOKEN`` and the stored login are always added.

    Example:
        >>> scrub_secrets("401 for headers {'authorization': 'Bearer hf_abcdefgh123'}")
        "401 for headers {'authorization': 'Bearer ***'}"
    """
    for token in sorted(_known_tokens(tokens), key=len, reverse=True):
        text = text.replace(token, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _classify(error: BaseException) -> str | None:
    """Why a Hub call failed, in a few words; None when ``error`` is not a Hub failure."""
    names = {cls.__name__ for cls in type(error).__mro__}
    text = f"{error}"
    chained = error.__cause__ or error.__context__
    if chained is not None:
        names |= {cls.__name__ for cls in type(chained).__mro__}
        text += f" {chained}"
    if "OfflineModeIsEnabled" in names or "OfflineModeIsEnabled" in text:
        return "offline"
    if "LocalTokenNotFoundError" in names:
        return "no-token"
    if names & {"GatedRepoError"}:
        return "gated"
    if (
        names & {"RepositoryNotFoundError"}
        or "Repository Not Found" in text
        or "is not a valid model identifier" in text
    ):
        return "not-found"
    if names & {"RevisionNotFoundError"} or "Invalid rev id" in text:
        return "revision"
    if names & {"LocalEntryNotFoundError"} or "couldn't connect to" in text.lower() or "Couldn't reach" in text:
        return "offline" if _offline() else "unreachable"
    # Transport errors of httpx/requests by class name (huggingface_hub changed clients), and the builtin ones.
    if names & {"ConnectError", "ConnectTimeout", "TimeoutException", "TransportError", "NetworkError", "Timeout"}:
        return "unreachable"
    if isinstance(error, ConnectionError | TimeoutError):
        return "unreachable"
    if names & {"HfHubHTTPError"}:
        return "http"
    return None


def hub_failure(
    error: BaseException, what: str, *, tokens: tuple[str | None, ...] = (), push: bool = False
) -> UserError | None:
    """The one-line `UserError` for a Hub failure while fetching ``what``; None if ``error`` is something else.

    Args:
        error: the exception raised by datasets, transformers or huggingface_hub.
        what: what was being fetched or pushed, e.g. ``"model 'vinai/phobert-base'"``.
        tokens: tokens to scrub from the message besides ``HF_TOKEN`` and the stored login.
        push: the call uploads to ``what``, a repo (the fix is then the network or offline mode, never a local
            folder), e.g. ``hub_failure(error, "dataset repo 'org/x'", push=True)``.
    """
    kind = _classify(error)
    if kind is None:
        return None
    if kind == "offline" and push:
        message = f"Cannot push to {what}: offline mode is on (HF_HUB_OFFLINE=1); unset HF_HUB_OFFLINE and retry."
    elif kind == "offline":
        message = f"Cannot fetch {what}: offline mode is on (HF_HUB_OFFLINE=1) and it is not in the local cache; "
        message += _OFFLINE_FIX + "."
    elif kind == "unreachable" and push:
        message = f"Cannot reach the Hugging Face Hub to push to {what}: check the network or HF_ENDPOINT, and retry."
    elif kind == "unreachable":
        message = f"Cannot reach the Hugging Face Hub for {what}: check the network or HF_ENDPOINT, "
        message += "or pass a local folder."
    elif kind == "no-token":
        message = f"Cannot access {what}: no Hub token found; run `hf auth login` or set HF_TOKEN, then retry."
    elif kind == "not-found":
        message = f"{what} is not on the Hub (or is private and you are not logged in): check the id, "
        message += "or run `hf auth login`."
    elif kind == "gated":
        message = f"{what} is gated: request access on its Hub page, then log in with `hf auth login`."
    elif kind == "revision":
        message = f"{what}: that revision does not exist; check the branch, tag or commit."
    else:
        status = getattr(getattr(error, "response", None), "status_code", None)
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        hint = "the token is missing, invalid or lacks access; run `hf auth login`" if status in (401, 403) else ""
        subject = f"the push to {what}" if push else what
        message = f"The Hub refused {subject} (HTTP {status}): {first_line}" + (f"; {hint}." if hint else ".")
    return UserError(scrub_secrets(message, *tokens))


@contextmanager
def hub_access(what: str, *, tokens: tuple[str | None, ...] = (), push: bool = False) -> Iterator[None]:
    """Run a block that may reach the Hub; its Hub failures become one-line `UserError`s.

    Other exceptions pass through unchanged. ``push=True`` words the message for an upload.

    Example:
        >>> with hub_access("model 'vinai/phobert-base'"):  # doctest: +SKIP
        ...     AutoConfig.from_pretrained("vinai/phobert-base")
    """
    try:
        yield
    except UserError:
        raise
    except Exception as error:
        failure = hub_failure(error, what, tokens=tokens, push=push)
        if failure is None:
            raise
        raise failure from None


__all__ = ["hub_access", "hub_failure", "scrub_secrets"]
