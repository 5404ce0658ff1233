#!/usr/bin/env python3
"""Soak of `ecsync serve`: mixed webhook traffic, slow clients and oversized requests for a
long time while projects deploy to moto; checks memory, health latency and what got deployed.

How to run (see bench/soak.sh for the wrapper):

    python3 bench/soak.py --ecsync build/cli/ecsync [--duration 1800] [--repos 100] ...

Needs: git, python3 with boto3, moto (tests/support/moto_ecsync.py). Everything listens on
127.0.0.1; each traffic class connects from its own loopback address (127.0.0.2 valid pushes,
.3 forged, .4 slow clients, .5 oversized; the /healthz prober and status reads from
127.0.0.1), so limits per source address see the git host apart from the attackers.
--keep keeps the work folder (logs, configuration, the proxy's record).

Setup (not measured):
  * --repos small git repositories soak000..., each a compose.yaml with one tiny service, plus
    --decoys repositories (decoy000...) that are configured but only ever receive forged
    webhooks, plus a few repositories that exist in git but are not configured (unknown000...).
    All are working repositories served by one `git daemon` (git://127.0.0.1:PORT/NAME).
  * moto (tests/support/moto_ecsync.py) behind a recording reverse proxy (this script, run as
    `--role proxy` in its own process): for every AWS request it writes one JSON line with the
    arrival time (time.time()), the service, the operation, the StackName it names, the
    ecsync:revision tag it carries (CreateStack / CreateChangeSet / UpdateStack), the answer's
    HTTP status and, for a single-stack DescribeStacks, the stack status in the answer.
  * ecsync.yaml: every repository with its own webhook secret ({file: ...}), poll_interval 24h
    (so only webhooks make ecsync look; there is one check per repository at start),
    generous webhook rate limits (webhooks.requests_per_second 1000, burst 10000), and the
    AWS endpoint = the proxy. `ecsync serve` is started and the script waits until every
    project is Ready and every stack carries its first commit.

Traffic, all concurrently for --duration seconds:
  valid      --pushers threads; each push commits a change (a new SOAK_SEQ environment value,
             so every commit's template differs) to a repository, then POSTs a signed webhook
             for it (generic or GitHub format, alternating). Most pushes go to an idle
             repository (its previous push is applied according to /api/v1/status); a share
             (--burst-share) pushes twice in a row to the same repository to exercise
             coalescing. A webhook that fails (connection error, timeout, 429, 5xx) is sent
             again up to twice, as git hosts redeliver.
  forged     bad, missing, truncated or wrong-secret signatures (for configured and decoy
             repositories), correctly signed requests for unknown repositories, signed
             non-JSON bodies. Decoy repositories also get new commits now and then, so a
             forged request that got through would show up as a deploy.
  slow       slowloris clients (a request line, then one header line every --slow-interval
             seconds, never finishing), idle connections (connect, send nothing) and slow
             bodies (complete headers, then one body byte every --slow-interval seconds);
             each reconnects when the server closes it.
  oversized  thousands of headers, one 16 KiB / 256 KiB / 1 MiB header, a 100 KB URL.

Sampling:
  * RSS: VmRSS, VmHWM, threads and open file descriptors of the ecsync process from /proc
    every --rss-interval seconds.
  * /healthz: a separate process (`--role healthz`) GETs /healthz on the admin address in a
    loop (a new connection each time, --healthz-interval between probes, 5 s timeout) and
    records each latency; a failed probe counts as a failure and, in the percentiles, as its
    time to failure.
  * webhook to first CloudFormation call: for each push to an idle repository, t0 is
    time.time() just before the webhook is sent and t1 the first request the proxy recorded at
    or after t0 that names that repository's stack. Stack listings (no StackName) cannot be
    attributed to one push under concurrent traffic, so they are not counted; the first named
    call is normally the project's DescribeStacks or CreateChangeSet. A second figure, webhook
    to the change set that carries the pushed commit, is measured for every push whose commit
    was deployed itself (not coalesced into a later one).

Checks (exit status 1 when one fails, 2 when the setup failed):
  * every valid push deployed: every valid webhook was accepted (202, or 200 "duplicate" to a
    redelivery), and after the traffic stops and the queue drains, each repository's stack
    (read with boto3 directly from moto) is *_COMPLETE with ecsync:revision = the last commit
    pushed to it;
  * nothing else deployed: no stack other than the configured ones; decoy stacks still at
    their first commit and no write call for them after start-up; every revision any write
    call carried was the first commit or a validly pushed one;
  * RSS flat: median of the last 20 % of samples vs median of the first 20 % after the
    warm-up; growth at most --rss-growth-max percent;
  * /healthz p99 under --healthz-p99-max ms over the whole run and in every minute, and no
    failed probe.

Listeners: before the HTTP rework everything is on server.listen; after it, /healthz and
/api/v1/status are on server.admin_listen. --admin-port auto (the default) writes
admin_listen into the configuration and, when ecsync refuses the key, starts again without
it and uses the main address for both; --admin-port none never writes it; --admin-port N
requires it.
"""
import argparse
import collections
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Each traffic class connects from its own loopback address (all of 127.0.0.0/8 is local on
# Linux), so a server that limits per source address treats the git host sending valid pushes
# apart from the attackers, as it would in production. --same-source turns this off.
SOURCES = {"valid": "127.0.0.2", "forged": "127.0.0.3", "slow": "127.0.0.4",
           "oversized": "127.0.0.5"}
WRITE_OPS = {"CreateStack", "CreateChangeSet", "UpdateStack", "ExecuteChangeSet", "DeleteStack"}


# ---------------------------------------------------------------------------------------------
# Small helpers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, limit, proc=None):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def percentile(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def stats(values):
    if not values:
        return {"count": 0}
    return {"count": len(values), "p50": round(percentile(values, 50), 2),
            "p99": round(percentile(values, 99), 2), "max": round(max(values), 2),
            "mean": round(statistics.mean(values), 2)}


def fmt(value, unit=""):
    return "-" if value is None else f"{value:.1f}{unit}"


def compose_text(seq):
    # SOAK_SEQ makes every commit's template differ: a commit whose template equalled the
    # deployed one would be a no-op and leave the revision tag at an older commit.
    return ("services:\n  web:\n    image: nginx:1.27-alpine\n    environment:\n"
            f"      SOAK_SEQ: \"{seq}\"\n    deploy:\n      replicas: 1\n")


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def http_request(port, method, path, body=b"", headers=None, timeout=10.0, source=None):
    """(status or error name, milliseconds). source: the local address to connect from."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        outcome = response.status
    except Exception as e:  # every failure is an outcome to count, not a crash
        outcome = type(e).__name__
    finally:
        conn.close()
    return outcome, (time.perf_counter() - start) * 1000


# ---------------------------------------------------------------------------------------------
# Role: the recording reverse proxy in front of moto (own process, so its work does not
# disturb the traffic threads' timing).

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_STATUS = re.compile(rb"<StackStatus>([A-Z_]+)</StackStatus>")
_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade"}


def describe_request(path, headers, body):
    """(operation, stack name, ecsync:revision tag) of one AWS request."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1], "", ""
    fields = {}
    for source in (urllib.parse.urlsplit(path).query, body.decode("utf-8", "replace")):
        fields.update(urllib.parse.parse_qs(source))
    op = fields.get("Action", ["-"])[0]
    stack = fields.get("StackName", [""])[0]
    revision = ""
    for key, value in fields.items():
        m = re.fullmatch(r"Tags\.member\.(\d+)\.Key", key)
        if m and value[0] == "ecsync:revision":
            revision = fields.get(f"Tags.member.{m.group(1)}.Value", [""])[0]
    return op, stack, revision


def run_proxy(args):
    upstream = urllib.parse.urlsplit(args.upstream)
    log = open(args.proxy_log, "a", buffering=1)
    log_lock = threading.Lock()
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def _forward(self):
            arrived = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = _SCOPE.search(self.headers.get("Authorization", ""))
            op, stack, revision = describe_request(self.path, self.headers, body)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            status, data, reason, response_headers = 502, b"", "Bad Gateway", []
            for attempt in range(2):
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = http.client.HTTPConnection(
                        upstream.hostname, upstream.port, timeout=300)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    status, reason = response.status, response.reason
                    response_headers = response.getheaders()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    local.conn = None
            stack_status = ""
            if op == "DescribeStacks" and stack:
                m = _STATUS.search(data)
                stack_status = m.group(1).decode() if m else ""
            record = {"t": round(arrived, 6), "svc": scope.group(1) if scope else "-", "op": op,
                      "stack": stack, "rev": revision, "code": status, "status": stack_status}
            with log_lock:
                log.write(json.dumps(record) + "\n")
            self.send_response(status, reason)
            for k, v in response_headers:
                if k.lower() not in _HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.proxy_port), Handler)
    server.daemon_threads = True
    server.serve_forever()


