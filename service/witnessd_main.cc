// witnessd: a C2SP tlog-witness (c2sp.org/tlog-witness) of our own. It cosigns the checkpoints
// of the logs it is configured with (tlog-cosignature Ed25519 cosignature/v1), after checking
// each log's signature and the consistency proof from the size it last cosigned, and persisting
// the new size and root atomically before it replies (ledger/witness/witness.h).
//
//   witnessd --data-dir DIR --name NAME --key WITNESS.key --log LOG_VERIFIER_KEY [--log ...]
//            [--listen 127.0.0.1:7380] [--port-file FILE] [--http-threads 4]
//
// Serves POST /add-checkpoint on --listen (HTTP; put TLS in front for the Internet). Writes its
// cosigner verifier key (what logs pass to ledgerd serve --witness and verifiers to
// --witness-key) to DIR/cosigner-verifier-key and to stdout. One witnessd per DIR (a lock).
//
// Exit codes: 0 clean shutdown (SIGINT/SIGTERM); 1 bad usage; 2 the data directory cannot be
// used (locked, unreadable, or a state file that does not verify); 3 cannot listen.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "ledger/base/file_util.h"
#include "ledger/base/logging.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/add_checkpoint.h"
#include "ledger/witness/witness.h"
#include "service/http/http_server.h"

namespace {

constexpr int kExitUsage = 1;
constexpr int kExitDataDir = 2;
constexpr int kExitListen = 3;

struct Flags {
  std::string data_dir, name, key_file, listen = "127.0.0.1:7380", port_file;
  std::vector<std::string> logs;
  int http_threads = 4;
};

int Run(const Flags& f) {
  absl::StatusOr<ledger::crypto::Ed25519PrivateKey> key =
      ledger::crypto::ReadPrivateKeyFile(f.key_file);
  if (!key.ok()) {
    std::cerr << "witnessd: --key " << f.key_file << ": " << key.status().message() << "\n";
    return kExitUsage;
  }
  ledger::witness::WitnessOptions options;
  options.name = f.name;
  options.key = std::make_shared<ledger::crypto::Ed25519PrivateKey>(*key);
  options.state_dir = f.data_dir;
  for (const std::string& log : f.logs) {
    absl::StatusOr<ledger::format::NoteVerifier> v = ledger::format::ParseNoteVerifierKey(log);
    if (!v.ok()) {
      std::cerr << "witnessd: --log " << log << ": want the log's checkpoint verifier key "
                << "<origin>+<hash>+<base64>: " << v.status().message() << "\n";
      return kExitUsage;
    }
    options.logs.push_back(*v);
  }
  if (::mkdir(f.data_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    std::cerr << "witnessd: cannot create " << f.data_dir << ": " << std::strerror(errno) << "\n";
    return kExitDataDir;
  }
  // One witnessd per directory: two would each check and persist under their own lock only.
  const std::string lock_path = f.data_dir + "/witnessd.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "witnessd: " << lock_path << ": another witnessd holds this directory ("
              << std::strerror(errno) << ")\n";
    return kExitDataDir;
  }
  absl::StatusOr<std::unique_ptr<ledger::witness::Witness>> witness =
      ledger::witness::Witness::Open(std::move(options));
  if (!witness.ok()) {
    std::cerr << "witnessd: " << witness.status().message() << "\n";
    return absl::IsInvalidArgument(witness.status()) ? kExitUsage : kExitDataDir;
  }
  const std::string vkey = (*witness)->VerifierKey();
  if (absl::Status s = ledger::WriteFileAtomically(f.data_dir + "/cosigner-verifier-key",
                                                   vkey + "\n");
      !s.ok()) {
    std::cerr << "witnessd: " << s.message() << "\n";
    return kExitDataDir;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ledger::witness::Witness* w = witness->get();
  ledger::service::http::ServerOptions http_options;
  http_options.listen = f.listen;
  http_options.threads = f.http_threads;
  http_options.max_request_body_bytes = ledger::witness::kMaxAddCheckpointBodyBytes;
  auto handler = [w](const ledger::service::http::Request& request) {
    ledger::service::http::Response r;
    if (request.path != ledger::witness::kAddCheckpointPath) {
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = absl::StrCat("no resource at ", request.path, "\n");
      return r;
    }
    if (request.method != "POST") {
      r.status = 405;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "add-checkpoint must be a POST\n";
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
    ledger::witness::Witness::Reply reply = w->AddCheckpoint(request.body);
    r.status = reply.status;
    r.content_type = reply.content_type;
    r.body = std::move(reply.body);
    return r;
  };
  auto server = ledger::service::http::Server::Start(
      http_options, {{std::string(ledger::witness::kAddCheckpointPath), handler}});
  if (!server.ok()) {
    std::cerr << "witnessd: " << server.status().message() << "\n";
    return kExitListen;
  }
  if (!f.port_file.empty()) {
    if (absl::Status s =
            ledger::WriteFileAtomically(f.port_file, absl::StrCat((*server)->port(), "\n"));
        !s.ok()) {
      std::cerr << "witnessd: --port-file: " << s.message() << "\n";
    }
  }
  std::cout << "cosigner verifier key: " << vkey << std::endl;
  ledger::LogEvent(ledger::LogLevel::kInfo, "witnessd serving",
                   {{"name", f.name},
                    {"port", absl::StrCat((*server)->port())},
                    {"logs", absl::StrCat(f.logs.size())},
                    {"data_dir", f.data_dir}});
  int sig = 0;
  sigwait(&signals, &sig);
  ledger::LogEvent(ledger::LogLevel::kInfo, "witnessd stopping", {{"signal", absl::StrCat(sig)}});
  server->reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"witnessd: a C2SP tlog-witness that cosigns the checkpoints of configured logs"};
  Flags f;
  app.add_option("--data-dir", f.data_dir, "Directory of the witness's state (created)")
      ->required();
  app.add_option("--name", f.name, "The cosigner name, e.g. witness.example/w1")->required();
  app.add_option("--key", f.key_file, "The witness's private key file (ledgerctl keygen)")
      ->required();
  app.add_option("--log", f.logs,
                 "A log to witness: its checkpoint verifier key <origin>+<hash>+<base64> "
                 "(repeatable)")
      ->required();
  app.add_option("--listen", f.listen, "HOST:PORT to serve add-checkpoint on (port 0 = any)")
      ->capture_default_str();
  app.add_option("--port-file", f.port_file, "Write the bound port to this file");
  app.add_option("--http-threads", f.http_threads, "HTTP server threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.footer(
      "Example:\n  ledgerctl keygen --out w1.key\n"
      "  witnessd --data-dir ./w1 --name witness.example/w1 --key w1.key \\\n"
      "    --log \"$(cat data/checkpoint-verifier-key)\" --listen 127.0.0.1:7380");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  return Run(f);
}
