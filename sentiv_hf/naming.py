"""How local paths and Hub ids are shown to others: cards, tables, submissions, folder names.

Whatever leaves the machine (a model card, a submission, a table) names a model or dataset by its Hub id, or by a
local folder's own name, never by an absolute path: a path exposes the machine's layout and means nothing to a
reader. `public_name` does that for one value, `strip_local_paths` for a composite label such as a fusion pair, and
`slug` turns a name into a file or folder name.

Layer: bottom (next to `sentiv_hf.errors`); every layer may use it.
"""

from __future__ import annotations

import re
from pathlib import Path

#: An absolute path inside a label (POSIX, ``~/...`` or ``C:\\...``), after the start or a separator (space, ``+``,
#: ``(``, ``:``) and up to the next one; group 1 is its last component.
_ABSOLUTE_PATH = re.compile(r"(?:(?<=^)|(?<=[\s+(:]))(?:~|[A-Za-z]:)?[/\\](?:[^\s+()]*[/\\])?([^\s+()/\\]+)[/\\]?")


def public_name(value: str) -> str:
    """``value`` as others may see it: a Hub id (``org/name``) or a built-in name as given; a local path (one that
    exists, or any absolute one) by its last component.

    Example:
        >>> public_name("vinai/phobert-base"), public_name("/home/me/runs/hubert-base/")
        ('vinai/phobert-base', 'hubert-base')
    """
    path = Path(value.rstrip("/\\"))
    if path.is_absolute() or path.exists():
        return path.name or value
    return value


def strip_local_paths(label: str) -> str:
    """``label`` with every absolute path in it cut to its last component (Hub ids and relative names unchanged).

    Example:
        >>> strip_local_paths("/home/me/runs/phobert+/data/hubert (average)")
        'phobert+hubert (average)'
    """
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), label)


def slug(text: str) -> str:
    """``text`` as a file or folder name: runs of anything but letters, digits and ``_.+-`` become ``_``.

    Example:
        >>> slug("tiny (average)"), slug("org/SentiV v2")
        ('tiny_average', 'org_SentiV_v2')
    """
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", text).strip("_.") or "unnamed"


__all__ = ["public_name", "slug", "strip_local_paths"]
