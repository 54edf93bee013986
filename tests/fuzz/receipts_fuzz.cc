// A follower's stored receipts (ledger/replication/receipts.h) as ApplyStoredReceipts reads
// them back from <data-dir>/receipts: the value of one record.
//
// Input: the record's value.
// Invariants: a value that decodes is exactly the encoding of what it decodes to (one encoding
// per receipt); a refusal is DataLoss; the entry count never exceeds what the bytes can hold.
#include <string>

#include "absl/status/status.h"
#include "ledger/replication/receipts.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger;
  const std::string value(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<replication::Receipt> receipt = replication::DecodeReceiptValue(7, value);
  FUZZ_EXPECT_VALID(receipt.status());
  if (!receipt.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(receipt.status()));
    return 0;
  }
  FUZZ_CHECK(receipt->from == 7);
  FUZZ_CHECK(receipt->leaf_datas.size() <= size / 4);
  FUZZ_CHECK(receipt->end() == 7 + receipt->leaf_datas.size());
  FUZZ_CHECK_MSG(replication::EncodeReceiptValue(*receipt) == value, "re-encoding differs");
  return 0;
}
