"""Personal data masked before anything from a conversation is shown or written: email
addresses, phone numbers, UK postcodes, National Insurance numbers, dates (of birth, mostly)
and the names people give ("my name is ..."). Each is replaced by its kind in brackets, so an
editor still sees what sort of thing was said."""

from __future__ import annotations

import re

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# Order matters: an email's digits are not a phone number, an NI number is not a postcode.
PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # any two letters, not only the prefixes HMRC issues: people type the example QQ 12 34 56 C
    ("[NI number]", re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)),
    ("[date]", re.compile(r"\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b")),
    ("[date]", re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b")),
    (
        "[date]",
        re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}\b", re.I),
    ),
    ("[date]", re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.I)),
    (
        "[phone]",
        re.compile(r"(?:(?<![\w+])(?:\+|00)\d{1,3}[\s-]?(?:\(0\)\s?)?|\b0)\d(?:[\s-]?\d){8,9}\b"),
    ),
    (
        "[postcode]",
        re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPSTUW\d]?)\s*\d[ABD-HJLNP-UW-Z]{2}\b", re.I),
    ),
)
# "my name is Jo Bloggs", "I'm called jo", "call me Jo": the next one or two words are the name.
_NAME_LEAD = re.compile(
    r"\b(my name is|my name's|name:|i'm called|i am called|call me|"
    r"this is|i go by)\s+",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Words that end a name rather than belong to it.
_NOT_NAMES = {
    "and",
    "but",
    "i",
    "im",
    "i'm",
    "a",
    "an",
    "the",
    "from",
    "in",
    "at",
    "with",
    "my",
    "how",
    "what",
    "can",
    "could",
    "would",
    "is",
    "was",
    "not",
    "just",
    "so",
    "also",
    "here",
    "there",
    "about",
    "probation",
    "pso",
    "po",
    "please",
    "thanks",
    "hi",
    "hello",
    "on",
    "by",
    "to",
    "back",
    "via",
    "if",
    "when",
    "for",
    "again",
    "later",
    "now",
    "today",
}


def _mask_names(text: str) -> str:
    out, position = [], 0
    for lead in _NAME_LEAD.finditer(text):
        if lead.start() < position:
            continue
        cursor, words = lead.end(), 0
        while words < 2:
            word = _WORD.match(text, cursor)
            if not word or word.group().lower() in _NOT_NAMES:
                break
            cursor, words = word.end(), words + 1
            space = re.match(r"[ \t]+", text[cursor:])
            following = _WORD.match(text, cursor + space.end()) if space else None
            if words < 2 and space and following and following.group().lower() not in _NOT_NAMES:
                cursor += space.end()
            else:
                break
        if words:
            out += [text[position : lead.end()], "[name]"]
            position = cursor
    out.append(text[position:])
    return "".join(out)


def mask(text: str | None) -> str:
    if not text:
        return ""
    for replacement, pattern in PATTERNS:
        text = pattern.sub(replacement, text)
    return _mask_names(text)
