#!/usr/bin/env python3
"""A recording HTTP proxy for AWS API calls, for the controller benchmarks.

Usage: aws_proxy.py --upstream http://127.0.0.1:MOTO_PORT --log FILE [--port-file F] [--port N]

Listens on 127.0.0.1 (port N, or a free one written to --port-file once listening) and
forwards every request unchanged to the upstream (moto). For each request it appends one line
to --log when the request arrives, before forwarding:

    <time.time() with microseconds> <service> <operation> <detail>

The service is read from the SigV4 credential scope of the Authorization header
(".../us-east-1/cloudformation/aws4_request"), "-" when unsigned. The operation is the
X-Amz-Target header's last part (JSON protocols such as ECS) or the Action= field of the
query string or form body (query protocols: CloudFormation, EC2, STS), else the method and
path. The detail tells single-stack requests from listings: "name" when the request
names a StackName, "next" when it carries a NextToken (a later page), else "-". Lines are
written with one write() each and flushed, so a reader sees whole lines.
"""
import argparse
import http.client
import http.server
import os
import re
import threading
import time
import urllib.parse

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# Hop-by-hop headers are not forwarded (RFC 9110 7.6.1).
_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade"}


def _operation(method, path, headers, body):
    """(operation, detail) of one request."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1], "-"
    query = urllib.parse.urlsplit(path).query
    for source in (query, body.decode("utf-8", "replace") if body else ""):
        fields = urllib.parse.parse_qs(source)
        if fields.get("Action"):
            detail = "name" if fields.get("StackName") else "next" if fields.get("NextToken") else "-"
            return fields["Action"][0], detail
    return method + ":" + path.split("?")[0], "-"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()
    upstream = urllib.parse.urlsplit(args.upstream)
    log = open(args.log, "a", buffering=1)
    log_lock = threading.Lock()
    local = threading.local()

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
            local.conn = conn
        return conn

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = _SCOPE.search(self.headers.get("Authorization", ""))
            service = scope.group(1) if scope else "-"
            op, detail = _operation(self.command, self.path, self.headers, body)
            line = f"{time.time():.6f} {service} {op} {detail}\n"
            with log_lock:
                log.write(line)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            for attempt in range(2):
                conn = connection()
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    local.conn = None
                    if attempt == 1:
                        self.send_error(502, "upstream failed")
                        return
            self.send_response(response.status, response.reason)
            for k, v in response.getheaders():
                if k.lower() not in _HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{server.server_address[1]}\n")
        os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
