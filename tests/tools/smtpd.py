#!/usr/bin/python3
"""An SMTP server for the integration tests, on 127.0.0.1 (aiosmtpd, Debian's
python3-aiosmtpd 1.4.3; run it with /usr/bin/python3).

  smtpd.py --port-file FILE --spool DIR [--tls-dir DIR] [--smtps]
           [--auth USER:PASS] [--no-starttls] [--script FILE]

--port-file FILE  the port (chosen by the system) is written there, once the
                  server listens (written to a temporary name, then renamed).
--spool DIR       every accepted message becomes DIR/NNNN.eml, the DATA bytes
                  as they came on the wire (CRLF kept, nothing added; only the
                  transparency dots removed), and DIR/NNNN.json
                  {"mail_from", "rcpt_tos", "auth_user", "tls"}, numbered from
                  0001 (or after the last number in DIR) in arrival order.  The
                  .json is written last: once it is there, the .eml is whole.
--tls-dir DIR     makes a test CA and a certificate for 127.0.0.1 and
                  localhost (python3-trustme) and writes DIR/ca.pem (the CA,
                  for clients).  STARTTLS is then offered and required before
                  AUTH, MAIL and anything but EHLO/HELO/NOOP/QUIT/RSET.
--smtps           TLS from the first byte instead of STARTTLS (needs --tls-dir).
--no-starttls     a plain server: STARTTLS is not offered (even with --tls-dir,
                  which still writes ca.pem).
--auth USER:PASS  AUTH PLAIN and LOGIN, required before MAIL; another user or
                  password gets "535 5.7.8 Authentication credentials invalid".
                  Without --auth, AUTH is still offered but always refused, and
                  not required.
--script FILE     JSON read again at every MAIL, RCPT, DATA and AUTH, so a test
                  can change what the server does while it runs (a missing or
                  unreadable file is {}):
                    "mail": "451 4.3.0 try later"      the reply to MAIL FROM
                    "rcpt": {"bad@example.com": "550 5.1.1 no such user"}
                                                       the reply to RCPT TO for
                                                       these addresses (any case)
                    "data": "421 4.3.2 shutting down"  the reply after the message
                                                       (it is then not stored)
                    "drop_after_data": true            store the message, then
                                                       close the connection
                                                       without answering
                    "auth": "535 5.7.8 no"             the reply to AUTH
                  A scripted reply starting with 421 also closes the connection,
                  as a server that says 421 does.

SIGTERM or SIGINT stops it (exit 0).  Its log (stderr) has one line per
connection ("connection N"), per stored message, per login accepted or refused ("AUTH PLAIN accepted for
'sam'"; never a password) and per scripted reply.
"""
import argparse
import asyncio
import json
import logging
import os
import re
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import MISSING, SMTP, AuthResult


# aiosmtpd 1.4.3 sets the deprecated Session.login_data itself, and logs a
# warning about it at every login; and it warns about AUTH without STARTTLS,
# which is what --smtps (TLS already) and --no-starttls (on purpose) are.
_QUIET = ("login_data is deprecated", "auth_required == True but auth_require_tls == False")
logging.getLogger("mail.log").addFilter(lambda record: not any(q in record.getMessage() for q in _QUIET))
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


def log(text):
    print("smtpd: %s" % text, file=sys.stderr, flush=True)


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Spool:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        numbers = [int(m.group(1)) for m in (re.fullmatch(r"(\d+)\.(eml|json)", n) for n in os.listdir(folder)) if m]
        self.last = max(numbers, default=0)

    def store(self, server, session, envelope):
        self.last += 1
        name = "%04d" % self.last
        write_atomic(os.path.join(self.folder, name + ".eml"), envelope.original_content)
        auth = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth if isinstance(auth, str) else None,
            "tls": server.transport is not None and server.transport.get_extra_info("ssl_object") is not None,
        }
        write_atomic(os.path.join(self.folder, name + ".json"), json.dumps(meta).encode())
        log("stored %s: from %s to %s (%d bytes)" % (name, meta["mail_from"], ", ".join(meta["rcpt_tos"]),
                                                     len(envelope.original_content)))
        return name


