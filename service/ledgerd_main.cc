// ledgerd: the fact ledger server.
//
//   ledgerd init  --data-dir DIR --origin ORIGIN --admin-key ADMIN.pub [--admin-key ...]
//                 [--anchor-dir DIR2]
//   ledgerd serve --data-dir DIR [--anchor-dir DIR2 [--require-external-anchor]]
//                 [--anchor-before-ack] [--peer FOLLOWER_HOST:PORT ...]
//                 [--listen 127.0.0.1:50051] [--port-file FILE]
//                 [--http-listen HOST:PORT [--http-port-file FILE]]
//                 [--witness COSIGNER_VKEY=http://HOST:PORT ... [--witness-policy K]]
//                 [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]] [--min-free-bytes N] ...
//   ledgerd init-follower --data-dir DIR --origin ORIGIN --log-key VERIFIER_KEY_OR_PUB
//                 --admin-key ADMIN.pub [--admin-key ...]
//   ledgerd serve --data-dir DIR --follow LEADER_HOST:PORT [--follower-id ID]
//                 [--leader-tls-ca PEM [--leader-tls-cert PEM --leader-tls-key PEM]]
//                 [--require-witnesses K --witness-key VKEY ... --leader-http URL] ...
//   ledgerd serve --data-dir DIR --mirror-tiles http://HOST:PORT[/PREFIX] [--follower-id ID]
//
// Exit codes: 0 clean shutdown (SIGINT/SIGTERM drain in-flight appends first); 1 bad usage;
// 2 the data directory cannot be opened or initialised; 3 the server cannot listen;
// 4 refused to start: the log is behind one of its anchors (in the data directory or the
// external --anchor-dir) or forked from it, or a --peer follower holds a checkpoint of this
// log larger than it or with another root (the database lost acknowledged entries or was
// replaced; ledger/datadir/anchor.h, service/peer_check.h, docs/reliability.md).
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>


#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/resource_quota.h"
#include "ledger/base/error.h"
#include "ledger/base/file_util.h"
#include "ledger/base/logging.h"
#include "ledger/datadir/sst_verification.h"
#include "ledger/base/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "ledger/cluster/cluster_node.h"
#include "ledger/cluster/discard.h"
#include "ledger/cluster/verified_report_source.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/datadir/layout.h"
#include "ledger/replication/follower.h"
#include "ledger/replication/receipts.h"
#include "ledger/replication/fork_evidence.h"
#include "ledger/views/claim_state_map.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/rocksdb_view_store.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_updater.h"
#include "service/claim_service.h"
#include "service/follower_map_audit.h"
#include "service/grpc_status.h"
#include "service/explorer/explorer_handler.h"
#include "service/http/http_server.h"
#include "service/http_api.h"
#include "service/tiles_entry_source.h"
#include "service/tiles_http.h"
#include "service/witness_collector.h"
#include "service/witnessed_source.h"
#include "service/ledger_service.h"
#include "service/metrics.h"
#include "service/peer_check.h"
#include "service/replication_grpc_source.h"
#include "service/replication_service.h"

namespace {

constexpr int kExitUsage = 1;
constexpr int kExitDataDir = 2;
constexpr int kExitListen = 3;
constexpr int kExitBehindAnchor = 4;
// Largest request accepted on the wire (a SignedEvent is at most 64 KiB of event bytes).
constexpr int kMaxReceiveMessageBytes = 4 * 1024 * 1024;
// --views-nice's default on a follower and in cluster mode (ViewEngineOptions::thread_nice).
constexpr int kFollowerViewsNice = 10;

// --anchor-dir problems found before anything is written: bad usage (exit 1).
bool IsAnchorDirError(const absl::Status& s) {
  return ledger::ErrorReason(s) == ledger::datadir::kReasonBadAnchorDir;
}

int Init(const std::string& data_dir, const std::string& origin,
         const std::vector<std::string>& admin_key_files, const std::string& anchor_dir) {
  std::vector<ledger::crypto::PublicKey> admins;
  for (const auto& file : admin_key_files) {
    auto key = ledger::crypto::ReadPublicKeyFile(file);
    if (!key.ok()) {
      std::cerr << "ledgerd: --admin-key " << file << ": " << key.status().message() << "\n";
      return kExitUsage;
    }
    admins.push_back(*key);
  }
  absl::Status s = ledger::datadir::InitDataDir(data_dir, origin, admins, nullptr, anchor_dir);
  if (!s.ok()) {
    std::cerr << "ledgerd: cannot initialise " << data_dir << ": " << s.message() << "\n";
    return IsAnchorDirError(s) ? kExitUsage : kExitDataDir;
  }
  auto identity = ledger::datadir::ReadIdentity(data_dir);
  std::cout << "initialised " << data_dir << " for origin " << origin << "\n"
            << "checkpoint verifier key: "
            << ledger::format::NoteVerifierKey(identity->origin, identity->log_public_key)
            << "\n";
  return 0;
}

// A follower's identity comes from its own configuration: the leader's checkpoint verifier key
// (or its bare public key, as a file or 64 hex digits), never from the leader.
int InitFollower(const std::string& data_dir, const std::string& origin,
                 const std::string& log_key, const std::vector<std::string>& admin_key_files) {
  std::vector<ledger::crypto::PublicKey> admins;
  for (const auto& file : admin_key_files) {
    auto key = ledger::crypto::ReadPublicKeyFile(file);
    if (!key.ok()) {
      std::cerr << "ledgerd: --admin-key " << file << ": " << key.status().message() << "\n";
      return kExitUsage;
    }
    admins.push_back(*key);
  }
  absl::StatusOr<ledger::format::TrustedLogKey> given = ledger::format::ParseLogKey(log_key);
  if (!given.ok()) {
    std::cerr << "ledgerd: --log-key " << log_key << ": " << given.status().message() << "\n";
    return kExitUsage;
  }
  if (!given->origin.empty() && given->origin != origin) {
    std::cerr << "ledgerd: --log-key names origin " << given->origin << ", not " << origin << "\n";
    return kExitUsage;
  }
  const ledger::crypto::PublicKey* leader_key = &given->public_key;
  absl::Status s = ledger::datadir::InitFollowerDataDir(data_dir, origin, *leader_key, admins);
  if (!s.ok()) {
    std::cerr << "ledgerd: cannot initialise " << data_dir << ": " << s.message() << "\n";
    return kExitDataDir;
  }
  std::cout << "initialised follower " << data_dir << " for origin " << origin << "\n"
            << "checkpoint verifier key: "
            << ledger::format::NoteVerifierKey(origin, *leader_key) << "\n";
  return 0;
}

struct ServeFlags {
  std::string data_dir;
  std::string anchor_dir;
  bool require_external_anchor = false;
  bool anchor_before_ack = false;
  std::string listen = "127.0.0.1:50051";
  std::string port_file;
  std::string tls_cert, tls_key, tls_client_ca;
  uint64_t min_free_bytes = 256ull << 20;
  uint64_t proof_cache_mb = ledger::core::LogOptions().proof_cache_bytes >> 20;
  std::string verify_sst_at_start = "changed";
  double scrub_interval_hours = 24;
  int max_subscribers = 64;
  int max_subscribers_per_client = 32;
  int max_append_streams = 64;
  int max_concurrent_streams = 100;
  int max_threads = 256;
  int min_pollers = 2;
  // Above the number of unary calls expected at once: a sync-server thread that finishes a call
  // while more than max_pollers threads wait for requests exits, and the next call starts a new
  // one. With 8, 32 concurrent clients cost about one thread creation per two appends.
  int max_pollers = 64;
  std::string metrics_listen;
  // The read-only HTTP APIs (service/http): off unless --http-listen is given.
  std::string http_listen, http_port_file;
  int http_max_concurrent = ledger::service::http::ServerOptions().max_concurrent_requests;
  int http_threads = ledger::service::http::ServerOptions().threads;
  int views_coalesce_ms = 20;
  int max_view_lag_ms = 250;
  // -1: 10 on a follower (--follow, --mirror-tiles) and in cluster mode, 0 on a leader.
  int views_nice = -1;
  int map_commit_interval_ms = 1000;
  int views_write_buffer_mb = 0;
  int views_file_entries = static_cast<int>(ledger::views::ViewEngineOptions().file_catch_up_entries);
  bool views_wal = false;
  std::string follow, follower_id;
  // --follow: hold received entries as durable receipts before applying them (always on in
  // cluster mode; ledger/replication/receipts.h).
  bool follow_receipts = false;
  // A follower reading a tlog-tiles log over HTTP instead of --follow
  // (service/tiles_entry_source.h).
  std::string mirror_tiles;
  std::vector<std::string> peers;
  std::string peer_tls_ca;
  std::string leader_tls_ca, leader_tls_cert, leader_tls_key;
  // tlog-witness cosigning (service/witness_collector.h): off unless --witness is given.
  std::vector<std::string> witnesses;
  int witness_policy = 0;  // 0: a majority of the --witness entries
  int witness_timeout_ms = 5000;
  int witness_retry_ms = 5000;
  // A follower that follows only witnessed checkpoints (service/witnessed_source.h).
  int require_witnesses = 0;  // 0: off
  std::vector<std::string> witness_keys;
  std::string leader_http;
  // Cluster mode (ledger/cluster/cluster_node.h): --cluster and the flags after it.
  std::string cluster;
  ledger::cluster::ClusterOptions cluster_options;
  int ack_timeout_ms = 10000;
};

// The gated source of a follower started with --require-witnesses K; nullptr without. Exit code
// kExitUsage in *rc for bad flags.
std::unique_ptr<ledger::service::WitnessedEntrySource> WitnessedSource(
    const ServeFlags& flags, ledger::replication::EntrySource* inner, int* rc) {
  *rc = 0;
  if (flags.require_witnesses == 0) {
    if (!flags.witness_keys.empty() || !flags.leader_http.empty()) {
      std::cerr << "ledgerd: --witness-key and --leader-http go with --require-witnesses\n";
      *rc = kExitUsage;
    }
    return nullptr;
  }
  if (inner == nullptr || flags.leader_http.empty() || flags.witness_keys.empty()) {
    std::cerr << "ledgerd: --require-witnesses needs --follow, --leader-http (the leader's "
                 "--http-listen URL) and --witness-key\n";
    *rc = kExitUsage;
    return nullptr;
  }
  std::vector<std::string> keys;
  for (const std::string& k : flags.witness_keys) {
    if (!ledger::witness::ParseCosignerVerifierKey(k).ok() && ::access(k.c_str(), R_OK) == 0) {
      absl::StatusOr<std::string> text = ledger::ReadFileToString(k, 4096);
      keys.emplace_back(text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : k);
    } else {
      keys.push_back(k);
    }
  }
  absl::StatusOr<ledger::witness::WitnessPolicy> policy =
      ledger::witness::ParseWitnessPolicy(keys, flags.require_witnesses);
  absl::StatusOr<ledger::service::http::HttpUrl> url =
      ledger::service::http::ParseHttpUrl(flags.leader_http);
  if (!policy.ok() || !url.ok()) {
    std::cerr << "ledgerd: --require-witnesses: "
              << (!policy.ok() ? policy.status().message() : url.status().message()) << "\n";
    *rc = kExitUsage;
    return nullptr;
  }
  return std::make_unique<ledger::service::WitnessedEntrySource>(inner, *url, *policy);
}

// Starts the witness collector of a leader started with --witness; nullptr without. Exit code
// kExitUsage in *rc for a bad --witness or policy, or a follower given witnesses.
std::unique_ptr<ledger::service::WitnessCollector> StartWitnesses(const ServeFlags& flags,
                                                                  ledger::core::Log* log,
                                                                  int* rc) {
  *rc = 0;
  if (flags.witnesses.empty()) {
    if (flags.witness_policy != 0) {
      std::cerr << "ledgerd: --witness-policy needs --witness\n";
      *rc = kExitUsage;
    }
    return nullptr;
  }
  if (log->is_follower()) {
    std::cerr << "ledgerd: --witness: a follower signs no checkpoints; configure witnesses on "
                 "the leader\n";
    *rc = kExitUsage;
    return nullptr;
  }
  ledger::service::WitnessCollectorOptions options;
  for (const std::string& value : flags.witnesses) {
    absl::StatusOr<ledger::service::WitnessEndpoint> w = ledger::service::ParseWitnessFlag(value);
    if (!w.ok()) {
      std::cerr << "ledgerd: " << w.status().message() << "\n";
      *rc = kExitUsage;
      return nullptr;
    }
    options.witnesses.push_back(*w);
  }
  options.threshold = flags.witness_policy != 0
                          ? flags.witness_policy
                          : ledger::service::DefaultWitnessThreshold(options.witnesses.size());
  options.timeout = absl::Milliseconds(flags.witness_timeout_ms);
  options.retry_interval = absl::Milliseconds(flags.witness_retry_ms);
  options.state_file = ledger::datadir::WitnessedCheckpointFile(flags.data_dir);
  options.log_verifier = {log->identity().origin, log->identity().log_public_key};
  options.latest_checkpoint = [log] { return log->LatestCheckpoint(); };
  options.prove_consistency =
      [log](ledger::TreeSize from, ledger::TreeSize to) -> absl::StatusOr<std::vector<ledger::Hash>> {
    absl::StatusOr<ledger::core::ConsistencyProof> p = log->ProveConsistency(from, to);
    if (!p.ok()) return p.status();
    return p->hashes;
  };
  options.wait_for_growth = [log](ledger::TreeSize size, absl::Duration timeout) {
    log->WaitForGrowth(size, timeout);
  };
  absl::StatusOr<std::unique_ptr<ledger::service::WitnessCollector>> collector =
      ledger::service::WitnessCollector::Start(std::move(options));
  if (!collector.ok()) {
    std::cerr << "ledgerd: witnesses: " << collector.status().message() << "\n";
    *rc = absl::IsInvalidArgument(collector.status()) ? kExitUsage : kExitDataDir;
    return nullptr;
  }
  return *std::move(collector);
}

// "<hostname>:<data dir name>", in the follower-id alphabet: stable across restarts.
std::string DefaultFollowerId(const std::string& data_dir) {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string id = absl::StrCat(host, ":", dir.substr(dir.rfind('/') + 1));
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' &&
        c != '-') {
      c = '_';
    }
  }
  return id.substr(0, 128);
}

