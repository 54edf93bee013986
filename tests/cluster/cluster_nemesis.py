#!/usr/bin/python3
"""Jepsen-style test of ledgerd's cluster mode (docs/reliability.md, "Cluster failover").

Starts 3 etcd members and 3 ledgerd nodes (--cluster) on loopback, each node under a supervisor
that starts it again whenever it exits (as systemd's Restart=always would: roles change within
the process, but a node exits 75 to set a conflicting log aside, and kill -9 ends it). Concurrent appenders submit events with unique ids to whichever node they
believe leads (following the leader hint a follower's refusal carries, else trying the others),
retrying an unanswered event with the SAME id. A nemesis meanwhile, in rotation:
  kill      kill -9 the leader;
  pause     SIGSTOP the leader past its lease, then SIGCONT it once a new leader acknowledged;
  follower  kill -9 a follower;
  etcd      kill -9 one etcd member and start it again.
Then the checker proves, against the final log:
  - every acknowledged event is in the log at its acknowledged sequence number (lost acks: 0);
  - every checkpoint any client received (append responses, GetCheckpoint polls) verifies and is
    consistent with the final log (forks: 0);
  - all nodes converge to the same size and root.
It prints failovers, lost acks, forks, and the time from a leader's death (kill or pause) to
the first acknowledged append on the next leader (p50, p99); exits 1 on any violation.

usage: cluster_nemesis.py LEDGERD LEDGERCTL WORKDIR FAILOVERS [--seed N] [--appenders N]
"""
import argparse
import base64
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc
from google.protobuf import json_format
from ledger.v1 import claim_pb2
from ledger.v1 import ledger_service_pb2 as pb
from ledger.v1 import ledger_service_pb2_grpc as pb_grpc
import factledger_client as fc

ORIGIN = "cluster.test/log"
PREFIX = "/factledger/%s/" % ORIGIN
LEASE_TTL = 2
RPC_TIMEOUT = 2


def log(msg):
    sys.stderr.write("[%8.3f] %s\n" % (time.monotonic() - T0, msg))
    sys.stderr.flush()


T0 = time.monotonic()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


class Etcd:
    def __init__(self, work, names):
        self.members = []
        for name in names:
            self.members.append({"name": name, "client": free_port(), "peer": free_port(),
                                 "dir": os.path.join(work, "etcd-" + name), "proc": None})
        self.initial = ",".join("%s=http://127.0.0.1:%d" % (m["name"], m["peer"])
                                for m in self.members)
        self.endpoints = ",".join("http://127.0.0.1:%d" % m["client"] for m in self.members)
        self.work = work

    def start(self, m):
        out = open(os.path.join(self.work, "etcd-%s.log" % m["name"]), "ab")
        m["proc"] = subprocess.Popen(
            ["/usr/bin/etcd", "--name", m["name"], "--data-dir", m["dir"],
             "--listen-client-urls", "http://127.0.0.1:%d" % m["client"],
             "--advertise-client-urls", "http://127.0.0.1:%d" % m["client"],
             "--listen-peer-urls", "http://127.0.0.1:%d" % m["peer"],
             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % m["peer"],
             "--initial-cluster", self.initial, "--initial-cluster-state", "new",
             "--initial-cluster-token", "factledger-test"],
            stdout=out, stderr=out)

    def start_all(self):
        for m in self.members:
            self.start(m)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.get("/ping") is not None or self._healthy():
                return
            time.sleep(0.2)
        raise RuntimeError("etcd did not start")

    def _healthy(self):
        r = subprocess.run(["/usr/bin/etcdctl", "--endpoints", self.endpoints, "endpoint",
                            "health", "--cluster"], env=dict(os.environ, ETCDCTL_API="3"),
                           capture_output=True, timeout=20)
        return r.returncode == 0

    def get(self, key):
        """(value, create_revision) of `key`, or None (absent or etcd unreachable)."""
        try:
            r = subprocess.run(["/usr/bin/etcdctl", "--endpoints", self.endpoints,
                                "--command-timeout=2s", "get", key, "-w", "json"],
                               env=dict(os.environ, ETCDCTL_API="3"), capture_output=True,
                               timeout=10)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0:
            return None
        kvs = json.loads(r.stdout.decode()).get("kvs") or []
        if not kvs:
            return None
        return base64.b64decode(kvs[0]["value"]).decode(), int(kvs[0]["create_revision"])

    def kill_all(self):
        for m in self.members:
            if m["proc"] is not None and m["proc"].poll() is None:
                m["proc"].kill()
                m["proc"].wait()


