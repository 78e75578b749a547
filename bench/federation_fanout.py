#!/usr/bin/env python3
"""Federation throughput of the release binary on embedded SQLite.

Outbound: a receiving server written for this benchmark listens on HOSTS loopback
ports (each port is a separate host to the delivery worker: its own per-host limit
and circuit breaker). PER_HOST followers on each port share that host's shared
inbox, so 1,000 hosts x 10 followers = 10,000 followers = 1,000 deliveries (one
signature each). One post is published through the JSON API; the figure is the
time from the publishing request until every host has received the Create.

Inbound: INBOUND signed Create activities (Notes mentioning one of our accounts,
from ACTORS remote actors whose keys the server fetches once from the receiving
server) are signed beforehand and POSTed to the shared inbox by wrk, CONCURRENCY
connections at a time; the figure is distinct activities stored per second of
wrk's run, checked against the rows stored.

Run from the repository root:

    CARGO_TARGET_DIR=/work/target-fed cargo build --release -p bluelamp
    CARGO_TARGET_DIR=/work/target-fed python3 bench/federation_fanout.py

Needs python3 with aiohttp and cryptography, and wrk (Debian's package). Settings by environment:
HOSTS (1000), PER_HOST (10), INBOUND (5000), ACTORS (20, each on its own host), CONCURRENCY (64), WRK_THREADS (1).
"""
import asyncio
import base64
import hashlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

