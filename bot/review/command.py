"""`python -m bot review [--since DATE|Nd] [--channel NAME] [--out FILE]`: reads the conversation
store TRACKER_STORE_URL names and writes the review page (results/review.html), with a short
summary on the console."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from pathlib import Path

from bot import feedback
from bot.review.page import render
from bot.review.reading import read_ratings, read_turns
from bot.review.summary import Review
from bot.settings import ROOT

DEFAULT_OUT = ROOT / "results" / "review.html"


def since_timestamp(given: str | None, now: float | None = None) -> float | None:
    """ "7d" (the last seven days) or a date, "2026-12-01"; None for everything kept."""
    if not given:
        return None
    days = re.fullmatch(r"(\d+)\s*d(?:ays?)?", given.strip())
    if days:
        return (now or time.time()) - int(days.group(1)) * 86400
    try:
        return (
            dt.datetime.strptime(given.strip(), "%Y-%m-%d")
            .replace(tzinfo=dt.timezone.utc)
            .timestamp()
        )
    except ValueError:
        raise SystemExit(
            f"--since must be a number of days such as 7d or a date such as 2026-12-01, "
            f"not {given!r}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot review", description=__doc__)
    parser.add_argument(
        "--since", help="only conversations from this date (2026-12-01) or these days (7d)"
    )
    parser.add_argument("--channel", help="only this channel: rest, socketio, slack or telegram")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the page to write")
    args = parser.parse_args(argv)
    since = since_timestamp(args.since)
    url = feedback.store_url()
    review = Review.of(read_turns(url, since, args.channel), read_ratings(url, since, args.channel))
    filters = ", ".join(
        filter(
            None,
            [
                f"since {args.since}" if args.since else "every conversation kept",
                f"channel {args.channel}" if args.channel else "every channel",
            ],
        )
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(review, filters[0].upper() + filters[1:]), encoding="utf-8")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(review.console(str(shown)))
    return 0
