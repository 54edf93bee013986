#include "service/claim_service.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/error.h"
#include "ledger/core/limits.h"
#include "ledger/views/view_schema.h"
#include "service/grpc_status.h"

namespace ledger::service {
namespace {

namespace v1 = ledger::v1;

views::AsOf ToAsOf(const v1::AsOf& a) {
  switch (a.point_case()) {
    case v1::AsOf::kSequence:
      return views::AsOf::Sequence(a.sequence());
    case v1::AsOf::kRecordedTimeMicros:
      return views::AsOf::RecordedTime(a.recorded_time_micros());
    default:
      return views::AsOf::Latest();
  }
}

void FillStateProof(const views::StateProofAnswer& a, v1::StateProof* out) {
  out->set_tree_size(a.tree_size);
  out->set_map_checkpoint(a.map_checkpoint);
  out->set_map_root(std::string(AsStringView(a.map_root)));
  out->set_map_key(std::string(AsStringView(a.map_key)));
  if (a.state.has_value()) out->set_state_hash(std::string(AsStringView(*a.state)));
  for (const Hash& h : a.proof.siblings) out->add_siblings(std::string(AsStringView(h)));
  if (a.proof.terminal.has_value()) {
    out->set_terminal_key(std::string(AsStringView(a.proof.terminal->key)));
    out->set_terminal_value(std::string(AsStringView(a.proof.terminal->value)));
  }
}

absl::Status NoStateMap() {
  return MakeError(absl::StatusCode::kUnavailable, reason::kMapNotCommitted, "",
                   "this server keeps no claim-state map");
}

void FillReadPoint(const views::ReadPoint& p, v1::ReadPoint* out) {
  out->set_as_of_size(p.as_of_size);
  out->set_watermark(p.watermark);
}

v1::ClaimStatus ToProto(views::ClaimStatus s) {
  switch (s) {
    case views::ClaimStatus::kActive:
      return v1::ACTIVE;
    case views::ClaimStatus::kCorrected:
      return v1::CORRECTED;
    case views::ClaimStatus::kRetracted:
      return v1::RETRACTED;
  }
  return v1::CLAIM_STATUS_UNSPECIFIED;
}

// The fields a Verdict, Appearance or Relation and its message share.
template <typename T, typename Proto>
void FillEntryFields(const T& t, Proto* o) {
  o->set_sequence(t.sequence);
  o->set_recorded_time_micros(t.recorded_time_micros);
  o->set_event_id(t.event_id);
  o->set_key_id(t.key_id);
  o->set_signer_compromised(t.signer_compromised);
}

void FillRelation(const views::Relation& r, v1::RelationEvent* o) {
  FillEntryFields(r, o);
  *o->mutable_relation() = r.related;
}

void FillSummary(const views::ClaimSummary& c, v1::ClaimSummary* o) {
  o->set_claim_id(c.claim_id);
  o->set_asserted_sequence(c.asserted_sequence);
  o->set_version_sequence(c.version_sequence);
  o->set_status(ToProto(c.status));
  *o->mutable_claim() = c.claim;
  o->set_signer_compromised(c.signer_compromised);
}

constexpr int kMaxMatches = 100;
constexpr int kDefaultMatches = 10;

std::optional<views::SaidDate> ToSaidDate(const v1::SaidDate& d, bool present) {
  if (!present) return std::nullopt;
  return views::SaidDate{d.year(), d.month(), d.day()};
}

}  // namespace

absl::Status ClaimServiceImpl::AwaitWatermark(grpc::ServerContext* context,
                                              uint64_t min_watermark) const {
  if (min_watermark == 0 || updater_ == nullptr) return absl::OkStatus();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  const auto grpc_deadline = context->deadline();
  if (grpc_deadline != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(grpc_deadline));
  }
  return updater_->WaitForWatermark(min_watermark, deadline);
}