class Node:
    """One ledgerd under a supervisor thread that restarts it whenever it exits."""

    def __init__(self, name, ledgerd, data_dir, work, etcd_endpoints):
        self.name = name
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.cmd = [ledgerd, "serve", "--data-dir", data_dir, "--listen", self.address,
                    "--cluster", etcd_endpoints, "--node-id", name, "--advertise", self.address,
                    "--cluster-nodes", "3", "--lease-ttl", str(LEASE_TTL),
                    "--ack-timeout-ms", "4000", "--scrub-interval-hours", "0",
                    "--min-free-bytes", "0"]
        self.log_path = os.path.join(work, "%s.log" % name)
        self.proc = None
        self.lock = threading.Lock()
        self.stopping = False
        self.exits = []
        self.released = threading.Event()  # cleared: the supervisor does not restart it yet
        self.released.set()
        self.thread = threading.Thread(target=self._supervise, daemon=True)
        # Reconnect within half a second of a node coming back (gRPC's default backoff grows to
        # two minutes and would measure the client, not the cluster).
        self.channel = grpc.insecure_channel(self.address, options=[
            ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 500),
            ("grpc.max_reconnect_backoff_ms", 500)])
        self.stub = pb_grpc.LedgerServiceStub(self.channel)

    def start(self):
        self.thread.start()

    def _supervise(self):
        while True:
            self.released.wait()
            with self.lock:
                if self.stopping:
                    return
                out = open(self.log_path, "ab")
                self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=out)
                proc = self.proc
            rc = proc.wait()
            out.close()
            self.exits.append(rc)
            time.sleep(0.05)

    def kill_and_hold(self):
        """kill -9, and no restart until release()."""
        self.released.clear()
        self.signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.lock:
                if self.proc is None or self.proc.poll() is not None:
                    return
            time.sleep(0.02)

    def release(self):
        self.released.set()

    def signal(self, sig):
        """The signal to the running process; None when it is not running (it may exit, and
        the supervisor reap it, between the check and the kill)."""
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    os.kill(self.proc.pid, sig)
                except ProcessLookupError:
                    return None
                return self.proc.pid
        return None

    def stop(self):
        with self.lock:
            self.stopping = True
            proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGCONT)
                proc.terminate()
            except ProcessLookupError:
                pass  # exited meanwhile
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.thread.join(timeout=20)
        self.channel.close()


