"""An HTTPS upstream on 127.0.0.1, with a certificate from a test authority made here with openssl:
the server sends a call to it when the authority is among the system's roots (`SSL_CERT_FILE`), and
refuses the handshake when it is not, so nothing reaches an upstream it cannot verify."""

import contextlib
import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mcp import Client, StdioServerParameters

from conftest import server_binary
from test_hardening import text_of
from test_stdio import cliniko_env


def certificates(folder):
    """A certificate authority and a server certificate it signed for 127.0.0.1: (CA, cert, key)."""
    ca_key, ca, key, request, cert = (folder / name for name in ["ca.key", "ca.pem", "server.key", "server.csr", "server.pem"])
    extensions = folder / "server.ext"
    extensions.write_text("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for command in [
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1", "-subj", "/CN=mcpgen test authority"],
        ["openssl", "req", *ec, "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "1", "-extfile", extensions],
    ]:
        subprocess.run([str(part) for part in command], check=True, capture_output=True)
    return ca, cert, key


@contextlib.contextmanager
def https_upstream(cert, key):
    """A JSON echo over HTTPS on a free loopback port: (base URL, paths requested)."""
    requested = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            body = json.dumps({"ok": True, "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def cliniko(base_url, extra=None):
    env = {**cliniko_env(base_url), "RUST_LOG": "warn", **(extra or {})}
    return StdioServerParameters(command=str(server_binary("cliniko-mcp")), args=["serve"], env=env)


async def test_https_upstreams_are_verified_against_the_systems_roots(tmp_path):
    ca, cert, key = certificates(tmp_path)
    with https_upstream(cert, key) as (url, requested):
        async with Client(cliniko(url, {"SSL_CERT_FILE": str(ca)})) as client:
            result = await client.call_tool("get_patient", {"id": "1"})
            assert not result.is_error, text_of(result)
            assert result.structured_content == {"ok": True, "path": "/v1/patients/1"}
        assert requested == ["/v1/patients/1"]

        # Without the test authority among its roots, the server refuses the upstream's certificate.
        async with Client(cliniko(url)) as client:
            result = await client.call_tool("get_patient", {"id": "2"})
            assert result.is_error and "certificate" in text_of(result).lower(), text_of(result)
        assert requested == ["/v1/patients/1"], "nothing reached an upstream whose certificate was refused"


async def test_a_server_without_root_certificates_serves_plain_http_and_refuses_https(upstream, tmp_path):
    """The system's roots are loaded on the first TLS handshake, not at start: with none at all (an empty
    `SSL_CERT_FILE`), a plain-HTTP upstream is served, and an HTTPS one is refused with a reason."""
    empty = tmp_path / "no-roots.pem"
    empty.write_text("")
    async with Client(cliniko(upstream.url, {"SSL_CERT_FILE": str(empty)})) as client:
        result = await client.call_tool("get_patient", {"id": "1"})
        assert not result.is_error, text_of(result)
    assert [sent.path for sent in upstream.requests] == ["/v1/patients/1"]

    ca, cert, key = certificates(tmp_path)
    with https_upstream(cert, key) as (url, requested):
        async with Client(cliniko(url, {"SSL_CERT_FILE": str(empty)})) as client:
            result = await client.call_tool("get_patient", {"id": "2"})
            assert result.is_error and "certificate" in text_of(result).lower(), text_of(result)
        assert requested == []
