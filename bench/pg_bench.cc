// pg_bench: the alternative users would build, on PostgreSQL 15, with the ledger's guarantees as
// far as a relational database gives them, at the ledger benchmark's concurrency and batch size.
//
//   pg_bench --socket-dir=DIR --port=P [--user=bench] [--dbname=postgres] [--postmaster-pid=PID]
//            [--seconds=5] [--ceiling-seconds=1.5] [--rows=1,8,32] [--batch=1,8,32] [--batch-size=100]
//            [--liar-dir=DIR] [--out=FILE.json]
//
// The cluster is started by bench/run.sh (initdb in a temporary directory, Unix socket only,
// fsync=on, synchronous_commit=on). Tables, the same claims as the ledger benchmark:
//   claims       (id bigserial, event_id text unique, payload bytea, signature bytea,
//                 prev_hash bytea, hash bytea)       -- hash = SHA-256(prev_hash || payload)
//   plain_claims (id bigserial, event_id text unique, payload bytea, signature bytea)
//
// "chain" modes: the client verifies every signature with crypto::Ed25519Verify (the ledger's
// own verifier, over the same v1 signing input) and then calls append_claims(ids, payloads,
// signatures), a plpgsql function that takes LOCK TABLE claims IN EXCLUSIVE MODE (held until
// commit, so the chain is linear), reads the last hash and inserts the rows with pgcrypto's
// digest(prev || payload, 'sha256'). One transaction per call: 1 row ("row" modes, as unary
// appends) or --batch-size rows ("batch" modes, as AppendBatch).
// "plain" modes: the reference line, INSERT ... SELECT FROM unnest(...) into plain_claims with
// no verification and no chain.
// Every connection is its own thread with its own libpq connection; parameters are sent as
// binary arrays (one round trip per transaction).
#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <postgresql/libpq-fe.h>

#include "absl/strings/str_cat.h"
#include "bench/common.h"
#include "ledger/format/entry.h"

namespace ledger::bench {
namespace {

constexpr unsigned kTextOid = 25, kByteaOid = 17, kTextArrayOid = 1009, kByteaArrayOid = 1001;

struct Conn {
  PGconn* c = nullptr;
  ~Conn() {
    if (c != nullptr) PQfinish(c);
  }
};

std::string g_conninfo;

std::unique_ptr<Conn> Connect() {
  auto conn = std::make_unique<Conn>();
  conn->c = PQconnectdb(g_conninfo.c_str());
  if (PQstatus(conn->c) != CONNECTION_OK) Die("cannot connect: " + std::string(PQerrorMessage(conn->c)));
  return conn;
}

void Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    Die("SQL failed: " + msg + "\n" + sql);
  }
  PQclear(r);
}

std::string QueryOne(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  return v;
}

