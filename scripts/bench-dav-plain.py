#!/usr/bin/env python3
"""The DAV baselines Kenny is measured against, on any CalDAV/CardDAV server.

    scripts/bench-dav-plain.py URL [--user U] [--password P] [--runs N] [--names A,B,C] [--start T --end T]

URL is the server root (discovery follows current-user-principal to the calendar and address-book
homes, once, untimed). Requires httpx (scripts/requirements-bench.txt). Prints one JSON object:
for every measurement the median, min and max wall time over --runs runs (ms, after one warm-up
run; every run's time in all_ms), how many HTTP requests it sends and in how many sequential rounds, and what it got back.

Measurements:
- floor: the window `calendar-query` REPORTs alone (the very body Kenny sends: getetag +
  calendar-data, time-range = the window widened by Kenny's 26 h slack), one per calendar, all at
  once, plus one `addressbook-query` for the names, sent with them. Nothing a client can do
  answers the question with less from the server.
- reports_only: the same REPORTs without the address-book report.
- plain: what a plain asyncio + httpx client does per request: PROPFIND Depth 1 on the home(s)
  (resourcetype only) to find the calendars and address books, then one `addressbook-query` for
  the names and the window REPORTs, all at once; then it picks the events whose ATTENDEE or
  ORGANIZER is one of the people found (objects, not expanded occurrences).
- contacts_cold: a cold contact index of the whole address book, three ways:
  `addressbook_query` (one REPORT, every card with its data), `sync_collection` (from no token,
  address-data requested; any member without data is fetched by addressbook-multiget, 200 a
  batch, 4 at once; also returns a sync-token), and `listing_multiget` (Kenny's way today:
  PROPFIND Depth 1 getetag, then addressbook-multiget, 200 a batch, 4 at once).
- home_propfind: PROPFIND Depth 1 on each home with resourcetype only, and with the listing
  properties Kenny validates by (resourcetype, displayname, getctag, sync-token,
  supported-calendar-component-set).
"""

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import urljoin, urlsplit

import httpx

DAV, CALDAV, CARDDAV, CS = "DAV:", "urn:ietf:params:xml:ns:caldav", "urn:ietf:params:xml:ns:carddav", "http://calendarserver.org/ns/"
XML = {"Content-Type": "application/xml; charset=utf-8"}
BATCH, IN_FLIGHT = 200, 4
NS = f'xmlns:d="{DAV}" xmlns:c="{CALDAV}" xmlns:card="{CARDDAV}" xmlns:cs="{CS}"'


def q(ns, name):
    return f"{{{ns}}}{name}"


def propfind_body(props):
    return f'<?xml version="1.0" encoding="utf-8"?><d:propfind {NS}><d:prop>{props}</d:prop></d:propfind>'


def calendar_query(start, end):
    # Byte for byte the body Kenny's DAV source sends (shared/src/dav/mod.rs, query_range).
    return (
        f'<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="{CALDAV}"><d:prop><d:getetag/>'
        f'<c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
        f'<c:time-range start="{start}" end="{end}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>'
    )


def addressbook_query(names):
    """Cards whose FN contains any of `names`; every card when `names` is empty."""
    if names:
        tests = "".join(
            f'<card:prop-filter name="FN"><card:text-match collation="i;unicode-casemap" match-type="contains">{n}'
            f"</card:text-match></card:prop-filter>"
            for n in names
        )
        flt = f'<card:filter test="anyof">{tests}</card:filter>'
    else:
        # A prop-filter without a test matches every card that has the property (RFC 6352 10.5.1).
        flt = '<card:filter><card:prop-filter name="UID"/></card:filter>'
    return (
        f'<?xml version="1.0" encoding="utf-8"?><card:addressbook-query xmlns:d="DAV:" xmlns:card="{CARDDAV}">'
        f"<d:prop><d:getetag/><card:address-data/></d:prop>{flt}</card:addressbook-query>"
    )


SYNC_FROM_NOTHING = (
    f'<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:" xmlns:card="{CARDDAV}"><d:sync-token/>'
    "<d:sync-level>1</d:sync-level><d:prop><d:getetag/><card:address-data/></d:prop></d:sync-collection>"
)


def multiget_body(hrefs):
    refs = "".join(f"<d:href>{h}</d:href>" for h in hrefs)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><card:addressbook-multiget xmlns:d="DAV:" xmlns:card="{CARDDAV}">'
        f"<d:prop><d:getetag/><card:address-data/></d:prop>{refs}</card:addressbook-multiget>"
    )


class Counter:
    """Counts the requests of one measured run."""

    def __init__(self):
        self.requests = 0


async def send(client, counter, method, url, depth, body):
    counter.requests += 1
    r = await client.request(method, url, headers={**XML, "Depth": depth}, content=body.encode())
    if r.status_code != 207:
        raise SystemExit(f"{method} {url}: HTTP {r.status_code}\n{r.text[:2000]}")
    return ET.fromstring(r.content)


