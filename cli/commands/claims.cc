// Commands over the claim views (ledger.v1.ClaimService): claim, claims, history, as-of,
// tally, views; and rebuild (offline).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli/claim_source.h"
#include "cli/client.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/entry_filter.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/base/file_util.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/types.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/rocksdb_view_store.h"
#include "ledger/views/view_engine.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

struct AsOfFlags {
  int64_t sequence = -1;
  std::string time;
};

void AddAsOfFlags(CLI::App* cmd, AsOfFlags* f) {
  cmd->add_option("--as-of-seq", f->sequence, "Read the state right after entry N");
  cmd->add_option("--as-of", f->time,
                  "Read the state as recorded at time T (RFC 3339 or YYYY-MM-DD, end of day)");
}

absl::Status FillAsOf(const AsOfFlags& f, v1::AsOf* out) {
  if (f.sequence >= 0 && !f.time.empty()) {
    return absl::InvalidArgumentError("give --as-of-seq or --as-of, not both");
  }
  if (f.sequence >= 0) out->set_sequence(static_cast<uint64_t>(f.sequence));
  if (!f.time.empty()) {
    absl::StatusOr<int64_t> t = ParseTimeFlag(f.time, /*end_of_day=*/true);
    if (!t.ok()) return t.status();
    out->set_recorded_time_micros(*t);
  }
  return absl::OkStatus();
}

// "2015", "2015-07" or "2015-07-14".
absl::Status ParseSaidDate(const std::string& text, v1::SaidDate* out) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  int values[3] = {0, 0, 0};
  if (parts.empty() || parts.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("said date \"", text, "\" must be YYYY, YYYY-MM or YYYY-MM-DD"));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!absl::SimpleAtoi(parts[i], &values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("said date \"", text, "\" must be YYYY, YYYY-MM or YYYY-MM-DD"));
    }
  }
  out->set_year(values[0]);
  out->set_month(values[1]);
  out->set_day(values[2]);
  return absl::OkStatus();
}

// --said-from / --said-to into a request with said_from / said_to fields, each set only when
// given (an unset bound is absent, not a zero date).
template <typename Request>
absl::Status ParseSaidRange(const std::string& from, const std::string& to, Request* req) {
  if (!from.empty()) LEDGER_RETURN_IF_ERROR(ParseSaidDate(from, req->mutable_said_from()));
  if (!to.empty()) LEDGER_RETURN_IF_ERROR(ParseSaidDate(to, req->mutable_said_to()));
  return absl::OkStatus();
}

std::string SaidText(const v1::PartialDate& d, bool with_as_stated = true) {
  std::string s;
  switch (d.precision()) {
    case v1::PartialDate::YEAR:
      s = absl::StrCat(d.year());
      break;
    case v1::PartialDate::MONTH:
      s = absl::StrFormat("%04d-%02d", d.year(), d.month());
      break;
    case v1::PartialDate::DAY:
      s = absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
      break;
    default:
      s = "undated";
  }
  if (with_as_stated && !d.as_stated().empty()) {
    absl::StrAppend(&s, " (\"", d.as_stated(), "\")");
  }
  return s;
}

