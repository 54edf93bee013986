'use strict';
// Interop test: an independent Node.js client and verifier, written from docs/format.md,
// docs/api.md and proto/ only, against the real ledgerd (and ledgerctl as a cross-check).
//
// Usage: node client_test.js LEDGERD LEDGERCTL CLAIM_PROTO SERVICE_PROTO STATUS_PROTO
//                            ERROR_DETAILS_PROTO SEED_CLAIMS_JSONL
// Dependencies: @grpc/grpc-js and @grpc/proto-loader (and the protobufjs they bring); Ed25519 and
// SHA-256 come from Node's own crypto.

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
// protobufjs is what @grpc/proto-loader itself uses; take it from there (not a new dependency).
const protobuf = require(require.resolve('protobufjs', {
  paths: [path.dirname(require.resolve('@grpc/proto-loader'))],
}));

const ORIGIN = 'node.example/log';
const RPC_TIMEOUT_MS = 30000;
const SERVER_START_MS = 10000;
const N_SEED = 5;

// ------------------------------------------------------------------------------------------
// Results

const R = {
  passed: 0,
  failed: [],
  notes: [],
  check(cond, what) {
    if (cond) this.passed++;
    else { this.failed.push(what); console.log(`FAIL: ${what}`); }
    return !!cond;
  },
  section(title) { console.log(`== ${title}`); },
};

function must(cond, what) {
  if (!R.check(cond, what)) throw new Error(`cannot continue: ${what}`);
}