def responses(ms):
    """(href, {prop tag: element}, status) of every response; props from 2xx propstats only."""
    out = []
    for resp in ms.findall(q(DAV, "response")):
        href = resp.findtext(q(DAV, "href"))
        props, status = {}, resp.findtext(q(DAV, "status"))
        for ps in resp.findall(q(DAV, "propstat")):
            if " 2" in (ps.findtext(q(DAV, "status")) or ""):
                for p in ps.find(q(DAV, "prop")) or []:
                    props[p.tag] = p
        out.append((href, props, status))
    return out


def same_path(a, b):
    return urlsplit(a).path.rstrip("/") == urlsplit(b).path.rstrip("/")


async def discover(client, root):
    c = Counter()
    props = "<d:current-user-principal/><c:calendar-home-set/><card:addressbook-home-set/>"
    ms = await send(client, c, "PROPFIND", root, "0", propfind_body(props))
    principal = urljoin(root, responses(ms)[0][1][q(DAV, "current-user-principal")].findtext(q(DAV, "href")))
    props = responses(await send(client, c, "PROPFIND", principal, "0", propfind_body(props)))[0][1]
    cal = urljoin(principal, props[q(CALDAV, "calendar-home-set")].findtext(q(DAV, "href")))
    card = urljoin(principal, props[q(CARDDAV, "addressbook-home-set")].findtext(q(DAV, "href")))
    return cal, card


async def list_homes(client, c, homes, props):
    """PROPFIND Depth 1 on every distinct home at once: (calendars, address books) URLs."""
    answers = await asyncio.gather(*(send(client, c, "PROPFIND", h, "1", propfind_body(props)) for h in homes))
    cals, books = [], []
    for home, ms in zip(homes, answers):
        for href, props_, _ in responses(ms):
            rt = props_.get(q(DAV, "resourcetype"))
            if rt is None or same_path(urljoin(home, href), home):
                continue
            if rt.find(q(CALDAV, "calendar")) is not None:
                cals.append(urljoin(home, href))
            elif rt.find(q(CARDDAV, "addressbook")) is not None:
                books.append(urljoin(home, href))
    return sorted(set(cals)), sorted(set(books))


def data_of(ms, ns, name):
    return [p[q(ns, name)].text or "" for _, p, _ in responses(ms) if q(ns, name) in p]


EMAIL = re.compile(r"^EMAIL[^:]*:(.+)$", re.M | re.I)
PERSON = re.compile(r"^(?:ATTENDEE|ORGANIZER)[^:]*:mailto:(.+)$", re.M | re.I)


async def plain(client, c, homes, names, start, end):
    cals, books = await list_homes(client, c, homes, "<d:resourcetype/>")
    found = await asyncio.gather(
        *(send(client, c, "REPORT", b, "1", addressbook_query(names)) for b in books),
        *(send(client, c, "REPORT", cal, "1", calendar_query(start, end)) for cal in cals),
    )
    cards = [d for ms in found[: len(books)] for d in data_of(ms, CARDDAV, "address-data")]
    emails = {e.strip().lower() for card in cards for e in EMAIL.findall(card.replace("\r\n", "\n"))}
    objects = [d for ms in found[len(books) :] for d in data_of(ms, CALDAV, "calendar-data")]
    mine = [o for o in objects if emails & {p.strip().lower() for p in PERSON.findall(o.replace("\r\n ", "").replace("\r\n", "\n"))}]
    return {"rounds": 2, "calendars": len(cals), "cards_found": len(cards), "objects_in_window": len(objects), "objects_with_them": len(mine)}


async def floor(client, c, cals, book, names, start, end, with_contacts=True):
    found = await asyncio.gather(
        *(send(client, c, "REPORT", cal, "1", calendar_query(start, end)) for cal in cals),
        *([send(client, c, "REPORT", book, "1", addressbook_query(names))] if with_contacts else []),
    )
    objects = sum(len(data_of(ms, CALDAV, "calendar-data")) for ms in found[: len(cals)])
    cards = sum(len(data_of(ms, CARDDAV, "address-data")) for ms in found[len(cals) :])
    return {"rounds": 1, "objects_in_window": objects, **({"cards_found": cards} if with_contacts else {})}


