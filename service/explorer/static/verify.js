// Client-side verification for the explorer: everything here runs in the reader's browser and
// trusts nothing the server says about its own answers. Byte formats: docs/format.md
//   §4  leaf data and leaf hash, RFC 6962 / RFC 9162 Merkle tree and inclusion proofs
//   §5  checkpoints (C2SP tlog-checkpoint in a C2SP signed note) and the verifier key
//   §11 leaf data of envelope kind 2 (batch signatures)
// Hashes use WebCrypto SHA-256; checkpoint signatures WebCrypto Ed25519.

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

export class VerifyError extends Error {}

export function b64ToBytes(s) {
  if (typeof s !== 'string') throw new VerifyError('expected a base64 string');
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(std);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64(b) {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function hex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

// RFC 6962: leaf_hash = SHA-256(0x00 || leaf_data); node = SHA-256(0x01 || l || r).
export const leafHash = (leafData) => sha256(concat(Uint8Array.of(0), leafData));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// RFC 9162 §2.1.3.2: does `proof` (leaf side first) lead from `leaf` at `index` to `root` of a
// tree of `size` leaves? index and size are BigInt.
export async function verifyInclusion(index, size, leaf, proof, root) {
  const r = await rootFromInclusion(index, size, leaf, proof);
  return r !== null && equalBytes(r, root);
}

// The root that `proof` leads to from `leaf` at `index` in a tree of `size` leaves, or null when
// the proof has the wrong shape (RFC 9162 §2.1.3.2 without the final comparison).
async function rootFromInclusion(index, size, leaf, proof) {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32) return null;
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

// docs/format.md §4 and §11: the fields of one entry's leaf data. Throws VerifyError.
export function parseLeafData(b) {
  let o = 0;
  const need = (n, what) => {
    if (o + n > b.length) throw new VerifyError(`leaf data ends inside ${what}`);
  };
  const u8 = (what) => { need(1, what); return b[o++]; };
  const u16 = (what) => { need(2, what); const v = (b[o] << 8) | b[o + 1]; o += 2; return v; };
  const u32 = (what) => { need(4, what); const v = ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3]; o += 4; return v; };
  const bytes = (n, what) => { need(n, what); const v = b.subarray(o, o + n); o += n; return v; };
  const version = u8('the version');
  if (version !== 1) throw new VerifyError(`leaf data version ${version}, want 1`);
  const kind = u8('the envelope kind');
  if (kind !== 1 && kind !== 2) throw new VerifyError(`envelope kind ${kind}, want 1 or 2`);
  const t = bytes(8, 'the recorded time');
  let recorded = 0n;
  for (const x of t) recorded = (recorded << 8n) | BigInt(x);
  if (recorded >= 1n << 63n) recorded -= 1n << 64n;
  let eventId;
  try { eventId = td.decode(bytes(u16('the event id length'), 'the event id')); } catch (e) {
    if (e instanceof VerifyError) throw e;
    throw new VerifyError('event id is not UTF-8');
  }
  const keyId = bytes(32, 'the key id');
  const out = { version, kind, recordedTimeMicros: recorded, eventId, keyId };
  if (kind === 2) {
    out.batchId = bytes(u16('the batch id length'), 'the batch id');
    out.batchSize = u32('the batch size');
    out.batchIndex = u32('the batch index');
    const k = u8('the batch proof length');
    out.batchProof = [];
    for (let i = 0; i < k; i++) out.batchProof.push(bytes(32, 'the batch proof'));
  }
  out.signature = bytes(64, 'the signature');
  out.event = bytes(u32('the event length'), 'the event');
  if (o !== b.length) throw new VerifyError(`${b.length - o} trailing bytes after the event`);
  return out;
}

// Protocol buffer wire format, just enough to read an Event's strings: returns
// Map(fieldNumber -> [values]) with varints as BigInt and length-delimited fields as bytes.
export function decodeProto(b) {
  const fields = new Map();
  let o = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (o >= b.length) throw new VerifyError('event bytes end inside a varint');
      const x = b[o++];
      v |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return v;
      shift += 7n;
      if (shift > 63n) throw new VerifyError('varint too long in the event bytes');
    }
  };
  while (o < b.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value;
    if (wire === 0) value = varint();
    else if (wire === 1) { value = b.subarray(o, o + 8); o += 8; }
    else if (wire === 5) { value = b.subarray(o, o + 4); o += 4; }
    else if (wire === 2) {
      const n = Number(varint());
      if (o + n > b.length) throw new VerifyError('a field runs past the end of the event bytes');
      value = b.subarray(o, o + n);
      o += n;
    } else throw new VerifyError(`wire type ${wire} in the event bytes`);
    if (o > b.length) throw new VerifyError('a field runs past the end of the event bytes');
    if (!fields.has(field)) fields.set(field, []);
    fields.get(field).push(value);
  }
  return fields;
}

// The first length-delimited value at `path` (field numbers), or undefined.
function at(bytes, ...path) {
  let cur = bytes;
  for (const f of path) {
    const v = decodeProto(cur).get(f);
    if (!v || !(v[0] instanceof Uint8Array)) return undefined;
    cur = v[0];
  }
  return cur;
}
const str = (b) => (b === undefined ? '' : td.decode(b));

// What a claim event's bytes say (proto/ledger/v1/claim.proto field numbers): the body's kind,
// the claim it names, and for an assert or a correction the statement text and claimant name.
const BODIES = { 1: 'claim_asserted', 2: 'claim_corrected', 3: 'claim_retracted',
  4: 'claim_reviewed', 5: 'key_registered', 6: 'key_revoked', 7: 'claim_appeared',
  8: 'claim_related' };
