"""`make review` on a scripted week of conversations: the declined questions grouped with the
nearest unit considered, the not-helpful ratings, the most asked, the charts, personal data masked,
and the --since and --channel filters; then a question the bot could not answer, asked over REST
to the running bot, in the page and the summary at once."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid

import pytest
import requests

from bot.review import command
from bot.settings import ROOT
from tests.review.week import DAY, write_week
from tests.services import environment


@pytest.fixture
def week(tmp_path):
    url = f"sqlite:///{tmp_path / 'trackers.sqlite'}"
    write_week(url, start=time.time() - 7 * DAY)
    with environment({"TRACKER_STORE_URL": url}):
        yield tmp_path


def review(out, *args: str, capsys) -> tuple[str, str]:
    assert command.main([*args, "--out", str(out)]) == 0
    return out.read_text(), capsys.readouterr().out


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"', 1)[1].split("<h2", 1)[0]


def test_the_page_shows_what_to_fix_with_personal_data_masked(week, capsys):
    page, summary = review(week / "review.html", capsys=capsys)
    shutil.copy(week / "review.html", ROOT / "results" / "review-week.html")   # for the record
    declined = section(page, "declined")
    rows = re.findall(r'<td class="n">(\d+)</td><td>([^<]*)', declined)
    # the two pass-mark questions are one group, first; each row names the nearest unit
    assert rows[0][0] == "2" and "pass mark" in rows[0][1]
    assert "assessment-centre" in declined and "apply-how" in declined and "min-age" in declined
    not_helpful = section(page, "not-helpful")
    assert "can I apply from [postcode]?" in not_helpful and "call me on [phone] about it" in not_helpful
    assert "A PSO earns £24,000" in not_helpful
    assert "is pqip paid" in section(page, "unsure")      # answered at a score just over the line
    most = section(page, "most-asked")
    assert re.search(r'<td class="n">3</td><td>role-band</td>', most)
    assert page.count("<svg") == 2 and "% declined" in section(page, "by-day")
    for personal in ("Jo Bloggs", "jo.bloggs@example.com", "SW1A 1AA", "QQ 12 34 56 C",
                     "12/03/1990", "07700 900123"):
        assert personal not in page and personal not in summary
    assert "my name is [name], email [email]" in page
    assert "what&#x27;s the weather in Leeds?" in declined and "off-topic" in section(page, "by-topic")
    assert summary.startswith("10 questions in 10 conversations: 5 answered, 5 declined (50%)")
    assert "2 answers rated not helpful" in summary
    assert "declined 2x: What is the exact pass mark for the assessment centre?" in summary


def test_since_and_channel_narrow_the_review(week, capsys):
    _, summary = review(week / "recent.html", "--since", "3d", capsys=capsys)
    assert summary.startswith("3 questions in 3 conversations")
    page, summary = review(week / "slack.html", "--channel", "slack", capsys=capsys)
    assert summary.startswith("1 questions in 1 conversations: 0 answered, 1 declined")
    assert "Channel slack" in page or "channel slack" in page
    with pytest.raises(SystemExit, match="--since must be"):
        command.main(["--since", "last tuesday", "--out", str(week / "x.html")])


def test_a_store_with_no_conversations_yet_gives_an_empty_review(tmp_path, capsys):
    with environment({"TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'new' / 'trackers.sqlite'}"}):
        page, summary = review(tmp_path / "review.html", capsys=capsys)
    assert summary.startswith("0 questions in 0 conversations")
    assert "No question was declined in this period." in page


def test_a_question_the_bot_could_not_answer_over_rest_is_in_the_review_at_once(bot_server, tmp_path):
    sender = f"review-{uuid.uuid4().hex[:8]}"
    question = f"what band is a justice social worker? my email is r{uuid.uuid4().hex[:6]}@example.org"
    reply = requests.post(f"{bot_server}/webhooks/rest/webhook",
                          json={"sender": sender, "message": question}, timeout=30).json()
    assert "don't have" in reply[0]["text"]
    requests.post(f"{bot_server}/webhooks/feedback/webhook", timeout=30,
                  json={"sender": sender, "rating": "not_helpful", "comment": "nothing about Scotland"})
    started = time.monotonic()
    out = tmp_path / "review.html"
    done = subprocess.run([sys.executable, "-m", "bot", "review", "--since", "1d", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    page = out.read_text()
    masked = "what band is a justice social worker? my email is [email]"
    assert masked in section(page, "declined") and masked in section(page, "not-helpful")
    assert "nothing about Scotland" in page and "@example.org" not in page
    assert "answers rated not helpful" in done.stdout and "@example.org" not in done.stdout


from tests.e2e.conftest import bot_processes, bot_server  # noqa: E402,F401  (fixtures)
