#include "cli/importer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/sha256.h"

namespace ledger::cli {

ledger::v1::SignedBatch SignImportBatch(absl::string_view origin,
                                        const std::vector<ledger::v1::SignedEvent>& events,
                                        const crypto::Ed25519PrivateKey& key) {
  std::vector<std::pair<std::string, std::string>> items;
  std::string ids;
  for (const ledger::v1::SignedEvent& e : events) {
    items.emplace_back(e.event_id(), e.event());
    absl::StrAppend(&ids, e.event_id(), "\n");
  }
  const std::string batch_id =
      "import-" + HexEncode(AsStringView(crypto::Sha256(ids)).substr(0, 12));
  return client::SignBatch(origin, batch_id, items, key);
}

namespace v1 = ledger::v1;

bool IsFatalImportError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kCancelled:
      return true;
    default: {
      // Every event of an import is signed with the same key: when the log does not accept
      // that key, it would refuse every event the same way.
      const std::string why = ErrorReason(status);
      return why == reason::kDiskFull || why == reason::kKeyNotRegistered ||
             why == reason::kKeyRevoked;
    }
  }
}

absl::Status ImportEvents(const std::vector<ImportItem>& items, AppendTarget* target,
                          const ImportOptions& options, ImportCounts* counts) {
  const size_t batch_size = std::max<size_t>(1, options.batch_size);
  auto count = [counts](bool duplicate) {
    ++(duplicate ? counts->already_present : counts->appended);
  };
  for (size_t begin = 0; begin < items.size(); begin += batch_size) {
    const size_t end = std::min(items.size(), begin + batch_size);
    std::vector<v1::SignedEvent> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back(items[i].event);
    absl::StatusOr<v1::AppendBatchResponse> results = target->AppendBatch(batch);
    if (results.ok() && results->results_size() == static_cast<int>(batch.size())) {
      for (const auto& r : results->results()) count(r.duplicate());
    } else if (!results.ok() && IsFatalImportError(results.status())) {
      return results.status();
    } else {
      // The batch was refused as a whole: find the bad events one by one.
      for (size_t i = begin; i < end; ++i) {
        absl::StatusOr<v1::AppendResponse> r = target->Append(items[i].event);
        if (r.ok()) {
          count(r->duplicate());
          continue;
        }
        if (IsFatalImportError(r.status())) return r.status();
        ++counts->refused;
        if (options.on_refused) options.on_refused(items[i], r.status());
      }
    }
    if (options.progress) options.progress(end);
  }
  return absl::OkStatus();
}

}  // namespace ledger::cli
