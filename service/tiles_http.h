// The tlog-tiles read API of ledgerd (c2sp.org/tlog-tiles; docs/c2sp.md, docs/api.md "HTTP"):
// routes for the shared HTTP listener (service/http).
//
//   GET /checkpoint                   the latest signed checkpoint (text/plain; charset=utf-8,
//                                     Cache-Control: no-cache)
//   GET /checkpoint?witnessed         the latest witnessed checkpoint: a checkpoint with the
//                                     witnesses' cosignature lines (service/witness_collector.h);
//                                     404 while there is none or no witness is configured
//   GET /tile/<L>/<N>[.p/<W>]         Merkle tiles        (application/octet-stream)
//   GET /tile/entries/<N>[.p/<W>]     entry bundles       (application/octet-stream)
//
// Status codes: 200; 404 for /checkpoint while there is none (a follower that has replicated
// nothing yet); 400 for a path the spec's grammar does not produce (the body names the
// element); 404 for a well-formed tile or bundle that is not (yet) part of the tree; 500 for a
// bundle holding an entry over 65535 bytes (ledger/tiles/tiles.h) or stored data that fails a
// check (logged). Full tiles and bundles never change: "Cache-Control: public,
// max-age=31536000, immutable". Partial ones are superseded by the full resource as the log
// grows: "public, max-age=60". Entry bundles are gzipped when the request's Accept-Encoding
// offers gzip ("Vary: Accept-Encoding"). Every response allows any origin (CORS), so
// browser-based verifiers can read the log.
#ifndef SERVICE_TILES_HTTP_H_
#define SERVICE_TILES_HTTP_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/store/log_store.h"
#include "service/http/http_server.h"

namespace ledger::service {

// Cache-Control values, part of the served API (docs/api.md).
inline constexpr char kCacheImmutable[] = "public, max-age=31536000, immutable";
inline constexpr char kCachePartial[] = "public, max-age=60";
inline constexpr char kCacheCheckpoint[] = "no-cache";

// Routes "/checkpoint" and "/tile/" over `store` (borrowed; must outlive the server), with
// `latest_checkpoint` returning the newest signed checkpoint note. Every tile served lies within
// store->Head() at the time of the request, which is never smaller than that checkpoint's size.
// `witnessed_checkpoint` (may be empty) returns the latest witnessed checkpoint, "" for none.
std::vector<std::pair<std::string, http::Handler>> TilesRoutes(
    const store::LogStore* store, std::function<std::string()> latest_checkpoint,
    std::function<std::string()> witnessed_checkpoint = nullptr);

}  // namespace ledger::service

#endif  // SERVICE_TILES_HTTP_H_
