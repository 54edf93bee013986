// tail: entries as they are appended (Subscribe), from --from N or from the head, printed as
// `log` prints them, until SIGINT / SIGTERM (exit 0) or the server ends the stream (exit 3,
// with where to resume).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/log_reader.h"
#include "cli/output.h"

namespace ledger::cli {
namespace {

struct TailFlags {
  ServerOptions server;
  bool json = false;
  int64_t from = 0;
  CLI::Option* from_option = nullptr;
};

// SIGINT and SIGTERM cancel the stream: the handler only writes a byte to a pipe (all it may
// do), and a thread reading the pipe cancels the call. Never freed on purpose: the thread may
// still wait when the command returns, and the process ends right after. g_interrupt keeps it
// reachable, so a leak checker does not report it once the thread has ended (it did, under
// ASan, whenever the thread finished before the process exited).
struct Interrupt {
  grpc::ClientContext ctx;
  std::atomic<bool> signalled{false};
};
Interrupt* g_interrupt = nullptr;
int g_interrupt_pipe[2] = {-1, -1};

void OnSignal(int) {
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(g_interrupt_pipe[1], &byte, 1);
}

absl::Status CancelOnSignal(Interrupt* interrupt) {
  if (::pipe2(g_interrupt_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("tail: cannot create the signal pipe");
  }
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::thread([interrupt] {
    char byte;
    while (::read(g_interrupt_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    interrupt->signalled = true;
    interrupt->ctx.TryCancel();
  }).detach();
  return absl::OkStatus();
}

int RunTail(const TailFlags& f) {
  if (f.from < 0) {
    std::cerr << "ledgerctl: --from must be a sequence number, 0 or more (got " << f.from
              << ")\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<LedgerClient>> client = LedgerClient::Connect(f.server);
  if (!client.ok()) return ReportOpenError(client.status());
  uint64_t start = static_cast<uint64_t>(f.from);
  if (f.from_option->count() == 0) {
    absl::StatusOr<ledger::v1::GetLogInfoResponse> info = (*client)->GetLogInfo();
    if (!info.ok()) return ReportError(info.status());
    start = info->tree_size();
  }
  auto* interrupt = new Interrupt();
  g_interrupt = interrupt;
  if (absl::Status s = CancelOnSignal(interrupt); !s.ok()) return ReportError(s);

  uint64_t next = start;
  absl::Status bad_entry;
  absl::Status s = (*client)->Subscribe(start, &interrupt->ctx, [&](const ledger::v1::Entry& e) {
    if (e.sequence() != next) {
      bad_entry = absl::DataLossError(absl::StrCat("the server sent entry ", e.sequence(),
                                                   " where entry ", next, " was due"));
      return false;
    }
    // As `log`: shown from the leaf data the Merkle tree covers, never from fields beside it.
    absl::StatusOr<ledger::v1::Entry> entry = EntryFromLeafData(e.sequence(), e.leaf_data());
    if (!entry.ok()) {
      bad_entry = entry.status();
      return false;
    }
    std::cout << (f.json ? EntryJson(*entry) : EntryRow(*entry)) << std::endl;
    ++next;
    return true;
  });
  if (!bad_entry.ok()) return ReportError(bad_entry);
  if (interrupt->signalled) return kExitOk;
  if (next == start && !s.ok()) return ReportError(s);  // e.g. the server cannot be reached
  std::cerr << "ledgerctl: the stream from " << f.server.address << " ended"
            << (next > start ? absl::StrCat(" after entry ", next - 1) : std::string())
            << (s.ok() ? std::string(": the server closed it")
                       : absl::StrCat(": ", s.message()))
            << "; resume with --from " << next << "\n";
  return kExitUnreachable;
}

}  // namespace

void AddTailCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<TailFlags>();
  CLI::App* cmd = app->add_subcommand(
      "tail", "Follow the log: print entries as they are appended (online)");
  AddServerFlags(cmd, &f->server);
  AddJsonFlag(cmd, &f->json);
  f->from_option = cmd->add_option(
      "--from", f->from, "Sequence number to start at (default: the next entry appended)");
  SetExamples(cmd,
              "Rows as `log` prints them (--json: as `log --json`), flushed one by one. Ctrl-C\n"
              "(SIGINT) or SIGTERM ends it with exit 0; when the server ends the stream, exit 3\n"
              "says which --from resumes it (every entry arrives exactly once).\n"
              "Examples:\n  ledgerctl tail\n  ledgerctl tail --from 0 --json | jq .event_id");
  table->Add(cmd, [f] { return RunTail(*f); });
}

}  // namespace ledger::cli
