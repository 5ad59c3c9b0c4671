"""A real SMTP server for the reports' e-mail test (aiosmtpd): STARTTLS required, AUTH PLAIN/LOGIN required
after TLS, every accepted message written to a directory as JSON (envelope + raw message) for the test to read.

Prints `READY <port>` once it accepts connections; stops when its standard input closes (the test process
ended) or on SIGTERM."""

import argparse
import email
import email.policy
import itertools
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, maildir):
        self.maildir = maildir
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        # The parts decoded (lettre picks quoted-printable or base64), so the test reads the text itself.
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {
            part.get_content_type(): part.get_content()
            for part in message.walk()
            if not part.is_multipart()
        }
        record = {
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth": session.authenticated,
            "tls": session.ssl is not None,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        tmp = os.path.join(self.maildir, f".{n}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        # Renamed into place, so a reader never sees half a message.
        os.rename(tmp, os.path.join(self.maildir, f"{n}.json"))
        return "250 OK stored"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--maildir", required=True)
    a = p.parse_args()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)
    controller = Controller(
        Saver(a.maildir),
        hostname="127.0.0.1",
        port=a.port,
        server_hostname="localhost",
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator(a.user, a.password),
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print(f"READY {a.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