export function readEvent(eventBytes) {
  const top = decodeProto(eventBytes);
  const bodies = [...top.keys()];
  if (bodies.length !== 1) throw new VerifyError(`event has ${bodies.length} bodies, want 1`);
  const field = bodies[0];
  const kind = BODIES[field];
  if (!kind) throw new VerifyError(`event body field ${field} is unknown`);
  const body = top.get(field)[0];
  const out = { kind };
  const claimAt = { claim_asserted: 1, claim_corrected: 2 }[kind];
  if (claimAt !== undefined) {
    out.statementText = str(at(body, claimAt, 2, 1));   // Claim.statement.text
    out.claimantName = str(at(body, claimAt, 1, 1));    // Claim.claimant.name
  }
  if (kind === 'claim_corrected') out.claimId = str(at(body, 1));
  if (['claim_retracted', 'claim_reviewed', 'claim_appeared', 'claim_related'].includes(kind)) {
    out.claimId = str(at(body, 1));
  }
  if (kind === 'claim_reviewed') out.ratingText = str(at(body, 5));
  return out;
}

// docs/format.md §5: "<name>+<8 hex key hash>+<base64(0x01 || public key)>", with the key hash
// checked. Throws VerifyError.
export async function parseVerifierKey(text) {
  // The origin has no '+' (docs/format.md §5); the base64 key may.
  const m = /^([^+\s]+)\+([^+]*)\+(\S+)$/.exec(text.trim());
  if (!m) throw new VerifyError('a verifier key is <origin>+<key hash>+<key>');
  const [, name, hashHex, keyB64] = m;
  if (!/^[0-9a-f]{8}$/.test(hashHex)) throw new VerifyError('the key hash is not 8 hex digits');
  let key;
  try { key = b64ToBytes(keyB64); } catch { throw new VerifyError('the key is not base64'); }
  if (key.length !== 33 || key[0] !== 1) throw new VerifyError('the key is not 0x01 and 32 bytes (Ed25519)');
  const publicKey = key.subarray(1);
  const want = (await sha256(concat(te.encode(name), te.encode('\n'), key))).subarray(0, 4);
  if (hex(want) !== hashHex) throw new VerifyError('the key hash does not match the key');
  return { name, keyHash: want, publicKey };
}

// Verifies a checkpoint note by `verifier` (parseVerifierKey) and returns
// {origin, size (BigInt), root (32 bytes)}. Throws VerifyError naming what failed.
export async function verifyCheckpoint(note, verifier) {
  const split = note.indexOf('\n\n');
  if (split < 0) throw new VerifyError('checkpoint: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = text.split('\n').slice(0, -1);
  if (lines.length < 3) throw new VerifyError('checkpoint: fewer than 3 lines');
  const [origin, sizeLine, rootLine] = lines;
  if (origin !== verifier.name) {
    throw new VerifyError(`checkpoint: origin "${origin}", the pinned key is for "${verifier.name}"`);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new VerifyError('checkpoint: bad tree size line');
  let root;
  try { root = b64ToBytes(rootLine); } catch { root = new Uint8Array(); }
  if (rootLine.length !== 44 || root.length !== 32) throw new VerifyError('checkpoint: bad root hash line');
  const sigLines = note.slice(split + 2).split('\n');
  if (sigLines[sigLines.length - 1] !== '') throw new VerifyError('checkpoint: no final newline');
  const ed = await crypto.subtle.importKey('raw', verifier.publicKey, { name: 'Ed25519' }, false, ['verify']);
  let found = false;
  for (const line of sigLines.slice(0, -1)) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new VerifyError('checkpoint: a signature line is malformed');
    if (m[1] !== verifier.name) continue;
    let sig;
    try { sig = b64ToBytes(m[2]); } catch { continue; }
    if (sig.length !== 68 || !equalBytes(sig.subarray(0, 4), verifier.keyHash)) continue;
    found = true;
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, ed, sig.subarray(4), te.encode(text));
    if (!ok) throw new VerifyError('checkpoint: the signature by the pinned key does not verify');
  }
  if (!found) throw new VerifyError('checkpoint: no signature by the pinned key');
  return { origin, size: BigInt(sizeLine), root };
}

export function utf8(s) { return te.encode(s); }

// docs/format.md §1: key_id = SHA-256("factledger/v1/key-id" || 0x00 || 0x01 || public_key).
export async function keyIdOf(publicKey) {
  return sha256(concat(te.encode('factledger/v1/key-id'), Uint8Array.of(0, 1), publicKey));
}

// docs/format.md §3: does `leaf` (parseLeafData) carry a valid Ed25519
// signature by `publicKey` for the log `origin`? The caller checks keyIdOf(publicKey) first.
// For envelope kind 2 (§11) the signature is the batch's: the event's batch item and its audit
// path give the batch root, and the signature covers the batch signing input.
export async function verifyEventSignature(leaf, origin, publicKey) {
  const o = te.encode(origin);
  const id = te.encode(leaf.eventId);
  const u16 = (n) => Uint8Array.of(n >> 8, n & 0xff);
  const u32 = (n) => Uint8Array.of(n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  let input;
  if (leaf.kind === 1) {
    input = concat(te.encode('factledger/v1/event'), Uint8Array.of(0), u16(o.length), o,
      u16(id.length), id, await sha256(leaf.event));
  } else {
    const item = concat(u16(id.length), id, await sha256(leaf.event));
    const root = await rootFromInclusion(BigInt(leaf.batchIndex), BigInt(leaf.batchSize),
      await leafHash(item), leaf.batchProof);
    if (root === null) return false;
    input = concat(te.encode('factledger/v1/batch'), Uint8Array.of(0), u16(o.length), o,
      u16(leaf.batchId.length), leaf.batchId, u32(leaf.batchSize), root);
  }
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, leaf.signature, input);
}
