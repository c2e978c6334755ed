"""The load balancer's configuration, rendered for any list of Rasa servers: the scaled test
starts nginx with it on this machine, and deploy/nginx/nginx.conf is the same text rendered for
the container service names (a test keeps the two from drifting apart).

Conversation affinity: every request of one conversation goes to the same Rasa server while
that server is up. Rasa Open Source's Redis lock store can let two servers work on one
conversation at once (RasaHQ/rasa#9213); with affinity, two messages of a conversation meet on
one server, whose lock orders them. The conversation key is read from the request body (the
REST `sender`, the Telegram chat, the Slack user), or is the client address for socket.io,
whose handshake and long-polling requests must also reach one server (sticky sessions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# Bodies bigger than this are refused by nginx before any Rasa server reads them; it is also
# the in-memory body buffer, because the affinity key can only be read from a body in memory.
MAX_BODY = "64k"


@dataclass(frozen=True)
class Balancer:
    rasa_servers: Sequence[str]  # host:port of each Rasa server
    listen: str = "80"  # port, or address:port
    run_dir: str = "/tmp"  # pid file and temporary files; must be writable
    served_by_header: bool = False  # name the answering server (tests only)
    max_fails_seconds: int = 5  # how long a server that failed is left out


def _servers(balancer: Balancer) -> str:
    return "\n".join(
        f"        server {address} max_fails=1 fail_timeout={balancer.max_fails_seconds}s;"
        for address in balancer.rasa_servers
    )


def render(balancer: Balancer) -> str:
    run = balancer.run_dir.rstrip("/") or ""
    served_by = (
        "        add_header X-Served-By $upstream_addr always;\n"
        if balancer.served_by_header
        else ""
    )
    return f"""# Rendered by bot/scale/nginx.py; edit that file, not this one.
worker_processes 1;
pid {run}/nginx.pid;
error_log stderr warn;

events {{
    worker_connections 2048;
}}

http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {run}/nginx-body;
    proxy_temp_path {run}/nginx-proxy;
    fastcgi_temp_path {run}/nginx-fastcgi;
    uwsgi_temp_path {run}/nginx-uwsgi;
    scgi_temp_path {run}/nginx-scgi;

    client_max_body_size {MAX_BODY};
    client_body_buffer_size {MAX_BODY};

    # The conversation a request belongs to. Quotes inside a JSON string are escaped, so a
    # message's text cannot pose as one of these keys (an escaped quote in a sender id only
    # shortens its key, which stays the same for every message of that sender).
    map $request_body $conversation {{
        default $remote_addr;
        "~\\"sender\\"\\s*:\\s*\\"(?<rest_sender>[^\\"]*)\\"" "rest:$rest_sender";
        "~\\"chat\\"\\s*:\\s*\\{{\\s*\\"id\\"\\s*:\\s*(?<telegram_chat>-?[0-9]+)" "telegram:$telegram_chat";
        "~\\"user\\"\\s*:\\s*\\"(?<slack_user>[A-Za-z0-9]+)\\"" "slack:$slack_user";
    }}

    # Each request's id goes to the Rasa server, the same on a retry to another server, so a turn
    # is answered once however often it is sent (bot/rasa_patches/retried_turns.py): the client's own
    # X-Request-Id when it sent one, otherwise nginx's.
    map $http_x_request_id $turn_request_id {{
        default $http_x_request_id;
        ""      $request_id;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      "";
    }}

    upstream rasa {{
        hash $conversation consistent;
{_servers(balancer)}
        keepalive 32;
        # Shorter than Sanic's 5 s keep-alive, so nginx never reuses a connection the Rasa
        # server is closing (that fails the request over to another server, breaking affinity).
        keepalive_timeout 4s;
    }}

    server {{
        listen {balancer.listen};

        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header X-Request-Id $turn_request_id;
        # A server that dies mid-turn: the turn is sent to another server. POSTs are retried
        # too: a turn the dead server had already stored is answered from the store by its id.
        proxy_next_upstream error timeout http_502 http_503 non_idempotent;
        proxy_next_upstream_tries 2;
        proxy_connect_timeout 2s;
        # Long enough for a turn that waits for a dead server's conversation lock to expire.
        proxy_read_timeout 60s;
{served_by}
        error_page 413 = @too_large;
        error_page 502 503 504 = @unavailable;

        location = /nginx-health {{
            access_log off;
            default_type text/plain;
            return 200 "ok\\n";
        }}

        location /socket.io/ {{
            proxy_pass http://rasa;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}

        location / {{
            proxy_pass http://rasa;
        }}

        location @too_large {{
            default_type application/json;
            return 413 '{{"error": "The request is too large: the limit is {MAX_BODY}B. Please send a shorter message."}}\\n';
        }}

        location @unavailable {{
            default_type application/json;
            return 503 '{{"error": "The adviser is busy or restarting. Please try again in a moment."}}\\n';
        }}
    }}
}}
"""
