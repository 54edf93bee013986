// `ledgerctl import`: the line formats (cli/import_formats.h: JSON Lines of EventDraft, export
// lines, LIAR TSV rows), then what import does with them -- sign each draft, drop what the
// server would refuse (the same admission checks), and append the rest with the importer
// (cli/importer.h) in batches, one by one after a refused batch -- against a real log behind
// the real gRPC service adapter, its statuses converted to the wire and back as ledgerctl's
// client does (service ToGrpcStatus -> cli FromGrpcStatus).
//
// Input: a format byte (% 3: jsonl, export, liar), an options byte (batch size 1..8; bit 3: one
// signature per batch, as `--signature batch`), then the file.
// Invariants: a LIAR row gives exactly its claim and its verdict, with well-formed ids; a JSON
// line's draft survives MessageToJsonString -> parse unchanged; the import decides every event
// (appended + already present + refused), and every event not refused is in the log afterwards
// with its own bytes.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/client.h"
#include "cli/import_formats.h"
#include "cli/importer.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "ledger/crypto/sha256.h"
#include "service/ledger_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

namespace v1 = ledger::v1;

constexpr const char* kFormats[] = {"jsonl", "export", "liar"};

// ledgerctl's ClientTarget, with the service called in-process instead of over the network.
class ServiceTarget : public cli::AppendTarget {
 public:
  ServiceTarget(service::LedgerServiceImpl* service, bool batch_signature)
      : service_(service), batch_signature_(batch_signature) {}

  absl::StatusOr<v1::AppendBatchResponse> AppendBatch(
      const std::vector<v1::SignedEvent>& events) override {
    v1::AppendBatchResponse response;
    grpc::Status status;
    if (batch_signature_) {
      v1::AppendSignedBatchRequest request;
      *request.mutable_batch() = cli::SignImportBatch(kOrigin, events, SignerKey(0));
      status = service_->AppendSignedBatch(nullptr, &request, &response);
    } else {
      v1::AppendBatchRequest request;
      for (const auto& e : events) *request.add_events() = e;
      status = service_->AppendBatch(nullptr, &request, &response);
    }
    absl::Status s = cli::FromGrpcStatus(status, "AppendBatch");
    if (!s.ok()) return s;
    return response;
  }

  absl::StatusOr<v1::AppendResponse> Append(const v1::SignedEvent& event) override {
    v1::AppendRequest request;
    *request.mutable_event() = event;
    v1::AppendResponse response;
    absl::Status s = cli::FromGrpcStatus(service_->AppendAndWait(&request, &response), "Append");
    if (!s.ok()) return s;
    return response;
  }

 private:
  service::LedgerServiceImpl* service_;
  const bool batch_signature_;
};

void CheckDrafts(const std::string& format, const std::string& line,
                 const std::vector<v1::EventDraft>& drafts) {
  if (format == "liar") {
    FUZZ_CHECK(drafts.size() == 2);
    const std::string& id = drafts[0].event_id();
    FUZZ_CHECK(absl::StartsWith(id, "liar-"));
    FUZZ_CHECK(drafts[1].event_id() == id + "-verdict");
    FUZZ_CHECK(core::ValidateEventId(drafts[1].event_id()).ok());
    FUZZ_CHECK(drafts[0].event().has_claim_asserted());
    FUZZ_CHECK(drafts[1].event().claim_reviewed().claim_id() == id);
    const int rating = drafts[1].event().claim_reviewed().rating_value();
    FUZZ_CHECK(rating >= 0 && rating <= 5);
    return;
  }
  FUZZ_CHECK(drafts.size() == 1);
  if (format == "export") FUZZ_CHECK(!drafts[0].event_id().empty());
  std::string json;
  const auto printed = google::protobuf::util::MessageToJsonString(drafts[0], &json);
  FUZZ_CHECK_MSG(printed.ok(), printed.ToString());
  const absl::StatusOr<std::vector<v1::EventDraft>> again = cli::ParseImportLine("jsonl", json);
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString() + " for " + json);
  FUZZ_CHECK_MSG(again->size() == 1 &&
                     google::protobuf::util::MessageDifferencer::Equals((*again)[0], drafts[0]),
                 "JSON print -> parse changed the draft: " + json);
}

void Run(Input* in) {
  const std::string format = kFormats[in->U8() % 3];
  const uint8_t options_byte = in->U8();
  const std::string file = in->Rest();

  // RunImport's loop: parse, sign, keep what the server would accept.
  std::vector<cli::ImportItem> items;
  uint64_t skipped = 0;
  std::istringstream stream(file);
  std::string text;
  int line_number = 0;
  while (std::getline(stream, text) && items.size() < 64) {
    ++line_number;
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    absl::StatusOr<std::vector<v1::EventDraft>> drafts = cli::ParseImportLine(format, text);
    FUZZ_EXPECT_VALID(drafts.status());
    if (!drafts.ok()) {
      FUZZ_CHECK(absl::IsInvalidArgument(drafts.status()));
      skipped += format == "liar" ? 2 : 1;
      continue;
    }
    CheckDrafts(format, text, *drafts);
    std::vector<cli::ImportItem> line_items;
    absl::Status problem;
    for (const v1::EventDraft& d : *drafts) {
      cli::ImportItem item;
      item.where = absl::StrCat("fuzz:", line_number);
      item.event = client::SignEvent(kOrigin, d.event_id(), d.event(), SignerKey(0));
      problem = core::ValidateEnvelope(item.event);
      if (problem.ok()) problem = core::ParseAndValidateEvent(item.event.event(), kNowMicros).status();
      FUZZ_EXPECT_VALID(problem);
      if (!problem.ok()) break;
      line_items.push_back(std::move(item));
    }
    if (!problem.ok()) {
      skipped += drafts->size();
      continue;
    }
    for (cli::ImportItem& item : line_items) items.push_back(std::move(item));
  }

  LogUnderTest target_log;
  service::LedgerServiceImpl service(target_log.log.get());
  ServiceTarget target(&service, (options_byte & 8) != 0);
  cli::ImportOptions options;
  options.batch_size = 1 + options_byte % 8;
  std::vector<std::string> refused;
  options.on_refused = [&refused](const cli::ImportItem& item, const absl::Status& status) {
    refused.push_back(item.event.event_id());
    FUZZ_EXPECT_VALID(status);
  };
  cli::ImportCounts counts;
  const absl::Status outcome = cli::ImportEvents(items, &target, options, &counts);
  FUZZ_CHECK_MSG(outcome.ok(), outcome.ToString());
  FUZZ_CHECK(counts.appended + counts.already_present + counts.refused == items.size());
  FUZZ_CHECK(counts.refused == refused.size());
  FUZZ_CHECK(target_log.log->Head().tree_size == counts.appended);
  for (const cli::ImportItem& item : items) {
    bool was_refused = false;
    for (const std::string& id : refused) was_refused = was_refused || id == item.event.event_id();
    if (was_refused) continue;
    absl::StatusOr<std::optional<store::EventIdRecord>> stored =
        target_log.store->GetEventId(item.event.event_id());
    FUZZ_CHECK(stored.ok() && stored->has_value());
    FUZZ_CHECK((*stored)->event_hash == crypto::Sha256(item.event.event()));
  }
  (void)skipped;
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  ledger::fuzz::Run(&in);
  return 0;
}
