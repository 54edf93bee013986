// Child processes for the crash tests: spawn ledgerd / ledgerctl with their output in a file,
// kill them, and learn how they ended.
#ifndef TESTS_TESTING_CHILD_PROCESS_H_
#define TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ledger::reliability {

// How a process ended: exit code, or the signal that killed it.
struct ExitStatus {
  int code = -1;   // when it exited
  int signal = 0;  // when a signal killed it
  bool Exited(int c) const { return signal == 0 && code == c; }
  bool KilledBy(int s) const { return signal == s; }
  std::string ToString() const;
};

// A spawned program. Kills (SIGKILL) and reaps it on destruction if it still runs.
// Thread-compatible.
class ChildProcess {
 public:
  // Spawns argv[0] (a path) with `argv`. The environment is ours without LEDGER_CRASH_AT, plus
  // `env` ("NAME=VALUE" each). stdout and stderr go to `output_path` (truncated).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(
      const std::vector<std::string>& argv, const std::vector<std::string>& env,
      const std::string& output_path);

  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Non-blocking: the exit status once it has ended.
  std::optional<ExitStatus> Poll();
  ExitStatus Wait();
  // Sends `signal` and waits.
  ExitStatus Kill(int signal);
  // Everything the process wrote so far.
  std::string Output() const;

 private:
  ChildProcess(pid_t pid, std::string output_path) : pid_(pid), output_path_(output_path) {}
  pid_t pid_;
  std::string output_path_;
  std::optional<ExitStatus> status_;
};

// Runs a program to completion (see Spawn); returns how it ended and its output.
struct RunResult {
  ExitStatus status;
  std::string output;
};
absl::StatusOr<RunResult> RunProgram(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, const std::string& output_path);

// A running `ledgerd serve` on 127.0.0.1 with a free port.
class LedgerdServer {
 public:
  // Starts it and waits until it listens (its --port-file appears), or it exits, or `timeout`
  // passes. When it exits first, returns FailedPrecondition with the exit status and output;
  // `exit_status` (if not null) receives the exit status. `extra_args` go after the usual
  // ones (e.g. {"--anchor-dir", DIR}).
  static absl::StatusOr<std::unique_ptr<LedgerdServer>> Start(
      const std::string& ledgerd, const std::string& data_dir, const std::string& work_dir,
      const std::vector<std::string>& env = {}, ExitStatus* exit_status = nullptr,
      absl::Duration timeout = absl::Seconds(30),
      const std::vector<std::string>& extra_args = {});

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return *process_; }

 private:
  LedgerdServer(std::unique_ptr<ChildProcess> p, int port)
      : process_(std::move(p)), port_(port) {}
  std::unique_ptr<ChildProcess> process_;
  int port_;
};

// Reads a whole file ("" when it cannot).
std::string ReadFileOrEmpty(const std::string& path);

// The main() of a process-level test, which drives the binaries its BUILD target names with
// --ledgerd=PATH and --ledgerctl=PATH ($(rootpath ...)): initialises gtest, stores the paths in
// *ledgerd and (unless it is null) *ledgerctl, and runs every test. Returns 2, after printing
// the usage line for `test_name` on stderr, when one of them is missing.
//
// Example:
//   int main(int argc, char** argv) {
//     return ledger::reliability::RunProcessTests(argc, argv, "resource_test",
//                                                 &ledger::reliability::g_ledgerd,
//                                                 &ledger::reliability::g_ledgerctl);
//   }
int RunProcessTests(int argc, char** argv, const char* test_name, std::string* ledgerd,
                    std::string* ledgerctl = nullptr);

}  // namespace ledger::reliability

#endif  // TESTS_TESTING_CHILD_PROCESS_H_