// ------------------------------------------------------------------------------------------
// Bytes helpers (format.md notation)

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const u16be = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32be = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64be = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
const utf8 = (s) => Buffer.from(s, 'utf8');
const hex = (b) => Buffer.from(b).toString('hex');
const num = (s) => {  // proto-loader longs are strings; our logs are small
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${s}`);
  return n;
};
function flipBit(buf, index = 0, bit = 0) {
  const b = Buffer.from(buf);
  b[index] ^= 1 << bit;
  return b;
}

// ------------------------------------------------------------------------------------------
// Keys (format.md §1): Ed25519 from raw 32-byte seeds via PKCS#8 / SPKI DER prefixes.

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

class SigningKey {
  constructor(seed) {
    if (seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes');
    this.seed = Buffer.from(seed);
    this.privateKey = crypto.createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, this.seed]), format: 'der', type: 'pkcs8',
    });
    const spki = crypto.createPublicKey(this.privateKey).export({ format: 'der', type: 'spki' });
    if (!spki.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX) || spki.length !== 44) {
      throw new Error('unexpected SPKI encoding');
    }
    this.publicKey = Buffer.from(spki.subarray(SPKI_PREFIX.length));
    this.keyId = keyIdOf(this.publicKey);
  }
  static generate() { return new SigningKey(crypto.randomBytes(32)); }
  sign(data) { return crypto.sign(null, data, this.privateKey); }
}

function publicKeyObject(pub) {
  if (pub.length !== 32) throw new Error('Ed25519 public key must be 32 bytes');
  return crypto.createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki',
  });
}

function ed25519Verify(pub, data, sig) {
  if (sig.length !== 64) return false;
  try { return crypto.verify(null, data, publicKeyObject(pub), sig); } catch (e) { return false; }
}

function keyIdOf(pub) {
  return sha256(utf8('factledger/v1/key-id'), Buffer.from([0x00, 0x01]), pub);
}

function writeKeyFiles(key, base) {
  fs.writeFileSync(base, `factledger-ed25519-private-key ${hex(key.seed)}\n`, { mode: 0o600 });
  fs.writeFileSync(`${base}.pub`, `factledger-ed25519-public-key ${hex(key.publicKey)}\n`);
}

function readKeyFile(file, kind) {
  const text = fs.readFileSync(file, 'utf8').trim();
  const m = new RegExp(`^factledger-ed25519-${kind}-key\\s+([0-9a-fA-F]{64})$`).exec(text) ||
            (kind === 'public' ? /^([0-9a-fA-F]{64})$/.exec(text) : null);
  if (!m) throw new Error(`${file}: not a ${kind} key file`);
  return Buffer.from(m[1], 'hex');
}

// ------------------------------------------------------------------------------------------
// Event signature (format.md §3) and leaf data (§4)

function signingInput(origin, eventId, eventBytes) {
  const o = utf8(origin);
  const id = utf8(eventId);
  return Buffer.concat([
    utf8('factledger/v1/event'), Buffer.from([0x00]),
    u16be(o.length), o, u16be(id.length), id, sha256(eventBytes),
  ]);
}

function makeSignedEvent(key, origin, eventId, eventBytes) {
  return {
    version: 1,
    eventId,
    event: eventBytes,
    keyId: key.keyId,
    signature: key.sign(signingInput(origin, eventId, eventBytes)),
  };
}

function encodeLeaf(timeMicros, eventId, keyId, signature, event) {
  const id = utf8(eventId);
  return Buffer.concat([
    Buffer.from([0x01, 0x01]), u64be(timeMicros), u16be(id.length), id, keyId, signature,
    u32be(event.length), event,
  ]);
}

function decodeLeaf(buf) {
  let off = 0;
  const need = (n) => { if (off + n > buf.length) throw new Error('leaf data truncated'); };
  need(2);
  if (buf[0] !== 0x01) throw new Error(`entry format version ${buf[0]}`);
  if (buf[1] !== 0x01) throw new Error(`envelope kind ${buf[1]}`);
  off = 2;
  need(8); const time = buf.readBigUInt64BE(off); off += 8;
  need(2); const idLen = buf.readUInt16BE(off); off += 2;
  need(idLen); const eventId = buf.subarray(off, off + idLen).toString('utf8'); off += idLen;
  need(32); const keyId = buf.subarray(off, off + 32); off += 32;
  need(64); const signature = buf.subarray(off, off + 64); off += 64;
  need(4); const evLen = buf.readUInt32BE(off); off += 4;
  need(evLen); const event = buf.subarray(off, off + evLen); off += evLen;
  if (off !== buf.length) throw new Error(`${buf.length - off} trailing bytes`);
  return { recordedTimeMicros: time, eventId, keyId, signature, event };
}

const EVENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

// ------------------------------------------------------------------------------------------
// Merkle tree (format.md §4, RFC 9162 §2.1)

const leafHash = (leafData) => sha256(Buffer.from([0x00]), leafData);
const nodeHash = (l, r) => sha256(Buffer.from([0x01]), l, r);

function mth(leaves) {  // leaves: leaf hashes
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

// RFC 9162 §2.1.3.2
function verifyInclusion(leafIndex, treeSize, leaf, proof, root) {
  if (leafIndex >= treeSize) return false;
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize) - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

// RFC 9162 §2.1.4.2, with the edge cases of format.md §4 (from 0 / equal sizes: empty proof)
function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  let path = proof;
  if ((first & (first - 1)) === 0) path = [firstRoot, ...proof];
  let fn = BigInt(first) - 1n;
  let sn = BigInt(second) - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0n;
}

// ------------------------------------------------------------------------------------------
// Checkpoints: C2SP signed note + tlog-checkpoint (format.md §5)

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
function strictB64(s) {
  if (!B64_RE.test(s) || s.length % 4 !== 0) throw new Error(`not standard padded base64: ${s}`);
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64') !== s) throw new Error(`non-canonical base64: ${s}`);
  return b;
}

function noteKeyHash(name, pub) {
  return sha256(utf8(name), Buffer.from([0x0a, 0x01]), pub).subarray(0, 4);
}

function parseVerifierKey(vkey) {
  const i = vkey.indexOf('+');
  const j = vkey.indexOf('+', i + 1);
  if (i <= 0 || j < 0) throw new Error(`verifier key not <name>+<hash>+<key>: ${vkey}`);
  const name = vkey.slice(0, i);
  const hashHex = vkey.slice(i + 1, j);
  const key = strictB64(vkey.slice(j + 1));
  if (!/^[0-9a-f]{8}$/.test(hashHex)) throw new Error(`key hash not 8 lowercase hex: ${hashHex}`);
  if (key.length !== 33 || key[0] !== 0x01) throw new Error('verifier key is not 0x01 || 32 bytes');
  const pub = Buffer.from(key.subarray(1));
  const keyHash = Buffer.from(hashHex, 'hex');
  if (!noteKeyHash(name, pub).equals(keyHash)) throw new Error('verifier key hash mismatch');
  return { name, keyHash, pub };
}

function makeVerifierKey(name, pub) {
  return `${name}+${hex(noteKeyHash(name, pub))}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`;
}

// Returns {size, root} or throws with the reason.
function verifyCheckpoint(note, verifier, expectedOrigin) {
  const sep = note.indexOf('\n\n');
  if (sep < 0) throw new Error('no blank line');
  const text = note.slice(0, sep + 1);
  const lines = text.split('\n').slice(0, -1);
  if (lines.length < 3) throw new Error('note text has fewer than 3 lines');
  const [origin, sizeLine, rootLine] = lines;
  if (origin !== expectedOrigin) throw new Error(`origin line ${origin}, want ${expectedOrigin}`);
  if (verifier.name !== origin) throw new Error('verifier key name is not the origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new Error(`bad size line ${sizeLine}`);
  if (rootLine.length !== 44) throw new Error('root line is not 44 characters');
  const root = strictB64(rootLine);
  if (root.length !== 32) throw new Error('root is not 32 bytes');
  const sigs = note.slice(sep + 2);
  if (!sigs.endsWith('\n')) throw new Error('signature block does not end with a newline');
  let verified = false;
  for (const line of sigs.slice(0, -1).split('\n')) {
    const raw = utf8(line);
    if (!raw.subarray(0, 4).equals(Buffer.from('e2809420', 'hex'))) {
      throw new Error(`signature line does not start with an em dash: ${line}`);
    }
    const parts = line.slice(2).split(' ');
    if (parts.length !== 2) throw new Error(`bad signature line: ${line}`);
    const [name, b64] = parts;
    const sig = strictB64(b64);
    if (sig.length < 5) throw new Error('signature too short');
    if (name !== verifier.name || !sig.subarray(0, 4).equals(verifier.keyHash)) continue;
    if (!ed25519Verify(verifier.pub, utf8(text), sig.subarray(4))) {
      throw new Error('signature by the trusted key does not verify');
    }
    verified = true;
  }
  if (!verified) throw new Error('no signature by the trusted log key');
  return { size: num(sizeLine), root };
}

function checkpointOk(note, verifier, what) {
  try {
    const cp = verifyCheckpoint(note, verifier, ORIGIN);
    R.check(true, what);
    return cp;
  } catch (e) {
    R.check(false, `${what}: ${e.message}`);
    return null;
  }
}

// ------------------------------------------------------------------------------------------
// Events: JSON (proto3 JSON mapping, as in examples/*.jsonl) to canonical bytes (format.md §2)

// Strict: unknown keys are an error, and fields at their default value are dropped so that the
// encoder writes only non-default fields (protobufjs writes fields in field-number order).
function canonicalObject(type, obj, where) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error(`${where}: not an object`);
  }
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    const field = type.fields[k];
    if (!field) throw new Error(`${where}.${k}: unknown field of ${type.fullName}`);
    field.resolve();
    if (v === null) continue;
    const msgType = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    if (field.map) throw new Error(`${where}.${k}: maps not supported`);
    if (field.repeated) {
      if (!Array.isArray(v)) throw new Error(`${where}.${k}: not an array`);
      if (v.length === 0) continue;
      out[k] = msgType ? v.map((e, i) => canonicalObject(msgType, e, `${where}.${k}[${i}]`)) : v;
    } else if (msgType) {
      out[k] = canonicalObject(msgType, v, `${where}.${k}`);  // message presence: keep
    } else if (field.partOf || !isDefaultValue(field, v)) {
      out[k] = v;
    }
  }
  return out;
}

function isDefaultValue(field, v) {
  if (field.resolvedType instanceof protobuf.Enum) {
    return v === 0 || field.resolvedType.values[v] === 0;
  }
  switch (field.type) {
    case 'string': case 'bytes': return v === '';
    case 'bool': return v === false;
    default: return Number(v) === 0;
  }
}

// ------------------------------------------------------------------------------------------
// gRPC

function rpc(client, method, req) {
  return new Promise((resolve, reject) => {
    client[method](req, { deadline: Date.now() + RPC_TIMEOUT_MS }, (err, resp) => {
      if (err) reject(err); else resolve(resp);
    });
  });
}

async function rpcError(client, method, req) {
  try {
    await rpc(client, method, req);
    return null;
  } catch (e) {
    if (e.code === undefined) throw e;
    return e;
  }
}

function run(cmd, args, opts = {}) {
  return childProcess.spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, ...opts });
}

const SERVERS = new Set();

class Server {
  // `ledgerd serve` on 127.0.0.1; `name` names its port and log files, `extra` adds flags.
  constructor(ledgerd, dataDir, tmp, name = 'ledgerd', extra = []) {
    this.portFile = path.join(tmp, `${name}.port`);
    this.logFile = path.join(tmp, `${name}.log`);
    const log = fs.openSync(this.logFile, 'w');
    this.proc = childProcess.spawn(ledgerd, [
      'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--port-file', this.portFile,
      ...extra,
    ], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    SERVERS.add(this);
    this.exitCode = null;
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => { this.exitCode = code ?? signal; resolve(); });
    });
    this.proc.on('error', (e) => { this.spawnError = e; });
  }

  running() { return this.proc.exitCode === null && this.proc.signalCode === null; }

  async waitForPort() {
    const deadline = Date.now() + SERVER_START_MS;
    while (Date.now() < deadline) {
      if (this.spawnError) throw this.spawnError;
      if (!this.running()) throw new Error(`ledgerd exited early with ${this.exitCode}`);
      let s = null;
      try { s = fs.readFileSync(this.portFile, 'utf8'); } catch (e) { /* not yet */ }
      if (s !== null && /^[0-9]+\n$/.test(s)) {
        this.port = Number(s.trim());
        return this.port;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no port file after ${SERVER_START_MS} ms`);
  }

  // SIGTERM, then SIGKILL after 10 s. Returns the exit code (null if it had to be killed).
  async stop() {
    if (!this.running()) return this.exitCode;
    this.proc.kill('SIGTERM');
    const t = new Promise((r) => setTimeout(() => r('timeout'), 10000));
    if (await Promise.race([this.exited.then(() => 'exited'), t]) === 'timeout') {
      this.kill();
      await this.exited;
      return null;
    }
    return this.exitCode;
  }

  kill() { if (this.running()) this.proc.kill('SIGKILL'); }
}

