#include "tests/testing/child_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/testing/wait_for.h"

extern char** environ;

namespace ledger::reliability {
namespace {

ExitStatus Decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) s.code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) s.signal = WTERMSIG(wstatus);
  return s;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (signal != 0) return absl::StrCat("killed by signal ", signal);
  return absl::StrCat("exit code ", code);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::vector<std::string>& env,
    const std::string& output_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "LEDGER_CRASH_AT=")) env_strings.emplace_back(*e);
  }
  for (const std::string& e : env) env_strings.push_back(e);
  std::vector<char*> envp, args;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (std::string& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot spawn ", argv[0], ": ", std::strerror(rc)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, output_path));
}

ChildProcess::~ChildProcess() {
  if (!status_.has_value()) Kill(SIGKILL);
}

std::optional<ExitStatus> ChildProcess::Poll() {
  if (status_.has_value()) return status_;
  int wstatus = 0;
  if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) status_ = Decode(wstatus);
  return status_;
}

ExitStatus ChildProcess::Wait() {
  while (!status_.has_value()) {
    int wstatus = 0;
    const pid_t r = ::waitpid(pid_, &wstatus, 0);
    if (r == pid_) {
      status_ = Decode(wstatus);
    } else if (r < 0 && errno != EINTR) {
      status_ = ExitStatus{};
    }
  }
  return *status_;
}

ExitStatus ChildProcess::Kill(int signal) {
  if (!status_.has_value()) ::kill(pid_, signal);
  return Wait();
}

std::string ChildProcess::Output() const { return ReadFileOrEmpty(output_path_); }

absl::StatusOr<RunResult> RunProgram(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env,
                              const std::string& output_path) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> p = ChildProcess::Spawn(argv, env, output_path);
  if (!p.ok()) return p.status();
  RunResult r;
  r.status = (*p)->Wait();
  r.output = (*p)->Output();
  return r;
}

absl::StatusOr<std::unique_ptr<LedgerdServer>> LedgerdServer::Start(
    const std::string& ledgerd, const std::string& data_dir, const std::string& work_dir,
    const std::vector<std::string>& env, ExitStatus* exit_status, absl::Duration timeout,
    const std::vector<std::string>& extra_args) {
  static int serial = 0;
  const std::string tag = absl::StrCat(::getpid(), "-", ++serial);
  const std::string port_file = absl::StrCat(work_dir, "/ledgerd-", tag, ".port");
  const std::string log_file = absl::StrCat(work_dir, "/ledgerd-", tag, ".log");
  ::unlink(port_file.c_str());
  std::vector<std::string> argv = {ledgerd,       "serve",       "--data-dir", data_dir,
                                   "--listen",    "127.0.0.1:0", "--port-file", port_file,
                                   "--min-free-bytes", "0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> p = ChildProcess::Spawn(argv, env, log_file);
  if (!p.ok()) return p.status();
  // Polling: the server announces readiness only through the port file.
  int port = 0;
  std::optional<ExitStatus> done;
  testing::WaitFor(
      [&] {
        const std::string text = ReadFileOrEmpty(port_file);
        int parsed = 0;
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &parsed) && parsed > 0) {
          port = parsed;
          return true;
        }
        done = (*p)->Poll();
        return done.has_value();
      },
      timeout, absl::Milliseconds(2));
  if (port > 0) return std::unique_ptr<LedgerdServer>(new LedgerdServer(*std::move(p), port));
  if (done.has_value()) {
    if (exit_status != nullptr) *exit_status = *done;
    return absl::FailedPreconditionError(
        absl::StrCat("ledgerd ended before listening (", done->ToString(), "): ", (*p)->Output()));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("ledgerd did not listen within ", absl::FormatDuration(timeout), ": ",
                   (*p)->Output()));
}

int RunProcessTests(int argc, char** argv, const char* test_name, std::string* ledgerd,
                    std::string* ledgerctl) {
  ::testing::InitGoogleTest(&argc, argv);  // takes out the --gtest_* flags
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--ledgerd=")) *ledgerd = std::string(arg);
    if (ledgerctl != nullptr && absl::ConsumePrefix(&arg, "--ledgerctl=")) {
      *ledgerctl = std::string(arg);
    }
  }
  if (ledgerd->empty() || (ledgerctl != nullptr && ledgerctl->empty())) {
    std::fprintf(stderr, "usage: %s --ledgerd=PATH%s\n", test_name,
                 ledgerctl != nullptr ? " --ledgerctl=PATH" : "");
    return 2;
  }
  return RUN_ALL_TESTS();
}

}  // namespace ledger::reliability
