// Where ledgerctl's claim commands (claim, claims, history, as-of, tally, views) read: a
// server's ClaimService, or -- offline, --data-dir -- a data directory's views, answered in this
// process by the same ClaimServiceImpl ledgerd serves them with (service/claim_service.h) over
// an in-process channel, so both give the same answers through the same LedgerClient calls.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<ClaimSource> source, ClaimSource::Open(options));
//   if (!source->staleness().empty()) std::cerr << source->staleness() << "\n";
//   LEDGER_ASSIGN_OR_RETURN(auto tally, source->client()->GetVerdictTally(request));
#ifndef CLI_CLAIM_SOURCE_H_
#define CLI_CLAIM_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/client.h"
#include "cli/log_reader.h"
#include "grpcpp/grpcpp.h"
#include "ledger/store/log_store.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/views/match_index.h"
#include "ledger/views/view_engine.h"

namespace ledger::cli {

// Thread-compatible.
class ClaimSource {
 public:
  // Offline (options.data_dir set) opens the data directory's log store and its views, both
  // read-only, so this works beside a running ledgerd too (which keeps its newest view batches
  // in memory until it flushes them: see staleness()). Otherwise connects to options.server.
  // Errors:
  //   UNAVAILABLE       the data directory cannot be opened; it has no views, or views that
  //                     have applied none of its entries (the message says how to build them)
  //   DATA_LOSS         the store is damaged, or the views were built from another (longer) log
  //   INVALID_ARGUMENT  a TLS file cannot be read
  static absl::StatusOr<std::unique_ptr<ClaimSource>> Open(const SourceOptions& options);

  ~ClaimSource();
  ClaimSource(const ClaimSource&) = delete;
  ClaimSource& operator=(const ClaimSource&) = delete;

  LedgerClient* client() const { return client_.get(); }

  // Offline, when the views have applied fewer entries than the log holds: one sentence saying
  // so, that answers are as of the views, and how to bring them up to date. Empty otherwise.
  const std::string& staleness() const { return staleness_; }

 private:
  ClaimSource() = default;

  // Offline only; destroyed after the client, in reverse order.
  std::unique_ptr<store::LogStore> store_;
  std::unique_ptr<views::ViewEngine> engine_;
  std::unique_ptr<views::MatchIndex> match_;
  std::unique_ptr<ledger::v1::ClaimService::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<LedgerClient> client_;
  std::string staleness_;
};

}  // namespace ledger::cli

#endif  // CLI_CLAIM_SOURCE_H_