class Handler:
    def __init__(self, spool, script_path):
        self.spool = spool
        self.script_path = script_path

    def script(self):
        if not self.script_path:
            return {}
        try:
            with open(self.script_path, encoding="utf-8") as fh:
                got = json.load(fh)
            return got if isinstance(got, dict) else {}
        except (OSError, ValueError):
            return {}

    def scripted(self, server, what, reply):
        log("%s: scripted reply %s" % (what, reply))
        if reply.startswith("421") and server.transport is not None:
            transport = server.transport
            asyncio.get_running_loop().call_later(0.05, transport.close)
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.script().get("mail")
        return self.scripted(server, "MAIL", reply) if reply else MISSING

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        table = self.script().get("rcpt") or {}
        table = {str(k).lower(): v for k, v in table.items()} if isinstance(table, dict) else {}
        reply = table.get(address.lower())
        return self.scripted(server, "RCPT " + address, reply) if reply else MISSING

    async def handle_DATA(self, server, session, envelope):
        script = self.script()
        if script.get("data"):
            return self.scripted(server, "DATA", script["data"])
        name = self.spool.store(server, session, envelope)
        if script.get("drop_after_data"):
            log("%s: stored, closing the connection without an answer" % name)
            server.transport.close()
            # connection_lost() cancels this coroutine before anything more
            # can be said.
            await asyncio.sleep(3600)
        return "250 2.0.0 OK queued as %s" % name

    async def handle_AUTH(self, server, session, envelope, args):
        reply = self.script().get("auth")
        return self.scripted(server, "AUTH", reply) if reply else MISSING


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN"):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        given = auth_data.password.decode("utf-8", "replace")
        if login == user and given == password:
            log("AUTH %s accepted for %r" % (mechanism, login))
            return AuthResult(success=True, auth_data=login)
        log("AUTH %s refused for %r" % (mechanism, login))
        return AuthResult(success=False, handled=False)

    return authenticator


def tls_context(folder):
    import trustme  # python3-trustme; only needed with --tls-dir

    os.makedirs(folder, exist_ok=True)
    ca = trustme.CA()
    ca.cert_pem.write_to_path(os.path.join(folder, "ca.pem"))
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(os.path.join(folder, "server.pem"))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


async def serve(args):
    loop = asyncio.get_running_loop()
    spool = Spool(args.spool)
    handler = Handler(spool, args.script)
    ctx = tls_context(args.tls_dir) if args.tls_dir else None
    user = password = None
    if args.auth:
        user, _, password = args.auth.partition(":")
    starttls = ctx is not None and not args.smtps and not args.no_starttls

    connections = 0

    def factory():
        nonlocal connections
        connections += 1
        log("connection %d" % connections)
        return SMTP(
            handler,
            hostname="diaryd-test-smtpd",
            tls_context=ctx if starttls else None,
            require_starttls=starttls,
            auth_required=bool(args.auth),
            # Over implicit TLS the connection is encrypted already; without
            # any TLS the test wants AUTH in clear to see clients refuse it.
            auth_require_tls=starttls,
            authenticator=make_authenticator(user, password) if args.auth else None,
            loop=loop,
        )

    server = await loop.create_server(factory, host="127.0.0.1", port=0, ssl=ctx if args.smtps else None)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_atomic(args.port_file, b"%d\n" % port)
    log("listening on 127.0.0.1:%d (%s%s)" % (
        port, "smtps" if args.smtps else "STARTTLS required" if starttls else "plain, no STARTTLS",
        ", AUTH %s required" % user if args.auth else ""))
    await stop.wait()
    server.close()
    log("stopped")


def main():
    p = argparse.ArgumentParser(description="SMTP server for diaryd's tests")
    p.add_argument("--port-file", required=True)
    p.add_argument("--spool", required=True)
    p.add_argument("--tls-dir")
    p.add_argument("--smtps", action="store_true")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--no-starttls", action="store_true")
    p.add_argument("--script")
    args = p.parse_args()
    if args.smtps and not args.tls_dir:
        p.error("--smtps needs --tls-dir")
    if args.smtps and args.no_starttls:
        p.error("--smtps and --no-starttls together make no sense")
    if args.auth and ":" not in args.auth:
        p.error("--auth takes USER:PASS")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
