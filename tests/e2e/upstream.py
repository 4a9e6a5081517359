"""A recording fake upstream: every request is kept so tests can check what the server sent."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self):
        return parse_qs(self.body.decode())


@dataclass
class FakeUpstream:
    """Answers 200/201 with a JSON echo (after 1.5 s under any path containing `slow`); 404 under any path
    containing `missing` or `404404`; an OAuth2 token at
    `/oauth/v1/tokens`."""

    requests: list = field(default_factory=list)
    token_requests: list = field(default_factory=list)

    def start(self):
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()}, body,
                )
                if parts.path.endswith("/oauth/v1/tokens"):
                    upstream.token_requests.append(recorded)
                    self._reply(200, {"access_token": "token-from-fake", "expires_in": 3600, "token_type": "Bearer"})
                    return
                upstream.requests.append(recorded)
                if "slow" in parts.path:
                    time.sleep(1.5)
                if "missing" in parts.path or "404404" in parts.path:
                    self._reply(404, {"message": "Not found", "api_key": "must-not-leak"})
                else:
                    self._reply(201 if self.command == "POST" else 200, {"ok": True, "path": parts.path})

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
