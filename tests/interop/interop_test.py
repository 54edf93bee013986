"""Interop test: the independent Python client/verifier (factledger_client.py) against the real
ledgerd and ledgerctl.

Usage: interop_test.py LEDGERD LEDGERCTL SEED_CLAIMS_JSONL
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import traceback

import grpc
from google.protobuf import json_format

from ledger.v1 import claim_pb2
from ledger.v1 import claim_service_pb2 as cpb
from ledger.v1 import claim_service_pb2_grpc as cpb_grpc
from ledger.v1 import ledger_service_pb2 as pb
from ledger.v1 import ledger_service_pb2_grpc as pb_grpc

import factledger_client as fc
from checks import Results, ServedLedgerd, wait_until

ORIGIN = "interop.example/log"
RPC_TIMEOUT = 30


R = Results()


def flip_bit(b, index=0, bit=0):
    b = bytearray(b)
    b[index] ^= 1 << bit
    return bytes(b)


# ---------------------------------------------------------------------------------------------


def check_worked_example():
    """§10: the library reproduces every byte of the worked example."""
    R.section("docs/format.md §10 worked example")
    signer = fc.SigningKey(bytes.fromhex(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    logk = fc.SigningKey(bytes.fromhex(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
    origin, eid, t = "example.org/factledger", "seed-novak-pipeline-ready", 1764979200000000
    event = bytes.fromhex(
        "0abf010abc010a240a0f416c6578616e646572204e6f76616b10011a0f456e65726779204d696e6973"
        "74657212400a3c546865204e6f7274682d536f7574682067617320706970656c696e65206167726565"
        "6d656e7420697320726561647920666f72207369676e696e672e10031a07080210df0f180822410a3f"
        "68747470733a2f2f6578616d706c652e6f72672f736565642f70616b697374616e2d72757373696"
        "12d72656c6174696f6e736869702d696d70726f76696e672a06656e65726779")
    R.check(len(event) == 194, "§10 event is 194 bytes")
    R.check(signer.key_id.hex() ==
            "b4cb7e1b7b9397e21a33893e00d020de877cb821f21185eee9af394787fcd0ac", "§10 key id")
    si = fc.signing_input(origin, eid, event)
    R.check(si.hex() == "666163746c65646765722f76312f6576656e740000166578616d706c652e6f72672f66"
            "6163746c65646765720019736565642d6e6f76616b2d706970656c696e652d726561647967e4e807"
            "07d1b76ed4fbce7a9cf032bd7cbb33c07685110a280229b8cdc65643", "§10 signing input")
    se = fc.sign_event(signer, origin, eid, event)
    sig_hex = ("ce2d274b2f5e156c8c41583c1a0ea27a40d9ee0dc4f133eeeddd413d9bbd60bebac8f7e0e8d722cc"
               "962998a5adefb13364dc9a17643a3a5c67d454007c85ac0f")
    R.check(se.signature.hex() == sig_hex, "§10 signature")
    ld = fc.encode_leaf(t, eid, signer.key_id, se.signature, event)
    R.check(ld.hex().startswith("01010006453d3e4080000019736565642d6e6f76616b") and
            ld.hex().endswith("000000c2" + event.hex()), "§10 leaf data")
    leaf = fc.decode_leaf(ld)
    R.check((leaf.recorded_time_micros, leaf.event_id, leaf.event) == (t, eid.encode(), event),
            "§10 leaf data decodes")
    lh = fc.leaf_hash(ld)
    R.check(lh.hex() == "0eac8678661c9d3a5baef56fda6fde94ce0e1213464b2395e4259dfcc541336c",
            "§10 leaf hash")
    vkey = "example.org/factledger+11a6bf6f+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
    R.check(fc.make_verifier(origin, logk.public_key).to_string() == vkey, "§10 verifier key")
    note = ("example.org/factledger\n1\nDqyGeGYcnTpbrvVv2m/elM4OEhNGSyOV5CWd/MVBM2w=\n\n"
            "\u2014 example.org/factledger Eaa/b+AESYKnPzznYqN8V+AqZ5t1rhV0UeMbrUfNQxsT9XVauIPB9"
            "RPP/X0jVXB4llSdnKhgiXoVn+E42VJNaVpcbg4=\n")
    R.check(fc.sign_checkpoint(origin, 1, lh, logk) == note, "§10 checkpoint signs identically")
    cp = fc.verify_checkpoint(note, vkey)
    R.check((cp.tree_size, cp.root_hash) == (1, lh), "§10 checkpoint verifies")
    ok, bad, _ = fc.verify_log([ld], [note], origin, logk.public_key, [signer.public_key])
    R.check(ok and bad is None, "§10 one-entry log verifies")
    try:
        fc.verify_checkpoint(note.replace("\n1\n", "\n2\n"), vkey)
        R.check(False, "§10 altered checkpoint must not verify")
    except fc.NoteError:
        R.check(True, "")


def check_key_files(tmp, ledgerctl):
    R.section("key files (§1)")
    out = subprocess.run([ledgerctl, "keygen", "--out", os.path.join(tmp, "cli.key"), "--json"],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    info = json.loads(out.strip().splitlines()[-1])
    k = fc.read_private_key(os.path.join(tmp, "cli.key"))
    pub = fc.read_public_key(os.path.join(tmp, "cli.key.pub"))
    R.check(k.public_key == pub, "ledgerctl key pair: private seed gives the public key")
    R.check(pub.hex() == info["public_key"], "ledgerctl public key matches its JSON")
    R.check(k.key_id.hex() == info["key_id"], "key id derivation matches ledgerctl keygen")
    R.check(os.stat(os.path.join(tmp, "cli.key")).st_mode & 0o777 == 0o600,
            "ledgerctl private key file is mode 0600")


# ---------------------------------------------------------------------------------------------


# ledgerd with a ready gRPC channel and a LedgerService stub.
Server = ServedLedgerd


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def rpc_code(fn, *args):
    try:
        return fn(*args, timeout=RPC_TIMEOUT), None
    except grpc.RpcError as e:
        return None, e.code()


def run_against_server(ledgerd, ledgerctl, seed_path, tmp):
    data_dir = os.path.join(tmp, "D")

    R.section("ledgerd init with a Python-written admin key")
    admin = fc.SigningKey.generate()
    fc.write_private_key(os.path.join(tmp, "admin.key"), admin)
    fc.write_public_key(os.path.join(tmp, "admin.pub"), admin.public_key)
    R.check(fc.read_private_key(os.path.join(tmp, "admin.key")).seed == admin.seed,
            "key file round trip")
    init = subprocess.run([ledgerd, "init", "--data-dir", data_dir, "--origin", ORIGIN,
                           "--admin-key", os.path.join(tmp, "admin.pub")],
                          capture_output=True, text=True, timeout=60)
    print(init.stdout.strip())
    if not R.check(init.returncode == 0, "ledgerd init exits 0 (stderr: %s)" % init.stderr):
        return
    m = re.search(r"^checkpoint verifier key: (\S+)$", init.stdout, re.M)
    if not R.check(m is not None, "ledgerd init prints the checkpoint verifier key"):
        return
    vkey_str = m.group(1)
    verifier = fc.parse_verifier_key(vkey_str)  # our configuration from now on
    R.check(verifier.name == ORIGIN, "verifier key names the origin")
    log_pub = verifier.public_key

    server = Server(ledgerd, data_dir, tmp)
    try:
        stub = server.stub
        checks_with_server(stub, admin, verifier, seed_path, tmp, server.channel)
    finally:
        R.section("stop the server")
        rc = server.stop()
        R.check(rc == 0, "ledgerd exits 0 within 10 s of SIGTERM (got %r)" % rc)
        server.kill()

    R.section("ledgerctl verify (offline audit)")
    state = STATE
    if not state:
        return
    for extra in ([], ["--origin", ORIGIN, "--log-key", log_pub.hex(),
                       "--admin-key", os.path.join(tmp, "admin.pub")]):
        v = subprocess.run([ledgerctl, "verify", "--data-dir", data_dir, "--json"] + extra,
                           capture_output=True, text=True, timeout=120)
        lines = [json.loads(l) for l in v.stdout.splitlines() if l.strip()]
        rep = [l for l in lines if "intact" in l]
        if "two_body_sequence" in state:
            if v.returncode == 0 and rep and rep[-1]["intact"] is True:
                DISCREPANCIES.append("ledgerctl verify %s reports intact a log holding a "
                                     "two-body event" % extra)
            else:
                R.check(rep and rep[-1].get("first_bad_sequence", state["two_body_sequence"])
                        == state["two_body_sequence"], "ledgerctl verify flags the two-body "
                        "entry: %s" % v.stdout)
                continue
        R.check(v.returncode == 0 and rep and rep[-1]["intact"] is True,
                "ledgerctl verify %s reports intact (rc %d, %s %s)" % (extra, v.returncode,
                                                                        v.stdout, v.stderr))
        if rep:
            R.check(rep[-1].get("tree_size") == state["size"],
                    "ledgerctl verify tree size %s == ours %d" % (rep[-1].get("tree_size"),
                                                                   state["size"]))
            R.check(rep[-1].get("root_hash") == state["root"].hex(),
                    "ledgerctl verify root equals our MTH")


STATE = {}
# Server behaviour that disagrees with docs/format.md, reported without failing the test.
DISCREPANCIES = []


def checks_with_server(stub, admin, verifier, seed_path, tmp, channel):
    R.section("GetLogInfo / empty log")
    info = stub.GetLogInfo(pb.GetLogInfoRequest(), timeout=RPC_TIMEOUT)
    R.check(info.origin == ORIGIN, "GetLogInfo origin")
    R.check(info.checkpoint_verifier_key == verifier.to_string(),
            "GetLogInfo verifier key equals the one ledgerd init printed")
    R.check(info.tree_size == 0, "new log is empty")
    cp0 = stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=RPC_TIMEOUT)
    c = fc.verify_checkpoint(cp0.checkpoint, verifier)
    R.check(c.tree_size == 0 and c.root_hash == fc.EMPTY_ROOT,
            "empty-tree checkpoint from init verifies, root = SHA-256('')")
    R.check(cp0.tree_size == 0 and cp0.root_hash == fc.EMPTY_ROOT,
            "GetCheckpoint fields for the empty tree")
    checkpoints = {0: cp0.checkpoint}

    leaves = []  # leaf data we fetched back, by sequence
    tree = fc.CompactTree()

    def head():
        r = stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=RPC_TIMEOUT)
        cp = fc.verify_checkpoint(r.checkpoint, verifier)
        return cp.tree_size, cp.root_hash

    def append_ok(se, what):
        resp = stub.Append(pb.AppendRequest(event=se), timeout=RPC_TIMEOUT)
        n = len(leaves)
        R.check(not resp.duplicate, "%s: not a duplicate" % what)
        R.check(resp.sequence == n, "%s: sequence %d == %d" % (what, resp.sequence, n))
        entry = stub.GetEntry(pb.GetEntryRequest(sequence=resp.sequence),
                              timeout=RPC_TIMEOUT).entry
        ld = bytes(entry.leaf_data)
        leaf = fc.decode_leaf(ld)
        R.check(leaf.event == se.event and leaf.event_id == se.event_id.encode() and
                leaf.key_id == se.key_id and leaf.signature == se.signature,
                "%s: stored leaf holds our exact envelope" % what)
        R.check(leaf.recorded_time_micros == resp.recorded_time_micros ==
                entry.recorded_time_micros, "%s: recorded time consistent" % what)
        R.check(entry.signed_event == se, "%s: GetEntry signed_event is ours" % what)
        lh = fc.leaf_hash(ld)
        R.check(bytes(resp.leaf_hash) == lh and bytes(entry.leaf_hash) == lh,
                "%s: leaf_hash equals our leaf hash" % what)
        leaves.append(ld)
        tree.append(lh)
        try:
            cp = fc.verify_checkpoint(resp.checkpoint, verifier)
            R.check(cp.tree_size > resp.sequence, "%s: checkpoint contains the entry" % what)
            R.check(cp.tree_size <= tree.size and cp.root_hash == tree.root(cp.tree_size),
                    "%s: checkpoint root equals our MTH" % what)
            checkpoints.setdefault(cp.tree_size, resp.checkpoint)
        except fc.NoteError as e:
            R.check(False, "%s: AppendResponse checkpoint verifies: %s" % (what, e))
        return resp

    R.section("register a submitter key (KeyRegistered signed by the admin)")
    sub = fc.SigningKey.generate()
    ev = claim_pb2.Event(key_registered=claim_pb2.KeyRegistered(
        public_key=sub.public_key, role=claim_pb2.KeyRegistered.SUBMITTER,
        holder="interop submitter"))
    append_ok(fc.make_signed_event(admin, ORIGIN, "interop-register-submitter", ev),
              "register submitter")

    R.section("append examples/seed-claims.jsonl signed by the submitter")
    drafts = []
    with open(seed_path) as f:
        for line in f:
            if line.strip():
                drafts.append(json_format.Parse(line, claim_pb2.EventDraft()))
    first_se = None
    for d in drafts:
        se = fc.make_signed_event(sub, ORIGIN, d.event_id, d.event)
        resp = append_ok(se, d.event_id)
        if first_se is None:
            first_se, first_resp = se, resp
    R.check(len(leaves) == 1 + len(drafts), "all %d seed claims appended" % len(drafts))

    R.section("claim matching (MatchClaims, docs/api.md)")
    claims = cpb_grpc.ClaimServiceStub(channel)

    def match(**kw):
        try:
            return claims.MatchClaims(cpb.MatchClaimsRequest(min_watermark=len(leaves), **kw),
                                      timeout=RPC_TIMEOUT)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNAVAILABLE:  # the index still loading
                return None
            raise
    m = wait_until(lambda: match(text="Novak said the pipeline is ready to be signed"), 20,
                   "MatchClaims to answer")
    R.check(len(m.matches) >= 1 and
            m.matches[0].claim.claim_id == "seed-novak-pipeline-ready" and
            m.matches[0].score >= m.min_score == 0.70,
            "a reworded statement finds the seed claim first (got %r)" %
            [(x.claim.claim_id, round(x.score, 3)) for x in m.matches])
    R.check(m.matches[0].claim.claim.claimant.name == "Alexander Novak" and
            m.matches[0].claim.status == cpb.ACTIVE and "novak" in m.matches[0].matched_terms,
            "the match carries its claimant, status and matched terms")
    none = match(text="Unemployment fell to four percent in Ohio")
    R.check(len(none.matches) == 0 and none.claims_indexed == len(drafts),
            "an unrelated statement has no match among the %d claims" % len(drafts))
    try:
        claims.MatchClaims(cpb.MatchClaimsRequest(text="x", limit=101), timeout=RPC_TIMEOUT)
        R.check(False, "MatchClaims limit 101 is refused")
    except grpc.RpcError as e:
        R.check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and "limit" in e.details(),
                "MatchClaims limit 101 is INVALID_ARGUMENT naming limit (%s)" % e.details())

    R.section("appearances and relations (claim_appeared, claim_related; format.md §7)")
    seen = claim_pb2.Event()
    seen.claim_appeared.claim_id = "seed-novak-pipeline-ready"
    seen.claim_appeared.source.url = "https://second-outlet.example/pipeline"
    seen.claim_appeared.source.publisher = "Second Outlet"
    append_ok(fc.make_signed_event(sub, ORIGIN, "py-seen-1", seen), "py-seen-1")
    rel = claim_pb2.Event()
    rel.claim_related.claim_id = "seed-novak-pipeline-signing-quote"
    rel.claim_related.related_claim_id = "seed-novak-pipeline-ready"
    rel.claim_related.relation = claim_pb2.ClaimRelated.POSITION_CHANGE
    rel.claim_related.flip = claim_pb2.ClaimRelated.NO_FLIP
    rel.claim_related.subject = "the pipeline deal"
    rel.claim_related.reviewer = "Python desk"
    append_ok(fc.make_signed_event(sub, ORIGIN, "py-rel-1", rel), "py-rel-1")
    got = claims.GetClaim(cpb.GetClaimRequest(claim_id="seed-novak-pipeline-ready",
                                              min_watermark=len(leaves)), timeout=RPC_TIMEOUT)
    R.check(len(got.claim.appearances) == 1 and got.claim.independent_publishers == 2 and
            got.claim.appearances[0].appearance.source.url ==
            "https://second-outlet.example/pipeline",
            "GetClaim lists the appearance and counts 2 independent publishers")
    R.check(len(got.claim.relations) == 1 and
            got.claim.relations[0].relation.flip == claim_pb2.ClaimRelated.NO_FLIP,
            "GetClaim lists the relation recorded on the other claim")
    rels = claims.ListRelations(cpb.ListRelationsRequest(claimant="alexander novak",
                                                         min_watermark=len(leaves)),
                                timeout=RPC_TIMEOUT)
    R.check(len(rels.relations) == 1 and rels.relations[0].relation.event_id == "py-rel-1" and
            not rels.more, "ListRelations finds the position change by claimant")
    bad = claim_pb2.Event()
    bad.claim_appeared.claim_id = "no-such-claim"
    bad.claim_appeared.source.url = "https://x.example/"
    r, code = rpc_code(stub.Append, pb.AppendRequest(
        event=fc.make_signed_event(sub, ORIGIN, "py-seen-bad", bad)))
    R.check(code == grpc.StatusCode.NOT_FOUND, "an appearance of an unknown claim is NOT_FOUND")

    R.section("idempotency (§6)")
    size_before = head()
    dup = stub.Append(pb.AppendRequest(event=first_se), timeout=RPC_TIMEOUT)
    R.check(dup.duplicate and dup.sequence == first_resp.sequence and
            dup.leaf_hash == first_resp.leaf_hash, "re-append returns duplicate=true, same entry")
    try:
        cp = fc.verify_checkpoint(dup.checkpoint, verifier)
        R.check(cp.tree_size > dup.sequence, "duplicate response checkpoint contains the entry")
    except fc.NoteError as e:
        R.check(False, "duplicate response checkpoint verifies: %s" % e)
    R.check(head() == size_before, "duplicate leaves the tree unchanged")
    # §6 compares only SHA-256(event): the same id and bytes signed by another active key is
    # a duplicate too.
    by_admin = fc.sign_event(admin, ORIGIN, first_se.event_id, first_se.event)
    r, code = rpc_code(stub.Append, pb.AppendRequest(event=by_admin))
    R.check(code is None and r.duplicate and r.sequence == first_resp.sequence,
            "same id and bytes signed by another key -> duplicate (§6) (got %s)" % code)
    R.check(head() == size_before, "that leaves the tree unchanged")
    # Informational probes of behaviour docs/format.md does not pin down.
    bad = claim_pb2.SignedEvent()
    bad.CopyFrom(first_se)
    bad.signature = flip_bit(first_se.signature, 0, 0)
    r, code = rpc_code(stub.Append, pb.AppendRequest(event=bad))
    print("probe: duplicate id+bytes with a bad signature -> %s" %
          (code or "duplicate=%s" % r.duplicate))
    R.check(head() == size_before, "that leaves the tree unchanged")

    def rejected(se, code, what):
        """code None: the spec says it is refused but names no status; any error will do."""
        before = head()
        resp, got = rpc_code(stub.Append, pb.AppendRequest(event=se))
        if code is None:
            print("probe: %s -> %s" % (what, got))
            R.check(got is not None, "%s is refused" % what)
        else:
            R.check(got == code, "%s -> %s (got %s)" % (what, code, got))
        if got is None and not resp.duplicate:
            # Accepted against the spec: keep our mirror of the log in step with the server.
            ld = bytes(stub.GetEntry(pb.GetEntryRequest(sequence=resp.sequence),
                                     timeout=RPC_TIMEOUT).entry.leaf_data)
            leaves.append(ld)
            tree.append(fc.leaf_hash(ld))
            return
        R.check(head() == before, "%s leaves tree size and root unchanged" % what)
        info = stub.GetLogInfo(pb.GetLogInfoRequest(), timeout=RPC_TIMEOUT)
        R.check(info.tree_size == before[0], "%s: GetLogInfo tree size unchanged" % what)

    R.section("rejections")
    other = claim_pb2.Event()
    other.CopyFrom(drafts[0].event)
    other.claim_asserted.claim.statement.text += " (altered)"
    rejected(fc.make_signed_event(sub, ORIGIN, drafts[0].event_id, other),
             grpc.StatusCode.ALREADY_EXISTS, "same event id, other bytes")

    fresh = claim_pb2.Event()
    fresh.CopyFrom(drafts[1].event)
    fresh.claim_asserted.claim.venue = "interop test"
    se = fc.make_signed_event(sub, ORIGIN, "interop-fresh-1", fresh)
    bad = claim_pb2.SignedEvent()
    bad.CopyFrom(se)
    bad.signature = flip_bit(se.signature, 10, 3)
    rejected(bad, grpc.StatusCode.INVALID_ARGUMENT, "bad signature (one bit flipped)")

    stranger = fc.SigningKey.generate()
    rejected(fc.make_signed_event(stranger, ORIGIN, "interop-fresh-1", fresh),
             grpc.StatusCode.FAILED_PRECONDITION, "unregistered key")

    reg = claim_pb2.Event(key_registered=claim_pb2.KeyRegistered(
        public_key=stranger.public_key, role=claim_pb2.KeyRegistered.SUBMITTER, holder="x"))
    rejected(fc.make_signed_event(sub, ORIGIN, "interop-sub-registers", reg),
             grpc.StatusCode.PERMISSION_DENIED, "submitter key signing a KeyRegistered")

    rejected(fc.make_signed_event(sub, "other.example/log", "interop-fresh-1", fresh),
             grpc.StatusCode.INVALID_ARGUMENT, "event signed for another origin")

    rejected(fc.sign_event(sub, ORIGIN, "interop-garbage", b"\xff\xfe garbage \x00\x01"),
             grpc.StatusCode.INVALID_ARGUMENT, "garbage event bytes (validly signed)")

    R.section("rejections of malformed input (§2, §3; no status code specified)")
    def ld(field, payload):  # one length-delimited field
        return bytes([field << 3 | 2]) + _varint(len(payload)) + payload
    claim_bytes = fresh.claim_asserted.claim.SerializeToString(deterministic=True)
    malformed = {
        "event with an unknown top-level field": fc.serialize_event(fresh) + b"\x78\x01",
        "event with an unknown field inside Claim":
            ld(1, ld(1, claim_bytes + b"\x78\x01")),
        "event with invalid UTF-8 in a string": ld(3, ld(1, b"bad\xff\xfeid")),
        "event with no body (empty bytes)": b"",
    }
    for what, evb in malformed.items():
        pe, problem = fc.parse_event_strict(evb)
        R.check(pe is None, "our strict parser refuses the %s" % what)
        rejected(fc.sign_event(sub, ORIGIN, "interop-malformed", evb), None, what)
    def envelope(**kw):
        e = claim_pb2.SignedEvent()
        e.CopyFrom(fc.make_signed_event(sub, ORIGIN, kw.pop("eid", "interop-env"), fresh))
        for k, v in kw.items():
            setattr(e, k, v)
        return e
    rejected(envelope(version=2), None, "envelope version 2")
    rejected(envelope(version=0), None, "envelope version 0")
    rejected(envelope(eid="bad id!"), None, "event id with a space and '!'")
    rejected(envelope(eid="x" * 129), None, "event id of 129 bytes")
    rejected(envelope(eid=""), None, "empty event id")
    se63 = envelope()
    se63.signature = se63.signature[:63]
    rejected(se63, None, "63-byte signature")
    se31 = envelope()
    se31.key_id = se31.key_id[:31]
    rejected(se31, None, "31-byte key id")
    r, code = rpc_code(stub.Append, pb.AppendRequest())
    print("probe: AppendRequest without an event -> %s" % code)
    R.check(code is not None, "AppendRequest without an event is refused")
    ok128 = envelope(eid="y" * 128)

    def register_submitter(key, eid, holder, what):
        append_ok(fc.make_signed_event(admin, ORIGIN, eid,
                                       claim_pb2.Event(key_registered=claim_pb2.KeyRegistered(
                                           public_key=key.public_key,
                                           role=claim_pb2.KeyRegistered.SUBMITTER,
                                           holder=holder))), what)

    R.section("claim lifecycle (§7)")
    sub2 = fc.SigningKey.generate()
    register_submitter(sub2, "interop-register-submitter-2", "second submitter",
                       "register submitter 2")

    R.section("revocation as compromised (§7)")
    leaked = fc.SigningKey.generate()
    register_submitter(leaked, "interop-register-leaked", "a key that leaks",
                       "register the leaked key")

    def revoke_leaked(since):
        return claim_pb2.Event(key_revoked=claim_pb2.KeyRevoked(
            key_id=fc.key_id(leaked.public_key), reason="leaked",
            compromise=claim_pb2.Compromise(since_sequence=since)))
    rejected(fc.make_signed_event(admin, ORIGIN, "interop-revoke-future",
                                  revoke_leaked(len(leaves) + 5)),
             grpc.StatusCode.INVALID_ARGUMENT, "a compromise window after its revocation")
    append_ok(fc.make_signed_event(admin, ORIGIN, "interop-revoke-leaked",
                                   revoke_leaked(len(leaves) - 1)),
              "revoke the leaked key as compromised since its registration")
    followups = []
    with open(seed_path.replace("seed-claims.jsonl", "seed-followups.jsonl")) as f:
        for line in f:
            if line.strip():
                followups.append(json_format.Parse(line, claim_pb2.EventDraft()))
    for d in followups:
        append_ok(fc.make_signed_event(sub, ORIGIN, d.event_id, d.event), d.event_id)
    corr_id = [d.event_id for d in followups if d.event.HasField("claim_corrected")][0]
    c1, c3 = drafts[1].event_id, drafts[3].event_id

    def correction(of):
        return claim_pb2.Event(claim_corrected=claim_pb2.ClaimCorrected(
            corrects_claim_id=of, claim=drafts[1].event.claim_asserted.claim, reason="r"))

    def retraction(of):
        return claim_pb2.Event(claim_retracted=claim_pb2.ClaimRetracted(claim_id=of,
                                                                         reason="r"))

    def review(of):
        return claim_pb2.Event(claim_reviewed=claim_pb2.ClaimReviewed(
            claim_id=of, rating_value=1, best_rating=5, worst_rating=1, rating_text="x",
            reviewer="Interop Desk"))

    rejected(fc.make_signed_event(sub, ORIGIN, "interop-lc-1", correction("no-such-claim")),
             None, "correction of an unknown claim id")
    rejected(fc.make_signed_event(sub, ORIGIN, "interop-lc-1", correction(corr_id)),
             None, "correction naming a correction's id")
    rejected(fc.make_signed_event(sub2, ORIGIN, "interop-lc-1", correction(c1)),
             None, "correction by another submitter key")
    rejected(fc.make_signed_event(sub2, ORIGIN, "interop-lc-1", retraction(c1)),
             None, "retraction by another submitter key")
    rejected(fc.make_signed_event(sub, ORIGIN, "interop-lc-1", review("no-such-claim")),
             None, "review of an unknown claim id")
    append_ok(fc.make_signed_event(admin, ORIGIN, "interop-lc-admin-corr", correction(c1)),
              "correction by an admin key")
    append_ok(fc.make_signed_event(sub, ORIGIN, "interop-lc-corr-again", correction(c1)),
              "second correction by the asserting key")
    append_ok(fc.make_signed_event(sub, ORIGIN, "interop-lc-retract", retraction(c3)),
              "retraction by the asserting key")
    rejected(fc.make_signed_event(sub, ORIGIN, "interop-lc-1", correction(c3)),
             None, "correction of a retracted claim")
    rejected(fc.make_signed_event(admin, ORIGIN, "interop-lc-1", retraction(c3)),
             None, "second retraction (by an admin)")
    append_ok(fc.make_signed_event(sub2, ORIGIN, "interop-lc-review", review(c3)),
              "review of a retracted claim by another key")

    # The rejected ids were not consumed: the valid versions append normally.
    append_ok(ok128, "event id of 128 bytes")
    append_ok(se, "interop-fresh-1 after rejections")
    append_ok(fc.make_signed_event(admin, ORIGIN, "interop-admin-claim", drafts[2].event),
              "claim signed by the admin key")
    n_head = len(leaves)

    R.section("ListEntries")
    listed = []
    start = 0
    while True:
        page = stub.ListEntries(pb.ListEntriesRequest(start_sequence=start, max_entries=5),
                                timeout=RPC_TIMEOUT)
        if not page.entries:
            break
        listed.extend(page.entries)
        start = page.entries[-1].sequence + 1
        R.check(page.tree_size == n_head, "ListEntries tree_size")
    R.check([e.sequence for e in listed] == list(range(n_head)),
            "ListEntries returns sequences 0..%d" % (n_head - 1))
    R.check([bytes(e.leaf_data) for e in listed] == leaves,
            "ListEntries leaf data equals GetEntry's")
    all_page = stub.ListEntries(pb.ListEntriesRequest(), timeout=RPC_TIMEOUT)
    R.check(len(all_page.entries) == n_head, "ListEntries with defaults returns everything")

    R.section("checkpoints at every size")
    for n in range(1, n_head + 1):
        r, code = rpc_code(stub.GetCheckpoint, pb.GetCheckpointRequest(tree_size=n))
        if code == grpc.StatusCode.NOT_FOUND:
            continue
        if not R.check(code is None, "GetCheckpoint(%d): %s" % (n, code)):
            continue
        try:
            cp = fc.verify_checkpoint(r.checkpoint, verifier)
        except fc.NoteError as e:
            R.check(False, "checkpoint %d verifies: %s" % (n, e))
            continue
        R.check(cp.tree_size == n == r.tree_size and cp.root_hash == bytes(r.root_hash) ==
                tree.root(n), "checkpoint %d: size and root agree with our MTH" % n)
        checkpoints[n] = r.checkpoint
    R.check(n_head in checkpoints, "a checkpoint exists at the head")
    print("checkpoints available at sizes %s" % sorted(checkpoints))
    R.check(fc.mth([fc.leaf_hash(l) for l in leaves]) == tree.root(),
            "recursive MTH equals incremental MTH")

    R.section("verify_log (§8)")
    ok, bad_seq, problem = fc.verify_log(listed, list(checkpoints.values()), ORIGIN,
                                         verifier.public_key, [admin.public_key])
    R.check(ok, "verify_log over all entries and checkpoints: %s %s" % (bad_seq, problem))
    ok, _, problem = fc.verify_log(leaves, list(checkpoints.values()), ORIGIN,
                                   verifier.to_string(), [admin.public_key])
    R.check(ok, "verify_log over raw leaf data: %s" % problem)

    roots = {}
    for n, note in checkpoints.items():
        roots[n] = fc.verify_checkpoint(note, verifier).root_hash

    def root_of(n, served):
        if n in roots:
            return roots[n]
        R.check(bytes(served) == tree.root(n), "served root at %d equals our MTH" % n)
        return tree.root(n)

    R.section("inclusion proofs")
    n_inc = n_inc_bad = 0
    for size in range(1, n_head + 1):
        for seq in range(size):
            r = stub.GetInclusionProof(pb.GetInclusionProofRequest(sequence=seq,
                                                                   tree_size=size),
                                       timeout=RPC_TIMEOUT)
            root = root_of(size, r.root_hash)
            lh = fc.leaf_hash(leaves[seq])
            R.check(r.sequence == seq and r.tree_size == size and bytes(r.leaf_hash) == lh and
                    bytes(r.root_hash) == root, "inclusion(%d,%d) response fields" % (seq, size))
            ok = fc.verify_inclusion(seq, size, lh, list(r.hashes), root)
            R.check(ok, "inclusion proof of %d in %d verifies" % (seq, size))
            n_inc += 1
            if r.hashes:
                h = list(r.hashes)
                i = seq % len(h)
                h[i] = flip_bit(h[i], (seq * 7) % 32, seq % 8)
                R.check(not fc.verify_inclusion(seq, size, lh, h, root),
                        "mutated inclusion proof of %d in %d fails" % (seq, size))
                R.check(not fc.verify_inclusion(seq, size, lh, list(r.hashes) + [lh], root),
                        "inclusion proof with an extra hash fails")
                n_inc_bad += 1
            else:
                R.check(size == 1, "only the size-1 tree has an empty inclusion proof")
            if seq + 1 < size:
                R.check(not fc.verify_inclusion(seq + 1, size, lh, list(r.hashes), root),
                        "inclusion proof for the wrong index fails")
    # By leaf hash, latest size.
    r = stub.GetInclusionProof(pb.GetInclusionProofRequest(leaf_hash=fc.leaf_hash(leaves[3])),
                               timeout=RPC_TIMEOUT)
    R.check(r.sequence == 3 and r.tree_size == n_head and
            fc.verify_inclusion(3, n_head, fc.leaf_hash(leaves[3]), list(r.hashes),
                                roots[n_head]), "inclusion proof by leaf hash at the head")
    print("inclusion proofs verified: %d (mutated and rejected: %d)" % (n_inc, n_inc_bad))

    R.section("consistency proofs")
    n_con = n_con_bad = 0
    for n in range(1, n_head + 1):
        for m in range(1, n + 1):
            r = stub.GetConsistencyProof(pb.GetConsistencyProofRequest(from_tree_size=m,
                                                                       to_tree_size=n),
                                         timeout=RPC_TIMEOUT)
            rm, rn = root_of(m, r.from_root_hash), root_of(n, r.to_root_hash)
            R.check(r.from_tree_size == m and r.to_tree_size == n and
                    bytes(r.from_root_hash) == rm and bytes(r.to_root_hash) == rn,
                    "consistency(%d,%d) response fields" % (m, n))
            ok = fc.verify_consistency(m, n, rm, rn, list(r.hashes))
            R.check(ok, "consistency proof %d -> %d verifies" % (m, n))
            n_con += 1
            if r.hashes:
                h = list(r.hashes)
                i = (m + n) % len(h)
                h[i] = flip_bit(h[i], (m * 5 + n) % 32, n % 8)
                R.check(not fc.verify_consistency(m, n, rm, rn, h),
                        "mutated consistency proof %d -> %d fails" % (m, n))
                n_con_bad += 1
            else:
                R.check(m == n, "only m == n has an empty consistency proof (%d,%d)" % (m, n))
            if m < n:
                R.check(not fc.verify_consistency(m, n, rn, rm, list(r.hashes)),
                        "consistency proof with swapped roots fails")
    r, code = rpc_code(stub.GetConsistencyProof,
                       pb.GetConsistencyProofRequest(from_tree_size=3))
    R.check(code is None and r.to_tree_size == n_head and
            fc.verify_consistency(3, n_head, roots[3] if 3 in roots else tree.root(3),
                                  roots[n_head], list(r.hashes)),
            "consistency proof to the latest size (to_tree_size = 0)")
    for req in (pb.GetConsistencyProofRequest(from_tree_size=0, to_tree_size=4),
                pb.GetConsistencyProofRequest(from_tree_size=5, to_tree_size=4),
                pb.GetConsistencyProofRequest(from_tree_size=1, to_tree_size=n_head + 1)):
        r, code = rpc_code(stub.GetConsistencyProof, req)
        print("probe: consistency %d -> %d: %s" % (req.from_tree_size, req.to_tree_size,
              code or "%d hashes" % len(r.hashes)))
    for req in (pb.GetInclusionProofRequest(sequence=n_head, tree_size=0),
                pb.GetInclusionProofRequest(sequence=0, tree_size=n_head + 1),
                pb.GetInclusionProofRequest(leaf_hash=b"\x00" * 32)):
        r, code = rpc_code(stub.GetInclusionProof, req)
        print("probe: inclusion %s: %s" % (str(req).replace("\n", " "), code or "ok"))
    r, code = rpc_code(stub.GetCheckpoint, pb.GetCheckpointRequest(tree_size=n_head + 1))
    print("probe: GetCheckpoint(head+1): %s" % (code or "ok"))
    R.check(code is not None, "GetCheckpoint beyond the head is an error")
    r, code = rpc_code(stub.GetEntry, pb.GetEntryRequest(sequence=n_head))
    R.check(code is not None, "GetEntry beyond the head is an error (%s)" % code)
    print("consistency proofs verified: %d (mutated and rejected: %d)" % (n_con, n_con_bad))

    R.section("negative controls for verify_log")
    notes = list(checkpoints.values())
    target = 5
    leaf5 = fc.decode_leaf(leaves[target])
    # Change one byte of the event inside a string (a letter of the statement text), so the
    # event still parses and only the signature can catch it.
    text = drafts[target - 1].event.claim_asserted.claim.statement.text.encode()
    pos = leaf5.event.find(text)
    assert pos >= 0
    bad_event = bytearray(leaf5.event)
    bad_event[pos] ^= 0x20  # swap letter case
    bad_event = bytes(bad_event)
    ev_off = len(leaves[target]) - len(leaf5.event)
    mutated = list(leaves)
    mutated[target] = leaves[target][:ev_off] + bad_event
    ok, bad_seq, problem = fc.verify_log(mutated, notes, ORIGIN, verifier.public_key,
                                         [admin.public_key])
    R.check(not ok and bad_seq == target,
            "one changed event byte: verify_log reports sequence %d first bad (got %s: %s)"
            % (target, bad_seq, problem))
    print("negative control: first_bad=%s problem=%r" % (bad_seq, problem))
    mentries = []
    for e in listed:
        c = pb.Entry()
        c.CopyFrom(e)
        mentries.append(c)
    mentries[target].leaf_data = mutated[target]
    mentries[target].signed_event.event = bad_event
    mentries[target].ClearField("leaf_hash")
    ok, bad_seq, _ = fc.verify_log(mentries, notes, ORIGIN, verifier.public_key,
                                   [admin.public_key])
    R.check(not ok and bad_seq == target, "same with Entry messages")
    ok, bad_seq, _ = fc.verify_log(leaves[:7] + leaves[8:], notes, ORIGIN, verifier.public_key,
                                   [admin.public_key])
    R.check(not ok, "a dropped entry is detected by the checkpoints (%s)" % bad_seq)
    ok, bad_seq, _ = fc.verify_log(leaves, notes, ORIGIN, verifier.public_key, [])
    R.check(not ok and bad_seq == 0, "without the genesis admin key, entry 0 is bad")
    ok, bad_seq, _ = fc.verify_log(leaves, notes, "other.example/log", verifier.public_key,
                                   [admin.public_key])
    R.check(not ok and bad_seq == 0, "wrong origin: entry 0 is bad")
    ok, bad_seq, _ = fc.verify_log(leaves[:-1], notes, ORIGIN, verifier.public_key,
                                   [admin.public_key])
    R.check(not ok and bad_seq is None, "checkpoint beyond the entries is detected")
    ok, _, _ = fc.verify_log(leaves + [leaves[-1]], [], ORIGIN, verifier.public_key,
                             [admin.public_key])
    R.check(not ok, "a repeated event id is detected")
    ok, bad_seq, _ = fc.verify_log(leaves[:4] + [leaves[4] + b"\x00"] + leaves[5:], [], ORIGIN,
                                   verifier.public_key, [admin.public_key])
    R.check(not ok and bad_seq == 4, "trailing leaf byte is detected")
    ok, bad_seq, _ = fc.verify_log(leaves[:4] + [b"\x02" + leaves[4][1:]] + leaves[5:], [],
                                   ORIGIN, verifier.public_key, [admin.public_key])
    R.check(not ok and bad_seq == 4, "unknown entry version is detected")
    t_last = fc.decode_leaf(leaves[-1]).recorded_time_micros
    for what, key, eid, ev in (
            ("correction by a non-owner", sub2, "x-1", correction(drafts[5].event_id)),
            ("retraction of an unknown claim", sub, "x-2", retraction("nope")),
            ("correction of a retracted claim", admin, "x-3", correction(c3)),
            ("review of an unknown claim", sub, "x-4", review("nope"))):
        se = fc.make_signed_event(key, ORIGIN, eid, ev)
        extra = fc.encode_leaf(t_last, eid, key.key_id, se.signature, se.event)
        ok, bad_seq, problem = fc.verify_log(leaves + [extra], [], ORIGIN, verifier.public_key,
                                             [admin.public_key])
        R.check(not ok and bad_seq == len(leaves),
                "verify_log flags a forged %s (%s: %s)" % (what, bad_seq, problem))
    se = fc.make_signed_event(sub, ORIGIN, "x-5", correction(drafts[5].event_id))
    extra = fc.encode_leaf(t_last - 1, "x-5", sub.key_id, se.signature, se.event)
    ok, bad_seq, problem = fc.verify_log(leaves + [extra], [], ORIGIN, verifier.public_key,
                                         [admin.public_key])
    R.check(not ok and bad_seq == len(leaves) and "time" in problem,
            "verify_log flags a decreasing recorded time (%s)" % problem)

    R.section("known disagreement: an event with two bodies (§2 'exactly one body')")
    # Protobuf keeps the last of several oneof fields, so these bytes parse as a retraction
    # although they also carry a (signed) assertion. §2 says an event has exactly one body.
    two = fc.serialize_event(fresh) + fc.serialize_event(claim_pb2.Event(
        claim_retracted=claim_pb2.ClaimRetracted(claim_id=drafts[0].event_id, reason="x")))
    R.check(fc.parse_event_strict(two)[0] is None, "our strict parser refuses two bodies")
    before = head()
    resp, code = rpc_code(stub.Append, pb.AppendRequest(
        event=fc.sign_event(sub, ORIGIN, "interop-two-bodies", two)))
    if code is not None:
        R.check(head() == before, "two-body event refused (%s), tree unchanged" % code)
    else:
        DISCREPANCIES.append("ledgerd accepted an event with two bodies (claim_asserted + "
                             "claim_retracted) at sequence %d; docs/format.md §2 says an event "
                             "has exactly one body" % resp.sequence)
        leaf_data = bytes(stub.GetEntry(pb.GetEntryRequest(sequence=resp.sequence),
                                        timeout=RPC_TIMEOUT).entry.leaf_data)
        leaves.append(leaf_data)
        tree.append(fc.leaf_hash(leaf_data))
        R.check(resp.sequence == len(leaves) - 1 and bytes(resp.leaf_hash) ==
                fc.leaf_hash(leaf_data), "two-body entry: sequence and leaf hash")
        cp = fc.verify_checkpoint(resp.checkpoint, verifier)
        R.check(cp.root_hash == tree.root(cp.tree_size), "two-body entry: checkpoint root")
        ok, bad_seq, problem = fc.verify_log(leaves, [resp.checkpoint], ORIGIN,
                                             verifier.public_key, [admin.public_key])
        R.check(not ok and bad_seq == resp.sequence,
                "our verify_log flags the two-body entry (%s: %s)" % (bad_seq, problem))
        STATE["two_body_sequence"] = resp.sequence

    STATE["size"] = len(leaves)
    STATE["root"] = tree.root()


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    ledgerd, ledgerctl, seed = (os.path.abspath(a) for a in sys.argv[1:])
    base = os.environ.get("TEST_TMPDIR") or tempfile.gettempdir()
    tmp = tempfile.mkdtemp(prefix="interop.", dir=base)
    try:
        check_worked_example()
        check_key_files(tmp, ledgerctl)
        run_against_server(ledgerd, ledgerctl, seed, tmp)
    except Exception:
        traceback.print_exc()
        R.failed.append("unexpected exception (see above)")
    print()
    print("interop summary: %d checks passed, %d failed" % (R.passed, len(R.failed)))
    for f in R.failed:
        print("  FAILED: %s" % f)
    if DISCREPANCIES:
        print("known disagreements between docs/format.md and the server (not failures):")
        for d in DISCREPANCIES:
            print("  SPEC: %s" % d)
    if os.path.exists(os.path.join(tmp, "ledgerd.log")) and R.failed:
        print("--- ledgerd log ---")
        with open(os.path.join(tmp, "ledgerd.log")) as f:
            print(f.read())
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
