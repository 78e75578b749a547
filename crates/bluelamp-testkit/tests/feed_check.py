"""Read Bluelamp's three feeds with a real feed parser and print what it saw.

Usage: feed_check.py URL [URL ...]. Prints one JSON object per feed: the parser's
version string, whether it reported the feed malformed, and each entry's id, title,
link and parsed publication date. The Rust test asserts on this output.
"""
import datetime
import json
import sys
import time
import urllib.request

import feedparser


def read_json_feed(url, body):
    """feedparser 6 does not read JSON Feed, so check it against the JSON Feed 1.1
    specification's required members and parse its RFC 3339 dates here."""
    feed = json.loads(body)
    problems = []
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version")
    if not isinstance(feed.get("title"), str):
        problems.append("title")
    entries = []
    for item in feed.get("items", []):
        if not isinstance(item.get("id"), str):
            problems.append("item id")
        if not (isinstance(item.get("content_text"), str) or isinstance(item.get("content_html"), str)):
            problems.append("item content")
        published = datetime.datetime.fromisoformat(item["date_published"].replace("Z", "+00:00"))
        entries.append({
            "id": item.get("id"),
            "title": item.get("title"),
            "link": item.get("url"),
            "published": published.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
    return {"url": url, "version": "json11", "bozo": bool(problems), "problems": problems, "entries": entries}

for url in sys.argv[1:]:
    with urllib.request.urlopen(url) as response:
        body = response.read()
        headers = {"content-type": response.headers.get("content-type", "")}
    if "json" in headers["content-type"]:
        print(json.dumps(read_json_feed(url, body)))
        continue
    parsed = feedparser.parse(body, response_headers=headers)
    entries = []
    for entry in parsed.entries:
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        entries.append({
            "id": entry.get("id"),
            "title": entry.get("title"),
            "link": entry.get("link"),
            "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", published) if published else None,
        })
    print(json.dumps({"url": url, "version": parsed.get("version"), "bozo": bool(parsed.bozo), "entries": entries}))