// The follower of `serve --mirror-tiles URL` (docs/c2sp.md "Tiles-reading follower"): the
// Follower of --follow over a TilesEntrySource instead of the Replicate RPC; nullptr without
// the flag. kExitUsage in *rc for a bad URL or a leader's data directory.
std::unique_ptr<ledger::replication::Follower> MirrorTilesFollower(
    const ServeFlags& flags, ledger::core::Log* log, ledger::service::ServerMetrics* metrics,
    std::unique_ptr<ledger::service::TilesEntrySource>* source, int* rc) {
  *rc = 0;
  if (flags.mirror_tiles.empty()) return nullptr;
  absl::StatusOr<ledger::service::http::HttpUrl> url =
      ledger::service::http::ParseHttpUrl(flags.mirror_tiles);
  if (!url.ok()) {
    std::cerr << "ledgerd: --mirror-tiles: " << url.status().message() << "\n";
    *rc = kExitUsage;
    return nullptr;
  }
  if (!log->is_follower()) {
    std::cerr << "ledgerd: --mirror-tiles needs a follower data directory (ledgerd "
                 "init-follower)\n";
    *rc = kExitUsage;
    return nullptr;
  }
  *source = std::make_unique<ledger::service::TilesEntrySource>(
      ledger::service::HttpTilesFetch(*url, absl::Seconds(30)));
  ledger::replication::FollowerOptions options;
  options.follower_id =
      flags.follower_id.empty() ? DefaultFollowerId(flags.data_dir) : flags.follower_id;
  options.leader = flags.mirror_tiles;
  options.evidence_dir = ledger::datadir::ForkEvidenceDir(flags.data_dir);
  // A tiles log publishes only its latest checkpoint: fetch whole bundles per page.
  options.page_entries = 1024;
  options.on_status = [metrics](const ledger::replication::FollowerStatus& s) {
    metrics->SetFollowerLag(s.lag_entries, s.lag_seconds);
    metrics->SetForkDetected(s.fork_kind != ledger::replication::ForkKind::kNone);
  };
  return std::make_unique<ledger::replication::Follower>(log, source->get(), options);
}

