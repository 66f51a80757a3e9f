"""Label spaces of the SentiV benchmark and the hotline tasks, and the one place that matches raw label strings.

* ``TEXT_LABELS`` (task A, 7 labels) and ``SPEECH_LABELS`` (tasks B and C, 6 labels: Disgust is merged into Anger).
* ``BINARY_LABELS`` for the hotline binary task. ``NEGATIVE_EMOTIONS`` documents which SentiV labels count as
  negative (Anger, Disgust, Fear, Sadness), so that any SentiV-style dataset yields the binary task.
* The fine-grained hotline task is multi-label and takes its names from the dataset
  (``Sequence(ClassLabel(names))``); its label list is never hard-coded here.

Matching is case-insensitive and whitespace-tolerant, and user aliases (``Other=Neutral``) are applied first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TEXT_LABELS: tuple[str, ...] = ("Anger", "Disgust", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise")
SPEECH_LABELS: tuple[str, ...] = ("Anger", "Enjoyment", "Fear", "Neutral", "Sadness", "Surprise")
MULTIMODAL_LABELS: tuple[str, ...] = SPEECH_LABELS

#: Text labels that do not exist in the 6-label speech space, and where they go.
TEXT_TO_SPEECH: dict[str, str] = {"Disgust": "Anger"}

BINARY_LABELS: tuple[str, ...] = ("non-negative", "negative")
#: SentiV labels counted as negative affect in the hotline binary task.
NEGATIVE_EMOTIONS: frozenset[str] = frozenset({"Anger", "Disgust", "Fear", "Sadness"})
#: Labels that make a multi-label hotline example non-negative when they are all it has.
NON_NEGATIVE_LABELS: tuple[str, ...] = (*(n for n in TEXT_LABELS if n not in NEGATIVE_EMOTIONS), "None")

LABEL_SPACES: dict[str, tuple[str, ...]] = {
    "text": TEXT_LABELS,
    "speech": SPEECH_LABELS,
    "multimodal": MULTIMODAL_LABELS,
    "binary": BINARY_LABELS,
}


def normalize_label_key(value: object) -> str:
    """Return the comparison key of a raw label: NFC, whitespace collapsed, case-folded.

    Example:
        >>> normalize_label_key("  enJoyment ")
        'enjoyment'
    """
    text = unicodedata.normalize("NFC", str(value))
    return re.sub(r"\s+", " ", text).strip().casefold()


def parse_label_aliases(specs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """Parse ``--label-alias`` values of the form ``RAW=CANONICAL`` (or a ``{raw: canonical}`` mapping) into a
    mapping keyed by `normalize_label_key` of the raw side.

    Example:
        >>> parse_label_aliases(["Other=Neutral", "vui = Enjoyment"])
        {'other': 'Neutral', 'vui': 'Enjoyment'}
        >>> parse_label_aliases({" OTHER ": "Neutral"})
        {'other': 'Neutral'}
    """
    if isinstance(specs, Mapping):
        return {normalize_label_key(raw): target for raw, target in specs.items()}
    aliases: dict[str, str] = {}
    for spec in specs or ():
        raw, sep, target = spec.partition("=")
        if not sep or not raw.strip() or not target.strip():
            raise ValueError(f"Invalid --label-alias {spec!r}: expected RAW=LABEL, for example 'Other=Neutral'.")
        aliases[normalize_label_key(raw)] = target.strip()
    return aliases


class UnknownLabelError(ValueError):
    """A raw label that is neither a known label nor an alias; the message lists the accepted labels."""


@dataclass
class LabelMapper:
    """Maps raw label strings onto a canonical label space.

    Args:
        names: the canonical label names, in ``ClassLabel`` order.
        aliases: extra ``raw -> canonical`` pairs; the raw side is matched like any label.
        merge: canonical-but-foreign labels folded into ``names`` (``{"Disgust": "Anger"}`` for speech).

    Example:
        >>> mapper = LabelMapper.for_space("speech", aliases={"Other": "Neutral"})
        >>> mapper("disgust"), mapper(" OTHER "), mapper.to_id("fear")
        ('Anger', 'Neutral', 2)
    """

    names: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    merge: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = tuple(self.names)
        self._lookup: dict[str, str] = {normalize_label_key(n): n for n in self.names}
        for raw, target in self.merge.items():
            self._lookup[normalize_label_key(raw)] = self._canonical(target, f"merge target of {raw!r}")
        for raw, target in self.aliases.items():
            self._lookup[normalize_label_key(raw)] = self._canonical(target, f"alias {raw!r}")

    def _canonical(self, target: str, what: str) -> str:
        key = normalize_label_key(target)
        if key in self._lookup:
            return self._lookup[key]
        raise UnknownLabelError(f"The {what} points to {target!r}, which is not one of {list(self.names)}.")

    @classmethod
    def for_space(cls, space: str, aliases: Mapping[str, str] | None = None) -> LabelMapper:
        """Build the mapper of a named space: ``text``, ``speech``, ``multimodal`` or ``binary``."""
        if space not in LABEL_SPACES:
            raise ValueError(f"Unknown label space {space!r}; choose one of {sorted(LABEL_SPACES)}.")
        merge = TEXT_TO_SPEECH if space in ("speech", "multimodal") else {}
        return cls(LABEL_SPACES[space], aliases=dict(aliases or {}), merge=merge)

    def __call__(self, raw: object) -> str:
        """Return the canonical name of ``raw`` or raise `UnknownLabelError` naming it and the accepted labels."""
        if raw is None or (isinstance(raw, float) and raw != raw):
            raise UnknownLabelError(f"Empty label; accepted labels are {list(self.names)}.")
        key = normalize_label_key(raw)
        if key in self._lookup:
            return self._lookup[key]
        raise UnknownLabelError(
            f"Unknown label {str(raw)!r}; accepted labels are {list(self.names)} "
            f"(case-insensitive). Map other values with --label-alias {str(raw).strip()}=<label>."
        )

    def to_id(self, raw: object) -> int:
        return self.names.index(self(raw))


def text_to_speech_label(name: str) -> str:
    """Map a 7-label text name onto the 6-label speech space (Disgust -> Anger)."""
    return TEXT_TO_SPEECH.get(name, name)


def to_binary(name: str) -> str:
    """Map a SentiV emotion name (7- or 6-label space) to ``negative`` or ``non-negative``."""
    return "negative" if name in NEGATIVE_EMOTIONS else "non-negative"


def binary_from_multilabel(
    names: Iterable[str],
    non_negative: Iterable[str] = NON_NEGATIVE_LABELS,
    *,
    negative: Iterable[str] | None = None,
) -> str:
    """Binary label of a fine-grained (multi-label) example: ``negative`` or ``non-negative``.

    The default suits real hotline data, whose fine-grained labels (Despair, Pain, Grievance, ...) are all negative
    types: an example is ``negative`` when any of its labels is not listed in ``non_negative`` (by default the
    non-negative SentiV emotions Enjoyment, Neutral and Surprise, and ``None``), so an example with no label is
    ``non-negative``. A label set that is not made of negative types (Thanks, Inquiry, Complaint, ...) would make
    every example ``negative``; for it, pass ``negative``: the labels that count as negative (``sentiv data
    build-speech --negative_labels``), and every other label is non-negative.

    Names match case- and whitespace-insensitively.

    Example:
        >>> binary_from_multilabel(["Despair", "Pain"]), binary_from_multilabel(["enjoyment"])
        ('negative', 'non-negative')
        >>> [binary_from_multilabel(names, negative=["Complaint"]) for names in (["Thanks"], ["complaint", "Thanks"])]
        ['non-negative', 'negative']
    """
    if negative is not None:
        keys = {normalize_label_key(n) for n in negative}
        return "negative" if any(normalize_label_key(n) in keys for n in names) else "non-negative"
    keys = {normalize_label_key(n) for n in non_negative}
    return "negative" if any(normalize_label_key(n) not in keys for n in names) else "non-negative"
