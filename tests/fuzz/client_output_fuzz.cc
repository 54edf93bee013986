// What ledgerctl does with the entries a server sends (`log`, `log --json`, `export`, `show`,
// cli/output.h): entries are untrusted bytes from the network. And the round trip the docs
// promise: an `export` line imports again (`import --format export`) as the same event id and
// event.
//
// Input: a mode byte, then
//   mode even  a ledger.v1.Entry as bytes
//   mode odd   an entry of the sample log (index byte) whose event is mutated field by field
//              (fuzz_support.h MutateMessage, from the rest of the input)
// Invariants: EntryJson is always one valid JSON document (our strict parser and nlohmann
// agree); when the event parses, the JSON line imports back to the same event id and event;
// every renderer returns (and Truncate never cuts a UTF-8 sequence).
#include <string>

#include "absl/strings/match.h"
#include "cli/import_formats.h"
#include "cli/json.h"
#include "cli/output.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "nlohmann/json.hpp"
#include "service/ledger_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

namespace v1 = ledger::v1;

bool ValidUtf8Prefix(const std::string& s) {
  // Truncate's promise: no UTF-8 sequence is cut. A cut one would leave a lead byte without
  // all of its continuation bytes at the end (before "...").
  std::string body = s;
  if (absl::EndsWith(body, "...")) body.resize(body.size() - 3);
  size_t i = body.size();
  size_t continuation = 0;
  while (i > 0 && (static_cast<unsigned char>(body[i - 1]) & 0xc0) == 0x80 && continuation < 4) {
    --i;
    ++continuation;
  }
  if (i == 0) return true;
  const unsigned char lead = static_cast<unsigned char>(body[i - 1]);
  const size_t want = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  return lead < 0xc0 || continuation >= want;
}

void Check(const v1::Entry& entry) {
  const std::string json = cli::EntryJson(entry);
  const absl::StatusOr<cli::Json> parsed = cli::ParseJson(json);
  FUZZ_CHECK_MSG(parsed.ok(), parsed.status().ToString() + " in " + json.substr(0, 200));
  FUZZ_CHECK(nlohmann::json::accept(json));
  FUZZ_CHECK(parsed->is_object());

  const absl::StatusOr<v1::Event> event = core::ParseStoredEvent(entry.signed_event().event());
  FUZZ_EXPECT_VALID(event.status());
  if (event.ok() && !entry.signed_event().event_id().empty()) {
    const absl::StatusOr<std::vector<v1::EventDraft>> drafts = cli::ParseImportLine("export", json);
    FUZZ_CHECK_MSG(drafts.ok(), drafts.status().ToString());
    FUZZ_CHECK(drafts->size() == 1);
    FUZZ_CHECK((*drafts)[0].event_id() == entry.signed_event().event_id());
    FUZZ_CHECK_MSG(google::protobuf::util::MessageDifferencer::Equals((*drafts)[0].event(), *event),
                   "export -> import changed the event");
    // And the imported draft serialises to the very bytes that were signed.
    FUZZ_CHECK(client::SerializeEvent((*drafts)[0].event()) == entry.signed_event().event());
    FUZZ_CHECK(!cli::EventDetail(*event).empty());
    cli::EventSummary(*event);
    cli::EventTypeName(*event);
  }
  const std::string row = cli::EntryRow(entry);
  FUZZ_CHECK(!row.empty());
  for (size_t n : {0, 1, 3, 4, 34, 100}) {
    const std::string cut = cli::Truncate(entry.signed_event().event_id(), n);
    FUZZ_CHECK(cut.size() <= std::max<size_t>(n, 3) || cut == entry.signed_event().event_id());
    FUZZ_CHECK(ValidUtf8Prefix(cut));
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v1 = ledger::v1;
  ledger::fuzz::Input in(data, size);
  const uint8_t mode = in.U8();
  v1::Entry entry;
  if (mode % 2 == 0) {
    if (!entry.ParseFromString(in.Rest())) return 0;
  } else {
    static const std::vector<v1::Entry>* sample = [] {
      auto* out = new std::vector<v1::Entry>();
      const ledger::fuzz::LogUnderTest& s = ledger::fuzz::SharedSampleLog();
      ledger::service::LedgerServiceImpl service(s.log.get());
      v1::ListEntriesRequest req;
      v1::ListEntriesResponse resp;
      if (!service.ListEntries(nullptr, &req, &resp).ok()) std::abort();
      for (const auto& e : resp.entries()) out->push_back(e);
      return out;
    }();
    entry = (*sample)[in.Below(sample->size())];
    v1::Event event;
    if (!event.ParseFromString(entry.signed_event().event())) std::abort();
    for (int k = 0, n = in.U8() % 5; k < n; ++k) ledger::fuzz::MutateMessage(&event, &in);
    entry.mutable_signed_event()->set_event(ledger::client::SerializeEvent(event));
  }
  ledger::fuzz::Check(entry);
  return 0;
}
