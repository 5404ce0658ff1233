#!/usr/bin/env python3
"""Measures `ecsync serve` replicas sharing the projects through DynamoDB (bench/replicas_scale.sh).

Usage:
  replicas.py ready --serve URL,URL,... --projects N --shards S [--timeout T] [--interval I]
      Until every replica's /readyz is 200 without "catching up", its queue idle (ecsync_queue_depth 0, nothing
      running), the Ready projects of all /api/v1/status documents together number N, and
      the replicas' "replica".owned_shards split the S shards (each exactly once). Prints
      "ready_after_s", then "shards_per_replica" (owned counts, in --serve order) with max/min.
  replicas.py balanced --serve URL,URL,... --shards S [--timeout T]
      Until every /readyz is 200 (not catching up) and its shard counts add up to S within one
      of each other, and every queue is idle. Prints "balanced_after_s" and the counts.
  replicas.py snapshot --endpoint URL --table T
      Prints the table as JSON {"items": {pk: {"owner": ..., "version": ...}}, "scan_started":
      ..., "scan_ended": ...} (CLOCK_MONOTONIC seconds around the scan).
  replicas.py writes --before FILE --after FILE --renew R --shards S
      Writes between two snapshots: every write of an item grows its "version" by one (lease
      takes, renewals and releases; heartbeats), so the difference counts them per item. The
      window is the first scan's start to the second's end; the busiest shard's count is held
      against floor(window / R) + 1, the most that one write per period allows.
  replicas.py failover --kill PID --endpoint URL --table T --ids ID,ID,... --victim ID
                       --serve URL,URL,... --shards S --log FILE [--timeout T]
                       [--git-daemon PID]
      Sends SIGKILL to PID (the replica VICTIM) and measures, from that moment: "moved_s",
      until the table shows every shard's lease held by one of the other ids, read every
      100 ms; and "ready_s", until every survivor (--serve: their admin URLs) answers /readyz
      200 without "catching up" (every repository of its shards checked) with shard counts
      adding up to S, read every 100 ms. Then one /api/v1/status per survivor must show
      owned_shards covering every shard once. Also the CPU the machine spent in that time
      and, with --git-daemon, how much of it the git host's processes took (the bench serves
      the repositories from the same machine; a real git host is elsewhere). Appends the
      round as a JSON line to --log.
  replicas.py summary --log FILE --lease SECONDS --renew SECONDS --poll SECONDS
      p50/p99 of the rounds (nearest rank: with 10 rounds p99 is the slowest) and their
      ratios to lease_duration + renew_interval and to lease_duration + poll_interval.

Polling the survivors' /api/v1/status every 100 ms would cost more CPU than the machine
has with thousands of projects (a status document of 3,000 projects takes about 40 ms to
build), so the 100 ms readings come from the table and /readyz, and the status is read once
per round to confirm what the replicas themselves hold.
"""
import argparse
import json
import math
import os
import re
import signal
import sys
import time

import boto3

from wait_ready import fetch, gauge

_OWNS = re.compile(r"owns (\d+) of (\d+) shards")


def status_doc(url):
    code, body = fetch(url + "/api/v1/status")
    if code != 200:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def idle(url):
    _, metrics = fetch(url + "/metrics")
    return (gauge(metrics, "ecsync_queue_depth") == 0 and
            gauge(metrics, "ecsync_reconcile_longest_running_seconds") == 0)


def caught_up(code, body):
    """/readyz says every repository of the replica's shards was checked: 200, and no
    "catching up" (a replica stays ready while it checks the repositories of shards it
    took over, and says how many are left)."""
    return code == 200 and "catching up" not in body


def owned_counts(urls):
    """Shard counts the replicas' /readyz state, or None while one has not checked every
    repository of its shards."""
    counts = []
    for url in urls:
        code, body = fetch(url + "/readyz")
        match = _OWNS.search(body)
        if not caught_up(code, body) or not match:
            return None
        counts.append(int(match.group(1)))
    return counts


def split_shards(docs, shards):
    """Owned shard counts per status document when they split range(shards) exactly."""
    seen = []
    counts = []
    for doc in docs:
        owned = doc["replica"]["owned_shards"]
        counts.append(len(owned))
        seen.extend(owned)
    return counts if sorted(seen) == list(range(shards)) else None


