"""The model kinds of the benchmark: a small registry in the style of peft's tuners.

Each kind is one module here with a `ModelSpec` subclass decorated with `register_kind`; `parse_model` asks the kinds
in registration order which one a ``models:`` entry names. Adding a kind (say, the hotline context model) touches one
file: write it, and import it below.

Example:
    >>> parse_model("tiny").kind, sorted(parse_model("tiny").modalities)
    ('tiny', ['speech', 'text'])
    >>> parse_model("baseline:tfidf-logreg").is_baseline
    True
"""

from __future__ import annotations

from pathlib import Path

from sentiv_hf.errors import UserError

from .base import ModelSpec, Preprocessing

KINDS: dict[str, type[ModelSpec]] = {}
#: Every form a ``models:`` entry may take (what an unknown entry's error lists).
MODEL_FORMS = (
    "tiny",
    "baseline:tfidf-logreg",
    "baseline:mfcc-logreg",
    "text:<checkpoint id or folder>",
    "speech:<checkpoint id or folder>",
    "<checkpoint id or folder> (its config tells text from speech)",
)
#: The ``<kind>:`` prefixes a ``models:`` entry may start with (Hub ids never hold a colon).
PREFIXES = ("baseline", "text", "speech")


def known_models() -> str:
    """The accepted ``models:`` forms, for error messages."""
    return ", ".join(MODEL_FORMS)


def register_kind(cls: type[ModelSpec]) -> type[ModelSpec]:
    """Class decorator: add a `ModelSpec` subclass to the registry under its ``kind`` (names are unique)."""
    if not cls.kind or cls.kind in KINDS:
        raise ValueError(f"Model kind {cls.kind!r} of {cls.__name__} is empty or already registered.")
    KINDS[cls.kind] = cls
    return cls


def parse_model(spec: str, revisions: dict[str, str] | None = None) -> ModelSpec:
    """Parse a ``models:`` entry: ``tiny``, ``baseline:tfidf-logreg``, ``baseline:mfcc-logreg``, ``text:<id>``,
    ``speech:<id>`` or a bare checkpoint id/folder (its config tells whether it is an audio model).

    Example:
        >>> parse_model("speech:facebook/hubert-large-ls960-ft").modalities
        frozenset({'speech'})
    """
    revisions = revisions or {}
    prefix, sep, _ = spec.partition(":")
    if sep and prefix not in PREFIXES and not Path(spec).exists():
        raise UserError(f"Unknown model kind {prefix!r} in --models entry {spec!r}; valid models: {known_models()}.")
    if spec.startswith("baseline:") and not any(cls.parse(spec, revisions) for cls in KINDS.values()):
        raise UserError(f"Unknown baseline {spec!r} in --models; valid models: {known_models()}.")
    # Catch-all kinds (any checkpoint id) are asked last, whatever the import order (ruff's isort reorders it).
    for cls in sorted(KINDS.values(), key=lambda kind: kind.catch_all):
        parsed = cls.parse(spec, revisions)
        if parsed is not None:
            return parsed
    raise UserError(f"No model kind accepts {spec!r}; valid models: {known_models()}.")


# Registration order is parse order, except that catch-all kinds (``ModelSpec.catch_all``) are asked last.
from . import (  # noqa: E402,F401
    checkpoint,  # noqa: E402,F401
    mfcc,
    tfidf,
    tiny,
)

__all__ = ["KINDS", "MODEL_FORMS", "ModelSpec", "Preprocessing", "known_models", "parse_model", "register_kind"]
