"""Personal data is masked before the review shows or writes anything."""
from __future__ import annotations

import pytest

from bot.review.masking import mask


@pytest.mark.parametrize("said,shown", [
    ("my name is Jo Bloggs and I'm 34", "my name is [name] and I'm 34"),
    ("hi, my name's priya, how do I apply?", "hi, my name's [name], how do I apply?"),
    ("I have A levels, call me Alex", "I have A levels, call me [name]"),
    ("email me at jo.bloggs+jobs@example.co.uk", "email me at [email]"),
    ("ring 07700 900123, +44 7700 900123 or 020 7946 0958", "ring [phone], [phone] or [phone]"),
    ("I live in SW1A 1AA and work in m1 1ae", "I live in [postcode] and work in [postcode]"),
    ("NI QQ 12 34 56 C, or AB123456D", "NI [NI number], or [NI number]"),
    ("born 12/03/1990, 3rd March 1990, March 3, 1990 or 1990-03-12",
     "born [date], [date], [date] or [date]"),
])
def test_personal_data_is_replaced_by_its_kind(said, shown):
    assert mask(said) == shown


@pytest.mark.parametrize("text", [
    "what band is a PSO?",
    "A PSO earns £24,000 to £26,500 a year to start (2024-25 figures).",
    "PQiP takes 15 to 27 months; Level 3 is the minimum.",
    "my name is not important, what band is a PO?",
    "is band 3 the same as B3 in NI?",
])
def test_what_is_not_personal_is_left_as_it_was(text):
    assert mask(text) == text
