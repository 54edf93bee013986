"""Explain bundles checked by an implementation written from docs/format.md section 13 alone
(claim_state.py): the map's test vectors; every seed claim's explain bundle from the real
ledgerd; a proof of absence; and the lies a server could tell, each refused.

Usage: explain_interop_test.py LEDGERD LEDGERCTL EXAMPLES_DIR
"""

import copy
import json
import os
import re
import subprocess
import sys

import claim_state as cs
import factledger_client as fc
from checks import Results
from interop_test import Server

ORIGIN = "explain.example/log"
R = Results()


def check_vectors():
    R.section("docs/format.md 13.2 test vectors")
    want = ["e1b436bb0bd1baaf04dd7e2f46615de8c71cdd08cef61d18886aa1220b827b10",
            "84c4ac40091021621f6cdf8519d349f1f0fa8002f6915e3f204402ede9100974",
            "f3522e93601bdedfe690eea199dac4d136178c3f6a5054f36701c009c9622cbf",
            "eeeadfade755ec94f4fbbd2fff1c82eed304842ffd100fd1e1a2cff020d52fe7"]
    m = {}
    R.check(cs.map_root(m) == bytes(32), "empty map root")
    for i in range(4):
        m[cs._sha(("key %d" % i).encode())] = cs._sha(("value %d/0" % i).encode())
        R.check(cs.map_root(m).hex() == want[i], "map root of %d keys" % (i + 1))


def refused(doc, verifier, what):
    try:
        cs.verify_explain(json.dumps(doc), verifier, ORIGIN)
    except (cs.ExplainError, fc.NoteError, ValueError, KeyError) as e:
        R.check(True, "lie refused: %s (%s)" % (what, e))
        return
    R.check(False, "lie accepted: %s" % what)


def run(ledgerd, ledgerctl, examples, tmp):
    admin = fc.SigningKey.generate()
    fc.write_private_key(os.path.join(tmp, "admin.key"), admin)
    fc.write_public_key(os.path.join(tmp, "admin.pub"), admin.public_key)
    data = os.path.join(tmp, "D")
    init = subprocess.run([ledgerd, "init", "--data-dir", data, "--origin", ORIGIN,
                           "--admin-key", os.path.join(tmp, "admin.pub")],
                          capture_output=True, text=True, timeout=60, check=True)
    vkey = re.search(r"^checkpoint verifier key: (\S+)$", init.stdout, re.M).group(1)
    verifier = fc.parse_verifier_key(vkey)
    server = Server(ledgerd, data, tmp)
    try:
        addr = "127.0.0.1:%d" % server.port
        ctl = lambda *a: subprocess.run([ledgerctl] + list(a) + ["--server", addr],
                                        capture_output=True, text=True, timeout=120)
        for f in ("seed-claims", "seed-followups", "seed-appearances", "seed-relations"):
            r = ctl("submit", "--key", os.path.join(tmp, "admin.key"),
                    os.path.join(examples, f + ".jsonl"))
            R.check(r.returncode == 0, "import %s (%s)" % (f, r.stderr.strip()))
        ids = []
        for f in ("seed-claims",):
            for line in open(os.path.join(examples, f + ".jsonl")):
                ids.append(json.loads(line)["eventId"])
        R.section("every seed claim's explain bundle verifies")
        docs = {}
        for claim_id in ids + ["no-such-claim"]:
            out = os.path.join(tmp, claim_id + ".json")
            r = ctl("explain", claim_id, "--out", out, "--min-tree-size", "20",
                    "--public-key", os.path.join(tmp, "admin.pub"))
            if not R.check(r.returncode == 0, "explain %s (%s)" % (claim_id, r.stderr.strip())):
                continue
            text = open(out).read()
            docs[claim_id] = json.loads(text)
            try:
                a = cs.verify_explain(text, verifier, ORIGIN)
                R.check(a["exists"] == (claim_id != "no-such-claim"),
                        "%s verified (%s)" % (claim_id, a.get("status", "absent")))
            except Exception as e:  # noqa: BLE001 -- any failure is the finding
                R.check(False, "%s does not verify: %r" % (claim_id, e))
        loc = docs.get("seed-article-loc-clashes")
        cost = docs.get("seed-article-pipeline-cost")
        novak = docs.get("seed-novak-pipeline-ready")
        if not (loc and cost and novak):
            return
        R.check(cs.verify_explain(json.dumps(loc), verifier, ORIGIN)["status"] == "CORRECTED",
                "the corrected claim replays as CORRECTED")
        R.check(len(cs.verify_explain(json.dumps(cost), verifier, ORIGIN)["verdicts"]) == 1,
                "the reviewed claim has its verdict")

        R.section("lies are refused")
        d = copy.deepcopy(cost)
        d["entries"] = d["entries"][:1]
        d["stated"]["history"] = d["stated"]["history"][:1]
        d["stated"]["verdicts"] = []
        refused(d, verifier, "a dropped verdict")
        d = copy.deepcopy(loc)
        d["entries"] = d["entries"][:1]
        d["stated"].update(history=d["stated"]["history"][:1], status="ACTIVE",
                           version_sequence=d["stated"]["asserted_sequence"])
        refused(d, verifier, "an omitted correction")
        d = copy.deepcopy(novak)
        d["claim_id"] = "seed-article-loc-clashes"
        refused(d, verifier, "another claim's state")
        d = copy.deepcopy(novak)
        d["entries"] = [d["entries"][1], d["entries"][0]] + d["entries"][2:]
        refused(d, verifier, "a reordered history")
        d = copy.deepcopy(loc)
        d["stated"]["status"] = "ACTIVE"
        refused(d, verifier, "a denied status")
        d = copy.deepcopy(docs["no-such-claim"])
        d["claim_id"] = "seed-novak-pipeline-ready"
        refused(d, verifier, "a false absence")
        d = copy.deepcopy(novak)
        d["state_hash"] = cost["state_hash"]
        refused(d, verifier, "a state hash the map does not hold")
    finally:
        server.stop()
        server.kill()


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2

    def vectors_then_run(ledgerd, ledgerctl, examples, tmp):
        check_vectors()
        run(ledgerd, ledgerctl, examples, tmp)

    R.main(vectors_then_run, "explain.", [os.path.abspath(a) for a in sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
