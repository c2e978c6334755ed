"""The benchmark's load client, against a stand-in REST channel: it sends every turn of every
scripted conversation, each conversation under its own sender and in order, counts the turns
that got no answer, and times each turn of the script."""
from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.bench import load

REFUSED = "thanks"          # the stand-in answers this turn with an empty list: a failed turn


@pytest.fixture()
def stand_in():
    heard = defaultdict(list)

    class Channel(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            heard[body["sender"]].append(body["message"])
            reply = [] if body["message"] == REFUSED else [{"text": f"about {body['message']}"}]
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Channel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", heard
    server.shutdown()
    server.server_close()


def test_every_turn_of_every_conversation_is_sent_in_order_and_timed(stand_in):
    url, heard = stand_in
    result = load.drive(url, conversations=5, concurrency=2)

    assert len(heard) == 5                                    # one sender per conversation
    assert all(messages == list(load.SCRIPT) for messages in heard.values())
    assert result["turns"] == 5 * len(load.SCRIPT)
    assert result["failures"] == 5                            # the refused turn, once each
    assert list(result["p50_ms_by_turn"]) == list(load.SCRIPT)
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert result["throughput"] > 0


def test_an_unreachable_server_counts_every_turn_as_failed():
    result = load.drive("http://127.0.0.1:9", conversations=1, concurrency=1)
    assert result["turns"] == len(load.SCRIPT)
    assert result["failures"] == len(load.SCRIPT)


def test_percentiles_pick_from_the_sorted_values():
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 0.50) == 51.0
    assert load.percentile(values, 0.95) == 96.0
    assert load.percentile(values, 0.99) == 100.0
    assert load.percentile([], 0.95) == 0.0
