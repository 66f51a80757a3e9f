"""Atomic writes of a dataset folder: every build is written into a hidden staging folder, then swapped in.

A rebuild that fails half-way must not leave a folder that ``load_dataset`` cannot read: old shards deleted, new
shards mixed with old ones, or a ``rejected.csv`` that belongs to another build. So a builder never writes into
``DIR/<config>/`` itself. It writes the config's shards, its ``rejected.csv`` and the updated card into
``DIR/.sentiv-staging-XXXX/``, and `FolderStage.commit` then renames the old config folder aside, renames the new one
in, and replaces ``README.md`` (``os.replace``, atomic). If anything fails before or during that swap, the old files
are put back, so the previous folder stays complete and loadable. Staging and backup folders are hidden (``.``),
which ``datasets`` skips and `push_dataset_folder` does not upload.

A build that fails on its input (``--strict`` with rejected rows, or every row rejected) still reports its rejected
rows, but in ``DIR/<config>.rejected.csv`` (see `write_failed_build_report`), never next to shards it did not write.

Layer: data.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from ..errors import UserError
from .rejects import RejectLog

logger = logging.getLogger(__name__)

STAGING_PREFIX = ".sentiv-staging-"
BACKUP_PREFIX = ".sentiv-old-"
#: Files at the top of a dataset folder that a build may replace; README.md goes last, as it makes the configs live.
TOP_LEVEL_FILES = ("LICENSE.md", "README.md")


def _read_only(path: Path) -> bool:
    # os.access is always true for root, so also honour a mode without any write bit: someone made it read-only.
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def check_output_dir(out_dir: str | os.PathLike) -> Path:
    """Check that a dataset folder can be written, before any work is done; it is not created here.

    Args:
        out_dir: the dataset folder (``--output_dir``); it may not exist yet.

    Returns:
        ``out_dir`` as a `Path`.

    Raises:
        UserError: ``out_dir`` (or a parent of it) is a file, or the folder (or the nearest existing parent, or its
            ``README.md``) is not writable. The message names the path and the fix.

    Example:
        >>> check_output_dir("sentiv-data")  # doctest: +SKIP
        PosixPath('sentiv-data')
    """
    out_dir = Path(out_dir)
    existing = out_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        problem = "is a file" if existing == out_dir else f"cannot be created: {existing} is a file"
        raise UserError(
            f"The output folder {out_dir} {problem}. Pass a folder path as --output_dir (it is created if missing)."
        )
    if _read_only(existing):
        what = "The output folder" if existing == out_dir else f"The parent folder of {out_dir},"
        raise UserError(
            f"{what} {existing} is not writable. Make it writable (chmod u+w {existing}) or choose another "
            "--output_dir."
        )
    readme = out_dir / "README.md"
    if readme.is_file() and _read_only(readme):
        raise UserError(
            f"{readme} is read-only, so the dataset card cannot be updated. Make it writable (chmod u+w {readme}) "
            "or choose another --output_dir."
        )
    return out_dir


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` to write to; it replaces ``path`` when the block ends without error.

    `os.replace` is atomic, so a reader sees the old file or the new one, never half of one; on an error the
    temporary file is removed and ``path`` is left as it was. Every single-file write in the package goes through
    it (results manifests, submissions, reject reports, ``train_ids.json``, feature-cache files).

    Example:
        >>> with atomic_path("out/train_ids.json") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("{}", encoding="utf-8")
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through `atomic_path`; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def replaced_folder(folder: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder that replaces ``folder`` when the block ends without error.

    An exception leaves ``folder`` as it was; the swap is `FolderStage.commit`'s (the old folder is renamed aside
    and put back if the new one cannot be renamed in). Used for checkpoints and evaluation reports.

    Example:
        >>> with replaced_folder("out/models/text--tiny--b1--s0") as tmp:  # doctest: +SKIP
        ...     model.save_pretrained(tmp)
    """
    folder = Path(folder)
    with FolderStage(folder.parent) as stage:
        yield stage.config_dir(folder.name)


