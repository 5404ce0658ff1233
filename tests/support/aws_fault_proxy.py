#!/usr/bin/env python3
"""Fault-injecting AWS proxy for tests: forwards requests unchanged and logs each one.

Usage: aws_fault_proxy.py --upstream http://127.0.0.1:PORT [--route SERVICE=URL ...]
                          --port-file FILE --log FILE

Stands between ecsync processes and an AWS endpoint (moto_server) so that a test can see,
per caller, every AWS call in order, and cut one caller off from one service.

- Listeners. Each caller (a replica) gets its own loopback port, made on demand through the
  control port, so the proxy knows who sends what: point the caller's endpoint at it.
- Forwarding. The request's head and body go upstream byte for byte (Host included), so a
  SigV4 signature made for the proxy's address still verifies wherever moto checks one. The
  answer comes back with its status, headers and body (re-framed with Content-Length).
  Requests go to --upstream, or to the --route given for their service (e.g. DynamoDB on a
  server of its own, as in AWS, so that lease writes do not queue behind stack creates).
- Log. One JSON object per request, appended when it ends, before the caller has the answer
  (or the failure): "listener", "sent" (read whole) and "answered" (the answer ready to go
  back, or the connection about to close), on time.monotonic(), i.e. CLOCK_MONOTONIC, the
  clock C++'s steady_clock reads;
  "service" (the SigV4 credential scope's), "action" (X-Amz-Target's or Action=),
  "status" and "error" (HTTP status and AWS error code; status 0 when cut off), "fault"
  ("reset" or "hang" when cut off), and from the request: "stack", "change_set" and
  "token" (CloudFormation's StackName, ChangeSetName, ClientRequestToken or ClientToken),
  "table", "pk", "owner", "epoch", "update" and "condition" (DynamoDB's TableName, the
  item's key "pk", "owner"/"epoch" from the item or the :owner/:epoch values, the update
  and condition expressions). Control actions are logged too, as {"event", "listener",
  "service", "mode", "at"}. Credentials, signatures and headers are never logged.
- Control (HTTP on the port written to --port-file, answers 200 with a text body):
    POST /listeners?name=N                     a listener for N (made once); answers its port
    POST /cut?listener=N&service=S&mode=M      N's requests to service S (default dynamodb)
                                               fail from now: mode "reset" closes the
                                               connection with a TCP reset, "hang" holds it
                                               unanswered until the caller gives up or
                                               the cut ends (then it is closed unanswered);
                                               answers the time it took effect (a request
                                               logged as sent later is cut off)
    POST /restore?listener=N&service=S         ends that cut; answers its time likewise
  A request already forwarded when a cut starts is answered normally.

Test-only: loopback, no TLS, Content-Length bodies (what the AWS clients here send).
"""

import argparse
import http.client
import http.server
import json
import os
import re
import socket
import socketserver
import struct
import threading
import time
import urllib.parse

SCOPE = re.compile(r"Credential=[^/,\s]+/[^/]+/[^/]+/([^/]+)/aws4_request")
XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
TARGET_SERVICES = {"DynamoDB": "dynamodb"}
MAX_HEAD = 64 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--route", action="append", default=[], metavar="SERVICE=URL")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    return parser.parse_args()


ARGS = parse_args()
UPSTREAM = urllib.parse.urlsplit(ARGS.upstream)
ROUTES = {service: urllib.parse.urlsplit(url)
          for service, url in (route.split("=", 1) for route in ARGS.route)}
LOG_LOCK = threading.Lock()
STATE = threading.Condition()
CUTS = {}  # (listener, service) -> mode; guarded by STATE
LISTENERS = {}  # name -> server; guarded by STATE


def append_log(entry):
    line = json.dumps(entry, sort_keys=True) + "\n"
    with LOG_LOCK, open(ARGS.log, "a", encoding="utf-8") as log:
        log.write(line)