class Cluster:
    def __init__(self, ledgerd, ledgerctl, work):
        self.work = work
        self.ledgerctl = ledgerctl
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        subprocess.run([ledgerctl, "keygen", "--out", os.path.join(work, "admin.key")],
                       check=True, capture_output=True)
        n1 = os.path.join(work, "n1")
        out = subprocess.run([ledgerd, "init", "--data-dir", n1, "--origin", ORIGIN,
                              "--admin-key", os.path.join(work, "admin.key.pub")],
                             check=True, capture_output=True).stdout.decode()
        self.verifier_key = [l.split(": ", 1)[1] for l in out.splitlines()
                             if l.startswith("checkpoint verifier key: ")][0]
        self.verifier = fc.parse_verifier_key(self.verifier_key)
        # Every node holds the cluster's log key: copies of one freshly initialised directory.
        for n in ("n2", "n3"):
            shutil.copytree(n1, os.path.join(work, n), symlinks=True)
        self.admin = fc.read_private_key(os.path.join(work, "admin.key"))
        self.etcd = Etcd(work, ["e1", "e2", "e3"])
        self.etcd.start_all()
        self.nodes = [Node(n, ledgerd, os.path.join(work, n), work, self.etcd.endpoints)
                      for n in ("n1", "n2", "n3")]
        for node in self.nodes:
            node.start()

    def by_address(self, address):
        for n in self.nodes:
            if n.address == address:
                return n
        return None

    def leader(self):
        """(node, create revision) of the leader key, or (None, None)."""
        got = self.etcd.get(PREFIX + "leader")
        if got is None:
            return None, None
        parts = got[0].split(" ", 1)
        return (self.by_address(parts[1]) if len(parts) == 2 else None), got[1]

    def wait_leader(self, timeout=60, other_than=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            node, raw = self.leader()
            if node is not None and raw != other_than:
                return node, raw
            time.sleep(0.1)
        raise RuntimeError("no leader within %ds" % timeout)

    def stop(self):
        for n in self.nodes:
            n.stop()
        self.etcd.kill_all()


class Appenders:
    """Threads appending unique events; every answer and checkpoint is recorded."""

    def __init__(self, cluster, submitter, count):
        self.cluster = cluster
        self.submitter = submitter
        self.acks = {}          # event id -> (sequence, node address, monotonic time)
        self.unknown = set()    # given up on (never acknowledged)
        self.checkpoints = []   # every checkpoint note a client received
        self.duplicates_after_retry = 0
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.hint = cluster.nodes[0].address
        self.silent = {}        # address -> when it last failed to answer in time
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(count)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=60)

    def _event(self, eid):
        ev = fc.claim_asserted("Nemesis %s" % eid, "Event %s survives failover." % eid,
                               "https://cluster.test/%s" % eid)
        return fc.make_signed_event(self.submitter, ORIGIN, eid, ev)

    def append_until_acked(self, se, deadline, started=None):
        """Appends `se` (same event id on every retry) until some node acknowledges it.
        `started` (a list) receives the time the answered attempt was sent. A node that did not
        answer in time (dead or paused) is avoided for RPC_TIMEOUT, even when a follower's
        (possibly stale) leader hint names it: that is what a client does with several
        endpoints, and it keeps a paused leader from costing every retry a whole deadline."""
        tried_retry = False
        while time.monotonic() < deadline:
            if started is not None:
                started[:] = [time.monotonic()]
            address = self.hint
            node = self.cluster.by_address(address) or self.cluster.nodes[0]
            try:
                resp = node.stub.Append(pb.AppendRequest(event=se), timeout=RPC_TIMEOUT)
                return resp, node.address, tried_retry
            except grpc.RpcError as e:
                tried_retry = True
                now = time.monotonic()
                if e.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE):
                    with self.lock:
                        self.silent[address] = now
                hint = None
                for k, v in (e.trailing_metadata() or ()):
                    if k == fc.STATUS_DETAILS_KEY:
                        hint = fc.leader_hint(v)
                with self.lock:
                    avoid = {a for a, t in self.silent.items() if now - t < RPC_TIMEOUT}
                if hint and self.cluster.by_address(hint) is not None and hint not in avoid:
                    self.hint = hint
                else:
                    others = [n.address for n in self.cluster.nodes
                              if n.address != address and n.address not in avoid]
                    others = others or [n.address for n in self.cluster.nodes
                                        if n.address != address]
                    self.hint = random.choice(others)
                time.sleep(0.05)
        return None, None, tried_retry

    attempt_started = 0.0

    def _run(self, i):
        n = 0
        while not self.stop_flag.is_set():
            eid = "nemesis-%d-%d" % (i, n)
            n += 1
            se = self._event(eid)
            started = []
            resp, address, retried = self.append_until_acked(se, time.monotonic() + 60, started)
            with self.lock:
                if resp is None:
                    self.unknown.add(eid)
                    continue
                # The ack's time, and when its answered attempt was sent.
                self.acks[eid] = (resp.sequence, address, time.monotonic(), started[0])
                self.checkpoints.append(resp.checkpoint)
                if retried and resp.duplicate:
                    self.duplicates_after_retry += 1


def register_submitter(cluster, admin, submitter, appenders):
    ev = claim_pb2.Event(key_registered=claim_pb2.KeyRegistered(
        public_key=submitter.public_key, role=claim_pb2.KeyRegistered.SUBMITTER,
        holder="nemesis submitter"))
    se = fc.make_signed_event(admin, ORIGIN, "nemesis-register-submitter", ev)
    resp, _, _ = appenders.append_until_acked(se, time.monotonic() + 90)
    if resp is None:
        raise RuntimeError("could not register the submitter key")
    appenders.acks["nemesis-register-submitter"] = (resp.sequence, None, time.monotonic(), 0.0)
    appenders.checkpoints.append(resp.checkpoint)


