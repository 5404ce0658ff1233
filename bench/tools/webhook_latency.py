#!/usr/bin/env python3
"""The measuring loop of bench/webhook_latency.sh (see there for the setup).

For each iteration: commit a new replica count to the working repository that git daemon
serves, take t0 = time.time(), POST a signed GitHub push webhook to `ecsync serve`, then wait
until the controller reports the project Ready at the new commit and the stack's
ecsync:revision tag (read from moto with boto3) is the new commit. t1 is the time of the first
CloudFormation request the recording proxy logged at or after t0. Prints one line per
iteration and a summary with p50, p99 and max of t1 - t0 in milliseconds.
"""
import argparse
import hashlib
import hmac
import json
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def compose(replicas):
    return ("services:\n  web:\n    image: nginx:1.27-alpine\n    deploy:\n"
            f"      replicas: {replicas}\n")


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def wait_until(condition, limit, what):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    sys.exit(f"webhook_latency: timed out after {limit}s waiting for {what}")


def first_cfn_after(log_path, t0):
    """(time, operation) of the first cloudformation request logged at or after t0, or None."""
    with open(log_path) as log:
        for line in log:
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "cloudformation" and float(parts[0]) >= t0:
                return float(parts[0]), parts[2]
    return None


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True, help="the working repository git daemon serves")
    parser.add_argument("--clone-url", required=True)
    parser.add_argument("--serve", required=True,
                        help="http://127.0.0.1:PORT of ecsync serve's public (webhook) listener")
    parser.add_argument("--admin", required=True,
                        help="http://127.0.0.1:PORT of its admin listener (/api/v1/status)")
    parser.add_argument("--proxy-log", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--stack", default="app-web")
    parser.add_argument("--project", default="app/web")
    parser.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args()

    cfn = boto3.client("cloudformation", endpoint_url=args.moto, region_name="us-east-1")

    def stack_revision():
        try:
            stacks = cfn.describe_stacks(StackName=args.stack)["Stacks"]
        except Exception:  # not there yet
            return None
        stack = stacks[0]
        if not stack["StackStatus"].endswith("_COMPLETE"):
            return None
        return {t["Key"]: t["Value"] for t in stack.get("Tags", [])}.get("ecsync:revision")

    def project_ready_at(commit):
        status = get_json(args.admin + "/api/v1/status")
        if not status:
            return False
        for project in status.get("projects", []):
            if project.get("key") == args.project:
                return (project["condition"]["type"] == "Ready" and
                        project.get("lastAppliedRevision") == commit)
        return False

    first = git(args.repo, "rev-parse", "HEAD")
    wait_until(lambda: project_ready_at(first) and stack_revision() == first, 300,
               "the first deploy")

    before = first
    latencies = []
    first_ops = {}
    for i in range(args.iterations):
        with open(f"{args.repo}/compose.yaml", "w") as f:
            f.write(compose(i + 2))  # never repeats a template the stack had before
        git(args.repo, "commit", "-qam", f"replicas {i + 2}")
        commit = git(args.repo, "rev-parse", "HEAD")
        body = json.dumps({"ref": "refs/heads/main", "before": before, "after": commit,
                           "repository": {"clone_url": args.clone_url}}).encode()
        signature = hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            args.serve + "/hooks/github", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-GitHub-Event": "push",
                     "X-GitHub-Delivery": f"bench-{i}", "X-Hub-Signature-256": "sha256=" + signature})
        t0 = time.time()
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 202:
                sys.exit(f"webhook_latency: webhook answered {response.status}")
        wait_until(lambda: project_ready_at(commit), 300, f"iteration {i}'s deploy")
        wait_until(lambda: stack_revision() == commit, 60, f"iteration {i}'s revision tag")
        found = first_cfn_after(args.proxy_log, t0)
        if found is None:
            sys.exit(f"webhook_latency: iteration {i}: no CloudFormation call after the webhook")
        t1, op = found
        latencies.append((t1 - t0) * 1000)
        first_ops[op] = first_ops.get(op, 0) + 1
        print(f"iteration {i} commit {commit[:12]} first_call {op} latency_ms {latencies[-1]:.1f} "
              f"deployed_after_s {time.time() - t0:.2f}", flush=True)
        before = commit

    print()
    print(f"iterations {len(latencies)}")
    print(f"first CloudFormation call: {', '.join(f'{k} x{v}' for k, v in sorted(first_ops.items()))}")
    print(f"webhook to first CloudFormation call, ms: p50 {percentile(latencies, 50):.1f} "
          f"p99 {percentile(latencies, 99):.1f} max {max(latencies):.1f} "
          f"min {min(latencies):.1f} mean {statistics.mean(latencies):.1f}")


if __name__ == "__main__":
    main()