def cmd_ready(args):
    urls = args.serve.split(",")
    start = time.monotonic()
    last = "nothing answered"
    while time.monotonic() - start < args.timeout:
        answers = [fetch(url + "/readyz") for url in urls]
        codes = [code for code, _ in answers]
        if all(caught_up(code, body) for code, body in answers):
            if all(idle(url) for url in urls):
                docs = [status_doc(url) for url in urls]
                if all(docs):
                    ready = set()
                    for doc in docs:
                        ready.update(p["key"] for p in doc["projects"]
                                     if p["condition"]["type"] == "Ready")
                    counts = split_shards(docs, args.shards)
                    last = f"ready projects {len(ready)}, shards {counts}"
                    if len(ready) == args.projects and counts:
                        print(f"ready_after_s {time.monotonic() - start:.1f}")
                        print(f"shards_per_replica {' '.join(map(str, counts))} "
                              f"(max {max(counts)}, min {min(counts)})", flush=True)
                        return
            else:
                last = "a queue is busy"
        else:
            last = f"/readyz {codes}"
        time.sleep(args.interval)
    sys.exit(f"replicas ready: not after {args.timeout}s: {last}")


def cmd_balanced(args):
    urls = args.serve.split(",")
    start = time.monotonic()
    last = "nothing answered"
    while time.monotonic() - start < args.timeout:
        counts = owned_counts(urls)
        last = f"shards {counts}"
        if (counts and sum(counts) == args.shards and max(counts) - min(counts) <= 1 and
                all(idle(url) for url in urls)):
            print(f"balanced_after_s {time.monotonic() - start:.1f} shards "
                  f"{' '.join(map(str, counts))}", flush=True)
            return
        time.sleep(0.5)
    sys.exit(f"replicas balanced: not after {args.timeout}s: {last}")


def dynamodb(endpoint):
    return boto3.client("dynamodb", endpoint_url=endpoint)


def scan(client, table):
    items = {}
    kwargs = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            items[item["pk"]["S"]] = {"owner": item.get("owner", {}).get("S", ""),
                                      "version": int(item.get("version", {}).get("N", "0"))}
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def cmd_snapshot(args):
    client = dynamodb(args.endpoint)
    started = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
    items = scan(client, args.table)
    print(json.dumps({"scan_started": started, "scan_ended": time.monotonic(), "items": items},
                     sort_keys=True))


def write_counts(before, after):
    """(writes per lease item, writes per heartbeat item) between two snapshots."""
    leases = {}
    beats = {}
    for pk, item in after.items():
        grew = item["version"] - before.get(pk, {"version": 0})["version"]
        (leases if pk.startswith("shard#") else beats)[pk] = grew
    return leases, beats


def cmd_writes(args):
    with open(args.before) as f:
        before = json.load(f)
    with open(args.after) as f:
        after = json.load(f)
    leases, beats = write_counts(before["items"], after["items"])
    # Every write counted landed after the first scan read its item and before the second
    # read it: inside [first scan's start, second scan's end]. Writes of one shard at least
    # a renewal period apart number at most floor(window / period) + 1 in it.
    window = after["scan_ended"] - before["scan_started"]
    periods = window / args.renew
    bound = math.floor(periods) + 1
    total = sum(leases.values())
    busiest = max(leases.values(), default=0)
    print(f"over {window:.1f} s ({periods:.1f} renewal periods of {args.renew:g} s): "
          f"{total} lease writes to {len(leases)} shard items, {sum(beats.values())} heartbeat "
          f"writes by {len(beats)} replicas")
    print(f"lease writes per shard per renewal period: mean {total / args.shards / periods:.3f}; "
          f"busiest shard {busiest} writes, at most {bound} with one write per period "
          f"({'met' if busiest <= bound else 'NOT met'}); all writes (heartbeats too) per shard "
          f"per period {(total + sum(beats.values())) / args.shards / periods:.3f}")
    print(json.dumps({"writes_window_s": round(window, 2), "lease_writes": total,
                      "busiest_shard_writes": busiest, "one_per_period_bound": bound}))


