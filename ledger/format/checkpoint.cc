#include "ledger/format/checkpoint.h"

#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/base/file_util.h"
#include "ledger/crypto/sha256.h"

namespace ledger::format {
namespace {

// Part of the signed-note format: DO NOT CHANGE.
constexpr absl::string_view kSignaturePrefix = "\xe2\x80\x94 ";  // U+2014 EM DASH, space
constexpr char kAlgEd25519 = 0x01;
constexpr size_t kMaxNoteSize = 16 * 1024;

absl::StatusOr<Checkpoint> ParseText(absl::string_view text) {
  // text ends with '\n'; split into lines without the final empty piece.
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 4 || !lines.back().empty()) {
    return absl::InvalidArgumentError(
        "checkpoint text must have at least 3 lines (origin, tree size, root hash)");
  }
  lines.pop_back();
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  if (absl::Status s = ValidateOrigin(cp.origin); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint line 1: ", s.message()));
  }
  absl::string_view size_text = lines[1];
  if (size_text.empty() || (size_text.size() > 1 && size_text[0] == '0') ||
      size_text.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(size_text, &cp.tree_size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint line 2: tree size must be a decimal number without leading zeros, got \"",
        absl::CHexEscape(size_text.substr(0, 32)), "\""));
  }
  std::string root;
  if (!absl::Base64Unescape(lines[2], &root) || root.size() != 32 ||
      absl::Base64Escape(root) != lines[2]) {
    return absl::InvalidArgumentError(
        "checkpoint line 3: root hash must be 32 bytes in padded standard base64");
  }
  cp.root_hash = HashFromBytes(root);
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint line ", i + 1, ": empty extension line"));
    }
  }
  return cp;
}

// Splits a note into its text (with final newline) and its signature lines.
absl::Status SplitNote(absl::string_view note, absl::string_view* text,
                       std::vector<absl::string_view>* signature_lines) {
  if (note.size() > kMaxNoteSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("note is ", note.size(), " bytes; the limit is ", kMaxNoteSize));
  }
  size_t split = note.find("\n\n");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError("note has no blank line before its signatures");
  }
  *text = note.substr(0, split + 1);
  absl::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return absl::InvalidArgumentError("note signatures must end with a newline");
  }
  sigs.remove_suffix(1);
  *signature_lines = absl::StrSplit(sigs, '\n');
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateOrigin(absl::string_view origin) {
  if (origin.empty() || origin.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("origin must be 1..255 bytes, got ", origin.size()));
  }
  for (char c : origin) {
    if (c <= 0x20 || c >= 0x7f || c == '+') {
      return absl::InvalidArgumentError(
          "origin must be printable ASCII without spaces or '+', e.g. example.org/factledger");
    }
  }
  return absl::OkStatus();
}

std::string CheckpointText(const Checkpoint& cp) {
  return absl::StrCat(cp.origin, "\n", cp.tree_size, "\n",
                      absl::Base64Escape(AsStringView(cp.root_hash)), "\n");
}

std::string NoteKeyHash(absl::string_view name, const crypto::PublicKey& key) {
  Hash h = crypto::Sha256Concat(
      {name, "\n", absl::string_view(&kAlgEd25519, 1), crypto::AsStringView(key)});
  return std::string(AsStringView(h).substr(0, 4));
}

std::string NoteVerifierKey(absl::string_view name, const crypto::PublicKey& key) {
  std::string alg_key = std::string(1, kAlgEd25519) + std::string(crypto::AsStringView(key));
  return absl::StrCat(name, "+", HexEncode(NoteKeyHash(name, key)), "+",
                      absl::Base64Escape(alg_key));
}

absl::StatusOr<NoteVerifier> ParseNoteVerifierKey(absl::string_view text) {
  // The name contains no '+', the hex hash neither; the base64 key may (so split twice only).
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('+', 2));
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        "verifier key must be <name>+<hex key hash>+<base64 key>");
  }
  std::string key_bytes;
  if (!absl::Base64Unescape(parts[2], &key_bytes) || key_bytes.size() != 33 ||
      absl::Base64Escape(key_bytes) != parts[2] ||
      key_bytes[0] != kAlgEd25519) {
    return absl::InvalidArgumentError(
        "verifier key must hold 0x01 (Ed25519) and a 32-byte public key in base64");
  }
  NoteVerifier v;
  v.name = std::string(parts[0]);
  std::memcpy(v.public_key.data(), key_bytes.data() + 1, 32);
  if (HexEncode(NoteKeyHash(v.name, v.public_key)) != parts[1]) {
    return absl::InvalidArgumentError("verifier key hash does not match its name and key");
  }
  return v;
}

std::string SignCheckpoint(const Checkpoint& cp, const crypto::Ed25519PrivateKey& key) {
  std::string text = CheckpointText(cp);
  std::string sig = NoteKeyHash(cp.origin, key.public_key()) + key.Sign(text);
  return absl::StrCat(text, "\n", kSignaturePrefix, cp.origin, " ", absl::Base64Escape(sig),
                      "\n");
}

absl::StatusOr<Checkpoint> ParseCheckpointUnverified(absl::string_view note) {
  absl::string_view text;
  std::vector<absl::string_view> signature_lines;
  if (absl::Status s = SplitNote(note, &text, &signature_lines); !s.ok()) return s;
  return ParseText(text);
}

