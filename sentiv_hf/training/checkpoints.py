"""Choosing the checkpoint a run resumes from, and refusing checkpoints that are incomplete or hold foreign pickles.

A run killed while it saves a checkpoint leaves a ``checkpoint-N`` folder with some files missing or cut short.
transformers' ``get_last_checkpoint`` picks the newest folder whatever its state, so ``--resume_from_checkpoint
true`` would then fail on a half-written file. `last_complete_checkpoint` picks the newest folder that
`checkpoint_problem` finds complete, and logs every newer folder it skips and why.

The Trainer writes a checkpoint in this order: the weights (and config, tokenizer, ``training_args.bin``), the
optimizer and scheduler, the RNG states, and ``trainer_state.json`` last. A complete checkpoint therefore has a
readable ``trainer_state.json``, weights, the optimizer and scheduler (unless the run saved the model only), and no
truncated file.

transformers loads the optimizer, scheduler and RNG states with ``torch.load(weights_only=True)``, which refuses a
pickle that holds anything but tensors and plain containers. `blocked_pickle_error` turns that refusal into a
one-line `UserError` that names the file.

Layer: training.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from pathlib import Path

from sentiv_hf.errors import UserError

logger = logging.getLogger(__name__)

PREFIX = "checkpoint-"
TRAINER_STATE = "trainer_state.json"
#: Any one of these holds the model weights (sharded checkpoints have an index, adapters their own files).
WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
    "adapter_model.safetensors",
    "adapter_model.bin",
)
OPTIMIZER_FILES = ("optimizer.pt", "scheduler.pt")
#: Files written with ``torch.save`` (zip archives): a truncated one has no central directory.
_TORCH_SUFFIXES = (".pt", ".pth", ".bin")
_UNSUPPORTED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def _step(folder: Path) -> int:
    return int(folder.name[len(PREFIX) :])


def checkpoint_folders(output_dir: str | Path) -> list[Path]:
    """The ``checkpoint-N`` folders of ``output_dir``, newest (highest N) first.

    Example:
        >>> [p.name for p in checkpoint_folders("out")]  # doctest: +SKIP
        ['checkpoint-4', 'checkpoint-2']
    """
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return []
    folders = [p for p in output_dir.iterdir() if p.is_dir() and re.fullmatch(rf"{PREFIX}\d+", p.name)]
    return sorted(folders, key=_step, reverse=True)


def _broken_file(path: Path) -> str | None:
    """Why a weights/state file cannot be read back (``"truncated"``), or None when it looks whole."""
    if path.name.endswith(".json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return "is not valid JSON (cut short)"
        return None
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        try:
            with safe_open(str(path), "pt"):
                return None
        except Exception:  # safetensors raises SafetensorError for a header that does not cover the file
            return "is truncated"
    if path.suffix in _TORCH_SUFFIXES and not zipfile.is_zipfile(path):
        return "is truncated"
    return None


def checkpoint_problem(folder: str | Path, *, needs_optimizer: bool = True) -> str | None:
    """Why ``folder`` cannot be resumed from, in a few words; None when it is a complete checkpoint.

    Args:
        folder: a ``checkpoint-N`` folder written by the Trainer.
        needs_optimizer: require ``optimizer.pt`` and ``scheduler.pt`` (False for runs with ``save_only_model``).

    Example:
        >>> checkpoint_problem("out/checkpoint-4")  # doctest: +SKIP
        'trainer_state.json is missing (an interrupted save, or not a Trainer checkpoint)'
    """
    folder = Path(folder)
    if not folder.is_dir():
        return "it is not a folder"
    if not (folder / TRAINER_STATE).is_file():
        return f"{TRAINER_STATE} is missing (an interrupted save, or not a Trainer checkpoint)"
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        return f"it has no weights ({WEIGHT_FILES[0]})"
    if needs_optimizer:
        missing = [name for name in OPTIMIZER_FILES if not (folder / name).is_file()]
        if missing:
            return f"{', '.join(missing)} missing"
    for path in sorted(folder.iterdir()):
        if path.is_file() and (path.suffix in (*_TORCH_SUFFIXES, ".safetensors") or path.name == TRAINER_STATE):
            reason = _broken_file(path)
            if reason:
                return f"{path.name} {reason}"
    return None


def last_complete_checkpoint(output_dir: str | Path, *, needs_optimizer: bool = True) -> str:
    """The newest complete ``checkpoint-N`` folder of ``output_dir``; newer incomplete ones are skipped and logged.

    Args:
        output_dir: the run's output folder.
        needs_optimizer: as in `checkpoint_problem`.

    Raises:
        UserError: there is no ``checkpoint-N`` folder, or none is complete.

    Example:
        >>> last_complete_checkpoint("out")  # doctest: +SKIP
        'out/checkpoint-2'
    """
    folders = checkpoint_folders(output_dir)
    if not folders:
        raise UserError(f"--resume_from_checkpoint: no checkpoint-* folder in {output_dir}; start without it.")
    skipped = []
    for folder in folders:
        problem = checkpoint_problem(folder, needs_optimizer=needs_optimizer)
        if problem is None:
            for name, reason in skipped:
                logger.warning("Skipping %s: %s; resuming from %s instead.", name, reason, folder.name)
            return str(folder)
        skipped.append((folder.name, problem))
    details = "; ".join(f"{name}: {reason}" for name, reason in skipped)
    raise UserError(
        f"--resume_from_checkpoint: no complete checkpoint in {output_dir} ({details}); start again without "
        "--resume_from_checkpoint, or into a new --output_dir."
    )


def check_resumable(folder: str | Path, *, needs_optimizer: bool = True) -> str:
    """``folder`` as a string if it is a complete checkpoint; otherwise a `UserError` that says why.

    Example:
        >>> check_resumable("out/checkpoint-2")  # doctest: +SKIP
        'out/checkpoint-2'
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"Checkpoint not found: {folder} (from --resume_from_checkpoint).")
    problem = checkpoint_problem(folder, needs_optimizer=needs_optimizer)
    if problem:
        raise UserError(
            f"Cannot resume from {folder}: {problem}. Pass an older checkpoint, or --resume_from_checkpoint true "
            "to take the newest complete one."
        )
    return str(folder)


