#include "ledger/base/crash_point.h"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ledger::crash_point_internal {
namespace {

constexpr char kEnvVar[] = "LEDGER_CRASH_AT";
constexpr int kCrashExitCode = 137;  // 128 + SIGKILL: indistinguishable from kill -9.

struct Target {
  std::string name;   // empty: disarmed
  uint64_t nth = 1;   // die at this hit of `name`
  std::atomic<uint64_t> hits{0};
};

// Parses "name" or "name:N" (N >= 1). Anything after a ':' that is not a positive number is
// part of the name.
Target* ParseTarget() {
  auto* t = new Target();  // Lives until exit, like the process's environment.
  const char* value = std::getenv(kEnvVar);
  if (value == nullptr || *value == '\0') return t;
  std::string spec(value);
  const size_t colon = spec.rfind(':');
  if (colon != std::string::npos && colon + 1 < spec.size() &&
      spec.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    const uint64_t n = std::strtoull(spec.c_str() + colon + 1, nullptr, 10);
    if (n >= 1) {
      t->nth = n;
      spec.resize(colon);
    }
  }
  t->name = spec;
  return t;
}

Target& GetTarget() {
  static Target* const target = ParseTarget();
  return *target;
}

void WriteAll(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, size);
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

bool ReadArmed() { return !GetTarget().name.empty(); }

void Hit(const char* name) {
  Target& t = GetTarget();
  if (t.name.empty() || t.name != name) return;
  if (t.hits.fetch_add(1) + 1 != t.nth) return;
  const std::string line = std::string("LEDGER_CRASH_AT: crashing at ") + name + "\n";
  WriteAll(line.data(), line.size());
  ::_exit(kCrashExitCode);
}

}  // namespace ledger::crash_point_internal
