#!/usr/bin/env python3
"""The feed and profile page of an account with 10,000 posts, a live incident's page
with 200 updates and the force's "latest appeals" feed, against nginx serving the same
bytes as static files, measured with wrk in the same run.

Run from the repository root after `cargo build --release -p bluelamp`
(needs Debian's nginx-light and wrk):

    python3 bench/feeds.py [--seconds 10] [--connections 256]
"""
import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

BINARY = os.environ.get("BLUELAMP_BIN", os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "bluelamp"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, process=None):
    for _ in range(2000):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.read()
        except OSError:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"server exited with {process.returncode}")
            time.sleep(0.01)
    raise SystemExit(f"{url} never answered")


def serve(data, port):
    return subprocess.Popen(
        [BINARY, "serve", "--demo", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "BLUELAMP_LOG_LEVEL": "warn"},
    )


def seed_posts(data, count):
    db = sqlite3.connect(os.path.join(data, "bluelamp.db"))
    account, force, author = db.execute(
        "SELECT a.id, a.force_id, u.id FROM accounts a, users u WHERE a.handle = 'pcmorgan' AND u.username = 'pc.morgan'"
    ).fetchone()
    rows = []
    for n in range(count):
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - (count - n) * 600))
        text = f"Update {n}: out on foot patrol in Harbourside today, speaking to residents about bike security. Call 101 to report, 999 in an emergency."
        rows.append((force, account, author, text, text, "published", at, at))
    db.executemany(
        "INSERT INTO posts (force_id, account_id, author_user_id, body, text, status, created_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    seed_casework(db, force, author)
    db.close()


def seed_casework(db, force, author):
    """The demo's incident gets 200 updates in all; the force gets 50 open appeals."""
    account, incident = db.execute(
        "SELECT account_id, id FROM incidents WHERE reference = 'DEMO-INC-1'"
    ).fetchone()
    have = db.execute("SELECT COUNT(*) FROM incident_updates WHERE incident_id = ?", (incident,)).fetchone()[0]
    for n in range(200 - have):
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - (200 - n) * 60))
        text = (f"Update {n}: the A548 Coast Road remains closed between Towyn and Kinmel Bay.\n"
                "Diversion: via the A55 between junctions 22 and 24.\nPlease avoid the Towyn area.")
        post = db.execute(
            "INSERT INTO posts (force_id, account_id, author_user_id, body, text, status, kind, link_kind, link_ref, created_at, published_at) "
            "VALUES (?, ?, ?, ?, ?, 'published', 'incident', 'incident', 'DEMO-INC-1', ?, ?)",
            (force, account, author, text, text, at, at),
        ).lastrowid
        db.execute("INSERT INTO incident_updates (incident_id, post_id, facts, created_at) VALUES (?, ?, '[]', ?)", (incident, post, at))
    for n in range(49):
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - (49 - n) * 3600))
        ref = f"BENCH-APP-{n}"
        text = f"Appeal {n}: can you help us find a stolen van? Where: Harbourside. If you can help, call 101 and quote {ref}."
        post = db.execute(
            "INSERT INTO posts (force_id, account_id, author_user_id, body, text, status, kind, link_kind, link_ref, created_at, published_at) "
            "VALUES (?, ?, ?, ?, ?, 'published', 'appeal', 'appeal', ?, ?, ?)",
            (force, account, author, text, text, ref, at, at),
        ).lastrowid
        db.execute(
            "INSERT INTO appeals (force_id, reference, title, what_happened, place, respond, status, account_id, post_id, created_at, updated_at) "
            "VALUES (?, ?, ?, 'A van was stolen.', 'Harbourside', '[\"101\"]', 'open', ?, ?, ?, ?)",
            (force, ref, f"Appeal {n}", account, post, at, at),
        )
    db.commit()


def wrk(url, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="bluelamp-feedbench-")
    data = os.path.join(root, "data")
    static = os.path.join(root, "static")
    os.makedirs(static)
    # nginx's workers run as an unprivileged user: let them read the files.
    os.chmod(root, 0o755)
    os.chmod(static, 0o755)
    port = free_port()
    server = serve(data, port)
    wait_for(f"http://127.0.0.1:{port}/healthz", server)
    server.terminate()
    server.wait()
    seed_posts(data, args.posts)
    server = serve(data, port)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/healthz", server)
    pages = {
        "feed (Atom)": ("/forces/demo/accounts/pcmorgan/feed.atom", "feed.atom", "application/atom+xml"),
        "profile page": ("/forces/demo/accounts/pcmorgan", "profile.html", "text/html"),
        "incident page": ("/forces/demo/incidents/DEMO-INC-1", "incident.html", "text/html"),
        "appeals feed": ("/forces/demo/appeals/feed.atom", "appeals.atom", "application/atom+xml"),
    }
    for _, (path, name, _) in pages.items():
        with open(os.path.join(static, name), "wb") as f:
            f.write(wait_for(base + path))
        os.chmod(os.path.join(static, name), 0o644)
    nginx_port = free_port()
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    types {{ application/atom+xml atom; text/html html; }}
    keepalive_requests 100000;
    server {{ listen 127.0.0.1:{nginx_port}; root {static}; }}
}}
""")
    nginx = subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{nginx_port}/feed.atom", nginx)
    except SystemExit:
        print(nginx.stderr.read().decode() if nginx.poll() is not None else "nginx still running")
        print(open(os.path.join(root, "nginx-error.log")).read() if os.path.exists(os.path.join(root, "nginx-error.log")) else "")
        raise
    try:
        print(f"{args.posts} posts; wrk -t2 -c{args.connections} -d{args.seconds}s; {os.cpu_count()} cores")
        print(f"{'document':<14} {'bytes':>7} {'bluelamp req/s':>15} {'p99 ms':>7} {'nginx req/s':>12} {'p99 ms':>7} {'ratio':>6}")
        for label, (path, name, _) in pages.items():
            size = os.path.getsize(os.path.join(static, name))
            ours = wrk(base + path, args.seconds, args.connections)
            theirs = wrk(f"http://127.0.0.1:{nginx_port}/{name}", args.seconds, args.connections)
            print(f"{label:<14} {size:>7} {ours[0]:>15.0f} {ours[1]:>7.2f} {theirs[0]:>12.0f} {theirs[1]:>7.2f} {ours[0] / theirs[0]:>6.2f}"
                  + (f"  (errors: {ours[2]} / {theirs[2]})" if ours[2] or theirs[2] else ""))
    finally:
        nginx.terminate()
        server.terminate()
        nginx.wait()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