def check_ledgerctl(cluster, submitter):
    """`ledgerctl submit --server` with the followers first: it must follow the leader hint;
    submitting again must find every event already in the log (idempotent across nodes)."""
    key = os.path.join(cluster.work, "submitter.key")
    fc.write_private_key(key, submitter)
    drafts = os.path.join(cluster.work, "ctl.jsonl")
    with open(drafts, "w") as f:
        for i in range(3):
            ev = fc.claim_asserted("ledgerctl %d" % i, "Submitted through a follower %d." % i,
                                   "https://cluster.test/ctl-%d" % i)
            d = claim_pb2.EventDraft(event_id="ctl-%d" % i, event=ev)
            f.write(json_format.MessageToJson(d, indent=None) + "\n")
    leader, _ = cluster.wait_leader()
    order = [n.address for n in cluster.nodes if n is not leader] + [leader.address]
    outs = []
    for _ in range(2):
        r = subprocess.run([cluster.ledgerctl, "submit", "--server", ",".join(order), "--key",
                            key, drafts], capture_output=True, timeout=120)
        outs.append(r.stdout.decode())
        if r.returncode != 0:
            log("ledgerctl submit failed (%d): %s" % (r.returncode, r.stderr.decode()))
            return False
    appended = outs[0].count("appended ctl-")
    again = outs[1].count("already in the log")
    log("ledgerctl submit via %s: %d appended, then %d already in the log" %
        (",".join(order), appended, again))
    return appended == 3 and again == 3


def check_in_process(cluster, appenders):
    """A role change happens within the processes: SIGSTOP the leader past its lease, let
    another node win and acknowledge, SIGCONT it. The deposed leader must rejoin as a follower
    of the new leader and serve its checkpoint with the SAME process (PID unchanged, no exit),
    and the node that stayed a follower must not have restarted either."""
    old, raw = cluster.wait_leader()
    pids = {n.name: n.proc.pid for n in cluster.nodes}
    old.signal(signal.SIGSTOP)
    log("in-process check: SIGSTOP leader %s (pid %d)" % (old.name, pids[old.name]))
    try:
        new, _ = cluster.wait_leader(timeout=60, other_than=raw)
        appenders.hint = new.address
        se = appenders._event("in-process-check")
        resp, address, _ = appenders.append_until_acked(se, time.monotonic() + 60)
    finally:
        old.signal(signal.SIGCONT)
    if resp is None:
        log("in-process check: no ack from the new leader")
        return False
    appenders.acks["in-process-check"] = (resp.sequence, address, time.monotonic(), 0.0)
    appenders.checkpoints.append(resp.checkpoint)
    deadline = time.monotonic() + 60
    status, same = None, False
    while time.monotonic() < deadline and not same:
        try:
            status = old.stub.GetReplicationStatus(pb.GetReplicationStatusRequest(), timeout=2)
            mine = old.stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=2).checkpoint
            theirs = new.stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=2).checkpoint
            same = (status.role == "follower" and status.leader == new.address and
                    mine == theirs and fc.verify_checkpoint(
                        mine.encode() if isinstance(mine, str) else mine,
                        cluster.verifier).tree_size > resp.sequence)
        except grpc.RpcError:
            pass
        if not same:
            time.sleep(0.1)
    now = {n.name: n.proc.pid for n in cluster.nodes}
    exits = {n.name: list(n.exits) for n in cluster.nodes}
    ok = same and now == pids and not any(exits.values())
    log("in-process check: %s: deposed %s now %s of %s; pids before %s after %s; exits %s" %
        ("ok" if ok else "FAILED", old.name, status.role if status else "?",
         status.leader if status else "?", pids, now, exits))
    return ok


