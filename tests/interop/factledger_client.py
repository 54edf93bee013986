"""Independent Python client/verifier for the fact ledger, written from docs/format.md,
docs/api.md (errors, following the leader) and proto/ only.

Section references (§N) are to docs/format.md.
"""

import base64
import binascii
import hashlib
import os
import re
import time
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.signing

from google.protobuf import message as _pb_message

from ledger.v1 import claim_pb2

# ---------------------------------------------------------------------------------------------
# §1 Keys and key ids

PRIVATE_KEY_TAG = "factledger-ed25519-private-key"
PUBLIC_KEY_TAG = "factledger-ed25519-public-key"
ALG_ED25519 = b"\x01"
ROLE_SUBMITTER = claim_pb2.KeyRegistered.SUBMITTER
ROLE_ADMIN = claim_pb2.KeyRegistered.ADMIN

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sha256(data):
    return hashlib.sha256(data).digest()


def key_id(public_key):
    """key_id = SHA-256("factledger/v1/key-id" || 0x00 || 0x01 || public_key)."""
    if len(public_key) != 32:
        raise ValueError("public key must be 32 bytes")
    return sha256(b"factledger/v1/key-id" + b"\x00" + ALG_ED25519 + public_key)


class SigningKey:
    """An Ed25519 key pair built from its 32-byte RFC 8032 seed."""

    def __init__(self, seed):
        if len(seed) != 32:
            raise ValueError("seed must be 32 bytes")
        self.seed = bytes(seed)
        self._sk = nacl.signing.SigningKey(self.seed)
        self.public_key = bytes(self._sk.verify_key)
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls):
        return cls(os.urandom(32))

    def sign(self, msg):
        return self._sk.sign(msg).signature


def _read_key_line(path, tag):
    with open(path, "r", encoding="ascii") as f:
        text = f.read()
    # "one line of text": we write a trailing "\n"; like ledgerd, accept none, "\n" or
    # "\r\n", and either hex case.
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if "\n" in text or "\r" in text:
        raise ValueError("%s: key file must be one line" % path)
    parts = text.split(" ")
    if len(parts) != 2 or parts[0] != tag:
        raise ValueError("%s: expected '%s <64 hex digits>'" % (path, tag))
    if not _HEX64.match(parts[1].lower()):
        raise ValueError("%s: key must be 64 hex digits" % path)
    return bytes.fromhex(parts[1])


def read_private_key(path):
    return SigningKey(_read_key_line(path, PRIVATE_KEY_TAG))


def read_public_key(path):
    return _read_key_line(path, PUBLIC_KEY_TAG)


def write_private_key(path, key):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write("%s %s\n" % (PRIVATE_KEY_TAG, key.seed.hex()))
    os.chmod(path, 0o600)


def write_public_key(path, public_key):
    with open(path, "w", encoding="ascii") as f:
        f.write("%s %s\n" % (PUBLIC_KEY_TAG, bytes(public_key).hex()))