// ------------------------------------------------------------------------------------------
// Several endpoints (docs/api.md "Several endpoints: following the leader")

const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
const APPEND_ATTEMPTS = 12;       // RPCs per append, over every endpoint and hint
const APPEND_DEADLINE_MS = 30000; // wall time per append
const ATTEMPT_TIMEOUT_MS = 10000; // one RPC (capped by what is left)
const ROUND_PAUSE_MS = 100;       // after a whole round of the list failed, x attempts (<= 5)

// The google.rpc.ErrorInfo messages of a refusal's grpc-status-details-bin trailer ([] when
// there is none or it does not decode as a google.rpc.Status).
function errorInfos(err, types) {
  const bins = err && err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
  if (bins.length !== 1) return [];
  try {
    const st = types.Status.decode(bins[0]);
    return st.details.filter((any) => (any.typeUrl || any.type_url) === ERROR_INFO_TYPE_URL)
      .map((any) => types.ErrorInfo.decode(any.value));
  } catch (e) {
    return [];
  }
}

class LeaderNotReached extends Error {
  constructor(eventId, endpoints, attempts, ms, lastError) {
    const last = attempts.length ? attempts[attempts.length - 1][1] : 'no attempt';
    super(`append of event id '${eventId}' not acknowledged after ${attempts.length} ` +
      `attempt(s) in ${(ms / 1000).toFixed(1)} s; endpoints ${endpoints.join(',')}; tried: ` +
      `${attempts.map(([e, o]) => `${e} -> ${o}`).join('; ')}; final error: ${last}`);
    this.endpoints = endpoints;
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

// Appends a SignedEvent to whichever endpoint leads: a NOT_LEADER hint is followed, an
// UNAVAILABLE / DEADLINE_EXCEEDED endpoint (or NOT_LEADER without a hint) makes it try the
// next, any other refusal is thrown as is; the same request is resent every time.
class LeaderFollowingAppender {
  constructor(endpoints, makeClient, types, opts = {}) {
    if (!Array.isArray(endpoints) || endpoints.length === 0 || endpoints.some((e) => !e)) {
      throw new Error(`endpoints: need at least one host:port, got ${JSON.stringify(endpoints)}`);
    }
    this.endpoints = endpoints;
    this.makeClient = makeClient;
    this.types = types;
    this.maxAttempts = opts.maxAttempts || APPEND_ATTEMPTS;
    this.deadlineMs = opts.deadlineMs || APPEND_DEADLINE_MS;
    this.clients = new Map();
    this.leader = null;
    this.attempts = [];
  }

  client(endpoint) {
    if (!this.clients.has(endpoint)) this.clients.set(endpoint, this.makeClient(endpoint));
    return this.clients.get(endpoint);
  }

  close() { for (const c of this.clients.values()) c.close(); this.clients.clear(); }

  nextInList(endpoint) {
    const i = this.endpoints.indexOf(endpoint);
    return this.endpoints[i < 0 ? 0 : (i + 1) % this.endpoints.length];
  }

  async append(signed) {
    const start = Date.now();
    const giveUp = start + this.deadlineMs;
    let target = this.leader || this.endpoints[0];
    let misses = 0;
    let lastError = null;
    this.attempts = [];
    while (this.attempts.length < this.maxAttempts && Date.now() < giveUp) {
      const timeout = Math.min(ATTEMPT_TIMEOUT_MS, giveUp - Date.now());
      try {
        const resp = await new Promise((resolve, reject) => {
          this.client(target).Append({ event: signed }, { deadline: Date.now() + timeout },
            (err, r) => (err ? reject(err) : resolve(r)));
        });
        this.attempts.push([target, `acknowledged sequence ${resp.sequence}` +
          (resp.duplicate ? ' (duplicate)' : '')]);
        this.leader = target;
        return resp;
      } catch (err) {
        if (err.code === undefined) throw err;
        const info = errorInfos(err, this.types)[0];
        const notLeader = info && info.reason === 'NOT_LEADER';
        const unreachable = err.code === grpc.status.UNAVAILABLE ||
          err.code === grpc.status.DEADLINE_EXCEEDED;
        const hint = notLeader && info.metadata ? info.metadata.leader : undefined;
        let outcome = `${grpc.status[err.code]}${info ? ` ${info.reason}` : ''}: ${err.details}`;
        if (hint) outcome += ` (leader hint ${hint})`;
        this.attempts.push([target, outcome]);
        lastError = err;
        if (!notLeader && !unreachable) throw err;
        if (hint && hint !== target) {
          target = hint;
          continue;
        }
        target = this.nextInList(target);
        if (++misses >= this.endpoints.length) {
          misses = 0;
          const pause = Math.min(ROUND_PAUSE_MS * Math.min(this.attempts.length, 5),
            Math.max(0, giveUp - Date.now()));
          await new Promise((r) => setTimeout(r, pause));
        }
      }
    }
    throw new LeaderNotReached(signed.eventId, this.endpoints, this.attempts, Date.now() - start,
      lastError);
  }
}

// ------------------------------------------------------------------------------------------
// The test

// format.md §10, byte for byte.
function checkWorkedExample(EventType) {
  R.section('docs/format.md §10 worked example');
  const signer = new SigningKey(Buffer.from(
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
  const logKey = new SigningKey(Buffer.from(
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex'));
  const origin = 'example.org/factledger';
  const eventId = 'seed-novak-pipeline-ready';
  const time = 1764979200000000n;
  const want = {
    keyId: 'b4cb7e1b7b9397e21a33893e00d020de877cb821f21185eee9af394787fcd0ac',
    event: '0abf010abc010a240a0f416c6578616e646572204e6f76616b10011a0f456e65726779204d696e6973' +
      '74657212400a3c546865204e6f7274682d536f7574682067617320706970656c696e652061677265656d656e' +
      '7420697320726561647920666f72207369676e696e672e10031a07080210df0f180822410a3f68747470733a' +
      '2f2f6578616d706c652e6f72672f736565642f70616b697374616e2d7275737369612d72656c6174696f6e73' +
      '6869702d696d70726f76696e672a06656e65726779',
    signingInput: '666163746c65646765722f76312f6576656e740000166578616d706c652e6f72672f66616374' +
      '6c65646765720019736565642d6e6f76616b2d706970656c696e652d726561647967e4e80707d1b76ed4fbce' +
      '7a9cf032bd7cbb33c07685110a280229b8cdc65643',
    signature: 'ce2d274b2f5e156c8c41583c1a0ea27a40d9ee0dc4f133eeeddd413d9bbd60bebac8f7e0e8d722cc' +
      '962998a5adefb13364dc9a17643a3a5c67d454007c85ac0f',
    leafHash: '0eac8678661c9d3a5baef56fda6fde94ce0e1213464b2395e4259dfcc541336c',
    vkey: 'example.org/factledger+11a6bf6f+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM',
    checkpoint: 'example.org/factledger\n1\nDqyGeGYcnTpbrvVv2m/elM4OEhNGSyOV5CWd/MVBM2w=\n\n' +
      '\u2014 example.org/factledger Eaa/b+AESYKnPzznYqN8V+AqZ5t1rhV0UeMbrUfNQxsT9XVauIPB9RPP/X0jV' +
      'XB4llSdnKhgiXoVn+E42VJNaVpcbg4=\n',
  };
  R.check(hex(signer.keyId) === want.keyId, '§10 signer key id');
  // The event, built from an object through the same canonicaliser and encoder as the seeds.
  const obj = canonicalObject(EventType, {
    claimAsserted: { claim: {
      claimant: { name: 'Alexander Novak', kind: 'PERSON', role: 'Energy Minister' },
      statement: { text: 'The North-South gas pipeline agreement is ready for signing.',
        attribution: 'PARAPHRASE' },
      said: { precision: 'MONTH', year: 2015, month: 8, day: 0, asStated: '' },
      source: { url: 'https://example.org/seed/pakistan-russia-relationship-improving',
        publishedTimeMicros: '0' },
      topics: ['energy'],
      entities: [],
    } },
  }, 'event');
  const event = Buffer.from(EventType.encode(EventType.fromObject(obj)).finish());
  R.check(hex(event) === want.event, '§10 event bytes (canonical encoding, defaults dropped)');
  const si = signingInput(origin, eventId, event);
  R.check(hex(si) === want.signingInput, '§10 signing input');
  const sig = signer.sign(si);
  R.check(hex(sig) === want.signature, '§10 signature');
  R.check(ed25519Verify(signer.publicKey, si, sig), '§10 signature verifies');
  const leaf = encodeLeaf(time, eventId, signer.keyId, sig, event);
  R.check(hex(leafHash(leaf)) === want.leafHash, '§10 leaf hash');
  const d = decodeLeaf(leaf);
  R.check(d.eventId === eventId && d.recordedTimeMicros === time && d.event.equals(event),
    '§10 leaf data decodes back');
  R.check(makeVerifierKey(origin, logKey.publicKey) === want.vkey, '§10 verifier key');
  const text = `${origin}\n1\n${leafHash(leaf).toString('base64')}\n`;
  const noteSig = Buffer.concat([noteKeyHash(origin, logKey.publicKey), logKey.sign(utf8(text))]);
  R.check(`${text}\n\u2014 ${origin} ${noteSig.toString('base64')}\n` === want.checkpoint,
    '§10 checkpoint note');
  try {
    const cp = verifyCheckpoint(want.checkpoint, parseVerifierKey(want.vkey), origin);
    R.check(cp.size === 1 && hex(cp.root) === want.leafHash, '§10 checkpoint verifies');
  } catch (e) {
    R.check(false, `§10 checkpoint verifies: ${e.message}`);
  }
  R.check(verifyInclusion(0, 1, leafHash(leaf), [], leafHash(leaf)), 'inclusion in a size-1 tree');
}

function checkKeyFiles(ledgerctl, tmp) {
  R.section('key files: ledgerctl keygen read by Node');
  const base = path.join(tmp, 'cli.key');
  const r = run(ledgerctl, ['keygen', '--out', base, '--json']);
  if (!R.check(r.status === 0, `ledgerctl keygen exits 0 (${r.stderr})`)) return;
  const k = new SigningKey(readKeyFile(base, 'private'));
  R.check(k.publicKey.equals(readKeyFile(`${base}.pub`, 'public')),
    'public key derived in Node from the seed equals the .pub file');
  R.check((fs.statSync(base).mode & 0o777) === 0o600, 'private key file has mode 0600');
  let info = null;
  try { info = JSON.parse(r.stdout.trim().split('\n')[0]); } catch (e) { /* below */ }
  if (info && typeof info.key_id === 'string') {
    R.check(info.key_id === hex(k.keyId), 'key id derivation (§1) matches ledgerctl keygen');
  } else {
    R.notes.push('ledgerctl keygen --json output has no key_id field (its shape is not documented)');
  }
}

async function runAgainstServer(a, tmp, EventType, StatusType, types) {
  R.section('ledgerd init with a Node-written admin key');
  const admin = SigningKey.generate();
  const adminBase = path.join(tmp, 'admin.key');
  writeKeyFiles(admin, adminBase);
  const dataDir = path.join(tmp, 'data');
  const init = run(a.ledgerd, ['init', '--data-dir', dataDir, '--origin', ORIGIN,
    '--admin-key', `${adminBase}.pub`]);
  console.log(init.stdout.trim());
  must(init.status === 0, `ledgerd init exits 0 (stderr: ${init.stderr})`);
  const m = /^checkpoint verifier key: (\S+)$/m.exec(init.stdout);
  must(m, 'ledgerd init prints "checkpoint verifier key: ..."');
  let verifier;
  try { verifier = parseVerifierKey(m[1]); } catch (e) { must(false, `verifier key: ${e.message}`); }
  R.check(verifier.name === ORIGIN, 'verifier key names the origin');
  R.check(true, 'verifier key hash = SHA-256(origin \\n 0x01 pub)[0:4]');

  const server = new Server(a.ledgerd, dataDir, tmp);
  let client = null;
  let follower = null;
  let stopped = false;
  try {
    await server.waitForPort();
    R.check(true, `ledgerd serve wrote its port file (port ${server.port})`);
    const pkgDef = protoLoader.loadSync(['ledger/v1/ledger_service.proto', 'ledger/v1/claim_service.proto'], {
      includeDirs: [a.protoRoot], keepCase: false, longs: String, bytes: Buffer, enums: String,
      defaults: true, oneofs: true,
    });
    const ledger = grpc.loadPackageDefinition(pkgDef).ledger.v1;
    client = new ledger.LedgerService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    server.claims = new ledger.ClaimService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    await new Promise((resolve, reject) => client.waitForReady(Date.now() + SERVER_START_MS,
      (err) => (err ? reject(err) : resolve())));
    await checksWithServer(client, admin, verifier, a, EventType, StatusType, types, server);

    R.section('a follower of this server (ledgerd init-follower, serve --follow)');
    const finit = run(a.ledgerd, ['init-follower', '--data-dir', path.join(tmp, 'follower'),
      '--origin', ORIGIN, '--log-key', m[1], '--admin-key', `${adminBase}.pub`]);
    must(finit.status === 0, `ledgerd init-follower exits 0 (${finit.stderr})`);
    follower = new Server(a.ledgerd, path.join(tmp, 'follower'), tmp, 'follower',
      ['--follow', `127.0.0.1:${server.port}`]);
    await follower.waitForPort();
    const makeClient = (ep) => new ledger.LedgerService(ep, grpc.credentials.createInsecure());
    const followed = await checkLeaderFollowing(server, follower, admin, EventType, types,
      makeClient);

    R.section('stop the server, then audit the data directory with ledgerctl verify');
    client.close();
    client = null;
    server.claims.close();
    const rc = await server.stop();
    stopped = true;
    R.check(rc === 0, `ledgerd exits 0 on SIGTERM (got ${rc})`);
    await checkNoLeader(server, follower, admin, EventType, types, makeClient, followed);
    const v = run(a.ledgerctl, ['verify', '--data-dir', dataDir, '--origin', ORIGIN,
      '--log-key', hex(verifier.pub), '--admin-key', `${adminBase}.pub`]);
    R.check(v.status === 0,
      `ledgerctl verify: the Node-written log is intact (rc ${v.status}: ${v.stdout}${v.stderr})`);
  } finally {
    if (client) client.close();
    if (!stopped) await server.stop();
    server.kill();
    if (follower) {
      const frc = await follower.stop();
      R.check(frc === 0, `the follower exits 0 on SIGTERM (got ${frc})`);
      follower.kill();
    }
  }
}

function deadEndpoint() {  // a loopback port just bound and released: nothing listens there
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}

// An admin-signed KeyRegistered for a fresh key: an event only a leader appends.
function registerEvent(admin, EventType, eventId) {
  const k = SigningKey.generate();
  const bytes = Buffer.from(EventType.encode(EventType.fromObject(canonicalObject(EventType, {
    keyRegistered: { publicKey: k.publicKey.toString('base64'), role: 'SUBMITTER',
      holder: `Node ${eventId}` },
  }, 'event'))).finish());
  return makeSignedEvent(admin, ORIGIN, eventId, bytes);
}

// docs/api.md "Several endpoints: following the leader", against the real follower.
async function checkLeaderFollowing(server, follower, admin, EventType, types, makeClient) {
  const leaderAddr = `127.0.0.1:${server.port}`;
  const followerAddr = `127.0.0.1:${follower.port}`;
  const appenders = [];
  const appender = (eps, opts) => {
    const ap = new LeaderFollowingAppender(eps, makeClient, types, opts);
    appenders.push(ap);
    return ap;
  };
  try {
    R.section('the follower refuses an append: FAILED_PRECONDITION, NOT_LEADER, the leader hint');
    const e1 = registerEvent(admin, EventType, 'node-follow-1');
    const fc = makeClient(followerAddr);
    const err = await rpcError(fc, 'Append', { event: e1 });
    fc.close();
    const info = errorInfos(err, types)[0];
    R.check(err && err.code === grpc.status.FAILED_PRECONDITION,
      `FAILED_PRECONDITION (got ${err && err.code}: ${err && err.details})`);
    R.check(info && info.reason === 'NOT_LEADER' && info.domain === 'factledger.dev',
      `ErrorInfo reason NOT_LEADER, domain factledger.dev (got ${info && info.reason})`);
    R.check(info && info.metadata && info.metadata.leader === leaderAddr,
      `ErrorInfo metadata["leader"] is ${leaderAddr} (got ${info && info.metadata && info.metadata.leader})`);

    R.section('[follower, leader]: the append lands on the leader, a resend is a duplicate');
    const ap = appender([followerAddr, leaderAddr]);
    const r1 = await ap.append(e1);
    R.check(ap.leader === leaderAddr && !r1.duplicate,
      `acknowledged by the leader, not a duplicate (${JSON.stringify(ap.attempts)})`);
    R.check(ap.attempts.length === 2 && ap.attempts[0][0] === followerAddr &&
      ap.attempts[0][1].includes('NOT_LEADER') && ap.attempts[0][1].includes(leaderAddr),
    `the follower's NOT_LEADER named the leader, then the leader answered (${JSON.stringify(ap.attempts)})`);
    const lc = makeClient(leaderAddr);
    const { entry } = await rpc(lc, 'GetEntry', { sequence: r1.sequence });
    lc.close();
    R.check(entry.signedEvent.eventId === e1.eventId && entry.signedEvent.signature.equals(e1.signature),
      `the leader's entry ${r1.sequence} is the event sent`);
    const again = await appender([followerAddr, leaderAddr]).append(e1);
    R.check(again.duplicate && again.sequence === r1.sequence,
      `a fresh client resending the same id via the follower: duplicate, sequence ${r1.sequence} ` +
      `(got ${again.duplicate}, ${again.sequence})`);

    R.section('[dead, follower, leader]');
    const dead = await deadEndpoint();
    const ap2 = appender([dead, followerAddr, leaderAddr]);
    const e2 = registerEvent(admin, EventType, 'node-follow-2');
    const r2 = await ap2.append(e2);
    R.check(ap2.leader === leaderAddr && !r2.duplicate && num(r2.sequence) === num(r1.sequence) + 1,
      `acknowledged by the leader at ${num(r1.sequence) + 1} (got ${r2.sequence})`);
    R.check(JSON.stringify(ap2.attempts.map((x) => x[0])) === JSON.stringify([dead, followerAddr, leaderAddr]) &&
      ap2.attempts[0][1].startsWith('UNAVAILABLE'),
    `dead (UNAVAILABLE), follower, leader (${JSON.stringify(ap2.attempts)})`);
    const again2 = await appender([dead, followerAddr, leaderAddr]).append(e2);
    R.check(again2.duplicate && again2.sequence === r2.sequence,
      `resent via [dead, follower, leader]: duplicate, sequence ${r2.sequence}`);

    R.section('a refusal that is the answer is not retried elsewhere');
    const bad = { ...registerEvent(admin, EventType, 'node-follow-bad') };
    bad.signature = flipBit(bad.signature, 5, 1);
    const ap3 = appender([followerAddr, leaderAddr]);
    let thrown = null;
    try { await ap3.append(bad); } catch (e) { thrown = e; }
    const binfo = errorInfos(thrown, types)[0];
    R.check(thrown && thrown.code === grpc.status.INVALID_ARGUMENT && binfo &&
      binfo.reason === 'SIGNATURE_INVALID' && ap3.attempts.length === 2,
    `INVALID_ARGUMENT SIGNATURE_INVALID from the leader after 2 attempts (${thrown && thrown.message})`);

    // The follower holds everything before its leader goes.
    const deadline = Date.now() + 30000;
    const fcl = makeClient(followerAddr);
    let fsize = 0;
    while (Date.now() < deadline &&
      (fsize = num((await rpc(fcl, 'GetLogInfo', {})).treeSize)) < num(r2.sequence) + 1) {
      await new Promise((r) => setTimeout(r, 50));  // bounded polling
    }
    fcl.close();
    R.check(fsize >= num(r2.sequence) + 1, `the follower replicated to ${fsize}`);
    return { dead, leaderAddr, followerAddr };
  } finally {
    for (const ap of appenders) ap.close();
  }
}

// The leader is gone: every list fails, with the precise error.
async function checkNoLeader(server, follower, admin, EventType, types, makeClient, f) {
  R.section('no leader: the precise error');
  const e3 = registerEvent(admin, EventType, 'node-follow-3');
  const cases = [[[f.dead, f.followerAddr], 6], [[f.followerAddr], 4], [[f.dead, await deadEndpoint()], 5]];
  for (const [eps, attempts] of cases) {
    const ap = new LeaderFollowingAppender(eps, makeClient, types, { maxAttempts: attempts, deadlineMs: 20000 });
    let thrown = null;
    try { await ap.append(e3); } catch (e) { thrown = e; }
    ap.close();
    if (!R.check(thrown instanceof LeaderNotReached, `${eps}: gives up (${thrown})`)) continue;
    console.log(`  ${eps} -> ${thrown.message}`);
    R.check(thrown.attempts.length === attempts && thrown.message.includes(`${attempts} attempt(s)`) &&
      thrown.message.includes("'node-follow-3'") && thrown.message.includes(eps.join(',')) &&
      thrown.message.includes('final error: UNAVAILABLE') && thrown.lastError.code === grpc.status.UNAVAILABLE,
    `${eps}: names the event, ${attempts} attempts, the endpoints and the last error`);
    if (eps.includes(f.followerAddr)) {
      R.check(thrown.message.includes(`(leader hint ${f.leaderAddr})`) &&
        thrown.message.includes(`${f.leaderAddr} -> UNAVAILABLE`),
      `${eps}: followed the hint to the stopped leader`);
    }
  }
  let bad = null;
  try { new LeaderFollowingAppender([], makeClient, types); } catch (e) { bad = e; }
  R.check(bad && /endpoints/.test(bad.message), `no endpoints: ${bad && bad.message}`);
}

async function checksWithServer(client, admin, verifier, a, EventType, StatusType, types, server) {
  const keys = new Map([[hex(admin.keyId), admin.publicKey]]);  // our trusted key table
  const leaves = [];       // our own mirror: leaf hashes, by sequence
  const appended = [];     // {sequence, eventId, signed, leafHash, checkpoint}

  R.section('GetLogInfo and the empty-tree checkpoint');
  const info = await rpc(client, 'GetLogInfo', {});
  R.check(info.origin === ORIGIN, 'GetLogInfo origin');
  R.check(info.checkpointVerifierKey === makeVerifierKey(ORIGIN, verifier.pub),
    'GetLogInfo verifier key equals the one ledgerd init printed');
  R.check(info.treeSize === '0', 'new log has size 0');
  const cp0 = await rpc(client, 'GetCheckpoint', { treeSize: '0' });
  const c0 = checkpointOk(cp0.checkpoint, verifier, 'empty-tree checkpoint signature verifies');
  R.check(c0 && c0.size === 0 && c0.root.equals(sha256(Buffer.alloc(0))),
    'empty-tree checkpoint: size 0, root = SHA-256("")');
  R.check(cp0.treeSize === '0' && cp0.rootHash.equals(sha256(Buffer.alloc(0))),
    'GetCheckpoint fields match the note');

  async function append(signed, what) {
    const resp = await rpc(client, 'Append', { event: signed });
    const seq = num(resp.sequence);
    R.check(!resp.duplicate, `${what}: not a duplicate`);
    R.check(seq === leaves.length, `${what}: sequence ${seq}, want ${leaves.length}`);
    const leaf = encodeLeaf(BigInt(resp.recordedTimeMicros), signed.eventId, signed.keyId,
      signed.signature, signed.event);
    R.check(resp.leafHash.equals(leafHash(leaf)),
      `${what}: Append leaf_hash = SHA-256(0x00 || leaf data we expect)`);
    leaves.push(leafHash(leaf));
    const cp = checkpointOk(resp.checkpoint, verifier, `${what}: Append checkpoint verifies`);
    if (cp) {
      R.check(cp.size >= seq + 1 && cp.size === leaves.length && cp.root.equals(mth(leaves)),
        `${what}: Append checkpoint covers the entry, root = our MTH`);
    }
    appended.push({ sequence: seq, eventId: signed.eventId, signed, checkpoint: resp.checkpoint });
    return resp;
  }

  R.section('register a Node-made submitter key (KeyRegistered signed by the admin)');
  const sub = SigningKey.generate();
  const regEvent = Buffer.from(EventType.encode(EventType.fromObject(canonicalObject(EventType, {
    keyRegistered: { publicKey: sub.publicKey.toString('base64'), role: 'SUBMITTER',
      holder: 'Node interop submitter' },
  }, 'event'))).finish());
  await append(makeSignedEvent(admin, ORIGIN, 'node-register-submitter', regEvent),
    'register submitter');
  keys.set(hex(sub.keyId), sub.publicKey);

  R.section(`append the first ${N_SEED} seed claims signed by the submitter`);
  const lines = fs.readFileSync(a.seed, 'utf8').split('\n').filter((l) => l.trim() !== '');
  must(lines.length > N_SEED, `seed file has more than ${N_SEED} lines`);
  const drafts = lines.slice(0, N_SEED + 1).map((l, i) => {
    const d = JSON.parse(l);
    const ev = d.event;
    if (Object.keys(ev).length !== 1) throw new Error(`seed line ${i + 1}: not exactly one body`);
    const bytes = Buffer.from(EventType.encode(EventType.fromObject(
      canonicalObject(EventType, ev, `line ${i + 1}.event`))).finish());
    // Decoding and re-encoding must give the same bytes (each field once, in order).
    const again = Buffer.from(EventType.encode(EventType.decode(bytes)).finish());
    R.check(again.equals(bytes), `seed line ${i + 1}: event bytes round-trip`);
    R.check(EVENT_ID_RE.test(d.eventId), `seed line ${i + 1}: event id well formed`);
    return { eventId: d.eventId, bytes };
  });
  for (const d of drafts.slice(0, N_SEED)) {
    await append(makeSignedEvent(sub, ORIGIN, d.eventId, d.bytes), d.eventId);
  }

  R.section('claim matching: MatchClaims finds a reworded seed claim (docs/api.md)');
  let m = null;
  for (let tries = 0; m === null && tries < 200; tries++) {
    try {
      m = await rpc(server.claims, 'MatchClaims', {
        text: 'Ryabkov said the relationship between Russia and India will not be affected by Russia\'s growing military cooperation with Pakistan',
        minWatermark: String(leaves.length),
      });
    } catch (e) {
      if (e.code !== grpc.status.UNAVAILABLE) throw e;  // the index still loading
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (R.check(m !== null && m.matches.length >= 1, 'MatchClaims lists a match')) {
    R.check(m.matches[0].claim.claimId === drafts[0].eventId,
      `the best match is ${drafts[0].eventId} (got ${m.matches[0].claim.claimId}, score ${m.matches[0].score})`);
    R.check(m.matches[0].score >= m.minScore && m.minScore === 0.7,
      `its score ${m.matches[0].score} is at or above the default threshold 0.70`);
    R.check(m.matches[0].claim.status === 'ACTIVE', 'the match carries its status');
  }
  R.section('an appearance (claim_appeared) and a relation (claim_related), then GetClaim');
  const eventBytes = (obj) => Buffer.from(EventType.encode(EventType.fromObject(obj)).finish());
  await append(makeSignedEvent(sub, ORIGIN, 'node-seen-1', eventBytes({
    claimAppeared: { claimId: drafts[0].eventId,
      source: { url: 'https://second-outlet.example/node', publisher: 'Node Outlet' } },
  })), 'node-seen-1');
  await append(makeSignedEvent(sub, ORIGIN, 'node-rel-1', eventBytes({
    claimRelated: { claimId: drafts[1].eventId, relatedClaimId: drafts[0].eventId,
      relation: 'CONTRADICTS', reviewer: 'Node desk' },
  })), 'node-rel-1');
  const got = await rpc(server.claims, 'GetClaim', { claimId: drafts[0].eventId,
    minWatermark: String(leaves.length) });
  R.check(got.claim.appearances.length === 1 && got.claim.independentPublishers === 2,
    `GetClaim lists the appearance, 2 independent publishers (got ${got.claim.appearances.length}, ${got.claim.independentPublishers})`);
  R.check(got.claim.relations.length === 1 && got.claim.relations[0].relation.relation === 'CONTRADICTS',
    'GetClaim lists the relation recorded on the other claim');

  const tooLong = await rpcError(server.claims, 'MatchClaims', { text: 'x'.repeat(16 * 1024 + 1) });
  R.check(tooLong !== null && tooLong.code === grpc.status.INVALID_ARGUMENT && /text/.test(tooLong.details),
    `a 16 KiB + 1 statement is INVALID_ARGUMENT naming text (${tooLong && tooLong.details})`);

  R.section('a bad signature is refused with INVALID_ARGUMENT and writes nothing');
  const extra = drafts[N_SEED];
  const good = makeSignedEvent(sub, ORIGIN, extra.eventId, extra.bytes);
  const bad = { ...good, signature: flipBit(good.signature, 10, 3) };
  const before = await rpc(client, 'GetLogInfo', {});
  const err = await rpcError(client, 'Append', { event: bad });
  if (R.check(err !== null, 'bad signature refused')) {
    R.check(err.code === grpc.status.INVALID_ARGUMENT,
      `status INVALID_ARGUMENT (got ${err.code}: ${err.details})`);
    R.check(/signature/.test(err.details || ''), `message names the field signature: "${err.details}"`);
    console.log(`  refusal message: ${err.details}`);
    const trailer = err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
    if (R.check(trailer.length === 1, 'grpc-status-details-bin trailer present')) {
      checkStatusDetails(trailer[0], err, StatusType, types);
    }
  }
  const after = await rpc(client, 'GetLogInfo', {});
  R.check(after.treeSize === before.treeSize && num(after.treeSize) === leaves.length,
    `tree size unchanged after the refusal (${before.treeSize} -> ${after.treeSize})`);
  const cpAfter = await rpc(client, 'GetCheckpoint', { treeSize: '0' });
  R.check(cpAfter.rootHash.equals(mth(leaves)), 'root unchanged after the refusal');
  const wrongOrigin = makeSignedEvent(sub, 'other.example/log', extra.eventId, extra.bytes);
  const err2 = await rpcError(client, 'Append', { event: wrongOrigin });
  R.check(err2 && err2.code === grpc.status.INVALID_ARGUMENT,
    `signature for another origin refused with INVALID_ARGUMENT (got ${err2 && err2.code})`);
  await append(good, `${extra.eventId} (after the refusals, correctly signed)`);
  const dup = await rpc(client, 'Append', { event: good });
  R.check(dup.duplicate && num(dup.sequence) === leaves.length - 1 &&
    dup.leafHash.equals(leaves[leaves.length - 1]), 'retry returns the original entry (§6)');

  const size = leaves.length;
  R.section(`read back all ${size} entries (GetEntry, ListEntries) and verify them`);
  const list = await rpc(client, 'ListEntries', { startSequence: '0', maxEntries: 100 });
  R.check(list.treeSize === String(size), `ListEntries tree_size ${list.treeSize}`);
  R.check(list.entries.length === size, `ListEntries returns ${list.entries.length} entries`);
  let lastTime = -1n;
  const seenIds = new Set();
  for (const ap of appended) {
    const n = ap.sequence;
    const { entry } = await rpc(client, 'GetEntry', { sequence: String(n) });
    const listed = list.entries[n];
    const tag = `entry ${n} (${ap.eventId})`;
    R.check(entry.sequence === String(n), `${tag}: sequence`);
    const se = entry.signedEvent;
    R.check(se.version === 1 && se.eventId === ap.eventId && se.event.equals(ap.signed.event) &&
      se.keyId.equals(ap.signed.keyId) && se.signature.equals(ap.signed.signature),
    `${tag}: GetEntry serves the exact signed event we sent`);
    R.check(listed && listed.leafData.equals(entry.leafData) &&
      listed.signedEvent.event.equals(entry.signedEvent.event) && listed.sequence === entry.sequence,
    `${tag}: ListEntries and GetEntry agree byte for byte`);
    R.check(leafHash(entry.leafData).equals(entry.leafHash) && entry.leafHash.equals(leaves[n]),
      `${tag}: leaf_hash = SHA-256(0x00 || leaf_data)`);
    let d = null;
    try { d = decodeLeaf(entry.leafData); } catch (e) { R.check(false, `${tag}: leaf data: ${e.message}`); }
    if (!d) continue;
    R.check(d.eventId === ap.eventId && d.keyId.equals(ap.signed.keyId) &&
      d.signature.equals(ap.signed.signature) && d.event.equals(ap.signed.event) &&
      String(d.recordedTimeMicros) === entry.recordedTimeMicros,
    `${tag}: leaf data fields equal the entry's`);
    R.check(EVENT_ID_RE.test(d.eventId) && !seenIds.has(d.eventId), `${tag}: event id well formed, unique`);
    seenIds.add(d.eventId);
    R.check(d.recordedTimeMicros >= lastTime, `${tag}: recorded time does not decrease`);
    lastTime = d.recordedTimeMicros;
    const pub = keys.get(hex(d.keyId));
    R.check(pub && ed25519Verify(pub, signingInput(ORIGIN, d.eventId, d.event), d.signature),
      `${tag}: signature verifies in Node over the §3 signing input`);
    const ev = EventType.decode(d.event);
    R.check(Buffer.from(EventType.encode(ev).finish()).equals(d.event), `${tag}: stored event canonical`);
  }
  const pastEnd = await rpcError(client, 'GetEntry', { sequence: String(size) });
  R.check(pastEnd && pastEnd.code === grpc.status.NOT_FOUND, 'GetEntry past the end is NOT_FOUND');

  R.section('latest checkpoint, inclusion and consistency proofs');
  const latest = await rpc(client, 'GetCheckpoint', { treeSize: '0' });
  const cp = checkpointOk(latest.checkpoint, verifier, 'latest checkpoint signature verifies');
  must(cp, 'latest checkpoint');
  R.check(cp.size === size && cp.root.equals(mth(leaves)), `latest checkpoint: size ${size}, root = our MTH`);
  R.check(latest.treeSize === String(cp.size) && latest.rootHash.equals(cp.root),
    'GetCheckpoint fields match the note');
  for (let n = 0; n < size; n++) {
    const p = await rpc(client, 'GetInclusionProof', { sequence: String(n), treeSize: String(cp.size) });
    R.check(p.sequence === String(n) && p.treeSize === String(cp.size) && p.leafHash.equals(leaves[n]) &&
      p.rootHash.equals(cp.root), `inclusion proof ${n}: header fields`);
    R.check(verifyInclusion(n, cp.size, leaves[n], p.hashes, cp.root),
      `inclusion proof ${n} (${p.hashes.length} hashes) verifies against the signed root`);
    if (p.hashes.length > 0) {
      const tampered = [...p.hashes];
      tampered[0] = flipBit(tampered[0]);
      R.check(!verifyInclusion(n, cp.size, leaves[n], tampered, cp.root),
        `inclusion proof ${n}: a changed hash fails our verifier`);
    }
  }
  const byHash = await rpc(client, 'GetInclusionProof', { leafHash: leaves[2], treeSize: '0' });
  R.check(byHash.sequence === '2' && verifyInclusion(2, cp.size, leaves[2], byHash.hashes, cp.root),
    'inclusion proof by leaf hash verifies');
  for (const ap of appended) {
    const old = verifyCheckpoint(ap.checkpoint, verifier, ORIGIN);
    const stored = await rpc(client, 'GetCheckpoint', { treeSize: String(old.size) });
    R.check(stored.checkpoint === ap.checkpoint, `GetCheckpoint(${old.size}) returns the note Append gave`);
    const c = await rpc(client, 'GetConsistencyProof', {
      fromTreeSize: String(old.size), toTreeSize: String(cp.size) });
    R.check(c.fromRootHash.equals(old.root) && c.toRootHash.equals(cp.root) &&
      verifyConsistency(old.size, cp.size, old.root, cp.root, c.hashes),
    `consistency proof ${old.size} -> ${cp.size} verifies`);
  }
  const beyond = await rpcError(client, 'GetInclusionProof', { sequence: '0', treeSize: String(size + 1) });
  R.check(beyond && beyond.code === grpc.status.OUT_OF_RANGE,
    `inclusion proof beyond the log is OUT_OF_RANGE (got ${beyond && beyond.code})`);

  R.section('ledgerctl proof accepts a Node-appended entry');
  const pr = run(a.ledgerctl, ['proof', '--server', `127.0.0.1:${server.port}`,
    '--sequence', String(size - 1), '--log-key', makeVerifierKey(ORIGIN, verifier.pub)]);
  R.check(pr.status === 0, `ledgerctl proof --sequence ${size - 1} exits 0 (${pr.stdout}${pr.stderr})`);
}

function checkStatusDetails(bin, err, StatusType, types) {
  let st;
  try { st = StatusType.decode(bin); } catch (e) {
    R.check(false, `grpc-status-details-bin decodes as google.rpc.Status: ${e.message}`);
    return;
  }
  R.check(st.code === grpc.status.INVALID_ARGUMENT && st.message === err.details,
    'google.rpc.Status code and message equal the call status');
  let info = null;
  let badRequest = null;
  for (const any of st.details) {
    if (any.type_url === 'type.googleapis.com/google.rpc.ErrorInfo' ||
        any.typeUrl === 'type.googleapis.com/google.rpc.ErrorInfo') info = types.ErrorInfo.decode(any.value);
    if (any.type_url === 'type.googleapis.com/google.rpc.BadRequest' ||
        any.typeUrl === 'type.googleapis.com/google.rpc.BadRequest') badRequest = types.BadRequest.decode(any.value);
  }
  if (R.check(info, 'details hold a google.rpc.ErrorInfo')) {
    R.check(info.domain === 'factledger.dev', `ErrorInfo domain ${info.domain}`);
    R.check(info.reason === 'SIGNATURE_INVALID', `ErrorInfo reason ${info.reason}`);
    const field = info.metadata && info.metadata.field;
    R.check(typeof field === 'string' && /(^|\.)signature$/.test(field),
      `ErrorInfo metadata.field names the signature (got ${field})`);
    if (field !== 'event.signature') {
      R.notes.push(`ErrorInfo metadata.field is "${field}" (relative to the SignedEvent; ` +
        'api.md says "the offending request field", which for AppendRequest would be event.signature)');
    }
  }
  if (badRequest) {
    const v = badRequest.fieldViolations;
    R.check(v.length >= 1 && /signature$/.test(v[0].field), `BadRequest field violation ${v[0] && v[0].field}`);
  } else {
    R.notes.push('no google.rpc.BadRequest in the details of a bad-signature refusal');
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.length !== 7) {
    console.log('usage: client_test.js LEDGERD LEDGERCTL CLAIM_PROTO SERVICE_PROTO STATUS_PROTO ' +
      'ERROR_DETAILS_PROTO SEED_CLAIMS_JSONL');
    return 2;
  }
  const [ledgerd, ledgerctl, claimProto, serviceProto, statusProto, detailsProto, seed] =
    argv.map((p) => path.resolve(p));
  // Every proto sits at <root>/<package path>; the imports are relative to that root.
  const protoRoot = path.resolve(claimProto, '../../..');
  for (const [f, rel] of [[serviceProto, 'ledger/v1/ledger_service.proto'],
    [statusProto, 'google/rpc/status.proto'], [detailsProto, 'google/rpc/error_details.proto']]) {
    if (path.join(protoRoot, rel) !== f) throw new Error(`${f} is not under ${protoRoot}`);
  }
  const a = { ledgerd, ledgerctl, seed, protoRoot };

  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => (path.isAbsolute(target) ? target : path.join(protoRoot, target));
  root.loadSync(['ledger/v1/claim.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto'],
    { keepCase: false });
  root.resolveAll();
  const EventType = root.lookupType('ledger.v1.Event');
  const StatusType = root.lookupType('google.rpc.Status');
  const types = {
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
    BadRequest: root.lookupType('google.rpc.BadRequest'),
    Status: StatusType,
  };

  const base = process.env.TEST_TMPDIR || os.tmpdir();
  const tmp = fs.mkdtempSync(path.join(base, 'interop_node.'));
  try {
    checkWorkedExample(EventType);
    checkKeyFiles(ledgerctl, tmp);
    await runAgainstServer(a, tmp, EventType, StatusType, types);
  } catch (e) {
    console.log(e && e.stack ? e.stack : e);
    R.failed.push(`unexpected exception: ${e && e.message}`);
  }
  console.log();
  console.log(`node interop summary: ${R.passed} checks passed, ${R.failed.length} failed`);
  for (const f of R.failed) console.log(`  FAILED: ${f}`);
  for (const n of R.notes) console.log(`  NOTE: ${n}`);
  for (const name of ['ledgerd', 'follower']) {
    const log = path.join(tmp, `${name}.log`);
    if (R.failed.length && fs.existsSync(log)) {
      console.log(`--- ${name} log ---`);
      console.log(fs.readFileSync(log, 'utf8'));
    }
  }
  return R.failed.length ? 1 : 0;
}

// Never leave a server behind, whatever happens.
process.on('exit', () => { for (const s of SERVERS) s.kill(); });

main().then((rc) => process.exit(rc), (e) => { console.log(e); process.exit(1); });
