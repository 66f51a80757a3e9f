"""Registration of the SentiV models with transformers, done on first use instead of on ``import sentiv_hf``.

Why: `AutoConfig.register`, ``AutoModel….register`` and ``PIPELINE_REGISTRY.register_pipeline`` need the SentiV
classes, and those import torch and transformers' modeling code (4–6 s). Paying that on ``import sentiv_hf`` would
slow down ``sentiv --help`` and every ``sentiv data`` command, which never touch a model. Yet
``AutoModelForAudioClassification.from_pretrained(dir)`` must work right after ``import sentiv_hf``, whichever of
the two packages was imported first.

How: `install` registers at once what transformers has already imported, and puts a small finder at the front of
`sys.meta_path` for the rest. The finder lets the normal finders locate every ``transformers`` module and wraps the
loader's ``exec_module``; when the outermost ``transformers`` import of a thread has finished:

* once ``transformers.models.auto.configuration_auto`` or ``modeling_auto`` is loaded, it imports
  `sentiv_hf.models`, which registers the configs with `AutoConfig`, the speech model with
  `AutoModelForAudioClassification` and the fusion and context models with `AutoModel` (the configs cannot come
  alone: they live in that package, and transformers' ``configuration_auto`` imports torch anyway);
* once ``transformers.pipelines`` is loaded, it registers the ``sentiv-emotion`` and ``sentiv-call`` pipelines.

Registering only when the *outermost* import is done matters: our modules do ``from transformers import AutoModel``
and ``from transformers.pipelines import PIPELINE_REGISTRY``, which fail while those modules are half-executed
(``modeling_auto`` imports ``configuration_auto`` first; ``transformers.pipelines`` imports ``modeling_auto``).

``import sentiv_hf.models`` still registers the Auto classes eagerly, and the pipeline as soon as
``transformers.pipelines`` is (or already was) imported.

Example:
    >>> import sentiv_hf  # no torch yet
    >>> from transformers import AutoModelForAudioClassification  # registers the SentiV models
    >>> model = AutoModelForAudioClassification.from_pretrained("out/speech")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType

# No `logging` nor `importlib.abc` at module level: they would add ~30 ms to every `sentiv` start (each pulls in a
# dozen modules), and a finder only needs `find_spec`.

_AUTO_MODULES = ("transformers.models.auto.configuration_auto", "transformers.models.auto.modeling_auto")
_PIPELINES_MODULE = "transformers.pipelines"

_lock = threading.RLock()
_state = threading.local()  # per thread: how deep in transformers imports, and whether registration is running
_done = {"models": False, "pipeline": False}


def _loaded(name: str, executed: str | None = None) -> bool:
    """Whether ``name`` is imported and has finished executing: a module mid-import is in sys.modules already, with
    ``__spec__._initializing`` set until the import system returns (``executed`` names the module whose code just
    ran, still flagged)."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    return module is not None and (name == executed or not getattr(spec, "_initializing", False))


def _importing(name: str) -> bool:
    return name in sys.modules and not _loaded(name)


def register_models() -> None:
    """Register the SentiV configs and models with the transformers Auto classes (idempotent).

    Example:
        >>> register_models()  # doctest: +SKIP
    """
    with _lock:
        if not _done["models"]:
            importlib.import_module("sentiv_hf.models")  # registers on import, see sentiv_hf/models/__init__.py
            _done["models"] = True


def register_pipeline() -> None:
    """Register the ``sentiv-emotion`` and ``sentiv-call`` pipelines with transformers (idempotent; imports
    ``transformers.pipelines``).

    Example:
        >>> register_pipeline()  # doctest: +SKIP
    """
    with _lock:
        if _done["pipeline"]:
            return
        if _importing("sentiv_hf.models.pipelines"):
            return  # it is importing transformers.pipelines, and registers the task itself when its import ends
        from sentiv_hf.models.pipelines import register_pipelines

        register_pipelines()
        _done["pipeline"] = True


def register_what_is_imported(executed: str | None = None) -> None:
    """Register with every part of transformers that is already imported: the Auto classes once the auto modules
    are, the pipeline once ``transformers.pipelines`` is. It never imports a part of transformers itself.

    Args:
        executed: the module whose code has just run (the import hook passes it; its import is not over yet).

    Example:
        >>> register_what_is_imported()  # doctest: +SKIP
    """
    if getattr(_state, "registering", False):  # our own imports of transformers modules end up here again
        return
    _state.registering = True
    try:
        if not _done["models"] and any(_loaded(name, executed) for name in _AUTO_MODULES):
            register_models()
        if not _done["pipeline"] and _loaded(_PIPELINES_MODULE, executed):
            register_pipeline()
    finally:
        _state.registering = False


class _NotifyingLoader:
    """Wraps ``exec_module`` of one transformers module to count import depth and register when it returns to 0."""

    def __init__(self, exec_module):
        self._exec_module = exec_module

    def __call__(self, module: ModuleType) -> None:
        _state.depth = getattr(_state, "depth", 0) + 1
        try:
            self._exec_module(module)
        finally:
            _state.depth -= 1
        if _state.depth == 0:
            try:
                register_what_is_imported(module.__name__)
            except Exception:  # never break the user's import of transformers; from_pretrained will say what fails
                import logging

                logger = logging.getLogger(__name__)
                logger.warning("Could not register the SentiV models with transformers.", exc_info=True)


class TransformersImportHook:
    """A `sys.meta_path` finder that only watches transformers' modules being loaded (see the module docstring)."""

    def find_spec(self, fullname, path=None, target=None):
        if all(_done.values()) or (fullname != "transformers" and not fullname.startswith("transformers.")):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = getattr(spec.loader, "exec_module", None)
        # File loaders are made per module, so patching the instance touches this module only and the loader keeps
        # its type (code that checks isinstance(loader, SourceFileLoader) still works).
        if exec_module is not None and not isinstance(exec_module, _NotifyingLoader):
            try:
                spec.loader.exec_module = _NotifyingLoader(exec_module)
            except AttributeError:  # a loader that does not take attributes: load it unwatched
                pass
        return spec


def install() -> None:
    """Register with what transformers has imported so far, and watch its later imports (idempotent).

    Called by ``import sentiv_hf``.

    Example:
        >>> install()
    """
    with _lock:
        if not any(isinstance(finder, TransformersImportHook) for finder in sys.meta_path):
            sys.meta_path.insert(0, TransformersImportHook())
    register_what_is_imported()


__all__ = ["TransformersImportHook", "install", "register_models", "register_pipeline", "register_what_is_imported"]
