#!/usr/bin/env python3
"""A slow stand-in for Slack, Teams, a webhook endpoint and GitHub's status API, for
bench/notify_latency.sh.

Usage: slow_receiver.py --delay-ms 200 --log FILE --port-file F

Listens on 127.0.0.1 (a free port, written to --port-file once listening) and answers every
request after --delay-ms: 201 with {"id": <n>} (what GitHub's deployments API returns; the
other notifiers only look at the 2xx). For each request it appends one line to --log once it
has answered, written with one write() and flushed:

    <time.time() when it arrived> <time.time() when answered> <method> <path>

The path is logged without its query; the stand-in's URLs carry no secret.
"""
import argparse
import http.server
import itertools
import json
import os
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=float, default=200)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    log = open(args.log, "a", buffering=1)
    log_lock = threading.Lock()
    ids = itertools.count(1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            arrived = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            time.sleep(args.delay_ms / 1000)
            body = json.dumps({"id": next(ids)}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with log_lock:
                log.write(f"{arrived:.6f} {time.time():.6f} {self.command} "
                          f"{self.path.split('?')[0]}\n")

        do_POST = answer
        do_GET = answer
        do_PATCH = answer

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
