#include "service/ledger_service.h"

#include <algorithm>

#include <string>

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "service/grpc_status.h"

namespace ledger::service {
namespace {

constexpr uint32_t kDefaultListEntries = 100;
constexpr uint32_t kMaxListEntries = 1000;

std::string Bytes(const Hash& h) { return std::string(AsStringView(h)); }

void FillEntry(const core::LogEntry& e, ledger::v1::Entry* out) {
  out->set_sequence(e.sequence);
  out->set_recorded_time_micros(e.recorded_time_micros);
  auto* signed_event = out->mutable_signed_event();
  signed_event->set_version(1);
  signed_event->set_event_id(e.event_id);
  signed_event->set_event(e.event);
  signed_event->set_key_id(e.key_id);
  signed_event->set_signature(e.signature);
  out->set_leaf_data(e.leaf_data);
  out->set_leaf_hash(Bytes(e.leaf_hash));
  if (e.batch.has_value()) {
    signed_event->set_version(format::kSignedBatchVersion1);
    auto* b = out->mutable_batch();
    b->set_batch_id(e.batch->batch_id);
    b->set_batch_size(e.batch->batch_size);
    b->set_index(e.batch->index);
    for (size_t i = 0; i + 32 <= e.batch->proof.size(); i += 32) {
      b->add_proof(e.batch->proof.substr(i, 32));
    }
  }
}

void FillAppendResponse(const core::AppendResult& r, ledger::v1::AppendResponse* resp) {
  resp->set_sequence(r.sequence);
  resp->set_recorded_time_micros(r.recorded_time_micros);
  resp->set_leaf_hash(Bytes(r.leaf_hash));
  resp->set_duplicate(r.duplicate);
  resp->set_checkpoint(r.checkpoint);
}


}  // namespace

absl::Status LedgerServiceImpl::AwaitPublished(std::vector<core::AppendResult>* results) const {
  if (!options_.await_published || results->empty()) return absl::OkStatus();
  TreeSize needed = 0;
  for (const core::AppendResult& r : *results) {
    needed = std::max<TreeSize>(needed, r.sequence + 1);
  }
  std::string note;
  LEDGER_RETURN_IF_ERROR(options_.await_published(needed, &note));
  for (core::AppendResult& r : *results) r.checkpoint = note;
  return absl::OkStatus();
}

void LedgerServiceImpl::Record(const absl::Status& status, bool duplicate) const {
  if (options_.metrics != nullptr) options_.metrics->RecordAppend(status, duplicate);
}

PublishWaiter::PublishWaiter(std::function<absl::Status(TreeSize, std::string*)> await_published)
    : await_published_(std::move(await_published)), thread_([this] { Run(); }) {}

PublishWaiter::~PublishWaiter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void PublishWaiter::Wait(TreeSize size, Done done) {
  absl::MutexLock lock(&mu_);
  queued_.emplace_back(size, std::move(done));
}

void PublishWaiter::Run() {
  SetCurrentThreadName("publish-wait");
  for (;;) {
    std::vector<std::pair<TreeSize, Done>> taken;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queued_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queued_.empty()) return;  // Stopping, and everything queued has been answered.
      taken.swap(queued_);
    }
    TreeSize needed = 0;
    for (const auto& [size, done] : taken) needed = std::max(needed, size);
    std::string note;
    const absl::Status s = await_published_(needed, &note);
    for (auto& [size, done] : taken) done(s, note);
  }
}

LedgerServiceImpl::LedgerServiceImpl(core::Log* log, LedgerServiceOptions options)
    : log_(log), options_(std::move(options)) {
  if (options_.await_published) {
    publish_waiter_ = std::make_unique<PublishWaiter>(options_.await_published);
  }
}

