#!/usr/bin/env python3
"""Counts the AWS requests in a bench/tools/aws_proxy.py log, by service and operation.

Usage: count_calls.py LOG

Prints one line per service/operation with its count, DescribeStacks split into listing
pages (no StackName) and single-stack requests, and the total.
"""
import collections
import sys


def main():
    counts = collections.Counter()
    listing_first = listing_next = single = 0
    with open(sys.argv[1]) as log:
        for line in log:
            parts = line.split()
            if len(parts) < 3:
                continue
            service, op = parts[1], parts[2]
            detail = parts[3] if len(parts) > 3 else "-"
            counts[(service, op)] += 1
            if op == "DescribeStacks":
                if detail == "name":
                    single += 1
                elif detail == "next":
                    listing_next += 1
                else:
                    listing_first += 1
    for (service, op), n in sorted(counts.items()):
        print(f"  {service} {op}: {n}")
    print(f"  DescribeStacks: {listing_first} listing(s) of {listing_first + listing_next} page(s) "
          f"in all, {single} single-stack request(s)")
    print(f"  total requests: {sum(counts.values())}")


if __name__ == "__main__":
    main()