// Plaintext, TLS (--tls-cert, --tls-key) or mutual TLS (also --tls-client-ca: clients must
// present a certificate signed by that CA).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServeFlags& f) {
  if (f.tls_cert.empty() && f.tls_key.empty() && f.tls_client_ca.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (f.tls_cert.empty() || f.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  LEDGER_ASSIGN_OR_RETURN(pair.cert_chain, ledger::ReadFileToString(f.tls_cert));
  LEDGER_ASSIGN_OR_RETURN(pair.private_key, ledger::ReadFileToString(f.tls_key));
  options.pem_key_cert_pairs.push_back(pair);
  if (!f.tls_client_ca.empty()) {
    LEDGER_ASSIGN_OR_RETURN(options.pem_root_certs, ledger::ReadFileToString(f.tls_client_ca));
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// A leader started with --peer asks those followers for the newest checkpoint they hold before
// it signs anything (service/peer_check.h). Returns 0 to go on, else the exit code.
int CheckPeersAtStart(const ServeFlags& flags, const ledger::core::Log& log) {
  std::vector<ledger::service::Peer> peers;
  for (const std::string& address : flags.peers) {
    auto channel = ledger::service::LeaderChannel(address, flags.peer_tls_ca, "", "");
    if (!channel.ok()) {
      ledger::LogEvent(ledger::LogLevel::kError, "bad --peer-tls-ca",
                       {{"error", std::string(channel.status().message())}});
      return kExitUsage;
    }
    peers.push_back({address, *channel});
  }
  absl::StatusOr<ledger::service::PeerCheckResult> checked =
      ledger::service::CheckPeers(log, peers, absl::Seconds(5));
  if (!checked.ok()) {
    const bool refused = absl::IsFailedPrecondition(checked.status());
    ledger::LogEvent(ledger::LogLevel::kError,
                     refused ? "refused to start: a follower holds more than the log, or another "
                               "history, signed by this log's key"
                             : "cannot check the followers' checkpoints",
                     {{"data_dir", flags.data_dir},
                      {"reason", ledger::ErrorReason(checked.status())},
                      {"error", std::string(checked.status().message())}});
    return refused ? kExitBehindAnchor : kExitDataDir;
  }
  for (const std::string& u : checked->unreachable) {
    ledger::LogEvent(ledger::LogLevel::kWarning, "a --peer could not be asked for its checkpoint",
                     {{"peer", u}});
  }
  for (const std::string& f : checked->foreign) {
    ledger::LogEvent(ledger::LogLevel::kWarning,
                     "a --peer holds no checkpoint of this log (ignored)", {{"peer", f}});
  }
  ledger::LogEvent(ledger::LogLevel::kInfo, "followers checked: none holds more than the log",
                   {{"peers", std::to_string(flags.peers.size())},
                    {"answered", std::to_string(flags.peers.size() - checked->unreachable.size())},
                    {"largest_tree_size", std::to_string(checked->largest)}});
  return 0;
}

// ---- Cluster mode (--cluster; ledger/cluster/cluster_node.h, docs/operations.md) ------------

// Before the data directory is opened: refuses flags cluster mode replaces, and finishes a
// pending set-aside of a conflicting log (ledger/cluster/discard.h). 0, or the exit code.
int PrepareCluster(const ServeFlags& flags) {
  if (!flags.follow.empty() || !flags.peers.empty() || !flags.anchor_dir.empty()) {
    ledger::LogEvent(ledger::LogLevel::kError,
                     "--cluster replaces --follow and --peer (etcd names the leader) and cannot "
                     "be combined with --anchor-dir (a node may set its log aside)",
                     {{"data_dir", flags.data_dir}});
    return kExitUsage;
  }
  absl::StatusOr<std::string> aside = ledger::cluster::FinishClusterDiscard(flags.data_dir);
  if (!aside.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cluster: cannot set the conflicting log aside",
                     {{"data_dir", flags.data_dir},
                      {"error", std::string(aside.status().message())}});
    return kExitDataDir;
  }
  return 0;
}

// A view-derived structure (match index, claim-state map) that cannot be loaded: logged with
// the operator's remedy. Returns the exit code.
int ViewStateUnloadable(absl::string_view what, const absl::Status& error) {
  ledger::LogEvent(ledger::LogLevel::kError, absl::StrCat("cannot load ", what),
                   {{"error", std::string(error.message())},
                    {"hint", "rebuild the views: ledgerctl rebuild --data-dir <data-dir>"}});
  return kExitDataDir;
}

// The elected node's log takes the key (Log::Promote). 0, or the exit code.
int PromoteClusterLog(const std::string& data_dir, ledger::core::Log* log) {
  absl::StatusOr<ledger::crypto::Ed25519PrivateKey> key =
      ledger::crypto::ReadPrivateKeyFile(ledger::datadir::LogKeyFile(data_dir));
  absl::Status promoted = key.ok() ? log->Promote(*std::move(key)) : key.status();
  if (!promoted.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cluster: cannot take the log key",
                     {{"data_dir", data_dir}, {"error", std::string(promoted.message())}});
    return kExitDataDir;
  }
  return 0;
}

// The log conflicts with the cluster's published checkpoint (Decide or HoldsPublished answered
// LOG_FORKED_FROM_PUBLISHED). When that checkpoint does not even verify with this log's key
// (DATA_LOSS: another log's, or etcd's state is not this cluster's), the node must not serve:
// exit 4 for the operator. Otherwise (FAILED_PRECONDITION: another root at the published size)
// the entries where this log parts from it were never published: every published checkpoint
// extends the one before it (the fenced Txn, and only a node holding the published checkpoint
// may lead), so had this log's diverging entry been published, the lineage would hold it. It is
// a deposed leader's unpublished suffix (or a follower's copy of it), only checked after the
// lineage grew past the point where they part: set the log aside (kept, ledger/cluster/discard.h)
// and replicate again. Does not return.
[[noreturn]] void LeaveForkedLog(const std::string& data_dir, const absl::Status& forked,
                                 const std::string& detail) {
  if (forked.code() == absl::StatusCode::kDataLoss) {
    ledger::LogEvent(ledger::LogLevel::kError,
                     "cluster: refused to serve: the published checkpoint is not this log's",
                     {{"error", std::string(forked.message())}, {"finding", detail}});
    std::_Exit(kExitBehindAnchor);
  }
  const std::string why =
      absl::StrCat("the log parts from the published checkpoint: ", forked.message(),
                   detail.empty() ? "" : absl::StrCat("; ", detail));
  if (absl::Status s = ledger::cluster::RequestClusterDiscard(data_dir, why); !s.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cluster: cannot request the set-aside",
                     {{"error", std::string(s.message())}, {"why", why}});
    std::_Exit(kExitBehindAnchor);
  }
  ledger::LogEvent(ledger::LogLevel::kWarning,
                   "cluster: the log holds an unpublished suffix that the published checkpoint "
                   "contradicts; restarting to set it aside",
                   {{"why", why}});
  std::_Exit(ledger::cluster::kExitRoleChanged);
}

// After the log was opened without its key: joins etcd and learns this node's role (the
// leader's log is promoted in place: PromoteClusterLog). 0, or the exit code.
int JoinCluster(ServeFlags* flags, absl::StatusOr<std::unique_ptr<ledger::core::Log>>* log,
                std::unique_ptr<ledger::cluster::ClusterNode>* node,
                ledger::cluster::ClusterNode::Role* initial_role) {
  ledger::cluster::ClusterOptions options = flags->cluster_options;
  options.etcd_endpoints = flags->cluster;
  options.ack_timeout = absl::Milliseconds(flags->ack_timeout_ms);
  auto joined = ledger::cluster::ClusterNode::Join(options, (**log)->identity().origin);
  if (!joined.ok()) {
    const bool usage = absl::IsInvalidArgument(joined.status());
    ledger::LogEvent(ledger::LogLevel::kError,
                     usage ? "bad cluster flags" : "cluster: cannot reach etcd",
                     {{"cluster", flags->cluster},
                      {"error", std::string(joined.status().message())}});
    return usage ? kExitUsage : ledger::cluster::kExitRoleChanged;
  }
  *node = *std::move(joined);
  auto role = (*node)->Decide(***log, absl::Seconds(30), /*serving=*/false);
  if (!role.ok()) {
    if (ledger::ErrorReason(role.status()) == ledger::reason::kLogForkedFromPublished) {
      LeaveForkedLog(flags->data_dir, role.status(), "");
    }
    ledger::LogEvent(ledger::LogLevel::kError,
                     "cluster: no role (etcd unreachable or no leader); restarting",
                     {{"error", std::string(role.status().message())}});
    return ledger::cluster::kExitRoleChanged;
  }
  // The log stays open: the leader promotes it in place (the key read from the data
  // directory); a follower only learns whom to name when it refuses appends.
  if (role->leader) {
    if (const int rc = PromoteClusterLog(flags->data_dir, log->value().get()); rc != 0) return rc;
  } else {
    (**log)->SetLeaderHint(role->leader_address);
  }
  *initial_role = *role;
  ledger::LogEvent(ledger::LogLevel::kInfo, role->leader ? "cluster: elected leader" : "cluster: following",
                   {{"node_id", flags->cluster_options.node_id},
                    {"leader", role->leader_id},
                    {"leader_address", role->leader_address},
                    {"published_tree_size", std::to_string((*node)->PublishedSize())},
                    {"tree_size", std::to_string((**log)->Head().tree_size)},
                    {"quorum", std::to_string((*node)->quorum())}});
  return 0;
}

// A cluster follower stopped on a finding about the leader. When its log holds nothing that
// contradicts the published checkpoint, the conflict lies in a suffix never published (an
// earlier leader's, never acknowledged): ask the next start to set the log aside and restart.
// When it does, the same holds (LeaveForkedLog): the suffix was checked too late, after the
// published lineage grew past the point where the two part.
void HandleClusterFinding(const std::string& data_dir, ledger::cluster::ClusterNode* node,
                          ledger::core::Log* log, const std::string& detail) {
  absl::StatusOr<bool> holds = node->HoldsPublished(*log);
  if (!holds.ok() && ledger::ErrorReason(holds.status()) == ledger::reason::kLogForkedFromPublished) {
    LeaveForkedLog(data_dir, holds.status(), detail);
  }
  if (!holds.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cluster: cannot read the published checkpoint",
                     {{"error", std::string(holds.status().message())}});
    std::_Exit(ledger::cluster::kExitRoleChanged);
  }
  const std::string why = absl::StrCat("conflict with the leader beyond published tree size ",
                                       node->PublishedSize(), ": ", detail);
  if (absl::Status s = ledger::cluster::RequestClusterDiscard(data_dir, why); !s.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cluster: cannot request the set-aside",
                     {{"error", std::string(s.message())}});
    return;
  }
  ledger::LogEvent(ledger::LogLevel::kWarning,
                   "cluster: the log conflicts with the leader beyond the published checkpoint; "
                   "restarting to set it aside",
                   {{"why", why}});
  std::_Exit(ledger::cluster::kExitRoleChanged);
}