def failed_build_report_path(out_dir: str | os.PathLike, config: str) -> Path:
    """Where a failed build of ``config`` reports its rejected rows: ``DIR/<config>.rejected.csv``."""
    return Path(out_dir) / f"{config}.rejected.csv"


def write_failed_build_report(log: RejectLog, out_dir: str | os.PathLike, config: str) -> Path:
    """Write the rejected rows of a build that will not be written, outside the config folder it leaves intact.

    The next successful build of ``config`` removes this file.

    Example:
        >>> write_failed_build_report(log, "sentiv-data", "text")  # doctest: +SKIP
        PosixPath('sentiv-data/text.rejected.csv')
    """
    path = failed_build_report_path(out_dir, config)
    return log.write_csv(path)


class FolderStage:
    """A staging folder inside a dataset folder; `commit` swaps what was written into place in one go.

    Use it as a context manager: leaving the block normally commits, an exception discards everything staged and
    leaves ``out_dir`` as it was.

    Args:
        out_dir: the dataset folder (created if needed; checked with `check_output_dir`).

    Example:
        >>> with FolderStage("sentiv-data") as stage:  # doctest: +SKIP
        ...     shard = stage.config_dir("text") / "train-00000-of-00001.parquet"
        ...     dataset.to_parquet(shard)
    """

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.out_dir = check_output_dir(out_dir)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out_dir))
        except OSError as err:
            raise UserError(
                f"Cannot write to the output folder {self.out_dir}: {err.strerror or err}. Choose another "
                "--output_dir."
            ) from err
        self.configs: list[str] = []

    def config_dir(self, name: str) -> Path:
        """The staged folder of config ``name`` (created empty); it replaces ``DIR/<name>`` on commit."""
        folder = self.path / name
        if name not in self.configs:
            folder.mkdir()
            self.configs.append(name)
        return folder

    def current(self, name: str) -> Path:
        """The file ``name`` as it stands for this build: the staged copy when there is one, else the live one."""
        staged = self.path / name
        return staged if staged.exists() else self.out_dir / name

    def final_path(self, staged: Path) -> Path:
        """Where a staged file will live after `commit`."""
        return self.out_dir / Path(staged).relative_to(self.path)

    def commit(self) -> None:
        """Swap the staged configs and top-level files into ``out_dir``; on any failure, put the old ones back."""
        backups = Path(tempfile.mkdtemp(prefix=BACKUP_PREFIX, dir=self.out_dir))
        moved: list[tuple[Path, Path | None]] = []  # (live path, its backup or None)
        try:
            for name in self.configs:
                live = self.out_dir / name
                backup = None
                if live.exists() or live.is_symlink():
                    backup = backups / name
                    os.rename(live, backup)
                moved.append((live, backup))
                os.rename(self.path / name, live)
            for name in TOP_LEVEL_FILES:
                if (self.path / name).is_file():
                    os.replace(self.path / name, self.out_dir / name)
        except BaseException:
            self._roll_back(moved)
            raise
        finally:
            shutil.rmtree(backups, ignore_errors=True)
            shutil.rmtree(self.path, ignore_errors=True)
        for name in self.configs:
            # The report of an earlier failed build of this config is out of date now.
            failed_build_report_path(self.out_dir, name).unlink(missing_ok=True)

    def _roll_back(self, moved: list[tuple[Path, Path | None]]) -> None:
        for live, backup in reversed(moved):
            if live.exists():  # the new folder, renamed in before the failure
                shutil.rmtree(live, ignore_errors=True)
            if backup is not None:
                os.rename(backup, live)
        logger.warning("Writing %s failed; the previous contents were put back.", self.out_dir)

    def discard(self) -> None:
        """Remove the staging folder; ``out_dir`` is left as it was."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> FolderStage:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


__all__ = [
    "FolderStage",
    "check_output_dir",
    "failed_build_report_path",
    "write_failed_build_report",
]