def ed25519_verify(public_key, msg, signature):
    """Strict libsodium verification (§3); a signature whose length is not 64 is invalid."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        # crypto_sign_open is libsodium's crypto_sign_ed25519_verify_detached on sig || msg.
        nacl.bindings.crypto_sign_open(bytes(signature) + bytes(msg), bytes(public_key))
        return True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# §2, §3 Events and the event signature

_EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
EVENT_SIG_PREFIX = b"factledger/v1/event\x00"


def valid_event_id(event_id):
    if isinstance(event_id, bytes):
        try:
            event_id = event_id.decode("ascii")
        except UnicodeDecodeError:
            return False
    return bool(_EVENT_ID_RE.match(event_id))


def _u16(n):
    if not 0 <= n < 1 << 16:
        raise ValueError("length does not fit u16")
    return n.to_bytes(2, "big")


def _as_bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def signing_input(origin, event_id, event_bytes):
    origin = _as_bytes(origin)
    event_id = _as_bytes(event_id)
    return (EVENT_SIG_PREFIX + _u16(len(origin)) + origin + _u16(len(event_id)) + event_id
            + sha256(event_bytes))


def serialize_event(event):
    """Serialise an Event once; these bytes are signed, sent and stored."""
    return event.SerializeToString(deterministic=True)


def sign_event(key, origin, event_id, event_bytes):
    """Returns a ledger.v1.SignedEvent (envelope version 1) over the given event bytes."""
    sig = key.sign(signing_input(origin, event_id, event_bytes))
    return claim_pb2.SignedEvent(version=1, event_id=event_id, event=event_bytes,
                                 key_id=key.key_id, signature=sig)


def make_signed_event(key, origin, event_id, event):
    return sign_event(key, origin, event_id, serialize_event(event))


def claim_asserted(claimant_name, text, url):
    """A ledger.v1.Event asserting `text`, said by the person `claimant_name` (in English),
    with `url` as its source: the plain claim the tests and the nemesis append."""
    ev = claim_pb2.Event()
    c = ev.claim_asserted.claim
    c.claimant.name = claimant_name
    c.claimant.kind = claim_pb2.Claimant.PERSON
    c.statement.text = text
    c.statement.language = "en"
    c.source.url = url
    return ev


def parse_event_strict(event_bytes):
    """Parse an Event as the server would (§2): refuse parse errors, invalid UTF-8 and unknown
    fields, and require exactly one body. Returns (Event, None) or (None, problem)."""
    ev = claim_pb2.Event()
    try:
        ev.ParseFromString(bytes(event_bytes))
    except (_pb_message.DecodeError, UnicodeDecodeError, ValueError) as e:
        return None, "event does not parse: %s" % e
    # Unknown fields anywhere: a copy with unknown fields discarded must be the same size.
    stripped = claim_pb2.Event()
    stripped.CopyFrom(ev)
    stripped.DiscardUnknownFields()
    if stripped.ByteSize() != ev.ByteSize():
        return None, "event carries unknown fields"
    if ev.WhichOneof("body") is None:
        return None, "event has no body"
    # Exactly one body: protobuf parsing keeps the last of several oneof fields (and merges a
    # repeated one), so count the top-level fields on the wire.
    try:
        n_fields = len(_top_level_fields(bytes(event_bytes)))
    except ValueError as e:
        return None, "event does not parse: %s" % e
    if n_fields != 1:
        return None, "event has %d top-level fields, not exactly one body" % n_fields
    return ev, None


def _read_varint(b, pos):
    shift = result = 0
    while True:
        if pos >= len(b) or shift > 63:
            raise ValueError("bad varint")
        c = b[pos]
        pos += 1
        result |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return result, pos


def _top_level_fields(b):
    """Field numbers of the top-level fields of a serialised message, in wire order."""
    pos, out = 0, []
    while pos < len(b):
        tag, pos = _read_varint(b, pos)
        field, wt = tag >> 3, tag & 7
        if wt == 0:
            _, pos = _read_varint(b, pos)
        elif wt == 1:
            pos += 8
        elif wt == 2:
            n, pos = _read_varint(b, pos)
            pos += n
        elif wt == 5:
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        if pos > len(b):
            raise ValueError("truncated field")
        out.append(field)
    return out


# ---------------------------------------------------------------------------------------------
# §4 Entries, leaves and the Merkle tree


@dataclass
class Leaf:
    version: int
    envelope_kind: int
    recorded_time_micros: int
    event_id: bytes
    key_id: bytes
    signature: bytes
    event: bytes


class LeafError(ValueError):
    pass


def decode_leaf(data):
    data = bytes(data)
    if len(data) < 2:
        raise LeafError("leaf data too short")
    if data[0] != 0x01:
        raise LeafError("unknown entry format version %d" % data[0])
    if data[1] != 0x01:
        raise LeafError("unknown envelope kind %d" % data[1])
    pos = 2

    def take(n):
        nonlocal pos
        if pos + n > len(data):
            raise LeafError("leaf data truncated")
        out = data[pos:pos + n]
        pos += n
        return out

    t = int.from_bytes(take(8), "big")
    eid = take(int.from_bytes(take(2), "big"))
    kid = take(32)
    sig = take(64)
    ev = take(int.from_bytes(take(4), "big"))
    if pos != len(data):
        raise LeafError("%d trailing bytes in leaf data" % (len(data) - pos))
    return Leaf(1, 1, t, eid, kid, sig, ev)


def encode_leaf(recorded_time_micros, event_id, key_id_, signature, event):
    event_id = _as_bytes(event_id)
    return (b"\x01\x01" + recorded_time_micros.to_bytes(8, "big") + _u16(len(event_id))
            + event_id + bytes(key_id_) + bytes(signature) + len(event).to_bytes(4, "big")
            + bytes(event))


def leaf_hash(leaf_data):
    return sha256(b"\x00" + bytes(leaf_data))


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


EMPTY_ROOT = sha256(b"")


def _largest_pow2_below(n):
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def mth(leaf_hashes):
    """RFC 6962 Merkle tree hash over a list of leaf hashes."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _largest_pow2_below(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def tree_hash(leaves_data):
    return mth([leaf_hash(d) for d in leaves_data])