def check_unpublished_suffix(cluster, appenders):
    """A deposed leader's unpublished suffix, examined only after the published lineage grew
    past the point where the two part: kill -9 both followers and hold them down; give the
    leader a batch, which it commits locally but cannot publish (no quorum); SIGSTOP it, let the
    followers start again (they cannot fetch the suffix from a stopped leader); once one of them
    leads and has published a few entries (fewer than the old leader's suffix), SIGCONT the old
    leader. Its log contradicts the published checkpoint at a size it already holds, and
    the entries where they part were never published: it must set its log aside and replicate
    again (exit 75, then a follower of the new leader with its checkpoint), never refuse to
    serve (exit 4) or stop replicating."""
    old, raw = cluster.wait_leader()
    followers = [n for n in cluster.nodes if n is not old]
    cp = old.stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=2).checkpoint
    published = fc.verify_checkpoint(cp.encode() if isinstance(cp, str) else cp,
                                     cluster.verifier).tree_size
    exits_before = len(old.exits)
    suffix = 50
    for f in followers:
        f.kill_and_hold()
    resumed = False
    try:
        batch = pb.AppendBatchRequest(events=[appenders._event("suffix-%d" % i)
                                              for i in range(suffix)])
        try:
            old.stub.AppendBatch(batch, timeout=RPC_TIMEOUT)
            log("unpublished-suffix check: the batch was acknowledged without a quorum")
            return False
        except grpc.RpcError:
            pass  # not acknowledged: no follower holds it
        deadline = time.monotonic() + 30
        while (old.stub.GetLogInfo(pb.GetLogInfoRequest(), timeout=2).tree_size <
               published + suffix):
            if time.monotonic() > deadline:
                log("unpublished-suffix check: the leader did not commit the batch locally")
                return False
            time.sleep(0.05)
        old.signal(signal.SIGSTOP)
        for f in followers:
            f.release()
        resumed = True
        new, _ = cluster.wait_leader(timeout=60, other_than=raw)
        appenders.hint = new.address
        acked = 0
        for i in range(3):
            se = appenders._event("after-suffix-%d" % i)
            resp, address, _ = appenders.append_until_acked(se, time.monotonic() + 60)
            if resp is None:
                log("unpublished-suffix check: no ack from the new leader")
                return False
            appenders.acks["after-suffix-%d" % i] = (resp.sequence, address, time.monotonic(), 0.0)
            appenders.checkpoints.append(resp.checkpoint)
            acked = resp.sequence
    finally:
        if not resumed:
            for f in followers:
                f.release()
        old.signal(signal.SIGCONT)
    log("unpublished-suffix check: old leader %s holds %d entries beyond published %d; the new "
        "leader %s published through sequence %d" % (old.name, suffix, published, new.name, acked))
    deadline = time.monotonic() + 60
    same = False
    while time.monotonic() < deadline and not same:
        try:
            status = old.stub.GetReplicationStatus(pb.GetReplicationStatusRequest(), timeout=2)
            mine = old.stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=2).checkpoint
            theirs = new.stub.GetCheckpoint(pb.GetCheckpointRequest(), timeout=2).checkpoint
            same = status.role == "follower" and status.leader == new.address and mine == theirs
        except grpc.RpcError:
            pass
        if not same:
            time.sleep(0.1)
    exits = list(old.exits[exits_before:])
    aside = [d for d in os.listdir(cluster.work) if d.startswith(old.name + ".discarded-")]
    ok = same and 4 not in exits and 75 in exits and len(aside) > 0
    log("unpublished-suffix check: %s: %s following %s: %s; exits %s; set aside: %s" %
        ("ok" if ok else "FAILED", old.name, new.name, same, exits, aside))
    return ok


def read_log(node):
    entries = []
    while True:
        r = node.stub.ListEntries(pb.ListEntriesRequest(start_sequence=len(entries),
                                                        max_entries=1000), timeout=30)
        if not r.entries:
            return entries, r.tree_size
        entries.extend(r.entries)


