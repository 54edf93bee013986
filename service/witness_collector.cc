#include "service/witness_collector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/file_util.h"
#include "ledger/base/logging.h"
#include "ledger/base/thread_name.h"
#include "ledger/witness/add_checkpoint.h"

namespace ledger::service {
namespace {

// How often the coordinator looks for idle workers when the log does not grow.
constexpr absl::Duration kCoordinatorTick = absl::Milliseconds(100);
// add-checkpoint replies are a few signature lines; anything longer is garbage.
constexpr size_t kMaxWitnessReplyBytes = 16 * 1024;
// Checkpoints whose cosignatures are kept while waiting for the threshold.
constexpr size_t kMaxCollectedSizes = 64;

std::string Snippet(absl::string_view body) {
  std::string s(body.substr(0, 200));
  for (char& c : s) {
    if (c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s;
}

}  // namespace

absl::StatusOr<WitnessEndpoint> ParseWitnessFlag(absl::string_view value) {
  const size_t split = value.find("=http");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--witness \"", value, "\": want <cosigner verifier key>=http://HOST:PORT[/PREFIX]"));
  }
  absl::StatusOr<witness::Cosigner> cosigner =
      witness::ParseCosignerVerifierKey(value.substr(0, split));
  if (!cosigner.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--witness \"", value, "\": ", cosigner.status().message()));
  }
  absl::StatusOr<http::HttpUrl> url = http::ParseHttpUrl(value.substr(split + 1));
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--witness \"", value, "\": ", url.status().message()));
  }
  return WitnessEndpoint{*cosigner, *url};
}

WitnessCollector::WitnessCollector(WitnessCollectorOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<WitnessCollector>> WitnessCollector::Start(
    WitnessCollectorOptions options) {
  std::vector<std::string> keys;
  for (const WitnessEndpoint& w : options.witnesses) {
    keys.push_back(witness::CosignerVerifierKey(w.cosigner));
  }
  if (absl::StatusOr<witness::WitnessPolicy> p =
          witness::ParseWitnessPolicy(keys, options.threshold);
      !p.ok()) {
    return p.status();
  }
  if (!options.latest_checkpoint || !options.prove_consistency || !options.wait_for_growth ||
      options.state_file.empty() || options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "witness collector: the log callbacks, a state file and a positive timeout are needed");
  }
  std::unique_ptr<WitnessCollector> c(new WitnessCollector(std::move(options)));
  absl::StatusOr<std::string> saved =
      ReadFileToString(c->options_.state_file, witness::kMaxSignedNoteBytes);
  if (saved.ok()) {
    absl::StatusOr<format::Checkpoint> cp =
        format::VerifyCheckpoint(*saved, c->options_.log_verifier);
    if (!cp.ok()) {
      return absl::DataLossError(absl::StrCat("witnessed checkpoint ", c->options_.state_file,
                                              ": ", cp.status().message()));
    }
    absl::MutexLock lock(&c->mu_);
    c->witnessed_note_ = *saved;
    c->witnessed_size_ = cp->tree_size;
    c->witnessed_count_ = 0;  // new cosignatures of this size may be added
  } else if (!absl::IsNotFound(saved.status())) {
    return saved.status();
  }
  for (const WitnessEndpoint& w : c->options_.witnesses) {
    auto worker = std::make_unique<Worker>();
    worker->endpoint = w;
    worker->stats.name = w.cosigner.name;
    c->workers_.push_back(std::move(worker));
  }
  for (size_t i = 0; i < c->workers_.size(); ++i) {
    c->workers_[i]->thread = std::thread([raw = c.get(), i] { raw->Work(i); });
  }
  c->coordinator_ = std::thread([raw = c.get()] { raw->Coordinate(); });
  return c;
}

WitnessCollector::~WitnessCollector() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (coordinator_.joinable()) coordinator_.join();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

std::string WitnessCollector::WitnessedCheckpoint() const {
  absl::MutexLock lock(&mu_);
  return witnessed_note_;
}

std::vector<WitnessCollector::WitnessStats> WitnessCollector::Stats() const {
  absl::MutexLock lock(&mu_);
  std::vector<WitnessStats> out;
  for (const auto& w : workers_) out.push_back(w->stats);
  return out;
}

void WitnessCollector::Coordinate() {
  SetCurrentThreadName("witness-coord");
  TreeSize size = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    const std::string note = options_.latest_checkpoint();
    absl::StatusOr<witness::SignedNote> split = witness::SplitSignedNote(note);
    absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(note);
    if (split.ok() && cp.ok()) {
      size = cp->tree_size;
      Target target{note, split->text, *cp};
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mu_);
      for (auto& w : workers_) {
        if (w->job.has_value() || now < w->next_try) continue;
        if (w->stats.cosigned_size == size && w->stats.cosigned > 0) continue;
        w->job = target;
      }
    }
    options_.wait_for_growth(size, kCoordinatorTick);
  }
}

void WitnessCollector::Work(size_t index) {
  SetCurrentThreadName("witness");
  Worker& w = *workers_[index];
  while (true) {
    Target target;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this, &w]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || w.job.has_value();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      target = *w.job;
    }
    bool refused = false;
    absl::StatusOr<std::string> line = Request(index, target, &refused);
    absl::MutexLock lock(&mu_);
    w.job.reset();
    if (line.ok()) {
      Record(index, target, *line);
      continue;
    }
    (refused ? w.stats.refused : w.stats.failed)++;
    w.stats.last_error = std::string(line.status().message());
    w.next_try = absl::Now() + options_.retry_interval;
    LogEvent(LogLevel::kWarning,
             refused ? "witness: reply refused" : "witness: no cosignature",
             {{"witness", w.endpoint.cosigner.name},
              {"tree_size", absl::StrCat(target.checkpoint.tree_size)},
              {"error", w.stats.last_error}});
  }
}