class CompactTree:
    """Incremental RFC 6962 roots for every prefix size (roots()[n] = MTH(D[0:n]))."""

    def __init__(self):
        self.stack = []  # (level, hash), perfect subtrees left to right
        self.size = 0
        self._roots = [EMPTY_ROOT]

    def append(self, lh):
        self.stack.append((0, lh))
        self.size += 1
        while len(self.stack) >= 2 and self.stack[-1][0] == self.stack[-2][0]:
            (lv, r), (_, l) = self.stack.pop(), self.stack.pop()
            self.stack.append((lv + 1, node_hash(l, r)))
        root = self.stack[-1][1]
        for _, h in reversed(self.stack[:-1]):
            root = node_hash(h, root)
        self._roots.append(root)

    def root(self, size=None):
        return self._roots[self.size if size is None else size]


def verify_inclusion(leaf_index, tree_size, leaf_hash_, proof, root):
    """RFC 9162 §2.1.3.2."""
    if leaf_index >= tree_size or len(leaf_hash_) != 32 or len(root) != 32:
        return False
    fn, sn, r = leaf_index, tree_size - 1, bytes(leaf_hash_)
    for p in proof:
        p = bytes(p)
        if len(p) != 32 or sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == bytes(root)


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 §2.1.4.2, plus the trivial cases it leaves out: first == second (empty proof,
    equal roots) and first == 0 (empty proof)."""
    proof = [bytes(p) for p in proof]
    first_hash, second_hash = bytes(first_hash), bytes(second_hash)
    if first > second or any(len(p) != 32 for p in proof):
        return False
    if first == second:
        return len(proof) == 0 and first_hash == second_hash
    if first == 0:
        return len(proof) == 0
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


# ---------------------------------------------------------------------------------------------
# §5 Checkpoints: C2SP signed notes

EM_DASH_PREFIX = "\u2014 "


class NoteError(ValueError):
    pass


def note_key_hash(name, public_key):
    return sha256(_as_bytes(name) + b"\n" + ALG_ED25519 + bytes(public_key))[:4]


def _valid_key_name(name):
    return (1 <= len(name.encode("utf-8")) <= 255 and all(0x21 <= ord(c) <= 0x7e for c in name)
            and "+" not in name)


@dataclass
class NoteVerifier:
    name: str
    key_hash: bytes
    public_key: bytes

    def to_string(self):
        return "%s+%s+%s" % (self.name, self.key_hash.hex(),
                             base64.b64encode(ALG_ED25519 + self.public_key).decode())


def make_verifier(origin, log_public_key):
    return NoteVerifier(origin, note_key_hash(origin, log_public_key), bytes(log_public_key))


def parse_verifier_key(vkey):
    """Parse '<name>+<8 hex key hash>+<base64(0x01 || public key)>' and check its key hash."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must have three '+'-separated parts")
    name, hh, b64 = parts
    if not _valid_key_name(name):
        raise NoteError("bad key name")
    if not re.match(r"^[0-9a-f]{8}$", hh):
        raise NoteError("key hash must be 8 lowercase hex digits")
    try:
        raw = base64.b64decode(b64, validate=True)
    except binascii.Error as e:
        raise NoteError("bad base64 key: %s" % e)
    if len(raw) != 33 or raw[0:1] != ALG_ED25519:
        raise NoteError("key must be 0x01 || 32-byte Ed25519 public key")
    v = NoteVerifier(name, bytes.fromhex(hh), raw[1:])
    if note_key_hash(name, v.public_key) != v.key_hash:
        raise NoteError("key hash does not match name and key")
    return v


@dataclass
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    extensions: list
    note_text: bytes