const char kSchema[] = R"sql(
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
DROP TABLE IF EXISTS claims, plain_claims;
CREATE TABLE claims (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  payload bytea NOT NULL,
  signature bytea NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
CREATE TABLE plain_claims (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  payload bytea NOT NULL,
  signature bytea NOT NULL
);
-- Appends rows to the hash chain. The table lock is held until the transaction commits, so
-- exactly one chain writer runs at a time and every row links to the one committed before it.
CREATE OR REPLACE FUNCTION append_claims(ids text[], payloads bytea[], sigs bytea[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  prev bytea;
  h bytea;
  last_id bigint;
BEGIN
  LOCK TABLE claims IN EXCLUSIVE MODE;
  SELECT c.hash INTO prev FROM claims c ORDER BY c.id DESC LIMIT 1;
  IF prev IS NULL THEN
    prev := decode(repeat('00', 32), 'hex');
  END IF;
  FOR i IN 1 .. array_length(ids, 1) LOOP
    h := digest(prev || payloads[i], 'sha256');
    INSERT INTO claims (event_id, payload, signature, prev_hash, hash)
      VALUES (ids[i], payloads[i], sigs[i], prev, h)
      RETURNING id INTO last_id;
    prev := h;
  END LOOP;
  RETURN last_id;
END
$$;
)sql";

// A row to insert: the event id, and the signed event it came from.
struct Row {
  std::string event_id;
  const ledger::v1::SignedEvent* signed_event;
};

// PostgreSQL's binary array format: ndim, has-null, element type, (size, lower bound), then
// (length, bytes) per element. Big-endian.
void PutInt(std::string* s, int32_t v) {
  uint32_t be = htonl(static_cast<uint32_t>(v));
  s->append(reinterpret_cast<const char*>(&be), 4);
}

std::string BinaryArray(unsigned elem_oid, const std::vector<absl::string_view>& items) {
  std::string s;
  PutInt(&s, 1);
  PutInt(&s, 0);
  PutInt(&s, static_cast<int32_t>(elem_oid));
  PutInt(&s, static_cast<int32_t>(items.size()));
  PutInt(&s, 1);
  for (absl::string_view v : items) {
    PutInt(&s, static_cast<int32_t>(v.size()));
    s.append(v.data(), v.size());
  }
  return s;
}

struct ModeResult {
  uint64_t rows = 0;
  double seconds = 0;
  std::vector<double> latencies_us;
  uint64_t errors = 0;
  uint64_t bad_signatures = 0;
  std::string first_error;
  bool pool_exhausted = false;
};

ModeResult RunMode(bool chain, int connections, size_t rows_per_tx, double seconds,
                   const std::vector<Row>& pool, const crypto::PublicKey& key) {
  std::vector<std::unique_ptr<Conn>> conns;
  for (int c = 0; c < connections; ++c) conns.push_back(Connect());
  const std::string sql =
      chain ? "SELECT append_claims($1::text[], $2::bytea[], $3::bytea[])"
            : "INSERT INTO plain_claims (event_id, payload, signature) "
              "SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])";
  const Oid types[3] = {kTextArrayOid, kByteaArrayOid, kByteaArrayOid};
  const int formats[3] = {1, 1, 1};
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0}, errors{0}, bad_sigs{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::vector<double>> lat(connections);
  const auto start = SteadyClock::now();
  auto work = [&](int c) {
    PGconn* conn = conns[c]->c;
    while (!stop.load(std::memory_order_relaxed)) {
      const size_t first = next.fetch_add(rows_per_tx);
      if (first + rows_per_tx > pool.size()) break;
      const auto t0 = SteadyClock::now();
      std::vector<absl::string_view> ids, payloads, sigs;
      bool verified = true;
      for (size_t i = first; i < first + rows_per_tx; ++i) {
        const Row& row = pool[i];
        const ledger::v1::SignedEvent& e = *row.signed_event;
        if (chain && !crypto::Ed25519Verify(
                         key, format::EventSigningInput(kOrigin, row.event_id, e.event()),
                         e.signature())) {
          verified = false;
        }
        ids.push_back(row.event_id);
        payloads.push_back(e.event());
        sigs.push_back(e.signature());
      }
      if (!verified) {
        ++bad_sigs;
        continue;
      }
      const std::string a1 = BinaryArray(kTextOid, ids);
      const std::string a2 = BinaryArray(kByteaOid, payloads);
      const std::string a3 = BinaryArray(kByteaOid, sigs);
      const char* values[3] = {a1.data(), a2.data(), a3.data()};
      const int lengths[3] = {static_cast<int>(a1.size()), static_cast<int>(a2.size()),
                              static_cast<int>(a3.size())};
      PGresult* r = PQexecParams(conn, sql.c_str(), 3, types, values, lengths, formats, 1);
      const ExecStatusType st = PQresultStatus(r);
      lat[c].push_back(MicrosBetween(t0, SteadyClock::now()));
      if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        ok += rows_per_tx;
      } else if (errors++ == 0) {
        std::lock_guard<std::mutex> lock(mu);
        first_error = PQresultErrorMessage(r);
      }
      PQclear(r);
    }
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) threads.emplace_back(work, c);
  while (SecondsSince(start) < seconds && next.load() + rows_per_tx <= pool.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : threads) t.join();
  ModeResult r;
  r.seconds = SecondsSince(start);
  r.rows = ok.load();
  r.errors = errors.load();
  r.bad_signatures = bad_sigs.load();
  r.first_error = first_error;
  r.pool_exhausted = next.load() + rows_per_tx > pool.size();
  for (auto& l : lat) r.latencies_us.insert(r.latencies_us.end(), l.begin(), l.end());
  return r;
}

int Main(const Flags& flags) {
  const std::string socket_dir = flags.Str("socket-dir", "");
  if (socket_dir.empty()) Die("--socket-dir is required");
  g_conninfo = absl::StrCat("host=", socket_dir, " port=", flags.Str("port", "5432"),
                            " user=", flags.Str("user", "bench"),
                            " dbname=", flags.Str("dbname", "postgres"));
  const double seconds = flags.Num("seconds", 5);
  const double ceiling_seconds = flags.Num("ceiling-seconds", 1.5);
  const size_t batch_size = static_cast<size_t>(flags.Num("batch-size", 100));
  const pid_t postmaster = static_cast<pid_t>(flags.Num("postmaster-pid", 0));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const double row_cap = flags.Num("max-row-rate", 15000);
  const double chain_bulk_cap = flags.Num("max-chain-rate", 32000);
  const double plain_bulk_cap = flags.Num("max-plain-rate", 250000);

  auto admin = Connect();
  Exec(admin->c, kSchema);
  nlohmann::json settings;
  for (const char* name : {"server_version", "fsync", "synchronous_commit", "wal_sync_method",
                           "full_page_writes", "shared_buffers", "max_wal_size", "commit_delay"}) {
    settings[name] = QueryOne(admin->c, absl::StrCat("SHOW ", name));
  }

  ClaimTemplates claims = LoadClaims(flags.Str("liar-dir", ""));
  crypto::Ed25519PrivateKey submitter = BenchKey(0xc3);
  // Signed events for the plain modes: their ids are changed (plain rows are not verified).
  const std::vector<ledger::v1::SignedEvent> plain_events =
      Presign(claims, kOrigin, "pg-plain-template-", 0, std::min<size_t>(20000, claims.event_bytes.size()),
              submitter, cores);

  nlohmann::json modes = nlohmann::json::array();
  auto run = [&](bool chain, const std::string& kind, int connections, size_t rows_per_tx) {
    const std::string name = absl::StrCat(chain ? "chain-" : "plain-", kind, "@", connections);
    double verify_cpu_us = 0;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
    double cap = rows_per_tx == 1 ? row_cap : chain ? chain_bulk_cap : plain_bulk_cap;
    // Verified rows cannot go faster than the ceiling: sign no more than 2x of it.
    if (chain) cap = std::min(cap, 2.0 * ceiling);
    const size_t n = static_cast<size_t>(cap * seconds) + rows_per_tx * connections;
    std::vector<ledger::v1::SignedEvent> signed_events;
    std::vector<Row> pool(n);
    const std::string prefix = absl::StrCat("pg-", chain ? "c" : "p", kind, connections, "-");
    if (chain) {
      signed_events = Presign(claims, kOrigin, prefix, 0, n, submitter, cores);
      for (size_t i = 0; i < n; ++i) pool[i] = {signed_events[i].event_id(), &signed_events[i]};
    } else {
      for (size_t i = 0; i < n; ++i) {
        pool[i] = {absl::StrCat(prefix, i), &plain_events[i % plain_events.size()]};
      }
    }
    Exec(admin->c, "CHECKPOINT");
    const CpuSnapshot a = TakeCpuSnapshot(postmaster, /*server_is_tree=*/true);
    ModeResult r = RunMode(chain, connections, rows_per_tx, seconds, pool, submitter.public_key());
    const CpuSnapshot b = TakeCpuSnapshot(postmaster, true);
    const double rate = r.rows / r.seconds;
    nlohmann::json m = {{"name", name},
                        {"chain", chain},
                        {"kind", kind},
                        {"concurrency", connections},
                        {"rows_per_tx", rows_per_tx},
                        {"rows", r.rows},
                        {"seconds", r.seconds},
                        {"rows_per_s", rate},
                        {"ceiling_2t_per_s", ceiling},
                        {"ratio_to_ceiling", rate / ceiling},
                        {"verify_cpu_us", verify_cpu_us},
                        {"latency", LatencyJson(Summarize(r.latencies_us))},
                        {"latency_unit", "per transaction, including client-side verification"},
                        {"errors", r.errors},
                        {"bad_signatures", r.bad_signatures},
                        {"first_error", r.first_error},
                        {"pool_exhausted", r.pool_exhausted},
                        {"cpu", CpuJson(a, b, r.rows)}};
    std::fprintf(stderr, "pg: %-16s %7.0f rows/s (%.2f x ceiling); p50 %.2f ms p99 %.2f ms; "
                 "server %.0f us/row, client share %.0f%%, errors %llu\n",
                 name.c_str(), rate, rate / ceiling, m["latency"]["p50_us"].get<double>() / 1e3,
                 m["latency"]["p99_us"].get<double>() / 1e3,
                 m["cpu"].value("server_cpu_us_per_event", 0.0),
                 100 * m["cpu"]["client_share"].get<double>(),
                 static_cast<unsigned long long>(r.errors));
    if (r.errors > 0) std::fprintf(stderr, "pg: first error: %s\n", r.first_error.c_str());
    modes.push_back(m);
  };
  for (bool chain : {true, false}) {
    for (int c : flags.Ints("rows", {1, 8, 32})) run(chain, "row", c, 1);
    for (int c : flags.Ints("batch", {1, 8, 32})) run(chain, "batch", c, batch_size);
  }

  // The chain must be linear and complete: recompute it in SQL and count breaks.
  const std::string breaks = QueryOne(
      admin->c,
      "SELECT count(*) FROM (SELECT prev_hash, hash, payload, lag(hash) OVER (ORDER BY id) AS "
      "before FROM claims) t WHERE hash <> digest(prev_hash || payload, 'sha256') OR "
      "(before IS NOT NULL AND prev_hash <> before)");
  const std::string chain_rows = QueryOne(admin->c, "SELECT count(*) FROM claims");
  const std::string db_size = QueryOne(admin->c, "SELECT pg_database_size(current_database())");
  const std::string chain_bytes = QueryOne(admin->c, "SELECT pg_total_relation_size('claims')");
  nlohmann::json out = {{"claims", claims.source},
                        {"mean_event_bytes", claims.mean_event_bytes},
                        {"settings", settings},
                        {"seconds_per_mode", seconds},
                        {"batch_size", batch_size},
                        {"modes", modes},
                        {"chain_check", {{"rows", std::stoll(chain_rows.empty() ? "0" : chain_rows)},
                                         {"broken_links", std::stoll(breaks.empty() ? "-1" : breaks)}}},
                        {"chain_table_bytes", std::stoll(chain_bytes.empty() ? "0" : chain_bytes)},
                        {"database_bytes", std::stoll(db_size.empty() ? "0" : db_size)}};
  WriteJson(flags.Str("out", ""), out);
  if (breaks != "0") {
    std::fprintf(stderr, "pg: the hash chain has %s broken links\n", breaks.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  ledger::bench::Flags flags(argc, argv);
  return ledger::bench::Main(flags);
}