# ---------------------------------------------------------------------------------------------
# Role: the /healthz prober (own process, so the traffic threads do not add GIL waits to it).

def run_healthz(args):
    out = open(args.healthz_log, "a", buffering=1)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *unused: stop.set())
    while not stop.is_set():
        wall = time.time()
        outcome, ms = http_request(args.healthz_port, "GET", "/healthz", timeout=5.0)
        out.write(f"{wall:.6f} {ms:.3f} {outcome}\n")
        stop.wait(args.healthz_interval)


# ---------------------------------------------------------------------------------------------
# The soak itself

class Repo:
    def __init__(self, name, kind, path, url, secret):
        self.name, self.kind, self.path, self.url, self.secret = name, kind, path, url, secret
        self.stack = name
        self.seq = 0
        self.initial = ""
        self.head = ""          # the last commit made in the repository
        self.last_pushed = ""   # the last commit announced with a validly signed webhook
        self.lock = threading.Lock()

    def commit(self):
        """Commits a change; returns the new commit. Caller holds self.lock."""
        self.seq += 1
        with open(os.path.join(self.path, "compose.yaml"), "w") as f:
            f.write(compose_text(self.seq))
        git(self.path, "commit", "-qam", f"soak change {self.seq}")
        self.head = git(self.path, "rev-parse", "HEAD")
        return self.head


