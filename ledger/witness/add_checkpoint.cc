#include "ledger/witness/add_checkpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ledger::witness {
namespace {

// A decimal without leading zeros ("0" alone allowed) that fits in 64 bits.
bool ParseCanonicalDecimal(absl::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, out);
}

}  // namespace

std::string EncodeAddCheckpointRequest(const AddCheckpointRequest& request) {
  std::string out = absl::StrCat("old ", request.old_size, "\n");
  for (const Hash& h : request.proof) {
    absl::StrAppend(&out, absl::Base64Escape(AsStringView(h)), "\n");
  }
  absl::StrAppend(&out, "\n", request.checkpoint);
  return out;
}

absl::StatusOr<AddCheckpointRequest> ParseAddCheckpointRequest(absl::string_view body) {
  if (body.size() > kMaxAddCheckpointBodyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request body is ", body.size(),
                                                   " bytes; the limit is ",
                                                   kMaxAddCheckpointBodyBytes));
  }
  AddCheckpointRequest request;
  size_t pos = 0;
  auto next_line = [&](absl::string_view* line) {
    const size_t nl = body.find('\n', pos);
    if (nl == absl::string_view::npos) return false;
    *line = body.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  absl::string_view line;
  if (!next_line(&line) || !absl::ConsumePrefix(&line, "old ") ||
      !ParseCanonicalDecimal(line, &request.old_size)) {
    return absl::InvalidArgumentError(
        "line 1 must be \"old <size>\": a decimal without leading zeros, ending in a newline");
  }
  for (int n = 2;; ++n) {
    if (!next_line(&line)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", n, ": no empty line before the checkpoint (each line ends in a newline)"));
    }
    if (line.empty()) break;
    if (request.proof.size() == kMaxConsistencyProofLines) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", n, ": more than ", kMaxConsistencyProofLines, " consistency proof lines"));
    }
    std::string hash;
    if (!absl::Base64Unescape(line, &hash) || hash.size() != 32 ||
        absl::Base64Escape(hash) != line) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", n, ": a consistency proof line must be a 32-byte hash in padded base64"));
    }
    request.proof.push_back(HashFromBytes(hash));
  }
  request.checkpoint = std::string(body.substr(pos));
  if (request.checkpoint.empty()) {
    return absl::InvalidArgumentError("no checkpoint after the empty line");
  }
  return request;
}

std::string EncodeTlogSize(TreeSize size) { return absl::StrCat(size, "\n"); }

absl::StatusOr<TreeSize> ParseTlogSize(absl::string_view body) {
  uint64_t size = 0;
  if (!absl::ConsumeSuffix(&body, "\n") || !ParseCanonicalDecimal(body, &size)) {
    return absl::InvalidArgumentError(
        "a text/x.tlog.size body must be a decimal without leading zeros and a newline");
  }
  return size;
}

}  // namespace ledger::witness
