// Basic value types shared by every layer of the ledger.
#ifndef LEDGER_BASE_TYPES_H_
#define LEDGER_BASE_TYPES_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ledger {

// 0-based position of an entry in the log; also the leaf index in the Merkle tree.
using SequenceNumber = uint64_t;
// Number of entries in the log (the Merkle tree size).
using TreeSize = uint64_t;

// A SHA-256 digest.
using Hash = std::array<uint8_t, 32>;

inline absl::string_view AsStringView(const Hash& h) {
  return absl::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// Copies exactly 32 bytes into a Hash. Precondition: bytes.size() == 32.
Hash HashFromBytes(absl::string_view bytes);

std::string HexEncode(absl::string_view bytes);
inline std::string HexEncode(const Hash& h) { return HexEncode(AsStringView(h)); }
// Returns false on odd length or a non-hex character.
bool HexDecode(absl::string_view hex, std::string* out);

// Big-endian fixed-width integers, as used in every on-disk and signed format.
void PutFixed16BE(std::string* dst, uint16_t v);
void PutFixed32BE(std::string* dst, uint32_t v);
void PutFixed64BE(std::string* dst, uint64_t v);
uint16_t DecodeFixed16BE(const char* p);
uint32_t DecodeFixed32BE(const char* p);
uint64_t DecodeFixed64BE(const char* p);

}  // namespace ledger

#endif  // LEDGER_BASE_TYPES_H_