grpc::Status ClaimServiceImpl::GetClaim(grpc::ServerContext* context,
                                        const v1::GetClaimRequest* req,
                                        v1::GetClaimResponse* resp) {
  if (req->claim_id().empty()) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
                                  "claim_id", "is required"));
  }
  if (absl::Status s = AwaitWatermark(context, req->min_watermark()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  views::AsOf as_of = ToAsOf(req->as_of());
  if (req->with_proof()) {
    if (req->has_as_of()) {
      return ToGrpcStatus(MakeError(
          absl::StatusCode::kInvalidArgument, reason::kInvalidRequest, "as_of",
          "with_proof answers as of the latest claim-state map commitment; leave as_of unset"));
    }
    if (state_map_ == nullptr) return ToGrpcStatus(NoStateMap());
    absl::StatusOr<views::StateProofAnswer> proof =
        state_map_->Prove({views::StateSubjectKind::kClaim, req->claim_id()});
    if (!proof.ok()) return ToGrpcStatus(proof.status());
    if (proof->tree_size == 0) {
      return ToGrpcStatus(MakeError(absl::StatusCode::kNotFound, reason::kClaimNotFound,
                                    "claim_id", "the committed map is of the empty log"));
    }
    as_of = views::AsOf::Sequence(proof->tree_size - 1);
    FillStateProof(*proof, resp->mutable_state_proof());
  }
  absl::StatusOr<views::ClaimDetails> c = queries_.GetClaim(req->claim_id(), as_of);
  if (!c.ok()) return ToGrpcStatus(c.status());
  v1::ClaimDetails* out = resp->mutable_claim();
  out->set_claim_id(c->claim_id);
  out->set_asserted_sequence(c->asserted_sequence);
  out->set_submitter_key_id(c->submitter_key_id);
  out->set_version_sequence(c->version_sequence);
  *out->mutable_claim() = c->claim;
  out->set_status(ToProto(c->status));
  for (const views::Verdict& v : c->verdicts) {
    v1::Verdict* o = out->add_verdicts();
    FillEntryFields(v, o);
    *o->mutable_review() = v.review;
  }
  for (const views::HistoryEvent& h : c->history) {
    v1::HistoryEvent* o = out->add_history();
    o->set_sequence(h.sequence);
    o->set_recorded_time_micros(h.recorded_time_micros);
    o->set_event_id(h.event_id);
    o->set_key_id(h.key_id);
    o->set_kind(std::string(views::EventKindName(h.kind)));
    o->set_reason(h.reason);
    o->set_signer_compromised(h.signer_compromised);
  }
  out->set_signer_compromised(c->signer_compromised);
  for (const views::Appearance& a : c->appearances) {
    v1::Appearance* o = out->add_appearances();
    FillEntryFields(a, o);
    *o->mutable_appearance() = a.appearance;
  }
  for (const views::Relation& r : c->relations) FillRelation(r, out->add_relations());
  *out->mutable_first_appearance() = c->first_appearance;
  out->set_independent_publishers(c->independent_publishers);
  FillReadPoint(c->read_point, resp->mutable_read_point());
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::ProveState(grpc::ServerContext* /*context*/,
                                          const v1::ProveStateRequest* req,
                                          v1::ProveStateResponse* resp) {
  views::StateSubject subject;
  switch (req->subject_case()) {
    case v1::ProveStateRequest::kClaimId:
      if (req->claim_id().empty() || req->claim_id().size() > core::kMaxEventIdBytes) {
        return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                      "claim_id",
                                      absl::StrCat("must be 1..", core::kMaxEventIdBytes,
                                                   " bytes, got ", req->claim_id().size())));
      }
      subject = {views::StateSubjectKind::kClaim, req->claim_id()};
      break;
    case v1::ProveStateRequest::kKeyId:
      if (req->key_id().size() != 32) {
        return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                      "key_id",
                                      absl::StrCat("must be 32 bytes, got ", req->key_id().size())));
      }
      subject = {views::StateSubjectKind::kKey, req->key_id()};
      break;
    default:
      return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
                                    "subject", "set claim_id or key_id"));
  }
  if (state_map_ == nullptr) return ToGrpcStatus(NoStateMap());
  absl::StatusOr<views::StateProofAnswer> proof = state_map_->Prove(subject);
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  FillStateProof(*proof, resp->mutable_proof());
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::ListMapCheckpoints(grpc::ServerContext* /*context*/,
                                                  const v1::ListMapCheckpointsRequest* req,
                                                  v1::ListMapCheckpointsResponse* resp) {
  constexpr uint32_t kMaxPage = 1000;
  if (req->page_size() > kMaxPage) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded,
                                  "page_size",
                                  absl::StrCat(req->page_size(), " exceeds the limit ", kMaxPage)));
  }
  if (state_map_ == nullptr) return ToGrpcStatus(NoStateMap());
  const size_t page = req->page_size() == 0 ? 100 : req->page_size();
  absl::StatusOr<std::vector<views::MapCommit>> commits =
      state_map_->ListCommits(req->from_tree_size(), page + 1);
  if (!commits.ok()) return ToGrpcStatus(commits.status());
  for (size_t i = 0; i < commits->size() && i < page; ++i) {
    const views::MapCommit& c = (*commits)[i];
    absl::StatusOr<std::string> note = state_map_->NoteFor(c);
    if (!note.ok()) return ToGrpcStatus(note.status());
    v1::MapCheckpointInfo* o = resp->add_checkpoints();
    o->set_tree_size(c.tree_size);
    o->set_map_root(std::string(AsStringView(c.map_root)));
    o->set_note(*note);
  }
  if (commits->size() > page) resp->set_next_from_tree_size((*commits)[page].tree_size);
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::ListClaims(grpc::ServerContext* context,
                                          const v1::ListClaimsRequest* req,
                                          v1::ListClaimsResponse* resp) {
  if (absl::Status s = AwaitWatermark(context, req->min_watermark()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  views::ClaimFilter filter;
  const bool named = req->filter_case() == v1::ListClaimsRequest::kClaimant ||
                     req->filter_case() == v1::ListClaimsRequest::kEntity;
  if (!req->stable_id().empty() && !named) {
    // Listing every claim instead would answer a question nobody asked.
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest,
                                  "stable_id",
                                  "applies to the claimant or entity filter: set `claimant` or "
                                  "`entity` too (to an empty name to match by stable id alone)"));
  }
  if (named && req->stable_id().empty() &&
      (req->filter_case() == v1::ListClaimsRequest::kClaimant ? req->claimant()
                                                               : req->entity())
          .empty()) {
    return ToGrpcStatus(MakeError(
        absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
        req->filter_case() == v1::ListClaimsRequest::kClaimant ? "claimant" : "entity",
        "is empty: give a name, a stable_id, or both"));
  }
  switch (req->filter_case()) {
    case v1::ListClaimsRequest::kClaimant:
      filter = views::ClaimFilter::Claimant(req->claimant(), req->stable_id());
      break;
    case v1::ListClaimsRequest::kTopic:
      filter = views::ClaimFilter::Topic(req->topic());
      break;
    case v1::ListClaimsRequest::kEntity:
      filter = views::ClaimFilter::Entity(req->entity(), req->stable_id());
      break;
    case v1::ListClaimsRequest::kSourceUrl:
      filter = views::ClaimFilter::SourceUrl(req->source_url());
      break;
    case v1::ListClaimsRequest::kPublisher:
      filter = views::ClaimFilter::Publisher(req->publisher());
      break;
    case v1::ListClaimsRequest::kStatus:
      if (req->status() == v1::CLAIM_STATUS_UNSPECIFIED) {
        return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                      "status", "must be ACTIVE, CORRECTED or RETRACTED"));
      }
      filter = views::ClaimFilter::Status(static_cast<views::ClaimStatus>(req->status()));
      break;
    default:
      filter = views::ClaimFilter::All();
  }
  filter.SaidBetween(ToSaidDate(req->said_from(), req->has_said_from()),
                     ToSaidDate(req->said_to(), req->has_said_to()));
  absl::StatusOr<views::ClaimPage> page =
      queries_.ListClaims(filter, req->page_token(), req->page_size(), ToAsOf(req->as_of()));
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const views::ClaimSummary& c : page->claims) FillSummary(c, resp->add_claims());
  resp->set_next_page_token(page->next_page_token);
  FillReadPoint(page->read_point, resp->mutable_read_point());
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::GetVerdictTally(grpc::ServerContext*,
                                               const v1::GetVerdictTallyRequest* req,
                                               v1::GetVerdictTallyResponse* resp) {
  if (req->claimant().empty() && req->stable_id().empty()) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
                                  "claimant", "is required (or stable_id)"));
  }
  absl::StatusOr<views::VerdictTallyResult> t =
      queries_.VerdictTally(req->claimant(), req->stable_id());
  if (!t.ok()) return ToGrpcStatus(t.status());
  for (const views::VerdictCount& c : t->counts) {
    v1::VerdictCount* o = resp->add_counts();
    o->set_reviewer(c.reviewer);
    o->set_rating_text(c.rating_text);
    o->set_count(c.count);
    o->set_compromised(c.compromised);
  }
  resp->set_total(t->total);
  resp->set_watermark(t->watermark);
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::GetKey(grpc::ServerContext*, const v1::GetKeyRequest* req,
                                      v1::GetKeyResponse* resp) {
  if (req->key_id().size() != 32) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                  "key_id",
                                  absl::StrCat("must be 32 bytes, got ", req->key_id().size())));
  }
  absl::StatusOr<views::KeyDetails> k = queries_.KeyInfo(req->key_id(), ToAsOf(req->as_of()));
  if (!k.ok()) return ToGrpcStatus(k.status());
  resp->set_key_id(k->key_id);
  resp->set_registered_by_event(k->registered_by_event);
  resp->set_public_key(k->public_key);
  resp->set_role(k->role);
  resp->set_holder(k->holder);
  resp->set_registered_sequence(k->registered_sequence);
  resp->set_revoked(k->revoked);
  resp->set_revoked_sequence(k->revoked_sequence);
  resp->set_revoke_reason(k->revoke_reason);
  if (k->compromised_since.has_value()) {
    resp->mutable_compromise()->set_since_sequence(*k->compromised_since);
  }
  FillReadPoint(k->read_point, resp->mutable_read_point());
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::GetViewStatus(grpc::ServerContext*,
                                             const v1::GetViewStatusRequest* req,
                                             v1::GetViewStatusResponse* resp) {
  resp->set_watermark(engine_->Watermark());
  resp->set_tree_size(log_->Head().tree_size);
  for (const std::string& name : engine_->ViewNames()) {
    v1::ViewInfo* v = resp->add_views();
    v->set_name(name);
    absl::StatusOr<TreeSize> w = engine_->ViewWatermark(name);
    if (w.ok()) v->set_watermark(*w);
    if (req->with_digests()) {
      absl::StatusOr<views::ViewDigest> d = engine_->Digest(name);
      if (!d.ok()) return ToGrpcStatus(d.status());
      v->set_digest(std::string(AsStringView(d->digest)));
      v->set_records(d->records);
      v->set_watermark(d->watermark);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::MatchClaims(grpc::ServerContext* context,
                                           const v1::MatchClaimsRequest* req,
                                           v1::MatchClaimsResponse* resp) {
  if (match_ == nullptr) {
    return ToGrpcStatus(absl::UnavailableError(
        "claim matching is not available on this server (it keeps no match index)"));
  }
  if (req->text().empty()) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
                                  "text", "is required: the statement to match"));
  }
  if (req->text().size() > core::kMaxStatementTextBytes) {
    return ToGrpcStatus(MakeError(
        absl::StatusCode::kInvalidArgument, reason::kLimitExceeded, "text",
        absl::StrCat(req->text().size(), " bytes; the limit is ", core::kMaxStatementTextBytes,
                     " (a claim's statement)")));
  }
  if (!(req->min_score() >= 0 && req->min_score() <= 1)) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                  "min_score",
                                  absl::StrCat(req->min_score(),
                                               " is outside [0, 1] (0: the default, ",
                                               views::MatchIndex::kDefaultMinScore, ")")));
  }
  if (req->limit() < 0 || req->limit() > kMaxMatches) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded,
                                  "limit",
                                  absl::StrCat(req->limit(), " is outside [0, ", kMaxMatches,
                                               "] (0: ", kDefaultMatches, ")")));
  }
  views::SaidRange range{ToSaidDate(req->said_from(), req->has_said_from()),
                         ToSaidDate(req->said_to(), req->has_said_to())};
  absl::StatusOr<views::SaidBounds> bounds = views::SaidBounds::Of(range);
  if (!bounds.ok()) return ToGrpcStatus(bounds.status());
  if (absl::Status s = AwaitWatermark(context, req->min_watermark()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = match_->status(); !s.ok()) return ToGrpcStatus(s);

  views::MatchQuery q;
  q.text = req->text();
  if (!req->claimant_stable_id().empty()) {
    q.claimant_terms.push_back(views::schema::ClaimantTerm(req->claimant_stable_id(), ""));
  }
  if (!req->claimant().empty()) {
    q.claimant_terms.push_back(views::schema::ClaimantTerm("", req->claimant()));
  }
  if (!req->topic().empty()) q.topic_term = views::schema::TopicTerm(req->topic());
  q.said = *bounds;
  q.min_score = req->min_score() == 0 ? views::MatchIndex::kDefaultMinScore : req->min_score();
  q.limit = req->limit() == 0 ? kDefaultMatches : static_cast<size_t>(req->limit());
  const TreeSize watermark = engine_->Watermark();
  views::MatchResult r = match_->Match(q);

  for (const views::MatchHit& hit : r.hits) {
    absl::StatusOr<views::ClaimDetails> c = queries_.GetClaim(hit.claim_id, views::AsOf::Latest());
    if (!c.ok()) return ToGrpcStatus(c.status());
    v1::ClaimMatch* m = resp->add_matches();
    m->set_score(hit.score);
    for (const std::string& t : hit.matched_terms) m->add_matched_terms(t);
    v1::ClaimSummary* o = m->mutable_claim();
    o->set_claim_id(c->claim_id);
    o->set_asserted_sequence(c->asserted_sequence);
    o->set_version_sequence(c->version_sequence);
    o->set_status(ToProto(c->status));
    *o->mutable_claim() = c->claim;
    o->set_signer_compromised(c->signer_compromised);
    for (const views::Verdict& v : c->verdicts) {
      v1::Verdict* ov = m->add_verdicts();
      ov->set_sequence(v.sequence);
      ov->set_recorded_time_micros(v.recorded_time_micros);
      ov->set_event_id(v.event_id);
      ov->set_key_id(v.key_id);
      *ov->mutable_review() = v.review;
      ov->set_signer_compromised(v.signer_compromised);
    }
  }
  for (const std::string& t : r.terms) resp->add_query_terms(t);
  for (const auto& [typed, known] : r.corrections) {
    v1::TermCorrection* c = resp->add_corrections();
    c->set_typed(typed);
    c->set_known(known);
  }
  resp->set_min_score(q.min_score);
  resp->set_more(r.above_threshold - r.hits.size());
  resp->set_claims_indexed(r.claims_indexed);
  resp->mutable_read_point()->set_as_of_size(watermark);
  resp->mutable_read_point()->set_watermark(watermark);
  return grpc::Status::OK;
}

