#include "tests/testing/shared_data.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace ledger::testing {
namespace {

bool IsDir(const std::string& path) { return ::access(path.c_str(), R_OK | X_OK) == 0; }

}  // namespace

std::optional<std::string> SharedDataDir() {
  if (const char* env = ::getenv("LEDGER_SHARED_DIR"); env != nullptr && *env != '\0') {
    std::string dir = std::string(env) + "/data";
    if (IsDir(dir)) return dir;
  }
  // Runfiles are symlinks into the source tree: follow one back to find the workspace.
  if (const char* srcdir = ::getenv("TEST_SRCDIR"); srcdir != nullptr) {
    std::string marker = std::string(srcdir) + "/factledger/tests/testing/shared_data.h";
    char resolved[PATH_MAX];
    if (::realpath(marker.c_str(), resolved) != nullptr) {
      std::string path(resolved);
      for (int i = 0; i < 3; ++i) path = path.substr(0, path.rfind('/'));  // workspace root
      std::string dir = path.substr(0, path.rfind('/')) + "/shared/data";
      if (IsDir(dir)) return dir;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace ledger::testing
