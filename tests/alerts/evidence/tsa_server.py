"""A throwaway RFC 3161 TSA on loopback for tests: its own CA made with openssl, replies made by `openssl ts -reply`."""
from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONF = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = {cn}
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
"""


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_tsa(directory: Path) -> Path:
    """Create a CA and a TSA certificate in `directory`; returns the config path."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "tsa.cnf"
    conf.write_text(TSA_CONF.format(cn="SaigaWatch Test TSA", dir=directory), encoding="utf-8")
    (directory / "serial").write_text("01\n")
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
         "-out", "ca.crt", "-days", "30", "-subj", "/CN=SaigaWatch Test TSA CA", "-config", str(conf),
         "-extensions", "ca_ext", cwd=directory)
    _run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key",
         "-out", "tsa.csr", "-subj", "/CN=SaigaWatch Test TSA", "-config", str(conf), cwd=directory)
    _run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.crt",
         "-days", "30", "-extfile", str(conf), "-extensions", "tsa_ext", cwd=directory)
    return conf


class _Handler(BaseHTTPRequestHandler):
    conf: Path
    requests: list[bytes]
    serial_lock = threading.Lock()  # `openssl ts -reply` bumps a serial file: one reply at a time, like a real TSA

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.requests.append(body)
        with tempfile.TemporaryDirectory() as tmp:
            query, reply = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
            query.write_bytes(body)
            with self.serial_lock:
                proc = subprocess.run(["openssl", "ts", "-reply", "-config", str(self.conf), "-queryfile", str(query),
                                       "-out", str(reply)], capture_output=True)
            if proc.returncode != 0 or not reply.exists():
                self.send_response(500)
                self.end_headers()
                return
            data = reply.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


class LocalTsa:
    """A running TSA: `.url`, `.ca_file`, `.requests` (the raw queries it received)."""

    def __init__(self, directory: Path):
        self.conf = make_tsa(directory)
        self.ca_file = directory / "ca.crt"
        handler = type("Handler", (_Handler,), {"conf": self.conf, "requests": []})
        self.requests = handler.requests
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LocalTsa":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def local_tsa(directory: Path):
    with LocalTsa(directory) as tsa:
        yield tsa
