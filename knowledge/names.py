"""How names are compared: people type "P.S.O.", "pso" or "Probation Service Officer", and all of
them must find the same role. The loader stores aliases through `normalise`; lookups and the
entity extractor use it too, so the three always agree."""

from __future__ import annotations

import unicodedata

_DROPPED = frozenset(".'\u2019\u2018`")  # "p.s.o." -> "pso", "master's" -> "masters"
_KEPT_SYMBOLS = frozenset("£$€")


def _keep(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch in _KEPT_SYMBOLS


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the index in `text` it came from,
    so that a match found in the normalised text can be pointed at in the original."""
    out: list[str] = []
    offsets: list[int] = []
    for index, original in enumerate(text):
        for ch in unicodedata.normalize("NFKD", original).casefold():
            if ch in _DROPPED or unicodedata.combining(ch):  # "Ça" -> "ca"
                continue
            if _keep(ch):
                out.append(ch)
                offsets.append(index)
            elif out and out[-1] != " ":
                out.append(" ")
                offsets.append(index)
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def normalise(text: str) -> str:
    return normalise_with_offsets(text)[0]


def variants(name: str, short_plural: bool = True) -> set[str]:
    """The normalised forms of a name that should all match it: itself, and its simple plural
    or singular, so that "probation officers" finds "probation officer". A two-letter name's
    plural ("POs") only where `short_plural`: a place's ("NH", "DC") would make "NHS" New
    Hampshire."""
    base = normalise(name)
    if not base:
        return set()
    forms = {base}
    if base.endswith("s") and len(base) > 3 and not base.endswith("ss"):
        forms.add(base[:-1])
    elif (len(base) >= 3 and base[-1].isalpha()) or (
        short_plural and len(base) == 2 and base.isalpha()
    ):
        forms.add(base + "s")  # "POs" as well as "PSOs"
    return forms


# The kinds of name the entity extractor finds in messages.
KINDS = ("role", "jurisdiction", "qualification", "subject")
