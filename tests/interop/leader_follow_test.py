"""The Python client with several endpoints (factledger_client.LeaderFollowingAppender) against
a real leader ledgerd and a real follower (`ledgerd init-follower`, `serve --follow`) on
loopback: the NOT_LEADER refusal's leader hint decoded both ways (generated google.rpc modules
and the minimal wire parse), the append landing on the leader from [follower, leader] and from
[dead, follower, leader], a resend answering duplicate=true with the original sequence, a real
refusal raised at once, and the precise error when no endpoint leads.

Usage: leader_follow_test.py LEDGERD
"""

import os
import re
import socket
import subprocess
import sys

import grpc

from ledger.v1 import claim_pb2
from ledger.v1 import ledger_service_pb2 as pb
from ledger.v1 import ledger_service_pb2_grpc as pb_grpc

import factledger_client as fc
import checks
from checks import Results, wait_until

ORIGIN = "leader-follow.example/log"
RPC_TIMEOUT = 30

R = Results()


def dead_endpoint():
    """A loopback address nothing listens on (a port just bound and released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "127.0.0.1:%d" % port


def claim_event(key, event_id):
    ev = fc.claim_asserted("Follower Test %s" % event_id,
                           "Event %s reaches the leader through a follower." % event_id,
                           "https://leader-follow.test/%s" % event_id)
    return fc.make_signed_event(key, ORIGIN, event_id, ev)


def stub_factory(channels):
    def make(endpoint):
        ch = grpc.insecure_channel(endpoint)
        channels.append(ch)
        return pb_grpc.LedgerServiceStub(ch)
    return make


def check_parsers():
    """Both decoders on hand-built google.rpc.Status bytes: same answers, no hint in bytes that
    are not a Status."""
    R.section("leader hint decoders (generated google.rpc modules and the wire parse)")
    R.check(fc.HAVE_GENERATED_RPC_STATUS,
            "the genrule's google.rpc status_pb2/error_details_pb2 are importable")
    from google.rpc import error_details_pb2, status_pb2
    st = status_pb2.Status(code=9, message="not the leader; the leader is 10.0.0.1:50051")
    br = error_details_pb2.BadRequest()
    br.field_violations.add(field="x", description="y")
    st.details.add().Pack(br)
    info = error_details_pb2.ErrorInfo(reason="NOT_LEADER", domain="factledger.dev")
    info.metadata["leader"] = "10.0.0.1:50051"
    info.metadata["field"] = ""
    st.details.add().Pack(info)
    b = st.SerializeToString()
    for gen in (True, False):
        how = "generated" if gen else "wire parse"
        infos = fc.error_infos(b, use_generated=gen)
        R.check(len(infos) == 1 and infos[0].reason == "NOT_LEADER" and
                infos[0].domain == "factledger.dev", "%s: one ErrorInfo, NOT_LEADER (%r)" %
                (how, infos))
        R.check(fc.leader_hint(b, use_generated=gen) == "10.0.0.1:50051",
                "%s: the hint is metadata[\"leader\"]" % how)
        no_hint = status_pb2.Status(code=3)
        no_hint.details.add().Pack(error_details_pb2.ErrorInfo(reason="SIGNATURE_INVALID"))
        R.check(fc.leader_hint(no_hint.SerializeToString(), use_generated=gen) is None,
                "%s: no leader key, no hint" % how)
        R.check(fc.leader_hint(b"", use_generated=gen) is None, "%s: empty bytes" % how)
        R.check(fc.leader_hint(b[:-3], use_generated=gen) is None,
                "%s: truncated Status gives no hint" % how)
        R.check(fc.leader_hint(b"\x1a\x05\x0a\x03abc\xff", use_generated=gen) is None,
                "%s: garbage gives no hint" % how)
    # A hint that is not an ErrorInfo's is not a hint (the other Any's bytes carry "leader").
    st2 = status_pb2.Status(code=9)
    fake = st2.details.add()
    fake.type_url = "type.googleapis.com/example.Other"
    fake.value = info.SerializeToString()
    for gen in (True, False):
        R.check(fc.leader_hint(st2.SerializeToString(), use_generated=gen) is None,
                "%s: an ErrorInfo-shaped Any of another type is ignored" % (
                    "generated" if gen else "wire parse"))


def run(ledgerd, tmp):
    check_parsers()

    R.section("a leader and a plain follower (init-follower, serve --follow) on loopback")
    admin = fc.SigningKey.generate()
    fc.write_private_key(os.path.join(tmp, "admin.key"), admin)
    fc.write_public_key(os.path.join(tmp, "admin.pub"), admin.public_key)
    init = subprocess.run([ledgerd, "init", "--data-dir", os.path.join(tmp, "L"), "--origin",
                           ORIGIN, "--admin-key", os.path.join(tmp, "admin.pub")],
                          capture_output=True, text=True, timeout=60)
    if not R.check(init.returncode == 0, "ledgerd init exits 0 (%s)" % init.stderr):
        return
    vkey = re.search(r"^checkpoint verifier key: (\S+)$", init.stdout, re.M).group(1)
    # The follower's keys come from our own records (the verifier key init printed, our
    # admin key), never from the leader.
    finit = subprocess.run([ledgerd, "init-follower", "--data-dir", os.path.join(tmp, "F"),
                            "--origin", ORIGIN, "--log-key", vkey,
                            "--admin-key", os.path.join(tmp, "admin.pub")],
                           capture_output=True, text=True, timeout=60)
    if not R.check(finit.returncode == 0, "ledgerd init-follower exits 0 (%s)" % finit.stderr):
        return
    servers, channels = [], []
    try:
        leader = checks.ServedLedgerd(ledgerd, os.path.join(tmp, "L"), tmp, "leader")
        servers.append(leader)
        follower = checks.ServedLedgerd(ledgerd, os.path.join(tmp, "F"), tmp, "follower",
                           ["--follow", leader.address])
        servers.append(follower)
        checks_with_servers(leader, follower, admin, channels)
    finally:
        for ch in channels:
            ch.close()
        for s in reversed(servers):
            s.kill()
    if R.failed:
        for s in servers:
            with open(s.log_path) as f:
                print("--- %s ---\n%s" % (s.log_path, f.read()))


def checks_with_servers(leader, follower, admin, channels):
    R.section("the follower's refusal, decoded")
    probe = claim_event(admin, "probe-1")
    try:
        follower.stub.Append(pb.AppendRequest(event=probe), timeout=RPC_TIMEOUT)
        R.check(False, "an append to the follower is refused")
        return
    except grpc.RpcError as e:
        R.check(e.code() == grpc.StatusCode.FAILED_PRECONDITION,
                "follower refuses with FAILED_PRECONDITION (got %s)" % e.code())
        details = [v for k, v in e.trailing_metadata() if k == fc.STATUS_DETAILS_KEY]
        R.check(len(details) == 1, "one grpc-status-details-bin trailer")
        for gen in (True, False):
            infos = fc.error_infos(details[0], use_generated=gen)
            R.check([i.reason for i in infos] == ["NOT_LEADER"],
                    "ErrorInfo reason NOT_LEADER (%s)" % infos)
            R.check(fc.leader_hint(details[0], use_generated=gen) == leader.address,
                    "the hint names the leader %s (%s)" % (
                        leader.address, "generated" if gen else "wire parse"))

    make = stub_factory(channels)

    R.section("[follower, leader]: the append lands on the leader")
    ap = fc.LeaderFollowingAppender([follower.address, leader.address], make)
    se1 = probe  # the event the follower refused, resent as is
    r1 = ap.append(se1)
    R.check(ap.leader == leader.address, "acknowledged by the leader (%s)" % ap.attempts)
    R.check(len(ap.attempts) == 2 and ap.attempts[0][0] == follower.address and
            "NOT_LEADER" in ap.attempts[0][1] and leader.address in ap.attempts[0][1],
            "first the follower's NOT_LEADER naming the leader, then the leader (%s)" %
            ap.attempts)
    R.check(not r1.duplicate, "first append is not a duplicate")
    got = leader.stub.GetEntry(pb.GetEntryRequest(sequence=r1.sequence), timeout=RPC_TIMEOUT)
    R.check(got.entry.signed_event.event_id == "probe-1" and
            bytes(got.entry.signed_event.signature) == bytes(se1.signature),
            "the leader's entry at the returned sequence %d is the event" % r1.sequence)
    r1b = ap.append(se1)
    R.check(r1b.duplicate and r1b.sequence == r1.sequence and len(ap.attempts) == 1,
            "the same appender resends to the leader it found: duplicate, sequence %d (%s)" %
            (r1.sequence, ap.attempts))
    fresh = fc.LeaderFollowingAppender([follower.address, leader.address], make)
    r1c = fresh.append(se1)
    R.check(r1c.duplicate and r1c.sequence == r1.sequence,
            "a fresh client resending the same id through the follower: duplicate=true, "
            "sequence %d (got %s, %d)" % (r1.sequence, r1c.duplicate, r1c.sequence))

    R.section("[dead, follower, leader]")
    dead = dead_endpoint()
    ap2 = fc.LeaderFollowingAppender([dead, follower.address, leader.address], make)
    se2 = claim_event(admin, "probe-2")
    r2 = ap2.append(se2)
    R.check(ap2.leader == leader.address and not r2.duplicate and r2.sequence == r1.sequence + 1,
            "acknowledged by the leader at sequence %d (%s)" % (r1.sequence + 1, ap2.attempts))
    R.check([a[0] for a in ap2.attempts] == [dead, follower.address, leader.address] and
            ap2.attempts[0][1].startswith("UNAVAILABLE"),
            "dead (UNAVAILABLE), then follower, then leader (%s)" % ap2.attempts)
    r2b = fc.LeaderFollowingAppender([dead, follower.address, leader.address], make).append(se2)
    R.check(r2b.duplicate and r2b.sequence == r2.sequence,
            "resent through [dead, follower, leader]: duplicate=true, sequence %d" % r2.sequence)

    R.section("a refusal that is the answer is raised at once")
    bad = claim_pb2.SignedEvent()
    bad.CopyFrom(claim_event(admin, "probe-bad"))
    bad.signature = bytes([bad.signature[0] ^ 1]) + bytes(bad.signature[1:])
    ap3 = fc.LeaderFollowingAppender([follower.address, leader.address], make)
    try:
        ap3.append(bad)
        R.check(False, "a bad signature is refused")
    except grpc.RpcError as e:
        info = fc.rpc_error_info(e)
        R.check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and info is not None and
                info.reason == "SIGNATURE_INVALID",
                "INVALID_ARGUMENT SIGNATURE_INVALID from the leader (%s %s)" % (e.code(), info))
        R.check(len(ap3.attempts) == 2, "not retried (%s)" % ap3.attempts)

    R.section("bad configuration")
    for endpoints in ([], "", ["a:1", ""]):
        try:
            fc.LeaderFollowingAppender(endpoints, make)
            R.check(False, "endpoints %r refused" % (endpoints,))
        except ValueError as e:
            R.check("endpoints" in str(e), "endpoints %r: %s" % (endpoints, e))

    R.section("no leader: the precise error")
    # The follower has everything before its leader goes.
    wait_until(lambda: follower.stub.GetLogInfo(pb.GetLogInfoRequest(),
                                                timeout=RPC_TIMEOUT).tree_size >= r2.sequence + 1,
               30, "the follower to replicate sequence %d" % r2.sequence)
    R.check(leader.stop() == 0, "the leader exits 0 on SIGTERM")
    se3 = claim_event(admin, "probe-3")
    for endpoints, attempts in (([dead, follower.address], 6), ([follower.address], 4),
                                ([dead, dead_endpoint()], 5)):
        ap4 = fc.LeaderFollowingAppender(endpoints, make, max_attempts=attempts, deadline_s=20)
        try:
            ap4.append(se3)
            R.check(False, "%s: no endpoint acknowledges" % endpoints)
            continue
        except fc.LeaderNotReached as e:
            msg = str(e)
            print("  %s -> %s" % (endpoints, msg))
            R.check(len(e.attempts) == attempts and e.endpoints == endpoints,
                    "%s: gave up after exactly %d attempts (%d)" % (endpoints, attempts,
                                                                   len(e.attempts)))
            R.check("'probe-3'" in msg and "%d attempt(s)" % attempts in msg and
                    ",".join(endpoints) in msg and "final error: UNAVAILABLE" in msg,
                    "%s: the message names the event, the count, the endpoints and the last "
                    "error: %s" % (endpoints, msg))
            R.check(e.last_error is not None and
                    e.last_error.code() == grpc.StatusCode.UNAVAILABLE,
                    "%s: last_error is the last RpcError (UNAVAILABLE)" % endpoints)
            if follower.address in endpoints:
                R.check("NOT_LEADER" in msg and "(leader hint %s)" % leader.address in msg and
                        "%s -> UNAVAILABLE" % leader.address in msg,
                        "%s: the follower's hint was followed to the dead leader" % endpoints)
    ap5 = fc.LeaderFollowingAppender([follower.address], make, max_attempts=100, deadline_s=1.0)
    try:
        ap5.append(se3)
        R.check(False, "deadline: no endpoint acknowledges")
    except fc.LeaderNotReached as e:
        R.check(len(e.attempts) < 100,
                "the deadline stops it before max_attempts (%d attempts)" % len(e.attempts))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    R.main(run, "leader_follow.", [os.path.abspath(a) for a in sys.argv[1:]])
