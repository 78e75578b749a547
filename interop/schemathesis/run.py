#!/usr/bin/env python3
"""Run schemathesis (PyPI) against a real Bluelamp server's OpenAPI document.

Starts `bluelamp serve --demo` on a fresh data folder and a free port, logs in
as the demo force administrator through the HTML login page, makes an API token
with every scope the role allows on the settings page, and runs
`schemathesis run .../api/openapi.json --checks all` with it. Exits with
schemathesis's own exit code (0: clean).

    python3 interop/schemathesis/run.py path/to/bluelamp [extra schemathesis args]
"""

import base64
import hashlib
import hmac
import html
import struct
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import http.cookiejar


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf(page):
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    if not match:
        raise SystemExit("no CSRF field in the page")
    return match.group(1)


def totp(secret_base32, at):
    """The RFC 6238 code (SHA-1, six digits, 30-second steps) for time `at`."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def main():
    binary = sys.argv[1]
    extra = sys.argv[2:]
    data = tempfile.mkdtemp(prefix="bluelamp-schemathesis-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.pop("BLUELAMP_CONFIG", None)
    env.update(
        BLUELAMP_DATA_DIR=data,
        BLUELAMP_LISTEN=f"127.0.0.1:{port}",
        BLUELAMP_COOKIE_SECURE="false",
        BLUELAMP_LOG_LEVEL="warn",
    )
    env.pop("BLUELAMP_DATABASE_URL", None)
    log = open(os.path.join(data, "server.log"), "w")
    server = subprocess.Popen([binary, "serve", "--demo"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/login").read().decode()
        form = {"csrf": csrf(page), "username": "chief.admin", "password": "blue-lamp-force-2026"}
        opener.open(f"{base}/login", urllib.parse.urlencode(form).encode())
        # Enrol a second factor first: the fuzzer may turn on "require TOTP" for
        # the force, which (rightly) locks unenrolled users out of the API.
        page = opener.open(f"{base}/staff/totp").read().decode()
        secret = re.search(r'id="totp-secret">([A-Z2-7=]+)<', page).group(1)
        form = {"csrf": csrf(page), "secret": secret, "current_password": "blue-lamp-force-2026",
                "code": totp(secret, time.time())}
        opener.open(f"{base}/staff/totp", urllib.parse.urlencode(form).encode())
        page = opener.open(f"{base}/staff/settings").read().decode()
        form = {"csrf": csrf(page), "name": "schemathesis", "read": "true", "write": "true", "admin": "true"}
        page = opener.open(f"{base}/staff/tokens", urllib.parse.urlencode(form).encode()).read().decode()
        match = re.search(r'id="new-token">([^<]+)<', page)
        if not match:
            raise SystemExit("no token on the page:\n" + page[:2000])
        token = html.unescape(match.group(1))
        command = [
            shutil.which("st") or "st",
            "--config-file", os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml"),
            "run", f"{base}/api/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", "all",
            "--workers", "1",
        ] + extra
        print("+", " ".join(c if "Bearer" not in c else "Authorization: Bearer ***" for c in command), flush=True)
        return subprocess.call(command)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
