#!/usr/bin/python3
"""responder: a scripted HTTP/1.1 server for the faults real CalDAV servers
will not produce on demand (resets, endless bodies, hostile XML, 507
paging, refused tokens, redirects, a token endpoint).

    responder.py --script FILE --log FILE [--sent-log FILE]
                 [--host 127.0.0.1] [--port 0] [--port-file FILE]
                 [--tls-cert FILE --tls-key FILE [--tls-log FILE]]
                 [--hold accept|noaccept]

Prints the port it listens on (one line on stdout) and, with --port-file,
writes it there too (atomically, so a waiting test never reads half of it).
Standard library only; run it with /usr/bin/python3.

TLS: with --tls-cert and --tls-key (PEM) every connection is TLS (HTTP/1.1,
no ALPN) and @BASE@ is https://HOST:PORT.  The certificate is read again
when the file changes, so a test swaps certificates by renaming a new pair
into place (key first).  A handshake that fails (the client refused the
certificate) is appended to --tls-log as {"t": ..., "error": "..."}.

--hold makes a server that never answers at all, for connect and read
timeouts: "accept" accepts each connection and then neither reads nor
writes (the connections are kept open until the responder is stopped);
"noaccept" listens with a backlog of 0, never accepts, and fills the queue
with connections of its own, so the kernel drops every further SYN and a
client's connect() never completes.  No script is read then, but --script
and --log are still required (and the log stays empty).

The log: every request is appended to --log as soon as it has been read,
one JSON object per line:
    {"n": 1, "t": 1796000000.123, "port": 4711, "method": "PROPFIND",
     "path": "/dav/?x=1", "headers": {"depth": "0", ...},
     "header_list": [["Depth", "0"], ...], "body": "...", "body_len": 123,
     "rule": 0, "status": 207}
(header names lower case in "headers", duplicates joined with ", "; "rule"
is the index of the rule used, null when none matched.)  With --sent-log,
one more line per request says what was sent once the answer is over:
    {"n": 1, "bytes": 1048576, "complete": false, "error": "BrokenPipeError"}

The script (JSON) is re-read whenever the file changes (write a new one with
rename to switch scenarios; use counts start again):
    {"vars": {"TOKEN": "tok-1"},            # @TOKEN@ in texts below
     "include": ["other.json"],             # their rules come after ours,
                                            # their vars under ours
     "rules": [RULE, ...],                  # first match with uses left wins
     "default": RESPONSE}                   # when none matches: 404
RULE = {"match": MATCH, "times": N, ...RESPONSE}  (times: uses; default no limit)
MATCH, every key optional, all must hold:
    "method": "REPORT" or ["GET", "HEAD"]
    "path": exact path (query excluded); "path_prefix"; "path_regex" (search)
    "depth": "0"                            # Depth header
    "header": {"Authorization": "regex"}    # present and matching (search)
    "header_absent": ["Authorization"]
    "body_contains": "text" or [...]; "body_lacks": "text" or [...];
    "body_regex": "regex"
    "report": "sync-collection" | "calendar-multiget" | "calendar-query"
                                            # the root element of the body
    "sync_token": ""  (none or empty) | "tok-1"   # the DAV:sync-token sent
RESPONSE:
    "status": 200, "reason": "OK", "headers": {"Name": "value"} or [[n, v]],
    "body": "text" | "body_file": "path" (relative to the script's folder)
      | "listing": {"dir": D, "names": [...], "removed": [...],
                    "token": "tok-2", "truncated": true, "data": "auto"}
            a 207 multistatus for the files of D (or those named): href =
            request path + name, getetag = a digest of the file, calendar-data
            when "data" is true (or "auto" and the request asks for it);
            "removed" names get 404 responses; "truncated" adds a 507
            response for the collection (RFC 6578 §3.6); "token" appends
            DAV:sync-token.
      | "multiget": D   a 207 answering each DAV:href of a calendar-multiget
            from the file of D with that name (404 when there is none)
    "delay": seconds before answering
    "reset_after": N   send the head (Content-Length of the whole body) and N
                       bytes of the body, then reset the connection (RST)
    "endless": true    the body, then "fill" (default: XML padding) repeated:
                       forever in chunked encoding, or up to "length" bytes
                       with that Content-Length
    "drop": "close" | "reset"   no answer at all
    "close": true      Connection: close after the answer
    "chunked": true    the body in chunked encoding ("chunk_size" bytes a
                       chunk, default 512) instead of with a Content-Length
    "cut_after": N     send the head and the first N bytes of the body as
                       they go on the wire (chunk framing included), then
                       close the connection cleanly (FIN): a body that ends
                       early, chunked without its last chunk
    "trickle": S       send the answer "trickle_bytes" bytes (default 1) at
                       a time, S seconds apart (a slowloris); the head too,
                       unless "trickle_head" is false; with "endless", for
                       ever
Texts (bodies, body files, header values, listing fields) have @PORT@,
@HOST@, @BASE@ (http://HOST:PORT), @PATH@ (the request's path) and the
script's vars replaced.
"""

