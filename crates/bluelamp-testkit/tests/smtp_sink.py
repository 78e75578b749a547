#!/usr/bin/env python3
"""A real SMTP server for Bluelamp's e-mail tests (aiosmtpd).

Usage: smtp_sink.py PORT FOLDER

Saves each accepted message as FOLDER/NNNN.eml (the bytes received) and
FOLDER/NNNN.json (envelope recipients, headers, and the plain-text and HTML
bodies decoded by Python's own MIME parser, so tests read what a mail client
would show). Recipients listed in FOLDER/reject.txt
are refused with a permanent 550; those in FOLDER/tempfail.txt with a transient
451. The files are read on every RCPT, so a test can change them at any time.
Prints READY when it accepts connections.
"""

import json
import os
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def listed(folder, name, address):
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            return address.lower() in {line.strip().lower() for line in handle}
    except FileNotFoundError:
        return False


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if listed(self.folder, "reject.txt", address):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if listed(self.folder, "tempfail.txt", address):
            return "451 4.2.0 <%s>: mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.folder, "%04d" % self.count)
        raw = envelope.original_content or envelope.content
        with open(stem + ".eml", "wb") as handle:
            handle.write(raw)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        parsed = {
            "rcpt": list(envelope.rcpt_tos),
            "mail_from": envelope.mail_from,
            "headers": {name: str(value) for name, value in message.items()},
            "content_type": message.get_content_type(),
            "text": plain.get_content() if plain is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        # Written under a temporary name and renamed, so a reader never sees half.
        with open(stem + ".json.tmp", "w", encoding="utf-8") as handle:
            json.dump(parsed, handle)
        os.replace(stem + ".json.tmp", stem + ".json")
        return "250 Message accepted"


def main():
    port = int(sys.argv[1])
    folder = sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    try:
        # Stop when the test closes our standard input (or dies).
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
