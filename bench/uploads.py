#!/usr/bin/env python3
"""Evidence uploads over tus against `bluelamp serve` (release): one 1 GB video in a
single PATCH (the server's resident memory is sampled throughout: it must grow by
less than 64 MB), then 100 uploads of 20 MB at once (none may be lost: every one must
end as an evidence row with the right SHA-256).

Run from the repository root after `cargo build --release -p bluelamp`:

    python3 bench/uploads.py [--big-mb 1024] [--count 100] [--each-mb 20]
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import threading
import time

from feeds import BINARY, free_port, serve, wait_for

FTYP = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 0x200) + b"isommp41"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def create(port, length):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/forces/demo/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length)})
    r = c.getresponse()
    r.read()
    assert r.status == 201, r.status
    return r.getheader("Location")


def patch_stream(port, location, chunks, length):
    """PATCH the whole file from an iterator of chunks (streamed, never held whole)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.putrequest("PATCH", location)
    for k, v in {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
                 "Content-Length": str(length)}.items():
        c.putheader(k, v)
    c.endheaders()
    for chunk in chunks:
        c.send(chunk)
    r = c.getresponse()
    r.read()
    return r.status


def video_chunks(length, seed):
    """A deterministic 'video': the ftyp box, then pseudo-random 1 MiB blocks."""
    block = hashlib.sha256(seed).digest() * (1024 * 1024 // 32)
    yield FTYP
    sent = len(FTYP)
    while sent < length:
        part = block[: min(len(block), length - sent)]
        sent += len(part)
        yield part


def digest(length, seed):
    h = hashlib.sha256()
    for chunk in video_chunks(length, seed):
        h.update(chunk)
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--each-mb", type=int, default=20)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="bluelamp-uploadbench-")
    data = os.path.join(root, "data")
    port = free_port()
    server = serve(data, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        before = rss_kib(server.pid)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(server.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        big = args.big_mb * 1024 * 1024
        location = create(port, big)
        started = time.time()
        status = patch_stream(port, location, video_chunks(big, b"big"), big)
        took = time.time() - started
        done.set()
        sampler.join()
        assert status == 204, status
        print(f"{os.cpu_count()} cores")
        print(f"1 upload of {args.big_mb} MB in one PATCH: {took:.1f} s ({args.big_mb / took:.0f} MB/s); "
              f"resident memory {before / 1024:.0f} MB before, peak {peak[0] / 1024:.0f} MB, growth {(peak[0] - before) / 1024:.1f} MB")

        each = args.each_mb * 1024 * 1024

        def one(n):
            loc = create(port, each)
            return patch_stream(port, loc, video_chunks(each, f"clip-{n}".encode()), each)

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.count) as pool:
            statuses = list(pool.map(one, range(args.count)))
        took = time.time() - started
        db = sqlite3.connect(os.path.join(data, "bluelamp.db"))
        stored = {row[0] for row in db.execute("SELECT sha256 FROM evidence WHERE byte_size = ?", (each,))}
        expected = {digest(each, f"clip-{n}".encode()) for n in range(args.count)}
        lost = len(expected - stored)
        print(f"{args.count} uploads of {args.each_mb} MB at once: {took:.1f} s; "
              f"answers {sorted(set(statuses))}; stored {len(stored & expected)}/{args.count}; lost {lost}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
