// TilesEntrySource: a follower's EntrySource over a log's C2SP tlog-tiles HTTP API instead of
// the Replicate RPC (ledgerd serve --mirror-tiles URL; docs/c2sp.md "Tiles-reading follower").
// The base URL is another ledgerd's --http-listen or a static `ledgerctl export --format tiles`
// tree behind any web server (a CDN): only GETs of /checkpoint, /tile/<L>/<N>[.p/<W>] and
// /tile/entries/<N>[.p/<W>] are made.
//
// Nothing read here is trusted: the Follower verifies the checkpoint with its own log key,
// every entry with the replayer and every consistency proof. This class only maps resources:
//   LatestCheckpoint  GET /checkpoint; when its size is not past position.tree_size, waits
//                     min(wait_for_growth, poll_interval) and GETs it once more (a static
//                     server has no long poll). Keeps the note and the size its second line
//                     claims.
//   CheckpointAt(s)   that note when s is its size, else NOT_FOUND: tiles publish only the
//                     latest checkpoint, so a catch-up is one chunk ending at it.
//   Entries           the entry bundles covering [from, from + max) within the kept size,
//                     partial ones as wide as that size says; batch.checkpoints holds the kept
//                     note when the batch ends exactly at its size.
//   ConsistencyProof  merkle::ConsistencyProof over a NodeReader reading Merkle tiles of the
//                     tree of `to_size` leaves: node (level h, index i) is tile level L = h/8,
//                     the 2^(h%8) level-8L hashes from index i << (h%8), folded with
//                     HashChildren. Full tiles are cached (immutable); partial tiles and
//                     bundles never are.
// Errors: the transport's (UNAVAILABLE, DEADLINE_EXCEEDED); 404 -> NOT_FOUND; any other status
// -> UNAVAILABLE naming it; a body over its limit or malformed -> DATA_LOSS naming the path.
//
// Thread-compatible like every EntrySource (the follower's two threads call it in turn),
// except Cancel(), which any thread may call.
#ifndef SERVICE_TILES_ENTRY_SOURCE_H_
#define SERVICE_TILES_ENTRY_SOURCE_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/merkle/node_id.h"
#include "ledger/replication/entry_source.h"
#include "ledger/tiles/tile_path.h"
#include "service/http/http_client.h"

namespace ledger::service {

// Largest /checkpoint body accepted: a signed note with a few dozen signature lines
// (cosignatures included) is well under it.
inline constexpr size_t kMaxMirrorCheckpointBytes = 16 * 1024;
// A Merkle tile: 256 hashes of 32 bytes.
inline constexpr size_t kMaxMerkleTileBytes = tiles::kTileWidth * 32;
// Full Merkle tiles kept (8 KiB each: 8 MiB). Cleared, not evicted one by one, when full.
inline constexpr size_t kMaxCachedTiles = 1024;

struct TilesEntrySourceOptions {
  // The longest LatestCheckpoint waits between its two fetches when the log did not grow.
  absl::Duration poll_interval = absl::Seconds(1);
};

class TilesEntrySource : public replication::EntrySource {
 public:
  // GETs `path` (relative to the base URL, starting with '/'), a body of at most `max_bytes`:
  // OK with the body for 200; NOT_FOUND for 404; UNAVAILABLE / DEADLINE_EXCEEDED for the
  // transport or another status; DATA_LOSS naming the path for a body over max_bytes.
  using Fetch =
      std::function<absl::StatusOr<std::string>(const std::string& path, size_t max_bytes)>;

  explicit TilesEntrySource(Fetch fetch, TilesEntrySourceOptions options = {});

  absl::StatusOr<std::string> LatestCheckpoint(const replication::FollowerPosition& position,
                                               absl::Duration wait_for_growth) override;
  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override;
  absl::StatusOr<replication::EntryBatch> Entries(const replication::FollowerPosition& position,
                                                  SequenceNumber from,
                                                  size_t max_entries) override;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                     TreeSize to_size) override;

  // Ends a poll wait at once and fails every later call with CANCELLED: for shutdown.
  void Cancel();

 private:
  absl::StatusOr<std::string> Get(const std::string& path, size_t max_bytes);
  absl::StatusOr<std::string> FetchCheckpoint();
  // The hash of `node` of the tree of `to_size` leaves, from Merkle tiles.
  absl::StatusOr<Hash> ReadNode(merkle::NodeId node, TreeSize to_size);
  // The hashes of Merkle tile (level, index) of width `width`, from the cache or fetched.
  absl::StatusOr<std::vector<Hash>> ReadTileHashes(uint32_t level, uint64_t index,
                                                   uint32_t width);

  const Fetch fetch_;
  const TilesEntrySourceOptions options_;

  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::string latest_note_ ABSL_GUARDED_BY(mu_);
  TreeSize latest_size_ ABSL_GUARDED_BY(mu_) = 0;
  // Full Merkle tiles by (level, index).
  std::map<std::pair<uint32_t, uint64_t>, std::vector<Hash>> full_tiles_ ABSL_GUARDED_BY(mu_);
};

// The size line of a checkpoint note (its second line), unverified: DATA_LOSS naming `name`
// when there is none or it is not a canonical decimal uint64.
absl::StatusOr<TreeSize> CheckpointNoteSize(absl::string_view note, absl::string_view name);

// A Fetch over HTTP GETs below `base` (http_client.h), each bounded by `timeout`.
TilesEntrySource::Fetch HttpTilesFetch(http::HttpUrl base, absl::Duration timeout);

}  // namespace ledger::service

#endif  // SERVICE_TILES_ENTRY_SOURCE_H_
