#!/usr/bin/env python3
"""The service's own latencies for one scenario, read off its access log (issue 11).

wrk's percentiles are corrected for coordinated omission (wrk.c calls `stats_correct` with the
mean interval between a connection's requests): each slow response also stands for the requests a
client sending at a constant rate would have waited to send, so one stall of 800 ms at 19,000
requests/s on 8 connections (one every 0.42 ms per connection) enters about 1,900 samples
between 0.42 and 800 ms. That is what a steady client sees,
and the targets are judged on it; the access log says how many requests were slow in fact.

`offsets` records the size of each log file before the scenario; `measure` waits until the log
has stopped growing for a second (the requests in flight when wrk stopped are logged as they
finish, the slowest last), reads what was written since and prints one JSON object: requests,
p50/p99/p99.9/max of `elapsed_ms`, and how many took over 50 and 200 ms.
"""

import json
import os
import sys
import time

QUIET_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 60.0


def sizes(directory):
    found = {}
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        found[name] = os.path.getsize(os.path.join(directory, name))
    return found


def percentile(ordered, q):
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def wait_until_quiet(directory):
    deadline = time.monotonic() + LONGEST_WAIT_SECONDS
    last = sizes(directory)
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS)
        now = sizes(directory)
        if now == last:
            return
        last = now


def measure(directory, before):
    wait_until_quiet(directory)
    elapsed = []
    for name, size in sizes(directory).items():
        with open(os.path.join(directory, name), "rb") as log:
            log.seek(before.get(name, 0))
            for line in log:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut at the read's end
                if entry.get("target") == "access" and "elapsed_ms" in entry:
                    elapsed.append(float(entry["elapsed_ms"]))
    if not elapsed:
        return None
    elapsed.sort()
    return {
        "requests": len(elapsed),
        "p50_ms": percentile(elapsed, 0.50),
        "p99_ms": percentile(elapsed, 0.99),
        "p999_ms": percentile(elapsed, 0.999),
        "max_ms": elapsed[-1],
        "over_50ms": sum(1 for e in elapsed if e > 50),
        "over_200ms": sum(1 for e in elapsed if e > 200),
    }


def main():
    command, directory = sys.argv[1], sys.argv[2]
    if command == "offsets":
        print(json.dumps(sizes(directory)))
    elif command == "measure":
        print(json.dumps(measure(directory, json.loads(sys.argv[3]))))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
