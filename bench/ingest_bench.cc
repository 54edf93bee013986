// ingest_bench: durable verified appends through real gRPC on loopback, against a real ledgerd
// that this program starts (and stops) on a fresh data directory.
//
//   ingest_bench --ledgerd=PATH --work-dir=DIR [--seconds=6] [--unary=1,8,32] [--batch=1,8,32]
//                [--stream=1,8] [--signed-batch=1,8] [--batch-size=100] [--stream-window=512]
//                [--liar-dir=DIR]
//                [--perf=PATH --perf-dir=DIR [--perf-keep=1]] [--out=FILE.json]
//
// Set-up (not timed): ledgerd init with an admin key, ledgerd serve on 127.0.0.1:0, the admin
// registers a submitter key. Before each mode: the verification ceiling is measured again for
// --ceiling-seconds on all cores (the adjacent ceiling: the machine is shared, its capacity
// drifts), then every event of the mode is signed (distinct event ids), requests are built and
// one gRPC connection per client is established. Only then does the clock start.
//
// Modes: unary Append with C concurrent clients (one connection each); AppendBatch of
// --batch-size events per request with C clients; AppendStream with C streams (one connection
// each); AppendSignedBatch of --batch-size events signed once (docs/format.md §11) with C
// clients. Each runs for --seconds (or until its pool of pre-signed events runs out). Reported:
// events/s, latency per request (per event for streams: send to acknowledgement), CPU seconds of
// the client (this process) and the server (ledgerd, from /proc) and of everything else on the
// machine, errors.
//
// After each mode the harness waits until ledgerd is idle (it catches its views up with the log in
// the background): that deferred CPU is reported with the mode, not charged to the next one.
// After the modes: ledgerd's resident memory (VmRSS, VmHWM), the data directory's size on disk
// and per entry.
//
// --cluster=ETCD_ENDPOINTS: the same, against a 3-node cluster (ledgerd serve --cluster, quorum
// 2 of 3; etcd is the caller's, bench/cluster_bench.sh starts it): the measured node is started
// first (it wins the election), the two followers after it, all on this machine.
//
//   ingest_bench --ledgerd=PATH --work-dir=DIR --serve-existing=DATA_DIR [--seconds=3]
//                [--clients=8] [--settle-limit=600]
//
// starts ledgerd on an existing data directory (log_bench builds them) and reports the time
// until it serves (restart time of the real server), the time until it is idle again (its views
// caught up with the log in the background), inclusion and consistency proofs per second over
// gRPC (8 clients, every proof checked locally against the served root), and its resident memory.
//
//   ingest_bench --ledgerd=PATH --work-dir=DIR --replicate-existing=DATA_DIR [--seconds=5]
//                [--streams=2] [--admin-key=PUB] [--liar-dir=DIR] [--catch-up-limit=900]
//                [--signed-batch-entries=N] [--batch-size=100] [--ledgerd-args="..."]
//
// replication: serves DATA_DIR (a log_bench log: one signature per event) as the leader, first
// appends --signed-batch-entries more events to it through AppendSignedBatch (--batch-size
// events per signature, 8 clients; default a fifth of the log, at most 200,000; not timed), then
// starts an empty follower (`ledgerd init-follower` with the log key and admin key from the
// operator's records, then `serve --follow`) and times its catch-up (entries/s vs the ceiling),
// separately over the per-event part of the log and over the signed-batch part after it; then
// streams appends into the leader at full speed for --seconds while sampling both tree sizes
// every ~10 ms: the steady lag in entries and in milliseconds (leader reports a size -> follower
// first reports it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/common.h"
#include "grpcpp/grpcpp.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/datadir/layout.h"
#include "ledger/merkle/verify.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace ledger::bench {
namespace {

using ledger::v1::LedgerService;

struct Server {
  pid_t pid = 0;
  std::string target;
  double ready_s = 0;  // spawn until it answers GetLogInfo
};

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int id) {
  grpc::ChannelArguments args;
  // One TCP connection per client, as separate client processes would have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("factledger.bench.channel", id);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    Die("cannot connect to " + target);
  }
  return channel;
}

// A TCP port on 127.0.0.1 nothing listens on now (the kernel's choice for port 0).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("cannot pick a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