def process_cpu_s(pid):
    """CPU seconds of PID and its descendants: its own and its reaped children's (utime,
    stime, cutime, cstime), and those of the children still running. For `git daemon` (a
    `git` process whose child `git-daemon` serves), every upload-pack it served."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            running = [int(c) for c in children.read().split()]
    except OSError:
        return 0.0  # it ended meanwhile: its parent's cutime has it
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_cpu_s(child) for child in running)


def machine_busy_s():
    """CPU seconds the machine spent busy (every core, /proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cmd_failover(args):
    urls = args.serve.split(",")
    survivors = set(args.ids.split(",")) - {args.victim}
    client = dynamodb(args.endpoint)
    before = scan(client, args.table)
    victim_shards = sum(1 for pk, item in before.items()
                        if pk.startswith("shard#") and item["owner"] == args.victim)
    git_host_before = process_cpu_s(args.git_daemon) if args.git_daemon else 0
    busy_before = machine_busy_s()
    start = time.monotonic()
    os.kill(args.kill, signal.SIGKILL)
    moved = ready = None
    while time.monotonic() - start < args.timeout:
        owners = [item["owner"] for pk, item in scan(client, args.table).items()
                  if pk.startswith("shard#")]
        if len(owners) == args.shards and all(owner in survivors for owner in owners):
            moved = time.monotonic() - start
            break
        time.sleep(0.1)
    while moved is not None and time.monotonic() - start < args.timeout:
        counts = owned_counts(urls)
        if counts and sum(counts) == args.shards:
            ready = time.monotonic() - start
            break
        time.sleep(0.1)
    if ready is None:
        sys.exit(f"failover: survivors do not hold every shard after {args.timeout}s "
                 f"(moved_s {moved})")
    elapsed = time.monotonic() - start
    busy = machine_busy_s() - busy_before
    git_host = process_cpu_s(args.git_daemon) - git_host_before if args.git_daemon else 0
    after = scan(client, args.table)
    leases, _ = write_counts(before, after)
    docs = [status_doc(url) for url in urls]
    confirmed = all(docs) and split_shards(docs, args.shards) is not None
    record = {"victim": args.victim, "victim_shards": victim_shards, "moved_s": round(moved, 2),
              "ready_s": round(ready, 2), "status_confirms": confirmed,
              "busiest_shard_writes": max(leases.values(), default=0),
              "seconds": round(elapsed, 2), "machine_busy_cpu_s": round(busy, 1),
              "git_host_cpu_s": round(git_host, 1)}
    with open(args.log, "a") as log:
        log.write(json.dumps(record) + "\n")
    print(f"killed {args.victim} ({victim_shards} shards): survivors hold them after "
          f"{moved:.2f} s (table), every repository of them checked after {ready:.2f} s; "
          f"status confirms: {confirmed}; busiest shard written {record['busiest_shard_writes']} "
          f"times in {elapsed:.1f} s; CPU in that time: {busy:.1f} s on the machine, "
          f"{git_host:.1f} s of it by the git host (git daemon)", flush=True)
    if not confirmed:
        sys.exit("failover: the survivors' status does not show every shard held once")


def nearest_rank(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def cmd_summary(args):
    with open(args.log) as log:
        rounds = [json.loads(line) for line in log if line.strip()]
    lease_renew = args.lease + args.renew
    lease_poll = args.lease + args.poll
    print(f"{len(rounds)} kills; targets: lease_duration + renew_interval = {lease_renew:g} s, "
          f"lease_duration + poll_interval = {lease_poll:g} s")
    for key, what in (("moved_s", "shards held by the survivors"),
                      ("ready_s", "and every repository of them checked")):
        values = [r[key] for r in rounds]
        p50, p99 = nearest_rank(values, 50), nearest_rank(values, 99)
        print(f"{what}: p50 {p50:.2f} s, p99 {p99:.2f} s (min {min(values):.2f}, max "
              f"{max(values):.2f}); p50/p99 over lease+renew {p50 / lease_renew:.2f}/"
              f"{p99 / lease_renew:.2f}, over lease+poll {p50 / lease_poll:.2f}/"
              f"{p99 / lease_poll:.2f}")
    # A round of T seconds spans at most ceil(T / renew) renewal periods.
    busiest = max(rounds, key=lambda r: r["busiest_shard_writes"] / math.ceil(r["seconds"] / args.renew))
    periods = math.ceil(busiest["seconds"] / args.renew)
    print(f"busiest shard in a kill round (from the kill until the survivors were ready): "
          f"{busiest['busiest_shard_writes']} writes in {busiest['seconds']:.1f} s, "
          f"{busiest['busiest_shard_writes'] / periods:.2f} per renewal period")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ready")
    p.add_argument("--serve", required=True)
    p.add_argument("--projects", type=int, required=True)
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--interval", type=float, default=2)
    p = sub.add_parser("balanced")
    p.add_argument("--serve", required=True)
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--timeout", type=float, default=1800)
    p = sub.add_parser("snapshot")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--table", required=True)
    p = sub.add_parser("writes")
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--renew", type=float, required=True)
    p.add_argument("--shards", type=int, required=True)
    p = sub.add_parser("failover")
    p.add_argument("--kill", type=int, required=True)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--victim", required=True)
    p.add_argument("--serve", required=True)
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--git-daemon", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600)
    p = sub.add_parser("summary")
    p.add_argument("--log", required=True)
    p.add_argument("--lease", type=float, required=True)
    p.add_argument("--renew", type=float, required=True)
    p.add_argument("--poll", type=float, required=True)
    args = parser.parse_args()
    globals()["cmd_" + args.command](args)


if __name__ == "__main__":
    main()
