#include "cli/bundle.h"

#include "ledger/base/status_macros.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/json.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/event_validation.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"

namespace ledger::cli {
namespace {

// The members of a bundle, in their canonical order.
constexpr absl::string_view kMembers[] = {
    "format",   "origin",     "sequence",  "event_id",        "leaf_data", "leaf_hash",
    "key_id",   "public_key", "tree_size", "inclusion_proof", "checkpoint"};

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("bundle: ", what));
}

absl::StatusOr<std::string> StringMember(const Json& doc, absl::string_view key) {
  const auto v = doc.find(std::string(key));
  if (v == doc.end() || !v->is_string()) {
    return Bad(absl::StrCat("\"", key, "\" must be a string"));
  }
  return v->get<std::string>();
}

// An integer written without sign, fraction or exponent that fits 64 bits (nlohmann parses
// anything else, "-0" and "1e3" included, as another kind of number).
absl::StatusOr<uint64_t> NumberMember(const Json& doc, absl::string_view key) {
  const auto v = doc.find(std::string(key));
  if (v == doc.end() || !v->is_number_unsigned()) {
    return Bad(absl::StrCat("\"", key, "\" must be a non-negative integer"));
  }
  return v->get<uint64_t>();
}

// Exactly `size` bytes as lowercase hex.
absl::StatusOr<std::string> HexBytes(absl::string_view key, absl::string_view hex, size_t size) {
  std::string out;
  if (hex.size() != 2 * size || !HexDecode(hex, &out)) {
    return Bad(absl::StrCat("\"", key, "\" must be ", 2 * size, " hex digits"));
  }
  return out;
}

std::string Indent(absl::string_view key, absl::string_view json_value, bool last = false) {
  return absl::StrCat("  ", JsonQuote(key), ": ", json_value, last ? "\n" : ",\n");
}

}  // namespace

std::string EncodeBundle(const ProofBundle& b) {
  std::string proof = "[";
  for (size_t i = 0; i < b.inclusion_proof.size(); ++i) {
    absl::StrAppend(&proof, i == 0 ? "\n" : ",\n", "    ", JsonQuote(HexEncode(b.inclusion_proof[i])));
  }
  absl::StrAppend(&proof, b.inclusion_proof.empty() ? "]" : "\n  ]");
  return absl::StrCat(
      "{\n", Indent("format", JsonQuote(kBundleFormat)), Indent("origin", JsonQuote(b.origin)),
      Indent("sequence", absl::StrCat(b.sequence)), Indent("event_id", JsonQuote(b.event_id)),
      Indent("leaf_data", JsonQuote(absl::Base64Escape(b.leaf_data))),
      Indent("leaf_hash", JsonQuote(HexEncode(b.leaf_hash))),
      Indent("key_id", JsonQuote(HexEncode(b.key_id))),
      Indent("public_key", JsonQuote(HexEncode(crypto::AsStringView(b.public_key)))),
      Indent("tree_size", absl::StrCat(b.tree_size)), Indent("inclusion_proof", proof),
      Indent("checkpoint", JsonQuote(b.checkpoint), /*last=*/true), "}\n");
}

absl::StatusOr<ProofBundle> DecodeBundle(absl::string_view document) {
  absl::StatusOr<Json> doc = ParseJson(document);
  if (!doc.ok()) return Bad(doc.status().message());
  if (!doc->is_object()) return Bad("not a JSON object");
  for (const auto& [key, value] : doc->items()) {
    bool known = false;
    for (absl::string_view m : kMembers) known = known || key == m;
    if (!known) return Bad(absl::StrCat("unknown member \"", key, "\""));
  }
  for (absl::string_view m : kMembers) {
    if (!doc->contains(std::string(m))) return Bad(absl::StrCat("member \"", m, "\" is missing"));
  }
  ProofBundle b;
  absl::StatusOr<std::string> format = StringMember(*doc, "format");
  if (!format.ok()) return format.status();
  if (*format != kBundleFormat) {
    return Bad(absl::StrCat("format is \"", *format, "\", want \"", kBundleFormat, "\""));
  }
  absl::StatusOr<std::string> s = StringMember(*doc, "origin");
  if (!s.ok()) return s.status();
  b.origin = *s;
  absl::StatusOr<uint64_t> n = NumberMember(*doc, "sequence");
  if (!n.ok()) return n.status();
  b.sequence = *n;
  s = StringMember(*doc, "event_id");
  if (!s.ok()) return s.status();
  b.event_id = *s;
  s = StringMember(*doc, "leaf_data");
  if (!s.ok()) return s.status();
  if (!absl::Base64Unescape(*s, &b.leaf_data)) return Bad("\"leaf_data\" is not base64");
  s = StringMember(*doc, "leaf_hash");
  if (!s.ok()) return s.status();
  absl::StatusOr<std::string> bytes = HexBytes("leaf_hash", *s, 32);
  if (!bytes.ok()) return bytes.status();
  b.leaf_hash = HashFromBytes(*bytes);
  s = StringMember(*doc, "key_id");
  if (!s.ok()) return s.status();
  bytes = HexBytes("key_id", *s, 32);
  if (!bytes.ok()) return bytes.status();
  b.key_id = *bytes;
  s = StringMember(*doc, "public_key");
  if (!s.ok()) return s.status();
  bytes = HexBytes("public_key", *s, crypto::kEd25519PublicKeySize);
  if (!bytes.ok()) return bytes.status();
  std::copy(bytes->begin(), bytes->end(), b.public_key.begin());
  n = NumberMember(*doc, "tree_size");
  if (!n.ok()) return n.status();
  b.tree_size = *n;
  const auto proof = doc->find("inclusion_proof");
  if (proof == doc->end() || !proof->is_array()) {
    return Bad("\"inclusion_proof\" must be an array");
  }
  for (const Json& h : *proof) {
    if (!h.is_string()) {
      return Bad("\"inclusion_proof\" must hold strings of 64 hex digits");
    }
    bytes = HexBytes("inclusion_proof", h.get_ref<const std::string&>(), 32);
    if (!bytes.ok()) return bytes.status();
    b.inclusion_proof.push_back(HashFromBytes(*bytes));
  }
  s = StringMember(*doc, "checkpoint");
  if (!s.ok()) return s.status();
  b.checkpoint = *s;
  return b;
}

