"""The review as one self-contained HTML page (no scripts, no outside requests): tables of what
to fix, and bar charts drawn as inline SVG with a table of the same figures beside each."""

from __future__ import annotations

import time
from collections import Counter
from html import escape

from bot.review.summary import Group, Review

STYLE = """
body { font: 16px/1.45 system-ui, sans-serif; color: #0b0c0c; max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { margin-top: 0; } h2 { margin-top: 2em; border-bottom: 2px solid #1d4f91; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #d8d8d8; }
th { background: #f3f2f1; } td.n { text-align: right; white-space: nowrap; }
.answer { color: #505a5f; font-size: 14px; white-space: pre-line; }
.summary { font-size: 18px; } .none { color: #505a5f; font-style: italic; }
.chart { display: block; max-width: 100%; height: auto; }
.answered { fill: #00703c; } .declined { fill: #d4351c; }
.key span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
"""


def _cell(text: object, css: str = "") -> str:
    return f'<td class="{css}">{escape(str(text))}</td>' if css else f"<td>{escape(str(text))}</td>"


def _table(headers: list[str], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="none">{escape(empty)}</p>'
    head = "".join(f"<th scope=\"col\">{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _groups(groups: list[Group], empty: str) -> str:
    rows = []
    for group in groups[:50]:
        others = [p for p in group.phrasings if p != group.example][:3]
        nearest = group.nearest.most_common(1)[0][0] if group.nearest else "none"
        rows.append(
            "<tr>"
            + _cell(group.count, "n")
            + "<td>"
            + escape(group.example)
            + "".join(f'<div class="answer">also: {escape(p)}</div>' for p in others)
            + "</td>"
            + _cell(nearest)
            + "</tr>"
        )
    return _table(["times", "question (and similar ones)", "nearest unit considered"], rows, empty)


def bar_chart(title: str, counts: dict[str, Counter]) -> str:
    """Stacked bars, answered and declined, one per label; the figures also go in a table."""
    if not counts:
        return '<p class="none">No questions in this period.</p>'
    labels = list(counts)[:20]
    most = max(sum(counts[k].values()) for k in labels) or 1
    bar, gap, left, height = 22, 6, 170, 20 + len(labels) * 28
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 640 {height}" '
        f'width="640" height="{height}">'
    ]
    for i, label in enumerate(labels):
        y = 10 + i * (bar + gap)
        x: float = left
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>'
        )
        for outcome in ("answered", "declined"):
            width = 340 * counts[label][outcome] / most
            if width:
                parts.append(
                    f'<rect class="{outcome}" x="{x:.1f}" y="{y}" width="{width:.1f}" height="{bar}">'
                    f'<title>{escape(label)}: {counts[label][outcome]} {outcome}</title></rect>'
                )
            x += width
        total = sum(counts[label].values())
        rate = counts[label]["declined"] / total if total else 0
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12">{total} ({rate:.0%} declined)</text>'
        )
    parts.append("</svg>")
    rows = [
        "<tr>"
        + _cell(k)
        + _cell(counts[k]["answered"], "n")
        + _cell(counts[k]["declined"], "n")
        + _cell(f"{counts[k]['declined'] / max(1, sum(counts[k].values())):.0%}", "n")
        + "</tr>"
        for k in labels
    ]
    key = (
        '<p class="key"><span class="answered" style="background:#00703c"></span>answered'
        '<span style="background:#d4351c"></span>declined</p>'
    )
    return (
        "".join(parts)
        + key
        + "<details><summary>The figures</summary>"
        + _table(["", "answered", "declined", "decline rate"], rows, "")
        + "</details>"
    )


def render(review: Review, filters: str) -> str:
    asked, declined = review.asked, review.declined_count
    rated = [
        (
            "<tr>"
            + _cell(time.strftime("%Y-%m-%d %H:%M", time.gmtime(r["timestamp"])))
            + _cell(r["channel"] or "")
            + "<td>"
            + escape(r["question"] or "")
            + f'<div class="answer">{escape(r["answer"] or "")}</div></td>'
            + _cell(r["comment"] or "")
            + "</tr>"
        )
        for r in reversed(review.not_helpful)
    ]
    asked_rows = [
        (
            "<tr>"
            + _cell(count, "n")
            + _cell(unit)
            + "<td>"
            + escape(turn.question)
            + f'<div class="answer">{escape(turn.answer[:400])}</div></td></tr>'
        )
        for unit, count, turn in review.most_asked
    ]
    rate = f"{declined / asked:.0%}" if asked else "no"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Careers adviser: review</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>What people asked the careers adviser</h1>
<p>{escape(filters)}. Made {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}. Personal details
(email addresses, phone numbers, postcodes, National Insurance numbers, dates and names people gave)
are masked.</p>
<p class="summary"><strong>{asked}</strong> questions in <strong>{review.conversations}</strong>
conversations: <strong>{asked - declined}</strong> answered, <strong>{declined}</strong> declined
({rate} declined), <strong>{sum(g.count for g in review.unsure)}</strong> answered with low confidence;
<strong>{len(review.not_helpful)}</strong> answers rated not helpful.</p>
<h2 id="declined">Questions the bot could not answer</h2>
{_groups(review.declined, "No question was declined in this period.")}
<h2 id="not-helpful">Answers rated not helpful</h2>
{_table(["when", "channel", "question and answer", "comment"], rated, "No answer was rated not helpful in this period.")}
<h2 id="unsure">Answered with low confidence</h2>
{_groups(review.unsure, "No answer was given with low confidence in this period.")}
<h2 id="most-asked">Most asked, and how each was answered</h2>
{_table(["times", "unit", "latest question and its answer"], asked_rows, "No questions in this period.")}
<h2 id="by-day">Answered and declined by day</h2>
{bar_chart("Answered and declined questions by day", review.by_day)}
<h2 id="by-topic">Answered and declined by topic</h2>
{bar_chart("Answered and declined questions by topic", review.by_topic)}
</body></html>
"""
