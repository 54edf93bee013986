#include "cli/claim_source.h"

#include "ledger/base/status_macros.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/rocksdb_view_store.h"
#include "service/claim_service.h"

namespace ledger::cli {

absl::StatusOr<std::unique_ptr<ClaimSource>> ClaimSource::Open(const SourceOptions& options) {
  std::unique_ptr<ClaimSource> source(new ClaimSource());
  if (options.data_dir.empty()) {
    absl::StatusOr<std::unique_ptr<LedgerClient>> client = LedgerClient::Connect(options.server);
    if (!client.ok()) return client.status();
    source->client_ = *std::move(client);
    return source;
  }
  const std::string& dir = options.data_dir;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store = datadir::OpenStoreReadOnly(dir);
  if (!store.ok()) {
    return absl::Status(absl::IsDataLoss(store.status()) ? absl::StatusCode::kDataLoss
                                                         : absl::StatusCode::kUnavailable,
                        absl::StrCat("cannot open ", dir, ": ", store.status().message()));
  }
  const TreeSize log_size = (*store)->Head().tree_size;
  source->store_ = *std::move(store);

  const std::string views_path = datadir::ViewsDir(dir);
  const std::string how_to_build =
      absl::StrCat("build them with `ledgerctl rebuild --data-dir ", dir,
                   "` (with the server stopped), or start ledgerd on it, which builds them");
  views::RocksDbViewStoreOptions view_options;
  view_options.read_only = true;
  absl::StatusOr<std::unique_ptr<views::RocksDbViewStore>> views_db =
      views::RocksDbViewStore::Open(views_path, view_options);
  if (absl::IsNotFound(views_db.status())) {
    return absl::UnavailableError(
        absl::StrCat(dir, " has no claim views (", views_db.status().message(), "): ", how_to_build));
  }
  if (!views_db.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot open the claim views at ", views_path, ": ",
                                               views_db.status().message(), "; ", how_to_build));
  }
  // Nothing on disk yet (ViewEngine::Open would write the schema version into an empty store):
  // the views were created but a running ledgerd has flushed none of them.
  const std::string none_applied = absl::StrCat(
      "the claim views at ", views_path, " have applied none of the log's ", log_size,
      " entries on disk (a running ledgerd keeps its newest view updates in memory until it "
      "flushes them -- read online with --server, or stop it: it flushes them on a clean stop; "
      "or they were never built, or built by a release with another view schema): ");
  bool empty = true;
  absl::Status scanned =
      (*views_db)->Scan("", "", [&empty](absl::string_view, absl::string_view) {
        empty = false;
        return false;
      });
  if (!scanned.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot read the claim views at ", views_path,
                                               ": ", scanned.message()));
  }
  if (empty) return absl::UnavailableError(absl::StrCat(none_applied, how_to_build));
  absl::StatusOr<std::unique_ptr<views::ViewEngine>> engine =
      views::ViewEngine::Open(*std::move(views_db), views::DefaultProjections());
  if (!engine.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot read the claim views at ", views_path,
                                               ": ", engine.status().message(), "; ",
                                               how_to_build));
  }
  const TreeSize watermark = (*engine)->Watermark();
  if (watermark > log_size) {
    return absl::DataLossError(absl::StrCat(
        "the claim views at ", views_path, " have applied ", watermark, " entries but the log of ",
        dir, " holds ", log_size, ": they were built from another log; rebuild them with "
        "`ledgerctl rebuild --data-dir ", dir, "` (with the server stopped)"));
  }
  if (watermark == 0 && log_size > 0) {
    return absl::UnavailableError(absl::StrCat(none_applied, how_to_build));
  }
  if (watermark < log_size) {
    source->staleness_ = absl::StrCat(
        "note: the claim views at ", views_path, " have applied ", watermark, " of the log's ",
        log_size, " entries, so these answers are as of entry ", watermark - 1,
        " (a running ledgerd keeps its newest view updates in memory until it flushes them: "
        "read online with --server for the latest; with the server stopped, `ledgerctl "
        "rebuild --data-dir ", dir, "` brings them up to date)");
  }
  source->engine_ = *std::move(engine);
  // Nothing catches up offline: the index is loaded once from the claims view.
  source->match_ = std::make_unique<views::MatchIndex>();
  LEDGER_RETURN_IF_ERROR(source->match_->Load(source->engine_->store()));
  source->service_ = std::make_unique<service::ClaimServiceImpl>(
      source->engine_.get(), /*updater=*/nullptr, source->store_.get(), source->match_.get());
  grpc::ServerBuilder builder;
  builder.RegisterService(source->service_.get());
  source->server_ = builder.BuildAndStart();
  if (source->server_ == nullptr) {
    return absl::InternalError("cannot start the in-process claim service");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  source->client_ = LedgerClient::ForChannel(source->server_->InProcessChannel(args),
                                             absl::StrCat("data directory ", dir));
  return source;
}

ClaimSource::~ClaimSource() {
  client_.reset();
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace ledger::cli