def check(cluster, appenders, log_poll_checkpoints):
    """Returns (lost, forks, converged, final size)."""
    # Convergence: every node reaches the same size (the leader publishes once a quorum holds
    # its head, and followers follow it).
    deadline = time.monotonic() + 90
    sizes = None
    while time.monotonic() < deadline:
        try:
            sizes = [n.stub.GetLogInfo(pb.GetLogInfoRequest(), timeout=5).tree_size
                     for n in cluster.nodes]
            if len(set(sizes)) == 1:
                break
        except grpc.RpcError:
            pass
        time.sleep(0.5)
    converged_size = sizes is not None and len(set(sizes)) == 1
    leader, _ = cluster.wait_leader()
    entries, size = read_log(leader)
    lost = 0
    for eid, (seq, _, _, _) in appenders.acks.items():
        if seq >= len(entries) or entries[seq].signed_event.event_id != eid:
            lost += 1
            log("LOST: %s acknowledged at %d" % (eid, seq))
    leaves = [fc.leaf_hash(bytes(e.leaf_data)) for e in entries]
    # Root of every prefix size a checkpoint names.
    notes = [n for n in appenders.checkpoints + log_poll_checkpoints if n]
    cps = []
    forks = 0
    for note in notes:
        try:
            cps.append(fc.verify_checkpoint(note.encode() if isinstance(note, str) else note,
                                            cluster.verifier))
        except Exception as e:  # noqa: a checkpoint that does not verify is a violation
            forks += 1
            log("BAD CHECKPOINT: %s" % e)
    wanted = sorted(set(cp.tree_size for cp in cps))
    roots = {}
    tree = fc.CompactTree()
    if 0 in wanted:
        roots[0] = tree.root()
    for i, lh in enumerate(leaves):
        tree.append(lh)
        if i + 1 in roots or (i + 1) in set(wanted):
            roots[i + 1] = tree.root()
    for cp in cps:
        if cp.tree_size > len(leaves) or roots.get(cp.tree_size) != cp.root_hash:
            forks += 1
            log("FORK: a client saw a checkpoint of size %d not in the final log" % cp.tree_size)
    # Same root on every node at the final size.
    node_roots = set()
    for n in cluster.nodes:
        # Served once published and known to the node (a follower reads etcd every 250 ms).
        root, error = None, None
        deadline = time.monotonic() + 30
        while root is None and time.monotonic() < deadline:
            try:
                note = n.stub.GetCheckpoint(pb.GetCheckpointRequest(tree_size=len(leaves)),
                                            timeout=5).checkpoint
                root = fc.verify_checkpoint(note.encode() if isinstance(note, str) else note,
                                            cluster.verifier).root_hash
            except Exception as e:  # noqa
                error = e
                time.sleep(0.2)
        if root is None:
            log("node %s: no checkpoint at %d: %s" % (n.name, len(leaves), error))
        node_roots.add(root)
    converged = converged_size and len(node_roots) == 1 and None not in node_roots
    return lost, forks, converged, len(leaves), len(cps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ledgerd")
    ap.add_argument("ledgerctl")
    ap.add_argument("workdir")
    ap.add_argument("failovers", type=int)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--appenders", type=int, default=4)
    ap.add_argument("--in-process-check", action="store_true",
                    help="first prove a role change happens within the processes")
    args = ap.parse_args()
    random.seed(args.seed)
    log("seed %d" % args.seed)
    cluster = Cluster(args.ledgerd, args.ledgerctl, args.workdir)
    appenders = None
    ok = False
    try:
        leader, raw = cluster.wait_leader(timeout=60)
        log("leader %s" % raw)
        submitter = fc.SigningKey.generate()
        appenders = Appenders(cluster, submitter, args.appenders)
        appenders.hint = leader.address
        register_submitter(cluster, cluster.admin, submitter, appenders)
        in_process_ok = True
        suffix_ok = True
        if args.in_process_check:
            in_process_ok = check_in_process(cluster, appenders)
            suffix_ok = check_unpublished_suffix(cluster, appenders)
        appenders.start()
        polled = []
        stop_poll = threading.Event()

        def poll():
            while not stop_poll.is_set():
                for n in cluster.nodes:
                    try:
                        polled.append(n.stub.GetCheckpoint(pb.GetCheckpointRequest(),
                                                           timeout=2).checkpoint)
                    except grpc.RpcError:
                        pass
                time.sleep(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        kinds = ["kill", "pause", "follower", "etcd"]
        failover_times = []
        elect_times = []   # death -> the new leader key in etcd (lease expiry + election)
        ack_times = []     # new leader key -> first ack on it (promotion, quorum, client retry)
        by_kind = {"kill": [], "pause": []}
        failovers = 0
        step = 0
        while failovers < args.failovers:
            kind = kinds[step % len(kinds)]
            step += 1
            # Let the cluster ack for a moment between faults.
            base = len(appenders.acks)
            deadline = time.monotonic() + 60
            while len(appenders.acks) < base + 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            leader, raw = cluster.wait_leader()
            if kind in ("kill", "pause"):
                t0 = time.monotonic()
                pid = leader.signal(signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
                if pid is None:
                    # Between two of its processes (it just exited): no fault this step.
                    log("nemesis: leader %s not running; no %s this step" % (leader.name, kind))
                    continue
                log("nemesis: %s leader %s (pid %d)" % (kind, leader.name, pid))
                new, new_raw = cluster.wait_leader(timeout=60, other_than=raw)
                elected = time.monotonic()
                deadline = time.monotonic() + 60
                first = None
                while first is None and time.monotonic() < deadline:
                    # Only an ack by the new leader counts (the old one is dead or fenced): one
                    # for a request sent after the fault.
                    with appenders.lock:
                        later = [a for a in appenders.acks.values()
                                 if a[3] > t0 and a[1] == new.address]
                    first = min(a[2] for a in later) if later else None
                    time.sleep(0.02)
                if kind == "pause":
                    leader.signal(signal.SIGCONT)
                if first is None:
                    raise RuntimeError("no acknowledged append within 60 s of the failover")
                failover_times.append(first - t0)
                by_kind[kind].append(first - t0)
                elect_times.append(elected - t0)
                ack_times.append(max(0.0, first - elected))
                failovers += 1
                log("failover %d (%s): new leader %s after %.2f s, first ack after %.2f s" %
                    (failovers, kind, new.name, elected - t0, first - t0))
            elif kind == "follower":
                followers = [n for n in cluster.nodes if n is not leader]
                victim = random.choice(followers)
                victim.signal(signal.SIGKILL)
                log("nemesis: kill -9 follower %s" % victim.name)
            else:
                m = random.choice(cluster.etcd.members)
                m["proc"].kill()
                m["proc"].wait()
                log("nemesis: kill -9 etcd %s" % m["name"])
                time.sleep(1.0)
                cluster.etcd.start(m)
        appenders.stop()
        ctl_ok = check_ledgerctl(cluster, submitter)
        stop_poll.set()
        poller.join(timeout=10)
        lost, forks, converged, size, ncps = check(cluster, appenders, polled)
        p50 = percentile(failover_times, 50)
        p99 = percentile(failover_times, 99)
        print("failovers: %d" % failovers)
        print("acknowledged: %d (unacknowledged, given up: %d; retried ids answered as "
              "duplicates: %d)" % (len(appenders.acks), len(appenders.unknown),
                                   appenders.duplicates_after_retry))
        print("lost acks: %d" % lost)
        print("forks: %d (checkpoints checked: %d)" % (forks, ncps))
        print("converged: %s (final tree size %d)" % ("yes" if converged else "NO", size))
        print("failover time (leader death to first ack on the new leader): p50 %.2f s, "
              "p99 %.2f s, max %.2f s" % (p50, p99, max(failover_times or [float("nan")])))
        for name, values in (("death -> new leader key", elect_times),
                             ("new leader key -> first ack", ack_times),
                             ("kill -9 only", by_kind["kill"]), ("SIGSTOP only", by_kind["pause"])):
            if values:
                print("  phase %s: p50 %.2f s, p99 %.2f s" %
                      (name, percentile(values, 50), percentile(values, 99)))
        restarts = sum(len(n.exits) for n in cluster.nodes)
        print("node process exits (each restarted by its supervisor): %d" % restarts)
        if args.in_process_check:
            print("in-process role change (PIDs unchanged): %s" %
                  ("ok" if in_process_ok else "FAILED"))
            print("unpublished suffix set aside (never refused as a fork): %s" %
                  ("ok" if suffix_ok else "FAILED"))
        sys.stdout.flush()
        print("ledgerctl submit with several --server endpoints: %s" %
              ("ok" if ctl_ok else "FAILED"))
        ok = lost == 0 and forks == 0 and converged and ctl_ok and in_process_ok and suffix_ok
    finally:
        if appenders is not None:
            appenders.stop_flag.set()
        cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