Server StartLedgerd(const std::string& ledgerd, const std::string& data_dir,
                    const std::string& work_dir, const std::vector<std::string>& extra = {},
                    const std::string& listen = "127.0.0.1:0") {
  const std::string port_file = work_dir + "/ledgerd.port";
  std::filesystem::remove(port_file);
  Server s;
  const auto start = SteadyClock::now();
  std::vector<std::string> argv = {ledgerd,        "serve",       "--data-dir", data_dir,
                                   "--listen",     listen,        "--port-file", port_file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  s.pid = Spawn(argv, work_dir + "/ledgerd.log");
  WriteFile(work_dir + "/ledgerd.pid", absl::StrCat(s.pid, "\n"));
  std::string port;
  while (port.empty()) {
    if (SecondsSince(start) > 120) Die("ledgerd did not start; see " + work_dir + "/ledgerd.log");
    int status;
    if (waitpid(s.pid, &status, WNOHANG) == s.pid) {
      Die("ledgerd exited at start; see " + work_dir + "/ledgerd.log");
    }
    std::ifstream in(port_file);
    if (!(in >> port)) {
      port.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  s.target = "127.0.0.1:" + port;
  auto stub = LedgerService::NewStub(MakeChannel(s.target, -1));
  grpc::ClientContext ctx;
  ledger::v1::GetLogInfoResponse info;
  grpc::Status st = stub->GetLogInfo(&ctx, ledger::v1::GetLogInfoRequest(), &info);
  if (!st.ok()) Die("GetLogInfo: " + st.error_message());
  s.ready_s = SecondsSince(start);
  return s;
}

int StopLedgerd(Server& s, const std::string& work_dir, struct rusage* usage) {
  kill(s.pid, SIGTERM);
  int rc = WaitFor(s.pid, usage);
  std::filesystem::remove(work_dir + "/ledgerd.pid");
  s.pid = 0;
  return rc;
}

// With --perf=PATH: `perf record -g -a` during each timed mode, reported for ledgerd's threads only
// into --perf-dir/perf-<mode>.txt (by library, by symbol, and ledger functions including their
// callees). Off by default: it costs CPU.
class Profiler {
 public:
  Profiler(const Flags& flags, pid_t pid, const std::string& name)
      : perf_(flags.Str("perf", "")),
        dir_(flags.Str("perf-dir", "")),
        name_(name),
        keep_(flags.Num("perf-keep", 0) != 0) {
    if (perf_.empty() || dir_.empty()) return;
    data_ = dir_ + "/perf-" + name_ + ".data";
    server_pid_ = pid;
    // System-wide, filtered to ledgerd's threads when reporting: `perf record -p` would miss the
    // threads ledgerd starts during the mode (stream appenders, parallel verification).
    pid_ = Spawn({perf_, "record", "-F", "499", "-g", "-a", "-o", data_},
                 dir_ + "/perf-" + name_ + ".log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ~Profiler() {
    if (pid_ == 0) return;
    // ledgerd's thread names (threads started by a thread inherit its name).
    std::set<std::string> names;
    for (const auto& task : std::filesystem::directory_iterator(
             absl::StrCat("/proc/", server_pid_, "/task"))) {
      std::ifstream in(task.path() / "comm");
      std::string comm;
      if (std::getline(in, comm)) names.insert(comm);
    }
    kill(pid_, SIGINT);
    WaitFor(pid_);
    // Three views: CPU by library; self time by symbol; time including callees, for the
    // ledger's own functions (where the server's time goes, by component).
    const std::string report = perf_ + " report --stdio -g none --percentage relative --comms '" +
                               absl::StrJoin(names, ",") + "' -i " + data_;
    const std::string clean = " 2>/dev/null | grep -v '^#' | grep -v '^$' | sed 's/[[:space:]-]*$//'";
    const std::string txt = dir_ + "/perf-" + name_ + ".txt";
    Run({"/bin/sh", "-c",
         "{ echo '--- CPU by library (self)'; " + report +
             " --no-children --sort dso --percent-limit 1" + clean +
             "; echo '--- self time by symbol'; " + report +
             " --no-children --sort symbol --percent-limit 1" + clean + " | cut -c1-160" +
             "; echo '--- ledger functions, including callees'; " + report +
             " --children --sort symbol --percent-limit 2" + clean +
             " | grep -E 'ledger::|grpc::Server' | cut -c1-160 | head -40; } > " + txt +
             (keep_ ? std::string() : "; rm -f " + data_)},
        "/dev/null");
  }

 private:
  std::string perf_, dir_, name_, data_;
  bool keep_ = false;  // --perf-keep=1: keep perf-<mode>.data (for other reports of it)
  pid_t pid_ = 0;
  pid_t server_pid_ = 0;
};

// ledgerd's CPU between two ThreadCpuSeconds snapshots (plus its whole-process total), by thread
// group, in µs per event. Threads that ended meanwhile are only in the process total: their CPU
// is reported as "(ended threads)".
nlohmann::json ThreadBreakdown(const std::map<int, ThreadCpu>& a, const std::map<int, ThreadCpu>& b,
                               double process_cpu_s, uint64_t events) {
  std::map<std::string, double> by_group;
  double seen = 0;
  for (const auto& [tid, t] : b) {
    auto it = a.find(tid);
    const double d = std::max(0.0, t.cpu_s - (it == a.end() ? 0.0 : it->second.cpu_s));
    by_group[ThreadGroup(t.name)] += d;
    seen += d;
  }
  by_group["(ended threads)"] = std::max(0.0, process_cpu_s - seen);
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [group, cpu] : by_group) {
    if (events > 0 && cpu > 0) j[group] = cpu * 1e6 / events;
  }
  return j;
}

// Waits until `pid` is idle (under 5% of a core over 0.5 s; at most `limit_s`). Returns the
// seconds waited and the CPU seconds `pid` used meanwhile (ledgerd catching its views up).
std::pair<double, double> WaitIdle(pid_t pid, double limit_s = 600) {
  const auto start = SteadyClock::now();
  double cpu = 0;
  for (double prev = ProcessCpuSeconds(pid);;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double now = ProcessCpuSeconds(pid);
    cpu += now - prev;
    if (now - prev < 0.025 || SecondsSince(start) > limit_s) break;
    prev = now;
  }
  return {SecondsSince(start), cpu};
}

// Failures of one mode: how many, and the first message.
struct Errors {
  std::atomic<uint64_t> count{0};
  std::mutex mu;
  std::string first;
  void Add(const std::string& message) {
    if (count++ == 0) {
      std::lock_guard<std::mutex> lock(mu);
      first = message;
    }
  }
};

struct ModeResult {
  uint64_t events = 0;
  double seconds = 0;
  std::vector<double> latencies_us;
  bool pool_exhausted = false;
};

// ---- the modes ----

// Unary Append with `clients` calls in flight, one connection each, through gRPC's callback
// API: each client issues its next call from the previous one's completion, so no client thread
// blocks per call (the server answers through the callback API as well, service/ledger_service.h).
ModeResult RunUnary(const std::string& target, int clients, double seconds,
                    std::vector<ledger::v1::AppendRequest>& pool, Errors& errors) {
  struct Client {
    std::unique_ptr<LedgerService::Stub> stub;
    std::vector<double> latencies;
    // The call in flight: its context and response live until its completion.
    std::unique_ptr<grpc::ClientContext> ctx;
    ledger::v1::AppendResponse resp;
    SteadyClock::time_point t0;
  };
  std::vector<Client> cs(clients);
  for (int c = 0; c < clients; ++c) {
    cs[c].stub = LedgerService::NewStub(MakeChannel(target, c));
    cs[c].latencies.reserve(pool.size() / clients + 16);
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0};
  std::mutex done_mu;
  std::condition_variable done_cv;
  int running = clients;
  std::function<void(int)> issue = [&](int c) {
    const size_t i = stop.load(std::memory_order_relaxed) ? pool.size() : next.fetch_add(1);
    if (i >= pool.size()) {
      std::lock_guard<std::mutex> lock(done_mu);
      if (--running == 0) done_cv.notify_all();
      return;
    }
    Client& cl = cs[c];
    cl.ctx = std::make_unique<grpc::ClientContext>();
    cl.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    cl.t0 = SteadyClock::now();
    cl.stub->async()->Append(cl.ctx.get(), &pool[i], &cl.resp, [&, c](grpc::Status st) {
      Client& me = cs[c];
      me.latencies.push_back(MicrosBetween(me.t0, SteadyClock::now()));
      if (st.ok() && !me.resp.duplicate()) {
        ++ok;
      } else {
        errors.Add(st.ok() ? "unexpected duplicate" : st.error_message());
      }
      issue(c);
    });
  };
  const auto start = SteadyClock::now();
  for (int c = 0; c < clients; ++c) issue(c);
  while (SecondsSince(start) < seconds && next.load() < pool.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  {
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait(lock, [&] { return running == 0; });
  }
  ModeResult r;
  r.seconds = SecondsSince(start);
  r.events = ok.load();
  r.pool_exhausted = next.load() >= pool.size();
  for (auto& cl : cs) {
    r.latencies_us.insert(r.latencies_us.end(), cl.latencies.begin(), cl.latencies.end());
  }
  return r;
}

// AppendBatch (`Req` = AppendBatchRequest) or AppendSignedBatch (AppendSignedBatchRequest):
// C clients, each sending whole requests; `events_of` tells how many events a request holds.
template <typename Req, typename Rpc, typename EventsOf>
ModeResult RunBatchRequests(const std::string& target, int clients, double seconds,
                            std::vector<Req>& pool, Errors& errors, Rpc rpc, EventsOf events_of) {
  std::vector<std::unique_ptr<LedgerService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) stubs.push_back(LedgerService::NewStub(MakeChannel(target, c)));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> lat(clients);
  std::atomic<uint64_t> ok{0};
  const auto start = SteadyClock::now();
  auto work = [&](int c) {
    ledger::v1::AppendBatchResponse resp;
    while (!stop.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1);
      if (i >= pool.size()) break;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      const auto t0 = SteadyClock::now();
      grpc::Status st = rpc(*stubs[c], &ctx, pool[i], &resp);
      lat[c].push_back(MicrosBetween(t0, SteadyClock::now()));
      if (st.ok() && resp.results_size() == events_of(pool[i])) {
        ok += resp.results_size();
      } else {
        errors.Add(st.ok() ? "wrong number of results" : st.error_message());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(work, c);
  while (SecondsSince(start) < seconds && next.load() < pool.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : threads) t.join();
  ModeResult r;
  r.seconds = SecondsSince(start);
  r.events = ok.load();
  r.pool_exhausted = next.load() >= pool.size();
  for (auto& l : lat) r.latencies_us.insert(r.latencies_us.end(), l.begin(), l.end());
  return r;
}

ModeResult RunBatch(const std::string& target, int clients, double seconds,
                    std::vector<ledger::v1::AppendBatchRequest>& pool, Errors& errors) {
  return RunBatchRequests(
      target, clients, seconds, pool, errors,
      [](LedgerService::Stub& stub, grpc::ClientContext* ctx,
         const ledger::v1::AppendBatchRequest& req, ledger::v1::AppendBatchResponse* resp) {
        return stub.AppendBatch(ctx, req, resp);
      },
      [](const ledger::v1::AppendBatchRequest& req) { return req.events_size(); });
}

ModeResult RunSignedBatch(const std::string& target, int clients, double seconds,
                          std::vector<ledger::v1::AppendSignedBatchRequest>& pool,
                          Errors& errors) {
  return RunBatchRequests(
      target, clients, seconds, pool, errors,
      [](LedgerService::Stub& stub, grpc::ClientContext* ctx,
         const ledger::v1::AppendSignedBatchRequest& req, ledger::v1::AppendBatchResponse* resp) {
        return stub.AppendSignedBatch(ctx, req, resp);
      },
      [](const ledger::v1::AppendSignedBatchRequest& req) { return req.batch().events_size(); });
}

// `window`: most events a stream has written but not seen acknowledged. Without it, gRPC's
// buffers would queue seconds of events and the latency would measure that queue.
ModeResult RunStream(const std::string& target, int streams, double seconds, size_t window,
                     std::vector<ledger::v1::AppendRequest>& pool, Errors& errors) {
  constexpr size_t kChunk = 64;  // events a stream takes from the shared pool at a time
  std::vector<std::unique_ptr<LedgerService::Stub>> stubs;
  for (int c = 0; c < streams; ++c) stubs.push_back(LedgerService::NewStub(MakeChannel(target, c)));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> lat(streams);
  std::atomic<uint64_t> ok{0};
  const auto start = SteadyClock::now();
  std::atomic<int64_t> last_ack_ns{0};
  auto work = [&](int c) {
    grpc::ClientContext ctx;
    auto stream = stubs[c]->AppendStream(&ctx);
    // Send times by stream index; the reader thread reads them.
    std::vector<std::atomic<int64_t>> sent(pool.size());
    std::atomic<uint64_t> acked{0};
    std::thread reader([&] {
      ledger::v1::AppendStreamResponse resp;
      while (stream->Read(&resp)) {
        acked.fetch_add(1, std::memory_order_release);
        const auto now = SteadyClock::now();
        const int64_t now_ns = (now - start).count();
        if (resp.index() < sent.size()) {
          lat[c].push_back((now_ns - sent[resp.index()].load()) / 1e3);
        }
        if (resp.has_appended() && !resp.appended().duplicate()) {
          ++ok;
        } else {
          errors.Add(resp.has_error() ? resp.error().message() : "unexpected duplicate");
        }
        int64_t prev = last_ack_ns.load();
        while (now_ns > prev && !last_ack_ns.compare_exchange_weak(prev, now_ns)) {
        }
      }
    });
    uint64_t index = 0;
    bool open = true;
    while (open && !stop.load(std::memory_order_relaxed)) {
      const size_t first = next.fetch_add(kChunk);
      if (first >= pool.size()) break;
      const size_t end = std::min(pool.size(), first + kChunk);
      for (size_t i = first; i < end && open; ++i) {
        while (index >= acked.load(std::memory_order_acquire) + window) {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        sent[index++].store((SteadyClock::now() - start).count());
        open = stream->Write(pool[i]);
      }
    }
    stream->WritesDone();
    reader.join();
    grpc::Status st = stream->Finish();
    if (!st.ok()) errors.Add("stream: " + st.error_message());
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < streams; ++c) threads.emplace_back(work, c);
  while (SecondsSince(start) < seconds && next.load() < pool.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : threads) t.join();
  ModeResult r;
  // Until the last acknowledgement: the streams' tails are drained after the deadline.
  r.seconds = std::max(last_ack_ns.load() / 1e9, 1e-3);
  r.events = ok.load();
  r.pool_exhausted = next.load() >= pool.size();
  for (auto& l : lat) r.latencies_us.insert(r.latencies_us.end(), l.begin(), l.end());
  return r;
}

// ---- the views' lag behind the log ----

// Samples ledgerd's GetViewStatus (the log's size and the views' watermark, read together)
// every ~10 ms on its own connection, from construction until Stop(). The lag of a sample is
// in entries (tree size - watermark) and in time: how long after the sample the views first
// reported a watermark >= that sample's tree size (measured on later samples, so a sample the
// views had not reached when sampling stopped counts until the last sample, a lower bound).
class ViewLagSampler {
 public:
  explicit ViewLagSampler(const std::string& target)
      : stub_(ledger::v1::ClaimService::NewStub(MakeChannel(target, -3))) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ViewLagSampler() { Stop(); }

  // Samples taken until now count as "during the mode"; sampling goes on (the views catching
  // up afterwards decide the time lag of the last samples) until Stop().
  void EndMode() { mode_samples_.store(samples_size_.load()); }
  void Stop() {
    if (stop_.exchange(true)) return;
    thread_.join();
  }

  nlohmann::json Json() const {
    const size_t n = std::min(mode_samples_.load(), samples_.size());
    std::vector<double> entries, ms;
    for (size_t i = 0; i < n; ++i) {
      const Sample& s = samples_[i];
      entries.push_back(static_cast<double>(s.tree_size - std::min(s.tree_size, s.watermark)));
      size_t j = i;
      while (j + 1 < samples_.size() && samples_[j].watermark < s.tree_size) ++j;
      ms.push_back(std::chrono::duration<double, std::milli>(samples_[j].at - s.at).count());
    }
    const LatencyStats e = Summarize(entries), t = Summarize(ms);
    return {{"samples", n},
            {"errors", errors_},
            {"entries_p50", e.p50_us}, {"entries_p99", e.p99_us}, {"entries_max", e.max_us},
            {"ms_p50", t.p50_us}, {"ms_p99", t.p99_us}, {"ms_max", t.max_us}};
  }

 private:
  struct Sample {
    std::chrono::steady_clock::time_point at;
    uint64_t tree_size;
    uint64_t watermark;
  };
  void Run() {
    while (!stop_.load()) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      ledger::v1::GetViewStatusResponse resp;
      const grpc::Status st =
          stub_->GetViewStatus(&ctx, ledger::v1::GetViewStatusRequest(), &resp);
      if (st.ok()) {
        samples_.push_back(Sample{std::chrono::steady_clock::now(), resp.tree_size(),
                                  resp.watermark()});
        samples_size_.store(samples_.size());
      } else {
        ++errors_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::unique_ptr<ledger::v1::ClaimService::Stub> stub_;
  std::vector<Sample> samples_;  // written by the thread; read after Stop()
  std::atomic<size_t> samples_size_{0};
  std::atomic<size_t> mode_samples_{~size_t{0}};
  uint64_t errors_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---- ingest ----

int Ingest(const Flags& flags) {
  const std::string ledgerd = flags.Str("ledgerd", "");
  const std::string work = flags.Str("work-dir", "");
  if (ledgerd.empty() || work.empty()) Die("--ledgerd and --work-dir are required");
  const double seconds = flags.Num("seconds", 6);
  const double ceiling_seconds = flags.Num("ceiling-seconds", 1.5);
  const int batch_size = static_cast<int>(flags.Num("batch-size", 100));
  const double unary_cap = flags.Num("max-unary-rate", 12000);
  const double bulk_cap = flags.Num("max-bulk-rate", 32000);
  const size_t stream_window = static_cast<size_t>(flags.Num("stream-window", 512));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::filesystem::create_directories(work);
  const std::string data_dir = work + "/data";

  ClaimTemplates claims = LoadClaims(flags.Str("liar-dir", ""));
  std::fprintf(stderr, "ingest: claims from %s, mean event %.0f bytes\n", claims.source.c_str(),
               claims.mean_event_bytes);

  // ledgerd init with a fresh admin key; then serve.
  crypto::Ed25519PrivateKey admin = crypto::Ed25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey submitter = crypto::Ed25519PrivateKey::Generate();
  InitDataDir(ledgerd, data_dir, kOrigin, admin.public_key());
  // --ledgerd-args="--a=1 --b=2": more `ledgerd serve` options (to compare settings).
  std::vector<std::string> serve_args =
      absl::StrSplit(flags.Str("ledgerd-args", ""), ' ', absl::SkipEmpty());
  // --cluster=ETCD_ENDPOINTS: three nodes in cluster mode (copies of the initialised data
  // directory: one log key), this one started first so that it wins the election and is the
  // one measured; appends are acknowledged once a quorum (2 of 3) holds them. The other two
  // are followers started here (their CPU counts as "other" in the figures).
  const std::string cluster = flags.Str("cluster", "");
  std::string listen = "127.0.0.1:0";
  std::vector<pid_t> cluster_followers;
  std::vector<std::pair<std::string, std::string>> cluster_nodes;  // data dir, address
  const std::string prefix = absl::StrCat("/bench/", getpid(), "-", time(nullptr), "/");
  auto node_args = [&](size_t i) {
    return std::vector<std::string>{"--cluster",       cluster,
                                    "--cluster-prefix", prefix,
                                    "--node-id",       absl::StrCat("n", i + 1),
                                    "--advertise",     cluster_nodes[i].second,
                                    "--cluster-nodes", "3",
                                    "--scrub-interval-hours", "0"};
  };
  if (!cluster.empty()) {
    for (int i = 1; i <= 3; ++i) {
      const std::string dir = i == 1 ? data_dir : absl::StrCat(work, "/node", i);
      if (i > 1) {
        std::filesystem::remove_all(dir);
        std::filesystem::copy(data_dir, dir, std::filesystem::copy_options::recursive);
      }
      cluster_nodes.emplace_back(dir, absl::StrCat("127.0.0.1:", FreeLoopbackPort()));
    }
    listen = cluster_nodes[0].second;
    std::vector<std::string> a = node_args(0);
    serve_args.insert(serve_args.end(), a.begin(), a.end());
  }
  Server server = StartLedgerd(ledgerd, data_dir, work, serve_args, listen);
  for (size_t i = 1; i < cluster_nodes.size(); ++i) {
    std::vector<std::string> argv = {ledgerd, "serve", "--data-dir", cluster_nodes[i].first,
                                     "--listen", cluster_nodes[i].second};
    std::vector<std::string> b = node_args(i);
    argv.insert(argv.end(), b.begin(), b.end());
    cluster_followers.push_back(Spawn(argv, absl::StrCat(work, "/node", i + 1, ".log")));
  }

  std::fprintf(stderr, "ingest: ledgerd pid %d on %s (ready in %.3f s)\n", server.pid,
               server.target.c_str(), server.ready_s);
  {
    auto stub = LedgerService::NewStub(MakeChannel(server.target, -2));
    grpc::ClientContext ctx;
    ledger::v1::AppendRequest req;
    *req.mutable_event() = RegisterSubmitterEvent(kOrigin, admin, submitter.public_key());
    ledger::v1::AppendResponse resp;
    grpc::Status st = stub->Append(&ctx, req, &resp);
    // A cluster's first append waits for a follower to start (a retry of the same event id
    // returns its entry once a quorum holds it).
    for (int tries = 0; !st.ok() && !cluster.empty() && tries < 6; ++tries) {
      grpc::ClientContext retry;
      st = stub->Append(&retry, req, &resp);
    }
    if (!st.ok()) Die("registering the submitter: " + st.error_message());
  }

  WaitIdle(server.pid);
  double followers_cpu_mark = 0;
  for (pid_t pid : cluster_followers) followers_cpu_mark += ProcessCpuSeconds(pid);
  nlohmann::json modes = nlohmann::json::array();
  // ledgerd's threads at the start and the end of the mode being measured.
  std::map<int, ThreadCpu> threads_a, threads_b;
  auto record = [&](const std::string& kind, int concurrency, const ModeResult& r,
                    const CpuSnapshot& a, const CpuSnapshot& b, double ceiling,
                    double verify_cpu_us, Errors& errors, int events_per_request,
                    ViewLagSampler* lag) {
    const double rate = r.events / r.seconds;
    // Work ledgerd had not finished when the mode ended (its views catching up): waited for
    // here, so that it is not charged to the next mode, and reported.
    const auto [deferred_s, deferred_cpu] = WaitIdle(server.pid);
    lag->Stop();
    // A cluster's followers: their CPU since the previous mode ended (their replication,
    // verification, views; counted in "other" too).
    double followers_cpu = 0;
    for (pid_t pid : cluster_followers) followers_cpu += ProcessCpuSeconds(pid);
    const double followers_delta = followers_cpu - followers_cpu_mark;
    followers_cpu_mark = followers_cpu;
    nlohmann::json m = {{"kind", kind},
                        {"name", absl::StrCat(kind, "@", concurrency)},
                        {"concurrency", concurrency},
                        {"events_per_request", events_per_request},
                        {"events", r.events},
                        {"seconds", r.seconds},
                        {"events_per_s", rate},
                        {"ceiling_2t_per_s", ceiling},
                        {"ratio_to_ceiling", rate / ceiling},
                        {"verify_cpu_us", verify_cpu_us},
                        {"latency", LatencyJson(Summarize(r.latencies_us))},
                        {"latency_unit", kind == "stream"
                                             ? "per event, send to ack (<= stream_window in flight)"
                                             : "per request"},
                        {"errors", errors.count.load()},
                        {"first_error", errors.first},
                        {"pool_exhausted", r.pool_exhausted},
                        {"cpu", CpuJson(a, b, r.events)},
                        {"deferred_s", deferred_s},
                        {"deferred_server_cpu_s", deferred_cpu},
                        {"view_lag", lag->Json()}};
    if (!cluster_followers.empty()) {
      m["cluster_followers_cpu_s"] = followers_delta;
      if (r.events > 0) m["cluster_followers_cpu_us_per_event"] = followers_delta * 1e6 / r.events;
    }
    if (r.events > 0) {
      m["server_cpu_us_per_event_with_deferred"] =
          (b.server_s - a.server_s + deferred_cpu) * 1e6 / r.events;
    }
    // Where ledgerd's CPU went, by thread group: during the mode, and during the deferred
    // catch-up after it (the views' threads, "views-*").
    const auto threads_end = ThreadCpuSeconds(server.pid);
    m["server_threads_us_per_event"] =
        ThreadBreakdown(threads_a, threads_b, b.server_s - a.server_s, r.events);
    m["server_threads_deferred_us_per_event"] =
        ThreadBreakdown(threads_b, threads_end, deferred_cpu, r.events);
    std::fprintf(stderr,
                 "ingest: %-10s %6.0f events/s = %.2f x ceiling (%.0f/s); p50 %.2f ms p99 %.2f ms; "
                 "server %.0f us/event (+deferred %.0f), client share %.0f%%, errors %llu; "
                 "view lag p99 %.0f ms / %.0f entries\n",
                 m["name"].get<std::string>().c_str(), rate, rate / ceiling, ceiling,
                 m["latency"]["p50_us"].get<double>() / 1e3,
                 m["latency"]["p99_us"].get<double>() / 1e3,
                 m["cpu"].value("server_cpu_us_per_event", 0.0),
                 m.value("server_cpu_us_per_event_with_deferred", 0.0),
                 100 * m["cpu"]["client_share"].get<double>(),
                 static_cast<unsigned long long>(errors.count.load()),
                 m["view_lag"]["ms_p99"].get<double>(),
                 m["view_lag"]["entries_p99"].get<double>());
    std::fprintf(stderr, "ingest: %-10s server us/event by thread: %s; deferred: %s\n",
                 m["name"].get<std::string>().c_str(),
                 m["server_threads_us_per_event"].dump().c_str(),
                 m["server_threads_deferred_us_per_event"].dump().c_str());
    modes.push_back(m);
  };
  // Runs one mode (`run`) with ledgerd's CPU time taken around it, under the profiler when
  // --perf is given, and records it.
  auto measure = [&](const std::string& kind, int c, double ceiling, double verify_cpu_us,
                     int events_per_request, const std::function<ModeResult(Errors&)>& run) {
    Errors errors;
    std::optional<Profiler> profiler;
    profiler.emplace(flags, server.pid, absl::StrCat(kind, c));
    ViewLagSampler lag(server.target);
    threads_a = ThreadCpuSeconds(server.pid);
    const CpuSnapshot a = TakeCpuSnapshot(server.pid);
    ModeResult r = run(errors);
    const CpuSnapshot b = TakeCpuSnapshot(server.pid);
    threads_b = ThreadCpuSeconds(server.pid);
    lag.EndMode();
    profiler.reset();
    record(kind, c, r, a, b, ceiling, verify_cpu_us, errors, events_per_request, &lag);
  };
  auto sign = [&](const std::string& prefix, size_t n) {
    return Presign(claims, kOrigin, prefix, 0, n, submitter, cores);
  };

  // Pools: enough events for the whole mode at up to 2x the adjacent ceiling (verified ingest
  // cannot go faster; signing more would only cost time). A mode whose pool runs out ends early
  // and says so.
  auto pool_size = [&](double cap, double ceiling) {
    return static_cast<size_t>(std::min(cap, 2.0 * ceiling) * seconds);
  };
  for (int c : flags.Ints("unary", {1, 8, 32})) {
    double verify_cpu_us = 0;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
    const size_t n = pool_size(unary_cap, ceiling) + 64;
    std::vector<ledger::v1::AppendRequest> pool(n);
    {
      auto events = sign(absl::StrCat("u", c, "-"), n);
      for (size_t i = 0; i < n; ++i) *pool[i].mutable_event() = std::move(events[i]);
    }
    measure("unary", c, ceiling, verify_cpu_us, 1,
            [&](Errors& errors) { return RunUnary(server.target, c, seconds, pool, errors); });
  }
  for (int c : flags.Ints("batch", {1, 8, 32})) {
    double verify_cpu_us = 0;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
    const size_t requests = pool_size(bulk_cap, ceiling) / batch_size + c;
    std::vector<ledger::v1::AppendBatchRequest> pool(requests);
    {
      auto events = sign(absl::StrCat("b", c, "-"), requests * batch_size);
      for (size_t i = 0; i < events.size(); ++i) {
        *pool[i / batch_size].add_events() = std::move(events[i]);
      }
    }
    measure("batch", c, ceiling, verify_cpu_us, batch_size,
            [&](Errors& errors) { return RunBatch(server.target, c, seconds, pool, errors); });
  }
  // One signature per --batch-size events (AppendSignedBatch, docs/format.md §11): the
  // ceiling no longer bounds it, so its ratio to the ceiling can exceed 1.
  for (int c : flags.Ints("signed-batch", {1, 8})) {
    double verify_cpu_us = 0;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
    const size_t requests =
        static_cast<size_t>(flags.Num("max-signed-batch-rate", 200000) * seconds) / batch_size + c;
    std::vector<ledger::v1::AppendSignedBatchRequest> pool(requests);
    {
      // Event ids and bytes from the same templates (their per-event signatures are unused).
      auto events = sign(absl::StrCat("sb", c, "-"), requests * batch_size);
      std::vector<std::pair<std::string, std::string>> members;
      for (size_t r = 0; r < requests; ++r) {
        members.clear();
        for (int k = 0; k < batch_size; ++k) {
          auto& e = events[r * batch_size + k];
          members.emplace_back(e.event_id(), e.event());
        }
        *pool[r].mutable_batch() = client::SignBatch(
            kOrigin, absl::StrCat("sb", c, "-batch-", r), members, submitter);
      }
    }
    measure("signed-batch", c, ceiling, verify_cpu_us, batch_size,
            [&](Errors& errors) {
              return RunSignedBatch(server.target, c, seconds, pool, errors);
            });
  }
  for (int c : flags.Ints("stream", {1, 8})) {
    double verify_cpu_us = 0;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
    const size_t n = pool_size(bulk_cap, ceiling) + 64 * c;
    std::vector<ledger::v1::AppendRequest> pool(n);
    {
      auto events = sign(absl::StrCat("s", c, "-"), n);
      for (size_t i = 0; i < n; ++i) *pool[i].mutable_event() = std::move(events[i]);
    }
    measure("stream", c, ceiling, verify_cpu_us, 1,
            [&](Errors& errors) {
              return RunStream(server.target, c, seconds, stream_window, pool, errors);
            });
  }

  // Size and memory after ingest.
  uint64_t tree_size = 0;
  {
    auto stub = LedgerService::NewStub(MakeChannel(server.target, -3));
    grpc::ClientContext ctx;
    ledger::v1::GetLogInfoResponse info;
    if (stub->GetLogInfo(&ctx, ledger::v1::GetLogInfoRequest(), &info).ok()) {
      tree_size = info.tree_size();
    }
  }
  const uint64_t rss_kb = ProcStatusKb(server.pid, "VmRSS");
  const uint64_t hwm_kb = ProcStatusKb(server.pid, "VmHWM");
  const uint64_t threads = ProcStatusKb(server.pid, "Threads");
  const double server_cpu_total = ProcessCpuSeconds(server.pid);
  const uint64_t disk = DiskUsageBytes(data_dir);
  const uint64_t apparent = ApparentBytes(data_dir);
  struct rusage ru;
  const int rc = StopLedgerd(server, work, &ru);
  for (pid_t pid : cluster_followers) {
    kill(pid, SIGTERM);
    struct rusage ignored;
    WaitFor(pid, &ignored);
  }
  nlohmann::json out = {
      {"claims", claims.source},
      {"cluster", cluster.empty() ? "single node" : "3 nodes, quorum 2 (etcd " + cluster + ")"},
      {"mean_event_bytes", claims.mean_event_bytes},
      {"cores", cores},
      {"seconds_per_mode", seconds},
      {"batch_size", batch_size},
      {"stream_window", stream_window},
      {"ledgerd_start_s", server.ready_s},
      {"modes", modes},
      {"after",
       {{"tree_size", tree_size},
        {"ledgerd_vmrss_bytes", rss_kb * 1024},
        {"ledgerd_vmhwm_bytes", hwm_kb * 1024},
        {"ledgerd_threads", threads},
        {"ledgerd_cpu_s", server_cpu_total},
        {"data_dir_disk_bytes", disk},
        {"data_dir_apparent_bytes", apparent},
        {"disk_bytes_per_entry", tree_size ? static_cast<double>(disk) / tree_size : 0.0},
        {"ledgerd_exit_code", rc}}},
  };
  WriteJson(flags.Str("out", ""), out);
  return rc == 0 ? 0 : 1;
}

// ---- an existing log: restart time, proofs over gRPC, memory ----

int ServeExisting(const Flags& flags) {
  const std::string ledgerd = flags.Str("ledgerd", "");
  const std::string work = flags.Str("work-dir", "");
  const std::string data_dir = flags.Str("serve-existing", "");
  const double seconds = flags.Num("seconds", 3);
  const int clients = static_cast<int>(flags.Num("clients", 8));
  std::filesystem::create_directories(work);
  Server server = StartLedgerd(ledgerd, data_dir, work);
  const uint64_t rss_start_kb = ProcStatusKb(server.pid, "VmRSS");
  // ledgerd serves at once and catches its views up with the log in the background (all of it
  // when the log was written by log_bench, which has no views): wait until it is idle (under 5%
  // of a core over 0.5 s) so that the proofs below do not compete with that catch-up.
  const double settle_limit = flags.Num("settle-limit", 600);
  const auto [settle_s, settle_cpu] = WaitIdle(server.pid, settle_limit);
  const bool settled = settle_s < settle_limit;
  const uint64_t rss_settled_kb = ProcStatusKb(server.pid, "VmRSS");
  std::fprintf(stderr, "serve %s: ready in %.2f s, %s %.1f s later\n", data_dir.c_str(),
               server.ready_s, settled ? "idle (views caught up)" : "STILL BUSY (views catching up)",
               settle_s);
  auto info_stub = LedgerService::NewStub(MakeChannel(server.target, -1));
  ledger::v1::GetCheckpointResponse head;
  {
    grpc::ClientContext ctx;
    if (!info_stub->GetCheckpoint(&ctx, ledger::v1::GetCheckpointRequest(), &head).ok()) {
      Die("GetCheckpoint failed");
    }
  }
  const uint64_t size = head.tree_size();
  const Hash root = HashFromBytes(head.root_hash());
  nlohmann::json proofs = nlohmann::json::array();
  for (const std::string kind : {"inclusion", "consistency"}) {
    std::vector<std::unique_ptr<LedgerService::Stub>> stubs;
    for (int c = 0; c < clients; ++c) stubs.push_back(LedgerService::NewStub(MakeChannel(server.target, c)));
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> done{0}, bad{0};
    std::vector<std::vector<double>> lat(clients);
    const CpuSnapshot a = TakeCpuSnapshot(server.pid);
    auto work_fn = [&](int c) {
      std::mt19937_64 rng(1234 + c);
      std::uniform_int_distribution<uint64_t> pick(0, size - 1);
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::ClientContext ctx;
        const auto t0 = SteadyClock::now();
        bool ok;
        if (kind == "inclusion") {
          ledger::v1::GetInclusionProofRequest req;
          req.set_sequence(pick(rng));
          req.set_tree_size(size);
          ledger::v1::GetInclusionProofResponse resp;
          ok = stubs[c]->GetInclusionProof(&ctx, req, &resp).ok();
          lat[c].push_back(MicrosBetween(t0, SteadyClock::now()));
          if (ok) {
            std::vector<Hash> path;
            for (const auto& h : resp.hashes()) path.push_back(HashFromBytes(h));
            ok = merkle::VerifyInclusion(req.sequence(), size, HashFromBytes(resp.leaf_hash()),
                                         path, root)
                     .ok();
          }
        } else {
          ledger::v1::GetConsistencyProofRequest req;
          req.set_from_tree_size(1 + pick(rng));
          req.set_to_tree_size(size);
          ledger::v1::GetConsistencyProofResponse resp;
          ok = stubs[c]->GetConsistencyProof(&ctx, req, &resp).ok();
          lat[c].push_back(MicrosBetween(t0, SteadyClock::now()));
          if (ok) {
            std::vector<Hash> path;
            for (const auto& h : resp.hashes()) path.push_back(HashFromBytes(h));
            ok = HashFromBytes(resp.to_root_hash()) == root &&
                 merkle::VerifyConsistency(req.from_tree_size(), size,
                                           HashFromBytes(resp.from_root_hash()), root, path)
                     .ok();
          }
        }
        ++done;
        if (!ok) ++bad;
      }
    };
    const auto start = SteadyClock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) threads.emplace_back(work_fn, c);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    const double elapsed = SecondsSince(start);
    const CpuSnapshot b = TakeCpuSnapshot(server.pid);
    std::vector<double> all;
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    proofs.push_back({{"kind", kind},
                      {"clients", clients},
                      {"per_s", done.load() / elapsed},
                      {"failed", bad.load()},
                      {"latency", LatencyJson(Summarize(all))},
                      {"cpu", CpuJson(a, b, done.load())}});
    std::fprintf(stderr, "serve %s: %s proofs over gRPC %.0f/s (%llu failed)\n", data_dir.c_str(),
                 kind.c_str(), done.load() / elapsed, static_cast<unsigned long long>(bad.load()));
  }
  const uint64_t rss_kb = ProcStatusKb(server.pid, "VmRSS");
  const uint64_t hwm_kb = ProcStatusKb(server.pid, "VmHWM");
  struct rusage ru;
  const int rc = StopLedgerd(server, work, &ru);
  nlohmann::json out = {{"tree_size", size},
                        {"ledgerd_ready_s", server.ready_s},
                        {"ledgerd_vmrss_at_start_bytes", rss_start_kb * 1024},
                        {"ledgerd_settle_s", settle_s},
                        {"ledgerd_settled", settled},
                        {"ledgerd_settle_cpu_s", settle_cpu},
                        {"ledgerd_vmrss_settled_bytes", rss_settled_kb * 1024},
                        {"ledgerd_vmrss_bytes", rss_kb * 1024},
                        {"ledgerd_vmhwm_bytes", hwm_kb * 1024},
                        {"grpc_proofs", proofs},
                        {"ledgerd_exit_code", rc}};
  WriteJson(flags.Str("out", ""), out);
  return rc == 0 ? 0 : 1;
}


// ---- replication: follower catch-up and steady lag ----

uint64_t TreeSizeOf(LedgerService::Stub& stub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ledger::v1::GetLogInfoResponse info;
  grpc::Status st = stub.GetLogInfo(&ctx, ledger::v1::GetLogInfoRequest(), &info);
  if (!st.ok()) Die("GetLogInfo: " + st.error_message());
  return info.tree_size();
}

// The `log-key <hex>` line of a data directory's LEDGER identity file.
std::string LogKeyHex(const std::string& data_dir) {
  std::ifstream in(datadir::IdentityFile(data_dir));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("log-key ", 0) == 0) return line.substr(8);
  }
  Die("no log-key line in " + datadir::IdentityFile(data_dir));
}

int ReplicateExisting(const Flags& flags) {
  const std::string ledgerd = flags.Str("ledgerd", "");
  const std::string work = flags.Str("work-dir", "");
  const std::string leader_dir = flags.Str("replicate-existing", "");
  const std::string admin_pub = flags.Str(
      "admin-key", std::filesystem::path(leader_dir).parent_path().string() + "/admin.key.pub");
  const double seconds = flags.Num("seconds", 5);
  const double ceiling_seconds = flags.Num("ceiling-seconds", 1.5);
  const int streams = static_cast<int>(flags.Num("streams", 2));
  const size_t window = static_cast<size_t>(flags.Num("stream-window", 512));
  const double catch_up_limit = flags.Num("catch-up-limit", 900);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (ledgerd.empty() || work.empty()) Die("--ledgerd and --work-dir are required");
  std::filesystem::create_directories(work + "/leader");
  std::filesystem::create_directories(work + "/follower");
  const std::string follower_dir = work + "/follower/data";

  // --ledgerd-args: more `ledgerd serve` options for both the leader and the follower.
  const std::vector<std::string> serve_args =
      absl::StrSplit(flags.Str("ledgerd-args", ""), ' ', absl::SkipEmpty());
  double verify_cpu_us = 0;
  const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
  Server leader = StartLedgerd(ledgerd, leader_dir, work + "/leader", serve_args);
  auto leader_stub = LedgerService::NewStub(MakeChannel(leader.target, -1));
  const uint64_t per_event_size = TreeSizeOf(*leader_stub);
  WaitIdle(leader.pid);  // the leader's own views, caught up before the clock starts

  // The signed-batch part of the log: AppendSignedBatch into the leader (not timed).
  ClaimTemplates claims = LoadClaims(flags.Str("liar-dir", ""));
  crypto::Ed25519PrivateKey submitter = BenchKey(0xb2);  // log_bench registered it
  const int batch_size = static_cast<int>(flags.Num("batch-size", 100));
  const size_t signed_batches =
      static_cast<size_t>(flags.Num("signed-batch-entries",
                                    std::min<double>(200000, per_event_size / 5.0))) /
      batch_size;
  if (signed_batches > 0) {
    std::vector<ledger::v1::AppendSignedBatchRequest> pool(signed_batches);
    {
      const std::string prefix = absl::StrCat("repl-sb-", per_event_size, "-");
      auto events = Presign(claims, kOrigin, prefix, 0, signed_batches * batch_size, submitter,
                            cores);
      std::vector<std::pair<std::string, std::string>> members;
      for (size_t r = 0; r < signed_batches; ++r) {
        members.clear();
        for (int k = 0; k < batch_size; ++k) {
          auto& e = events[r * batch_size + k];
          members.emplace_back(e.event_id(), e.event());
        }
        *pool[r].mutable_batch() =
            client::SignBatch(kOrigin, absl::StrCat(prefix, "batch-", r), members, submitter);
      }
    }
    Errors errors;
    const ModeResult r = RunSignedBatch(leader.target, 8, 1e9, pool, errors);
    if (errors.count.load() > 0) Die("AppendSignedBatch into the leader: " + errors.first);
    std::fprintf(stderr, "replicate: leader took %llu events in signed batches of %d (%.0f/s)\n",
                 static_cast<unsigned long long>(r.events), batch_size, r.events / r.seconds);
    WaitIdle(leader.pid);
  }
  const uint64_t leader_size = TreeSizeOf(*leader_stub);

  // An empty follower, configured from the operator's records (not from the leader).
  if (Run({ledgerd, "init-follower", "--data-dir", follower_dir, "--origin", kOrigin,
           "--log-key", LogKeyHex(leader_dir), "--admin-key", admin_pub},
          work + "/follower/init.log") != 0) {
    Die("ledgerd init-follower failed; see " + work + "/follower/init.log");
  }
  const double leader_cpu_0 = ProcessCpuSeconds(leader.pid);
  const auto start = SteadyClock::now();
  std::vector<std::string> follower_args = {"--follow", leader.target};
  follower_args.insert(follower_args.end(), serve_args.begin(), serve_args.end());
  Server follower = StartLedgerd(ledgerd, follower_dir, work + "/follower", follower_args);
  auto follower_stub = LedgerService::NewStub(MakeChannel(follower.target, -2));
  uint64_t fsize = 0;
  // When the follower first reported the whole per-event part (sampled every 20 ms).
  double split_s = 0, split_follower_cpu = 0, split_leader_cpu = 0;
  uint64_t split_size = 0;
  while ((fsize = TreeSizeOf(*follower_stub)) < leader_size &&
         SecondsSince(start) < catch_up_limit) {
    if (split_size == 0 && fsize >= per_event_size) {
      split_s = SecondsSince(start);
      split_size = fsize;
      split_follower_cpu = ProcessCpuSeconds(follower.pid);
      split_leader_cpu = ProcessCpuSeconds(leader.pid) - leader_cpu_0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double catch_up_s = SecondsSince(start);
  const double follower_cpu = ProcessCpuSeconds(follower.pid);
  // The follower's threads over its whole life so far (it started empty): where catch-up went.
  const nlohmann::json catch_up_threads =
      ThreadBreakdown({}, ThreadCpuSeconds(follower.pid), follower_cpu, fsize);
  const double leader_cpu = ProcessCpuSeconds(leader.pid) - leader_cpu_0;
  if (split_size == 0) {  // no signed-batch part, or it came in the last sample
    split_s = catch_up_s;
    split_size = fsize;
    split_follower_cpu = follower_cpu;
    split_leader_cpu = leader_cpu;
  }
  const double rate = fsize / catch_up_s;
  std::fprintf(stderr,
               "replicate: follower caught up on %llu entries in %.1f s = %.0f entries/s = %.2f x "
               "ceiling (%.0f/s); follower CPU %.1f s, leader CPU %.1f s\n",
               static_cast<unsigned long long>(fsize), catch_up_s, rate, rate / ceiling, ceiling,
               follower_cpu, leader_cpu);
  // The two parts of the log: per-event signatures [0, split_size), signed batches after.
  auto part_json = [&](uint64_t entries, double s, double fcpu, double lcpu) {
    const double part_rate = s > 0 ? entries / s : 0.0;
    return nlohmann::json{{"entries", entries},
                          {"seconds", s},
                          {"entries_per_s", part_rate},
                          {"ratio_to_ceiling", part_rate / ceiling},
                          {"follower_cpu_s", fcpu},
                          {"follower_cpu_us_per_entry", entries ? fcpu * 1e6 / entries : 0.0},
                          {"leader_cpu_s", lcpu}};
  };
  const nlohmann::json per_event_part =
      part_json(split_size, split_s, split_follower_cpu, split_leader_cpu);
  const nlohmann::json signed_batch_part =
      part_json(fsize - split_size, catch_up_s - split_s, follower_cpu - split_follower_cpu,
                leader_cpu - split_leader_cpu);
  for (const auto* part : {&per_event_part, &signed_batch_part}) {
    if ((*part)["entries"].get<uint64_t>() == 0) continue;
    std::fprintf(stderr,
                 "replicate:   %s part: %llu entries in %.1f s = %.0f entries/s = %.2f x "
                 "ceiling; follower CPU %.0f us/entry\n",
                 part == &per_event_part ? "per-event" : "signed-batch",
                 static_cast<unsigned long long>((*part)["entries"].get<uint64_t>()),
                 (*part)["seconds"].get<double>(), (*part)["entries_per_s"].get<double>(),
                 (*part)["ratio_to_ceiling"].get<double>(),
                 (*part)["follower_cpu_us_per_entry"].get<double>());
  }
  const auto [follower_settle_s, follower_settle_cpu] = WaitIdle(follower.pid);

  // Steady lag: AppendStream at full speed into the leader while sampling both sizes.
  const double ingest_ceiling = MeasureVerifyRate(cores, ceiling_seconds);
  const size_t n = static_cast<size_t>(std::min(flags.Num("max-bulk-rate", 32000),
                                                2.0 * ingest_ceiling) * seconds) +
                   64 * streams;
  std::vector<ledger::v1::AppendRequest> pool(n);
  {
    auto events = Presign(claims, kOrigin, absl::StrCat("repl-", leader_size, "-"), 0, n,
                          submitter, cores);
    for (size_t i = 0; i < n; ++i) *pool[i].mutable_event() = std::move(events[i]);
  }
  struct Sample {
    double t;
    uint64_t leader, follower;
  };
  std::vector<Sample> samples;
  std::atomic<bool> sampling{true};
  const auto lag_start = SteadyClock::now();
  std::thread sampler([&] {
    auto ls = LedgerService::NewStub(MakeChannel(leader.target, -3));
    auto fs = LedgerService::NewStub(MakeChannel(follower.target, -4));
    while (sampling.load()) {
      const double t = SecondsSince(lag_start);
      const uint64_t l = TreeSizeOf(*ls);
      const uint64_t f = TreeSizeOf(*fs);
      samples.push_back({t, l, f});
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  Errors errors;
  const CpuSnapshot a = TakeCpuSnapshot(leader.pid);
  const double fcpu_a = ProcessCpuSeconds(follower.pid);
  const auto fthreads_a = ThreadCpuSeconds(follower.pid);
  ModeResult r = RunStream(leader.target, streams, seconds, window, pool, errors);
  const CpuSnapshot b = TakeCpuSnapshot(leader.pid);
  const double fcpu_b = ProcessCpuSeconds(follower.pid);
  const nlohmann::json steady_threads =
      ThreadBreakdown(fthreads_a, ThreadCpuSeconds(follower.pid), fcpu_b - fcpu_a, r.events);
  const uint64_t final_leader = TreeSizeOf(*leader_stub);
  const auto drain_start = SteadyClock::now();
  while (TreeSizeOf(*follower_stub) < final_leader && SecondsSince(drain_start) < 120) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double drain_s = SecondsSince(drain_start);
  sampling = false;
  sampler.join();
  // Lag in entries at each sample, and in time: from when the leader reported a size until the
  // follower first reported at least that size.
  std::vector<double> lag_entries, lag_ms;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].t > r.seconds) break;  // while ingest ran
    lag_entries.push_back(static_cast<double>(samples[i].leader - std::min(samples[i].leader,
                                                                          samples[i].follower)));
    for (size_t j = i; j < samples.size(); ++j) {
      if (samples[j].follower >= samples[i].leader) {
        lag_ms.push_back((samples[j].t - samples[i].t) * 1e3);
        break;
      }
    }
  }
  const LatencyStats le = Summarize(lag_entries);
  const LatencyStats lm = Summarize(lag_ms);
  const double ingest_rate = r.events / r.seconds;
  std::fprintf(stderr,
               "replicate: steady lag at %.0f events/s (%.2f x ceiling): p50 %.0f entries / %.0f "
               "ms, p99 %.0f entries / %.0f ms, max %.0f entries; drained %.2f s after ingest\n",
               ingest_rate, ingest_rate / ingest_ceiling, le.p50_us, lm.p50_us, le.p99_us,
               lm.p99_us, le.max_us, drain_s);

  struct rusage ru;
  const int frc = StopLedgerd(follower, work + "/follower", &ru);
  const int lrc = StopLedgerd(leader, work + "/leader", &ru);
  nlohmann::json out = {
      {"entries", per_event_size},  // the log_bench log served
      {"signed_batch_entries", leader_size - per_event_size},  // appended before catch-up
      {"ceiling_2t_per_s", ceiling},
      {"verify_cpu_us", verify_cpu_us},
      {"catch_up",
       {{"entries", fsize},
        {"seconds", catch_up_s},
        {"complete", fsize >= leader_size},
        {"entries_per_s", rate},
        {"ratio_to_ceiling", rate / ceiling},
        {"follower_cpu_s", follower_cpu},
        {"follower_cpu_us_per_entry", fsize ? follower_cpu * 1e6 / fsize : 0.0},
        {"leader_cpu_s", leader_cpu},
        {"follower_views_settle_s", follower_settle_s},
        {"follower_views_settle_cpu_s", follower_settle_cpu},
        {"follower_cpu_us_per_entry_by_thread", catch_up_threads},
        {"per_event_part", per_event_part},
        {"signed_batch_part", signed_batch_part},
        {"signed_batch_events_per_signature", batch_size}}},
      {"steady",
       {{"streams", streams},
        {"seconds", r.seconds},
        {"events", r.events},
        {"events_per_s", ingest_rate},
        {"ceiling_2t_per_s", ingest_ceiling},
        {"ratio_to_ceiling", ingest_rate / ingest_ceiling},
        {"errors", errors.count.load()},
        {"first_error", errors.first},
        {"samples", lag_entries.size()},
        {"lag_entries", {{"p50", le.p50_us}, {"p99", le.p99_us}, {"max", le.max_us}}},
        {"lag_ms", {{"p50", lm.p50_us}, {"p99", lm.p99_us}, {"max", lm.max_us}}},
        {"drain_after_ingest_s", drain_s},
        {"leader_cpu", CpuJson(a, b, r.events)},
        {"follower_cpu_us_per_event", r.events ? (fcpu_b - fcpu_a) * 1e6 / r.events : 0.0},
        {"follower_cpu_us_per_event_by_thread", steady_threads}}},
      {"exit_codes", {{"leader", lrc}, {"follower", frc}}},
  };
  WriteJson(flags.Str("out", ""), out);
  return (lrc == 0 && frc == 0 && fsize >= leader_size && errors.count.load() == 0) ? 0 : 1;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  ledger::bench::Flags flags(argc, argv);
  if (!flags.Str("serve-existing", "").empty()) return ledger::bench::ServeExisting(flags);
  if (!flags.Str("replicate-existing", "").empty()) {
    return ledger::bench::ReplicateExisting(flags);
  }
  return ledger::bench::Ingest(flags);
}