import argparse
import base64
import hashlib
import html
import http.server
import json
import os
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
import urllib.parse

CHUNK = 64 * 1024
DEFAULT_FILL = "<D:response><D:href>/padding/x.ics</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response>\n"
REPORT_RE = re.compile(rb"<(?:[\w.-]+:)?(sync-collection|calendar-multiget|calendar-query|free-busy-query|"
                       rb"addressbook-multiget|addressbook-query|expand-property|principal-property-search)\b")
TOKEN_RE = re.compile(rb"<(?:[\w.-]+:)?sync-token(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.-]+:)?sync-token\s*>)", re.S)
HREF_RE = re.compile(rb"<(?:[\w.-]+:)?href(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?href\s*>", re.S)


class ScriptError(Exception):
    pass


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


class Script:
    """The rules, re-read when the file changes."""

    def __init__(self, path):
        self.path = path
        self.stamp = None
        self.rules = []
        self.default = None
        self.vars = {}
        self.uses = []
        self.error = None

    def _load_file(self, path, seen):
        real = os.path.realpath(path)
        if real in seen:
            raise ScriptError("%s: included twice" % path)
        seen.add(real)
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as e:
            raise ScriptError("%s: %s" % (path, e))
        if not isinstance(doc, dict):
            raise ScriptError("%s: not a JSON object" % path)
        base = os.path.dirname(os.path.abspath(path))
        rules = []
        for r in doc.get("rules", []):
            if not isinstance(r, dict):
                raise ScriptError("%s: a rule that is not an object: %r" % (path, r))
            r = dict(r)
            r["_base"] = base
            rules.append(r)
        variables = {}
        default = doc.get("default")
        if default is not None:
            default = dict(default)
            default["_base"] = base
        for inc in as_list(doc.get("include")):
            inc_path = inc if os.path.isabs(inc) else os.path.join(base, inc)
            r2, v2, d2 = self._load_file(inc_path, seen)
            rules.extend(r2)
            variables.update(v2)
            if default is None:
                default = d2
        variables.update({str(k): str(v) for k, v in doc.get("vars", {}).items()})
        return rules, variables, default

    def refresh(self):
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError as e:
            self.error = "cannot read the script %s: %s" % (self.path, e)
            return
        if stamp == self.stamp:
            return
        self.stamp = stamp
        try:
            self.rules, self.vars, self.default = self._load_file(self.path, set())
            self.uses = [0] * len(self.rules)
            self.error = None
        except ScriptError as e:
            self.error = str(e)
            print("responder: %s" % e, file=sys.stderr, flush=True)


class Request:
    def __init__(self, method, path, header_list, body):
        self.method = method
        self.path = path
        self.path_only = urllib.parse.urlsplit(path).path or "/"
        self.header_list = header_list
        self.headers = {}
        for k, v in header_list:
            k = k.lower()
            self.headers[k] = self.headers[k] + ", " + v if k in self.headers else v
        self.body = body
        m = REPORT_RE.search(body[:4096])
        self.report = m.group(1).decode() if m else None
        m = TOKEN_RE.search(body)
        if m is None:
            self.sync_token = ""
        else:
            self.sync_token = html.unescape((m.group(1) or b"").decode("utf-8", "replace")).strip()


def matches(rule, req, subst):
    """Whether the rule's "match" holds for the request; `subst` replaces
    @NAME@ in its texts (regexes included)."""
    m = {}
    for k, v in (rule.get("match") or {}).items():
        if isinstance(v, str):
            v = subst(v)
        elif isinstance(v, list):
            v = [subst(x) if isinstance(x, str) else x for x in v]
        elif isinstance(v, dict):
            v = {a: subst(b) if isinstance(b, str) else b for a, b in v.items()}
        m[k] = v
    if "method" in m and req.method.upper() not in [x.upper() for x in as_list(m["method"])]:
        return False
    if "path" in m and req.path_only != m["path"]:
        return False
    if "path_prefix" in m and not req.path_only.startswith(m["path_prefix"]):
        return False
    if "path_regex" in m and not re.search(m["path_regex"], req.path_only):
        return False
    if "depth" in m and req.headers.get("depth", "").strip().lower() != str(m["depth"]).lower():
        return False
    for name, rx in (m.get("header") or {}).items():
        v = req.headers.get(name.lower())
        if v is None or not re.search(rx, v):
            return False
    for name in as_list(m.get("header_absent")):
        if name.lower() in req.headers:
            return False
    for s in as_list(m.get("body_contains")):
        if s.encode() not in req.body:
            return False
    for s in as_list(m.get("body_lacks")):
        if s.encode() in req.body:
            return False
    if "body_regex" in m and not re.search(m["body_regex"].encode(), req.body, re.S):
        return False
    if "report" in m and req.report != m["report"]:
        return False
    if "sync_token" in m and (req.report != "sync-collection" or req.sync_token != m["sync_token"]):
        return False
    return True