def open_note(note, verifier):
    """Split a signed note and verify it with one known key. Returns the note text (bytes).
    Signatures by unknown keys are ignored; at least one by `verifier` must verify."""
    if isinstance(note, str):
        note = note.encode("utf-8")
    try:
        note.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("note is not UTF-8")
    if any(b < 0x20 and b != 0x0a for b in note):
        raise NoteError("control character in note")
    split = note.rfind(b"\n\n")
    if split < 0:
        raise NoteError("no blank line between text and signatures")
    text, sigs = note[:split + 1], note[split + 2:]
    if not sigs.endswith(b"\n"):
        raise NoteError("signature block must end with a newline")
    verified = False
    for line in sigs[:-1].split(b"\n"):
        line = line.decode("utf-8")
        if not line.startswith(EM_DASH_PREFIX):
            raise NoteError("signature line does not start with an em dash and a space")
        fields = line[len(EM_DASH_PREFIX):].split(" ")
        if len(fields) != 2:
            raise NoteError("malformed signature line")
        name, b64 = fields
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise NoteError("signature is not base64")
        if len(raw) < 5:
            raise NoteError("signature too short")
        if name != verifier.name or raw[:4] != verifier.key_hash:
            continue  # unknown signer: ignore
        if len(raw) != 4 + 64 or not ed25519_verify(verifier.public_key, text, raw[4:]):
            raise NoteError("invalid signature by %s" % name)
        verified = True
    if not verified:
        raise NoteError("no signature by the known key %s+%s" % (verifier.name,
                                                                 verifier.key_hash.hex()))
    return text


