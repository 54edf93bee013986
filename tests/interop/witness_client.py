"""C2SP tlog-witness and tlog-cosignature from the specs alone (c2sp.org/tlog-witness,
c2sp.org/tlog-cosignature; docs/c2sp.md names the commits read): an add-checkpoint client,
Ed25519 cosignature/v1 lines (sign and verify), and fake witnesses that misbehave on purpose.
Nothing here reads our C++ code."""

import base64
import hashlib
import http.client
import http.server
import struct
import threading

import nacl.exceptions
import nacl.signing

EM_DASH = "\u2014"


class CosignatureError(Exception):
    pass


class Cosigner:
    """A cosigner verifier key "<name>+<hex key id>+<base64(0x04 || Ed25519 key)>"."""

    def __init__(self, name, public_key):
        self.name, self.public_key = name, public_key
        self.key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + public_key).digest()[:4]

    @staticmethod
    def parse(vkey):
        name, key_id, key_b64 = vkey.strip().split("+", 2)
        key = base64.b64decode(key_b64, validate=True)
        if len(key) != 33 or key[0] != 0x04:
            raise CosignatureError("not an Ed25519 cosignature/v1 key (type 0x04)")
        c = Cosigner(name, key[1:])
        if c.key_id.hex() != key_id:
            raise CosignatureError("key id does not match")
        return c

    def vkey(self):
        return "%s+%s+%s" % (self.name, self.key_id.hex(),
                             base64.b64encode(b"\x04" + self.public_key).decode())


def signed_message(note_text, timestamp):
    return b"cosignature/v1\ntime %d\n" % timestamp + note_text.encode()


def cosignature_line(name, signing_key, note_text, timestamp):
    """One note signature line (without its newline)."""
    c = Cosigner(name, bytes(signing_key.verify_key))
    sig = signing_key.sign(signed_message(note_text, timestamp)).signature
    return "%s %s %s" % (EM_DASH, name,
                         base64.b64encode(c.key_id + struct.pack(">Q", timestamp) + sig).decode())


def verify_cosignature(line, note_text, cosigner):
    """The timestamp of a valid cosignature line by `cosigner`; None for another signer's."""
    prefix = "%s %s " % (EM_DASH, cosigner.name)
    if not line.startswith(prefix):
        return None
    raw = base64.b64decode(line[len(prefix):], validate=True)
    if raw[:4] != cosigner.key_id:
        return None
    if len(raw) != 4 + 8 + 64:
        raise CosignatureError("cosignature is %d bytes, not 76" % len(raw))
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    if timestamp >= 1 << 63:
        raise CosignatureError("timestamp over 2^63 - 1")
    try:
        nacl.signing.VerifyKey(cosigner.public_key).verify(
            signed_message(note_text, timestamp), raw[12:])
    except nacl.exceptions.BadSignatureError:
        raise CosignatureError("cosignature by %s does not verify" % cosigner.name)
    return timestamp


def split_note(note):
    """(text with its final newline, [signature lines])."""
    split = note.index("\n\n")
    return note[:split + 1], note[split + 2:].splitlines()


def cosigned_by(note, cosigners):
    """The names of `cosigners` with a valid cosignature on `note`."""
    text, lines = split_note(note)
    names = []
    for c in cosigners:
        for line in lines:
            try:
                if verify_cosignature(line, text, c) is not None:
                    names.append(c.name)
                    break
            except CosignatureError:
                pass
    return names


def add_checkpoint_body(old_size, proof, note):
    return ("old %d\n" % old_size + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
            + "\n" + note).encode()


def post(host, port, path, body, timeout=10):
    """POSTs body; returns (status, content type, body bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        conn.close()


class FakeWitnesses:
    """An HTTP server holding misbehaving witnesses, one per path prefix:
      /liar/add-checkpoint     200 with a valid signature by its key over ANOTHER root
      /badsig/add-checkpoint   200 with a cosignature line whose signature bytes are flipped
      /garbage/add-checkpoint  200 with a body that is no signature line at all
      /slow/add-checkpoint     holds the request until release() (the client must time out)
    Each fake has its own Ed25519 key (fixed seeds) and cosigner name."""

    NAMES = ("liar", "badsig", "garbage", "slow")

    def __init__(self):
        self.keys = {n: nacl.signing.SigningKey(hashlib.sha256(n.encode()).digest())
                     for n in self.NAMES}
        self.requests = {n: 0 for n in self.NAMES}
        self.slow_in_flight = 0
        self.released = threading.Event()
        self.lock = threading.Lock()
        fakes = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                name = self.path.split("/")[1]
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if name not in fakes.NAMES or not self.path.endswith("/add-checkpoint"):
                    return self.reply(404, b"no such witness\n")
                with fakes.lock:
                    fakes.requests[name] += 1
                note = body.decode().split("\n\n", 1)[1]
                text, _ = split_note(note)
                key = fakes.keys[name]
                wname = fakes.cosigner(name).name
                if name == "liar":
                    lines = text.split("\n")
                    lines[2] = base64.b64encode(b"\x07" * 32).decode()
                    line = cosignature_line(wname, key, "\n".join(lines), 1700000000)
                    return self.reply(200, (line + "\n").encode())
                if name == "badsig":
                    line = cosignature_line(wname, key, text, 1700000000)
                    head, b64 = line.rsplit(" ", 1)
                    raw = bytearray(base64.b64decode(b64))
                    raw[-1] ^= 1
                    return self.reply(200, ("%s %s\n" % (head, base64.b64encode(raw).decode()))
                                      .encode())
                if name == "garbage":
                    return self.reply(200, b"<html>hello</html>\n")
                with fakes.lock:
                    fakes.slow_in_flight += 1
                fakes.released.wait(60)  # bounded: released at the end of the test
                with fakes.lock:
                    fakes.slow_in_flight -= 1
                return self.reply(503, b"too late\n")

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def cosigner(self, name):
        return Cosigner("fake.example/" + name, bytes(self.keys[name].verify_key))

    def flag(self, name):
        return "%s=http://127.0.0.1:%d/%s" % (self.cosigner(name).vkey(), self.port, name)

    def release(self):
        self.released.set()

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()