std::string Time(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

// Where the claim commands read (a server, or --data-dir's views); a note on stderr when the
// views of a data directory are behind its log.
absl::StatusOr<std::unique_ptr<ClaimSource>> OpenSource(const SourceOptions& source) {
  absl::StatusOr<std::unique_ptr<ClaimSource>> s = ClaimSource::Open(source);
  if (s.ok() && !(*s)->staleness().empty()) {
    std::cerr << "ledgerctl: " << (*s)->staleness() << "\n";
  }
  return s;
}

// ---- claim ID ---------------------------------------------------------------------------

struct ClaimFlags {
  SourceOptions source;
  bool json = false;
  std::string claim_id;
  AsOfFlags as_of;
};

int RunClaim(const ClaimFlags& f) {
  v1::GetClaimRequest req;
  req.set_claim_id(f.claim_id);
  if (absl::Status s = FillAsOf(f.as_of, req.mutable_as_of()); !s.ok()) return ReportError(s);
  auto source = OpenSource(f.source);
  if (!source.ok()) return ReportOpenError(source.status());
  LedgerClient* client = (*source)->client();
  absl::StatusOr<v1::GetClaimResponse> resp = client->GetClaim(req);
  if (!resp.ok()) return ReportError(resp.status());
  if (f.json) {
    std::cout << ToJson(*resp) << "\n";
    return kExitOk;
  }
  const v1::ClaimDetails& c = resp->claim();
  const v1::Claim& claim = c.claim();
  std::cout << "claim      " << c.claim_id() << "  (" << v1::ClaimStatus_Name(c.status())
            << ", version at sequence " << c.version_sequence() << ")\n";
  if (c.signer_compromised()) {
    std::cout << "WARNING    signed while its key was compromised: the events marked [COMPROMISED] "
                 "below were signed\n           by a key later revoked as compromised since "
                 "then\n";
  }
  std::cout
            << "claimant   " << claim.claimant().name();
  if (!claim.claimant().role().empty()) std::cout << ", " << claim.claimant().role();
  if (!claim.claimant().affiliation().empty()) std::cout << " (" << claim.claimant().affiliation() << ")";
  std::cout << "\nstatement  \"" << claim.statement().text() << "\"  ["
            << v1::AttributionKind_Name(claim.statement().attribution()) << "]\n"
            << "said       " << SaidText(claim.said()) << "\n"
            << "source     " << claim.source().title() << " — " << claim.source().publisher()
            << "\n           " << claim.source().url() << "\n";
  if (claim.topics_size() > 0) {
    std::cout << "topics     " << absl::StrJoin(claim.topics(), ", ") << "\n";
  }
  std::cout << "history\n";
  for (const v1::HistoryEvent& h : c.history()) {
    std::cout << "  " << h.sequence() << "  " << Time(h.recorded_time_micros()) << "  "
              << h.kind() << "  " << h.event_id() << "  key " << HexEncode(h.key_id()).substr(0, 16)
              << (h.signer_compromised() ? "  [COMPROMISED]" : "")
              << (h.reason().empty() ? "" : "  — " + h.reason()) << "\n";
  }
  if (c.appearances_size() > 0) {
    std::cout << "seen       " << c.appearances_size() + 1 << " times by "
              << c.independent_publishers() << " independent publisher(s); first at "
              << c.first_appearance().url() << "\n";
    for (const v1::Appearance& a : c.appearances()) {
      const v1::Source& s = a.appearance().source();
      std::cout << "  appeared " << a.sequence() << "  "
                << (s.published_time_micros() != 0 ? FormatTime(s.published_time_micros())
                                                   : "(date unknown)")
                << "  " << s.url() << (s.publisher().empty() ? "" : "  (" + s.publisher() + ")")
                << (a.appearance().repeated_by().empty() ? ""
                                                         : "  repeated by " + a.appearance().repeated_by())
                << (a.signer_compromised() ? "  [COMPROMISED signer]" : "") << "\n";
    }
  }
  for (const v1::RelationEvent& r : c.relations()) {
    std::cout << "related    " << RelationLine(r.relation()) << "  by " << r.relation().reviewer()
              << ", sequence " << r.sequence()
              << (r.signer_compromised() ? "  [COMPROMISED signer]" : "") << "\n";
  }
  for (const v1::Verdict& v : c.verdicts()) {
    std::cout << "verdict    " << v.review().rating_text() << " (" << v.review().rating_value()
              << " on " << v.review().worst_rating() << ".." << v.review().best_rating()
              << ") by " << v.review().reviewer() << ", sequence " << v.sequence()
              << (v.signer_compromised() ? "  [COMPROMISED signer]" : "") << "\n";
  }
  std::cout << "read at    " << resp->read_point().as_of_size() << " entries (views at "
            << resp->read_point().watermark() << ")\n";
  return kExitOk;
}

// ---- claims / history / as-of -------------------------------------------------------------

struct ClaimsFlags {
  SourceOptions source;
  bool json = false;
  std::string claimant, topic, entity, source_url, publisher, status, stable_id;
  std::string said_from, said_to;
  AsOfFlags as_of;
  uint64_t limit = 100;
};

int RunClaims(const ClaimsFlags& f) {
  v1::ListClaimsRequest req;
  int filters = 0;
  if (!f.claimant.empty()) req.set_claimant(f.claimant), ++filters;
  if (!f.topic.empty()) req.set_topic(f.topic), ++filters;
  if (!f.entity.empty()) req.set_entity(f.entity), ++filters;
  if (!f.source_url.empty()) req.set_source_url(f.source_url), ++filters;
  if (!f.publisher.empty()) req.set_publisher(f.publisher), ++filters;
  if (!f.status.empty()) {
    v1::ClaimStatus s;
    if (!v1::ClaimStatus_Parse(f.status, &s) || s == v1::CLAIM_STATUS_UNSPECIFIED) {
      return ReportError(absl::InvalidArgumentError("--status must be ACTIVE, CORRECTED or RETRACTED"));
    }
    req.set_status(s), ++filters;
  }
  if (filters > 1) {
    return ReportError(absl::InvalidArgumentError(
        "give at most one of --claimant, --topic, --entity, --source-url, --publisher, --status"));
  }
  if (!f.stable_id.empty() && f.claimant.empty() && f.entity.empty()) {
    return ReportError(absl::InvalidArgumentError(
        "--stable-id says whose id it is only with --claimant or --entity, e.g. --entity "
        "Pakistan --stable-id Q843 (both must match)"));
  }
  req.set_stable_id(f.stable_id);
  if (absl::Status s = ParseSaidRange(f.said_from, f.said_to, &req); !s.ok()) {
    return ReportError(s);
  }
  if (absl::Status s = FillAsOf(f.as_of, req.mutable_as_of()); !s.ok()) return ReportError(s);
  auto source = OpenSource(f.source);
  if (!source.ok()) return ReportOpenError(source.status());
  LedgerClient* client = (*source)->client();
  // Pages of up to kMaxPageSize; with a limit, the page after the limit is asked for only to
  // learn whether more exist, so that a listing is never cut without saying so.
  constexpr uint64_t kMaxPageSize = 1000;
  uint64_t printed = 0;
  bool more = false;
  for (;;) {
    const uint64_t wanted = f.limit == 0 ? kMaxPageSize : f.limit - printed + 1;
    req.set_page_size(static_cast<int32_t>(std::min(kMaxPageSize, wanted)));
    absl::StatusOr<v1::ListClaimsResponse> page = client->ListClaims(req);
    if (!page.ok()) return ReportError(page.status());
    for (const v1::ClaimSummary& c : page->claims()) {
      if (f.limit != 0 && printed == f.limit) {
        more = true;
        break;
      }
      ++printed;
      if (f.json) {
        std::cout << ToJson(c) << "\n";
        continue;
      }
      // The id is never cut (it must paste back into `claim`): a longer one shifts the rest of
      // its row, and stays the third whitespace-separated field.
      // "!" after the status: signed while its key was compromised (`claim ID` says which).
      std::cout << absl::StrFormat("%-12s %-9s %-34s %s: \"%s\"\n", SaidText(c.claim().said(), false),
                                   absl::StrCat(v1::ClaimStatus_Name(c.status()),
                                                c.signer_compromised() ? "!" : ""),
                                   c.claim_id(),
                                   c.claim().claimant().name(),
                                   Truncate(c.claim().statement().text(), 90));
    }
    if (more || page->next_page_token().empty()) break;
    req.set_page_token(page->next_page_token());
  }
  std::cout.flush();
  if (more) {
    std::cerr << "ledgerctl: listed " << printed
              << " claims; more exist: --limit 0 lists all (or a larger --limit)\n";
  }
  return kExitOk;
}

void AddClaimsFlags(CLI::App* cmd, ClaimsFlags* f, bool with_filters) {
  AddSourceFlags(cmd, &f->source);
  AddJsonFlag(cmd, &f->json);
  if (with_filters) {
    cmd->add_option("--claimant", f->claimant, "Claims by this claimant (name, any case)");
    cmd->add_option("--topic", f->topic, "Claims with this topic");
    cmd->add_option("--entity", f->entity, "Claims mentioning this entity");
    cmd->add_option("--source-url", f->source_url, "Claims from this source URL");
    cmd->add_option("--publisher", f->publisher, "Claims from this publisher");
    cmd->add_option("--status", f->status, "ACTIVE, CORRECTED or RETRACTED");
  }
  cmd->add_option("--stable-id", f->stable_id, "The claimant's or entity's stable id (e.g. Q313330)");
  cmd->add_option("--said-from", f->said_from, "Statements made on or after (YYYY[-MM[-DD]])");
  cmd->add_option("--said-to", f->said_to, "Statements made on or before (YYYY[-MM[-DD]])");
  AddAsOfFlags(cmd, &f->as_of);
  cmd->add_option("--limit", f->limit,
                  "Most claims to list (0: no limit); when more exist, stderr says so")
      ->capture_default_str();
}

// ---- tally --------------------------------------------------------------------------------

struct TallyFlags {
  SourceOptions source;
  bool json = false;
  std::string claimant, stable_id;
};

int RunTally(const TallyFlags& f) {
  auto source = OpenSource(f.source);
  if (!source.ok()) return ReportOpenError(source.status());
  LedgerClient* client = (*source)->client();
  v1::GetVerdictTallyRequest req;
  req.set_claimant(f.claimant);
  req.set_stable_id(f.stable_id);
  absl::StatusOr<v1::GetVerdictTallyResponse> resp = client->GetVerdictTally(req);
  if (!resp.ok()) return ReportError(resp.status());
  if (f.json) {
    std::cout << ToJson(*resp) << "\n";
    return kExitOk;
  }
  uint64_t compromised = 0;
  for (const v1::VerdictCount& c : resp->counts()) {
    std::cout << absl::StrFormat("%6d  %-20s %s", c.count(), c.rating_text(), c.reviewer());
    if (c.compromised() > 0) {
      std::cout << absl::StrFormat("  (%d signed by a compromised key)", c.compromised());
    }
    std::cout << "\n";
    compromised += c.compromised();
  }
  std::cout << resp->total() << " verdicts";
  if (compromised > 0) {
    std::cout << ", " << compromised << " of them signed while the key was compromised";
  }
  std::cout << "\n";
  return kExitOk;
}

// ---- views / rebuild ----------------------------------------------------------------------

struct ViewsFlags {
  SourceOptions source;
  bool json = false;
  bool digests = false;
};

int RunViews(const ViewsFlags& f) {
  auto source = OpenSource(f.source);
  if (!source.ok()) return ReportOpenError(source.status());
  LedgerClient* client = (*source)->client();
  absl::StatusOr<v1::GetViewStatusResponse> resp = client->GetViewStatus(f.digests);
  if (!resp.ok()) return ReportError(resp.status());
  if (f.json) {
    std::cout << ToJson(*resp) << "\n";
    return kExitOk;
  }
  std::cout << "views at " << resp->watermark() << " of " << resp->tree_size() << " entries\n";
  for (const v1::ViewInfo& v : resp->views()) {
    std::cout << absl::StrFormat("  %-16s %10d", v.name(), v.watermark());
    if (f.digests) std::cout << "  " << v.records() << " records  " << HexEncode(v.digest());
    std::cout << "\n";
  }
  return kExitOk;
}

struct RebuildFlags {
  std::string data_dir;
  bool json = false;
};

int RunRebuild(const RebuildFlags& f) {
  // The views are written: not while a server uses the directory.
  auto lock = datadir::DataDirLock::Acquire(f.data_dir);
  if (!lock.ok() && !absl::IsNotFound(lock.status())) {
    std::cerr << "ledgerctl: " << lock.status().message() << "\n";
    return kExitUnreachable;
  }
  auto store = datadir::OpenStoreReadOnly(f.data_dir);
  if (!store.ok()) return ReportError(store.status());
  auto views_db = views::RocksDbViewStore::Open(datadir::ViewsDir(f.data_dir));
  if (!views_db.ok()) {
    std::cerr << "ledgerctl: cannot open " << datadir::ViewsDir(f.data_dir) << " ("
              << views_db.status().message() << "); stop the server first\n";
    return kExitUnreachable;
  }
  auto engine = views::ViewEngine::Open(*std::move(views_db), views::DefaultProjections());
  if (!engine.ok()) return ReportError(engine.status());
  const bool tty = ::isatty(STDERR_FILENO) && !f.json;
  views::CatchUpOptions options;
  const absl::Time start = absl::Now();
  if (tty) {
    options.progress = [start](const views::CatchUpProgress& p) {
      const TreeSize done = p.watermark, total = p.target;
      const double secs = absl::ToDoubleSeconds(absl::Now() - start);
      std::fprintf(stderr, "\rrebuilt %llu / %llu entries (%.0f/s)",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   secs > 0 ? done / secs : 0.0);
    };
  }
  auto result = (*engine)->Rebuild(**store, options);
  if (tty) std::fprintf(stderr, "\n");
  if (!result.ok()) return ReportError(result.status());
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (f.json) {
    std::cout << "{\"watermark\":" << (*engine)->Watermark() << ",\"seconds\":" << secs;
  } else {
    std::cout << "rebuilt the views from " << (*engine)->Watermark() << " entries in " << secs
              << " s\n";
  }
  bool first = true;
  if (f.json) std::cout << ",\"digests\":{";
  for (const std::string& name : (*engine)->ViewNames()) {
    auto d = (*engine)->Digest(name);
    if (!d.ok()) return ReportError(d.status());
    if (f.json) {
      std::cout << (first ? "" : ",") << JsonQuote(name) << ":" << JsonQuote(HexEncode(d->digest));
      first = false;
    } else {
      std::cout << absl::StrFormat("  %-16s %s\n", name, HexEncode(d->digest));
    }
  }
  if (f.json) std::cout << "}}\n";
  return kExitOk;
}

// ---- relations NAME ------------------------------------------------------------------------

struct RelationsFlags {
  SourceOptions source;
  bool json = false;
  std::string claimant, stable_id, topic, said_from, said_to;
  std::vector<std::string> kinds;
  AsOfFlags as_of;
  int limit = 100;
};

int RunRelations(const RelationsFlags& f) {
  v1::ListRelationsRequest req;
  req.set_claimant(f.claimant);
  req.set_stable_id(f.stable_id);
  req.set_topic(f.topic);
  req.set_limit(f.limit);
  for (const std::string& k : f.kinds) {
    std::string name = absl::AsciiStrToUpper(k);
    absl::StrReplaceAll({{"-", "_"}}, &name);
    v1::ClaimRelated::Relation r;
    if (!v1::ClaimRelated::Relation_Parse(name, &r) || r == v1::ClaimRelated::RELATION_UNSPECIFIED) {
      return ReportError(absl::InvalidArgumentError(absl::StrCat(
          "--kind ", k, ": use repeats, contradicts, supports or position-change")));
    }
    req.add_relations(r);
  }
  if (absl::Status s = ParseSaidRange(f.said_from, f.said_to, &req); !s.ok()) {
    return ReportError(s);
  }
  if (absl::Status s = FillAsOf(f.as_of, req.mutable_as_of()); !s.ok()) return ReportError(s);
  auto source = OpenSource(f.source);
  if (!source.ok()) return ReportOpenError(source.status());
  absl::StatusOr<v1::ListRelationsResponse> resp = (*source)->client()->ListRelations(req);
  if (!resp.ok()) return ReportError(resp.status());
  for (const v1::RelationRow& row : resp->relations()) {
    if (f.json) {
      std::cout << ToJson(row) << "\n";
      continue;
    }
    std::cout << row.relation().sequence() << "  " << RelationLine(row.relation().relation())
              << "  (by " << row.relation().relation().reviewer() << ")"
              << (row.relation().signer_compromised() ? "  [COMPROMISED signer]" : "") << "\n";
    for (const v1::ClaimSummary* c : {&row.claim(), &row.related_claim()}) {
      std::cout << "    " << absl::StrFormat("%-12s %-9s %s: \"%s\"", SaidText(c->claim().said(), false),
                                             v1::ClaimStatus_Name(c->status()), c->claim_id(),
                                             c->claim().statement().text())
                << "\n";
    }
  }
  if (resp->more()) {
    std::cerr << "ledgerctl: listed " << resp->relations_size()
              << " relations; more exist: raise --limit (at most 1000)\n";
  }
  return kExitOk;
}

// ---- match "statement" ---------------------------------------------------------------------

struct MatchFlags {
  SourceOptions source;
  bool json = false;
  std::string text, file;
  std::string claimant, stable_id, topic, said_from, said_to;
  double min_score = 0;
  int limit = 0;
};

// Prints one statement's matches; false after an error (already reported).
bool PrintMatches(LedgerClient* client, v1::MatchClaimsRequest req, const std::string& text,
                  bool json, bool many, int* exit_code) {
  req.set_text(text);
  absl::StatusOr<v1::MatchClaimsResponse> resp = client->MatchClaims(req);
  if (!resp.ok()) {
    *exit_code = ReportError(resp.status());
    return false;
  }
  if (json) {
    if (many) {
      // One object per statement: the statement, then the response's fields.
      std::string body = ToJson(*resp);
      std::cout << "{\"statement\":" << JsonQuote(text)
                << (body.size() > 2 ? "," + body.substr(1) : "}") << "\n";
    } else {
      std::cout << ToJson(*resp) << "\n";
    }
    return true;
  }
  if (many) std::cout << "statement  \"" << text << "\"\n";
  for (const v1::TermCorrection& c : resp->corrections()) {
    std::cout << "  (read \"" << c.typed() << "\" as \"" << c.known() << "\")\n";
  }
  if (resp->matches().empty()) {
    std::cout << absl::StrFormat("  no match at or above %.2f among %d claims\n",
                                 resp->min_score(), resp->claims_indexed());
  }
  for (const v1::ClaimMatch& m : resp->matches()) {
    const v1::ClaimSummary& c = m.claim();
    std::cout << absl::StrFormat("  %.3f  %-34s %-9s %s (%s): \"%s\"\n", m.score(), c.claim_id(),
                                 v1::ClaimStatus_Name(c.status()), c.claim().claimant().name(),
                                 SaidText(c.claim().said()), c.claim().statement().text());
    for (const v1::Verdict& v : m.verdicts()) {
      std::cout << "         verdict " << v.review().rating_text() << " by "
                << v.review().reviewer() << (v.signer_compromised() ? "  [COMPROMISED signer]" : "")
                << "\n";
    }
    std::cout << "         matched " << absl::StrJoin(m.matched_terms(), " ") << "\n";
  }
  if (resp->more() > 0) {
    std::cerr << "ledgerctl: " << resp->more()
              << " more match(es) at or above the threshold; raise --limit (at most 100) or "
                 "--min-score to see them\n";
  }
  return true;
}

int RunMatch(const MatchFlags& f) {
  if (f.text.empty() == f.file.empty()) {
    return ReportError(absl::InvalidArgumentError(
        "give a statement, or --file with one statement per line (not both)"));
  }
  v1::MatchClaimsRequest req;
  req.set_claimant(f.claimant);
  req.set_claimant_stable_id(f.stable_id);
  req.set_topic(f.topic);
  req.set_min_score(f.min_score);
  req.set_limit(f.limit);
  if (absl::Status s = ParseSaidRange(f.said_from, f.said_to, &req); !s.ok()) {
    return ReportError(s);
  }
  std::vector<std::string> statements;
  if (!f.file.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(f.file);
    if (!text.ok()) return ReportError(text.status());
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (!line.empty()) statements.emplace_back(line);
    }
    if (statements.empty()) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("--file ", f.file, " holds no statement (one per line)")));
    }
  } else {
    statements.push_back(f.text);
  }
  auto source = OpenSource(f.source);
  if (!source.ok()) return ReportOpenError(source.status());
  int exit_code = kExitOk;
  for (const std::string& text : statements) {
    if (!PrintMatches((*source)->client(), req, text, f.json, !f.file.empty(), &exit_code)) {
      return exit_code;
    }
  }
  return kExitOk;
}

}  // namespace

