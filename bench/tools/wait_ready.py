#!/usr/bin/env python3
"""Waits until `ecsync serve` has every project Ready and nothing queued or running.

Usage: wait_ready.py --serve http://127.0.0.1:PORT --projects N [--pid PID] [--timeout SECONDS]
                     [--interval SECONDS]

Polls /readyz (200 once every repository was checked), /api/v1/status (N projects, each with
condition Ready) and /metrics (ecsync_queue_depth 0 and
ecsync_reconcile_longest_running_seconds 0) every --interval seconds (0.25; with thousands of
projects the status and metrics documents are megabytes, so a longer interval keeps the
waiting from loading the server it measures). Prints "ready_after_s S" measured
from its own start, and exits 1 with the last counts on timeout or as soon as process PID
(the server) is gone.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gauge(metrics, name):
    match = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", metrics, re.M)
    return float(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", required=True)
    parser.add_argument("--projects", type=int, required=True)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()
    start = time.monotonic()
    last = "nothing answered"
    while time.monotonic() - start < args.timeout:
        if args.pid and not alive(args.pid):
            print(f"wait_ready: process {args.pid} is gone ({last})", file=sys.stderr)
            sys.exit(1)
        code, _ = fetch(args.serve + "/readyz")
        if code == 200:
            _, body = fetch(args.serve + "/api/v1/status")
            try:
                projects = json.loads(body)["projects"]
            except (ValueError, KeyError):
                projects = []
            ready = sum(1 for p in projects if p["condition"]["type"] == "Ready")
            _, metrics = fetch(args.serve + "/metrics")
            depth = gauge(metrics, "ecsync_queue_depth")
            running = gauge(metrics, "ecsync_reconcile_longest_running_seconds")
            last = f"projects {len(projects)} ready {ready} queue_depth {depth} longest_running {running}"
            if len(projects) == args.projects and ready == args.projects and depth == 0 and running == 0:
                print(f"ready_after_s {time.monotonic() - start:.2f} ({last})", flush=True)
                return
        else:
            last = f"/readyz answered {code}"
        time.sleep(args.interval)
    print(f"wait_ready: not ready after {args.timeout}s: {last}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