// Opens <data-dir>/receipts and applies the receipts a previous process stored and did not
// apply. 0, or the exit code.
int OpenReceipts(const std::string& data_dir, ledger::core::Log* log,
                 std::unique_ptr<ledger::replication::ReceiptStore>* receipts) {
  absl::StatusOr<std::unique_ptr<ledger::replication::ReceiptStore>> opened =
      ledger::replication::ReceiptStore::Open(ledger::datadir::ReceiptsDir(data_dir));
  absl::Status status = opened.status();
  if (opened.ok()) {
    *receipts = *std::move(opened);
    status = ledger::replication::ApplyStoredReceipts(receipts->get(), log).status();
  }
  if (status.ok()) return 0;
  ledger::LogEvent(ledger::LogLevel::kError,
                   "cannot apply the receipts stored by the previous run (entries received "
                   "from a leader and not yet verified); if the log refused them, the leader "
                   "that sent them cannot be trusted: set this data directory aside and "
                   "replicate again",
                   {{"data_dir", data_dir},
                    {"code", absl::StatusCodeToString(status.code())},
                    {"error", std::string(status.message())}});
  return kExitDataDir;
}

// Cluster mode's role changes within the process (ledger/cluster/cluster_node.h). The log, the
// views and the servers stay up; on each change the monitor reports, this decides again
// (ClusterNode::Decide) and either leads (Log::Promote, then ClusterNode::StartLeading) or
// follows the leader etcd names with a new verifying follower over a new channel (a
// demoted leader first stops acknowledging and stops its sequencer: Log::Demote). The
// process exits (kExitRoleChanged) only when no role can be had (etcd unreachable or no
// leader within 30 s), and a follower that must set its log aside exits through
// HandleClusterFinding.
class ClusterRoles {
 public:
  ClusterRoles(const ServeFlags* flags, ledger::cluster::ClusterNode* node,
               ledger::core::Log* log, ledger::replication::ReceiptStore* receipts,
               ledger::service::ServerMetrics* metrics,
               ledger::service::ReplicationContext* replication)
      : flags_(flags),
        node_(node),
        log_(log),
        receipts_(receipts),
        metrics_(metrics),
        replication_(replication) {
    replication_->mu = &replication_mu_;
  }
  ~ClusterRoles() { Stop(); }

  // Starts the initial role's follower (when following), the monitor and the role thread.
  // A cluster follower runs no map audit (FollowerMapAudit): its calls to a paused leader would
  // hold up a role change by their deadline, and each new one would rescan the whole log;
  // every node computes its own map from the same verified log.
  void Start(const ledger::cluster::ClusterNode::Role& role) {
    if (role.leader) {
      if (!node_->leading()) node_->StartLeading(log_);  // LeadEarly started it
    } else {
      Follow(role.leader_address);
    }
    node_->StartMonitor([this](const std::string& why) { Changed(why); });
    thread_ = std::thread([this] { Loop(); });
  }

  // A leader's publisher starts before the servers do (appends are answered as soon as they
  // are served).
  void LeadEarly(const ledger::cluster::ClusterNode::Role& role) {
    if (role.leader) node_->StartLeading(log_);
  }

  // Stops the role thread and the follower (before the log closes). Idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;  // the node may be gone by the second call (the destructor's)
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
    StopFollowing();
    node_->StopLeading();
  }

 private:
  void Changed(const std::string& why) {
    absl::MutexLock lock(&mu_);
    changed_ = true;
    why_ = why;
    changed_at_ = absl::Now();
  }

  void Loop() {
    while (true) {
      std::string why;
      absl::Time changed_at;
      {
        absl::MutexLock lock(&mu_);
        auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return changed_ || stopping_; };
        mu_.Await(absl::Condition(&woken));
        if (stopping_) return;
        changed_ = false;
        why = why_;
        changed_at = changed_at_;
      }
      const bool was_leader = !log_->is_follower();
      ledger::LogEvent(ledger::LogLevel::kWarning, "cluster: role change (in process)",
                       {{"why", why}, {"was", was_leader ? "leader" : "follower"}});
      node_->StopLeading();  // acknowledges nothing more (the monitor already said NOT_LEADER)
      StopFollowing();
      if (was_leader) (void)log_->Demote("");
      absl::StatusOr<ledger::cluster::ClusterNode::Role> role =
          node_->Decide(*log_, absl::Seconds(30));
      if (!role.ok()) {
        if (ledger::ErrorReason(role.status()) == ledger::reason::kLogForkedFromPublished) {
          LeaveForkedLog(flags_->data_dir, role.status(), "");
        }
        ledger::LogEvent(ledger::LogLevel::kError,
                         "cluster: no role (etcd unreachable or no leader); restarting",
                         {{"error", std::string(role.status().message())}});
        std::_Exit(ledger::cluster::kExitRoleChanged);
      }
      if (role->leader) {
        if (const int rc = PromoteClusterLog(flags_->data_dir, log_); rc != 0) std::_Exit(rc);
        node_->StartLeading(log_);
      } else {
        Follow(role->leader_address);
      }
      ledger::LogEvent(
          ledger::LogLevel::kInfo,
          role->leader ? "cluster: elected leader" : "cluster: following",
          {{"node_id", flags_->cluster_options.node_id},
           {"leader", role->leader_id},
           {"leader_address", role->leader_address},
           {"published_tree_size", std::to_string(node_->PublishedSize())},
           {"tree_size", std::to_string(log_->Head().tree_size)},
           {"in_process", "true"},
           {"role_change_ms",
            std::to_string(absl::ToInt64Milliseconds(absl::Now() - changed_at))}});
      node_->StartMonitor([this](const std::string& w) { Changed(w); });
    }
  }

  void Follow(const std::string& leader) {
    auto channel = ledger::service::LeaderChannel(leader, flags_->leader_tls_ca,
                                                  flags_->leader_tls_cert, flags_->leader_tls_key);
    if (!channel.ok()) {
      ledger::LogEvent(ledger::LogLevel::kError, "bad leader TLS configuration",
                       {{"error", std::string(channel.status().message())}});
      std::_Exit(kExitUsage);
    }
    log_->SetLeaderHint(leader);
    source_ = std::make_unique<ledger::service::GrpcEntrySource>(*channel);
    // Counts towards this leader's quorum only once verified against it.
    verified_ = std::make_unique<ledger::cluster::VerifiedReportSource>(source_.get());
    ledger::replication::FollowerOptions options;
    options.follower_id =
        absl::StrCat(ledger::cluster::kClusterFollowerPrefix, flags_->cluster_options.node_id);
    options.leader = leader;
    options.evidence_dir = ledger::datadir::ForkEvidenceDir(flags_->data_dir);
    // The quorum counts what the follower holds durably; its verification and apply run
    // behind (Stop applies everything received before a new role). At normal priority: a
    // node re-replicating after a set-aside may be the quorum a new leader waits for (measured:
    // at nice 10 the first ack after a failover took up to 6.8 s on a loaded host).
    options.receipts = receipts_;
    options.on_status = [this, verified = verified_.get()](
                            const ledger::replication::FollowerStatus& s) {
      metrics_->SetFollowerLag(s.lag_entries, s.lag_seconds);
      metrics_->SetForkDetected(s.fork_kind != ledger::replication::ForkKind::kNone);
      if (s.state == ledger::replication::FollowerState::kCaughtUp) verified->set_verified();
      if (s.fork_kind != ledger::replication::ForkKind::kNone) {
        HandleClusterFinding(flags_->data_dir, node_, log_,
                             absl::StrCat(ledger::replication::ForkKindName(s.fork_kind), ": ",
                                          s.fork_detail));
      }
    };
    follower_ = std::make_unique<ledger::replication::Follower>(log_, verified_.get(), options);
    {
      absl::MutexLock lock(&replication_mu_);
      replication_->leader = leader;
      replication_->follower = follower_.get();
    }
    follower_->Start();
  }

  void StopFollowing() {
    if (follower_ == nullptr) return;
    source_->Cancel();  // ends a long poll at once
    follower_->Stop();
    {
      absl::MutexLock lock(&replication_mu_);
      replication_->leader.clear();
      replication_->follower = nullptr;
    }
    follower_.reset();
    verified_.reset();
    source_.reset();
  }

  const ServeFlags* const flags_;
  ledger::cluster::ClusterNode* const node_;
  ledger::core::Log* const log_;
  ledger::replication::ReceiptStore* const receipts_;
  ledger::service::ServerMetrics* const metrics_;
  ledger::service::ReplicationContext* const replication_;
  absl::Mutex replication_mu_;

  absl::Mutex mu_;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::string why_ ABSL_GUARDED_BY(mu_);
  absl::Time changed_at_ ABSL_GUARDED_BY(mu_);

  // The current follower (role thread only, and Stop after it ended).
  std::unique_ptr<ledger::service::GrpcEntrySource> source_;
  std::unique_ptr<ledger::cluster::VerifiedReportSource> verified_;
  std::unique_ptr<ledger::replication::Follower> follower_;
  std::thread thread_;
};

