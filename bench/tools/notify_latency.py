#!/usr/bin/env python3
"""The measuring loop of bench/notify_latency.sh (see there for the setup).

Two sides, each an `ecsync serve` with its own repository, stack and recording proxy: one
without notifications and commit statuses ("plain"), one with them ("notify"). Each
iteration runs both sides one after the other (which goes first alternates): commit a new
replica count, take t0 = time.time(), POST a signed GitHub push webhook, wait until the
project is Ready at the new commit and the stack's ecsync:revision tag is that commit. From
the side's proxy log: t1 = the first CloudFormation request at or after t0, and tw = the first
CloudFormation write (any operation but Describe*, List*, Get*, Validate*, Estimate*,
Detect*). For the notify side it also counts the iterations during which the slow receiver
was answering a request (one arrived before tw and was answered after t0): the reconcile ran
while deliveries were under way.

Prints one line per measurement and, per side, p50, p90, min and max of t1 - t0 and tw - t0 in
milliseconds, and the ratios notify / plain of p50 and p90.
"""
import argparse
import hashlib
import hmac
import json
import sys
import time
import urllib.request

import boto3

from webhook_latency import compose, get_json, git, percentile, wait_until

_READS = ("Describe", "List", "Get", "Validate", "Estimate", "Detect")


def first_cfn_calls(log_path, t0):
    """(first call, first write) after t0, each (time, operation) or None."""
    first = write = None
    with open(log_path) as log:
        for line in log:
            parts = line.split()
            if len(parts) < 3 or parts[1] != "cloudformation" or float(parts[0]) < t0:
                continue
            if first is None:
                first = (float(parts[0]), parts[2])
            if not parts[2].startswith(_READS):
                write = (float(parts[0]), parts[2])
                break
    return first, write


def receiver_requests(log_path):
    """[(arrived, answered, path)] of the slow receiver's log."""
    out = []
    with open(log_path) as log:
        for line in log:
            parts = line.split()
            if len(parts) >= 4:
                out.append((float(parts[0]), float(parts[1]), parts[3]))
    return out


class Side:
    def __init__(self, name, repo, clone_url, serve, admin, proxy_log, stack, project, moto):
        self.name, self.repo, self.clone_url = name, repo, clone_url
        self.serve, self.admin, self.proxy_log = serve, admin, proxy_log
        self.stack, self.project = stack, project
        self.cfn = boto3.client("cloudformation", endpoint_url=moto, region_name="us-east-1")
        self.first_ms, self.write_ms, self.windows = [], [], []
        self.before = git(repo, "rev-parse", "HEAD")

    def stack_revision(self):
        try:
            stack = self.cfn.describe_stacks(StackName=self.stack)["Stacks"][0]
        except Exception:  # not there yet
            return None
        if not stack["StackStatus"].endswith("_COMPLETE"):
            return None
        return {t["Key"]: t["Value"] for t in stack.get("Tags", [])}.get("ecsync:revision")

    def ready_at(self, commit):
        status = get_json(self.admin + "/api/v1/status")
        for project in (status or {}).get("projects", []):
            if project.get("key") == self.project:
                return (project["condition"]["type"] == "Ready" and
                        project.get("lastAppliedRevision") == commit)
        return False

    def wait_first_deploy(self):
        wait_until(lambda: self.ready_at(self.before) and self.stack_revision() == self.before,
                   300, f"{self.name}'s first deploy")

    def iterate(self, i, secret, replicas):
        with open(f"{self.repo}/compose.yaml", "w") as f:
            f.write(compose(replicas))
        git(self.repo, "commit", "-qam", f"replicas {replicas}")
        commit = git(self.repo, "rev-parse", "HEAD")
        body = json.dumps({"ref": "refs/heads/main", "before": self.before, "after": commit,
                           "repository": {"clone_url": self.clone_url}}).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.serve + "/hooks/github", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-GitHub-Event": "push",
                     "X-GitHub-Delivery": f"bench-{self.name}-{i}",
                     "X-Hub-Signature-256": "sha256=" + signature})
        t0 = time.time()
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 202:
                sys.exit(f"notify_latency: webhook answered {response.status}")
        wait_until(lambda: self.ready_at(commit), 300, f"{self.name} iteration {i}'s deploy")
        wait_until(lambda: self.stack_revision() == commit, 60,
                   f"{self.name} iteration {i}'s revision tag")
        first, write = first_cfn_calls(self.proxy_log, t0)
        if first is None or write is None:
            sys.exit(f"notify_latency: {self.name} iteration {i}: no CloudFormation write "
                     "after the webhook")
        self.first_ms.append((first[0] - t0) * 1000)
        self.write_ms.append((write[0] - t0) * 1000)
        self.windows.append((t0, write[0]))
        print(f"iteration {i} {self.name} commit {commit[:12]} first {first[1]} "
              f"{self.first_ms[-1]:.1f} ms, first write {write[1]} {self.write_ms[-1]:.1f} ms, "
              f"deployed after {time.time() - t0:.2f} s", flush=True)
        self.before = commit


def summary(values):
    return (f"p50 {percentile(values, 50):7.1f}  p90 {percentile(values, 90):7.1f}  "
            f"min {min(values):7.1f}  max {max(values):7.1f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", nargs=7, action="append", required=True,
                        metavar=("NAME", "REPO", "CLONE_URL", "SERVE", "ADMIN", "PROXY_LOG",
                                 "STACK"),
                        help="twice: plain, then notify")
    parser.add_argument("--project", default="app/web")
    parser.add_argument("--moto", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--receiver-log", required=True)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()

    sides = [Side(*s, args.project, args.moto) for s in args.side]
    for side in sides:
        side.wait_first_deploy()
    for i in range(args.iterations):
        for side in sides if i % 2 == 0 else reversed(sides):
            side.iterate(i, args.secret, i + 2)

    requests = receiver_requests(args.receiver_log)
    print()
    print(f"iterations {args.iterations} per side")
    print("webhook to first CloudFormation call, ms:")
    for side in sides:
        print(f"  {side.name:7s} {summary(side.first_ms)}")
    print("webhook to first CloudFormation write, ms:")
    for side in sides:
        print(f"  {side.name:7s} {summary(side.write_ms)}")
    plain, notify = sides[0], sides[1]
    for label, a, b in (("call", plain.first_ms, notify.first_ms),
                        ("write", plain.write_ms, notify.write_ms)):
        print(f"ratio {notify.name}/{plain.name}, first {label}: "
              f"p50 {percentile(b, 50) / percentile(a, 50):.2f}  "
              f"p90 {percentile(b, 90) / percentile(a, 90):.2f}")
    busy = sum(1 for t0, tw in notify.windows
               if any(arrived <= tw and answered >= t0 for arrived, answered, _ in requests))
    paths = {}
    for _, _, path in requests:
        kind = path
        if "/deployments/" in path:
            kind = "github deployment status"
        elif path.endswith("/deployments"):
            kind = "github deployment"
        elif "/statuses/" in path:
            kind = "github commit status"
        paths[kind] = paths.get(kind, 0) + 1
    print(f"slow receiver: {len(requests)} requests answered "
          f"({', '.join(f'{k} x{v}' for k, v in sorted(paths.items()))}); "
          f"a delivery was under way during {busy} of {len(notify.windows)} "
          f"{notify.name} measurements (webhook to first write)")


if __name__ == "__main__":
    main()
