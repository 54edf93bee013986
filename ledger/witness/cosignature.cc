#include "ledger/witness/cosignature.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ledger/base/types.h"
#include "ledger/crypto/sha256.h"

namespace ledger::witness {
namespace {

// Part of the signed-note format: DO NOT CHANGE.
constexpr absl::string_view kSignaturePrefix = "\xe2\x80\x94 ";  // U+2014 EM DASH, space
constexpr absl::string_view kCosignatureHeader = "cosignature/v1\n";
constexpr size_t kMaxReplyLines = 64;
constexpr size_t kMaxReplyBytes = 16 * 1024;

absl::Status ValidateCosignerName(absl::string_view name) {
  if (name.empty() || name.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("cosigner name must be 1..255 bytes, got ", name.size()));
  }
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == '+') {
      return absl::InvalidArgumentError(
          "cosigner name must be printable ASCII without spaces or '+', e.g. witness.example/w1");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CosignerKeyId(absl::string_view name, const crypto::PublicKey& key) {
  Hash h = crypto::Sha256Concat(
      {name, "\n", absl::string_view(&kCosignatureV1KeyType, 1), crypto::AsStringView(key)});
  return std::string(AsStringView(h).substr(0, 4));
}

std::string CosignerVerifierKey(const Cosigner& c) {
  std::string typed_key(1, kCosignatureV1KeyType);
  typed_key += std::string(crypto::AsStringView(c.public_key));
  return absl::StrCat(c.name, "+", HexEncode(CosignerKeyId(c.name, c.public_key)), "+",
                      absl::Base64Escape(typed_key));
}

absl::StatusOr<Cosigner> ParseCosignerVerifierKey(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('+', 2));
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        "witness key must be a cosigner verifier key <name>+<hex key id>+<base64 key>");
  }
  if (absl::Status s = ValidateCosignerName(parts[0]); !s.ok()) return s;
  std::string key_bytes;
  if (!absl::Base64Unescape(parts[2], &key_bytes) || key_bytes.size() != 33 ||
      absl::Base64Escape(key_bytes) != parts[2]) {
    return absl::InvalidArgumentError(
        "witness key must hold a type byte and a 32-byte Ed25519 key in padded base64");
  }
  if (key_bytes[0] != kCosignatureV1KeyType) {
    return absl::InvalidArgumentError(absl::StrCat(
        "witness key type is 0x", HexEncode(key_bytes.substr(0, 1)),
        "; only 0x04 (Ed25519 cosignature/v1) is supported"));
  }
  Cosigner c;
  c.name = std::string(parts[0]);
  std::memcpy(c.public_key.data(), key_bytes.data() + 1, 32);
  if (HexEncode(CosignerKeyId(c.name, c.public_key)) != parts[1]) {
    return absl::InvalidArgumentError(
        "witness key id does not match its name and key (or is not 8 lower-case hex digits)");
  }
  return c;
}

std::string CosignedMessage(absl::string_view note_text, uint64_t timestamp) {
  return absl::StrCat(kCosignatureHeader, "time ", timestamp, "\n", note_text);
}

std::string CosignatureLine(absl::string_view name, const crypto::Ed25519PrivateKey& key,
                            absl::string_view note_text, uint64_t timestamp) {
  std::string sig = CosignerKeyId(name, key.public_key());
  for (int shift = 56; shift >= 0; shift -= 8) {
    sig.push_back(static_cast<char>((timestamp >> shift) & 0xff));
  }
  sig += key.Sign(CosignedMessage(note_text, timestamp));
  return absl::StrCat(kSignaturePrefix, name, " ", absl::Base64Escape(sig), "\n");
}

absl::StatusOr<SignedNote> SplitSignedNote(absl::string_view note) {
  if (note.size() > kMaxSignedNoteBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("note is ", note.size(), " bytes; the limit is ", kMaxSignedNoteBytes));
  }
  const size_t split = note.find("\n\n");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError("note has no blank line before its signatures");
  }
  SignedNote out;
  out.text = std::string(note.substr(0, split + 1));
  absl::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return absl::InvalidArgumentError("note signatures must end with a newline");
  }
  sigs.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(sigs, '\n')) {
    if (!absl::StartsWith(line, kSignaturePrefix)) {
      return absl::InvalidArgumentError(absl::StrCat("note signature line ",
                                                     out.signature_lines.size() + 1,
                                                     " does not start with \"— \""));
    }
    out.signature_lines.emplace_back(line);
  }
  return out;
}