async def multiget_missing(client, c, book, hrefs):
    sem, got = asyncio.Semaphore(IN_FLIGHT), []

    async def one(batch):
        async with sem:
            got.extend(data_of(await send(client, c, "REPORT", book, "1", multiget_body(batch)), CARDDAV, "address-data"))

    batches = [hrefs[i : i + BATCH] for i in range(0, len(hrefs), BATCH)]
    await asyncio.gather(*(one(b) for b in batches))
    return got, -(-len(batches) // IN_FLIGHT)


async def contacts_addressbook_query(client, c, book):
    ms = await send(client, c, "REPORT", book, "1", addressbook_query([]))
    return {"rounds": 1, "cards": len(data_of(ms, CARDDAV, "address-data"))}


async def contacts_sync_collection(client, c, book):
    # RFC 6578 3.2: Depth 0 (the sync-level in the body says how deep), as Kenny sends it.
    ms = await send(client, c, "REPORT", book, "0", SYNC_FROM_NOTHING)
    members = [(h, p) for h, p, _ in responses(ms) if not same_path(urljoin(book, h), book)]
    with_data = [p[q(CARDDAV, "address-data")].text for _, p in members if q(CARDDAV, "address-data") in p]
    missing = [h for h, p in members if q(CARDDAV, "address-data") not in p]
    fetched, rounds = await multiget_missing(client, c, book, missing)
    token = ms.findtext(q(DAV, "sync-token"))
    return {
        "rounds": 1 + rounds,
        "cards": len(with_data) + len(fetched),
        "cards_in_report": len(with_data),
        "sync_token": bool(token),
    }


async def contacts_listing_multiget(client, c, book):
    ms = await send(client, c, "PROPFIND", book, "1", propfind_body("<d:getetag/><d:resourcetype/>"))
    hrefs = [h for h, p, _ in responses(ms) if not same_path(urljoin(book, h), book)]
    fetched, rounds = await multiget_missing(client, c, book, hrefs)
    return {"rounds": 1 + rounds, "cards": len(fetched)}


LISTING = "<d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><c:supported-calendar-component-set/>"


async def home_propfind(client, c, home, props):
    ms = await send(client, c, "PROPFIND", home, "1", propfind_body(props))
    rs = responses(ms)
    return {"rounds": 1, "responses": len(rs), "tokens": sum(q(DAV, "sync-token") in p for _, p, _ in rs)}


async def measure(runs, make):
    """Runs `make(client, counter)` once to warm up, then `runs` times; wall ms per run."""
    times, last, requests = [], None, 0
    for i in range(runs + 1):
        async with httpx.AsyncClient(**CLIENT) as client:
            c = Counter()
            t0 = time.perf_counter()
            last = await make(client, c)
            ms = (time.perf_counter() - t0) * 1e3
        if i:
            times.append(ms)
            requests = c.requests
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "runs": runs,
        "all_ms": [round(t, 1) for t in times],
        "requests": requests,
        **last,
    }


CLIENT = {}


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="the server root, e.g. http://127.0.0.1:5232/")
    ap.add_argument("--user", default="kenny")
    ap.add_argument("--password", default=None)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--names", default="Quentin Blackwood,Yasmin Oyelaran,Ottilie Brandt")
    # "next week" asked on Fri 27 Nov 2026 in New York, widened by Kenny's 26 h slack.
    ap.add_argument("--start", default="20261129T030000Z")
    ap.add_argument("--end", default="20261208T070000Z")
    ap.add_argument("--only", default="", help="comma-separated measurement names (default: all)")
    a = ap.parse_args()
    CLIENT.update(timeout=600.0, auth=(a.user, a.password) if a.password else None, headers={"User-Agent": "kenny-bench-plain"})
    names = [n.strip() for n in a.names.split(",") if n.strip()]
    async with httpx.AsyncClient(**CLIENT) as client:
        cal_home, card_home = await discover(client, a.url)
        homes = [cal_home] if same_path(cal_home, card_home) else [cal_home, card_home]
        cals, books = await list_homes(client, Counter(), homes, "<d:resourcetype/>")
    if not cals or len(books) != 1:
        raise SystemExit(f"expected calendars and one address book, found {cals} and {books}")
    book = books[0]
    out = {
        "server": a.url,
        "calendar_home": cal_home,
        "addressbook_home": card_home,
        "calendars": len(cals),
        "window": [a.start, a.end],
        "names": names,
        "python": sys.version.split()[0],
        "httpx": httpx.__version__,
    }
    todo = {
        "floor": lambda cl, c: floor(cl, c, cals, book, names, a.start, a.end),
        "reports_only": lambda cl, c: floor(cl, c, cals, book, names, a.start, a.end, with_contacts=False),
        "plain": lambda cl, c: plain(cl, c, homes, names, a.start, a.end),
        "contacts_cold.addressbook_query": lambda cl, c: contacts_addressbook_query(cl, c, book),
        "contacts_cold.sync_collection": lambda cl, c: contacts_sync_collection(cl, c, book),
        "contacts_cold.listing_multiget": lambda cl, c: contacts_listing_multiget(cl, c, book),
    }
    for h in homes:
        kind = "calendar_home" if h == cal_home else "addressbook_home"
        todo[f"home_propfind.{kind}.resourcetype"] = lambda cl, c, h=h: home_propfind(cl, c, h, "<d:resourcetype/>")
        todo[f"home_propfind.{kind}.with_tokens"] = lambda cl, c, h=h: home_propfind(cl, c, h, LISTING)
    only = {s for s in a.only.split(",") if s}
    for name, make in todo.items():
        if not only or name in only or name.split(".")[0] in only:
            print(f"measuring {name}", file=sys.stderr, flush=True)
            out[name] = await measure(a.runs, make)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