int Serve(ServeFlags flags) {
  // Block the shutdown signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto credentials = Credentials(flags);
  if (!credentials.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "bad TLS configuration",
                     {{"error", std::string(credentials.status().message())}});
    return kExitUsage;
  }
  if (!flags.cluster.empty()) {
    if (const int rc = PrepareCluster(flags); rc != 0) return rc;
  }
  std::unique_ptr<ledger::cluster::ClusterNode> cluster_node;
  ledger::cluster::ClusterNode::Role cluster_role;
  std::atomic<ledger::cluster::ClusterNode*> cluster_commits{nullptr};
  ledger::service::ServerMetrics metrics;
  // The views are opened after the log (they read it); commits reach them through this pointer.
  std::atomic<ledger::views::ViewUpdater*> view_updater{nullptr};
  ledger::datadir::OpenLogOptions open_options;
  ledger::core::LogOptions& log_options = open_options.log;
  log_options.on_checkpoint = [&view_updater, &cluster_commits](const std::string&,
                                                                 ledger::TreeSize size) {
    if (ledger::views::ViewUpdater* u = view_updater.load()) u->Notify(size);
    if (ledger::cluster::ClusterNode* c = cluster_commits.load()) c->NotifyCommit(size);
  };
  // Back-pressure: a group commit waits (up to 1 s) while the views trail the log by more than
  // --max-view-lag-ms, so that queries stay within about that much of the log at any ingest
  // rate (bench/REPORT.md: the views' lag).
  log_options.before_group = [&view_updater,
                              max_lag = flags.max_view_lag_ms](ledger::TreeSize) {
    if (max_lag == 0) return;
    if (ledger::views::ViewUpdater* u = view_updater.load()) {
      u->HoldBack(absl::Milliseconds(max_lag), absl::Seconds(1));
    }
  };
  open_options.open_without_log_key = !flags.cluster.empty();
  log_options.min_free_bytes = flags.min_free_bytes;
  log_options.proof_cache_bytes = flags.proof_cache_mb << 20;
  open_options.verify_all_sst_at_open = flags.verify_sst_at_start == "all";
  // Named when a follower refuses appends.
  log_options.leader = flags.follow.empty() ? flags.mirror_tiles : flags.follow;
  if (flags.require_external_anchor && flags.anchor_dir.empty()) {
    ledger::LogEvent(ledger::LogLevel::kError,
                     "--require-external-anchor: no --anchor-dir given. Production mode keeps a "
                     "second checkpoint anchor outside the data directory, on another volume",
                     {{"data_dir", flags.data_dir}});
    return kExitUsage;
  }
  open_options.external_anchor_dir = flags.anchor_dir;
  open_options.anchor_before_ack = flags.anchor_before_ack;
  log_options.on_commit = [&metrics](size_t entries, absl::Duration latency) {
    metrics.RecordCommit(entries, latency);
  };
  // Held until Serve returns. A directory that does not exist is left to OpenLog to report.
  auto data_dir_lock = ledger::datadir::DataDirLock::Acquire(flags.data_dir);
  if (!data_dir_lock.ok() && !absl::IsNotFound(data_dir_lock.status())) {
    ledger::LogEvent(ledger::LogLevel::kError, "cannot open the data directory",
                     {{"data_dir", flags.data_dir},
                      {"error", std::string(data_dir_lock.status().message())}});
    return kExitDataDir;
  }
  auto log = ledger::datadir::OpenLog(flags.data_dir, open_options);
  if (!log.ok() && IsAnchorDirError(log.status())) {
    ledger::LogEvent(ledger::LogLevel::kError, "bad --anchor-dir",
                     {{"data_dir", flags.data_dir},
                      {"anchor_dir", flags.anchor_dir},
                      {"error", std::string(log.status().message())}});
    return kExitUsage;
  }
  if (!log.ok()) {
    const bool behind = ledger::datadir::IsAnchorRefusal(log.status());
    ledger::LogEvent(ledger::LogLevel::kError,
                     behind ? "refused to start: the log is behind its anchor or forked from it"
                            : "cannot open the data directory",
                     {{"data_dir", flags.data_dir},
                      {"reason", ledger::ErrorReason(log.status())},
                      {"error", std::string(log.status().message())}});
    return behind ? kExitBehindAnchor : kExitDataDir;
  }
  // Durable receipts (ledger/replication/receipts.h): stored ones are applied before anything
  // compares this log with a leader's or a published checkpoint.
  std::unique_ptr<ledger::replication::ReceiptStore> receipts;
  if ((*log)->is_follower() &&
      (!flags.cluster.empty() || (!flags.follow.empty() && flags.follow_receipts) ||
       std::filesystem::exists(ledger::datadir::ReceiptsDir(flags.data_dir)))) {
    if (const int rc = OpenReceipts(flags.data_dir, log->get(), &receipts); rc != 0) return rc;
  }
  if (!flags.cluster.empty()) {
    if (const int rc = JoinCluster(&flags, &log, &cluster_node, &cluster_role); rc != 0) {
      return rc;
    }
  }
  if (!flags.peers.empty() && !(*log)->is_follower()) {
    if (const int rc = CheckPeersAtStart(flags, **log); rc != 0) return rc;
  }
  // Start-up verified the SST files new or changed since they were last verified; the scrub
  // verifies all of them in the background (then every --scrub-interval-hours) and stops
  // appends if one is damaged (ledger/datadir/sst_verification.h).
  std::unique_ptr<ledger::datadir::SstScrubber> scrubber;
  if (const auto* rocksdb_store =
          dynamic_cast<const ledger::store::RocksDbLogStore*>(&(*log)->store())) {
    ledger::datadir::SstScrubber::Options scrub_options;
    scrub_options.interval = absl::Hours(flags.scrub_interval_hours);
    ledger::core::Log* raw_log = log->get();
    scrubber = std::make_unique<ledger::datadir::SstScrubber>(
        nullptr, flags.data_dir, rocksdb_store, scrub_options,
        [raw_log](const absl::Status& damage) { raw_log->StopAppends(damage); });
  }
  if (!flags.follow.empty() && !(*log)->is_follower()) {
    ledger::LogEvent(ledger::LogLevel::kError,
                     "--follow needs a follower data directory (ledgerd init-follower)",
                     {{"data_dir", flags.data_dir}});
    return kExitUsage;
  }
  int witness_rc = 0;
  std::unique_ptr<ledger::service::WitnessCollector> witnesses =
      StartWitnesses(flags, log->get(), &witness_rc);
  if (witness_rc != 0) return witness_rc;
  // Replication: followers fetch and verify from --follow; every server answers Replicate.
  ledger::service::FollowerTable follower_table;
  ledger::service::ReplicationContext replication;
  replication.leader = flags.follow;
  replication.followers = &follower_table;
  std::unique_ptr<ledger::service::GrpcEntrySource> leader_source;
  std::unique_ptr<ledger::service::WitnessedEntrySource> witnessed_source;
  // Declared before the follower, which borrows it (destroyed after it).
  std::unique_ptr<ledger::service::TilesEntrySource> tiles_source;
  std::unique_ptr<ledger::replication::Follower> follower;
  if (flags.follow.empty() && (flags.require_witnesses != 0 || !flags.witness_keys.empty() ||
                               !flags.leader_http.empty())) {
    std::cerr << "ledgerd: --require-witnesses, --witness-key and --leader-http need --follow\n";
    return kExitUsage;
  }
  if (!flags.cluster.empty() && !flags.mirror_tiles.empty()) {
    std::cerr << "ledgerd: --mirror-tiles and --cluster are exclusive (a cluster node follows "
                 "its elected leader over Replicate)\n";
    return kExitUsage;
  }
  if (!flags.follow.empty() && !flags.mirror_tiles.empty()) {
    std::cerr << "ledgerd: --mirror-tiles and --follow are exclusive (a follower reads one "
                 "leader: its tiles over HTTP or its Replicate RPC)\n";
    return kExitUsage;
  }
  std::shared_ptr<grpc::Channel> leader_channel;
  if (!flags.follow.empty()) {
    auto channel = ledger::service::LeaderChannel(flags.follow, flags.leader_tls_ca,
                                                  flags.leader_tls_cert, flags.leader_tls_key);
    if (!channel.ok()) {
      ledger::LogEvent(ledger::LogLevel::kError, "bad leader TLS configuration",
                       {{"error", std::string(channel.status().message())}});
      return kExitUsage;
    }
    leader_channel = *channel;
    leader_source = std::make_unique<ledger::service::GrpcEntrySource>(*channel);
    int gate_rc = 0;
    witnessed_source = WitnessedSource(flags, leader_source.get(), &gate_rc);
    if (gate_rc != 0) return gate_rc;
    ledger::replication::EntrySource* follow_source = leader_source.get();
    if (witnessed_source != nullptr) follow_source = witnessed_source.get();
    ledger::replication::FollowerOptions follower_options;
    follower_options.follower_id =
        flags.follower_id.empty() ? DefaultFollowerId(flags.data_dir) : flags.follower_id;
    follower_options.leader = flags.follow;
    follower_options.evidence_dir = ledger::datadir::ForkEvidenceDir(flags.data_dir);
    follower_options.receipts = flags.follow_receipts ? receipts.get() : nullptr;
    follower_options.on_status = [&metrics](const ledger::replication::FollowerStatus& s) {
      metrics.SetFollowerLag(s.lag_entries, s.lag_seconds);
      metrics.SetForkDetected(s.fork_kind != ledger::replication::ForkKind::kNone);
    };
    follower = std::make_unique<ledger::replication::Follower>(log->get(), follow_source,
                                                               follower_options);
    replication.follower = follower.get();
  } else if (!flags.mirror_tiles.empty()) {
    int mirror_rc = 0;
    follower = MirrorTilesFollower(flags, log->get(), &metrics, &tiles_source, &mirror_rc);
    if (mirror_rc != 0) return mirror_rc;
    replication.leader = flags.mirror_tiles;
    replication.follower = follower.get();
  } else if ((*log)->is_follower() && cluster_node == nullptr) {
    ledger::LogEvent(ledger::LogLevel::kWarning,
                     "a follower data directory served without --follow: read-only, not "
                     "replicating",
                     {{"data_dir", flags.data_dir}});
  }
  metrics.SetTreeSize((*log)->Head().tree_size);
  int metrics_port = 0;
  if (!flags.metrics_listen.empty()) {
    absl::StatusOr<int> port = metrics.Serve(flags.metrics_listen);
    if (!port.ok()) {
      ledger::LogEvent(ledger::LogLevel::kError, "cannot serve metrics",
                       {{"error", std::string(port.status().message())}});
      return kExitListen;
    }
    metrics_port = *port;
  }
  ledger::service::LedgerServiceOptions service_options;
  service_options.metrics = &metrics;
  service_options.max_subscribers = flags.max_subscribers;
  service_options.max_subscribers_per_client = flags.max_subscribers_per_client;
  service_options.max_append_streams = flags.max_append_streams;
  service_options.replication = &replication;
  // Cluster mode: the roles change in process (ClusterRoles, started with the server).
  std::unique_ptr<ClusterRoles> cluster_roles;
  if (cluster_node != nullptr) {
    ledger::cluster::ClusterNode* node = cluster_node.get();
    service_options.published_checkpoint = [node] { return node->PublishedCheckpoint(); };
    // Every append on the leader waits for its publication; a follower's log refuses appends
    // before (NOT_LEADER), and a deposed leader's wait ends at once (NOT_LEADER).
    service_options.await_published = [node](ledger::TreeSize size, std::string* note) {
      return node->AwaitPublished(size, note);
    };
    follower_table.SetOnRecord([node](const std::string& id, ledger::TreeSize size) {
      node->RecordFollower(id, size);  // counted only while leading
    });
    cluster_commits.store(node);
    cluster_roles = std::make_unique<ClusterRoles>(&flags, node, log->get(), receipts.get(),
                                                   &metrics, &replication);
    cluster_roles->LeadEarly(cluster_role);
  }
  ledger::service::LedgerServiceImpl service(log->get(), service_options);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, *credentials, &port);
  // gRPC sets SO_REUSEPORT by default: a second server on a port in use would start "serving"
  // and the kernel would split connections between the two logs. Refuse the port instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // Bounded resources: HTTP/2 streams per connection, threads, and keepalive pings (a client
  // pinging more often than every 10 s without data is disconnected after 2 strikes).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, flags.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  // Per-call bookkeeping nothing here reads: channelz call and socket counters, and HTTP/2
  // bandwidth-delay-product probe pings (flow-control windows stay at their defaults).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  grpc::ResourceQuota quota("ledgerd");
  quota.SetMaxThreads(flags.max_threads);
  builder.SetResourceQuota(quota);
  // Keep pollers alive instead of creating and destroying threads (docs/operations.md, `--max-pollers`): appends
  // block their thread until the group commit is durable, so every call in flight holds one.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              flags.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              flags.max_pollers);
  builder.RegisterService(&service);
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(ledger::service::MalformedRequestInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  // The views: opened without replay when intact, then caught up by a background thread that
  // never blocks appends.
  ledger::views::RocksDbViewStoreOptions view_store_options;
  view_store_options.create_if_missing = true;
  view_store_options.write_ahead_log = flags.views_wal;
  view_store_options.write_buffer_bytes = static_cast<size_t>(flags.views_write_buffer_mb) << 20;
  auto view_store = ledger::views::RocksDbViewStore::Open(ledger::datadir::ViewsDir(flags.data_dir),
                                                          view_store_options);
  if (!view_store.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cannot open the views",
                     {{"error", std::string(view_store.status().message())},
                      {"hint", "delete <data-dir>/views: the views are rebuilt from the log"}});
    return kExitDataDir;
  }
  ledger::views::ViewEngineOptions engine_options;
  engine_options.file_catch_up_entries = static_cast<uint64_t>(flags.views_file_entries);
  // Measured (bench/REPORT.md §8b): on a follower, lower priority for the views lets
  // replication keep up; on a leader the back-pressure of --max-view-lag-ms already paces
  // appends to the views, and niced views only make it wait longer (signed batches and streams
  // slower, the views' lag higher), so a leader keeps one priority unless told otherwise.
  engine_options.thread_nice =
      flags.views_nice >= 0
          ? flags.views_nice
          : ((*log)->is_follower() || !flags.cluster.empty() ? kFollowerViewsNice : 0);
  auto engine = ledger::views::ViewEngine::Open(*std::move(view_store),
                                                ledger::views::DefaultProjections(),
                                                engine_options);
  if (!engine.ok()) {
    ledger::LogEvent(ledger::LogLevel::kError, "cannot open the views",
                     {{"error", std::string(engine.status().message())}});
    return kExitDataDir;
  }
  // Claim matching's in-memory index: loaded from the claims view's claim states (one scan, on a thread of its
  // own, so start-up does not wait for it: MatchClaims is UNAVAILABLE until it ends), then kept
  // current by the engine after each batch. Declared before the updater, so it outlives its
  // catch-ups.
  auto match_index = ledger::views::AttachMatchIndex(engine->get(), /*in_background=*/true);
  if (!match_index.ok()) return ViewStateUnloadable("the match index", match_index.status());
  // The claim-state map (docs/format.md §13): loaded from the claim_state view, committed and
  // signed at most once per --map-commit-interval-ms. Declared before the updater, like the
  // match index.
  ledger::views::ClaimStateMapOptions map_options;
  map_options.commit_interval = absl::Milliseconds(flags.map_commit_interval_ms);
  const ledger::store::LogStore* map_log_store = &(*log)->store();
  map_options.checkpoint_at = [map_log_store](ledger::TreeSize size) {
    return map_log_store->GetCheckpoint(size);
  };
  if (!(*log)->is_follower() || cluster_node != nullptr) {
    // In cluster mode whichever role the node has when a map commit is due ("" on a
    // follower: an unsigned commit).
    const ledger::core::Log* signing_log = log->get();
    map_options.sign = [signing_log](const ledger::format::MapCheckpoint& m) {
      absl::StatusOr<std::string> note = signing_log->SignMapCheckpoint(m);
      return note.ok() ? *note : std::string();
    };
  }
  auto state_map = ledger::views::ClaimStateMap::Attach(engine->get(), std::move(map_options));
  if (!state_map.ok()) return ViewStateUnloadable("the claim-state map", state_map.status());
  ledger::views::ViewUpdaterOptions updater_options;
  updater_options.coalesce_delay = absl::Milliseconds(flags.views_coalesce_ms);
  ledger::core::Log* const served_log = log->get();
  updater_options.progress = [&metrics, served_log](const ledger::views::CatchUpProgress& p) {
    metrics.SetViewWatermark(p.watermark, served_log->Head().tree_size);
  };
  metrics.SetViewWatermark((*engine)->Watermark(), (*log)->Head().tree_size);
  ledger::views::ViewUpdater updater(engine->get(), &(*log)->store(), updater_options);
  updater.Start();
  view_updater.store(&updater);
  ledger::service::ClaimServiceImpl claim_service(engine->get(), &updater, &(*log)->store(),
                                                  match_index->get(), state_map->get());
  builder.RegisterService(&claim_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    ledger::LogEvent(ledger::LogLevel::kError, "cannot listen",
                     {{"listen", flags.listen},
                      {"hint", "the port is in use (another ledgerd?) or the address is not "
                               "this machine's: stop the other server or choose another "
                               "--listen"}});
    return kExitListen;
  }
  // grpc.health.v1: SERVING for the whole server ("") and for each service by name.
  for (const char* name : {ledger::v1::LedgerService::service_full_name(),
                           ledger::v1::ClaimService::service_full_name()}) {
    server->GetHealthCheckService()->SetServingStatus(name, true);
  }
  if (!flags.port_file.empty()) {
    if (absl::Status s = ledger::WriteFileAtomically(flags.port_file, absl::StrCat(port, "\n"));
        !s.ok()) {
      std::cerr << "ledgerd: --port-file: " << s.message() << "\n";
    }
  }
  // The HTTP listener (--http-listen): one civetweb server for every read-only HTTP API.
  std::unique_ptr<ledger::service::http::Server> http_server;
  const auto json_api = std::make_shared<const ledger::service::JsonApi>(&service, &claim_service);
  if (!flags.http_listen.empty()) {
    // tlog-tiles (service/tiles_http.h): /checkpoint and /tile/.
    ledger::core::Log* const tiles_log = log->get();
    std::vector<std::pair<std::string, ledger::service::http::Handler>> http_routes =
        ledger::service::TilesRoutes(
            &tiles_log->store(),
            [tiles_log, &cluster_node] {
              return cluster_node != nullptr ? cluster_node->PublishedCheckpoint()
                                             : tiles_log->LatestCheckpoint();
            },
            witnesses == nullptr
                ? std::function<std::string()>()
                : std::function<std::string()>([w = witnesses.get()] {
                    return w->WitnessedCheckpoint();
                  }));
    // The explorer: its JSON read API over the same service objects as gRPC, its static pages,
    // and "/" redirecting to them.
    http_routes.emplace_back(
        std::string(ledger::service::kJsonApiPrefix),
        [json_api](const ledger::service::http::Request& request) {
          const ledger::service::JsonReply reply = json_api->Handle(request.path, request.query);
          ledger::service::http::Response response;
          response.status = reply.status;
          response.content_type = "application/json; charset=utf-8";
          response.body = reply.body;
          response.headers = {{"Cache-Control", "no-store"},
                              {"X-Content-Type-Options", "nosniff"}};
          return response;
        });
    http_routes.emplace_back(std::string(ledger::service::explorer::kExplorerPrefix),
                             ledger::service::explorer::ServeExplorerFile);
    http_routes.emplace_back("/", ledger::service::explorer::ServeRoot);
    ledger::service::http::ServerOptions http_options;
    http_options.listen = flags.http_listen;
    http_options.max_concurrent_requests = flags.http_max_concurrent;
    http_options.threads = flags.http_threads;
    auto started = ledger::service::http::Server::Start(http_options, std::move(http_routes));
    if (!started.ok()) {
      ledger::LogEvent(ledger::LogLevel::kError, "cannot listen (http)",
                       {{"http_listen", flags.http_listen},
                        {"error", std::string(started.status().message())}});
      server->Shutdown();
      return kExitListen;
    }
    http_server = *std::move(started);
    if (!flags.http_port_file.empty()) {
      if (absl::Status s = ledger::WriteFileAtomically(
              flags.http_port_file, absl::StrCat(http_server->port(), "\n"));
          !s.ok()) {
        std::cerr << "ledgerd: --http-port-file: " << s.message() << "\n";
      }
    }
  }
  const auto head = (*log)->Head();
  ledger::LogEvent(ledger::LogLevel::kInfo, "serving",
                   {{"origin", (*log)->identity().origin},
                    {"tree_size", std::to_string(head.tree_size)},
                    {"data_dir", flags.data_dir},
                    {"port", std::to_string(port)},
                    {"metrics_port", std::to_string(metrics_port)},
                    {"http_port", std::to_string(http_server ? http_server->port() : 0)},
                    {"tls", flags.tls_cert.empty() ? "off"
                            : flags.tls_client_ca.empty() ? "tls"
                                                          : "mtls"}});
  if (follower != nullptr) {
    ledger::LogEvent(ledger::LogLevel::kInfo, "following",
                     {{"leader", flags.follow.empty() ? flags.mirror_tiles : flags.follow},
                      {"tree_size", std::to_string(head.tree_size)},
                      {"leader_tls", flags.leader_tls_ca.empty() ? "off" : "tls"}});
    follower->Start();
  }
  if (cluster_roles != nullptr) cluster_roles->Start(cluster_role);
  // A follower audits its leader's claim-state map commitments against its own copy of the log.
  std::unique_ptr<ledger::service::FollowerMapAudit> map_audit;
  if (follower != nullptr && leader_channel != nullptr) {
    map_audit = std::make_unique<ledger::service::FollowerMapAudit>(
        leader_channel, log->get(), state_map->get(), absl::Seconds(2),
        (*engine)->thread_nice());
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    ledger::LogEvent(ledger::LogLevel::kInfo, "draining and shutting down",
                     {{"signal", std::to_string(sig)}});
    server->GetHealthCheckService()->SetServingStatus(false);
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  });
  server->Wait();
  waiter.join();
  map_audit.reset();
  if (cluster_roles != nullptr) cluster_roles->Stop();  // its follower appends to the log
  http_server.reset();  // Before the log: its handlers read the store.
  witnesses.reset();    // Before the log: it reads checkpoints and proofs.
  if (follower != nullptr) {
    if (leader_source != nullptr) leader_source->Cancel();  // ends a long poll at once
    if (tiles_source != nullptr) tiles_source->Cancel();
    if (witnessed_source != nullptr) witnessed_source->Cancel();
    follower->Stop();         // before the log: it appends to it
  }
  view_updater.store(nullptr);
  updater.Stop();   // Before the log: the updater reads its store.
  scrubber.reset();  // Before the log: it reads the store and may stop appends.
  cluster_commits.store(nullptr);
  if (cluster_node != nullptr) {
    const ledger::cluster::ClusterNode::PublisherStats st = cluster_node->publisher_stats();
    const double n = std::max<double>(1, static_cast<double>(st.publications));
    ledger::LogEvent(ledger::LogLevel::kInfo, "cluster: publisher stats",
                     {{"publications", std::to_string(st.publications)},
                      {"entries", std::to_string(st.entries)},
                      {"quorum_ms_mean", absl::StrCat(st.quorum_ms_total / n)},
                      {"quorum_ms_max", absl::StrCat(st.quorum_ms_max)},
                      {"txn_ms_mean", absl::StrCat(st.txn_ms_total / n)},
                      {"txn_ms_max", absl::StrCat(st.txn_ms_max)}});
  }
  cluster_node.reset();  // Revokes the lease: the next leader need not wait for it to expire.
  log->reset();     // Drains the sequencer.
  ledger::LogEvent(ledger::LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so absl::Mutex (which gRPC's locks use too) runs
  // its lock-order deadlock detector on every acquisition: ~3x the cost of an uncontended
  // lock/unlock, and a global graph for nested ones. It is a debugging aid (the tests keep it);
  // the server turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"ledgerd: the signed, event-sourced fact ledger server"};
  app.require_subcommand(1);
  std::string data_dir, origin;
  std::vector<std::string> admin_keys;

  CLI::App* init = app.add_subcommand("init", "Create a data directory and its log key");
  init->add_option("--data-dir", data_dir, "Data directory to create")->required();
  init->add_option("--origin", origin, "Log origin, e.g. example.org/factledger")->required();
  init->add_option("--admin-key", admin_keys, "Public key file of an admin (repeatable)")
      ->required();
  std::string init_anchor_dir;
  init->add_option("--anchor-dir", init_anchor_dir,
                   "Existing directory outside the data directory (another volume) that keeps a "
                   "second copy of the checkpoint anchor; pass the same to serve");
  init->footer(
      "Example:\n  ledgerctl keygen --out admin.key\n"
      "  ledgerd init --data-dir ./data --origin example.org/factledger "
      "--admin-key admin.key.pub");

  std::string follower_log_key;
  CLI::App* init_follower = app.add_subcommand(
      "init-follower", "Create a follower data directory (no log key) for a leader's log");
  init_follower->add_option("--data-dir", data_dir, "Data directory to create")->required();
  init_follower->add_option("--origin", origin, "The leader's log origin")->required();
  init_follower
      ->add_option("--log-key", follower_log_key,
                   "The leader's checkpoint verifier key (origin+hash+key), or its log public "
                   "key (file or 64 hex digits), from your own configuration")
      ->required();
  init_follower
      ->add_option("--admin-key", admin_keys, "Public key file of a genesis admin (repeatable)")
      ->required();
  init_follower->footer(
      "Example:\n  ledgerd init-follower --data-dir ./mirror --origin example.org/factledger \\\n"
      "    --log-key 'example.org/factledger+11a6bf6f+AT1AF8...' --admin-key admin.key.pub\n"
      "  ledgerd serve --data-dir ./mirror --listen 127.0.0.1:50052 --follow leader:50051");

  ServeFlags sf;
  CLI::App* serve = app.add_subcommand("serve", "Serve the ledger over gRPC");
  serve->add_option("--data-dir", sf.data_dir, "Initialised data directory")->required();
  serve->add_option("--anchor-dir", sf.anchor_dir,
                    "Existing directory outside the data directory (another volume) that keeps a "
                    "second copy of the checkpoint anchor: a restore of the data directory "
                    "cannot roll it back (exit 4 when the log is behind it)");
  serve->add_flag("--require-external-anchor", sf.require_external_anchor,
                  "Production mode: refuse to start (exit 1) without --anchor-dir");
  serve->add_flag("--anchor-before-ack", sf.anchor_before_ack,
                  "Write the anchors of each group commit before answering its appends (no "
                  "acknowledged entry is newer than the anchors; costs their fsyncs per commit)");
  serve->add_option("--listen", sf.listen, "Address to listen on (host:port; port 0 = any)")
      ->capture_default_str();
  serve->add_option("--port-file", sf.port_file, "Write the bound port to this file");
  serve->add_option("--tls-cert", sf.tls_cert, "Server certificate chain (PEM): enables TLS");
  serve->add_option("--tls-key", sf.tls_key, "Server private key (PEM)");
  serve->add_option("--tls-client-ca", sf.tls_client_ca,
                    "CA certificates (PEM) for client certificates: enables mutual TLS");
  serve->add_option("--min-free-bytes", sf.min_free_bytes,
                    "Refuse appends (RESOURCE_EXHAUSTED) while the data disk has less free space")
      ->capture_default_str();
  serve->add_option("--proof-cache-mb", sf.proof_cache_mb,
                    "Memory for the Merkle nodes proofs read (0: read them all from disk)")
      ->capture_default_str();
  serve->add_option("--verify-sst-at-start", sf.verify_sst_at_start,
                    "Checksums verified before serving: 'changed' (SST files new or written "
                    "since last verified) or 'all'")
      ->check(CLI::IsMember({"changed", "all"}))
      ->capture_default_str();
  serve->add_option("--scrub-interval-hours", sf.scrub_interval_hours,
                    "The background scrub verifies every SST file after start-up and then this "
                    "often (0: once)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--max-subscribers", sf.max_subscribers, "Most Subscribe streams at once")
      ->capture_default_str();
  serve->add_option("--max-subscribers-per-client", sf.max_subscribers_per_client,
                    "Most Subscribe streams one client holds at once (its mutual-TLS identity, "
                    "else its connection); 0: no limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--max-append-streams", sf.max_append_streams,
                    "Most AppendStream streams at once")
      ->capture_default_str();
  serve->add_option("--max-concurrent-streams", sf.max_concurrent_streams,
                    "HTTP/2 streams per connection")
      ->capture_default_str();
  serve->add_option("--max-threads", sf.max_threads, "Most server threads")->capture_default_str();
  serve->add_option("--min-pollers", sf.min_pollers,
                    "gRPC threads kept waiting for requests (at least)")
      ->capture_default_str();
  serve->add_option("--max-pollers", sf.max_pollers,
                    "gRPC threads kept waiting for requests (at most; threads beyond exit)")
      ->capture_default_str();
  serve->add_option("--views-coalesce-ms", sf.views_coalesce_ms,
                    "The views catch up at most this often while the log grows slowly (a read "
                    "that asks for a watermark never waits for it); 0: after every commit")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  serve->add_option("--max-view-lag-ms", sf.max_view_lag_ms,
                    "Appends wait (up to 1 s per group commit) while the oldest entry the views "
                    "have not applied was committed more than this long ago, so that queries "
                    "answer within about that much of the log however fast it grows; 0: never "
                    "wait (the views may fall behind under sustained maximum ingest)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  serve->add_option("--views-nice", sf.views_nice,
                    "The views' threads run at ledgerd's nice value plus this: on busy cores "
                    "replication, appends and verification get the CPU first and the views catch "
                    "up with what is left; 0: the same priority. Default (-1): 10 on a follower "
                    "and in cluster mode, 0 on a leader (whose views already pace its appends: "
                    "--max-view-lag-ms)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 19));
  serve->add_option("--map-commit-interval-ms", sf.map_commit_interval_ms,
                    "The claim-state map is committed and signed at most this often (the map "
                    "proofs' root lags the views by at most this much)")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600000));
  serve->add_option("--views-file-entries", sf.views_file_entries,
                    "A views catch-up at least this many entries behind writes its records as "
                    "sorted files ingested whole instead of through the memtable (cheaper per "
                    "record for large catch-ups); 0: only rebuilds and long catch-ups do")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  serve->add_option("--views-write-buffer-mb", sf.views_write_buffer_mb,
                    "The views database's memtable size in MiB (0: RocksDB's default, 64)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  serve->add_flag("--views-wal", sf.views_wal,
                  "Log view writes in the views database's write-ahead log (off: a crash loses "
                  "the newest view batches, which are caught up again from the log)");
  serve->add_option("--metrics-listen", sf.metrics_listen,
                    "Serve Prometheus metrics at http://HOST:PORT/metrics (off when empty)");
  serve->add_option("--http-listen", sf.http_listen,
                    "Serve the read-only HTTP APIs (tlog-tiles) on HOST:PORT (port 0 = any); "
                    "off by default");
  serve->add_option("--http-port-file", sf.http_port_file,
                    "Write the bound HTTP port to this file");
  serve->add_option("--http-max-concurrent", sf.http_max_concurrent,
                    "Most HTTP requests in handlers at once (more: 503 with Retry-After)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  serve->add_option("--http-threads", sf.http_threads, "HTTP server threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  serve->add_option("--follow", sf.follow,
                    "Replicate from this leader (host:port); needs a follower data directory");
  serve->add_option("--mirror-tiles", sf.mirror_tiles,
                    "Replicate from a tlog-tiles log at this http:// URL (another ledgerd's "
                    "--http-listen, or a `ledgerctl export --format tiles` tree on any web "
                    "server) instead of --follow; needs a follower data directory");
  serve->add_flag("--follow-receipts", sf.follow_receipts,
                  "With --follow: store the leader's entries durably as receipts (one synced "
                  "write per chunk, after checking the chunk's root) and verify and apply them "
                  "on a thread of their own; the position told to the leader is the size held "
                  "durably. Always on in cluster mode");
  serve->add_option("--follower-id", sf.follower_id,
                    "Name shown in the leader's ListFollowers (default: hostname:data-dir)");
  serve->add_option("--peer", sf.peers,
                    "A follower of this log (host:port), repeatable: before signing anything the "
                    "leader asks each for the newest checkpoint it holds and refuses to start "
                    "(exit 4) if one is larger than the log or has another root");
  serve->add_option("--peer-tls-ca", sf.peer_tls_ca,
                    "CA certificates (PEM) of the --peer servers: connect to them over TLS");
  serve->add_option("--leader-tls-ca", sf.leader_tls_ca,
                    "CA certificates (PEM) of the leader: connect to it over TLS");
  serve->add_option("--leader-tls-cert", sf.leader_tls_cert,
                    "Client certificate chain (PEM) for a leader that requires mutual TLS");
  serve->add_option("--leader-tls-key", sf.leader_tls_key, "Client private key (PEM)");
  // tlog-witness cosigning (docs/c2sp.md "Witness cosigning").
  serve->add_option("--witness", sf.witnesses,
                    "A witness to send each new checkpoint to (tlog-witness add-checkpoint), as "
                    "<cosigner verifier key>=http://HOST:PORT[/PREFIX] (repeatable; leader only)");
  serve->add_option("--witness-policy", sf.witness_policy,
                    "A checkpoint is witnessed (served at /checkpoint?witnessed, kept in "
                    "witnessed.checkpoint) once this many witnesses cosigned it (default: a "
                    "majority of the --witness entries)")
      ->check(CLI::Range(1, 64));
  serve->add_option("--witness-timeout-ms", sf.witness_timeout_ms,
                    "Time allowed for one add-checkpoint call")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  serve->add_option("--witness-retry-ms", sf.witness_retry_ms,
                    "Wait before asking a witness again after it failed or answered wrongly")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600000));
  serve->add_option("--require-witnesses", sf.require_witnesses,
                    "Follower: replicate only checkpoints cosigned by this many of the "
                    "--witness-key witnesses (read from the leader's --leader-http "
                    "/checkpoint?witnessed); hold at the last one otherwise")
      ->check(CLI::Range(1, 64));
  serve->add_option("--witness-key", sf.witness_keys,
                    "Follower with --require-witnesses: a witness it trusts, as its cosigner "
                    "verifier key or a file holding it (repeatable)");
  serve->add_option("--leader-http", sf.leader_http,
                    "Follower with --require-witnesses: the leader's HTTP listener, "
                    "http://HOST:PORT");
  // Cluster mode (docs/operations.md, "Cluster mode").
  serve->add_option("--cluster", sf.cluster,
                    "Cluster mode: etcd endpoints (http://host:port,...). Nodes elect a leader "
                    "in etcd; appends are acknowledged once a quorum holds them");
  serve->add_option("--node-id", sf.cluster_options.node_id,
                    "This node's name in the cluster ([A-Za-z0-9._-], 1..64)");
  serve->add_option("--advertise", sf.cluster_options.advertise,
                    "host:port other nodes and clients reach this node's gRPC listener at");
  serve->add_option("--cluster-nodes", sf.cluster_options.nodes,
                    "Number of nodes configured in the cluster")
      ->capture_default_str();
  serve->add_option("--quorum", sf.cluster_options.quorum,
                    "Nodes that must hold an entry before it is acknowledged (0: a majority of "
                    "--cluster-nodes)")
      ->capture_default_str();
  serve->add_option("--lease-ttl", sf.cluster_options.lease_ttl_seconds,
                    "etcd lease TTL in seconds: a dead leader is replaced after about this long")
      ->capture_default_str();
  serve->add_option("--ack-timeout-ms", sf.ack_timeout_ms,
                    "An append not held by a quorum within this long is answered UNAVAILABLE "
                    "(QUORUM_TIMEOUT); retrying its event id is safe")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  serve->add_option("--cluster-prefix", sf.cluster_options.prefix,
                    "etcd key prefix of this cluster (default /factledger/<origin>/)");
  serve->footer("Example:\n  ledgerd serve --data-dir ./data --listen 127.0.0.1:50051");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (init->parsed()) return Init(data_dir, origin, admin_keys, init_anchor_dir);
  if (init_follower->parsed()) {
    return InitFollower(data_dir, origin, follower_log_key, admin_keys);
  }
  return Serve(sf);
}