grpc::Status ClaimServiceImpl::ListRelations(grpc::ServerContext* context,
                                             const v1::ListRelationsRequest* req,
                                             v1::ListRelationsResponse* resp) {
  if (req->claimant().empty() && req->stable_id().empty()) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
                                  "claimant", "is required (or stable_id): whose claims"));
  }
  if (req->limit() < 0 || req->limit() > views::ViewQueries::kMaxPageSize) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded,
                                  "limit",
                                  absl::StrCat(req->limit(), " is outside [0, ",
                                               views::ViewQueries::kMaxPageSize, "] (0: 100)")));
  }
  std::vector<v1::ClaimRelated::Relation> kinds;
  for (int k : req->relations()) {
    if (k == v1::ClaimRelated::RELATION_UNSPECIFIED || !v1::ClaimRelated::Relation_IsValid(k)) {
      return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                    "relations",
                                    "must be REPEATS, CONTRADICTS, SUPPORTS or POSITION_CHANGE"));
    }
    kinds.push_back(static_cast<v1::ClaimRelated::Relation>(k));
  }
  if (absl::Status s = AwaitWatermark(context, req->min_watermark()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  views::ClaimFilter filter = views::ClaimFilter::Claimant(req->claimant(), req->stable_id());
  filter.SaidBetween(ToSaidDate(req->said_from(), req->has_said_from()),
                     ToSaidDate(req->said_to(), req->has_said_to()));
  absl::StatusOr<views::RelationList> list = queries_.ListRelations(
      filter, kinds, req->topic(), req->limit() == 0 ? 100 : req->limit(), ToAsOf(req->as_of()));
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const views::RelationRow& row : list->relations) {
    v1::RelationRow* o = resp->add_relations();
    FillRelation(row.relation, o->mutable_relation());
    FillSummary(row.claim, o->mutable_claim());
    FillSummary(row.related_claim, o->mutable_related_claim());
  }
  resp->set_more(list->more);
  FillReadPoint(list->read_point, resp->mutable_read_point());
  return grpc::Status::OK;
}

}  // namespace ledger::service