absl::StatusOr<uint64_t> VerifyCosignatureLine(absl::string_view line,
                                               absl::string_view note_text,
                                               const Cosigner& cosigner) {
  const std::string prefix = absl::StrCat(kSignaturePrefix, cosigner.name, " ");
  if (!absl::StartsWith(line, prefix)) {
    return absl::NotFoundError(absl::StrCat("not a line by ", cosigner.name));
  }
  const absl::string_view encoded = line.substr(prefix.size());
  std::string sig;
  // A signature of another type by the same name (e.g. ML-DSA) has another key id: decode
  // enough to see the key id before calling the line malformed.
  if (!absl::Base64Unescape(encoded, &sig) || absl::Base64Escape(sig) != encoded) {
    return absl::DataLossError(absl::StrCat("cosignature by ", cosigner.name,
                                            " is not canonical padded standard base64"));
  }
  if (sig.size() < 4 || sig.compare(0, 4, CosignerKeyId(cosigner.name, cosigner.public_key)) != 0) {
    return absl::NotFoundError(absl::StrCat("a line by ", cosigner.name, " with another key id"));
  }
  if (sig.size() != kCosignatureBytes) {
    return absl::DataLossError(absl::StrCat("cosignature by ", cosigner.name, " is ", sig.size(),
                                            " bytes; cosignature/v1 is ", kCosignatureBytes));
  }
  uint64_t timestamp = 0;
  for (int i = 4; i < 12; ++i) timestamp = (timestamp << 8) | static_cast<uint8_t>(sig[i]);
  if (timestamp > kMaxCosignatureTimestamp) {
    return absl::DataLossError(absl::StrCat("cosignature by ", cosigner.name,
                                            " has timestamp ", timestamp, ", over 2^63 - 1"));
  }
  if (!crypto::Ed25519Verify(cosigner.public_key, CosignedMessage(note_text, timestamp),
                             absl::string_view(sig).substr(12))) {
    return absl::DataLossError(absl::StrCat("cosignature by ", cosigner.name, " (time ",
                                            timestamp, ") does not verify"));
  }
  return timestamp;
}

absl::StatusOr<std::vector<std::string>> ParseSignatureLines(absl::string_view body) {
  if (body.size() > kMaxReplyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reply is ", body.size(), " bytes; the limit is ", kMaxReplyBytes));
  }
  if (body.empty() || body.back() != '\n') {
    return absl::InvalidArgumentError("reply must be signature lines, each ending in a newline");
  }
  body.remove_suffix(1);
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (lines.size() == kMaxReplyLines) {
      return absl::InvalidArgumentError(
          absl::StrCat("reply has more than ", kMaxReplyLines, " signature lines"));
    }
    if (!absl::StartsWith(line, kSignaturePrefix) || line.size() == kSignaturePrefix.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reply line ", lines.size() + 1, " is not a signature line (\"— <name> <base64>\")"));
    }
    const absl::string_view rest = line.substr(kSignaturePrefix.size());
    const size_t space = rest.find(' ');
    if (space == 0 || space == absl::string_view::npos || space + 1 == rest.size() ||
        rest.find(' ', space + 1) != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reply line ", lines.size() + 1, " must be \"— <name> <base64>\" with one space"));
    }
    lines.emplace_back(line);
  }
  return lines;
}

std::string AppendSignatureLines(absl::string_view note, const std::vector<std::string>& lines) {
  std::string out(note);
  for (const std::string& line : lines) {
    const std::string full = absl::StrCat(line, "\n");
    // Present already: at the start of a line after the blank line (signature lines are
    // unique lines, so a substring match on "\n<line>\n" is exact).
    if (absl::StrContains(out, absl::StrCat("\n", full))) continue;
    out += full;
  }
  return out;
}

absl::StatusOr<WitnessPolicy> ParseWitnessPolicy(const std::vector<std::string>& verifier_keys,
                                                 int threshold) {
  if (verifier_keys.size() > kMaxPolicyWitnesses) {
    return absl::InvalidArgumentError(absl::StrCat("a policy names at most ",
                                                   kMaxPolicyWitnesses, " witnesses, got ",
                                                   verifier_keys.size()));
  }
  WitnessPolicy policy;
  for (const std::string& text : verifier_keys) {
    absl::StatusOr<Cosigner> c = ParseCosignerVerifierKey(text);
    if (!c.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("witness key \"", text, "\": ", c.status().message()));
    }
    for (const Cosigner& other : policy.witnesses) {
      if (other.name == c->name || other.public_key == c->public_key) {
        return absl::InvalidArgumentError(absl::StrCat(
            "witness key \"", text, "\": the policy already has a witness with this ",
            other.name == c->name ? "name" : "public key"));
      }
    }
    policy.witnesses.push_back(*c);
  }
  if (threshold < 1 || static_cast<size_t>(threshold) > policy.witnesses.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "witness policy ", threshold, " must be in 1..", policy.witnesses.size(),
        " (the number of witness keys given)"));
  }
  policy.threshold = threshold;
  return policy;
}

absl::StatusOr<PolicyResult> CheckWitnessPolicy(absl::string_view note,
                                                const WitnessPolicy& policy) {
  absl::StatusOr<SignedNote> split = SplitSignedNote(note);
  if (!split.ok()) return split.status();
  PolicyResult result;
  for (const Cosigner& w : policy.witnesses) {
    bool counted = false;
    for (const std::string& line : split->signature_lines) {
      absl::StatusOr<uint64_t> t = VerifyCosignatureLine(line, split->text, w);
      if (t.ok()) {
        counted = true;
        break;
      }
      if (!absl::IsNotFound(t.status())) {
        result.problems.push_back(absl::StrCat(w.name, ": ", t.status().message()));
      }
    }
    if (counted) result.cosigned_by.push_back(w.name);
  }
  if (result.cosigned_by.size() < static_cast<size_t>(policy.threshold)) {
    std::string who = result.cosigned_by.empty()
                          ? std::string("none")
                          : absl::StrJoin(result.cosigned_by, ", ");
    std::string msg = absl::StrCat("checkpoint is cosigned by ", result.cosigned_by.size(),
                                   " of the ", policy.witnesses.size(),
                                   " trusted witnesses (", who, "); the policy needs ",
                                   policy.threshold);
    if (!result.problems.empty()) {
      absl::StrAppend(&msg, "; refused: ", absl::StrJoin(result.problems, "; "));
    }
    return absl::FailedPreconditionError(msg);
  }
  return result;
}

}  // namespace ledger::witness
