"""Real Mastodon clients against a running Bluelamp server: Mastodon.py (the
library) and toot (the command-line app), installed from PyPI. Neither was
written for Bluelamp. The officer's browser step (log in, consent, copy the
code) is played over HTTP with the staff pages' own forms.

Usage: mastodon_clients.py BASE USERNAME PASSWORD ACCOUNT_HANDLE HELD_TEXT WORKDIR
Prints one JSON object of what each client saw; the Rust test asserts on it.
"""

import datetime
import json
import os
import re
import struct
import subprocess
import sys
import zlib

import requests

BASE, USERNAME, PASSWORD, HANDLE, HELD, WORKDIR = sys.argv[1:7]
OOB = "urn:ietf:wg:oauth:2.0:oob"


def png(width=8, height=8):
    """A small valid PNG (solid blue), so the test needs no image library."""
    raw = b"".join(b"\x00" + b"\x10\x40\xc0" * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def field(html, name):
    match = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    return match.group(1) if match else None


def officer_consents(url):
    """The officer's browser: log in (sent there by the consent page), consent
    as ACCOUNT_HANDLE, and read the out-of-band code."""
    browser = requests.Session()
    first = browser.get(url, allow_redirects=False)
    assert first.status_code in (302, 303), (first.status_code, first.text[:300])
    assert first.headers["location"].startswith("/login"), first.headers
    login = browser.get(BASE + "/login")
    done = browser.post(
        BASE + "/login",
        data={"username": USERNAME, "password": PASSWORD, "csrf": field(login.text, "csrf")},
        allow_redirects=False,
    )
    assert done.status_code == 303, done.text[:300]
    # The login page sends the officer back to the consent page.
    back = done.headers["location"]
    assert back.startswith("/oauth/authorize?"), back
    consent = browser.get(BASE + back)
    assert consent.status_code == 200, consent.text[:500]
    radios = re.findall(r'name="account" id="account-(\d+)" value="(\d+)"[^>]*>\s*<label[^>]*>([^<]*)', consent.text)
    chosen = [value for (_, value, label) in radios if "@" + HANDLE + ")" in label]
    assert chosen, (radios, consent.text[:2000])
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    form = {k: requests.utils.unquote(v).replace("&amp;", "&") for k, v in form.items()}
    form["account"] = chosen[0]
    form["decision"] = "allow"
    answer = browser.post(BASE + "/oauth/authorize", data=form, allow_redirects=False)
    assert answer.status_code == 200, answer.text[:500]
    code = re.search(r'id="authorization-code">([^<]+)<', answer.text)
    assert code, answer.text[:500]
    return browser, code.group(1)


def acknowledge_policy(token):
    r = requests.post(
        BASE + "/api/v1/policy/acknowledge",
        json={"version": 1},
        headers={"Authorization": "Bearer " + token},
    )
    assert r.status_code == 200, r.text


def with_mastodon_py():
    from mastodon import Mastodon, MastodonAPIError

    seen = {}
    client_id, client_secret = Mastodon.create_app(
        "Bluelamp test (Mastodon.py)", api_base_url=BASE, redirect_uris=OOB, scopes=["read", "write"]
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE, version_check_mode="created")
    url = api.auth_request_url(redirect_uris=OOB, scopes=["read", "write"], allow_http=True)
    _, code = officer_consents(url)
    token = api.log_in(code=code, redirect_uri=OOB, scopes=["read", "write"], allow_http=True)
    acknowledge_policy(token)
    seen["version"] = api.retrieve_mastodon_version()
    me = api.account_verify_credentials()
    seen["username"] = me["username"]

    text_post = api.status_post("Mastodon.py: the harbour path is open again after the storm.")
    seen["text_id"] = str(text_post["id"])
    seen["text_content"] = text_post["content"]

    media = api.media_post(png(), mime_type="image/png", description="A blue test square")
    seen["media_url"] = media["url"]
    seen["media_description"] = media["description"]
    with_photo = api.status_post("Mastodon.py: our new bike-marking stand.", media_ids=[media])
    seen["photo_alt"] = with_photo["media_attachments"][0]["description"]

    reply = api.status_post("Mastodon.py: thank you all for your patience.", in_reply_to_id=text_post["id"])
    seen["reply_to"] = str(reply["in_reply_to_id"])
    context = api.status_context(text_post["id"])
    seen["context_descendants"] = [str(s["id"]) for s in context["descendants"]]

    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=30)
    scheduled = api.status_post("Mastodon.py: our beat surgery is at the library tonight.", scheduled_at=later)
    seen["scheduled_has_time"] = bool(scheduled.get("scheduled_at"))
    seen["scheduled_listed"] = [str(s["id"]) for s in api.scheduled_statuses()]
    seen["scheduled_id"] = str(scheduled["id"])

    home = api.timeline_home(limit=10)
    seen["home_ids"] = [str(s["id"]) for s in home]
    older = api.fetch_next(home) if home else None
    seen["paged"] = older is not None or len(home) < 10

    notes = api.notifications()
    seen["notification_texts"] = [n["status"]["content"] for n in notes]
    seen["notification_types"] = [n["type"] for n in notes]

    try:
        api.status_post(HELD)
        seen["held"] = None
    except MastodonAPIError as error:
        seen["held"] = [str(a) for a in error.args]

    api.status_delete(reply["id"])
    try:
        api.status(reply["id"])
        seen["deleted_gone"] = False
    except MastodonAPIError:
        seen["deleted_gone"] = True
    return seen


def with_toot():
    seen = {}
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(WORKDIR, "toot-config"), NO_COLOR="1", TERM="dumb")
    login = subprocess.Popen(
        ["toot", "login", "-i", BASE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = None
    lines = []
    while url is None:
        line = login.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "/oauth/authorize" in line:
            url = line.strip()
    assert url, "".join(lines)
    _, code = officer_consents(url)
    out, _ = login.communicate("n\n" + code + "\n", timeout=60)
    seen["login_exit"] = login.returncode
    seen["login_output"] = out[-300:]

    def toot(*args):
        done = subprocess.run(["toot", *args], capture_output=True, text=True, env=env, timeout=60)
        return done.returncode, done.stdout + done.stderr

    config = json.load(open(os.path.join(WORKDIR, "toot-config", "toot", "config.json")))
    token = next(iter(config["users"].values()))["access_token"]
    acknowledge_policy(token)

    seen["post"] = toot("post", "toot: lost dog found on the prom, now at the station.")
    image = os.path.join(WORKDIR, "square.png")
    with open(image, "wb") as f:
        f.write(png())
    seen["post_media"] = toot("post", "--media", image, "--description", "A blue square from toot", "toot: new poster.")
    seen["timeline"] = toot("timeline", "--once")
    seen["notifications"] = toot("notifications")
    seen["held"] = toot("post", HELD)
    return seen


if __name__ == "__main__":
    which = sys.argv[7] if len(sys.argv) > 7 else "both"
    result = {}
    if which in ("both", "mastodon.py"):
        result["mastodon_py"] = with_mastodon_py()
    if which in ("both", "toot"):
        result["toot"] = with_toot()
    print(json.dumps(result))
