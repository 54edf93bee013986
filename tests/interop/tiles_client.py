"""A tlog-tiles client written from the C2SP specifications alone (c2sp.org/tlog-tiles,
c2sp.org/tlog-checkpoint, c2sp.org/signed-note, RFC 6962 / RFC 9162 §2.1): it knows nothing of
factledger beyond its verifier key. Python 3 standard library plus PyNaCl (Ed25519).

A log is read through a `fetch(path) -> (status, headers, body)` function, so the same client
reads a live HTTP server (http_fetcher) and a directory of static files (directory_fetcher).

    log = TiledLog(http_fetcher("http://127.0.0.1:8080"))
    cp = log.checkpoint(verifier_key)            # verified signed note
    root = log.root(cp.tree_size)                # from the tiles
    proof = log.inclusion_proof(5, cp.tree_size)  # from the tiles
    verify_inclusion(leaf_hash, 5, cp.tree_size, proof, cp.root_hash)
"""

import base64
import gzip
import hashlib
import os
import urllib.error
import urllib.request

import nacl.exceptions
import nacl.signing

TILE_HEIGHT = 8
TILE_WIDTH = 256
HASH_SIZE = 32


class VerificationError(Exception):
    pass


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


# ---- signed notes and checkpoints ------------------------------------------------------------


class Verifier:
    """A signed-note verifier key: "<name>+<hex key hash>+<base64(0x01 || Ed25519 key)>"."""

    def __init__(self, text):
        parts = text.strip().split("+", 2)  # the base64 key may hold "+"
        if len(parts) != 3:
            raise VerificationError("verifier key: want name+hash+key")
        self.name, hash_hex, key_b64 = parts
        key = base64.b64decode(key_b64, validate=True)
        if len(key) != 33 or key[0] != 0x01:
            raise VerificationError("verifier key: want an Ed25519 key (type 0x01, 32 bytes)")
        self.public_key = key[1:]
        self.key_hash = sha256(self.name.encode() + b"\n" + key)[:4]
        if self.key_hash.hex() != hash_hex:
            raise VerificationError("verifier key: key hash does not match")


class Checkpoint:
    def __init__(self, origin, tree_size, root_hash, extensions, text):
        self.origin, self.tree_size, self.root_hash = origin, tree_size, root_hash
        self.extensions, self.text = extensions, text


def verify_note(note, verifier):
    """Returns the note's text (body) once one signature by `verifier` verifies."""
    if not note.endswith("\n") or "\n\n" not in note:
        raise VerificationError("note: no blank line before the signatures")
    split = note.rindex("\n\n")
    text, sigs = note[:split + 1], note[split + 2:]
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise VerificationError("note: malformed signature line %r" % line)
        name, _, sig_b64 = line[2:].rpartition(" ")
        if name != verifier.name:
            continue
        try:
            sig = base64.b64decode(sig_b64, validate=True)
        except ValueError:
            raise VerificationError("note: signature is not base64")
        if len(sig) != 4 + 64 or sig[:4] != verifier.key_hash:
            continue
        try:
            nacl.signing.VerifyKey(verifier.public_key).verify(text.encode(), sig[4:])
            return text
        except nacl.exceptions.BadSignatureError:
            raise VerificationError("note: the log's signature does not verify")
    raise VerificationError("note: no signature by %s" % verifier.name)


