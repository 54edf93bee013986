// ByteReader: a cursor over encoded bytes that refuses to read past their end. Integers are
// big-endian, as in every signed and stored format of the ledger. Each read returns false
// (consuming nothing) when the bytes run out; the caller turns that into DATA_LOSS.
#ifndef LEDGER_BASE_BYTE_READER_H_
#define LEDGER_BASE_BYTE_READER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger {

// Thread-compatible. Borrows the bytes, which must outlive the reader.
class ByteReader {
 public:
  explicit ByteReader(absl::string_view data) : data_(data) {}

  bool Bytes(size_t n, absl::string_view* out) {
    if (data_.size() < n) return false;
    *out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool U8(uint8_t* v) {
    absl::string_view b;
    if (!Bytes(1, &b)) return false;
    *v = static_cast<uint8_t>(b[0]);
    return true;
  }
  bool U16(uint16_t* v) {
    absl::string_view b;
    if (!Bytes(2, &b)) return false;
    *v = DecodeFixed16BE(b.data());
    return true;
  }
  bool U32(uint32_t* v) {
    absl::string_view b;
    if (!Bytes(4, &b)) return false;
    *v = DecodeFixed32BE(b.data());
    return true;
  }
  bool U64(uint64_t* v) {
    absl::string_view b;
    if (!Bytes(8, &b)) return false;
    *v = DecodeFixed64BE(b.data());
    return true;
  }
  // A u16be length, then that many bytes.
  bool Str16(std::string* out) {
    uint16_t n;
    absl::string_view b;
    if (!U16(&n) || !Bytes(n, &b)) return false;
    out->assign(b.data(), b.size());
    return true;
  }
  size_t remaining() const { return data_.size(); }
  bool done() const { return data_.empty(); }
  absl::string_view rest() const { return data_; }

 private:
  absl::string_view data_;
};

}  // namespace ledger

#endif  // LEDGER_BASE_BYTE_READER_H_
