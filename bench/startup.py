#!/usr/bin/env python3
"""Cold start and idle memory of the release binary on embedded SQLite.

Measures, over several runs, the time from starting `bluelamp serve` to the first
answered `/healthz`, in two cases: a brand-new data folder (migrations and the demo
seed included) and an existing one (a restart). Then reports the resident memory of
the idle server after it has answered a few pages. Run from the repository root:

    cargo build --release -p bluelamp && python3 bench/startup.py
"""
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

BINARY = os.environ.get("BLUELAMP_BIN", os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "bluelamp"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir, demo):
    port = free_port()
    args = [BINARY, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir]
    if demo:
        args.append("--demo")
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "BLUELAMP_LOG_LEVEL": "warn"})
    url = f"http://127.0.0.1:{port}/healthz"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process, port, time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"bluelamp exited with {process.returncode}")
            time.sleep(0.002)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    fresh, restart = [], []
    root = tempfile.mkdtemp(prefix="bluelamp-bench-")
    try:
        for run in range(5):
            data = os.path.join(root, f"run{run}")
            process, _, seconds = start(data, demo=True)
            fresh.append(seconds)
            process.terminate()
            process.wait()
            process, port, seconds = start(data, demo=True)
            restart.append(seconds)
            if run == 4:
                for path in ["/", "/forces/demo", "/forces/demo/accounts/pcmorgan", "/forces/demo/feed.atom", "/login"]:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()
                time.sleep(2)
                idle = rss_kib(process.pid)
            process.terminate()
            process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"cold start, new data folder (migrate + demo seed): median {statistics.median(fresh) * 1000:.0f} ms, max {max(fresh) * 1000:.0f} ms")
    print(f"cold start, existing data folder (restart):        median {statistics.median(restart) * 1000:.0f} ms, max {max(restart) * 1000:.0f} ms")
    print(f"idle resident memory after serving pages:          {idle / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