absl::StatusOr<VerifiedBundle> VerifyBundle(absl::string_view document,
                                            const format::NoteVerifier& log_key) {
  absl::StatusOr<ProofBundle> decoded = DecodeBundle(document);
  if (!decoded.ok()) return decoded.status();
  LEDGER_ASSIGN_OR_RETURN(VerifiedBundle out, VerifyBundleContent(*std::move(decoded), log_key));
  // Last: the bytes must be exactly the canonical encoding of what they say.
  const std::string canonical = EncodeBundle(out.bundle);
  if (canonical != document) {
    size_t at = 0;
    while (at < canonical.size() && at < document.size() && canonical[at] == document[at]) ++at;
    return Bad(absl::StrCat("the file is not in canonical form (it differs from the canonical "
                            "encoding of its content at byte ", at, ")"));
  }
  return out;
}

absl::StatusOr<VerifiedBundle> VerifyBundleContent(ProofBundle bundle,
                                                   const format::NoteVerifier& log_key) {
  VerifiedBundle out;
  out.bundle = std::move(bundle);
  const ProofBundle& b = out.bundle;

  // The checkpoint, against the key the user trusts.
  if (b.origin != log_key.name) {
    return Bad(absl::StrCat("origin is \"", b.origin, "\", but the log key is for \"",
                            log_key.name, "\""));
  }
  absl::StatusOr<format::Checkpoint> checkpoint = format::VerifyCheckpoint(b.checkpoint, log_key);
  if (!checkpoint.ok()) {
    return Bad(absl::StrCat("the checkpoint does not verify with the log key: ",
                            checkpoint.status().message()));
  }
  out.checkpoint = *checkpoint;
  if (checkpoint->tree_size != b.tree_size) {
    return Bad(absl::StrCat("tree_size is ", b.tree_size, " but the checkpoint is for size ",
                            checkpoint->tree_size));
  }

  // The entry, and its signature by the bundled key.
  absl::StatusOr<format::EntryView> view = format::DecodeLeafData(b.leaf_data);
  if (!view.ok()) return Bad(absl::StrCat("leaf_data: ", view.status().message()));
  out.recorded_time_micros = view->recorded_time_micros;
  if (view->event_id != b.event_id) {
    return Bad(absl::StrCat("event_id is \"", b.event_id, "\" but the leaf data names \"",
                            view->event_id, "\""));
  }
  if (absl::Status s = core::ValidateEventId(view->event_id); !s.ok()) {
    return Bad(absl::StrCat("leaf_data: ", s.message()));
  }
  absl::StatusOr<ledger::v1::Event> event = core::ParseStoredEvent(view->event);
  if (!event.ok()) return Bad(absl::StrCat("the event: ", event.status().message()));
  out.event = *std::move(event);
  if (view->key_id != b.key_id) {
    return Bad(absl::StrCat("key_id is ", HexEncode(b.key_id), " but the entry was signed by ",
                            HexEncode(view->key_id)));
  }
  if (AsStringView(crypto::SignerKeyId(b.public_key)) != b.key_id) {
    return Bad("public_key does not have the key id key_id");
  }
  absl::StatusOr<std::string> signing_input = format::EntrySigningInput(b.origin, *view);
  if (!signing_input.ok()) return Bad(signing_input.status().message());
  if (!crypto::Ed25519Verify(b.public_key, *signing_input, view->signature)) {
    return Bad("the entry's signature does not verify with public_key");
  }

  // Its place in the tree the checkpoint commits to.
  const Hash leaf_hash = merkle::HashLeaf(b.leaf_data);
  if (leaf_hash != b.leaf_hash) {
    return Bad(absl::StrCat("leaf_hash is ", HexEncode(b.leaf_hash), " but the leaf data hashes to ",
                            HexEncode(leaf_hash)));
  }
  if (absl::Status s = merkle::VerifyInclusion(b.sequence, b.tree_size, leaf_hash,
                                               b.inclusion_proof, checkpoint->root_hash);
      !s.ok()) {
    return Bad(absl::StrCat("the inclusion proof of entry ", b.sequence, " in the tree of size ",
                            b.tree_size, " does not verify: ", s.message()));
  }
  return out;
}

