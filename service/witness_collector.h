// Collects tlog-witness cosignatures for the log's checkpoints (c2sp.org/tlog-witness,
// docs/c2sp.md "Witness cosigning"): ledgerd serve --witness VKEY=URL ... [--witness-policy K].
//
// A coordinator thread follows the log's latest checkpoint and hands it to one worker thread
// per witness; each worker POSTs add-checkpoint with a consistency proof from the size that
// witness last cosigned (0 when unknown: the witness answers 409 with its size, and the worker
// retries once with the right proof). A reply is accepted only when one of its lines is a
// valid cosignature/v1 by that witness's configured key over exactly this checkpoint; anything
// else (timeout, connection refused, other status, garbage, a cosignature of another
// checkpoint, a bad signature) is counted and logged, and that witness is retried after
// retry_interval. None of this is on the append path: appends never wait for a witness.
//
// When `threshold` witnesses have cosigned one checkpoint, that note with their cosignature
// lines appended (more are added as they arrive) is the "witnessed checkpoint": written to
// `state_file` with WriteFileAtomically, then served (WitnessedCheckpoint()). It only moves
// forward: a smaller checkpoint never replaces a larger one.
//
// Thread-safe. Destroying it stops the threads (a request in flight ends within its timeout).
#ifndef SERVICE_WITNESS_COLLECTOR_H_
#define SERVICE_WITNESS_COLLECTOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/types.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/cosignature.h"
#include "service/http/http_client.h"

namespace ledger::service {

struct WitnessEndpoint {
  witness::Cosigner cosigner;
  http::HttpUrl url;  // the submission prefix; add-checkpoint is url.path + "/add-checkpoint"
};

// Parses a --witness value "<cosigner verifier key>=<http://HOST:PORT[/PREFIX]>", e.g.
//   witness.example/w1+1a2b3c4d+BKx...=http://127.0.0.1:7380
// InvalidArgument naming the part that is wrong.
absl::StatusOr<WitnessEndpoint> ParseWitnessFlag(absl::string_view value);

// The default policy for n witnesses: a majority, n / 2 + 1.
inline int DefaultWitnessThreshold(size_t n) { return static_cast<int>(n / 2 + 1); }

struct WitnessCollectorOptions {
  std::vector<WitnessEndpoint> witnesses;  // 1..witness::kMaxPolicyWitnesses, distinct
  int threshold = 0;                       // 1..witnesses.size()
  absl::Duration timeout = absl::Seconds(5);         // per add-checkpoint call
  absl::Duration retry_interval = absl::Seconds(5);  // after a failure, per witness
  std::string state_file;                  // the witnessed checkpoint (datadir layout)
  format::NoteVerifier log_verifier;       // the log's key: checks the state file at start
  // The log, borrowed: the latest signed checkpoint note; a consistency proof between sizes
  // (0 < from < to); block until the log is larger than `size` or the timeout passes.
  std::function<std::string()> latest_checkpoint;
  std::function<absl::StatusOr<std::vector<Hash>>(TreeSize from, TreeSize to)> prove_consistency;
  std::function<void(TreeSize size, absl::Duration timeout)> wait_for_growth;
};

class WitnessCollector {
 public:
  // Checks the options, reads state_file (a witnessed checkpoint from an earlier run, which
  // must verify with log_verifier: DataLoss otherwise) and starts the threads.
  // InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<WitnessCollector>> Start(WitnessCollectorOptions options);
  ~WitnessCollector();

  // The latest witnessed checkpoint (note + cosignature lines), "" while there is none.
  std::string WitnessedCheckpoint() const;

  struct WitnessStats {
    std::string name;
    uint64_t cosigned = 0;  // cosignatures accepted
    uint64_t refused = 0;   // replies refused: garbage, wrong checkpoint, bad signature, ...
    uint64_t failed = 0;    // no usable reply: unreachable, timeout, other status
    TreeSize cosigned_size = 0;
    std::string last_error;
  };
  std::vector<WitnessStats> Stats() const;

 private:
  struct Target {
    std::string note;
    std::string text;  // the note text, what a cosignature covers
    format::Checkpoint checkpoint;
  };
  struct Worker {
    WitnessEndpoint endpoint;
    std::optional<TreeSize> known_size;  // what the witness last cosigned, when known
    std::optional<Target> job;           // set by the coordinator, cleared by the worker
    absl::Time next_try = absl::InfinitePast();
    WitnessStats stats;
    std::thread thread;
  };

  explicit WitnessCollector(WitnessCollectorOptions options);
  void Coordinate();
  void Work(size_t index);
  // One add-checkpoint exchange (with the 409 retry). Returns the accepted line.
  absl::StatusOr<std::string> Request(size_t index, const Target& target, bool* refused);
  void Record(size_t index, const Target& target, const std::string& line)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WitnessCollectorOptions options_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Worker>> workers_;  // the vector is immutable after Start
  // Cosignature lines collected per checkpoint size (pruned below the witnessed size).
  std::map<TreeSize, std::pair<std::string, std::vector<std::string>>> collected_
      ABSL_GUARDED_BY(mu_);
  std::string witnessed_note_ ABSL_GUARDED_BY(mu_);
  TreeSize witnessed_size_ ABSL_GUARDED_BY(mu_) = 0;
  size_t witnessed_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread coordinator_;
};

}  // namespace ledger::service

#endif  // SERVICE_WITNESS_COLLECTOR_H_