def header(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def service_of(headers):
    match = SCOPE.search(header(headers, "authorization"))
    if match:
        return match.group(1)
    prefix = header(headers, "x-amz-target").split("_")[0].split(".")[0]
    return TARGET_SERVICES.get(prefix, "")


def dynamo_value(value):
    if isinstance(value, dict):
        for kind in ("S", "N"):
            if kind in value:
                return value[kind]
    return ""


def describe_request(path, headers, body):
    """What the log says about a request: action and the fields named in the docstring."""
    fields = {}
    target = header(headers, "x-amz-target")
    if target:
        fields["action"] = target.rsplit(".", 1)[-1]
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        item = doc.get("Item") or doc.get("Key") or {}
        values = doc.get("ExpressionAttributeValues") or {}
        fields["table"] = doc.get("TableName", "")
        fields["pk"] = dynamo_value(item.get("pk"))
        fields["owner"] = dynamo_value(item.get("owner") or values.get(":owner"))
        fields["epoch"] = dynamo_value(item.get("epoch") or values.get(":epoch"))
        fields["update"] = doc.get("UpdateExpression", "")
        fields["condition"] = doc.get("ConditionExpression", "")
        return fields
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if header(headers, "content-type").startswith("application/x-www-form-urlencoded"):
        query.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
    first = {key: values[0] for key, values in query.items() if values}
    fields["action"] = first.get("Action", "")
    fields["stack"] = first.get("StackName", "")
    fields["change_set"] = first.get("ChangeSetName", "")
    fields["token"] = first.get("ClientRequestToken", first.get("ClientToken", ""))
    return fields


def error_code(body):
    if body.startswith(b"{"):
        try:
            return str(json.loads(body).get("__type", "")).rsplit("#", 1)[-1]
        except ValueError:
            return ""
    match = XML_CODE.search(body)
    return match.group(1).decode("utf-8", "replace") if match else ""


class Caller(socketserver.BaseRequestHandler):
    """One client connection: requests in turn, each forwarded on a fresh upstream one."""

    def handle(self):
        self.reader = self.request.makefile("rb")
        while True:
            request = read_request(self.reader)
            if request is None:
                return
            if not self.serve(*request):
                return

    def serve(self, head, path, headers, body):
        entry = {"listener": self.server.name, "service": service_of(headers)}
        entry.update(describe_request(path, headers, body))
        with STATE:
            # Read under the lock a cut or restore takes its time under: a request sent after
            # a cut's time is cut off, one sent after a restore's is not.
            entry["sent"] = time.monotonic()
            mode = CUTS.get((self.server.name, entry["service"]))
        if mode:
            self.fail(mode, entry)
            return False
        try:
            status, reason, answer_headers, answer = forward(
                ROUTES.get(entry["service"], UPSTREAM), head, body)
        except (OSError, http.client.HTTPException) as error:
            status, reason, answer_headers = 502, "Bad Gateway", []
            answer = f'{{"__type": "ProxyUpstreamError", "message": "{error}"}}'.encode()
        entry.update(status=status, error=error_code(answer) if status >= 300 else "")
        out = [f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")]
        for key, value in answer_headers:
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                out.append(f"{key}: {value}\r\n".encode("latin-1"))
        out.append(f"Content-Length: {len(answer)}\r\n\r\n".encode("latin-1"))
        entry["answered"] = time.monotonic()
        append_log(entry)  # first: a caller holding its answer finds the request logged
        self.request.sendall(b"".join(out) + answer)
        return header(headers, "connection").lower() != "close"

    def fail(self, mode, entry):
        if mode == "hang":
            # Held until the caller closes its end or the cut ends; never answered.
            self.request.settimeout(0.05)
            while True:
                with STATE:
                    if CUTS.get((self.server.name, entry["service"])) != "hang":
                        break
                try:
                    if self.request.recv(1, socket.MSG_PEEK) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
        entry.update(status=0, error="", fault=mode, answered=time.monotonic())
        append_log(entry)  # before the caller learns of the failure
        # SO_LINGER 0: closing sends a reset instead of an orderly end (closed here, not by
        # socketserver, which would send a FIN first).
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.reader.close()
        self.request.close()


def read_request(reader):
    """(raw head, path, [(name, value)], body) of the next request; None at the end."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline(MAX_HEAD)
        if not line or len(head) > MAX_HEAD:
            return None
        if head == b"" and line in (b"\r\n", b"\n"):
            continue
        head += line
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 2 else "/"
    headers = []
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers.append((key.strip(), value.strip()))
    length = int(header(headers, "content-length") or "0")
    body = reader.read(length) if length else b""
    if len(body) != length:
        return None
    return head, path, headers, body


def forward(server, head, body):
    """Sends the request to `server` unchanged; (status, reason, headers, body) of the answer."""
    upstream = socket.create_connection((server.hostname, server.port or 80))
    try:
        upstream.sendall(head + body)
        response = http.client.HTTPResponse(upstream, method=head.split(b" ", 1)[0].decode())
        response.begin()
        answer = response.read()
        return response.status, response.reason, response.getheaders(), answer
    finally:
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_listener(name):
    with STATE:
        if name not in LISTENERS:
            server = Server(("127.0.0.1", 0), Caller)
            server.name = name
            threading.Thread(target=server.serve_forever, daemon=True).start()
            LISTENERS[name] = server
        return LISTENERS[name].server_address[1]


class Control(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        query = {key: values[0] for key, values in urllib.parse.parse_qs(url.query).items()}
        name = query.get("name", query.get("listener", ""))
        service = query.get("service", "dynamodb")
        if not name:
            return self.answer(400, "name or listener is required")
        if url.path == "/listeners":
            return self.answer(200, str(make_listener(name)))
        if url.path not in ("/cut", "/restore"):
            return self.answer(404, "no such control")
        mode = query.get("mode", "reset") if url.path == "/cut" else ""
        if mode not in ("", "reset", "hang"):
            return self.answer(400, "mode is reset or hang")
        with STATE:
            if mode:
                CUTS[(name, service)] = mode
            else:
                CUTS.pop((name, service), None)
            at = time.monotonic()
            STATE.notify_all()
        append_log({"event": url.path[1:], "listener": name, "service": service, "mode": mode,
                    "at": at})
        return self.answer(200, repr(at))

    def answer(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def main():
    control = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Control)
    control.daemon_threads = True
    partial = ARGS.port_file + ".partial"
    with open(partial, "w", encoding="utf-8") as out:
        out.write(f"{control.server_address[1]}\n")
    os.replace(partial, ARGS.port_file)  # appears whole: the test reads it once it exists
    control.serve_forever()


if __name__ == "__main__":
    main()
