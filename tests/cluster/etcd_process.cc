#include "tests/cluster/etcd_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/cluster/etcd_client.h"
#include "tests/testing/wait_for.h"

namespace ledger::testing {

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::Start(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  static std::atomic<int> started{0};
  // A fresh data directory per start: a test never sees an earlier test's keys.
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "-",
                                       ::getpid(), "-", started.fetch_add(1));
  const int client_port = FreeLoopbackPort();
  const int peer_port = FreeLoopbackPort();
  const std::string client = absl::StrCat("http://127.0.0.1:", client_port);
  const std::string peer = absl::StrCat("http://127.0.0.1:", peer_port);
  std::vector<std::string> args = {"/usr/bin/etcd",
                                   "--name", name,
                                   "--data-dir", dir,
                                   "--listen-client-urls", client,
                                   "--advertise-client-urls", client,
                                   "--listen-peer-urls", peer,
                                   "--initial-advertise-peer-urls", peer,
                                   "--initial-cluster", absl::StrCat(name, "=", peer)};
  const std::string log_file = absl::StrCat(dir, ".log");
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::unique_ptr<EtcdProcess> process(new EtcdProcess(pid, client));
  // Connect only once etcd serves: connections opened while it listens but does not serve yet
  // hang, and gRPC's reconnect backoff then delays the first call by seconds.
  auto serving = [&log_file] {
    std::ifstream in(log_file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str().find("ready to serve client requests") != std::string::npos;
  };
  WaitFor(serving, absl::Seconds(30), absl::Milliseconds(20));
  auto etcd = cluster::EtcdClient::Connect(client, absl::Seconds(1));
  if (!etcd.ok()) return etcd.status();
  absl::Status last;
  if (!WaitFor(
          [&] {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
              process->pid_ = -1;
              last = absl::InternalError(absl::StrCat("etcd exited; see ", log_file));
              return true;
            }
            last = (*etcd)->Get("/ping").status();
            return last.ok();
          },
          absl::Seconds(30), absl::Milliseconds(50))) {
    return absl::UnavailableError(absl::StrCat("etcd did not start: ", last.ToString()));
  }
  if (!last.ok()) return last;
  return process;
}

EtcdProcess::~EtcdProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace ledger::testing