void LedgerServiceImpl::StartAppend(const ledger::v1::AppendRequest* req,
                                    ledger::v1::AppendResponse* resp,
                                    std::function<void(grpc::Status)> done) {
  const absl::Time start = absl::Now();
  if (!req->has_event()) {
    absl::Status missing = MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired,
                                     "event", "is required");
    Record(missing, false);
    return done(ToGrpcStatus(missing));
  }
  log_->AppendAsync(req->event(), [this, resp, start, done = std::move(done)](
                                      absl::StatusOr<core::AppendResult> r) mutable {
    Record(r.status(), r.ok() && r->duplicate);
    if (options_.metrics != nullptr) {
      options_.metrics->RecordLatency("Append", absl::Now() - start);
    }
    if (!r.ok()) return done(ToGrpcStatus(r.status()));
    FillAppendResponse(*r, resp);
    if (publish_waiter_ == nullptr) return done(grpc::Status::OK);
    publish_waiter_->Wait(r->sequence + 1, [resp, done = std::move(done)](
                                               absl::Status s, const std::string& note) {
      if (!s.ok()) {
        resp->Clear();
        return done(ToGrpcStatus(s));
      }
      resp->set_checkpoint(note);
      done(grpc::Status::OK);
    });
  });
}

grpc::ServerUnaryReactor* LedgerServiceImpl::Append(grpc::CallbackServerContext* context,
                                                    const ledger::v1::AppendRequest* req,
                                                    ledger::v1::AppendResponse* resp) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  StartAppend(req, resp, [reactor](grpc::Status s) { reactor->Finish(std::move(s)); });
  return reactor;
}

grpc::Status LedgerServiceImpl::AppendAndWait(const ledger::v1::AppendRequest* req,
                                              ledger::v1::AppendResponse* resp) {
  absl::Notification answered;
  grpc::Status status;
  StartAppend(req, resp, [&](grpc::Status s) {
    status = std::move(s);
    answered.Notify();
  });
  answered.WaitForNotification();
  return status;
}

grpc::Status LedgerServiceImpl::AppendBatch(grpc::ServerContext*,
                                            const ledger::v1::AppendBatchRequest* req,
                                            ledger::v1::AppendBatchResponse* resp) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<core::AppendResult>> results = log_->AppendAllFrom(req->events());
  if (options_.metrics != nullptr) {
    options_.metrics->RecordLatency("AppendBatch", absl::Now() - start);
  }
  if (!results.ok()) {
    Record(results.status(), false);
    return ToGrpcStatus(results.status());
  }
  for (const core::AppendResult& r : *results) Record(absl::OkStatus(), r.duplicate);
  if (absl::Status s = AwaitPublished(&*results); !s.ok()) return ToGrpcStatus(s);
  for (const core::AppendResult& r : *results) FillAppendResponse(r, resp->add_results());
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::AppendSignedBatch(grpc::ServerContext*,
                                                  const ledger::v1::AppendSignedBatchRequest* req,
                                                  ledger::v1::AppendBatchResponse* resp) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<core::AppendResult>> results = log_->AppendSignedBatch(req->batch());
  if (options_.metrics != nullptr) {
    options_.metrics->RecordLatency("AppendSignedBatch", absl::Now() - start);
  }
  if (!results.ok()) {
    Record(results.status(), false);
    return ToGrpcStatus(results.status());
  }
  if (absl::Status s = AwaitPublished(&*results); !s.ok()) return ToGrpcStatus(s);
  for (const core::AppendResult& r : *results) {
    Record(absl::OkStatus(), r.duplicate);
    FillAppendResponse(r, resp->add_results());
  }
  return grpc::Status::OK;
}

namespace {

void FillAppendError(const absl::Status& s, ledger::v1::AppendError* e) {
  e->set_code(static_cast<int>(s.code()));
  e->set_message(std::string(s.message()));
  e->set_reason(ErrorReason(s));
  e->set_field(ErrorField(s));
}

// A counter slot held for the life of a stream.
class StreamSlot {
 public:
  // Takes a slot only while fewer than `limit` are held: a refused stream never counts, so it
  // cannot make a concurrent one see the server full.
  StreamSlot(std::atomic<int>* count, int limit) : count_(count) {
    int held = count_->load();
    while (held < limit && !count_->compare_exchange_weak(held, held + 1)) {
    }
    ok_ = held < limit;
  }
  ~StreamSlot() {
    if (ok_) count_->fetch_sub(1);
  }
  bool ok() const { return ok_; }

