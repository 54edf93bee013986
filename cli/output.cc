#include "cli/output.h"

#include <unistd.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/json.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/base/types.h"
#include "ledger/core/event_validation.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

std::string ClaimLine(const v1::Claim& c) {
  return absl::StrCat(c.claimant().name(), ": \"", c.statement().text(), "\"");
}

std::string PartialDateText(const v1::PartialDate& d) {
  std::string out;
  switch (d.precision()) {
    case v1::PartialDate::YEAR: out = absl::StrFormat("%04d (year)", d.year()); break;
    case v1::PartialDate::MONTH:
      out = absl::StrFormat("%04d-%02d (month)", d.year(), d.month());
      break;
    case v1::PartialDate::DAY:
      out = absl::StrFormat("%04d-%02d-%02d (day)", d.year(), d.month(), d.day());
      break;
    default: out = "(precision unspecified)"; break;
  }
  if (!d.as_stated().empty()) absl::StrAppend(&out, ", as stated: \"", d.as_stated(), "\"");
  return out;
}

std::string LowerEnumName(std::string name) {
  for (char& c : name) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return name;
}

// Collects "label  value" lines with aligned values.
class Fields {
 public:
  void Add(absl::string_view label, absl::string_view value) {
    if (!value.empty()) lines_.emplace_back(std::string(label), std::string(value));
  }
  void Blank() { lines_.emplace_back("", ""); }
  std::string Render() const {
    std::string out;
    for (const auto& [label, value] : lines_) {
      if (label.empty() && value.empty()) {
        out += "\n";
        continue;
      }
      absl::StrAppend(&out, absl::StrFormat("  %-12s %s\n", label, value));
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

void AddClaim(const v1::Claim& c, Fields* f) {
  std::string claimant = c.claimant().name();
  if (c.claimant().kind() != v1::Claimant::KIND_UNSPECIFIED) {
    absl::StrAppend(&claimant, " (", LowerEnumName(v1::Claimant::Kind_Name(c.claimant().kind())),
                    ")");
  }
  f->Add("claimant", claimant);
  f->Add("role", c.claimant().role());
  f->Add("affiliation", c.claimant().affiliation());
  f->Add("claimant id", c.claimant().stable_id());
  f->Add("statement", absl::StrCat("\"", c.statement().text(), "\""));
  if (c.statement().attribution() != v1::ATTRIBUTION_KIND_UNSPECIFIED) {
    f->Add("attribution", LowerEnumName(v1::AttributionKind_Name(c.statement().attribution())));
  }
  std::string language = c.statement().language();
  if (!c.statement().original_language().empty()) {
    absl::StrAppend(&language, " (translated from ", c.statement().original_language(), ")");
  }
  f->Add("language", language);
  if (c.has_said()) f->Add("said", PartialDateText(c.said()));
  f->Add("venue", c.venue());
  const v1::Source& s = c.source();
  f->Add("source", s.url());
  f->Add("title", s.title());
  f->Add("publisher", s.publisher());
  if (s.published_time_micros() != 0) f->Add("published", FormatTime(s.published_time_micros()));
  if (s.retrieved_time_micros() != 0) f->Add("retrieved", FormatTime(s.retrieved_time_micros()));
  f->Add("archive", s.archive_url());
  if (!s.content_sha256().empty()) f->Add("content", HexEncode(s.content_sha256()));
  if (s.has_quote()) {
    f->Add("quote", absl::StrCat("\"", s.quote().exact(), "\""));
    f->Add("  before", s.quote().prefix());
    f->Add("  after", s.quote().suffix());
  }
  f->Add("topics", absl::StrJoin(c.topics(), ", "));
  std::vector<std::string> entities;
  for (const auto& e : c.entities()) {
    entities.push_back(e.stable_id().empty() ? e.name()
                                             : absl::StrCat(e.name(), " (", e.stable_id(), ")"));
  }
  f->Add("entities", absl::StrJoin(entities, ", "));
}

}  // namespace

std::string FormatTime(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

std::string RelationLine(const v1::ClaimRelated& r) {
  std::string verb = LowerEnumName(v1::ClaimRelated::Relation_Name(r.relation()));
  absl::StrReplaceAll({{"_", " "}}, &verb);
  std::string line = absl::StrCat(r.claim_id(), " ", verb, " ", r.related_claim_id());
  if (r.relation() == v1::ClaimRelated::POSITION_CHANGE) {
    std::string flip = LowerEnumName(v1::ClaimRelated::Flip_Name(r.flip()));
    absl::StrReplaceAll({{"_", " "}}, &flip);
    absl::StrAppend(&line, " on \"", r.subject(), "\" (", flip, ")");
  }
  return line;
}

absl::string_view EventTypeName(const v1::Event& event) {
  switch (event.body_case()) {
    case v1::Event::kClaimAsserted: return "assert";
    case v1::Event::kClaimCorrected: return "correct";
    case v1::Event::kClaimRetracted: return "retract";
    case v1::Event::kClaimReviewed: return "review";
    case v1::Event::kClaimAppeared: return "appear";
    case v1::Event::kClaimRelated: return "relate";
    case v1::Event::kKeyRegistered: return "key+";
    case v1::Event::kKeyRevoked: return "key-";
    default: return "?";
  }
}

std::string EventSummary(const v1::Event& event) {
  switch (event.body_case()) {
    case v1::Event::kClaimAsserted:
      return ClaimLine(event.claim_asserted().claim());
    case v1::Event::kClaimCorrected:
      return absl::StrCat("corrects ", event.claim_corrected().corrects_claim_id(), ": ",
                          ClaimLine(event.claim_corrected().claim()));
    case v1::Event::kClaimRetracted:
      return absl::StrCat(event.claim_retracted().claim_id(), ": ",
                          event.claim_retracted().reason());
    case v1::Event::kClaimReviewed:
      return absl::StrCat(event.claim_reviewed().claim_id(), ": ",
                          event.claim_reviewed().rating_text(), " (",
                          event.claim_reviewed().reviewer(), ")");
    case v1::Event::kClaimAppeared:
      return absl::StrCat(event.claim_appeared().claim_id(), ": seen at ",
                          event.claim_appeared().source().url());
    case v1::Event::kClaimRelated:
      return RelationLine(event.claim_related());
    case v1::Event::kKeyRegistered:
      return absl::StrCat(v1::KeyRegistered::Role_Name(event.key_registered().role()), " ",
                          event.key_registered().holder());
    case v1::Event::kKeyRevoked:
      return absl::StrCat(HexEncode(event.key_revoked().key_id().substr(0, 8)), "... ",
                          event.key_revoked().reason(),
                          event.key_revoked().has_compromise()
                              ? absl::StrCat(" (compromised since ",
                                             event.key_revoked().compromise().since_sequence(),
                                             ")")
                              : "");
    default:
      return "";
  }
}

std::string EventJson(const v1::Event& event) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(event, &json).ok()) return "null";
  return json;
}

std::string EntryJson(const v1::Entry& entry, bool signer_compromised) {
  const v1::SignedEvent& se = entry.signed_event();
  absl::StatusOr<v1::Event> event = core::ParseStoredEvent(se.event());
  JsonObject o;
  o.AddUint("sequence", entry.sequence())
      .AddString("recorded_time", FormatTime(entry.recorded_time_micros()))
      .AddInt("recorded_time_micros", entry.recorded_time_micros())
      .AddString("event_id", se.event_id())
      .AddString("type", event.ok() ? EventTypeName(*event) : "?")
      .AddString("key_id", HexEncode(se.key_id()))
      .AddString("signature", absl::Base64Escape(se.signature()))
      .AddString("leaf_hash", HexEncode(entry.leaf_hash()));
  if (entry.has_batch()) {
    std::vector<std::string> proof;
    for (const std::string& h : entry.batch().proof()) proof.push_back(HexEncode(h));
    o.AddRaw("batch", JsonObject()
                          .AddString("batch_id", entry.batch().batch_id())
                          .AddUint("batch_size", entry.batch().batch_size())
                          .AddUint("index", entry.batch().index())
                          .AddStringArray("proof", proof)
                          .Build());
  }
  if (signer_compromised) o.AddRaw("signer_compromised", "true");
  o.AddRaw("event", event.ok() ? EventJson(*event) : "null");
  return o.Build();
}

std::string EntryRow(const v1::Entry& entry) {
  const v1::SignedEvent& se = entry.signed_event();
  absl::StatusOr<v1::Event> event = core::ParseStoredEvent(se.event());
  const std::string type = event.ok() ? std::string(EventTypeName(*event)) : "?";
  const std::string text =
      event.ok() ? EventSummary(*event) : std::string(event.status().message());
  // The event id is never cut (it must paste back): a longer one shifts the summary.
  return absl::StrFormat("%6d  %s  %-7s  %-34s  %s", entry.sequence(),
                         FormatTime(entry.recorded_time_micros()), type, se.event_id(),
                         Truncate(text, 100));
}

std::string EventDetail(const v1::Event& event) {
  Fields f;
  switch (event.body_case()) {
    case v1::Event::kClaimAsserted:
      f.Add("type", "assert (a new claim; its claim id is the event id)");
      AddClaim(event.claim_asserted().claim(), &f);
      break;
    case v1::Event::kClaimCorrected: {
      const auto& c = event.claim_corrected();
      f.Add("type", "correct (a new version of an earlier claim)");
      f.Add("corrects", c.corrects_claim_id());
      f.Add("reason", c.reason());
      AddClaim(c.claim(), &f);
      break;
    }
    case v1::Event::kClaimRetracted:
      f.Add("type", "retract (the claim is withdrawn)");
      f.Add("retracts", event.claim_retracted().claim_id());
      f.Add("reason", event.claim_retracted().reason());
      break;
    case v1::Event::kClaimReviewed: {
      const auto& r = event.claim_reviewed();
      f.Add("type", "review (a fact-checker's verdict)");
      f.Add("reviews", r.claim_id());
      f.Add("rating", absl::StrCat(r.rating_text(), " (", r.rating_value(), " on a scale of ",
                                   r.worst_rating(), " to ", r.best_rating(), ")"));
      f.Add("reviewer", r.reviewer());
      f.Add("review", r.review_url());
      if (r.review_time_micros() != 0) f.Add("reviewed", FormatTime(r.review_time_micros()));
      f.Add("explanation", r.explanation());
      break;
    }
    case v1::Event::kClaimRelated: {
      const auto& r = event.claim_related();
      f.Add("type", "relate (a reviewer relates two claims)");
      f.Add("relation", RelationLine(r));
      f.Add("reviewer", r.reviewer());
      f.Add("explanation", r.explanation());
      break;
    }
    case v1::Event::kClaimAppeared: {
      const auto& a = event.claim_appeared();
      f.Add("type", "appear (the claim was seen again)");
      f.Add("claim", a.claim_id());
      f.Add("seen at", a.source().url());
      f.Add("title", a.source().title());
      f.Add("publisher", a.source().publisher());
      if (a.source().published_time_micros() != 0) {
        f.Add("published", FormatTime(a.source().published_time_micros()));
      }
      f.Add("archive", a.source().archive_url());
      f.Add("repeated by", a.repeated_by());
      f.Add("note", a.note());
      break;
    }
    case v1::Event::kKeyRegistered: {
      const auto& k = event.key_registered();
      f.Add("type", "key+ (a signer key is registered)");
      f.Add("public key", HexEncode(k.public_key()));
      f.Add("role", LowerEnumName(v1::KeyRegistered::Role_Name(k.role())));
      f.Add("holder", k.holder());
      break;
    }
    case v1::Event::kKeyRevoked:
      f.Add("type", "key- (a signer key is revoked)");
      f.Add("key id", HexEncode(event.key_revoked().key_id()));
      f.Add("reason", event.key_revoked().reason());
      if (event.key_revoked().has_compromise()) {
        f.Add("compromised since",
              absl::StrCat("sequence ", event.key_revoked().compromise().since_sequence(),
                           ": what it signed from there is flagged"));
      }
      break;
    default:
      f.Add("type", "? (no body)");
  }
  return f.Render();
}

std::string Truncate(absl::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  size_t cut = n < 3 ? 0 : n - 3;
  // Back up to the start of a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  return absl::StrCat(s.substr(0, cut), "...");
}

Progress::Progress(std::string what, uint64_t total)
    : what_(std::move(what)),
      total_(total),
      active_(::isatty(STDERR_FILENO) == 1),
      start_(absl::Now()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  done_ = done;
  if (!active_) return;
  const absl::Time now = absl::Now();
  if (now - last_print_ < absl::Milliseconds(100)) return;
  last_print_ = now;
  Print(done);
}

void Progress::Print(uint64_t done) {
  printed_done_ = done;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string line = absl::StrCat("\r", what_, " ", done);
  if (total_ > 0) absl::StrAppend(&line, "/", total_);
  absl::StrAppend(&line, absl::StrFormat(" (%.0f/s)   ", rate));
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!active_) return;
  if (printed_done_ != done_) Print(done_);
  std::fputs("\n", stderr);
}

}  // namespace ledger::cli
