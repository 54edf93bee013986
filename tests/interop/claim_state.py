"""The claim-state map and explain bundles, written from docs/format.md section 13 alone.

map_key, next_state, map_root and verify_map_proof follow 13.1-13.3; verify_explain follows
13.5 (it uses this directory's factledger_client for the section 3-5 checks of each entry).
"""
import base64
import hashlib
import json
import struct

import factledger_client as fl
from ledger.v1 import claim_pb2

EMPTY = bytes(32)


def _sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def map_key(kind, subject_id):
    if isinstance(subject_id, str):
        subject_id = subject_id.encode()
    return _sha(b"factledger/v1/claim-state-key\x00", bytes([kind]), subject_id)


def next_state(previous, sequence, leaf_hash):
    return _sha(b"factledger/v1/claim-state\x00", previous, struct.pack(">Q", sequence), leaf_hash)


def _bit(key, i):
    return (key[i // 8] >> (7 - i % 8)) & 1


def _leaf(key, value):
    return _sha(b"\x02", key, value)


def _node(left, right):
    return _sha(b"\x03", left, right)


def _subtree(pairs, depth):
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        return _leaf(*pairs[0])
    left = [p for p in pairs if _bit(p[0], depth) == 0]
    right = [p for p in pairs if _bit(p[0], depth) == 1]
    return _node(_subtree(left, depth + 1), _subtree(right, depth + 1))


def map_root(mapping):
    """The root of a dict key -> value (32-byte keys and values)."""
    return _subtree(sorted(mapping.items()), 0)


class ExplainError(ValueError):
    pass


def verify_map_proof(root, key, siblings, terminal):
    """The value the proof shows for key (None: absent). Raises ExplainError."""
    if len(siblings) > 256:
        raise ExplainError("too many siblings")
    h = EMPTY
    value = None
    if terminal is not None:
        tkey, tvalue = terminal
        for i in range(len(siblings)):
            if _bit(tkey, i) != _bit(key, i):
                raise ExplainError("terminal leaf off the key's path")
        h = _leaf(tkey, tvalue)
        if tkey == key:
            value = tvalue
    for i in range(len(siblings) - 1, -1, -1):
        h = _node(h, siblings[i]) if _bit(key, i) == 0 else _node(siblings[i], h)
    if h != root:
        raise ExplainError("map proof does not lead to the map root")
    return value


def parse_map_checkpoint(note, verifier):
    """(tree size, log root, map root) of a map checkpoint signed by verifier (13.4)."""
    text = fl.open_note(note, verifier).decode("utf-8")
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) != 5:
        raise ExplainError("a map checkpoint has exactly four lines")
    cp = fl.parse_checkpoint_text(text)
    prefix = "factledger/v1/claim-state-map "
    if not lines[3].startswith(prefix):
        raise ExplainError("no map root line")
    b64 = lines[3][len(prefix):]
    root = base64.b64decode(b64, validate=True)
    if len(root) != 32 or base64.b64encode(root).decode() != b64:
        raise ExplainError("map root is not canonical base64 of 32 bytes")
    return cp.tree_size, cp.root_hash, root


def _subjects(event_id, event):
    body = event.WhichOneof("body")
    if body == "claim_asserted":
        return [(1, event_id)]
    if body == "claim_corrected":
        return [(1, event.claim_corrected.corrects_claim_id)]
    if body in ("claim_retracted", "claim_reviewed", "claim_appeared"):
        return [(1, getattr(event, body).claim_id)]
    if body == "claim_related":
        r = event.claim_related
        return [(1, r.claim_id)] + ([(1, r.related_claim_id)] if r.related_claim_id != r.claim_id else [])
    if body == "key_registered":
        return [(2, fl.key_id(event.key_registered.public_key))]
    if body == "key_revoked":
        return [(2, event.key_revoked.key_id)]
    return []


def _verify_entry(bundle, origin, verifier, tree_size, log_root):
    if bundle["tree_size"] != tree_size:
        raise ExplainError("entry proven against another tree size")
    leaf_data = base64.b64decode(bundle["leaf_data"], validate=True)
    leaf = fl.decode_leaf(leaf_data)
    lh = fl.leaf_hash(leaf_data)
    if lh.hex() != bundle["leaf_hash"]:
        raise ExplainError("leaf hash")
    if leaf.event_id != bundle["event_id"].encode() or leaf.key_id.hex() != bundle["key_id"]:
        raise ExplainError("entry fields")
    public_key = bytes.fromhex(bundle["public_key"])
    if fl.key_id(public_key) != leaf.key_id:
        raise ExplainError("public key is not the signer's")
    if leaf.envelope_kind != 1:
        raise ExplainError("only per-event signatures are checked here")
    if not fl.ed25519_verify(public_key, fl.signing_input(origin, leaf.event_id, leaf.event), leaf.signature):
        raise ExplainError("event signature")
    proof = [bytes.fromhex(h) for h in bundle["inclusion_proof"]]
    if not fl.verify_inclusion(bundle["sequence"], tree_size, lh, proof, log_root):
        raise ExplainError("inclusion proof")
    event = claim_pb2.Event()
    event.ParseFromString(leaf.event)
    return lh, leaf.event_id.decode(), event


def verify_explain(document, verifier, origin):
    """Checks an explain bundle (13.5); returns the replayed answer (a dict). Raises ExplainError."""
    doc = json.loads(document)
    if doc.get("format") != "factledger-explain-bundle/v1" or doc.get("origin") != origin:
        raise ExplainError("format or origin")
    tree_size, log_root, root = parse_map_checkpoint(doc["map_checkpoint"], verifier)
    if tree_size != doc["tree_size"]:
        raise ExplainError("map checkpoint size")
    key = map_key(1, doc["claim_id"])
    proof = doc["map_proof"]
    terminal = None
    if "terminal_key" in proof:
        terminal = (bytes.fromhex(proof["terminal_key"]), bytes.fromhex(proof["terminal_value"]))
    value = verify_map_proof(root, key, [bytes.fromhex(s) for s in proof["siblings"]], terminal)
    stated_hash = None if doc["state_hash"] is None else bytes.fromhex(doc["state_hash"])
    if value != stated_hash:
        raise ExplainError("the map proves another state hash")
    chain = EMPTY
    last = -1
    answer = {"exists": False}
    for b in doc["entries"]:
        if b["checkpoint"] != doc["map_checkpoint"]:
            raise ExplainError("entry proven against another checkpoint")
        if b["sequence"] <= last:
            raise ExplainError("entries out of order")
        last = b["sequence"]
        lh, event_id, event = _verify_entry(b, origin, verifier, tree_size, log_root)
        if (1, doc["claim_id"]) not in _subjects(event_id, event):
            raise ExplainError("entry does not concern the claim")
        chain = next_state(chain, b["sequence"], lh)
        answer = _replay(answer, doc["claim_id"], b["sequence"], event_id, event)
    if stated_hash is None:
        if doc["entries"]:
            raise ExplainError("entries listed for an absent claim")
    elif chain != stated_hash:
        raise ExplainError("the entries do not produce the committed state hash")
    stated = doc["stated"]
    if stated.get("exists") != answer["exists"]:
        raise ExplainError("stated existence")
    if answer["exists"]:
        for field in ("status", "asserted_sequence", "version_sequence", "history", "verdicts",
                      "appearances", "relations"):
            if stated[field] != answer[field]:
                raise ExplainError("stated %s differs from the replay" % field)
        if base64.b64decode(stated["claim"]) != answer["claim"].SerializeToString(deterministic=True):
            raise ExplainError("stated claim content differs")
    return answer


def _replay(a, claim_id, seq, event_id, event):
    body = event.WhichOneof("body")
    if not a["exists"]:
        if body != "claim_asserted" or event_id != claim_id:
            raise ExplainError("an entry before the claim's assert")
        return {"exists": True, "status": "ACTIVE", "asserted_sequence": seq, "version_sequence": seq,
                "history": [seq], "verdicts": [], "appearances": [], "relations": [],
                "claim": event.claim_asserted.claim}
    a["history"].append(seq)
    if body == "claim_corrected":
        if a["status"] == "RETRACTED":
            raise ExplainError("a correction after the retraction")
        a["status"], a["version_sequence"], a["claim"] = "CORRECTED", seq, event.claim_corrected.claim
    elif body == "claim_retracted":
        if a["status"] == "RETRACTED":
            raise ExplainError("retracted twice")
        a["status"] = "RETRACTED"
    elif body == "claim_reviewed":
        a["verdicts"].append(seq)
    elif body == "claim_appeared":
        a["appearances"].append(seq)
    elif body == "claim_related":
        a["relations"].append(seq)
    else:
        raise ExplainError("a second assert")
    return a


if __name__ == "__main__":
    # The test vectors of docs/format.md 13.2.
    m = {}
    print("none", EMPTY.hex())
    for i in range(4):
        m[_sha(("key %d" % i).encode())] = _sha(("value %d/0" % i).encode())
        print(i + 1, map_root(m).hex())