 private:
  std::atomic<int>* count_;
  bool ok_;
};

// Counts an open stream in the metrics for its lifetime.
class GaugeSlot {
 public:
  GaugeSlot(ServerMetrics* metrics, const std::string& rpc)
      : gauge_(metrics != nullptr ? &metrics->OpenStreams(rpc) : nullptr) {
    if (gauge_ != nullptr) gauge_->Increment();
  }
  ~GaugeSlot() {
    if (gauge_ != nullptr) gauge_->Decrement();
  }

 private:
  prometheus::Gauge* gauge_;
};

grpc::Status TooManyStreams(const char* what, int limit) {
  return ToGrpcStatus(MakeError(absl::StatusCode::kResourceExhausted, reason::kTooManyStreams, "",
                                absl::StrCat(limit, " ", what,
                                             " streams are open; the limit is ", limit,
                                             ", retry later")));
}

grpc::Status TooManyStreamsOfClient(const char* what, int limit, const std::string& client) {
  return ToGrpcStatus(MakeError(
      absl::StatusCode::kResourceExhausted, reason::kTooManyStreams, "",
      absl::StrCat("this client (", client, ") holds ", limit, " ", what,
                   " streams; the per-client limit is ", limit,
                   " (--max-subscribers-per-client): close one, then retry")));
}

// A subscriber slot (total and per client) held for the life of a stream.
class ClientSlot {
 public:
  ClientSlot(ClientStreamCounts* counts, std::string client, int limit, int total_limit)
      : counts_(counts),
        client_(std::move(client)),
        admit_(counts_->TryAcquire(client_, limit, total_limit)) {}
  ~ClientSlot() {
    if (admit_ == ClientStreamCounts::Admit::kOk) counts_->Release(client_);
  }
  ClientStreamCounts::Admit admit() const { return admit_; }
  const std::string& client() const { return client_; }

 private:
  ClientStreamCounts* counts_;
  const std::string client_;
  const ClientStreamCounts::Admit admit_;
};

}  // namespace

ClientStreamCounts::Admit ClientStreamCounts::TryAcquire(const std::string& client, int limit,
                                                         int total_limit) {
  absl::MutexLock lock(&mu_);
  // The total first: while the server is full, every refusal names the total limit.
  if (total_limit > 0 && total_ >= total_limit) return Admit::kTotalFull;
  auto it = open_.find(client);
  if (limit > 0 && it != open_.end() && it->second >= limit) return Admit::kClientFull;
  ++open_[client];
  ++total_;
  return Admit::kOk;
}

void ClientStreamCounts::Release(const std::string& client) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(client);
  if (it == open_.end()) return;
  --total_;
  if (--it->second <= 0) open_.erase(it);
}

int ClientStreamCounts::open_total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

int ClientStreamCounts::open(const std::string& client) const {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(client);
  return it == open_.end() ? 0 : it->second;
}

std::string ClientKey(const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::string key = "identity:";
    for (const grpc::string_ref& name : auth->GetPeerIdentity()) {
      absl::StrAppend(&key, absl::string_view(name.data(), name.size()), ",");
    }
    return key;
  }
  return context.peer();
}