absl::StatusOr<std::string> WitnessCollector::Request(size_t index, const Target& target,
                                                      bool* refused) {
  Worker& w = *workers_[index];
  const TreeSize size = target.checkpoint.tree_size;
  const std::string& name = w.endpoint.cosigner.name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    TreeSize old_size = 0;
    {
      absl::MutexLock lock(&mu_);
      old_size = w.known_size.value_or(0);
    }
    if (old_size > size) {
      *refused = true;
      return absl::FailedPreconditionError(absl::StrCat(
          name, " has cosigned size ", old_size, ", larger than this log's ", size,
          ": it saw a checkpoint of this origin that this log never signed, or the log was "
          "restored from an old backup"));
    }
    witness::AddCheckpointRequest request;
    request.old_size = old_size;
    request.checkpoint = target.note;
    if (old_size > 0 && old_size < size) {
      absl::StatusOr<std::vector<Hash>> proof = options_.prove_consistency(old_size, size);
      if (!proof.ok()) return proof.status();
      request.proof = std::move(*proof);
    }
    http::PostOptions post;
    post.timeout = options_.timeout;
    post.max_reply_bytes = kMaxWitnessReplyBytes;
    absl::StatusOr<http::ClientReply> reply =
        http::Post(w.endpoint.url, witness::kAddCheckpointPath, "text/plain",
                   witness::EncodeAddCheckpointRequest(request), post);
    if (!reply.ok()) {
      *refused = absl::IsResourceExhausted(reply.status());
      return reply.status();
    }
    if (reply->status == 409) {
      absl::StatusOr<TreeSize> theirs = witness::ParseTlogSize(reply->body);
      if (!theirs.ok() || reply->content_type != witness::kTlogSizeContentType) {
        *refused = true;
        return absl::InvalidArgumentError(absl::StrCat(
            name, " answered 409 without a text/x.tlog.size body: \"", Snippet(reply->body),
            "\""));
      }
      if (*theirs == old_size) {
        *refused = true;
        return absl::FailedPreconditionError(absl::StrCat(
            name, " refuses the checkpoint of size ", size, " from its own size ", old_size,
            " (409): it holds another root for that size"));
      }
      absl::MutexLock lock(&mu_);
      w.known_size = *theirs;
      continue;
    }
    if (reply->status != 200) {
      return absl::UnavailableError(absl::StrCat(name, " answered ", reply->status, ": \"",
                                                 Snippet(reply->body), "\""));
    }
    *refused = true;
    absl::StatusOr<std::vector<std::string>> lines = witness::ParseSignatureLines(reply->body);
    if (!lines.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " answered 200 with garbage: ", lines.status().message()));
    }
    std::vector<std::string> problems;
    for (const std::string& line : *lines) {
      absl::StatusOr<uint64_t> t =
          witness::VerifyCosignatureLine(line, target.text, w.endpoint.cosigner);
      if (t.ok()) {
        *refused = false;
        return line;
      }
      if (!absl::IsNotFound(t.status())) problems.emplace_back(t.status().message());
    }
    return absl::DataLossError(absl::StrCat(
        name, " answered 200 with no valid cosignature of the checkpoint of size ", size,
        problems.empty() ? " by its key" : absl::StrCat(": ", absl::StrJoin(problems, "; "))));
  }
  return absl::UnavailableError(
      absl::StrCat(name, " answered 409 twice; will retry with the size it gave"));
}

void WitnessCollector::Record(size_t index, const Target& target, const std::string& line) {
  Worker& w = *workers_[index];
  const TreeSize size = target.checkpoint.tree_size;
  w.known_size = size;
  w.stats.cosigned++;
  w.stats.cosigned_size = size;
  w.stats.last_error.clear();
  if (size < witnessed_size_) return;  // the witnessed checkpoint only moves forward
  // Sizes that never reach the threshold (a witness down) are dropped oldest first.
  while (collected_.size() >= kMaxCollectedSizes && collected_.count(size) == 0) {
    collected_.erase(collected_.begin());
  }
  auto& [note, lines] = collected_[size];
  if (note.empty()) note = target.note;
  if (note != target.note) return;  // cannot happen: one signed note per size
  lines.push_back(line);
  if (lines.size() < static_cast<size_t>(options_.threshold)) return;
  if (size == witnessed_size_ && lines.size() <= witnessed_count_) return;
  std::string witnessed = witness::AppendSignatureLines(note, lines);
  if (absl::Status s = WriteFileAtomically(options_.state_file, witnessed); !s.ok()) {
    LogEvent(LogLevel::kError, "witness: cannot persist the witnessed checkpoint",
             {{"error", std::string(s.message())}});
    return;
  }
  witnessed_note_ = std::move(witnessed);
  witnessed_size_ = size;
  witnessed_count_ = lines.size();
  collected_.erase(collected_.begin(), collected_.lower_bound(size));
  LogEvent(LogLevel::kInfo, "witness: checkpoint witnessed",
           {{"tree_size", absl::StrCat(size)}, {"cosignatures", absl::StrCat(lines.size())}});
}

}  // namespace ledger::service
