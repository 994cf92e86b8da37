#!/usr/bin/env python3
"""Init time of Kenny's Lambda binaries, measured as Lambda sees it.

Each run starts one function binary (a `bootstrap` from `sam build`, or a `cargo build
--release` binary) in a fresh process, pointed at a stand-in for the Lambda Runtime API on
loopback (AWS_LAMBDA_RUNTIME_API). Init is the time from starting the process to its first
`GET /runtime/invocation/next` (the state built once per container: configuration, sources,
the contact index, SDK clients); the first request is the time from handing it one event to
its `POST .../response`. Then the process is stopped and the next run starts afresh. Prints
the median, minimum and maximum of each over the runs, and fails when a function answers an
error or never asks for work.

    scripts/lambda-init.py [--runs N] [--json] NAME=BINARY...

NAME is calendar-read, contacts-resolve, coordinate or warm; the event each gets is fixed
here (the bundled sample data: no source, no AWS service is contacted). Standard library only.
"""

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

EVENTS = {
    "calendar-read": {"start": "2026-11-30", "end": "2026-12-07", "timezone": "America/New_York", "attendees": ["Zoë"]},
    "contacts-resolve": {"query": "zoe muller"},
    # coordinate's siblings are other functions; the report reads only its own timing store.
    "coordinate": {"report": {"since": "24h"}},
    # warm reads its timing store and warms nothing when no request was recorded.
    "warm": {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
}

REQUEST_ID = "init-probe"
TIMEOUT_S = 60


class RuntimeApi(http.server.ThreadingHTTPServer):
    """A Runtime API that hands out one event, then holds the next poll until stopped."""

    daemon_threads = True

    def __init__(self, event):
        super().__init__(("127.0.0.1", 0), Handler)
        self.event = json.dumps(event).encode()
        self.first_poll = None
        self.response = None
        self.responded = None
        self.error = None
        self.polls = 0
        self.done = threading.Event()

    def handle_error(self, request, client_address):
        # The held poll's connection is reset when the process is stopped: expected.
        pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        api = self.server
        if not self.path.endswith("/runtime/invocation/next"):
            return self.reply(404, b"{}")
        api.polls += 1
        if api.polls == 1:
            api.first_poll = time.perf_counter()
            deadline = int(time.time() * 1000) + 30_000
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", REQUEST_ID)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:kenny")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(api.event)))
            self.end_headers()
            self.wfile.write(api.event)
            return
        # The second poll: the function is idle again. Hold it until the process is stopped.
        api.done.wait(TIMEOUT_S)

    def do_POST(self):
        api = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/response"):
            api.responded = time.perf_counter()
            api.response = body
        elif self.path.endswith("/error"):
            api.responded = time.perf_counter()
            api.error = body.decode(errors="replace")
        else:
            api.error = f"{self.path}: {body.decode(errors='replace')[:300]}"
        self.reply(202, b"{}")
        api.done.set()

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def one_run(name, binary, state_dir):
    api = RuntimeApi(EVENTS[name])
    threading.Thread(target=api.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "init-probe",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "init-probe",
        "AWS_SECRET_ACCESS_KEY": "init-probe",
        "KENNY_TIMINGS": f"file://{state_dir}/timings.jsonl",
        "KENNY_TIMEZONE": "UTC",
        "RUST_LOG": "warn",
    }
    started = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not api.done.wait(TIMEOUT_S):
            raise SystemExit(f"{name}: no answer within {TIMEOUT_S} s (polls: {api.polls})")
        if api.error is not None:
            raise SystemExit(f"{name}: the function failed: {api.error[:500]}")
        answer = json.loads(api.response)
        if isinstance(answer, dict) and "error" in answer:
            raise SystemExit(f"{name}: the function answered an error: {json.dumps(answer)[:500]}")
        return (api.first_poll - started) * 1e3, (api.responded - api.first_poll) * 1e3
    finally:
        proc.kill()
        _, err = proc.communicate()
        api.done.set()
        api.shutdown()
        api.server_close()
        if api.first_poll is None and err:
            sys.stderr.write(err.decode(errors="replace")[-2000:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("functions", nargs="+", metavar="NAME=BINARY")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as state_dir:
        for spec in args.functions:
            name, _, binary = spec.partition("=")
            if name not in EVENTS or not binary:
                raise SystemExit(f"{spec}: expected NAME=BINARY with NAME one of {', '.join(EVENTS)}")
            runs = [one_run(name, binary, state_dir) for _ in range(max(1, args.runs))]
            init = [r[0] for r in runs]
            first = [r[1] for r in runs]
            rows.append({
                "function": name,
                "bytes": os.path.getsize(binary),
                "runs": len(runs),
                "init_ms": {"median": statistics.median(init), "min": min(init), "max": max(init)},
                "first_request_ms": {"median": statistics.median(first), "min": min(first), "max": max(first)},
            })
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'function':<18}{'size':>10}{'init median (min-max)':>28}{'first request median (min-max)':>34}")
    for r in rows:
        i, f = r["init_ms"], r["first_request_ms"]
        print(f"{r['function']:<18}{r['bytes'] / 1e6:>8.1f}MB"
              f"{i['median']:>12.1f} ms ({i['min']:.1f}-{i['max']:.1f})"
              f"{f['median']:>16.1f} ms ({f['min']:.1f}-{f['max']:.1f})")


if __name__ == "__main__":
    main()