void AddClaimCommands(CLI::App* app, CommandTable* table) {
  auto relations_flags = std::make_shared<RelationsFlags>();
  CLI::App* relations = app->add_subcommand(
      "relations", "A claimant's related claims: contradictions, position changes, repeats, support");
  AddSourceFlags(relations, &relations_flags->source);
  AddJsonFlag(relations, &relations_flags->json);
  relations->add_option("claimant", relations_flags->claimant, "Claimant name");
  relations->add_option("--stable-id", relations_flags->stable_id, "The claimant's stable id");
  relations->add_option("--kind", relations_flags->kinds,
                        "repeats, contradicts, supports or position-change (repeatable; "
                        "default: all)");
  relations->add_option("--topic", relations_flags->topic, "Only claims with this topic");
  relations->add_option("--said-from", relations_flags->said_from, "Statements made from (YYYY[-MM[-DD]])");
  relations->add_option("--said-to", relations_flags->said_to, "Statements made until (YYYY[-MM[-DD]])");
  relations->add_option("--limit", relations_flags->limit, "At most this many (1..1000)")
      ->capture_default_str();
  AddAsOfFlags(relations, &relations_flags->as_of);
  SetExamples(relations,
              "Relations are claim_related events (a reviewer's judgement; docs/format.md §7).\n"
              "Examples:\n  ledgerctl relations \"Alexander Novak\" --kind contradicts --kind "
              "position-change\n  ledgerctl relations \"Alexander Novak\" --topic energy "
              "--said-from 2015");
  table->Add(relations, [relations_flags] { return RunRelations(*relations_flags); });

  auto match_flags = std::make_shared<MatchFlags>();
  CLI::App* match = app->add_subcommand(
      "match", "Has this been checked? Earlier claims similar to a statement, best first");
  AddSourceFlags(match, &match_flags->source);
  AddJsonFlag(match, &match_flags->json);
  match->add_option("statement", match_flags->text, "The statement to match");
  match->add_option("--file", match_flags->file, "Match every line of this file instead");
  match->add_option("--claimant", match_flags->claimant, "Only claims by this claimant (name)");
  match->add_option("--stable-id", match_flags->stable_id,
                    "Only claims by the claimant with this stable id");
  match->add_option("--topic", match_flags->topic, "Only claims with this topic");
  match->add_option("--said-from", match_flags->said_from, "Only statements made from (YYYY[-MM[-DD]])");
  match->add_option("--said-to", match_flags->said_to, "Only statements made until (YYYY[-MM[-DD]])");
  match->add_option("--min-score", match_flags->min_score,
                    "List matches scoring at least this, 0..1 (default 0.70)");
  match->add_option("--limit", match_flags->limit, "At most this many per statement, 1..100 (default 10)");
  SetExamples(match,
              "Scores are 0..1 (docs/api.md, \"Claim matching\"); below --min-score nothing is "
              "listed, so \"no match\" is an answer. Offline with --data-dir.\nExamples:\n"
              "  ledgerctl match \"Novak said the pipeline is ready to be signed\"\n"
              "  ledgerctl match --file statements.txt --json\n"
              "  ledgerctl match \"fuel taxes doubled\" --claimant \"Ada Example\" --min-score 0.4");
  table->Add(match, [match_flags] { return RunMatch(*match_flags); });


  auto claim_flags = std::make_shared<ClaimFlags>();
  CLI::App* claim = app->add_subcommand(
      "claim", "Show one claim: current (or as-of) version, status, verdicts, full history");
  AddSourceFlags(claim, &claim_flags->source);
  AddJsonFlag(claim, &claim_flags->json);
  claim->add_option("claim_id", claim_flags->claim_id, "The claim id (its asserting event id)")
      ->required();
  AddAsOfFlags(claim, &claim_flags->as_of);
  SetExamples(claim,
              "Examples:\n  ledgerctl claim seed-article-loc-clashes\n"
              "  ledgerctl claim seed-article-loc-clashes --as-of-seq 12");
  table->Add(claim, [claim_flags] { return RunClaim(*claim_flags); });

  auto claims_flags = std::make_shared<ClaimsFlags>();
  CLI::App* claims = app->add_subcommand(
      "claims", "List claims by claimant, topic, entity, source or status, in statement-time order");
  AddClaimsFlags(claims, claims_flags.get(), /*with_filters=*/true);
  SetExamples(claims,
              "At most --limit claims (0: all); stderr says when more exist. Offline with "
              "--data-dir.\nExamples:\n  ledgerctl claims --topic energy\n"
              "  ledgerctl claims --claimant \"Sergei Ryabkov\" --said-from 2015-07 --said-to 2015-07"
              " --as-of 2015-09-01");
  table->Add(claims, [claims_flags] { return RunClaims(*claims_flags); });

  auto history_flags = std::make_shared<ClaimsFlags>();
  CLI::App* history = app->add_subcommand(
      "history", "Everything a claimant said, on a timeline by statement time");
  history->add_option("claimant", history_flags->claimant, "Claimant name")->required();
  AddClaimsFlags(history, history_flags.get(), /*with_filters=*/false);
  SetExamples(history,
              "At most --limit claims (0: all); stderr says when more exist. Offline with "
              "--data-dir.\nExamples:\n  ledgerctl history \"Alexander Novak\"\n"
              "  ledgerctl history \"Alexander Novak\" --limit 0 --data-dir .data/ledger");
  table->Add(history, [history_flags] { return RunClaims(*history_flags); });

  auto as_of_flags = std::make_shared<ClaimsFlags>();
  CLI::App* as_of = app->add_subcommand(
      "as-of", "Every claim as the ledger stood at sequence N (--as-of-seq) or time T (--as-of)");
  AddClaimsFlags(as_of, as_of_flags.get(), /*with_filters=*/true);
  SetExamples(as_of, "Examples:\n  ledgerctl as-of --as-of-seq 12\n  ledgerctl as-of --as-of 2026-01-01");
  table->Add(as_of, [as_of_flags] {
    if (as_of_flags->as_of.sequence < 0 && as_of_flags->as_of.time.empty()) {
      std::cerr << "ledgerctl: as-of needs --as-of-seq N or --as-of TIME\n";
      return kExitUsage;
    }
    return RunClaims(*as_of_flags);
  });

  auto tally_flags = std::make_shared<TallyFlags>();
  CLI::App* tally = app->add_subcommand("tally", "Verdict counts for one claimant");
  AddSourceFlags(tally, &tally_flags->source);
  AddJsonFlag(tally, &tally_flags->json);
  tally->add_option("claimant", tally_flags->claimant, "Claimant name")->required();
  tally->add_option("--stable-id", tally_flags->stable_id, "The claimant's stable id");
  SetExamples(tally, "Example:\n  ledgerctl tally \"Barack Obama\"");
  table->Add(tally, [tally_flags] { return RunTally(*tally_flags); });

  auto views_flags = std::make_shared<ViewsFlags>();
  CLI::App* views_cmd = app->add_subcommand("views", "The views' progress (and digests)");
  AddSourceFlags(views_cmd, &views_flags->source);
  AddJsonFlag(views_cmd, &views_flags->json);
  views_cmd->add_flag("--digests", views_flags->digests, "Also compute each view's digest");
  SetExamples(views_cmd, "Example:\n  ledgerctl views --digests");
  table->Add(views_cmd, [views_flags] { return RunViews(*views_flags); });

  auto rebuild_flags = std::make_shared<RebuildFlags>();
  CLI::App* rebuild = app->add_subcommand(
      "rebuild", "Drop the views of a data directory and replay them from the log (offline)");
  rebuild->add_option("--data-dir", rebuild_flags->data_dir, "Data directory")->required();
  AddJsonFlag(rebuild, &rebuild_flags->json);
  SetExamples(rebuild,
              "Example (server stopped):\n  ledgerctl rebuild --data-dir .data/ledger\n"
              "The digests printed equal those of `ledgerctl views --digests` on a live server.");
  table->Add(rebuild, [rebuild_flags] { return RunRebuild(*rebuild_flags); });
}

}  // namespace ledger::cli
