#include "ledger/witness/witness.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/file_util.h"
#include "ledger/base/logging.h"
#include "ledger/crypto/sha256.h"
#include "ledger/merkle/verify.h"
#include "ledger/witness/add_checkpoint.h"

namespace ledger::witness {
namespace {

Witness::Reply Text(int status, std::string message) {
  return {status, "text/plain; charset=utf-8", absl::StrCat(message, "\n")};
}

Witness::Reply Conflict(TreeSize latest) {
  return {409, std::string(kTlogSizeContentType), EncodeTlogSize(latest)};
}

const format::NoteVerifier* FindLog(const WitnessOptions& o, absl::string_view origin) {
  for (const auto& log : o.logs) {
    if (log.name == origin) return &log;
  }
  return nullptr;
}

}  // namespace

std::string Witness::StateFile(absl::string_view state_dir, absl::string_view origin) {
  return absl::StrCat(state_dir, "/log-", HexEncode(crypto::Sha256Concat({origin})));
}

absl::StatusOr<std::unique_ptr<Witness>> Witness::Open(WitnessOptions options) {
  if (absl::Status s = format::ValidateOrigin(options.name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("witness name: ", s.message()));
  }
  if (options.key == nullptr) return absl::InvalidArgumentError("witness: no signing key");
  for (size_t i = 0; i < options.logs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (options.logs[i].name == options.logs[j].name) {
        return absl::InvalidArgumentError(
            absl::StrCat("log ", options.logs[i].name, " is configured twice"));
      }
    }
  }
  if (::mkdir(options.state_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", options.state_dir, ": ",
                                            std::strerror(errno)));
  }
  if (!options.now_seconds) {
    options.now_seconds = [] { return static_cast<uint64_t>(std::time(nullptr)); };
  }
  std::unique_ptr<Witness> w(new Witness(std::move(options)));
  absl::MutexLock lock(&w->mu_);
  for (const auto& log : w->options_.logs) {
    const std::string path = StateFile(w->options_.state_dir, log.name);
    absl::StatusOr<std::string> note = ReadFileToString(path, kMaxSignedNoteBytes);
    if (absl::IsNotFound(note.status())) continue;
    if (!note.ok()) return note.status();
    absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(*note, log);
    if (!cp.ok()) {
      return absl::DataLossError(absl::StrCat("witness state ", path, " of ", log.name,
                                              ": ", cp.status().message()));
    }
    w->latest_[log.name] = *cp;
  }
  return w;
}

std::string Witness::VerifierKey() const {
  return CosignerVerifierKey({options_.name, options_.key->public_key()});
}

std::optional<format::Checkpoint> Witness::Latest(absl::string_view origin) const {
  absl::MutexLock lock(&mu_);
  auto it = latest_.find(origin);
  if (it == latest_.end()) return std::nullopt;
  return it->second;
}

Witness::Reply Witness::AddCheckpoint(absl::string_view body) {
  absl::StatusOr<AddCheckpointRequest> request = ParseAddCheckpointRequest(body);
  if (!request.ok()) return Text(400, std::string(request.status().message()));
  absl::StatusOr<format::Checkpoint> unverified =
      format::ParseCheckpointUnverified(request->checkpoint);
  if (!unverified.ok()) {
    return Text(400, absl::StrCat("checkpoint: ", unverified.status().message()));
  }
  const format::NoteVerifier* log = FindLog(options_, unverified->origin);
  if (log == nullptr) {
    return Text(404, absl::StrCat("unknown log origin \"", unverified->origin, "\""));
  }
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(request->checkpoint, *log);
  if (!cp.ok()) {
    if (absl::IsInvalidArgument(cp.status())) {
      return Text(400, absl::StrCat("checkpoint: ", cp.status().message()));
    }
    return Text(403, absl::StrCat("no signature by the trusted key of ", log->name,
                                  " verifies: ", cp.status().message()));
  }
  if (request->old_size > cp->tree_size) {
    return Text(400, absl::StrCat("old size ", request->old_size,
                                  " is larger than the checkpoint's size ", cp->tree_size));
  }
  absl::StatusOr<SignedNote> note = SplitSignedNote(request->checkpoint);
  if (!note.ok()) return Text(400, absl::StrCat("checkpoint: ", note.status().message()));

  absl::MutexLock lock(&mu_);
  auto it = latest_.find(cp->origin);
  const TreeSize latest_size = it == latest_.end() ? 0 : it->second.tree_size;
  if (request->old_size != latest_size) return Conflict(latest_size);
  if (request->old_size == cp->tree_size && it != latest_.end()) {
    if (it->second.root_hash != cp->root_hash) {
      LogEvent(LogLevel::kError, "witness: a signed checkpoint of the same size with another root",
               {{"origin", cp->origin}, {"tree_size", absl::StrCat(cp->tree_size)}});
      return Conflict(latest_size);
    }
  }
  if (!request->proof.empty() &&
      (request->old_size == 0 || request->old_size == cp->tree_size)) {
    return Text(422, absl::StrCat("the consistency proof from size ", request->old_size,
                                  " to ", cp->tree_size, " must be empty, got ",
                                  request->proof.size(), " lines"));
  }
  if (request->old_size > 0 && request->old_size < cp->tree_size) {
    absl::Status s = merkle::VerifyConsistency(request->old_size, cp->tree_size,
                                               it->second.root_hash, cp->root_hash,
                                               request->proof);
    if (!s.ok()) {
      // A validly signed checkpoint that does not extend the one we cosigned: evidence.
      LogEvent(LogLevel::kError, "witness: consistency proof does not verify",
               {{"origin", cp->origin},
                {"old_size", absl::StrCat(request->old_size)},
                {"tree_size", absl::StrCat(cp->tree_size)},
                {"error", std::string(s.message())}});
      return Text(422, absl::StrCat("the consistency proof from size ", request->old_size,
                                    " to ", cp->tree_size, " does not verify: ", s.message()));
    }
  }
  // Persist before replying (nothing changes for a re-submission of the same checkpoint, but
  // writing it again is harmless and keeps one path).
  const std::string path = StateFile(options_.state_dir, cp->origin);
  if (absl::Status s = WriteFileAtomically(path, request->checkpoint); !s.ok()) {
    LogEvent(LogLevel::kError, "witness: cannot persist state",
             {{"origin", cp->origin}, {"error", std::string(s.message())}});
    return Text(500, "the witness could not persist its state; nothing was cosigned");
  }
  latest_[cp->origin] = *cp;
  LEDGER_CRASH_POINT("witness-after-persist");
  uint64_t now = options_.now_seconds();
  if (now > kMaxCosignatureTimestamp) now = kMaxCosignatureTimestamp;
  return {200, "text/plain; charset=utf-8",
          CosignatureLine(options_.name, *options_.key, note->text, now)};
}

}  // namespace ledger::witness