grpc::Status LedgerServiceImpl::AppendStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ledger::v1::AppendStreamResponse, ledger::v1::AppendRequest>* stream) {
  StreamSlot slot(&append_streams_, options_.max_append_streams);
  if (!slot.ok()) return TooManyStreams("AppendStream", options_.max_append_streams);
  GaugeSlot gauge(options_.metrics, "AppendStream");
  // This thread reads; a second one appends what has been read and writes the answers, so that
  // reading the next events overlaps with verifying and committing the previous ones. The
  // window bounds the events held in memory; past it, reading stops and HTTP/2 flow control
  // holds the client back.
  absl::Mutex mu;
  std::deque<ledger::v1::AppendRequest> pending;
  bool reading_done = false;
  bool write_failed = false;
  uint64_t next_index = 0;
  std::thread appender([&] {
    SetCurrentThreadName("stream-append");
    for (;;) {
      std::vector<ledger::v1::AppendRequest> taken;
      {
        absl::MutexLock lock(&mu);
        auto ready = [&]() { return !pending.empty() || reading_done; };
        mu.Await(absl::Condition(&ready));
        if (pending.empty()) return;
        while (!pending.empty() && taken.size() < options_.stream_window) {
          taken.push_back(std::move(pending.front()));
          pending.pop_front();
        }
      }
      // Runs of single events go through AppendEach together; a SignedBatch on its own. The
      // answers keep the request order either way.
      std::vector<ledger::v1::AppendStreamResponse> out;
      size_t i = 0;
      while (i < taken.size()) {
        if (taken[i].has_batch()) {
          ledger::v1::AppendStreamResponse r;
          absl::StatusOr<std::vector<core::AppendResult>> results =
              log_->AppendSignedBatch(taken[i].batch());
          if (results.ok()) {
            if (absl::Status s = AwaitPublished(&*results); !s.ok()) results = s;
          }
          if (results.ok()) {
            for (const auto& a : *results) {
              Record(absl::OkStatus(), a.duplicate);
              FillAppendResponse(a, r.mutable_appended_batch()->add_results());
            }
          } else {
            Record(results.status(), false);
            FillAppendError(results.status(), r.mutable_error());
          }
          out.push_back(std::move(r));
          ++i;
          continue;
        }
        std::vector<ledger::v1::SignedEvent> run;
        while (i < taken.size() && !taken[i].has_batch()) {
          run.push_back(std::move(*taken[i].mutable_event()));
          ++i;
        }
        std::vector<absl::StatusOr<core::AppendResult>> each = log_->AppendEach(run);
        if (options_.await_published) {
          TreeSize needed = 0;
          for (const auto& r : each) {
            if (r.ok()) needed = std::max<TreeSize>(needed, r->sequence + 1);
          }
          std::string note;
          absl::Status published =
              needed == 0 ? absl::OkStatus() : options_.await_published(needed, &note);
          for (auto& r : each) {
            if (!r.ok()) continue;
            if (published.ok()) {
              r->checkpoint = note;
            } else {
              r = published;
            }
          }
        }
        for (auto& r : each) {
          Record(r.status(), r.ok() && r->duplicate);
          ledger::v1::AppendStreamResponse resp;
          if (r.ok()) {
            FillAppendResponse(*r, resp.mutable_appended());
          } else {
            FillAppendError(r.status(), resp.mutable_error());
          }
          out.push_back(std::move(resp));
        }
      }
      for (auto& resp : out) {
        resp.set_index(next_index++);
        if (!stream->Write(resp)) {
          absl::MutexLock lock(&mu);
          write_failed = true;
          pending.clear();
          return;
        }
      }
    }
  });
  ledger::v1::AppendRequest req;
  for (;;) {
    {
      absl::MutexLock lock(&mu);
      auto has_room = [&]() { return pending.size() < options_.stream_window || write_failed; };
      mu.Await(absl::Condition(&has_room));
      if (write_failed) break;
    }
    if (!stream->Read(&req)) break;
    absl::MutexLock lock(&mu);
    pending.push_back(std::move(req));
  }
  {
    absl::MutexLock lock(&mu);
    reading_done = true;
  }
  appender.join();
  if (context->IsCancelled()) return grpc::Status::CANCELLED;
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::Subscribe(grpc::ServerContext* context,
                                          const ledger::v1::SubscribeRequest* req,
                                          grpc::ServerWriter<ledger::v1::Entry>* writer) {
  ClientSlot client_slot(&subscribers_per_client_, ClientKey(*context),
                         options_.max_subscribers_per_client, options_.max_subscribers);
  if (client_slot.admit() == ClientStreamCounts::Admit::kTotalFull) {
    return TooManyStreams("Subscribe", options_.max_subscribers);
  }
  if (client_slot.admit() == ClientStreamCounts::Admit::kClientFull) {
    return TooManyStreamsOfClient("Subscribe", options_.max_subscribers_per_client,
                                  client_slot.client());
  }
  GaugeSlot gauge(options_.metrics, "Subscribe");
  SequenceNumber next = req->start_sequence();
  TreeSize size = log_->Head().tree_size;
  while (!context->IsCancelled()) {
    if (next < size) {
      const SequenceNumber end = std::min<uint64_t>(size, next + 256);
      bool ok = true;
      absl::Status scan =
          log_->store().ScanEntries(next, end, [&](SequenceNumber seq, absl::string_view leaf) {
            absl::StatusOr<core::LogEntry> e = core::DecodeLogEntry(seq, std::string(leaf));
            if (!e.ok()) return ok = false;
            ledger::v1::Entry out;
            FillEntry(*e, &out);
            if (!writer->Write(out)) return ok = false;
            next = seq + 1;
            return true;
          });
      if (!scan.ok()) return ToGrpcStatus(scan);
      if (!ok) break;  // The client went away.
      continue;
    }
    size = log_->WaitForGrowth(size, absl::Seconds(1));
  }
  return grpc::Status::CANCELLED;
}

grpc::Status LedgerServiceImpl::GetEntry(grpc::ServerContext*,
                                         const ledger::v1::GetEntryRequest* req,
                                         ledger::v1::GetEntryResponse* resp) {
  absl::StatusOr<core::LogEntry> e = log_->GetEntry(req->sequence());
  if (!e.ok()) return ToGrpcStatus(e.status());
  FillEntry(*e, resp->mutable_entry());
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::ListEntries(grpc::ServerContext*,
                                            const ledger::v1::ListEntriesRequest* req,
                                            ledger::v1::ListEntriesResponse* resp) {
  uint32_t max = req->max_entries() == 0 ? kDefaultListEntries : req->max_entries();
  if (max > kMaxListEntries) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded,
                                  "max_entries",
                                  absl::StrCat(max, " exceeds the limit of ", kMaxListEntries)));
  }
  const TreeSize size = log_->Head().tree_size;
  resp->set_tree_size(size);
  if (req->start_sequence() >= size) return grpc::Status::OK;
  const SequenceNumber end = std::min<uint64_t>(size, req->start_sequence() + max);
  absl::Status scan = log_->store().ScanEntries(
      req->start_sequence(), end, [&](SequenceNumber seq, absl::string_view leaf) {
        absl::StatusOr<core::LogEntry> e = core::DecodeLogEntry(seq, std::string(leaf));
        if (e.ok()) FillEntry(*e, resp->add_entries());
        return e.ok();
      });
  return ToGrpcStatus(scan);
}

