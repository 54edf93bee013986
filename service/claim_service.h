// ClaimServiceImpl: the gRPC adapter over views::ViewQueries (claims, lists, as-of,
// bitemporal, verdict tallies, keys). Converts messages and statuses only.
#ifndef SERVICE_CLAIM_SERVICE_H_
#define SERVICE_CLAIM_SERVICE_H_

#include "ledger/store/log_store.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/views/claim_state_map.h"
#include "ledger/views/match_index.h"
#include "ledger/views/queries.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_updater.h"

namespace ledger::service {

// Thread-safe. Everything borrowed must outlive the service.
class ClaimServiceImpl final : public ledger::v1::ClaimService::Service {
 public:
  // `match` may be null: MatchClaims is then UNAVAILABLE.
  // `state_map` may be null: ProveState, ListMapCheckpoints and GetClaim.with_proof are then
  // UNAVAILABLE.
  ClaimServiceImpl(const views::ViewEngine* engine, const views::ViewUpdater* updater,
                   const store::LogStore* log, const views::MatchIndex* match = nullptr,
                   const views::ClaimStateMap* state_map = nullptr)
      : engine_(engine),
        updater_(updater),
        log_(log),
        match_(match),
        state_map_(state_map),
        queries_(&engine->store(), log) {}

  grpc::Status GetClaim(grpc::ServerContext* context, const ledger::v1::GetClaimRequest* request,
                        ledger::v1::GetClaimResponse* response) override;
  grpc::Status ListClaims(grpc::ServerContext* context,
                          const ledger::v1::ListClaimsRequest* request,
                          ledger::v1::ListClaimsResponse* response) override;
  grpc::Status GetVerdictTally(grpc::ServerContext* context,
                               const ledger::v1::GetVerdictTallyRequest* request,
                               ledger::v1::GetVerdictTallyResponse* response) override;
  grpc::Status GetKey(grpc::ServerContext* context, const ledger::v1::GetKeyRequest* request,
                      ledger::v1::GetKeyResponse* response) override;
  grpc::Status GetViewStatus(grpc::ServerContext* context,
                             const ledger::v1::GetViewStatusRequest* request,
                             ledger::v1::GetViewStatusResponse* response) override;
  grpc::Status ListRelations(grpc::ServerContext* context,
                             const ledger::v1::ListRelationsRequest* request,
                             ledger::v1::ListRelationsResponse* response) override;
  grpc::Status MatchClaims(grpc::ServerContext* context,
                           const ledger::v1::MatchClaimsRequest* request,
                           ledger::v1::MatchClaimsResponse* response) override;
  grpc::Status ProveState(grpc::ServerContext* context,
                          const ledger::v1::ProveStateRequest* request,
                          ledger::v1::ProveStateResponse* response) override;
  grpc::Status ListMapCheckpoints(grpc::ServerContext* context,
                                  const ledger::v1::ListMapCheckpointsRequest* request,
                                  ledger::v1::ListMapCheckpointsResponse* response) override;

 private:
  // Waits (within the call's deadline) for the views to apply `min_watermark` entries.
  absl::Status AwaitWatermark(grpc::ServerContext* context, uint64_t min_watermark) const;

  const views::ViewEngine* const engine_;
  const views::ViewUpdater* const updater_;
  const store::LogStore* const log_;
  const views::MatchIndex* const match_;
  const views::ClaimStateMap* const state_map_;
  const views::ViewQueries queries_;
};

}  // namespace ledger::service

#endif  // SERVICE_CLAIM_SERVICE_H_