def parse_checkpoint(text):
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise VerificationError("checkpoint: want origin, size and root lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise VerificationError("checkpoint: tree size %r" % size)
    root_hash = base64.b64decode(root, validate=True)
    if len(root_hash) != HASH_SIZE:
        raise VerificationError("checkpoint: root hash is not 32 bytes")
    return Checkpoint(origin, int(size), root_hash, lines[3:-1], text)


# ---- paths -------------------------------------------------------------------------------------


def encode_index(n):
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(("x%03d" if i + 1 < len(groups) else "%03d") % g for i, g in enumerate(groups))


def tile_path(level, index, width):
    p = "tile/%d/%s" % (level, encode_index(index))
    return p + (".p/%d" % width if width < TILE_WIDTH else "")


def bundle_path(index, width):
    p = "tile/entries/%s" % encode_index(index)
    return p + (".p/%d" % width if width < TILE_WIDTH else "")


# ---- fetchers ----------------------------------------------------------------------------------


def http_fetcher(base_url, method="GET", accept_encoding="gzip, identity"):
    """Fetches over HTTP. As tlog-tiles asks, offers gzip and identity; a gzip body is
    decompressed (the headers still say Content-Encoding: gzip)."""
    def fetch(path):
        req = urllib.request.Request(base_url.rstrip("/") + "/" + path, method=method,
                                     headers={"Accept-Encoding": accept_encoding})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, body = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()
        if headers.get("Content-Encoding") == "gzip" and body:
            body = gzip.decompress(body)
        return status, headers, body
    return fetch


def directory_fetcher(root):
    def fetch(path):
        full = os.path.join(root, *path.split("/"))
        if not os.path.isfile(full):
            return 404, {}, b""
        with open(full, "rb") as f:
            return 200, {}, f.read()
    return fetch


# ---- the tiled tree ----------------------------------------------------------------------------


def _largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class TiledLog:
    """Reads the tree through tiles. Every tile it uses is fetched once (full or partial,
    whichever the tree size calls for) and checked to be 32 * width bytes."""

    def __init__(self, fetch):
        self.fetch = fetch
        self.tiles = {}
        self.fetched = []

    def get(self, path):
        status, headers, body = self.fetch(path)
        if status != 200:
            raise VerificationError("GET %s: status %d" % (path, status))
        self.fetched.append(path)
        return headers, body

    def checkpoint(self, verifier_key):
        _, body = self.get("checkpoint")
        verifier = Verifier(verifier_key)
        text = verify_note(body.decode("utf-8"), verifier)
        cp = parse_checkpoint(text)
        if cp.origin != verifier.name:
            raise VerificationError("checkpoint origin %r is not the verifier's" % cp.origin)
        return cp

    def tile(self, level, index, tree_size):
        """The hashes of tile (level, index) as the tree of `tree_size` has it."""
        hashes_at_level = tree_size >> (TILE_HEIGHT * level)
        full_tiles = hashes_at_level // TILE_WIDTH
        width = TILE_WIDTH if index < full_tiles else hashes_at_level % TILE_WIDTH
        if index > full_tiles or width == 0:
            raise VerificationError("tile %d/%d is not part of the tree of %d" %
                                    (level, index, tree_size))
        key = (level, index, width)
        if key not in self.tiles:
            _, body = self.get(tile_path(level, index, width))
            if len(body) != HASH_SIZE * width:
                raise VerificationError("%s is %d bytes, want %d" %
                                        (tile_path(level, index, width), len(body), 32 * width))
            self.tiles[key] = [body[i:i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return self.tiles[key]

    def node(self, k, i, tree_size):
        """MTH of the perfect subtree of 2**k leaves starting at leaf i * 2**k."""
        level, r = divmod(k, TILE_HEIGHT)
        first = i << r  # its first hash among the level's tile hashes
        hashes = self.tile(level, first // TILE_WIDTH, tree_size)
        row = hashes[first % TILE_WIDTH:first % TILE_WIDTH + (1 << r)]
        if len(row) != 1 << r:
            raise VerificationError("node %d/%d lies outside its tile" % (k, i))
        while len(row) > 1:
            row = [node_hash(row[j], row[j + 1]) for j in range(0, len(row), 2)]
        return row[0]

    def mth(self, a, b, tree_size):
        """RFC 6962 MTH(D[a:b]) for the ranges MTH and PATH recurse into."""
        n = b - a
        if n == 0:
            return sha256(b"")
        if n & (n - 1) == 0 and a % n == 0:
            return self.node(n.bit_length() - 1, a // n, tree_size)
        k = _largest_power_of_two_below(n)
        return node_hash(self.mth(a, a + k, tree_size), self.mth(a + k, b, tree_size))

    def root(self, tree_size):
        return self.mth(0, tree_size, tree_size)

    def inclusion_proof(self, m, tree_size):
        """RFC 6962 PATH(m, D[0:tree_size]), leaf side first."""
        def path(m, a, b):
            n = b - a
            if n == 1:
                return []
            k = _largest_power_of_two_below(n)
            if m - a < k:
                return path(m, a, a + k) + [self.mth(a + k, b, tree_size)]
            return path(m, a + k, b) + [self.mth(a, a + k, tree_size)]
        return path(m, 0, tree_size)

    def entries(self, index, tree_size):
        """The entries of bundle `index` in the tree of `tree_size`, as bytes items."""
        full = tree_size // TILE_WIDTH
        width = TILE_WIDTH if index < full else tree_size % TILE_WIDTH
        _, body = self.get(bundle_path(index, width))
        items, at = [], 0
        while at < len(body):
            if at + 2 > len(body):
                raise VerificationError("bundle %d: truncated length prefix" % index)
            n = int.from_bytes(body[at:at + 2], "big")
            if at + 2 + n > len(body):
                raise VerificationError("bundle %d: truncated entry" % index)
            items.append(body[at + 2:at + 2 + n])
            at += 2 + n
        if len(items) != width:
            raise VerificationError("bundle %d has %d entries, want %d" %
                                    (index, len(items), width))
        return items


def verify_inclusion(leaf, index, tree_size, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def plain_mth(leaves):
    """MTH over a list of leaf hashes, straight from RFC 6962 (no tiles): a cross-check."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = _largest_power_of_two_below(len(leaves))
    return node_hash(plain_mth(leaves[:k]), plain_mth(leaves[k:]))


def verify_log(fetch, verifier_key, sample=()):
    """Everything a monitor checks: the checkpoint's signature; every level-0 tile and entry
    bundle (each entry hashes to its tile's leaf hash); the root from the tiles (higher levels
    included) equals both the checkpoint's root and the RFC 6962 MTH of all leaf hashes; and the
    inclusion proofs (built from tiles) of `sample` entries verify. Returns (checkpoint, log,
    entries)."""
    log = TiledLog(fetch)
    cp = log.checkpoint(verifier_key)
    leaves, entries = [], []
    for index in range((cp.tree_size + TILE_WIDTH - 1) // TILE_WIDTH):
        hashes = log.tile(0, index, cp.tree_size)
        items = log.entries(index, cp.tree_size)
        for j, item in enumerate(items):
            if leaf_hash(item) != hashes[j]:
                raise VerificationError("entry %d does not hash to its tile's leaf hash" %
                                        (index * TILE_WIDTH + j))
        leaves.extend(hashes)
        entries.extend(items)
    if log.root(cp.tree_size) != cp.root_hash:
        raise VerificationError("the root from the tiles is not the checkpoint's")
    if plain_mth(leaves) != cp.root_hash:
        raise VerificationError("the MTH of the leaf hashes is not the checkpoint's root")
    for m in sample:
        if m >= cp.tree_size:
            continue
        proof = log.inclusion_proof(m, cp.tree_size)
        if not verify_inclusion(leaf_hash(entries[m]), m, cp.tree_size, proof, cp.root_hash):
            raise VerificationError("the inclusion proof of entry %d does not verify" % m)
    return cp, log, entries


# ---- tlog-proof (c2sp.org/tlog-proof) ----------------------------------------------------------


def verify_tlog_proof(document, verifier_key, record_hash=None):
    """Checks a c2sp.org/tlog-proof@v1 document: the checkpoint's signature, then the inclusion
    proof of the record at `index` against its root. The record hash is `record_hash` when given,
    else RFC 6962's leaf hash of the data the application put in `extra` (for factledger:
    0x01 || public key (32 bytes) || leaf data; nothing in it is trusted beyond what the proof
    shows). Returns (index, extra bytes or None, checkpoint)."""
    header = "c2sp.org/tlog-proof@v1\n"
    if not document.startswith(header):
        raise VerificationError("tlog-proof: first line")
    body, sep, note = document[len(header):].partition("\n\n")
    if not sep:
        raise VerificationError("tlog-proof: no empty line before the checkpoint")
    lines = body.split("\n")
    extra = None
    if lines and lines[0].startswith("extra "):
        extra = base64.b64decode(lines.pop(0)[len("extra "):], validate=True)
    if not lines or not lines[0].startswith("index "):
        raise VerificationError("tlog-proof: no index line")
    index_text = lines.pop(0)[len("index "):]
    if not index_text.isdigit() or (index_text != "0" and index_text.startswith("0")):
        raise VerificationError("tlog-proof: index %r" % index_text)
    proof = [base64.b64decode(line, validate=True) for line in lines]
    if any(len(h) != HASH_SIZE for h in proof):
        raise VerificationError("tlog-proof: a proof line is not a SHA-256 hash")
    cp = parse_checkpoint(verify_note(note, Verifier(verifier_key)))
    if record_hash is None:
        if extra is None or len(extra) < 34 or extra[0] != 0x01:
            raise VerificationError("tlog-proof: no record hash and no factledger extra")
        record_hash = leaf_hash(extra[33:])
    if not verify_inclusion(record_hash, int(index_text), cp.tree_size, proof, cp.root_hash):
        raise VerificationError("tlog-proof: the inclusion proof does not verify")
    return int(index_text), extra, cp
