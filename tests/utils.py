"""Helpers shared by the tests: running code in a fresh Python process, with or without ``sentiv_hf`` importable.

Datasets and checkpoints written by sentiv_hf must load with plain ``datasets`` / ``transformers``
(``trust_remote_code=True``) on a machine without the package. sentiv_hf is installed editable here, so the child
process blocks it with a meta-path finder that runs before any other import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

# Prepended to the child's code. Private names, so that the child's own code cannot clash with them.
_BLOCK_SENTIV_HF = """\
import importlib.abc as _importlib_abc
import sys as _sys


class _BlockSentiV(_importlib_abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sentiv_hf" or name.startswith("sentiv_hf."):
            raise ImportError("sentiv_hf is blocked in this process")
        return None


_sys.meta_path.insert(0, _BlockSentiV())
"""


def run_python_without_sentiv_hf(
    code: str, *args: str | Path, cwd: str | Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a fresh interpreter where importing ``sentiv_hf`` raises `ImportError`.

    Args:
        code: the child's Python source; its arguments are ``sys.argv[1:]``.
        *args: the arguments, passed as strings.
        cwd: the child's working directory (use a ``tmp_path``, never the repository root).
        env: variables added to the child's environment; it always runs offline and without ``PYTHONPATH``.
        timeout: seconds before `subprocess.TimeoutExpired`.

    Example:
        >>> proc = run_python_without_sentiv_hf("import sys; print(sys.argv[1])", "hi", cwd=tmp_path)  # doctest: +SKIP
        >>> proc.stdout  # doctest: +SKIP
        'hi\\n'
    """
    return run_python(_BLOCK_SENTIV_HF + textwrap.dedent(code), *args, cwd=cwd, env=env, timeout=timeout)


def run_python(
    code: str,
    *args: str | Path,
    cwd: str | Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    python_flags: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a fresh interpreter, offline, with ``sentiv_hf`` importable as installed.

    Args:
        code: the child's Python source; its arguments are ``sys.argv[1:]``.
        *args: the arguments, passed as strings.
        cwd: the child's working directory (use a ``tmp_path``, never the repository root).
        env: variables added to the child's environment; it always runs offline and without ``PYTHONPATH``.
        timeout: seconds before `subprocess.TimeoutExpired`.
        python_flags: interpreter options, e.g. ``("-X", "importtime")``.

    Example:
        >>> run_python("import sentiv_hf; print(sentiv_hf.__version__)", cwd=tmp_path).stdout  # doctest: +SKIP
        '0.1.0\\n'
    """
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", **(env or {})}
    child_env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, *python_flags, "-c", textwrap.dedent(code), *map(str, args)],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


REPO = Path(__file__).resolve().parents[1]


def launch_two_cpu_processes(
    target: list[str], *, use_cpu: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``accelerate launch --config_file accelerate_configs/cpu_ddp.yaml TARGET`` (2 gloo processes) on a free
    port, from the repository root, and return the finished process.

    Args:
        target: what accelerate runs, e.g. ``["-m", "sentiv_hf.cli", "train", "text", ...]`` or a script and its
            arguments.
        use_cpu: set ``ACCELERATE_USE_CPU=1`` as the README says; False reproduces a user who forgot it.
    """
    import socket

    with socket.socket() as sock:  # a free port, so that parallel DDP tests do not collide
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "ACCELERATE_USE_CPU"}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", CUDA_VISIBLE_DEVICES="")
    if use_cpu:
        env["ACCELERATE_USE_CPU"] = "1"  # accelerate only spawns CPU workers through torchrun when told to
    config = REPO / "accelerate_configs" / "cpu_ddp.yaml"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config)]
    command += ["--main_process_port", str(port), *map(str, target)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def last_json_line(proc: subprocess.CompletedProcess[str]) -> Any:
    """Assert that ``proc`` succeeded (showing the end of its stderr if not) and parse its last stdout line as JSON.

    Example:
        >>> last_json_line(run_python_without_sentiv_hf("print('[1]')", cwd=tmp_path))  # doctest: +SKIP
        [1]
    """
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
