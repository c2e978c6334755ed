"""Keep TensorFlow and matplotlib out of a Rasa server whose model uses neither.

Rasa imports both even when the model needs neither: the tracker featurizers reach
`rasa.utils.train_utils`, which imports the TensorFlow training callbacks; the component
registry imports DIET, TED and the other TensorFlow components so they register themselves; and
RulePolicy imports `rasa.core.test`, which imports the plotting helpers. That is ~350 MB of the
server's resident memory and part of every cold start, for code a count-vector model never runs.

`keep_out_if_unused(argv)` looks at the model `rasa run` is about to load (its metadata names
every class the prediction graph uses) and, when none of those classes lives in a module that
imports TensorFlow or matplotlib, installs an import hook:

- `tensorflow`, `keras`, `matplotlib` and friends are not found at all, with a message saying
  why (libraries that treat them as optional, like thinc under spaCy, see them as not installed);
- a Rasa module whose top level imports one of them is not run; it is replaced by a module whose
  classes and functions are stand-ins: `isinstance`/`issubclass` against them are False (nothing
  can be an instance), and calling, instantiating, subclassing or reading an attribute of one
  raises `NeedsTensorFlow`. Any other name of such a module (a constant, an alias) is an
  ImportError.

So code that needs TensorFlow fails with a message naming it, at import or at its first use,
rather than running against something that only looks like TensorFlow. Only this launcher
installs the hook; `python -m rasa train/test` and plain `rasa run` import what they always did."""

from __future__ import annotations

import argparse
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import sys
import tarfile
from typing import FrozenSet, Iterable, List, Optional, Sequence

logger = logging.getLogger(__name__)

HEAVY = frozenset(
    {
        "tensorflow",
        "tensorflow_addons",
        "tensorflow_hub",
        "tensorflow_text",
        "tensorflow_probability",
        "tensorboard",
        "keras",
        "matplotlib",
    }
)
WHY = (
    "kept out of this Rasa server by bot/rasa_patches/lean_imports.py because the model it serves uses "
    "no TensorFlow component; serve a model that needs it with plain `python -m rasa run`"
)


class NeedsTensorFlow(RuntimeError):
    pass


def heavy_definitions(source: str) -> Optional[FrozenSet[str]]:
    """None when the module's top level imports nothing in HEAVY; else the names of the classes
    and functions it defines at top level. Imports inside functions, `if TYPE_CHECKING:` or
    `try:` blocks do not count: they run only when needed or handle the module being absent."""
    if not any(root in source for root in HEAVY):
        return None
    tree = ast.parse(source)
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            roots = [alias.name.partition(".")[0] for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            roots = [statement.module.partition(".")[0]]
        else:
            continue
        if HEAVY.intersection(roots):
            return frozenset(
                s.name
                for s in tree.body
                if isinstance(s, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            )
    return None


class _Absent(type):
    """The metaclass of the stand-ins: any use beyond naming them raises."""

    def __call__(cls, *args, **kwargs):
        raise NeedsTensorFlow(f"{cls.__module__}.{cls.__qualname__} needs TensorFlow, {WHY}")

    def __getattr__(cls, attribute):
        if attribute.startswith("__"):  # Python's own probes (typing, inspect, copy)
            raise AttributeError(attribute)
        raise NeedsTensorFlow(
            f"{cls.__module__}.{cls.__qualname__}.{attribute} needs TensorFlow, {WHY}"
        )

    def __repr__(cls):
        return f"<stand-in for {cls.__module__}.{cls.__qualname__}: TensorFlow {WHY}>"


def _refuse_subclass(cls, **kwargs):
    raise NeedsTensorFlow(
        f"{cls.__module__}.{cls.__qualname__} extends a class that needs TensorFlow, {WHY}"
    )


def stand_in(module: str, name: str) -> type:
    return _Absent(
        name,
        (),
        {
            "__module__": module,
            "__qualname__": name,
            "__init_subclass__": classmethod(_refuse_subclass),
        },
    )


class _StandInLoader(importlib.abc.Loader):
    def __init__(self, definitions: FrozenSet[str]) -> None:
        self._definitions = definitions

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        name, definitions = module.__name__, self._definitions

        def __getattr__(attribute: str):
            if attribute in definitions:
                value = module.__dict__[attribute] = stand_in(name, attribute)
                return value
            if attribute.startswith("__"):
                raise AttributeError(attribute)
            # ImportError, not AttributeError: `from ... import` would replace the latter's
            # message with a bare "cannot import name"
            raise ImportError(
                f"{name}.{attribute} is not available: the module imports "
                f"TensorFlow or matplotlib, {WHY}",
                name=name,
            )

        module.__getattr__ = __getattr__
        module.__lean_stand_in__ = True


class _KeepOut(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        root = name.partition(".")[0]
        if root in HEAVY:
            raise ModuleNotFoundError(f"No module named {name!r}: {WHY}", name=name)
        if root != "rasa":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        origin = spec.origin if spec is not None else None
        if origin is None or not origin.endswith(".py"):
            return spec
        with open(origin, encoding="utf-8") as f:
            definitions = heavy_definitions(f.read())
        if definitions is None:
            return spec  # the ordinary spec: the module runs as usual
        return importlib.util.spec_from_loader(name, _StandInLoader(definitions), origin=origin)


def installed() -> bool:
    return any(isinstance(finder, _KeepOut) for finder in sys.meta_path)


def install() -> None:
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in HEAVY)
    if loaded:  # too late to keep them out: say so, not pretend
        raise RuntimeError(
            f"already imported before bot.rasa_patches.lean_imports: {', '.join(loaded[:5])}"
        )
    if not installed():
        sys.meta_path.insert(0, _KeepOut())


def _source_of(module: str) -> Optional[str]:
    """A module's source, found without importing it or its packages (whose `__init__` could
    import anything)."""
    path, origin = None, None
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:depth]), path)
        if spec is None:
            return None
        path, origin = spec.submodule_search_locations, spec.origin
    if origin is None or not origin.endswith(".py"):
        return None
    with open(origin, encoding="utf-8") as f:
        return f.read()


