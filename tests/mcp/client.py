"""A real MCP client of Kenny: the official MCP Python SDK (`mcp`, pinned in
scripts/requirements-test.txt) connects, lists the tools, calls each on the bundled sample
data, then sends a bad argument and an unknown tool.

    python3 tests/mcp/client.py stdio KENNY_BINARY     # `kenny mcp` as a subprocess
    python3 tests/mcp/client.py http URL               # Streamable HTTP, e.g. …/lambda-url/coordinate/mcp

Prints one JSON object a line, {"check", "ok", "detail"}, and exits 0 only when every check
passed. tests/tests/mcp.rs runs it from `cargo test` and checks the lines. A missing package
is an ImportError and a non-zero exit: a failure, never a skip.
"""

import asyncio
import importlib.metadata
import json
import os
import sys
import traceback

from mcp import Client, StdioServerParameters

NOW = "2026-11-27T10:00:00-05:00"
TZ = "America/New_York"
TOOLS = {"ask", "read_calendar", "resolve_contact", "free_busy", "find_slots", "run_plan"}

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(json.dumps({"check": name, "ok": bool(ok), "detail": str(detail)[:2000]}), flush=True)


def text_of(result):
    return "".join(getattr(c, "text", "") for c in result.content)


async def call(client, name, arguments):
    result = await client.call_tool(name, arguments)
    return result, result.structured_content or {}


async def drive(client):
    info = client.server_info
    check(
        "initialize",
        info is not None and info.name == "kenny" and client.protocol_version,
        f"server {info.name if info else None} {info.version if info else ''}, protocol {client.protocol_version}",
    )

    listed = await client.list_tools()
    names = {t.name for t in listed.tools}
    schemas_ok = all(
        t.input_schema.get("type") == "object" and t.input_schema.get("additionalProperties") is False and t.description
        for t in listed.tools
    )
    check("list_tools", names == TOOLS and len(listed.tools) == len(TOOLS) and schemas_ok, sorted(names))

    r, s = await call(client, "ask", {"question": "what meetings do I have with Sarah and Tom next week?", "now": NOW, "timezone": TZ})
    events = s.get("answer", {}).get("events", [])
    check(
        "ask",
        not r.is_error and len(events) == 4 and all("standup" in e["summary"].lower() for e in events) and s.get("degraded") is False
        and text_of(r).startswith("Understood: Events with Sarah Chen and Thomas Baker"),
        text_of(r),
    )

    r, s = await call(client, "read_calendar", {"start": "2026-11-30", "end": "2026-12-07", "timezone": TZ, "attendees": ["Sarah Chen", "Thomas Baker"]})
    check(
        "read_calendar",
        not r.is_error and len(s.get("events", [])) == 4 and "calendars" in s and s.get("window", {}).get("start") == "2026-11-30T00:00:00-05:00",
        text_of(r),
    )

    r, s = await call(client, "resolve_contact", {"query": "Bob"})
    resolved = s.get("resolved") or {}
    check(
        "resolve_contact",
        not r.is_error and resolved.get("name") == "Robert Smith" and "bob.smith@northwind.example" in resolved.get("emails", []),
        text_of(r),
    )

    window = {"start": "2026-12-01", "end": "2026-12-03", "timezone": TZ}
    r, s = await call(client, "free_busy", {**window, "attendees": ["tom.baker@northwind.example"]})
    people = [p["person"] for p in s.get("people", [])]
    check("free_busy", not r.is_error and people == ["me", "tom.baker@northwind.example"] and all(p["busy"] for p in s["people"]), text_of(r))

    r, s = await call(client, "find_slots", {**window, "attendees": ["tom.baker@northwind.example"], "duration_minutes": 60, "buffer_minutes": 15})
    check(
        "find_slots",
        not r.is_error and s.get("duration_minutes") == 60 and s.get("participants") == ["me", "tom.baker@northwind.example"] and len(s.get("slots", [])) > 0,
        text_of(r),
    )

    plan = {"steps": [
        {"id": "busy", "capability": "calendar.freebusy", "params": {**window, "attendees": ["tom.baker@northwind.example", "alice.johnson@northwind.example"]}},
        {"id": "free", "capability": "slots.find", "params": {**window, "duration_minutes": 60, "buffer_minutes": 15, "busy": [{"$ref": "busy"}]}},
    ]}
    r, s = await call(client, "run_plan", {"plan": plan})
    steps = s.get("timings", {}).get("steps", [])
    check(
        "run_plan",
        not r.is_error and s.get("answer", {}).get("slots", {}).get("slots") and [t["id"] for t in steps] == ["busy", "free"],
        text_of(r),
    )

    # A schema violation: `start` must be a string and `end` is required.
    r, s = await call(client, "read_calendar", {"start": 20261130, "colour": "blue"})
    error = s.get("error", {})
    check("bad_argument", r.is_error is True and error.get("code") == "invalid_request" and error.get("message"), json.dumps(s))

    r, s = await call(client, "delete_my_calendar", {})
    error = s.get("error", {})
    check("unknown_tool", r.is_error is True and error.get("code") == "not_found" and "ask" in error.get("message", ""), json.dumps(s))


async def main():
    mode, target = sys.argv[1], sys.argv[2]
    if mode == "stdio":
        env = {k: v for k, v in os.environ.items() if k.startswith("KENNY_") or k in ("RUST_LOG",)}
        server = StdioServerParameters(command=target, args=["mcp"], env=env)
    elif mode == "http":
        server = target
    else:
        raise SystemExit(f"unknown mode {mode!r}: stdio or http")
    async with Client(server, read_timeout_seconds=300) as client:
        await drive(client)


if __name__ == "__main__":
    print(json.dumps({"check": "sdk", "ok": True, "detail": "mcp " + importlib.metadata.version("mcp")}), flush=True)
    try:
        asyncio.run(main())
    except BaseException as e:  # noqa: BLE001 — any failure is reported as one line, then exit 1
        check("client", False, "".join(traceback.format_exception(e))[-2000:])
        sys.exit(1)
    failed = [name for name, ok in results if not ok]
    sys.exit(1 if failed else 0)