def _holds_global(path: Path, name: str | None) -> bool:
    """Whether the ``torch.save`` file ``path`` pickles the global ``name`` (any non-allowed global when None)."""
    from torch.serialization import get_unsafe_globals_in_checkpoint

    try:
        found = get_unsafe_globals_in_checkpoint(str(path))  # reads the pickle only, never runs it
    except Exception:  # not a torch zip file: it is not the one that was refused
        return False
    return name in found if name else bool(found)


def blocked_pickle_error(checkpoint: str | Path, error: BaseException) -> UserError:
    """The one-line `UserError` for a checkpoint file that ``torch.load(weights_only=True)`` refused.

    Args:
        checkpoint: the folder being resumed from.
        error: the ``pickle.UnpicklingError`` raised while loading it.

    Example:
        >>> error = pickle.UnpicklingError("Unsupported global: GLOBAL os.system")
        >>> blocked_pickle_error("out/checkpoint-2", error)  # doctest: +SKIP
        UserError('Cannot resume: out/checkpoint-2/rng_state.pth holds a pickled os.system, ...')
    """
    folder = Path(checkpoint)
    match = _UNSUPPORTED_GLOBAL.search(str(error))
    name = match.group(1) if match else None
    candidates = sorted(p for p in folder.glob("*") if p.is_file() and p.suffix in _TORCH_SUFFIXES)
    culprit = next((p for p in candidates if _holds_global(p, name)), None)
    where = str(culprit) if culprit else f"a file in {folder}"
    what = f"a pickled {name}" if name else "a pickled object"
    return UserError(
        f"Cannot resume: {where} holds {what}, not just tensors, and sentiv never loads arbitrary pickles. Resume "
        "from a checkpoint written by sentiv train (transformers), or start again without --resume_from_checkpoint."
    )


__all__ = [
    "blocked_pickle_error",
    "check_resumable",
    "checkpoint_folders",
    "checkpoint_problem",
    "last_complete_checkpoint",
]
