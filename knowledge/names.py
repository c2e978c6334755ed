"""How names are compared: people type "P.S.O.", "pso" or "Probation Service Officer", and all of
them must find the same role. The loader stores aliases through `normalise`, and lookups and the
entity extractor use it too, so the three always agree."""
from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[.'\u2019`]")          # "p.s.o." -> "pso", "master's" -> "masters"
_SEPARATORS = re.compile(r"[^0-9a-z£$€]+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DROP.sub("", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def variants(name: str) -> set[str]:
    """The normalised forms of a name that should all match it: itself, and its simple plural
    or singular, so that "probation officers" finds "probation officer"."""
    base = normalise(name)
    if not base:
        return set()
    forms = {base}
    if base.endswith("s") and len(base) > 3 and not base.endswith("ss"):
        forms.add(base[:-1])
    elif len(base) >= 3:
        forms.add(base + "s")
    return forms