def served_classes(model_archive: str) -> Optional[List[str]]:
    """The classes the model's prediction graph runs, from its metadata; None if unreadable."""
    try:
        with tarfile.open(model_archive, "r:gz") as archive:
            for member in archive:
                if member.name.lstrip("./") == "metadata.json":
                    extracted = archive.extractfile(member)
                    if extracted is None:
                        return None
                    metadata = json.load(extracted)
                    return sorted(
                        {node["uses"] for node in metadata["predict_schema"]["nodes"].values()}
                    )
    except (OSError, tarfile.TarError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def classes_needing_heavy(classes: Iterable[str]) -> List[str]:
    """Those of `classes` whose module imports TensorFlow or matplotlib at its top level, or
    whose module cannot be found (then nothing is known about it)."""
    needing = []
    for path in classes:
        source = _source_of(path.rpartition(".")[0])
        if source is None or heavy_definitions(source) is not None:
            needing.append(path)
    return needing


def model_to_serve(argv: Sequence[str]) -> Optional[str]:
    """The archive `rasa run` would load with these arguments; None when it is not one local
    archive (another subcommand, a model from remote storage or a model server)."""
    if not argv or argv[0] != "run" or (len(argv) > 1 and not argv[1].startswith("-")):
        return None  # `run actions`, or not `run` at all
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-m", "--model", default=None)
    parser.add_argument("--remote-storage", default=None)
    known, _ = parser.parse_known_args(list(argv[1:]))
    if known.remote_storage:
        return None
    from rasa.model import get_local_model  # light: no TensorFlow (tested)
    from rasa.shared.constants import DEFAULT_MODELS_PATH

    try:
        return get_local_model(known.model or DEFAULT_MODELS_PATH)
    except Exception:  # Rasa reports a missing model itself
        return None


def keep_out_if_unused(argv: Sequence[str]) -> bool:
    """Install the hook when the model `argv` serves needs neither TensorFlow nor matplotlib.
    Returns whether it did; when in doubt it does not, and Rasa imports what it always does."""
    model = model_to_serve(argv)
    classes = served_classes(model) if model else None
    if classes is None:
        return False
    needing = classes_needing_heavy(classes)
    if needing:
        logger.info("The model uses %s: TensorFlow is imported as usual.", ", ".join(needing))
        return False
    install()
    return True