absl::StatusOr<Checkpoint> VerifyCheckpoint(absl::string_view note,
                                            const NoteVerifier& verifier) {
  absl::string_view text;
  std::vector<absl::string_view> signature_lines;
  if (absl::Status s = SplitNote(note, &text, &signature_lines); !s.ok()) return s;
  absl::StatusOr<Checkpoint> cp = ParseText(text);
  if (!cp.ok()) return cp.status();
  if (cp->origin != verifier.name) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint is for origin \"", cp->origin, "\", expected \"", verifier.name, "\""));
  }
  const std::string key_hash = NoteKeyHash(verifier.name, verifier.public_key);
  const std::string prefix = absl::StrCat(kSignaturePrefix, verifier.name, " ");
  for (absl::string_view line : signature_lines) {
    if (!absl::StartsWith(line, kSignaturePrefix)) {
      return absl::InvalidArgumentError("note signature line does not start with \"— \"");
    }
    if (!absl::StartsWith(line, prefix)) continue;
    std::string sig;
    const absl::string_view encoded = line.substr(prefix.size());
    // Only the canonical encoding: a lenient decoder would let other bytes verify too.
    if (!absl::Base64Unescape(encoded, &sig) || sig.size() < 4 ||
        absl::Base64Escape(sig) != encoded) {
      return absl::DataLossError(absl::StrCat(
          "checkpoint signature by ", verifier.name,
          " is not canonical padded standard base64, so it cannot be the one the log wrote"));
    }
    if (sig.compare(0, 4, key_hash) != 0) continue;  // Same name, another key.
    if (!crypto::Ed25519Verify(verifier.public_key, text, absl::string_view(sig).substr(4))) {
      return absl::DataLossError(absl::StrCat("checkpoint signature by ", verifier.name,
                                              " does not verify (tree size ", cp->tree_size,
                                              ")"));
    }
    return cp;
  }
  return absl::DataLossError(absl::StrCat("checkpoint has no signature by the trusted key ",
                                          NoteVerifierKey(verifier.name, verifier.public_key)));
}

namespace {

// Longer than any key file or verifier key (keygen's files are under 100 bytes).
constexpr size_t kMaxLogKeyFileSize = 4096;

absl::StatusOr<TrustedLogKey> ParseLogKeyText(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::StrContains(text, '+')) {
    absl::StatusOr<NoteVerifier> v = ParseNoteVerifierKey(text);
    if (!v.ok()) return v.status();
    return TrustedLogKey{v->name, v->public_key};
  }
  absl::StatusOr<crypto::PublicKey> k = crypto::ParsePublicKey(text);
  if (!k.ok()) return k.status();
  return TrustedLogKey{"", *k};
}

}  // namespace

absl::StatusOr<TrustedLogKey> ParseLogKey(absl::string_view text_or_file) {
  const std::string value(text_or_file);
  if (absl::StrContains(value, '+')) {
    if (absl::StatusOr<NoteVerifier> v = ParseNoteVerifierKey(value); v.ok()) {
      return TrustedLogKey{v->name, v->public_key};
    }
  }
  if (::access(value.c_str(), F_OK) == 0) {
    absl::StatusOr<std::string> contents = ReadFileToString(value, kMaxLogKeyFileSize);
    if (!contents.ok()) return absl::InvalidArgumentError(contents.status().message());
    absl::StatusOr<TrustedLogKey> key = ParseLogKeyText(*contents);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "file ", value, " holds neither a checkpoint verifier key (<origin>+<hash>+<base64>) "
          "nor a public key (64 hex digits): ", key.status().message()));
    }
    return key;
  }
  absl::StatusOr<TrustedLogKey> key = ParseLogKeyText(value);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a checkpoint verifier key (<origin>+<hash>+<base64>), a public key (64 hex digits) "
        "or an existing file holding one: ", key.status().message()));
  }
  return key;
}

std::string MapCheckpointText(const MapCheckpoint& m) {
  return absl::StrCat(CheckpointText(m.checkpoint), kMapRootExtension, " ",
                      absl::Base64Escape(AsStringView(m.map_root)), "\n");
}

std::string SignMapCheckpoint(const MapCheckpoint& m, const crypto::Ed25519PrivateKey& key) {
  const std::string text = MapCheckpointText(m);
  const std::string& origin = m.checkpoint.origin;
  std::string sig = NoteKeyHash(origin, key.public_key()) + key.Sign(text);
  return absl::StrCat(text, "\n", kSignaturePrefix, origin, " ", absl::Base64Escape(sig), "\n");
}

absl::StatusOr<MapCheckpoint> VerifyMapCheckpoint(absl::string_view note,
                                                  const NoteVerifier& verifier) {
  absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(note, verifier);
  if (!cp.ok()) return cp.status();
  absl::string_view text;
  std::vector<absl::string_view> signature_lines;
  if (absl::Status s = SplitNote(note, &text, &signature_lines); !s.ok()) return s;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  lines.pop_back();  // the text ends with a newline
  if (lines.size() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "map checkpoint must have 4 lines (origin, tree size, log root, map root), got ",
        lines.size()));
  }
  const std::string prefix = absl::StrCat(kMapRootExtension, " ");
  std::string root;
  if (!absl::StartsWith(lines[3], prefix) ||
      !absl::Base64Unescape(lines[3].substr(prefix.size()), &root) || root.size() != 32 ||
      absl::Base64Escape(root) != lines[3].substr(prefix.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "map checkpoint line 4 must be \"", kMapRootExtension,
        " <32-byte map root in padded standard base64>\""));
  }
  MapCheckpoint m;
  m.checkpoint = *cp;
  m.map_root = HashFromBytes(root);
  return m;
}

}  // namespace ledger::format