BINARY = os.environ.get(
    "BLUELAMP_BIN",
    os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "bluelamp"),
)
HOSTS = int(os.environ.get("HOSTS", "1000"))
PER_HOST = int(os.environ.get("PER_HOST", "10"))
INBOUND = int(os.environ.get("INBOUND", "5000"))
ACTORS = int(os.environ.get("ACTORS", "20"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "64"))
WRK_THREADS = int(os.environ.get("WRK_THREADS", "1"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Many loopback ports, one aiohttp app: records who got what."""

    def __init__(self):
        self.creates = {}  # note id -> set of ports that received its Create
        self.deliveries = 0
        self.keys = {}  # actor name -> (private key, public pem)
        self.sockets = []

    async def inbox(self, request):
        body = await request.read()
        self.deliveries += 1
        try:
            activity = json.loads(body)
        except ValueError:
            return web.Response(status=400)
        if activity.get("type") == "Create":
            note = activity.get("object", {}).get("id")
            self.creates.setdefault(note, set()).add(request.transport.get_extra_info("sockname")[1])
        return web.Response(status=202)

    async def actor(self, request):
        name = request.match_info["name"]
        if name not in self.keys:
            return web.Response(status=404)
        port = request.transport.get_extra_info("sockname")[1]
        base = f"http://127.0.0.1:{port}"
        actor = f"{base}/users/{name}"
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": name, "name": f"bench {name}",
            "inbox": f"{actor}/inbox", "endpoints": {"sharedInbox": f"{base}/inbox"},
            "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": self.keys[name][1]},
        }
        return web.Response(text=json.dumps(document), content_type="application/activity+json")

    async def start(self, count):
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post("/inbox", self.inbox)
        app.router.add_post("/users/{name}/inbox", self.inbox)
        app.router.add_get("/users/{name}", self.actor)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        ports = []
        for _ in range(count):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(512)
            sock.setblocking(False)
            await web.SockSite(self.runner, sock).start()
            ports.append(sock.getsockname()[1])
        return ports


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def csrf(page):
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    if not found:
        sys.exit("no CSRF token on the page")
    return found.group(1)


async def ready_to_post(session, base):
    """Log in through the HTML form, make an API token, acknowledge the policy."""
    async with session.get(f"{base}/login") as r:
        token = csrf(await r.text())
    async with session.post(f"{base}/login", data={"username": "sgt.evans", "password": DEMO_PASSWORD, "csrf": token}, allow_redirects=False) as r:
        if r.status != 303:
            sys.exit(f"login failed: {r.status} {await r.text()}")
    async with session.get(f"{base}/staff/settings") as r:
        token = csrf(await r.text())
    async with session.post(f"{base}/staff/tokens", data={"name": "bench", "read": "true", "write": "true", "csrf": token}) as r:
        found = re.search(r'id="new-token">([^<]+)<', await r.text())
        if not found:
            sys.exit("no API token on the settings page")
        api = found.group(1)
    headers = {"authorization": f"Bearer {api}"}
    async with session.post(f"{base}/api/v1/policy/acknowledge", json={"version": 1}, headers=headers) as r:
        if r.status != 200:
            sys.exit(f"policy acknowledgement failed: {r.status}")
    async with session.get(f"{base}/api/v1/accounts", headers=headers) as r:
        account = next(a["id"] for a in await r.json() if a["handle"] == "pcmorgan")
    return headers, account


def sign(key, key_id, host, path, body):
    date = formatdate(usegmt=True)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    text = f"(request-target): post {path}\nhost: {host}\ndate: {date}\ndigest: {digest}"
    signature = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "host": host, "date": date, "digest": digest,
        "content-type": "application/activity+json",
        "signature": f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{signature}"',
    }


DEMO_PASSWORD = None


async def main():
    global DEMO_PASSWORD
    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: build it with cargo build --release -p bluelamp")
    receiver = Receiver()
    ports = await receiver.start(HOSTS)
    data = tempfile.mkdtemp(prefix="bluelamp-fed-bench-")
    port = free_port()
    listen = f"127.0.0.1:{port}"
    base = f"http://{listen}"
    env = {
        **os.environ,
        "BLUELAMP_LOG_LEVEL": "warn",
        "BLUELAMP_COOKIE_SECURE": "false",
        "BLUELAMP_DEMO_DOMAIN": listen,
        "BLUELAMP_FEDERATION_SCHEME": "http",
        "BLUELAMP_FEDERATION_ALLOW_LOOPBACK_FOR_TESTS": "true",
    }
    env.pop("BLUELAMP_CONFIG", None)
    env.pop("BLUELAMP_DATABASE_URL", None)
    log = open(os.path.join(data, "server.log"), "w")
    server = subprocess.Popen([BINARY, "serve", "--demo", "--listen", listen, "--data-dir", data], stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    try:
        for line in server.stdout:
            match = re.match(r"\s+sgt\.evans\s+(\S+)", line)
            if match:
                DEMO_PASSWORD = match.group(1)
            if "is listening on" in line:
                break
        if DEMO_PASSWORD is None:
            sys.exit("the server did not print the demo logins")
        await asyncio.sleep(0.3)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            headers, account = await ready_to_post(session, base)

            # 10,000 followers, as accepted Follows would leave them.
            db = sqlite3.connect(os.path.join(data, "bluelamp.db"), timeout=30)
            now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            rows = []
            for p in ports:
                for n in range(PER_HOST):
                    actor = f"http://127.0.0.1:{p}/users/f{n}"
                    rows.append((account, actor, f"{actor}/inbox", f"http://127.0.0.1:{p}/inbox", f"{actor}/follows/1", now))
            db.executemany("INSERT INTO followers (account_id, actor_id, inbox, shared_inbox, follow_id, created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.commit()
            print(f"outbound: {len(rows)} followers on {len(ports)} hosts (shared inboxes: {len(ports)} deliveries)")

            # The account's key pair is made on first use (once per account, ever):
            # fetch its actor document first so key generation is not timed.
            async with session.get(f"{base}/users/pcmorgan", headers={"accept": "application/activity+json"}) as r:
                await r.read()

            server_cpu = cpu_seconds(server.pid)
            started = time.perf_counter()
            async with session.post(f"{base}/api/v1/accounts/{account}/posts", headers=headers,
                                    json={"text": "Benchmark: roadworks on the ring road tonight.", "kind": "update"}) as r:
                created = await r.json()
                if r.status != 201 or created["post"]["status"] != "published":
                    sys.exit(f"publishing failed: {r.status} {created}")
            note = f"{base}/users/pcmorgan/posts/{created['post']['id']}"
            answered = time.perf_counter() - started
            while len(receiver.creates.get(note, ())) < len(ports):
                if time.perf_counter() - started > 300:
                    sys.exit(f"only {len(receiver.creates.get(note, ()))} of {len(ports)} hosts got the post in 300 s")
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            deliveries = len(ports)
            server_cpu = cpu_seconds(server.pid) - server_cpu
            print(f"outbound: server CPU meanwhile {server_cpu:.1f} s ({server_cpu / elapsed:.2f} cores)")
            counts = db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()
            print(f"outbound: publish answered in {answered * 1000:.0f} ms; all {deliveries} hosts ({len(rows)} followers) had the Create after {elapsed:.2f} s")
            print(f"outbound: {deliveries / elapsed:.0f} deliveries/s, {deliveries / elapsed:.0f} signatures/s (one per delivery), {len(rows) / elapsed:.0f} followers reached/s; delivery rows {counts}")

            # Each remote actor on its own port, i.e. its own host: the inbox limits
            # each host's rate (federation_inbox_per_host_per_second), as it should.
            keys = []
            for a in range(ACTORS):
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
                receiver.keys[f"r{a}"] = (key, pem)
                keys.append((f"http://127.0.0.1:{ports[a % len(ports)]}/users/r{a}", key))
            ours = f"{base}/users/pcmorgan"

            def activity(n):
                actor, key = keys[n % len(keys)]
                body = json.dumps({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{actor}/statuses/{n}/activity", "type": "Create", "actor": actor,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ours],
                    "object": {"id": f"{actor}/statuses/{n}", "type": "Note", "attributedTo": actor,
                               "content": f"<p>@pcmorgan benchmark report {n}</p>", "published": "2026-01-01T10:00:00Z",
                               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ours],
                               "tag": [{"type": "Mention", "href": ours, "name": "@pcmorgan"}]}}).encode()
                return body, sign(key, f"{actor}#main-key", listen, "/inbox", body)

            async def send(http, prepared):
                body, signed = prepared
                async with http.post(f"{base}/inbox", data=body, headers=signed) as r:
                    await r.read()
                    return r.status

            async with aiohttp.ClientSession(skip_auto_headers=["Content-Type"]) as http:
                # Warm up: one activity per actor, so every key is fetched and cached.
                warm = [activity(INBOUND + a) for a in range(len(keys))]
                statuses = [await send(http, w) for w in warm]
                if any(s != 202 for s in statuses):
                    sys.exit(f"warm-up activities were refused: {statuses}; see {data}/server.log")
            # The load itself comes from wrk (C, cheap on the client side), replaying
            # INBOUND distinct activities signed beforehand: one line each in a file
            # the Lua script reads, each wrk thread taking every n-th line.
            signing = time.perf_counter()
            requests_file = os.path.join(data, "inbound.tsv")
            with open(requests_file, "w") as out:
                for n in range(INBOUND):
                    body, signed = activity(n)
                    out.write("\t".join([signed["date"], signed["digest"], signed["signature"], body.decode()]) + "\n")
            print(f"inbound: {INBOUND} activities signed by the client in {time.perf_counter() - signing:.1f} s (not timed)")
            before = db.execute("SELECT COUNT(*) FROM inbound_messages").fetchone()[0]
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inbound.lua")
            server_cpu = cpu_seconds(server.pid)
            started = time.perf_counter()
            # wrk runs for a fixed time, so the clock here is ours: from starting wrk
            # until the last of the INBOUND activities is in the database.
            wrk = subprocess.Popen(["wrk", "-t", str(WRK_THREADS), "-c", str(CONCURRENCY), "-d", "300s", "--latency",
                                    "-s", script, f"{base}/inbox", "--", requests_file, str(WRK_THREADS)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            stored = 0
            while stored < INBOUND and wrk.poll() is None and time.perf_counter() - started < 300:
                time.sleep(0.02)
                stored = db.execute("SELECT COUNT(*) FROM inbound_messages").fetchone()[0] - before
            elapsed = time.perf_counter() - started
            server_cpu = cpu_seconds(server.pid) - server_cpu
            wrk.send_signal(2)  # SIGINT: wrk prints its summary (latency) and exits
            out, err = wrk.communicate()
            refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            latency = {q: v for q, v in re.findall(r"\s+(50|99)%\s+(\S+)", out)}
            print(f"inbound: {stored} of {INBOUND} distinct signed Creates verified and stored {elapsed:.2f} s after wrk started: "
                  f"{stored / elapsed:.0f} activities/s (concurrency {CONCURRENCY}, {ACTORS} remote actors; "
                  f"wrk latency p50 {latency.get('50')} p99 {latency.get('99')})")
            if stored != INBOUND or refused:
                sys.exit(f"not every activity was stored ({stored} of {INBOUND}; non-2xx answers: {refused.group(1) if refused else 0});\n{out}\n{err}\nsee {data}/server.log")
            print(f"inbound: server CPU meanwhile {server_cpu:.1f} s ({server_cpu / elapsed:.2f} cores)")
    finally:
        server.terminate()
        server.wait()
        await receiver.runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