grpc::Status LedgerServiceImpl::GetCheckpoint(grpc::ServerContext*,
                                              const ledger::v1::GetCheckpointRequest* req,
                                              ledger::v1::GetCheckpointResponse* resp) {
  std::string note;
  if (req->tree_size() == 0) {
    note = options_.published_checkpoint ? options_.published_checkpoint()
                                         : log_->LatestCheckpoint();
    if (note.empty()) {  // an empty follower, before the leader's first checkpoint arrives
      return ToGrpcStatus(MakeError(absl::StatusCode::kUnavailable, reason::kNoCheckpointYet, "",
                                    "this follower holds no checkpoint yet: it has not "
                                    "replicated any"));
    }
  } else {
    if (options_.published_checkpoint) {
      // Cluster mode: a stored checkpoint beyond the published one is provisional (a deposed
      // leader's may be set aside): never served.
      absl::StatusOr<format::Checkpoint> published =
          format::ParseCheckpointUnverified(options_.published_checkpoint());
      const TreeSize published_size = published.ok() ? published->tree_size : 0;
      if (req->tree_size() > published_size) {
        return ToGrpcStatus(MakeError(
            absl::StatusCode::kOutOfRange, reason::kTreeSizeOutOfRange, "tree_size",
            absl::StrCat(req->tree_size(), " is beyond the published checkpoint (tree size ",
                         published_size, ")")));
      }
    }
    absl::StatusOr<std::string> cp = log_->CheckpointAt(req->tree_size());
    if (!cp.ok()) return ToGrpcStatus(cp.status());
    note = *cp;
  }
  absl::StatusOr<format::Checkpoint> parsed = format::ParseCheckpointUnverified(note);
  if (!parsed.ok()) return ToGrpcStatus(absl::DataLossError(parsed.status().message()));
  resp->set_checkpoint(note);
  resp->set_tree_size(parsed->tree_size);
  resp->set_root_hash(Bytes(parsed->root_hash));
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetInclusionProof(
    grpc::ServerContext*, const ledger::v1::GetInclusionProofRequest* req,
    ledger::v1::GetInclusionProofResponse* resp) {
  absl::StatusOr<core::InclusionProof> proof;
  if (req->leaf_case() == ledger::v1::GetInclusionProofRequest::kLeafHash) {
    if (req->leaf_hash().size() != 32) {
      return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                    "leaf_hash",
                                    absl::StrCat("must be 32 bytes, got ",
                                                 req->leaf_hash().size())));
    }
    proof = log_->ProveInclusionByLeafHash(HashFromBytes(req->leaf_hash()), req->tree_size());
  } else {
    proof = log_->ProveInclusion(req->sequence(), req->tree_size());
  }
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  resp->set_sequence(proof->sequence);
  resp->set_tree_size(proof->tree_size);
  resp->set_leaf_hash(Bytes(proof->leaf_hash));
  resp->set_root_hash(Bytes(proof->root_hash));
  for (const Hash& h : proof->hashes) resp->add_hashes(Bytes(h));
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetConsistencyProof(
    grpc::ServerContext*, const ledger::v1::GetConsistencyProofRequest* req,
    ledger::v1::GetConsistencyProofResponse* resp) {
  absl::StatusOr<core::ConsistencyProof> proof =
      log_->ProveConsistency(req->from_tree_size(), req->to_tree_size());
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  resp->set_from_tree_size(proof->from_tree_size);
  resp->set_to_tree_size(proof->to_tree_size);
  resp->set_from_root_hash(Bytes(proof->from_root_hash));
  resp->set_to_root_hash(Bytes(proof->to_root_hash));
  for (const Hash& h : proof->hashes) resp->add_hashes(Bytes(h));
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetLogInfo(grpc::ServerContext*,
                                           const ledger::v1::GetLogInfoRequest*,
                                           ledger::v1::GetLogInfoResponse* resp) {
  resp->set_origin(log_->identity().origin);
  resp->set_checkpoint_verifier_key(log_->CheckpointVerifierKey());
  resp->set_tree_size(log_->Head().tree_size);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::Replicate(grpc::ServerContext* context,
                                          const ledger::v1::ReplicateRequest* req,
                                          ledger::v1::ReplicateResponse* resp) {
  FollowerTable* followers =
      options_.replication != nullptr ? options_.replication->followers : nullptr;
  return HandleReplicate(*log_, followers, context, *req, resp);
}

grpc::Status LedgerServiceImpl::GetReplicationStatus(
    grpc::ServerContext*, const ledger::v1::GetReplicationStatusRequest*,
    ledger::v1::GetReplicationStatusResponse* resp) {
  FillReplicationStatus(*log_, options_.replication != nullptr ? *options_.replication
                                                               : ReplicationContext(),
                        resp);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::ListFollowers(grpc::ServerContext*,
                                              const ledger::v1::ListFollowersRequest*,
                                              ledger::v1::ListFollowersResponse* resp) {
  FillFollowers(*log_, options_.replication != nullptr ? options_.replication->followers : nullptr,
                resp);
  return grpc::Status::OK;
}

}  // namespace ledger::service
