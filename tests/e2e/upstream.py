"""A recording fake upstream: every request is kept so tests can check what the server sent."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# A 422 body full of what must never reach a model or a log: credentials and a patient's details.
UNPROCESSABLE = {
    "errors": {
        "api_key": ["sk_live_4eC39HqLyjWDarjtT1zdp7dc is revoked"],
        "password": ["hunter2-secret is too short"],
        "date_of_birth": ["1980-04-02 does not match our records"],
        "starts_at": ["is already taken"],
    },
    "patient": {"email": "ann.lee@example.com", "phone": "+61 412 345 678", "note": "call Ann on (02) 9876 5432"},
}


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
    """Answers 200/201 with a JSON echo, and by words in the path:
    `slow` 200 after 1.5 s; `missing` or `404404` 404; `slow503` 503 after 1.5 s; `unprocessable` 422
    with secrets and personal data; `retryafterhuge` 429 with a Retry-After of 2^64-1; `huge` a body
    of `huge_bytes`; `redirectaway` 307 to `redirect_target`; `redirecthere` 302 to `/landed` here.
    The OAuth2 token endpoint `/oauth/v1/tokens` answers `token_status` with a token, or a body of
    `token_body_bytes` when that is set."""

    requests: list = field(default_factory=list)
    token_requests: list = field(default_factory=list)
    redirect_target: str = ""
    huge_bytes: int = 5 * 1024 * 1024
    token_status: int = 200
    token_body_bytes: int = 0

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
                path = parts.path
                if path.endswith("/oauth/v1/tokens"):
                    upstream.token_requests.append(recorded)
                    if upstream.token_body_bytes:
                        self._send(200, b"{\"padding\": \"" + b"x" * upstream.token_body_bytes + b"\"}")
                    else:
                        self._reply(upstream.token_status, {"access_token": "token-from-fake", "expires_in": 3600, "token_type": "Bearer"})
                    return
                upstream.requests.append(recorded)
                if "slow503" in path:
                    time.sleep(1.5)
                    self._reply(503, {"message": "busy"})
                elif "slow" in path:
                    time.sleep(1.5)
                    self._reply(200, {"ok": True, "path": path})
                elif "missing" in path or "404404" in path:
                    self._reply(404, {"message": "Not found", "api_key": "must-not-leak"})
                elif "unprocessable" in path:
                    self._reply(422, UNPROCESSABLE)
                elif "retryafterhuge" in path:
                    self._reply(429, {"message": "slow down"}, {"Retry-After": "18446744073709551615"})
                elif "huge" in path:
                    self._send(200, b"[" + b"1," * (upstream.huge_bytes // 2) + b"1]")
                elif "redirectaway" in path:
                    self._reply(307, {}, {"Location": f"{upstream.redirect_target}/stolen"})
                elif "redirecthere" in path:
                    self._reply(302, {}, {"Location": "/landed"})
                else:
                    self._reply(201 if self.command == "POST" else 200, {"ok": True, "path": path})

            def _reply(self, status, payload, headers=None):
                self._send(status, json.dumps(payload).encode(), headers)

            def _send(self, status, data, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server stopped reading, as it should past its limit

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
