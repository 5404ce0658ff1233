#!/usr/bin/env python3
"""Smart-HTTP git server for tests: `git http-backend` behind Python's http.server.

Usage: git_http_server.py --port P --root DIR [--user U --password PW] [--log FILE]

Serves every repository below DIR on 127.0.0.1:P. With --user/--password each request must
carry `Authorization: Basic base64(U:PW)`; otherwise the answer is 401 with a
WWW-Authenticate challenge. With --log, one line "<status> <method> <path>" is appended per
request so a test can count what a client sent. Test-only: single user, no TLS.

A small CGI gateway of our own rather than `python3 -m http.server --cgi`, which neither
turns the CGI "Status:" header into the status line nor keeps root's identity (it drops to
nobody, who cannot read the test repositories).
"""

import argparse
import base64
import hmac
import http.server
import os
import subprocess
import threading


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--log", default="")
    return parser.parse_args()


ARGS = parse_args()
LOG_LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.handle_git()

    def do_POST(self):
        self.handle_git()

    def authorized(self):
        if not ARGS.user and not ARGS.password:
            return True
        expected = "Basic " + base64.b64encode(
            f"{ARGS.user}:{ARGS.password}".encode()).decode()
        return hmac.compare_digest(self.headers.get("Authorization", ""), expected)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def record(self, status):
        if not ARGS.log:
            return
        with LOG_LOCK, open(ARGS.log, "a") as log:
            log.write(f"{status} {self.command} {self.path}\n")

    def reply(self, status, headers, payload):
        self.record(status)
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def handle_git(self):
        body = self.read_body()
        if not self.authorized():
            self.reply(401, [("WWW-Authenticate", 'Basic realm="git"'),
                             ("Content-Type", "text/plain")], b"authentication required\n")
            return
        path, _, query = self.path.partition("?")
        env = dict(os.environ, GIT_PROJECT_ROOT=ARGS.root, GIT_HTTP_EXPORT_ALL="1",
                   REQUEST_METHOD=self.command, PATH_INFO=path, QUERY_STRING=query,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_ADDR="127.0.0.1")
        if ARGS.user:
            env["REMOTE_USER"] = ARGS.user
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True).stdout
        sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
        head, _, payload = out.partition(sep)
        status, headers = 200, []
        for line in head.decode(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.reply(status, headers, payload)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    server.serve_forever()