def parse_checkpoint_text(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if not text.endswith("\n"):
        raise NoteError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint text needs origin, size and root lines")
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    if not re.match(r"^(0|[1-9][0-9]*)$", size_s):
        raise NoteError("bad tree size %r" % size_s)
    size = int(size_s)
    if size >= 1 << 64:
        raise NoteError("tree size too large")
    if len(root_s) != 44:
        raise NoteError("root hash must be 44 base64 characters")
    try:
        root = base64.b64decode(root_s, validate=True)
    except binascii.Error:
        raise NoteError("root hash is not base64")
    if len(root) != 32 or base64.b64encode(root).decode() != root_s:
        raise NoteError("root hash must be 32 bytes in canonical base64")
    ext = lines[3:]
    if any(l == "" for l in ext):
        raise NoteError("empty extension line")
    return Checkpoint(origin, size, root, ext, text.encode("utf-8"))


def verify_checkpoint(note, verifier):
    """Verify a checkpoint note against a NoteVerifier (or verifier key string). The origin line
    must equal the key name. Returns a Checkpoint; raises NoteError."""
    if isinstance(verifier, str):
        verifier = parse_verifier_key(verifier)
    text = open_note(note, verifier)
    cp = parse_checkpoint_text(text)
    if cp.origin != verifier.name:
        raise NoteError("checkpoint origin %r is not the key name %r" % (cp.origin,
                                                                        verifier.name))
    return cp


def sign_checkpoint(origin, tree_size, root, log_key):
    """Build a signed checkpoint (used to check §10's worked example)."""
    text = "%s\n%d\n%s\n" % (origin, tree_size, base64.b64encode(root).decode())
    sig = log_key.sign(text.encode())
    kh = note_key_hash(origin, log_key.public_key)
    return text + "\n" + EM_DASH_PREFIX + origin + " " + base64.b64encode(kh + sig).decode() + "\n"


# ---------------------------------------------------------------------------------------------
# §8 How to verify a log


def _entry_leaf_data(e):
    return bytes(e) if isinstance(e, (bytes, bytearray)) else bytes(e.leaf_data)


def _check_entry_fields(n, e, leaf, ld):
    """For ledger.v1.Entry messages, the served fields must agree with the leaf data."""
    if isinstance(e, (bytes, bytearray)):
        return None
    if e.sequence != n:
        return "entry sequence %d at position %d" % (e.sequence, n)
    if e.leaf_hash and bytes(e.leaf_hash) != leaf_hash(ld):
        return "served leaf_hash does not match leaf data"
    if e.recorded_time_micros != leaf.recorded_time_micros:
        return "served recorded_time_micros does not match leaf data"
    if e.HasField("signed_event"):
        se = e.signed_event
        if (se.version != 1 or se.event_id.encode("utf-8") != leaf.event_id
                or bytes(se.key_id) != leaf.key_id or bytes(se.signature) != leaf.signature
                or bytes(se.event) != leaf.event):
            return "served signed_event does not match leaf data"
    return None


def _claim_rule(body, ev, leaf, signer, claims):
    """§7 claim lifecycle; updates `claims`. Returns a problem or None."""
    if body == "claim_asserted":
        claims[leaf.event_id.decode("ascii")] = [leaf.key_id, False]
    elif body in ("claim_corrected", "claim_retracted"):
        cid = (ev.claim_corrected.corrects_claim_id if body == "claim_corrected"
               else ev.claim_retracted.claim_id)
        rec = claims.get(cid)
        if rec is None:
            return "%s of %r, which is not an earlier claim_asserted" % (body, cid)
        if rec[1]:
            return "%s of retracted claim %r" % (body, cid)
        if leaf.key_id != rec[0] and signer[1] != ROLE_ADMIN:
            return "%s of %r by neither its asserting key nor an admin" % (body, cid)
        if body == "claim_retracted":
            rec[1] = True
    elif body == "claim_reviewed":
        if ev.claim_reviewed.claim_id not in claims:
            return "review of unknown claim %r" % ev.claim_reviewed.claim_id
    return None


def verify_log(entries, checkpoints, origin, log_pubkey, admin_pubkeys):
    """Verify a log per §8.

    entries: leaf data (bytes) or ledger.v1.Entry messages, sequence 0, 1, ...
    checkpoints: signed notes (str/bytes).
    log_pubkey: the raw 32-byte log public key (or a verifier key string).
    admin_pubkeys: raw 32-byte genesis admin public keys.
    Returns (ok, first_bad_sequence, problem); first_bad_sequence is None when the problem is
    not in one entry (a bad checkpoint), and problem is "" when ok.
    """
    if isinstance(log_pubkey, str):
        verifier = parse_verifier_key(log_pubkey)
        if verifier.name != origin:
            return False, None, "verifier key name is not the origin"
    else:
        verifier = make_verifier(origin, log_pubkey)

    keys = {}  # key_id -> [public_key, role, active]
    for pk in admin_pubkeys:
        keys[key_id(bytes(pk))] = [bytes(pk), ROLE_ADMIN, True]
    claims = {}  # claim id -> [key_id of the asserting signer, retracted]
    seen_ids = set()
    last_time = None
    tree = CompactTree()

    for n, e in enumerate(entries):
        ld = _entry_leaf_data(e)
        # 1. Decode the leaf data.
        try:
            leaf = decode_leaf(ld)
        except LeafError as err:
            return False, n, str(err)
        problem = _check_entry_fields(n, e, leaf, ld)
        if problem:
            return False, n, problem
        # 2. Parse the event; the event id is new.
        if not valid_event_id(leaf.event_id):
            return False, n, "invalid event id %r" % leaf.event_id
        if leaf.event_id in seen_ids:
            return False, n, "duplicate event id %r" % leaf.event_id
        seen_ids.add(leaf.event_id)
        ev, problem = parse_event_strict(leaf.event)
        if ev is None:
            return False, n, problem
        # 3. The signer key is active and allowed to sign this event.
        signer = keys.get(leaf.key_id)
        if signer is None:
            return False, n, "signer key %s is not registered" % leaf.key_id.hex()
        if not signer[2]:
            return False, n, "signer key %s is revoked" % leaf.key_id.hex()
        body = ev.WhichOneof("body")
        if body in ("key_registered", "key_revoked") and signer[1] != ROLE_ADMIN:
            return False, n, "%s signed by a non-admin key" % body
        # 4. The signature over the signing input.
        if not ed25519_verify(signer[0], signing_input(origin, leaf.event_id, leaf.event),
                              leaf.signature):
            return False, n, "bad signature"
        # 5. Recorded times do not decrease.
        if last_time is not None and leaf.recorded_time_micros < last_time:
            return False, n, "recorded time decreases"
        last_time = leaf.recorded_time_micros
        # 3 (cont.). Claim lifecycle rules (§7), then apply claim and key events.
        problem = _claim_rule(body, ev, leaf, signer, claims)
        if problem:
            return False, n, problem
        if body == "key_registered":
            kr = ev.key_registered
            if len(kr.public_key) != 32:
                return False, n, "registered public key is not 32 bytes"
            if kr.role not in (ROLE_SUBMITTER, ROLE_ADMIN):
                return False, n, "registered key has no valid role"
            kid = key_id(bytes(kr.public_key))
            if kid in keys:
                return False, n, "key %s registered twice" % kid.hex()
            keys[kid] = [bytes(kr.public_key), kr.role, True]
        elif body == "key_revoked":
            kid = bytes(ev.key_revoked.key_id)
            rec = keys.get(kid)
            if rec is None or not rec[2]:
                return False, n, "revoked key is not active"
            if rec[1] == ROLE_ADMIN and sum(1 for r in keys.values()
                                            if r[1] == ROLE_ADMIN and r[2]) <= 1:
                return False, n, "last active admin key revoked"
            # §7: a compromise window cannot start after the revocation itself.
            if (ev.key_revoked.HasField("compromise") and
                    ev.key_revoked.compromise.since_sequence > n):
                return False, n, "compromise window starts after its revocation"
            rec[2] = False
        # 6. Add the leaf to the tree.
        tree.append(leaf_hash(ld))

    for note in checkpoints:
        try:
            cp = verify_checkpoint(note, verifier)
        except NoteError as err:
            return False, None, "checkpoint: %s" % err
        if cp.tree_size > tree.size:
            return False, None, "checkpoint of size %d beyond the %d entries" % (cp.tree_size,
                                                                               tree.size)
        if cp.root_hash != tree.root(cp.tree_size):
            return False, None, "checkpoint root at size %d does not match the entries" % (
                cp.tree_size)
    return True, None, ""


# ---------------------------------------------------------------------------------------------
# Several endpoints: following the leader (docs/api.md "Several endpoints: following the
# leader"). A follower refuses an append with FAILED_PRECONDITION, ErrorInfo reason NOT_LEADER
# and metadata["leader"] = the leader's host:port, in the google.rpc.Status carried by the
# `grpc-status-details-bin` trailer; a cluster leader deposed mid-append answers UNAVAILABLE,
# reason NOT_LEADER (or QUORUM_TIMEOUT). The same event id and bytes are resent everywhere:
# a node that already holds them answers duplicate=true with the original sequence.

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo"
REASON_NOT_LEADER = "NOT_LEADER"

try:  # google/rpc/*.proto compiled by the BUILD's genrule, when they are on the path
    from google.rpc import error_details_pb2 as _error_details_pb2
    from google.rpc import status_pb2 as _status_pb2
except ImportError:
    _error_details_pb2 = _status_pb2 = None

HAVE_GENERATED_RPC_STATUS = _status_pb2 is not None


@dataclass
class ErrorInfo:
    """A google.rpc.ErrorInfo: reason, domain and metadata (a dict of str)."""
    reason: str
    domain: str
    metadata: dict


def _wire_fields(b):
    """(field number, wire type, value) of the top-level fields of a serialised message; a
    length-delimited value is bytes, a varint an int. ValueError when it does not parse."""
    pos, out = 0, []
    while pos < len(b):
        tag, pos = _read_varint(b, pos)
        field, wt = tag >> 3, tag & 7
        if field == 0:
            raise ValueError("field number 0")
        if wt == 0:
            v, pos = _read_varint(b, pos)
        elif wt == 2:
            n, pos = _read_varint(b, pos)
            if pos + n > len(b):
                raise ValueError("truncated length-delimited field %d" % field)
            v, pos = b[pos:pos + n], pos + n
        elif wt == 1 or wt == 5:
            n = 8 if wt == 1 else 4
            if pos + n > len(b):
                raise ValueError("truncated fixed-width field %d" % field)
            v, pos = b[pos:pos + n], pos + n
        else:
            raise ValueError("unsupported wire type %d in field %d" % (wt, field))
        out.append((field, wt, v))
    return out


def _wire_string(field, wt, v):
    if wt != 2:
        raise ValueError("field %d must be length-delimited" % field)
    return bytes(v).decode("utf-8")


def _error_infos_wire(details):
    """The minimal parse: google.rpc.Status {3: repeated Any {1: type_url, 2: value}} and
    ErrorInfo {1: reason, 2: domain, 3: map<string, string> {1: key, 2: value}}."""
    infos = []
    for field, wt, any_bytes in _wire_fields(details):
        if field != 3:
            continue  # 1 code, 2 message
        if wt != 2:
            raise ValueError("google.rpc.Status.details must be length-delimited")
        type_url, value = "", b""
        for f, w, v in _wire_fields(any_bytes):
            if f == 1:
                type_url = _wire_string(f, w, v)
            elif f == 2:
                value = bytes(v) if w == 2 else b""
        if type_url != ERROR_INFO_TYPE_URL:
            continue
        info = ErrorInfo("", "", {})
        for f, w, v in _wire_fields(value):
            if f == 1:
                info.reason = _wire_string(f, w, v)
            elif f == 2:
                info.domain = _wire_string(f, w, v)
            elif f == 3:
                if w != 2:
                    raise ValueError("ErrorInfo.metadata entry must be length-delimited")
                key = val = ""
                for ef, ew, ev in _wire_fields(v):
                    if ef == 1:
                        key = _wire_string(ef, ew, ev)
                    elif ef == 2:
                        val = _wire_string(ef, ew, ev)
                info.metadata[key] = val  # a later entry for a key wins, as in protobuf
        infos.append(info)
    return infos


def error_infos(details, use_generated=None):
    """Every google.rpc.ErrorInfo in a serialised google.rpc.Status (the bytes of the
    grpc-status-details-bin trailer), in order. Decodes with the generated google.rpc modules
    when they are importable (use_generated=None) or asked for (True), else with a minimal wire
    parse (False). Raises ValueError when the bytes are not a Status."""
    details = bytes(details)
    if use_generated is None:
        use_generated = HAVE_GENERATED_RPC_STATUS
    if not use_generated:
        return _error_infos_wire(details)
    if not HAVE_GENERATED_RPC_STATUS:
        raise ValueError("google.rpc.status_pb2 is not importable")
    st = _status_pb2.Status()
    try:
        st.ParseFromString(details)
    except (_pb_message.DecodeError, UnicodeDecodeError, ValueError) as e:
        raise ValueError("grpc-status-details-bin is not a google.rpc.Status: %s" % e)
    infos = []
    for any_ in st.details:
        if any_.type_url != ERROR_INFO_TYPE_URL:
            continue
        ei = _error_details_pb2.ErrorInfo()
        if not any_.Unpack(ei):
            raise ValueError("details hold an ErrorInfo that does not parse")
        infos.append(ErrorInfo(ei.reason, ei.domain, dict(ei.metadata)))
    return infos


def leader_hint(details, use_generated=None):
    """The leader's host:port a NOT_LEADER refusal names (the first ErrorInfo
    metadata["leader"] in a serialised google.rpc.Status), or None: no hint, or bytes that are
    not a Status (a hint is advice; a client without one tries its next endpoint)."""
    try:
        for info in error_infos(details, use_generated):
            if info.metadata.get("leader"):
                return info.metadata["leader"]
    except ValueError:
        return None
    return None


def rpc_error_info(err):
    """The first ErrorInfo of a grpc.RpcError's grpc-status-details-bin trailer, or None."""
    for k, v in (err.trailing_metadata() or ()):
        if k == STATUS_DETAILS_KEY:
            try:
                infos = error_infos(v)
            except ValueError:
                return None
            return infos[0] if infos else None
    return None


# Bounds of LeaderFollowingAppender.append, unless the caller gives its own.
DEFAULT_APPEND_ATTEMPTS = 12        # RPCs per append, over every endpoint and hint
DEFAULT_APPEND_DEADLINE_S = 30.0    # wall time per append
DEFAULT_RPC_TIMEOUT_S = 10.0        # deadline of one RPC (capped by what is left)
RETRY_PAUSE_S = 0.1                 # after a whole round of the endpoints failed, x round (<= 5)


class LeaderNotReached(Exception):
    """An append no endpoint acknowledged within the attempts and the deadline. `attempts` is
    [(endpoint, outcome)] in order, `last_error` the last grpc.RpcError."""

    def __init__(self, event_id, endpoints, attempts, seconds, last_error):
        self.event_id = event_id
        self.endpoints = list(endpoints)
        self.attempts = list(attempts)
        self.last_error = last_error
        last = (attempts[-1][1] if attempts else "no attempt")
        super().__init__(
            "append of event id %r not acknowledged after %d attempt(s) in %.1f s; endpoints "
            "%s; tried: %s; final error: %s" % (
                event_id, len(attempts), seconds, ",".join(self.endpoints),
                "; ".join("%s -> %s" % a for a in attempts), last))


def _default_stub_factory(endpoint):
    import grpc
    from ledger.v1 import ledger_service_pb2_grpc
    return ledger_service_pb2_grpc.LedgerServiceStub(grpc.insecure_channel(endpoint))


def _describe_rpc_error(err, info):
    text = "%s" % err.code().name
    if info is not None and info.reason:
        text += " %s" % info.reason
    detail = err.details()
    if detail:
        text += ": %s" % detail
    return text


class LeaderFollowingAppender:
    """Appends SignedEvents to whichever of several endpoints (host:port) is the leader.

    Each append starts at the endpoint that acknowledged the previous one (else the first) and
    resends the SAME SignedEvent on every attempt, so a retry of an append that did land answers
    duplicate=true with the original sequence. After a refusal:
      - reason NOT_LEADER with metadata["leader"] naming another endpoint: go there (the hint
        may name an address outside the list: a cluster's advertised one);
      - NOT_LEADER without a usable hint, UNAVAILABLE or DEADLINE_EXCEEDED (dead, paused,
        partitioned, draining, quorum not reached): the next endpoint of the list;
      - anything else (a bad signature, an unknown key, an id conflict...) is the answer: the
        grpc.RpcError is raised at once.
    It gives up after `max_attempts` RPCs or `deadline_s` seconds, raising LeaderNotReached
    naming every endpoint tried and the last error. stub_factory(endpoint) returns a
    LedgerServiceStub (default: an insecure channel); stubs are kept per endpoint. Not
    thread-safe (it remembers the leader and the last append's attempts): one per thread."""

    def __init__(self, endpoints, stub_factory=None, max_attempts=DEFAULT_APPEND_ATTEMPTS,
                 deadline_s=DEFAULT_APPEND_DEADLINE_S, rpc_timeout_s=DEFAULT_RPC_TIMEOUT_S):
        if isinstance(endpoints, str):
            endpoints = [e for e in endpoints.split(",") if e]
        endpoints = [e.strip() for e in endpoints]
        if not endpoints or any(not e for e in endpoints):
            raise ValueError("endpoints: need at least one host:port, got %r" % (endpoints,))
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1, got %r" % max_attempts)
        self.endpoints = endpoints
        self.stub_factory = stub_factory or _default_stub_factory
        self.max_attempts = max_attempts
        self.deadline_s = deadline_s
        self.rpc_timeout_s = rpc_timeout_s
        self.leader = None      # the endpoint that acknowledged the last append
        self.attempts = []      # [(endpoint, outcome)] of the last append
        self._stubs = {}

    def stub(self, endpoint):
        if endpoint not in self._stubs:
            self._stubs[endpoint] = self.stub_factory(endpoint)
        return self._stubs[endpoint]

    def _next_in_list(self, endpoint):
        if endpoint in self.endpoints:
            return self.endpoints[(self.endpoints.index(endpoint) + 1) % len(self.endpoints)]
        return self.endpoints[0]

    def append(self, signed_event):
        """Appends one SignedEvent; returns the AppendResponse (self.leader is who gave it)."""
        import grpc
        from ledger.v1 import ledger_service_pb2

        req = ledger_service_pb2.AppendRequest(event=signed_event)
        start = time.monotonic()
        give_up = start + self.deadline_s
        target = self.leader or self.endpoints[0]
        self.attempts = []
        last_error = None
        misses = 0  # moves to the next endpoint since the last pause
        while len(self.attempts) < self.max_attempts:
            left = give_up - time.monotonic()
            if left <= 0:
                break
            try:
                resp = self.stub(target).Append(req, timeout=min(self.rpc_timeout_s, left))
            except grpc.RpcError as err:
                info = rpc_error_info(err)
                code = err.code()
                not_leader = info is not None and info.reason == REASON_NOT_LEADER
                unreachable = code in (grpc.StatusCode.UNAVAILABLE,
                                       grpc.StatusCode.DEADLINE_EXCEEDED)
                outcome = _describe_rpc_error(err, info)
                hint = info.metadata.get("leader") if (not_leader and info) else None
                if hint:
                    outcome += " (leader hint %s)" % hint
                self.attempts.append((target, outcome))
                last_error = err
                if not (not_leader or unreachable):
                    raise
                if hint and hint != target:
                    target = hint
                else:
                    target = self._next_in_list(target)
                    misses += 1
                    if misses >= len(self.endpoints):
                        # A whole round failed: give an election (or a restart) a moment.
                        misses = 0
                        pause = RETRY_PAUSE_S * min(len(self.attempts), 5)
                        time.sleep(max(0.0, min(pause, give_up - time.monotonic())))
                continue
            self.attempts.append((target, "acknowledged sequence %d%s" % (
                resp.sequence, " (duplicate)" if resp.duplicate else "")))
            self.leader = target
            return resp
        raise LeaderNotReached(signed_event.event_id, self.endpoints, self.attempts,
                               time.monotonic() - start, last_error)