class Soak:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="ecsync-soak.")
        self.procs = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes = collections.defaultdict(collections.Counter)  # class -> outcome -> n
        self.unexpected = collections.Counter()                      # class -> n
        self.pushes = []          # dicts, see push()
        self.slow_holds = collections.defaultdict(list)  # kind -> seconds the server kept it
        self.slow_answers = collections.defaultdict(collections.Counter)
        self.slow_open_at_end = collections.defaultdict(list)  # kind -> age when we stopped
        self.rss = []             # (t since traffic start, rss KiB, hwm KiB, threads, fds)
        self.status = {}          # project stack -> (condition, lastAppliedRevision)
        self.status_errors = collections.Counter()
        self.t_start = None
        self.repos = {}
        self.serve = None
        self.sources = {k: None for k in SOURCES} if args.same_source else dict(SOURCES)

    # -- processes ----------------------------------------------------------------------------

    def spawn(self, argv, log_name, env=None):
        log = open(os.path.join(self.work, log_name), "w")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop_process(self, proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cleanup(self):
        for proc in reversed(self.procs):
            self.stop_process(proc)
        if self.args.keep:
            print(f"work folder kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # -- setup --------------------------------------------------------------------------------

    def make_repos(self):
        base = os.path.join(self.work, "repos")
        secrets = os.path.join(self.work, "secrets")
        os.makedirs(base)
        os.makedirs(secrets)
        self.git_port = free_port()
        names = ([(f"soak{i:03d}", "valid") for i in range(self.args.repos)] +
                 [(f"decoy{i:03d}", "decoy") for i in range(self.args.decoys)] +
                 [(f"unknown{i:03d}", "unknown") for i in range(3)])
        for name, kind in names:
            path = os.path.join(base, name)
            os.makedirs(path)
            git(path, "init", "-q", "-b", "main")
            git(path, "config", "user.email", "soak@example.com")
            git(path, "config", "user.name", "soak")
            secret = uuid.uuid4().hex + uuid.uuid4().hex
            with open(os.path.join(secrets, name), "w") as f:
                f.write(secret)
            repo = Repo(name, kind, path, f"git://127.0.0.1:{self.git_port}/{name}", secret)
            with open(os.path.join(path, "compose.yaml"), "w") as f:
                f.write(compose_text(0))
            git(path, "add", "compose.yaml")
            git(path, "commit", "-qm", "first")
            repo.initial = repo.head = repo.last_pushed = git(path, "rev-parse", "HEAD")
            self.repos[name] = repo
        self.secrets_dir = secrets
        self.spawn(["git", "daemon", "--reuseaddr", f"--base-path={base}", "--export-all",
                    "--listen=127.0.0.1", f"--port={self.git_port}", "--max-connections=128",
                    base], "git-daemon.log")
        if not wait_for_port(self.git_port, 30):
            raise RuntimeError("git daemon did not start")

    def start_moto(self):
        self.moto_port = free_port()
        self.spawn([sys.executable, os.path.join(ROOT, "tests/support/moto_ecsync.py"),
                    "-H", "127.0.0.1", "-p", str(self.moto_port)], "moto.log")
        if not wait_for_port(self.moto_port, 90):
            raise RuntimeError("moto did not start")
        self.proxy_port = free_port()
        self.proxy_log = os.path.join(self.work, "aws-requests.jsonl")
        self.spawn([sys.executable, os.path.abspath(__file__), "--role", "proxy",
                    "--upstream", f"http://127.0.0.1:{self.moto_port}",
                    "--proxy-port", str(self.proxy_port), "--proxy-log", self.proxy_log],
                   "proxy.log")
        if not wait_for_port(self.proxy_port, 30):
            raise RuntimeError("the recording proxy did not start")

    def config(self, admin_port):
        """The configuration as a dict; written as JSON, which YAML readers accept."""
        a = self.args
        server = {"listen": f"127.0.0.1:{self.listen_port}"}
        if admin_port:
            server["admin_listen"] = f"127.0.0.1:{admin_port}"
        repositories = []
        for repo in self.repos.values():
            if repo.kind == "unknown":
                continue
            repositories.append({
                "name": repo.name, "url": repo.url, "branch": "main",
                # Long enough that nothing but webhooks (and the one check at start) fetches.
                "poll_interval": "24h",
                "webhook_secret": {"file": os.path.join(self.secrets_dir, repo.name)},
                "projects": [{"name": "app", "files": ["compose.yaml"],
                              "stack_name": repo.stack}]})
        config = {
            "cache_dir": os.path.join(self.work, "cache"),
            "concurrency": a.concurrency,
            "server": server,
            # Per endpoint today, maybe per source address later: either way far above what
            # the soak sends, so a refused valid push is a finding, not a configuration limit.
            "webhooks": {"requests_per_second": 1000, "burst": 10000},
            "aws": {"endpoint_url": f"http://127.0.0.1:{self.proxy_port}",
                    "region": "us-east-1", "vpc_id": "vpc-12345678",
                    "subnet_ids": ["subnet-1111aaaa"]},
            "repositories": repositories,
        }
        for item in a.config_set:
            key, _, value = item.partition("=")
            node = config
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            try:
                node[parts[-1]] = json.loads(value)
            except ValueError:
                node[parts[-1]] = value
        return config

    def start_serve(self):
        a = self.args
        self.listen_port = a.listen_port or free_port()
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
                   AWS_CONFIG_FILE="/nonexistent/config")
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
            env.pop(name, None)
        if a.admin_port == "none":
            candidates = [None]
        elif a.admin_port == "auto":
            candidates = [free_port(), None]
        else:
            candidates = [int(a.admin_port)]
        self.config_path = os.path.join(self.work, "ecsync.yaml")
        for admin_port in candidates:
            with open(self.config_path, "w") as f:
                json.dump(self.config(admin_port), f, indent=1)
            proc = self.spawn([a.ecsync, "--log-format", "json", "serve", "--config",
                               self.config_path], "serve.log", env=env)
            if wait_for_port(self.listen_port, 60, proc):
                if admin_port is None or wait_for_port(admin_port, 10, proc):
                    self.serve = proc
                    self.admin_port = admin_port or self.listen_port
                    self.admin_mode = "separate" if admin_port else "same as listen"
                    return
            self.stop_process(proc)
            with open(os.path.join(self.work, "serve.log")) as f:
                log = f.read()
            if admin_port and "admin_listen" in log and len(candidates) > 1:
                print("ecsync does not know server.admin_listen; everything on server.listen")
                continue
            raise RuntimeError("ecsync serve did not start:\n" + log[-3000:])

    def boto(self):
        import boto3
        return boto3.client("cloudformation", endpoint_url=f"http://127.0.0.1:{self.moto_port}",
                            region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    def stacks(self):
        """stack name -> (status, tags) for every stack in moto (read directly, not via proxy)."""
        cfn = self.boto()
        result = {}
        for page in cfn.get_paginator("describe_stacks").paginate():
            for s in page["Stacks"]:
                result[s["StackName"]] = (s["StackStatus"],
                                          {t["Key"]: t["Value"] for t in s.get("Tags", [])})
        return result

    def wait_initial_deploy(self):
        configured = [r for r in self.repos.values() if r.kind != "unknown"]
        deadline = time.monotonic() + self.args.setup_timeout
        last = ""
        while time.monotonic() < deadline:
            if self.serve.poll() is not None:
                raise RuntimeError("ecsync serve exited during setup")
            self.poll_status()
            done = sum(1 for r in configured
                       if self.status.get(r.stack) == ("Ready", r.initial))
            last = f"{done}/{len(configured)} projects Ready at their first commit"
            if done == len(configured):
                stacks = self.stacks()
                if all(stacks.get(r.stack, ("", {}))[1].get("ecsync:revision") == r.initial
                       for r in configured):
                    return
            time.sleep(1)
        raise RuntimeError(f"initial deploy not done after {self.args.setup_timeout}s: {last}")

    # -- samplers -----------------------------------------------------------------------------

    def poll_status(self):
        outcome = None
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=10)
        try:
            conn.request("GET", "/api/v1/status")
            response = conn.getresponse()
            body = response.read()
            outcome = response.status
            if response.status == 200:
                status = {}
                for p in json.loads(body).get("projects", []):
                    status[p.get("stack")] = (p["condition"]["type"],
                                              p.get("lastAppliedRevision", ""))
                self.status = status
        except Exception as e:
            outcome = type(e).__name__
        finally:
            conn.close()
        if outcome != 200:
            self.status_errors[str(outcome)] += 1

    def status_loop(self):
        while not self.stop.wait(2.0):
            self.poll_status()

    def rss_loop(self):
        pid = self.serve.pid
        while True:
            try:
                fields = {}
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        key, _, value = line.partition(":")
                        fields[key] = value.split()[0] if value.split() else ""
                fds = len(os.listdir(f"/proc/{pid}/fd"))
                self.rss.append((round(time.time() - self.t_start, 1), int(fields["VmRSS"]),
                                 int(fields["VmHWM"]), int(fields["Threads"]), fds))
            except (OSError, KeyError, ValueError):
                pass
            if self.stop.wait(self.args.rss_interval):
                return

    # -- traffic ------------------------------------------------------------------------------

    def record(self, cls, outcome, expected):
        with self.lock:
            self.outcomes[cls][str(outcome)] += 1
            if not expected(outcome):
                self.unexpected[cls] += 1

    def webhook(self, repo, commit, before, secret, style, delivery):
        """(path, body, headers) of a push webhook for repo at commit signed with secret."""
        if style == "github":
            body = json.dumps({"ref": "refs/heads/main", "before": before, "after": commit,
                               "repository": {"clone_url": repo.url}}).encode()
            headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery}
            if secret:
                headers["X-Hub-Signature-256"] = "sha256=" + sign(secret, body)
            path = "/hooks/github"
        else:
            body = json.dumps({"repository": repo.url, "ref": "refs/heads/main",
                               "commit": commit}).encode()
            headers = {"X-Request-Id": delivery}
            if secret:
                headers["X-Signature"] = "sha256=" + sign(secret, body)
            path = "/hooks/generic"
        headers["Content-Type"] = "application/json"
        return path, body, headers

    def push(self, repo, measured):
        """Commits to repo and sends its signed webhook (with redeliveries)."""
        with repo.lock:
            before = repo.head
            commit = repo.commit()
            style = "github" if repo.seq % 2 else "generic"
            path, body, headers = self.webhook(repo, commit, before, repo.secret, style,
                                               f"soak-{uuid.uuid4()}")
            entry = {"repo": repo.name, "commit": commit, "style": style, "t0": None,
                     "measured": measured, "attempts": [], "accepted": False}
            repo.last_pushed = commit
            with self.lock:
                self.pushes.append(entry)
            entry["t0"] = time.time()  # latencies count from the first delivery attempt
            for attempt in range(3):
                outcome, ms = http_request(self.listen_port, "POST", path, body, headers,
                                           source=self.sources["valid"])
                entry["attempts"].append([outcome, round(ms, 2)])
                # A redelivery answered 200 "duplicate" means an earlier attempt that timed out
                # on our side did reach the server and was accepted there.
                delivered = outcome == 202 or (attempt > 0 and outcome == 200)
                self.record("valid", outcome, lambda o: delivered)
                if delivered:
                    entry["accepted"] = True
                    break
                if isinstance(outcome, int) and outcome < 500 and outcome != 429:
                    break  # refused for good: a redelivery would be refused too
                time.sleep(1 + attempt)

    def idle_repos(self, busy):
        """The idle repositories that were pushed least often: so every repository gets its
        first push early (inside the warm-up) and pushes spread evenly afterwards."""
        idle = [r for r in self.repos.values()
                if r.kind == "valid" and r.name not in busy
                and self.status.get(r.stack) == ("Ready", r.last_pushed)]
        fewest = min((r.seq for r in idle), default=0)
        return [r for r in idle if r.seq == fewest]

    def pusher_loop(self, rng, busy):
        # Each pusher sends one push (or a burst of two) every pushers / push_rate seconds.
        period = self.args.pushers / self.args.push_rate
        next_at = time.monotonic()
        while not self.stop.is_set():
            # After a stall (webhooks timing out) carry on at the normal rate, no catch-up burst.
            next_at = max(next_at, time.monotonic() - period) + period * rng.uniform(0.5, 1.5)
            if rng.random() < self.args.burst_share:
                with self.lock:
                    repo = rng.choice([r for r in self.repos.values()
                                       if r.kind == "valid" and r.name not in busy])
                    busy.add(repo.name)
                # Two pushes back to back: the second arrives while the first is fetched or
                # deployed, so neither is a clean latency sample.
                self.push(repo, measured=False)
                self.push(repo, measured=False)
            else:
                with self.lock:
                    idle = self.idle_repos(busy)
                    repo = rng.choice(idle) if idle else None
                    if repo:
                        busy.add(repo.name)
                if repo is None:
                    self.stop.wait(0.2)
                    continue
                self.push(repo, measured=True)
            with self.lock:
                busy.discard(repo.name)
            self.stop.wait(max(0.0, next_at - time.monotonic()))

    def forged_loop(self, rng):
        valid = [r for r in self.repos.values() if r.kind == "valid"]
        decoys = [r for r in self.repos.values() if r.kind == "decoy"]
        unknown = [r for r in self.repos.values() if r.kind == "unknown"]
        kinds = ["bad_signature", "missing_signature", "truncated_signature",
                 "decoy_wrong_secret", "decoy_bad_signature", "unknown_repository",
                 "not_json"]
        # What each kind must get. This address sends nothing but refused requests, so it runs
        # out of its refusal budget (webhooks.refused_requests_per_second): from then on an
        # unsigned request is refused with 429 before any work, and a signed one is checked
        # only against the secrets of the repositories it names, so a body naming an unknown
        # repository, or no parseable body at all, gets the same 401 as a forged signature.
        expected = {"unknown_repository": {404, 401}, "not_json": {400, 401},
                    "missing_signature": {401, 429}, "truncated_signature": {401, 429},
                    "bad_signature": {401, 429}}
        while not self.stop.wait(rng.expovariate(self.args.forged_rate)):
            kind = rng.choice(kinds)
            style = rng.choice(["github", "generic"])
            delivery = f"forged-{uuid.uuid4()}"
            if kind.startswith("decoy") and decoys:
                repo = rng.choice(decoys)
                if rng.random() < 0.2:
                    with repo.lock:
                        repo.commit()  # a decoy commit must never be deployed
                secret = rng.choice(valid).secret if kind == "decoy_wrong_secret" else uuid.uuid4().hex
                path, body, headers = self.webhook(repo, repo.head, repo.initial, secret, style,
                                                   delivery)
            elif kind == "unknown_repository":
                repo = rng.choice(unknown)
                path, body, headers = self.webhook(repo, repo.head, repo.initial,
                                                   rng.choice(valid).secret, style, delivery)
            else:
                repo = rng.choice(valid)
                secret = None if kind == "missing_signature" else uuid.uuid4().hex
                path, body, headers = self.webhook(repo, repo.head, repo.head, secret, style,
                                                   delivery)
                if kind == "truncated_signature":
                    name = "X-Hub-Signature-256" if style == "github" else "X-Signature"
                    headers[name] = "sha256=" + sign(repo.secret, body)[:20]
                elif kind == "not_json":
                    body = b"repository=" + repo.url.encode()
                    name = "X-Hub-Signature-256" if style == "github" else "X-Signature"
                    headers[name] = "sha256=" + sign(repo.secret, body)
            outcome, _ = http_request(self.listen_port, "POST", path, body, headers,
                                      source=self.sources["forged"])
            want = expected.get(kind, {401})
            self.record("forged", outcome, lambda o: o in want)
            self.record("forged:" + kind, outcome, lambda o: o in want)

    def slow_client(self, kind, rng):
        """One slow connection at a time, reconnecting whenever the server closes it."""
        while not self.stop.is_set():
            try:
                source = (self.sources["slow"], 0) if self.sources["slow"] else None
                sock = socket.create_connection(("127.0.0.1", self.listen_port), timeout=10,
                                                source_address=source)
            except OSError as e:
                self.record("slow:" + kind, "connect_" + type(e).__name__, lambda o: False)
                self.stop.wait(1)
                continue
            opened = time.monotonic()
            answer = "still_open_at_end"
            try:
                if kind == "slowloris":
                    sock.sendall(b"POST /hooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                elif kind == "slow_body":
                    sock.sendall(b"POST /hooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"Content-Type: application/json\r\n"
                                 b"Content-Length: 100000\r\n\r\n{")
                n = 0
                while not self.stop.is_set():
                    readable, _, _ = select.select([sock], [], [], self.args.slow_interval)
                    if readable:
                        data = sock.recv(4096)
                        first = data.split(b"\r\n", 1)[0].decode("latin-1")
                        answer = first.split(" ")[1] if first.startswith("HTTP/") else "closed"
                        break
                    n += 1
                    if kind == "slowloris":
                        sock.sendall(f"X-Slow-{n}: {rng.randrange(10**6)}\r\n".encode())
                    elif kind == "slow_body":
                        sock.sendall(b" ")
            except OSError as e:
                answer = type(e).__name__
            finally:
                sock.close()
            with self.lock:
                self.slow_answers[kind][answer] += 1
                (self.slow_holds if answer != "still_open_at_end" else
                 self.slow_open_at_end)[kind].append(time.monotonic() - opened)
            self.stop.wait(0.5)

    def oversized_loop(self, rng):
        kinds = ["many_headers", "header_16k", "header_256k", "header_1m", "url_100k"]
        while not self.stop.wait(rng.expovariate(self.args.oversized_rate)):
            kind = rng.choice(kinds)
            path, extra = "/hooks/generic", b""
            if kind == "many_headers":
                extra = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 40) for i in range(3000))
            elif kind.startswith("header_"):
                size = {"header_16k": 16 << 10, "header_256k": 256 << 10,
                        "header_1m": 1 << 20}[kind]
                extra = b"X-Big: " + b"b" * size + b"\r\n"
            else:
                path = "/hooks/generic?pad=" + "u" * 100_000
            body = b'{"repository":"x","ref":"main"}'
            request = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra +
                       b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                       b"Connection: close\r\n\r\n" % len(body) + body)
            outcome = "no_answer"
            try:
                source = (self.sources["oversized"], 0) if self.sources["oversized"] else None
                with socket.create_connection(("127.0.0.1", self.listen_port), timeout=10,
                                              source_address=source) as s:
                    try:
                        s.sendall(request)
                    except OSError:
                        pass  # the server may stop reading and answer early; read that answer
                    data = s.recv(4096)
                    first = data.split(b"\r\n", 1)[0].decode("latin-1")
                    outcome = int(first.split(" ")[1]) if first.startswith("HTTP/") else "closed"
            except socket.timeout:
                outcome = "timeout"
            except OSError as e:
                outcome = type(e).__name__  # e.g. ConnectionResetError: refused by closing
            ok = lambda o: (isinstance(o, int) and 400 <= o < 500 and o != 429) or \
                o in ("closed", "ConnectionResetError", "BrokenPipeError")
            self.record("oversized", outcome, ok)
            self.record("oversized:" + kind, outcome, ok)

    # -- the run ------------------------------------------------------------------------------

    def run_traffic(self):
        a = self.args
        rng = random.Random(a.seed)
        self.healthz_log = os.path.join(self.work, "healthz.log")
        self.t_start = time.time()
        healthz = self.spawn([sys.executable, os.path.abspath(__file__), "--role", "healthz",
                              "--healthz-port", str(self.admin_port), "--healthz-log",
                              self.healthz_log, "--healthz-interval", str(a.healthz_interval)],
                             "healthz.err")
        busy = set()
        threads = [threading.Thread(target=self.rss_loop), threading.Thread(target=self.status_loop)]
        threads += [threading.Thread(target=self.pusher_loop,
                                     args=(random.Random(rng.random()), busy))
                    for _ in range(a.pushers)]
        threads.append(threading.Thread(target=self.forged_loop, args=(random.Random(rng.random()),)))
        threads.append(threading.Thread(target=self.oversized_loop, args=(random.Random(rng.random()),)))
        for kind, count in (("slowloris", a.slowloris), ("idle", a.idle), ("slow_body", a.slow_body)):
            threads += [threading.Thread(target=self.slow_client, args=(kind, random.Random(rng.random())))
                        for _ in range(count)]
        for t in threads:
            t.daemon = True
            t.start()
        next_report = 60
        while time.time() - self.t_start < a.duration:
            time.sleep(1)
            if self.serve.poll() is not None:
                print("ecsync serve exited during the soak")
                break
            elapsed = time.time() - self.t_start
            if elapsed >= next_report:
                next_report += 60
                rss = self.rss[-1][1] / 1024 if self.rss else 0
                print(f"  {elapsed:6.0f} s: pushes {len(self.pushes)}, RSS {rss:.1f} MiB, "
                      f"unexpected {dict(self.unexpected)}", flush=True)
        self.t_end = time.time()
        self.stop.set()
        self.stop_process(healthz)
        for t in threads:
            t.join(timeout=30)

    def drain(self):
        """Waits until every valid repository's last push is applied (or the drain timeout)."""
        deadline = time.monotonic() + self.args.drain_timeout
        pending = []
        while time.monotonic() < deadline and self.serve.poll() is None:
            self.poll_status()
            pending = [r for r in self.repos.values() if r.kind == "valid"
                       and self.status.get(r.stack) != ("Ready", r.last_pushed)]
            if not pending:
                return 0
            time.sleep(2)
        return len(pending)

    # -- analysis -----------------------------------------------------------------------------

    def read_proxy(self):
        records = []
        with open(self.proxy_log) as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass
        records.sort(key=lambda r: r["t"])
        return records

    def analyse(self, pending_after_drain):
        a = self.args
        result = {"checks": {}}
        duration = self.t_end - self.t_start

        # /healthz
        probes = []
        with open(self.healthz_log) as f:
            for line in f:
                wall, ms, outcome = line.split()
                probes.append((float(wall) - self.t_start, float(ms), outcome))
        latencies = [ms for _, ms, _ in probes]
        failures = collections.Counter(o for _, _, o in probes if o != "200")
        minutes = []
        for m in range(int(duration // 60) + 1):
            window = [ms for t, ms, _ in probes if m * 60 <= t < (m + 1) * 60]
            rss = [x[1] for x in self.rss if m * 60 <= x[0] < (m + 1) * 60]
            if window:
                minutes.append({"minute": m, **stats(window),
                                "rss_mib": round(statistics.median(rss) / 1024, 1) if rss else None,
                                "failed": sum(1 for t, _, o in probes
                                              if m * 60 <= t < (m + 1) * 60 and o != "200")})
        worst_minute = max((x["p99"] for x in minutes), default=None)
        result["healthz"] = {"overall": stats(latencies), "failures": dict(failures),
                             "per_minute": minutes}
        overall_p99 = percentile(latencies, 99)
        result["checks"]["healthz_p99"] = {
            "ok": bool(probes) and overall_p99 < a.healthz_p99_max and not failures
            and worst_minute < a.healthz_p99_max,
            "detail": f"p99 {fmt(overall_p99, ' ms')} overall, worst minute {fmt(worst_minute, ' ms')}, "
                      f"{sum(failures.values())} failed of {len(probes)} (limit {a.healthz_p99_max} ms)"}

        # RSS: compare the start and the end of the post-warm-up part.
        after = [s for s in self.rss if s[0] >= self.warmup]
        k = max(1, len(after) // 5)
        early = statistics.median(s[1] for s in after[:k]) / 1024 if after else None
        late = statistics.median(s[1] for s in after[-k:]) / 1024 if after else None
        growth = (late - early) / early * 100 if after else None
        slope = None
        if len(after) >= 3:
            ts = [s[0] for s in after]
            ys = [s[1] / 1024 for s in after]
            mt, my = statistics.mean(ts), statistics.mean(ys)
            var = sum((t - mt) ** 2 for t in ts)
            slope = sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / var * 3600 if var else 0.0
        result["rss"] = {"warmup_s": self.warmup, "early_median_mib": early,
                         "late_median_mib": late, "growth_pct": growth,
                         "slope_mib_per_hour": slope,
                         "max_mib": max(s[1] for s in self.rss) / 1024 if self.rss else None,
                         "hwm_mib": self.rss[-1][2] / 1024 if self.rss else None,
                         "threads_first_last": [self.rss[0][3], self.rss[-1][3]] if self.rss else None,
                         "fds_first_max_last": [self.rss[0][4], max(s[4] for s in self.rss),
                                                self.rss[-1][4]] if self.rss else None,
                         "samples": self.rss}
        result["checks"]["rss_flat"] = {
            "ok": growth is not None and len(after) >= 10 and growth <= a.rss_growth_max,
            "detail": f"median {fmt(early, ' MiB')} after warm-up ({self.warmup:.0f} s) -> "
                      f"{fmt(late, ' MiB')} at the end: {fmt(growth, ' %')} "
                      f"(limit {a.rss_growth_max} %, {len(after)} samples)"}

        # Deploys, from the proxy's record and from moto itself.
        records = self.read_proxy()
        by_stack = collections.defaultdict(list)
        written = collections.defaultdict(dict)   # stack -> revision -> first write time
        aws_errors, aws_not_found = collections.Counter(), collections.Counter()
        ops = collections.Counter()
        for r in records:
            ops[r["svc"] + ":" + r["op"]] += 1
            # A 400 to a single-stack DescribeStacks or a DescribeChangeSet is "does not exist"
            # (before a stack's first deploy; the look for an earlier change set of the same
            # name before each CreateChangeSet): part of the normal flow, counted apart.
            if r["code"] >= 400:
                normal = r["code"] == 400 and r["op"] in ("DescribeStacks", "DescribeChangeSet")
                (aws_not_found if normal else aws_errors)[f"{r['op']} {r['code']}"] += 1
            if r["svc"] == "cloudformation" and r["stack"]:
                by_stack[r["stack"]].append(r)
                if r["rev"]:
                    written[r["stack"]].setdefault(r["rev"], r["t"])
        first_call, to_change_set, first_ops = [], [], collections.Counter()
        early_writes = 0
        for p in self.pushes:
            stack = self.repos[p["repo"]].stack
            if p["measured"] and p["accepted"]:
                hit = next((r for r in by_stack[stack] if r["t"] >= p["t0"]), None)
                if hit:
                    first_call.append((hit["t"] - p["t0"]) * 1000)
                    first_ops[hit["op"]] += 1
            t_write = written[stack].get(p["commit"])
            if t_write is not None and p["accepted"]:
                if t_write >= p["t0"]:
                    to_change_set.append((t_write - p["t0"]) * 1000)
                else:
                    # Committed while an earlier push's fetch ran, which took it along: not a
                    # latency of this webhook.
                    early_writes += 1
        result["webhook_to_first_cfn_call_ms"] = {**stats(first_call), "first_ops": dict(first_ops)}
        result["webhook_to_change_set_ms"] = {**stats(to_change_set),
                                              "deployed_before_own_webhook": early_writes}
        result["aws"] = {"requests": len(records), "by_operation": dict(ops.most_common()),
                         "error_answers": dict(aws_errors),
                         "not_found_answers": dict(aws_not_found)}

        stacks = self.stacks()
        valid = [r for r in self.repos.values() if r.kind == "valid"]
        decoys = [r for r in self.repos.values() if r.kind == "decoy"]
        missed = []
        for r in valid:
            status, tags = stacks.get(r.stack, ("MISSING", {}))
            if not status.endswith("_COMPLETE") or tags.get("ecsync:revision") != r.last_pushed:
                missed.append(f"{r.stack}: {status} at {tags.get('ecsync:revision', '-')[:12]}, "
                              f"last pushed {r.last_pushed[:12]}")
        not_accepted = [p for p in self.pushes if not p["accepted"]]
        # A push whose webhook was never answered 202 counts as missed even when its commit got
        # deployed later: that happened only because the traffic (and the attack) stopped.
        result["checks"]["every_valid_push_deployed"] = {
            "ok": not missed and not not_accepted,
            "detail": f"{len(valid) - len(missed)}/{len(valid)} stacks at their last pushed commit; "
                      f"{len(self.pushes)} pushes, {len(not_accepted)} never accepted, "
                      f"{pending_after_drain} repositories still pending after the drain",
            "missed": missed[:20]}

        allowed = {r.stack: {r.initial} | {p["commit"] for p in self.pushes if p["repo"] == r.name}
                   for r in valid}
        violations = []
        configured = {r.stack for r in valid + decoys}
        for name in stacks:
            if name not in configured:
                violations.append(f"unexpected stack {name}")
        for r in decoys:
            rev = stacks.get(r.stack, ("", {}))[1].get("ecsync:revision")
            if rev != r.initial:
                violations.append(f"decoy {r.stack} at {str(rev)[:12]}, not its first commit")
            late_writes = [x for x in by_stack[r.stack]
                           if x["op"] in WRITE_OPS and x["t"] >= self.t_ready]
            if late_writes:
                violations.append(f"decoy {r.stack}: {len(late_writes)} write calls after start-up")
        for stack, revisions in written.items():
            if stack in allowed:
                for rev in revisions:
                    if rev not in allowed[stack]:
                        violations.append(f"{stack} deployed {rev[:12]}, never validly pushed")
        result["checks"]["nothing_else_deployed"] = {
            "ok": not violations,
            "detail": f"{len(stacks)} stacks in moto ({len(valid)} valid + {len(decoys)} decoys "
                      f"expected); {sum(len(v) for v in written.values())} revisions written",
            "violations": violations[:20]}

        result["checks"]["server_alive"] = {"ok": self.serve.poll() is None,
                                            "detail": f"exit status {self.serve.poll()}"}

        result["traffic"] = {c: {"outcomes": dict(o), "unexpected": self.unexpected[c]}
                             for c, o in sorted(self.outcomes.items())}
        result["slow_clients"] = {k: {"answers": dict(self.slow_answers[k]),
                                      "held_s": stats(self.slow_holds[k]),
                                      "open_at_end_age_s": stats(self.slow_open_at_end[k])}
                                  for k in ("slowloris", "idle", "slow_body")}
        result["pushes"] = {"total": len(self.pushes),
                            "measured": sum(1 for p in self.pushes if p["measured"]),
                            "accepted": len(self.pushes) - len(not_accepted),
                            "deployed_itself": len(to_change_set)}
        result["status_api_errors"] = dict(self.status_errors)
        levels = collections.Counter()
        with open(os.path.join(self.work, "serve.log")) as f:
            for line in f:
                try:
                    levels[json.loads(line).get("level", "?")] += 1
                except ValueError:
                    levels["unparsed"] += 1
        result["serve_log_levels"] = dict(levels)
        return result

    def report(self, result):
        print()
        print("class / outcome counts (unexpected):")
        for cls, v in result["traffic"].items():
            print(f"  {cls:34} {v['outcomes']}  ({v['unexpected']} unexpected)")
        for kind, v in result["slow_clients"].items():
            held = v["held_s"]
            print(f"  slow:{kind:29} answers {v['answers']}, held by the server: "
                  f"p50 {held.get('p50', '-')} s, max {held.get('max', '-')} s; open at the end "
                  f"{v['open_at_end_age_s']['count']} (oldest {v['open_at_end_age_s'].get('max', '-')} s)")
        h = result["healthz"]["overall"]
        print(f"/healthz ms: count {h['count']} p50 {h.get('p50')} p99 {h.get('p99')} "
              f"max {h.get('max')}; failures {result['healthz']['failures']}")
        print("  per minute, with the median RSS of the minute:")
        for m in result["healthz"]["per_minute"]:
            print(f"  minute {m['minute']:3}: n {m['count']:5} p50 {m['p50']:8} p99 {m['p99']:8} "
                  f"max {m['max']:8} failed {m['failed']:4}  RSS {m['rss_mib']} MiB")
        w = result["webhook_to_first_cfn_call_ms"]
        print(f"webhook -> first CloudFormation call naming the stack, ms: n {w['count']} "
              f"p50 {w.get('p50')} p99 {w.get('p99')} max {w.get('max')} (first ops {w['first_ops']})")
        c = result["webhook_to_change_set_ms"]
        print(f"webhook -> change set carrying the commit, ms: n {c['count']} p50 {c.get('p50')} "
              f"p99 {c.get('p99')} max {c.get('max')}")
        r = result["rss"]
        print(f"RSS: max {fmt(r['max_mib'], ' MiB')}, HWM {fmt(r['hwm_mib'], ' MiB')}, "
              f"slope {fmt(r['slope_mib_per_hour'], ' MiB/h')} after warm-up, threads "
              f"{r['threads_first_last']}, fds first/max/last {r['fds_first_max_last']}")
        print(f"pushes: {result['pushes']}; AWS requests {result['aws']['requests']}, "
              f"error answers {result['aws']['error_answers']} (not-found answers "
              f"{sum(result['aws']['not_found_answers'].values())}); serve log levels "
              f"{result['serve_log_levels']}")
        print()
        print(f"{'target':28} {'result':6} detail")
        for name, check in result["checks"].items():
            print(f"{name:28} {'ok' if check['ok'] else 'MISSED':6} {check['detail']}")
            for line in check.get("missed", []) + check.get("violations", []):
                print(f"{'':36}{line}")

    def run(self):
        a = self.args
        started = time.time()
        print(f"soak: work folder {self.work}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, "
              f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}")
        self.make_repos()
        self.start_moto()
        self.start_serve()
        print(f"ecsync serve pid {self.serve.pid}: listen 127.0.0.1:{self.listen_port}, "
              f"admin 127.0.0.1:{self.admin_port} ({self.admin_mode}); "
              f"{a.repos} repositories, {a.decoys} decoys")
        self.wait_initial_deploy()
        self.t_ready = time.time()
        print(f"setup: every project deployed after {self.t_ready - started:.0f} s; "
              f"traffic for {a.duration} s")
        # Bounded state fills up during the first pushes (git caches per repository, the
        # last five runs per project in the status), so the warm-up is long by default.
        self.warmup = a.warmup if a.warmup is not None else min(600.0, a.duration / 3)
        self.run_traffic()
        pending = self.drain()
        result = self.analyse(pending)
        result["command"] = " ".join(sys.argv)
        result["setup_s"] = round(self.t_ready - started, 1)
        result["duration_s"] = round(self.t_end - self.t_start, 1)
        result["admin"] = self.admin_mode
        result["ok"] = all(c["ok"] for c in result["checks"].values())
        self.report(result)
        with open(a.output, "w") as f:
            json.dump(result, f, indent=1)
        print(f"\nresult written to {a.output}; soak {'passed' if result['ok'] else 'FAILED'}")
        return 0 if result["ok"] else 1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--role", choices=["soak", "proxy", "healthz"], default="soak",
                   help=argparse.SUPPRESS)
    p.add_argument("--ecsync", default=os.path.join(ROOT, "build/cli/ecsync"))
    p.add_argument("--duration", type=float, default=1800, help="seconds of traffic")
    p.add_argument("--repos", type=int, default=100)
    p.add_argument("--decoys", type=int, default=5,
                   help="configured repositories that only ever get forged webhooks")
    p.add_argument("--concurrency", type=int, default=4, help="ecsync's concurrency")
    p.add_argument("--pushers", type=int, default=2)
    p.add_argument("--push-rate", type=float, default=0.5, help="valid pushes per second, all pushers")
    p.add_argument("--burst-share", type=float, default=0.1,
                   help="share of pushes that push twice in a row to one repository")
    p.add_argument("--forged-rate", type=float, default=2.0, help="forged requests per second")
    p.add_argument("--oversized-rate", type=float, default=0.5, help="oversized requests per second")
    p.add_argument("--slowloris", type=int, default=16, help="slowloris connections held open")
    p.add_argument("--idle", type=int, default=16, help="idle connections held open")
    p.add_argument("--slow-body", type=int, default=8, help="slow-body connections held open")
    p.add_argument("--slow-interval", type=float, default=3.0,
                   help="seconds between a slow client's bytes")
    p.add_argument("--healthz-interval", type=float, default=0.1)
    p.add_argument("--rss-interval", type=float, default=5.0)
    p.add_argument("--warmup", type=float, help="seconds of traffic before RSS counts (default "
                   "a third of the duration, at most 600)")
    p.add_argument("--listen-port", type=int, default=0, help="server.listen port (default: free)")
    p.add_argument("--admin-port", default="auto",
                   help="auto | none | PORT: where /healthz and /api/v1/status are (see above)")
    p.add_argument("--same-source", action="store_true",
                   help="every traffic class connects from 127.0.0.1 (default: one loopback "
                        "address per class, see SOURCES)")
    p.add_argument("--config-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra configuration, dotted key, JSON or string value "
                        "(e.g. webhooks.burst=20000); repeatable")
    p.add_argument("--setup-timeout", type=float, default=900)
    p.add_argument("--drain-timeout", type=float, default=600)
    p.add_argument("--healthz-p99-max", type=float, default=50.0, help="ms")
    p.add_argument("--rss-growth-max", type=float, default=5.0, help="percent")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--output", default="soak-result.json")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    # Used by the helper roles.
    p.add_argument("--upstream", help=argparse.SUPPRESS)
    p.add_argument("--proxy-port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--proxy-log", help=argparse.SUPPRESS)
    p.add_argument("--healthz-port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--healthz-log", help=argparse.SUPPRESS)
    return p.parse_args()


def main():
    args = parse_args()
    if args.role == "proxy":
        return run_proxy(args)
    if args.role == "healthz":
        return run_healthz(args)
    if not os.access(args.ecsync, os.X_OK):
        sys.exit(f"soak: {args.ecsync} is not an executable; build it first")
    soak = Soak(args)
    try:
        return soak.run()
    except RuntimeError as e:
        print(f"soak: setup failed: {e}", file=sys.stderr)
        return 2
    finally:
        soak.cleanup()


if __name__ == "__main__":
    sys.exit(main())
