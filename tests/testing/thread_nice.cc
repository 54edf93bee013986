#include "tests/testing/thread_nice.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace ledger::testing {

std::vector<int> NiceOfThreads(pid_t pid, const std::string& name) {
  std::vector<int> out;
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "tid (name) state ...": the name may hold spaces and parentheses, so it ends at the last ')'.
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 > stat.size()) {
      continue;
    }
    if (stat.substr(open + 1, close - open - 1) != name) continue;
    std::istringstream fields(stat.substr(close + 2));  // field 3 (state) onwards; nice is 19
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19) out.push_back(std::stoi(field));
    }
  }
  return out;
}

}  // namespace ledger::testing
