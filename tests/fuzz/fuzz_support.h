// Shared pieces of the fuzz targets (tests/fuzz/*_fuzz.cc): a reader that turns fuzz input into
// values, a writer that builds the same encoding for the seed generator, the invariant check
// that aborts, and the fixed keys and identity every target uses.
//
// A target aborts (FUZZ_CHECK) when an invariant breaks: a differential mismatch, a round trip
// that does not reproduce its input, or a valid seed that is refused. Both the regression driver
// (regression_main.cc, gcc, `bazel test`) and libFuzzer (clang, scripts/fuzz.sh) count an abort
// as a crash.
#ifndef TESTS_FUZZ_FUZZ_SUPPORT_H_
#define TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "ledger/base/types.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"

// The libFuzzer entry points every target defines (LLVMFuzzerTestOneInput) and fuzz_support
// defines (LLVMFuzzerInitialize).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace ledger::fuzz {

// Reads values from the front of the fuzz input. Every read succeeds: past the end it returns
// zeros and empty strings, so a target never has to check. Thread-compatible.
class Input {
 public:
  Input(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}
  // Borrows `data`, which must outlive the reader (so not from a temporary string).
  explicit Input(absl::string_view data) : data_(data) {}
  explicit Input(std::string&&) = delete;

  bool empty() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }

  uint8_t U8();
  uint16_t U16();  // big-endian
  uint32_t U32();
  uint64_t U64();
  bool Bool() { return (U8() & 1) != 0; }
  // A value in [0, n) (0 when n == 0), from as many bytes as n needs.
  uint64_t Below(uint64_t n);
  // A size an adversary would pick: a tag byte chooses raw 64 bits, 2^k plus a small delta,
  // a small number, or UINT64_MAX minus a small number.
  uint64_t InterestingU64();
  // Up to `n` bytes (fewer at the end of the input).
  std::string Bytes(size_t n);
  // A u16be length (capped at `max`), then that many bytes.
  std::string Blob(size_t max = 0xffff);
  // 32 bytes.
  Hash Hash32();
  // Everything left.
  std::string Rest();

 private:
  absl::string_view data_;
};

// Builds inputs in Input's encoding (for the seed generator).
class Output {
 public:
  Output& U8(uint8_t v);
  Output& U16(uint16_t v);
  Output& U32(uint32_t v);
  Output& U64(uint64_t v);
  Output& Bytes(absl::string_view b);
  Output& Blob(absl::string_view b);  // u16be length + bytes
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// Structure-aware mutation (protobuf reflection; no libprotobuf-mutator offline): picks a field of
// `m`, or of a message reachable from it (set or not), as `in` says, and sets it to a value an
// adversary would try (limits +-1, ids of the sample log, known key ids, bytes from the input,
// unknown enum numbers), clears it, or adds or removes a repeated element. Byte-level mutation
// of serialised events mostly breaks the encoding; this reaches the rules behind the parser.
void MutateMessage(google::protobuf::Message* m, Input* in, int depth = 0);

// Prints "fuzz invariant violated at FILE:LINE: what" on the real stderr and aborts.
[[noreturn]] void Fail(const char* file, int line, const std::string& what);

// True while the regression driver runs a seed whose file name starts with "valid-": such a
// seed is a correct example of its format, and the target must accept it (checked with
// FUZZ_EXPECT_VALID). Always false under libFuzzer.
bool ExpectValid();
void SetExpectValid(bool expect);  // for the driver

// The file descriptor of the real stderr, saved at start-up (libFuzzer's -close_fd_mask and
// the regression driver silence fd 2 while a target runs).
int ReportFd();

// Keys from fixed seeds: the 32-byte seed is `fill` repeated.
crypto::Ed25519PrivateKey KeyFromFill(uint8_t fill);
// The log key (signs checkpoints), the genesis admin, and the extra keys a target may register
// (kExtraKeys of them) -- a target that re-signs an envelope picks one of these by index.
const crypto::Ed25519PrivateKey& LogKey();
const crypto::Ed25519PrivateKey& AdminKey();
inline constexpr int kExtraKeys = 4;
// 0 is AdminKey(), 1..kExtraKeys the extra keys, anything else wraps.
const crypto::Ed25519PrivateKey& SignerKey(int index);
std::string KeyIdOf(const crypto::PublicKey& key);

inline constexpr absl::string_view kOrigin = "fuzz.example/log";
// 2026-01-01T00:00:00Z: every fake clock of the targets.
inline constexpr int64_t kNowMicros = 1767225600LL * 1000000;

// Origin kOrigin, log key LogKey(), admin AdminKey().
core::LogIdentity Identity();
format::NoteVerifier Verifier();

}  // namespace ledger::fuzz

#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) ::ledger::fuzz::Fail(__FILE__, __LINE__, #cond);          \
  } while (0)

#define FUZZ_CHECK_MSG(cond, msg)                                                          \
  do {                                                                                     \
    if (!(cond)) ::ledger::fuzz::Fail(__FILE__, __LINE__, std::string(#cond) + ": " + (msg)); \
  } while (0)

// A correct seed must be accepted: `status` is an absl::Status.
#define FUZZ_EXPECT_VALID(status)                                                   \
  do {                                                                              \
    if (::ledger::fuzz::ExpectValid() && !(status).ok()) {                          \
      ::ledger::fuzz::Fail(__FILE__, __LINE__,                                      \
                           "a valid- seed was refused: " + (status).ToString());    \
    }                                                                               \
  } while (0)

#endif  // TESTS_FUZZ_FUZZ_SUPPORT_H_
