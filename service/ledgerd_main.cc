// ledgerd: the fact ledger server.
//
//   ledgerd init  --data-dir DIR --origin ORIGIN --admin-key ADMIN.pub [--admin-key ...]
//   ledgerd serve --data-dir DIR [--listen 127.0.0.1:50051] [--port-file FILE]
//
// Exit codes: 0 clean shutdown (SIGINT/SIGTERM drain in-flight appends first); 1 bad usage;
// 2 the data directory cannot be opened or initialised; 3 the server cannot listen.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "ledger/core/data_dir.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "service/ledger_service.h"

namespace {

constexpr int kExitUsage = 1;
constexpr int kExitDataDir = 2;
constexpr int kExitListen = 3;
// Largest request accepted on the wire (a SignedEvent is at most 64 KiB of event bytes).
constexpr int kMaxReceiveMessageBytes = 4 * 1024 * 1024;

int Init(const std::string& data_dir, const std::string& origin,
         const std::vector<std::string>& admin_key_files) {
  std::vector<ledger::crypto::PublicKey> admins;
  for (const auto& file : admin_key_files) {
    auto key = ledger::crypto::ReadPublicKeyFile(file);
    if (!key.ok()) {
      std::cerr << "ledgerd: --admin-key " << file << ": " << key.status().message() << "\n";
      return kExitUsage;
    }
    admins.push_back(*key);
  }
  absl::Status s = ledger::core::InitDataDir(data_dir, origin, admins);
  if (!s.ok()) {
    std::cerr << "ledgerd: cannot initialise " << data_dir << ": " << s.message() << "\n";
    return kExitDataDir;
  }
  auto identity = ledger::core::ReadIdentity(data_dir);
  std::cout << "initialised " << data_dir << " for origin " << origin << "\n"
            << "checkpoint verifier key: "
            << ledger::format::NoteVerifierKey(identity->origin, identity->log_public_key)
            << "\n";
  return 0;
}

int Serve(const std::string& data_dir, const std::string& listen, const std::string& port_file) {
  // Block the shutdown signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto log = ledger::core::OpenLog(data_dir, ledger::core::LogOptions());
  if (!log.ok()) {
    std::cerr << "ledgerd: cannot open " << data_dir << ": " << log.status().message() << "\n";
    return kExitDataDir;
  }
  ledger::service::LedgerServiceImpl service(log->get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "ledgerd: cannot listen on " << listen << "\n";
    return kExitListen;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << port << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  const auto head = (*log)->Head();
  std::cerr << "ledgerd: serving " << (*log)->identity().origin << " (" << head.tree_size
            << " entries) from " << data_dir << " on port " << port << std::endl;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "ledgerd: signal " << sig << ", draining and shutting down" << std::endl;
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  });
  server->Wait();
  waiter.join();
  log->reset();  // Drains the sequencer.
  std::cerr << "ledgerd: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ledgerd: the signed, event-sourced fact ledger server"};
  app.require_subcommand(1);
  std::string data_dir, origin, listen = "127.0.0.1:50051", port_file;
  std::vector<std::string> admin_keys;

  CLI::App* init = app.add_subcommand("init", "Create a data directory and its log key");
  init->add_option("--data-dir", data_dir, "Data directory to create")->required();
  init->add_option("--origin", origin, "Log origin, e.g. example.org/factledger")->required();
  init->add_option("--admin-key", admin_keys, "Public key file of an admin (repeatable)")
      ->required();
  init->footer(
      "Example:\n  ledgerctl keygen --out admin.key\n"
      "  ledgerd init --data-dir ./data --origin example.org/factledger "
      "--admin-key admin.key.pub");

  CLI::App* serve = app.add_subcommand("serve", "Serve the ledger over gRPC");
  serve->add_option("--data-dir", data_dir, "Initialised data directory")->required();
  serve->add_option("--listen", listen, "Address to listen on (host:port; port 0 = any)")
      ->capture_default_str();
  serve->add_option("--port-file", port_file, "Write the bound port to this file");
  serve->footer("Example:\n  ledgerd serve --data-dir ./data --listen 127.0.0.1:50051");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (init->parsed()) return Init(data_dir, origin, admin_keys);
  return Serve(data_dir, listen, port_file);
}