std::string EncodeTlogProof(const ProofBundle& bundle) {
  std::string extra(1, static_cast<char>(kTlogProofExtraVersion));
  extra.append(reinterpret_cast<const char*>(bundle.public_key.data()), bundle.public_key.size());
  extra.append(bundle.leaf_data);
  std::string out = absl::StrCat(kTlogProofHeader, "\nextra ", absl::Base64Escape(extra),
                                 "\nindex ", bundle.sequence, "\n");
  for (const Hash& h : bundle.inclusion_proof) {
    absl::StrAppend(&out, absl::Base64Escape(AsStringView(h)), "\n");
  }
  absl::StrAppend(&out, "\n", bundle.checkpoint);
  return out;
}

bool IsTlogProof(absl::string_view document) {
  return absl::StartsWith(document, absl::StrCat(kTlogProofHeader, "\n"));
}

absl::StatusOr<ProofBundle> DecodeTlogProof(absl::string_view document) {
  auto bad = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("tlog-proof: ", what));
  };
  if (!IsTlogProof(document)) {
    return bad(absl::StrCat("the first line must be ", kTlogProofHeader));
  }
  absl::string_view rest = document.substr(kTlogProofHeader.size() + 1);
  auto next_line = [&rest](absl::string_view* line) {
    const size_t nl = rest.find('\n');
    if (nl == absl::string_view::npos) return false;
    *line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    return true;
  };
  ProofBundle b;
  absl::string_view line;
  if (!next_line(&line) || !absl::ConsumePrefix(&line, "extra ")) {
    return bad("line 2 must be \"extra <base64>\": factledger proofs carry the public key and "
               "the leaf data there");
  }
  std::string extra;
  if (!absl::Base64Unescape(line, &extra)) return bad("extra is not base64");
  if (extra.size() < 1 + 32 + 1 || static_cast<uint8_t>(extra[0]) != kTlogProofExtraVersion) {
    return bad("extra must be 0x01 || public key (32 bytes) || leaf data");
  }
  std::copy(extra.begin() + 1, extra.begin() + 33, b.public_key.begin());
  b.leaf_data = extra.substr(33);
  if (!next_line(&line) || !absl::ConsumePrefix(&line, "index ") || line.empty() ||
      (line.size() > 1 && line[0] == '0') || !absl::SimpleAtoi(line, &b.sequence) ||
      line.find_first_not_of("0123456789") != absl::string_view::npos) {
    return bad("line 3 must be \"index <decimal without leading zeros>\"");
  }
  while (true) {
    if (!next_line(&line)) return bad("no empty line before the checkpoint");
    if (line.empty()) break;
    std::string hash;
    if (!absl::Base64Unescape(line, &hash) || hash.size() != 32) {
      return bad(absl::StrCat("inclusion proof line ", b.inclusion_proof.size() + 1,
                              " is not a base64 SHA-256 hash"));
    }
    if (b.inclusion_proof.size() == 64) return bad("more than 64 inclusion proof hashes");
    b.inclusion_proof.push_back(HashFromBytes(hash));
  }
  b.checkpoint = std::string(rest);
  // The note ends with its last signature line: nothing may follow it (one document per proof).
  if (!absl::EndsWith(rest, "\n") || absl::EndsWith(rest, "\n\n")) {
    return bad("the checkpoint must end with its last signature line and one newline");
  }
  absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(b.checkpoint);
  if (!cp.ok()) return bad(absl::StrCat("the checkpoint: ", cp.status().message()));
  b.origin = cp->origin;
  b.tree_size = cp->tree_size;
  absl::StatusOr<format::EntryView> view = format::DecodeLeafData(b.leaf_data);
  if (!view.ok()) return bad(absl::StrCat("the leaf data in extra: ", view.status().message()));
  b.event_id = std::string(view->event_id);
  b.key_id = std::string(view->key_id);
  b.leaf_hash = merkle::HashLeaf(b.leaf_data);
  if (EncodeTlogProof(b) != document) {
    return bad("not in canonical form (standard padded base64, one hash per line, no other "
               "bytes)");
  }
  return b;
}

absl::StatusOr<VerifiedBundle> VerifyTlogProof(absl::string_view document,
                                               const format::NoteVerifier& log_key) {
  LEDGER_ASSIGN_OR_RETURN(ProofBundle bundle, DecodeTlogProof(document));
  return VerifyBundleContent(std::move(bundle), log_key);
}

}  // namespace ledger::cli
