// EtcdClient: the few calls of etcd's v3 gRPC API that cluster mode needs (KV Range, Put, Txn;
// Lease Grant, KeepAlive, Revoke; Watch), over stubs generated at build time from the .proto
// files of Debian's golang-etcd-server-dev (third_party/etcd.BUILD). docs/design.md, "High
// availability", says why gRPC rather than etcd's JSON gateway.
//
// Endpoints: "http://127.0.0.1:2379,http://127.0.0.1:22379,..." (the scheme may be left out;
// https is refused: INVALID_ARGUMENT). Each call goes to one member; when it fails with
// UNAVAILABLE or DEADLINE_EXCEEDED the next call goes to the next member, so a dead member
// costs one failed call. Every call has a deadline (rpc_timeout). Reads are linearizable
// (etcd's default): a member cut off from its quorum answers none.
//
// Errors: UNAVAILABLE (no member answered in time, naming the endpoint and gRPC's message), or
// the code etcd returned. Thread-safe.
//
// Example:
//   auto etcd = EtcdClient::Connect("http://127.0.0.1:2379", absl::Seconds(2));
//   auto lease = (*etcd)->GrantLease(3);
//   auto won = (*etcd)->CreateIfAbsent("/ledger/leader", "n1@127.0.0.1:50051", *lease);
//   if (won.ok() && won->created) { /* leader: token won->kv.create_revision */ }
#ifndef LEDGER_CLUSTER_ETCD_CLIENT_H_
#define LEDGER_CLUSTER_ETCD_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ledger::cluster {

// One key as etcd stores it (mvccpb.KeyValue).
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // revision of the Put that created it (0: absent)
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

// A change seen by Watch.
struct WatchEvent {
  bool deleted = false;  // else a put
  KeyValue kv;           // for a delete: the key and the revision of the delete (mod_revision)
};

class EtcdClient {
 public:
  // Parses `endpoints` (comma-separated; at least one). Nothing is contacted yet.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(const std::string& endpoints,
                                                             absl::Duration rpc_timeout);
  ~EtcdClient();

  // The key, or nullopt when absent.
  absl::StatusOr<std::optional<KeyValue>> Get(const std::string& key);
  // Puts unconditionally (lease 0: none). Returns the new revision.
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                              int64_t lease = 0);

  struct CreateResult {
    bool created = false;
    KeyValue kv;  // ours when created, else the key that was there
  };
  // One Txn: if `key` is absent, put it with `lease`; else read it.
  absl::StatusOr<CreateResult> CreateIfAbsent(const std::string& key, const std::string& value,
                                              int64_t lease);
  // One Txn: if `guard_key` exists with create_revision == `guard_create_revision`, put
  // `key` = `value`; returns whether it did (false: the guard failed, nothing written).
  absl::StatusOr<bool> PutIfGuard(const std::string& guard_key, int64_t guard_create_revision,
                                  const std::string& key, const std::string& value);
  // One Txn: deletes `key` if its create_revision is `create_revision`. Whether it did.
  absl::StatusOr<bool> DeleteIfCreateRevision(const std::string& key, int64_t create_revision);

  // A lease of `ttl_seconds` (etcd may raise a TTL below its minimum). Returns its id.
  absl::StatusOr<int64_t> GrantLease(int64_t ttl_seconds);
  // One keep-alive: the lease's remaining TTL in seconds; 0 when it expired (or never existed).
  absl::StatusOr<int64_t> KeepAlive(int64_t lease);
  absl::Status RevokeLease(int64_t lease);

  // Watches `key` from revision `after_revision + 1`: the first change, or nullopt when none
  // came within `timeout`. A compacted start revision is OUT_OF_RANGE.
  absl::StatusOr<std::optional<WatchEvent>> WaitForChange(const std::string& key,
                                                          int64_t after_revision,
                                                          absl::Duration timeout);

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  struct Stubs;
  EtcdClient(std::vector<std::string> endpoints, absl::Duration rpc_timeout);
  // The member to use now, and its index (for Failed).
  std::shared_ptr<Stubs> Current(size_t* index);
  // Moves on to the next member when `s` says this one did not answer.
  absl::Status Failed(size_t index, absl::Status s);

  const std::vector<std::string> endpoints_;
  const absl::Duration rpc_timeout_;
  absl::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Stubs>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::cluster

#endif  // LEDGER_CLUSTER_ETCD_CLIENT_H_
