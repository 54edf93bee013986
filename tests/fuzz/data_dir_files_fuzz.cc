// The files of a data directory and of ledgerctl that are read as text: private and public key
// files (ledger/crypto/ed25519.h), the identity file <dir>/LEDGER (datadir::ReadIdentity,
// IsFollowerDataDir) and the checkpoint anchor <dir>/checkpoint.anchor (datadir::ReadAnchor,
// CheckAnchor). Each input is written to a real file in a scratch directory and read back
// through the product's own readers.
//
// Input: a selector byte (% 4: private key, public key, identity, anchor), then the file.
// Invariants: a key that reads is the key its hex digits name, and the file and text parsers
// agree; an identity that reads names a valid origin and at least one admin key, and reads
// back the same when written in the canonical layout; an anchor reads back byte for byte, and
// the anchor check accepts exactly a checkpoint of the sample log signed by its key.
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/proof.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

const std::string& ScratchDir() {
  static const std::string* dir = [] {
    // tmpfs when there is one: the files are fsynced, and many are written.
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                      : base != nullptr                 ? base
                                                                        : "/tmp") +
                          "/fuzz-data-dir-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    static const std::string* root = new std::string(pattern);
    std::atexit([] { std::filesystem::remove_all(*root); });
    return new std::string(pattern);
  }();
  return *dir;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  FUZZ_CHECK(static_cast<bool>(out.flush()));
}

std::string CanonicalIdentity(const core::LogIdentity& id, bool follower) {
  std::string text = absl::StrCat("factledger-data-dir v1\norigin ", id.origin, "\nlog-key ",
                                  HexEncode(crypto::AsStringView(id.log_public_key)), "\n");
  for (const crypto::PublicKey& k : id.admin_keys) {
    absl::StrAppend(&text, "admin-key ", HexEncode(crypto::AsStringView(k)), "\n");
  }
  if (follower) absl::StrAppend(&text, "role follower\n");
  return text;
}

void PrivateKey(const std::string& text) {
  const std::string path = ScratchDir() + "/fuzz.key";
  WriteFile(path, text);
  const absl::StatusOr<crypto::Ed25519PrivateKey> key = crypto::ReadPrivateKeyFile(path);
  FUZZ_EXPECT_VALID(key.status());
  if (!key.ok()) return;
  absl::string_view body = absl::StripAsciiWhitespace(text);
  FUZZ_CHECK(absl::ConsumePrefix(&body, "factledger-ed25519-private-key "));
  std::string seed;
  FUZZ_CHECK(HexDecode(body, &seed) && seed == key->seed());
  FUZZ_CHECK(key->public_key() == crypto::Ed25519PrivateKey::FromSeed(seed)->public_key());
}

void PublicKey(const std::string& text) {
  const std::string path = ScratchDir() + "/fuzz.key.pub";
  WriteFile(path, text);
  const absl::StatusOr<crypto::PublicKey> from_file = crypto::ReadPublicKeyFile(path);
  const absl::StatusOr<crypto::PublicKey> from_text = crypto::ParsePublicKey(text);
  FUZZ_EXPECT_VALID(from_file.status());
  // The file reader refuses files over 4096 bytes; otherwise both read the same.
  if (text.size() <= 4096) FUZZ_CHECK(from_file.ok() == from_text.ok());
  if (from_file.ok()) FUZZ_CHECK(from_text.ok() && *from_file == *from_text);
  if (from_text.ok()) {
    const absl::StatusOr<crypto::PublicKey> again =
        crypto::ParsePublicKey(crypto::FormatPublicKey(*from_text));
    FUZZ_CHECK(again.ok() && *again == *from_text);
  }
}

void IdentityFile(const std::string& text) {
  const std::string dir = ScratchDir() + "/identity";
  ::mkdir(dir.c_str(), 0755);
  WriteFile(datadir::IdentityFile(dir), text);
  const absl::StatusOr<core::LogIdentity> id = datadir::ReadIdentity(dir);
  FUZZ_EXPECT_VALID(id.status());
  const absl::StatusOr<bool> follower = datadir::IsFollowerDataDir(dir);
  FUZZ_CHECK(id.ok() == follower.ok());
  if (!id.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(id.status()) || absl::IsInvalidArgument(id.status()));
    return;
  }
  FUZZ_CHECK(format::ValidateOrigin(id->origin).ok());
  FUZZ_CHECK(!id->admin_keys.empty());
  WriteFile(datadir::IdentityFile(dir), CanonicalIdentity(*id, *follower));
  const absl::StatusOr<core::LogIdentity> again = datadir::ReadIdentity(dir);
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->origin == id->origin && again->log_public_key == id->log_public_key &&
             again->admin_keys == id->admin_keys);
  FUZZ_CHECK(*datadir::IsFollowerDataDir(dir) == *follower);
}

void Anchor(const std::string& note) {
  const std::string dir = ScratchDir() + "/anchor";
  ::mkdir(dir.c_str(), 0755);
  WriteFile(datadir::IdentityFile(dir), CanonicalIdentity(fuzz::Identity(), false));
  WriteFile(datadir::AnchorFile(dir), note);
  const absl::StatusOr<std::optional<std::string>> read = datadir::ReadAnchor(nullptr, dir);
  if (note.size() > 64 * 1024) {
    FUZZ_CHECK(!read.ok() && absl::IsDataLoss(read.status()));
    return;
  }
  FUZZ_CHECK_MSG(read.ok() && read->has_value() && **read == note, read.status().ToString());
  const absl::StatusOr<core::LogIdentity> id = datadir::ReadIdentity(dir);
  FUZZ_CHECK(id.ok());
  const format::NoteVerifier verifier{id->origin, id->log_public_key};
  const LogUnderTest& sample = SharedSampleLog();
  const store::LogStore& store = sample.log->store();
  const merkle::NodeReader reader = [&store](merkle::NodeId nid) { return store.GetNode(nid); };
  const absl::StatusOr<format::Checkpoint> checked =
      datadir::CheckAnchor(datadir::AnchorFile(dir), **read, verifier, store.Head(), reader);
  FUZZ_EXPECT_VALID(checked.status());
  const absl::StatusOr<format::Checkpoint> verified = format::VerifyCheckpoint(note, verifier);
  bool matches = false;
  if (verified.ok() && verified->tree_size <= store.Head().tree_size) {
    matches = *merkle::RootAt(verified->tree_size, reader) == verified->root_hash;
  }
  FUZZ_CHECK_MSG(checked.ok() == matches, checked.status().ToString());
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  const uint8_t selector = in.U8();
  const std::string text = in.Rest();
  switch (selector % 4) {
    case 0:
      ledger::fuzz::PrivateKey(text);
      break;
    case 1:
      ledger::fuzz::PublicKey(text);
      break;
    case 2:
      ledger::fuzz::IdentityFile(text);
      break;
    default:
      ledger::fuzz::Anchor(text);
      break;
  }
  return 0;
}