def etag_of(data):
    return '"%s"' % hashlib.sha1(data).hexdigest()[:24]


def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MS_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" '
           'xmlns:CS="http://calendarserver.org/ns/">\n')


def object_response(href, data, with_data):
    parts = ["<D:response><D:href>%s</D:href><D:propstat><D:prop><D:getetag>%s</D:getetag>"
             % (xml_text(href), xml_text(etag_of(data)))]
    if with_data:
        parts.append("<C:calendar-data>%s</C:calendar-data>" % xml_text(data.decode("utf-8", "replace")))
    parts.append("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n")
    return "".join(parts)


def gone_response(href, status="404 Not Found"):
    return "<D:response><D:href>%s</D:href><D:status>HTTP/1.1 %s</D:status></D:response>\n" % (
        xml_text(href), status)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "responder/1"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the JSON log says it all
        pass

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.serve
        raise AttributeError(name)

    # ---- reading --------------------------------------------------------
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                out += self.rfile.read(size)
                self.rfile.readline(1024)
            return bytes(out)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # ---- the log ----------------------------------------------------------
    def log_json(self, path, obj):
        if not path:
            return
        line = json.dumps(obj, ensure_ascii=False) + "\n"
        with self.server.log_lock:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()

    # ---- texts --------------------------------------------------------------
    def subst(self, text, req):
        if text is None:
            return None
        base = "%s://%s:%d" % ("https" if self.server.tls else "http", self.server.host_name, self.server.port)
        table = {"PORT": str(self.server.port), "HOST": self.server.host_name, "BASE": base,
                 "PATH": req.path_only}
        table.update(self.server.script.vars)
        return re.sub(r"@([A-Z][A-Z0-9_]*)@", lambda m: table.get(m.group(1), m.group(0)), text)

    def resolve(self, rule, path):
        path = self.subst(path, self.current)
        return path if os.path.isabs(path) else os.path.join(rule.get("_base", "."), path)

    def build_body(self, rule, req):
        """(status, extra headers, body bytes) of a rule."""
        headers = []
        if "listing" in rule:
            spec = rule["listing"]
            folder = self.resolve(rule, spec["dir"])
            names = spec.get("names")
            if names is None:
                names = sorted(n for n in os.listdir(folder) if not n.startswith("."))
            want = spec.get("data", "auto")
            with_data = want is True or (want == "auto" and b"calendar-data" in req.body)
            base = req.path_only if req.path_only.endswith("/") else req.path_only + "/"
            parts = [MS_HEAD]
            for name in names:
                name = self.subst(name, req)
                with open(os.path.join(folder, name), "rb") as fh:
                    data = fh.read()
                parts.append(object_response(base + urllib.parse.quote(name), data, with_data))
            for name in spec.get("removed", []):
                parts.append(gone_response(base + urllib.parse.quote(self.subst(name, req))))
            if spec.get("truncated"):
                parts.append(gone_response(req.path_only, "507 Insufficient Storage"))
            if spec.get("extra"):
                parts.append(self.subst(spec["extra"], req))
            if spec.get("token") is not None:
                parts.append("<D:sync-token>%s</D:sync-token>\n" % xml_text(self.subst(spec["token"], req)))
            parts.append("</D:multistatus>\n")
            headers.append(("Content-Type", 'application/xml; charset="utf-8"'))
            return rule.get("status", 207), headers, "".join(parts).encode("utf-8")
        if "multiget" in rule:
            spec = rule["multiget"]
            folder = self.resolve(rule, spec["dir"] if isinstance(spec, dict) else spec)
            parts = [MS_HEAD]
            for raw in HREF_RE.findall(req.body):
                href = html.unescape(raw.decode("utf-8", "replace")).strip()
                name = urllib.parse.unquote(urllib.parse.urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1])
                fn = os.path.join(folder, name)
                if name and not name.startswith(".") and os.path.isfile(fn):
                    with open(fn, "rb") as fh:
                        parts.append(object_response(href, fh.read(), True))
                else:
                    parts.append(gone_response(href))
            parts.append("</D:multistatus>\n")
            headers.append(("Content-Type", 'application/xml; charset="utf-8"'))
            return rule.get("status", 207), headers, "".join(parts).encode("utf-8")
        if "body_file" in rule:
            with open(self.resolve(rule, rule["body_file"]), "rb") as fh:
                data = fh.read()
            if not rule.get("raw"):
                data = self.subst(data.decode("utf-8"), req).encode("utf-8")
            return rule.get("status", 200), headers, data
        if "body_base64" in rule:
            return rule.get("status", 200), headers, base64.b64decode(rule["body_base64"])
        return rule.get("status", 200), headers, self.subst(rule.get("body", ""), req).encode("utf-8")

    # ---- sending ---------------------------------------------------------------
    def send_raw(self, data, paced=False):
        if not paced or not self.pace:
            self.wfile.write(data)
            self.sent += len(data)
            return
        every, step = self.pace
        for i in range(0, len(data), step):
            self.wfile.write(data[i:i + step])
            self.sent += len(data[i:i + step])
            time.sleep(every)

    def reset(self):
        """Close with SO_LINGER {1, 0}: the peer sees a reset, not an end."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()
        except OSError:
            pass
        self.connection.close()
        self.close_connection = True

    def serve(self):
        self.sent = 0
        self.pace = None
        body = self.read_body()
        header_list = [(k, v) for k, v in self.headers.items()]
        req = Request(self.command, self.path, header_list, body)
        self.current = req
        server = self.server
        with server.lock:
            script = server.script
            script.refresh()
            rule, index = None, None
            if script.error is None:
                for i, r in enumerate(script.rules):
                    times = r.get("times")
                    if times is not None and script.uses[i] >= times:
                        continue
                    if matches(r, req, lambda text: self.subst(text, req)):
                        rule, index = r, i
                        script.uses[i] += 1
                        break
                if rule is None and script.default is not None:
                    rule = script.default
            server.count += 1
            n = server.count
        error = script.error
        if error is not None:
            rule = {"status": 500, "body": "responder: %s\n" % error}
        elif rule is None:
            rule = {"status": 404, "body": "responder: no rule for %s %s\n" % (req.method, req.path)}
        try:
            status, extra, data = self.build_body(rule, req)
        except Exception as e:  # a broken scenario: say so in the answer and on stderr
            traceback.print_exc(file=sys.stderr)
            status, extra, data = 500, [], ("responder: %s: %s\n" % (type(e).__name__, e)).encode()
        body_text = body.decode("utf-8", "replace")
        entry = {"n": n, "t": round(time.time(), 3), "port": server.port, "method": req.method,
                 "path": req.path, "headers": req.headers, "header_list": [list(h) for h in header_list],
                 "body": body_text[:1 << 20], "body_len": len(body), "rule": index, "status": status}
        if len(body_text) > (1 << 20):
            entry["body_truncated"] = True
        self.log_json(server.log_path, entry)

        outcome = {"n": n, "bytes": 0, "complete": False, "error": None}
        try:
            self.answer(rule, req, status, extra, data)
            outcome["complete"] = True
        except (OSError, ValueError) as e:
            outcome["error"] = type(e).__name__
            self.close_connection = True
        outcome["bytes"] = self.sent
        self.log_json(server.sent_log_path, outcome)

    def answer(self, rule, req, status, extra, data):
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        drop = rule.get("drop")
        if drop:
            if drop == "reset":
                self.reset()
            else:
                self.close_connection = True
            return
        headers = []
        given = rule.get("headers") or {}
        items = given.items() if isinstance(given, dict) else given
        for k, v in items:
            headers.append((k, self.subst(str(v), req)))
        names = {k.lower() for k, _ in headers}
        for k, v in extra:
            if k.lower() not in names:
                headers.append((k, v))
                names.add(k.lower())
        endless = rule.get("endless")
        length = rule.get("length")
        head_only = req.method.upper() == "HEAD" or status in (204, 304) or 100 <= status < 200
        chunked = bool(endless and length is None) or bool(rule.get("chunked") and not endless)
        self.pace = None
        if rule.get("trickle") is not None:
            self.pace = (float(rule["trickle"]), max(1, int(rule.get("trickle_bytes", 1))))
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif "content-length" not in names:
            headers.append(("Content-Length", str(length if endless else len(data))))
        if rule.get("close"):
            headers.append(("Connection", "close"))
            self.close_connection = True
        reason = rule.get("reason")
        if not reason:
            try:
                reason = http.HTTPStatus(status).phrase
            except ValueError:
                reason = "Unknown"
        head = "HTTP/1.1 %d %s\r\n" % (status, reason)
        head += "".join("%s: %s\r\n" % (k, v) for k, v in headers) + "\r\n"
        self.send_raw(head.encode("latin-1"), paced=rule.get("trickle_head", True))
        if head_only:
            return
        if chunked and not endless:
            size = max(1, int(rule.get("chunk_size", 512)))
            wire = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
                            for i in range(0, len(data), size)) + b"0\r\n\r\n"
        else:
            wire = data
        if "cut_after" in rule:
            self.send_raw(wire[:int(rule["cut_after"])], paced=True)
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.close_connection = True
            return
        if "reset_after" in rule:
            n = int(rule["reset_after"])
            self.send_raw(data[:n])
            time.sleep(0.05)  # let the bytes leave before the reset
            self.reset()
            return
        if endless:
            fill = self.subst(rule.get("fill", DEFAULT_FILL), req).encode("utf-8")
            block = fill * max(1, CHUNK // len(fill))
            if length is None:
                if data:
                    self.send_raw(b"%x\r\n%s\r\n" % (len(data), data), paced=True)
                while True:
                    self.send_raw(b"%x\r\n%s\r\n" % (len(block), block), paced=True)
            left = int(length)
            piece = data[:left]
            self.send_raw(piece, paced=True)
            left -= len(piece)
            while left > 0:
                piece = block[:left]
                self.send_raw(piece, paced=True)
                left -= len(piece)
            self.close_connection = True
            return
        self.send_raw(wire, paced=True)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    tls = None  # (cert, key, log) when serving TLS

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, BrokenPipeError, OSError)):
            return
        super().handle_error(request, client_address)

    # ---- TLS ------------------------------------------------------------------
    def tls_context(self):
        """The context for the certificate files as they are now."""
        import ssl
        cert, key, _ = self.tls
        st = os.stat(cert)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != getattr(self, "_tls_stamp", None):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self._tls_ctx, self._tls_stamp = ctx, stamp
        return self._tls_ctx

    def get_request(self):
        sock, addr = super().get_request()
        if not self.tls:
            return sock, addr
        try:
            ctx = self.tls_context()
        except (OSError, ValueError) as e:
            print("responder: cannot load the certificate: %s" % e, file=sys.stderr, flush=True)
            sock.close()
            raise OSError("no certificate") from e
        # The handshake happens in the request's thread (Handler.setup).
        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def tls_failed(self, error):
        log = self.tls[2]
        if log:
            line = json.dumps({"t": round(time.time(), 3), "error": str(error)}) + "\n"
            with self.log_lock:
                with open(log, "a", encoding="utf-8") as fh:
                    fh.write(line)


class TlsHandler(Handler):
    def setup(self):
        self.request.settimeout(10)
        try:
            self.request.do_handshake()
        except OSError as e:
            self.server.tls_failed(e)
            raise
        self.request.settimeout(None)
        super().setup()


def hold(args):
    """--hold: a server that never answers (see the module's comment)."""
    ls = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.host, args.port))
    port = ls.getsockname()[1]
    held = []
    if args.hold == "noaccept":
        ls.listen(0)
        # The accept queue holds backlog + 1 connections: fill it (and one
        # more, which waits in SYN-SENT itself, harmlessly).
        for _ in range(3):
            c = socket.socket(ls.family)
            c.setblocking(False)
            try:
                c.connect((args.host, port))
            except BlockingIOError:
                pass
            held.append(c)
        time.sleep(0.2)
    else:
        ls.listen(64)
    announce(args, port)
    try:
        while True:
            if args.hold == "accept":
                c, _ = ls.accept()
                held.append(c)
            else:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass


def announce(args, port):
    print(port, flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.rename(tmp, args.port_file)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--sent-log")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-log")
    ap.add_argument("--hold", choices=["accept", "noaccept"])
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    open(args.log, "a").close()
    if args.hold:
        hold(args)
        return

    server = Server((args.host, args.port), TlsHandler if args.tls_cert else Handler)
    if args.tls_cert:
        server.tls = (args.tls_cert, args.tls_key, args.tls_log)
        server.tls_context()  # a broken pair fails now, not at the first client
    server.host_name = args.host
    server.port = server.server_address[1]
    server.script = Script(args.script)
    server.log_path = args.log
    server.sent_log_path = args.sent_log
    server.lock = threading.Lock()
    server.log_lock = threading.Lock()
    server.count = 0
    open(args.log, "a").close()
    if args.sent_log:
        open(args.sent_log, "a").close()
    server.script.refresh()
    announce(args, server.port)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
