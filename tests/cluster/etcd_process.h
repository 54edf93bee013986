// EtcdProcess: a real single-member etcd (Debian's /usr/bin/etcd) for tests, on loopback ports
// chosen by the kernel, its data directory under TEST_TMPDIR; killed (SIGKILL) and reaped by the
// destructor.
//
// Example:
//   auto etcd = EtcdProcess::Start("etcd-1");
//   ASSERT_TRUE(etcd.ok()) << etcd.status();
//   auto client = EtcdClient::Connect((*etcd)->endpoint(), absl::Seconds(2));
#ifndef TESTS_CLUSTER_ETCD_PROCESS_H_
#define TESTS_CLUSTER_ETCD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ledger::testing {

class EtcdProcess {
 public:
  // Starts etcd named `name` and waits (up to 30 s) until it answers a read.
  static absl::StatusOr<std::unique_ptr<EtcdProcess>> Start(const std::string& name);
  ~EtcdProcess();
  // "http://127.0.0.1:PORT".
  const std::string& endpoint() const { return endpoint_; }
  pid_t pid() const { return pid_; }

 private:
  EtcdProcess(pid_t pid, std::string endpoint) : pid_(pid), endpoint_(std::move(endpoint)) {}
  pid_t pid_;
  std::string endpoint_;
};

// A TCP port free on 127.0.0.1 now (bound to port 0, then closed).
int FreeLoopbackPort();

}  // namespace ledger::testing

#endif  // TESTS_CLUSTER_ETCD_PROCESS_H_
