#include "ledger/views/match_index.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/views/match_text.h"

namespace ledger::views {
namespace {

constexpr size_t kCandidates = 256;  // scored exactly, per query
// The Tversky index's weights (match_index.h): what the query has and the claim lacks counts
// fully against a match (as in the Dice coefficient); what the claim adds, a quarter.
constexpr double kQueryMissWeight = 0.5;
constexpr double kClaimExtraWeight = 0.25;

template <typename T>
bool SortedHas(absl::Span<const T> v, T x) {
  return std::binary_search(v.begin(), v.end(), x);
}
template <typename T>
bool SortedHas(const std::vector<T>& v, T x) {
  return SortedHas(absl::MakeConstSpan(v), x);
}

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

template <typename T>
std::vector<T> SortedUnique(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Every string one edit from `w` (lower-case ASCII letters only).
template <typename Fn>
void ForEachEdit(const std::string& w, Fn&& fn) {
  std::string e;
  for (size_t i = 0; i < w.size(); ++i) {  // deletions
    e = w;
    e.erase(i, 1);
    fn(e);
  }
  for (size_t i = 0; i + 1 < w.size(); ++i) {  // transpositions
    e = w;
    std::swap(e[i], e[i + 1]);
    fn(e);
  }
  for (size_t i = 0; i < w.size(); ++i) {  // substitutions
    for (char c = 'a'; c <= 'z'; ++c) {
      if (c == w[i]) continue;
      e = w;
      e[i] = c;
      fn(e);
    }
  }
  for (size_t i = 0; i <= w.size(); ++i) {  // insertions
    for (char c = 'a'; c <= 'z'; ++c) {
      e = w;
      e.insert(e.begin() + static_cast<std::ptrdiff_t>(i), c);
      fn(e);
    }
  }
}

bool IsLowerAscii(const std::string& w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

MatchIndex::MatchIndex()
    : prefix_(schema::ViewPrefix(schema::ViewTag::kClaims, schema::kClaimsView)),
      begin_(schema::ClaimStateKey(prefix_, "")),
      end_(schema::PrefixSuccessor(begin_)) {}

void MatchIndex::Clear() {
  term_ids_.clear();
  term_text_.clear();
  df_.clear();
  postings_.clear();
  attr_ids_.clear();
  doc_of_claim_.clear();  // its keys view the docs' ids: first
  docs_.clear();
  live_docs_ = 0;
}

uint32_t MatchIndex::TermId(absl::string_view term) {
  // Look up without building a string: most terms are known.
  if (auto it = term_ids_.find(term); it != term_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(term_text_.size());
  term_ids_.emplace(std::string(term), id);
  term_text_.emplace_back(term);
  df_.push_back(0);
  postings_.emplace_back();
  return id;
}

uint32_t MatchIndex::AttrId(absl::string_view attr) {
  if (auto it = attr_ids_.find(attr); it != attr_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(attr_ids_.size());
  attr_ids_.emplace(std::string(attr), id);
  return id;
}

double MatchIndex::Weight(uint32_t term) const {
  const double n = static_cast<double>(live_docs_);
  const double df = term < df_.size() ? static_cast<double>(df_[term]) : 0.0;
  return std::max(0.1, std::log((n + 1.0) / (df + 0.5)));
}

absl::Status MatchIndex::Put(absl::string_view key, absl::string_view value) {
  LEDGER_ASSIGN_OR_RETURN(const absl::string_view claim_id,
                          schema::DecodeClaimStateKey(prefix_, key));
  schema::MatchFields& r = scratch_;
  LEDGER_RETURN_IF_ERROR(schema::DecodeMatchFields(value, &r));
  uint32_t id;
  if (auto it = doc_of_claim_.find(claim_id); it != doc_of_claim_.end()) {
    id = it->second;
  } else {
    id = static_cast<uint32_t>(docs_.size());
    Doc& added = docs_.emplace_back();
    added.claim_id = std::string(claim_id);
    doc_of_claim_.emplace(added.claim_id, id);
  }
  Doc& doc = docs_[id];
  // Each list's ids, sorted and unique, into a buffer reused from call to call.
  auto ids_of = [](const auto& texts, auto id_of, std::vector<uint32_t>* out) {
    out->clear();
    for (absl::string_view t : texts) out->push_back(id_of(t));
    SortUnique(out);
    return absl::MakeConstSpan(*out);
  };
  auto term_id = [this](absl::string_view t) ABSL_NO_THREAD_SAFETY_ANALYSIS { return TermId(t); };
  auto attr_id = [this](absl::string_view a) ABSL_NO_THREAD_SAFETY_ANALYSIS { return AttrId(a); };
  const absl::Span<const uint32_t> terms = ids_of(r.statement_terms, term_id, &term_scratch_);
  const absl::Span<const uint32_t> names = ids_of(r.name_terms, term_id, &name_scratch_);
  // Posting lists only grow: a term the claim no longer has keeps a stale posting, which the
  // exact scoring ignores (it reads the doc's own terms). A term it keeps gets no second one.
  auto posted = [&doc](uint32_t t) {
    return doc.live && (SortedHas(doc.terms(), t) || SortedHas(doc.names(), t));
  };
  for (uint32_t t : terms) {
    if (!posted(t)) postings_[t].push_back(id);
  }
  for (uint32_t t : names) {
    if (!posted(t) && !SortedHas(terms, t)) postings_[t].push_back(id);
  }
  if (doc.live) {
    for (uint32_t t : doc.terms()) --df_[t];
  } else {
    ++live_docs_;
  }
  for (uint32_t t : terms) ++df_[t];
  doc.asserted_sequence = r.asserted_sequence;
  doc.said = r.said;
  doc.live = true;
  const absl::Span<const uint32_t> claimants =
      ids_of(r.claimant_terms, attr_id, &claimant_scratch_);
  const absl::Span<const uint32_t> topics = ids_of(r.topic_terms, attr_id, &topic_scratch_);
  // Exactly the size needed (a new vector: assigning into the old one would keep its capacity).
  std::vector<uint32_t> ids;
  ids.reserve(terms.size() + names.size() + claimants.size() + topics.size());
  ids.insert(ids.end(), terms.begin(), terms.end());
  ids.insert(ids.end(), names.begin(), names.end());
  ids.insert(ids.end(), claimants.begin(), claimants.end());
  ids.insert(ids.end(), topics.begin(), topics.end());
  doc.names_begin = static_cast<uint32_t>(terms.size());
  doc.claimants_begin = doc.names_begin + static_cast<uint32_t>(names.size());
  doc.topics_begin = doc.claimants_begin + static_cast<uint32_t>(claimants.size());
  doc.ids = std::move(ids);
  return absl::OkStatus();
}

absl::Status MatchIndex::Load(const ViewStore& store) {
  absl::MutexLock lock(&mu_);
  Clear();
  error_ = absl::OkStatus();
  absl::Status bad;
  LEDGER_RETURN_IF_ERROR(store.Scan(
      begin_, end_,
      [this, &bad](absl::string_view key, absl::string_view value)
          ABSL_NO_THREAD_SAFETY_ANALYSIS {
            bad = Put(key, value);
            return bad.ok();
          }));
  if (!bad.ok()) return absl::DataLossError(absl::StrCat("claims view: ", bad.message()));
  return absl::OkStatus();
}

void MatchIndex::ApplyWrite(absl::string_view key, const absl::string_view* value) {
  if (value == nullptr) {  // the claims view never deletes a claim state; handled anyway
    auto claim = schema::DecodeClaimStateKey(prefix_, key);
    if (!claim.ok()) return;
    auto it = doc_of_claim_.find(*claim);
    if (it == doc_of_claim_.end() || !docs_[it->second].live) return;
    Doc& doc = docs_[it->second];
    for (uint32_t t : doc.terms()) --df_[t];
    doc.live = false;
    --live_docs_;
    return;
  }
  absl::Status s = Put(key, *value);
  if (!s.ok() && error_.ok()) error_ = s;
}

void MatchIndex::OnWritten(const ViewBatch& batch) {
  absl::MutexLock lock(&mu_);
  batch.ForEach([&](absl::string_view key, const absl::string_view* value)
                    ABSL_NO_THREAD_SAFETY_ANALYSIS {
                      // Most of a batch is not claim states: a test that builds no error.
                      if (!schema::IsClaimStateKey(prefix_, key)) return;
                      if (loading_) {
                        Pending p;
                        p.key = std::string(key);
                        if (value != nullptr) p.value = std::string(*value);
                        pending_.push_back(std::move(p));
                        return;
                      }
                      ApplyWrite(key, value);
                    });
}

void MatchIndex::OnCleared() {
  absl::MutexLock lock(&mu_);
  if (loading_) {
    Pending p;
    p.cleared = true;
    pending_.push_back(std::move(p));
    return;
  }
  Clear();
}

void MatchIndex::StartLoadInBackground(const ViewStore* store, int thread_nice) {
  {
    absl::MutexLock lock(&mu_);
    Clear();
    loading_ = true;
    loaded_ = 0;
    pending_.clear();
  }
  loader_ = std::thread([this, store, thread_nice] {
    SetCurrentThreadName("match-load");
    LowerCurrentThreadPriority(thread_nice);
    absl::Status bad;
    // Records are added in chunks under the lock, so the listener is never held up for long.
    std::vector<std::pair<std::string, std::string>> chunk;
    auto flush = [&]() {
      absl::MutexLock lock(&mu_);
      for (const auto& [key, value] : chunk) {
        if (absl::Status s = Put(key, value); !s.ok() && bad.ok()) bad = s;
      }
      loaded_ += chunk.size();
      chunk.clear();
    };
    absl::Status scan = store->Scan(
        begin_, end_,
        [&](absl::string_view key, absl::string_view value) {
          chunk.emplace_back(std::string(key), std::string(value));
          if (chunk.size() >= 4096) flush();
          return !stop_loading_.load() && bad.ok();
        });
    flush();
    absl::MutexLock lock(&mu_);
    // The batches written during the scan are as new as the snapshot it read, or newer:
    // applied in order, they leave the index exactly as new as the view.
    for (const Pending& p : pending_) {
      if (p.cleared) {
        Clear();
        continue;
      }
      const absl::string_view value =
          p.value.has_value() ? absl::string_view(*p.value) : absl::string_view();
      ApplyWrite(p.key, p.value.has_value() ? &value : nullptr);
    }
    pending_.clear();
    pending_.shrink_to_fit();
    if (!scan.ok() && error_.ok()) error_ = scan;
    if (!bad.ok() && error_.ok()) error_ = bad;
    loading_ = false;
  });
}

absl::Status MatchIndex::WaitForLoad() {
  if (loader_.joinable()) loader_.join();
  return status();
}

MatchIndex::~MatchIndex() {
  stop_loading_ = true;
  if (loader_.joinable()) loader_.join();
}

absl::Status MatchIndex::status() const {
  absl::ReaderMutexLock lock(&mu_);
  if (loading_) {
    return absl::UnavailableError(absl::StrCat(
        "the match index is loading (", loaded_, " claims read so far); retry in a few seconds"));
  }
  if (error_.ok()) return error_;
  return absl::DataLossError(absl::StrCat("claims view: ", error_.message(),
                                          "; rebuild the views (ledgerctl rebuild)"));
}

uint64_t MatchIndex::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return live_docs_;
}

uint64_t MatchIndex::MemoryBytes() const {
  absl::ReaderMutexLock lock(&mu_);
  uint64_t bytes = 0;
  for (const std::string& t : term_text_) bytes += sizeof(std::string) + t.capacity() + 16;
  for (const auto& p : postings_) bytes += sizeof(p) + p.capacity() * sizeof(uint32_t);
  bytes += df_.capacity() * sizeof(uint32_t);
  bytes += ((docs_.size() + 4095) / 4096) * 4096 * sizeof(Doc) - docs_.size() * sizeof(Doc);
  for (size_t i = 0; i < docs_.size(); ++i) {
    const Doc& d = docs_[i];
    // The id's heap block only when it is longer than the string's inline buffer.
    const size_t id_heap = d.claim_id.capacity() > 15 ? d.claim_id.capacity() + 1 : 0;
    bytes += sizeof(Doc) + id_heap + d.ids.capacity() * sizeof(uint32_t);
  }
  // Hash tables: a slot (key and value) and a control byte per bucket.
  bytes += doc_of_claim_.bucket_count() *
           (sizeof(std::pair<absl::string_view, uint32_t>) + 1);
  bytes += term_ids_.bucket_count() * (sizeof(std::pair<std::string, uint32_t>) + 1);
  bytes += attr_ids_.bucket_count() * (sizeof(std::pair<std::string, uint32_t>) + 1);
  return bytes;
}

std::string MatchIndex::Correct(const std::string& term) const {
  std::string best;
  uint64_t best_df = 0;
  ForEachEdit(term, [&](const std::string& e) {
    auto it = term_ids_.find(e);
    if (it == term_ids_.end() || postings_[it->second].empty()) return;
    const uint64_t df = postings_[it->second].size();
    if (df > best_df || (df == best_df && e < best)) {
      best = e;
      best_df = df;
    }
  });
  return best;
}

MatchResult MatchIndex::Match(const MatchQuery& query) const {
  absl::ReaderMutexLock lock(&mu_);
  MatchResult result;
  result.claims_indexed = live_docs_;

  // The query's terms, typos corrected; unknown terms still weigh (they are in Q, never in D).
  std::vector<std::string> texts = MatchTerms(query.text);
  std::vector<uint32_t> q_ids;  // known terms
  double q_unknown_weight = 0;
  const double unknown_weight = std::log((static_cast<double>(live_docs_) + 1.0) / 0.5);
  for (std::string& t : texts) {
    auto it = term_ids_.find(t);
    if ((it == term_ids_.end() || postings_[it->second].empty()) && t.size() >= 4 &&
        IsLowerAscii(t)) {
      std::string fixed = Correct(t);
      if (!fixed.empty()) {
        result.corrections.emplace_back(t, fixed);
        t = fixed;
        it = term_ids_.find(t);
      }
    }
    if (it == term_ids_.end()) {
      q_unknown_weight += unknown_weight;
    } else {
      q_ids.push_back(it->second);
    }
  }
  result.terms = SortedUnique(texts);
  q_ids = SortedUnique(std::move(q_ids));
  if (q_ids.empty() || live_docs_ == 0) return result;

  // Sums are taken over sorted weights, so that they do not depend on term ids (the order in
  // which this index met the terms): an index loaded from the view and one that followed the
  // log give bit-identical scores.
  auto sum = [](std::vector<double>* w) {
    std::sort(w->begin(), w->end());
    double total = 0;
    for (double x : *w) total += x;
    return total;
  };
  std::vector<double> weights;
  for (uint32_t t : q_ids) weights.push_back(Weight(t));
  const double q_weight = q_unknown_weight + sum(&weights);

  // Filters, resolved to attribute ids (an unknown claimant or topic matches nothing).
  std::vector<uint32_t> want_claimants;
  for (const std::string& c : query.claimant_terms) {
    auto it = attr_ids_.find(c);
    if (it == attr_ids_.end()) return result;
    want_claimants.push_back(it->second);
  }
  int64_t want_topic = -1;
  if (!query.topic_term.empty()) {
    auto it = attr_ids_.find(query.topic_term);
    if (it == attr_ids_.end()) return result;
    want_topic = it->second;
  }
  auto passes = [&](const Doc& d) {
    if (!d.live) return false;
    for (uint32_t c : want_claimants) {
      if (!SortedHas(d.claimants(), c)) return false;
    }
    if (want_topic >= 0 && !SortedHas(d.topics(), static_cast<uint32_t>(want_topic))) {
      return false;
    }
    return query.said.Contains(d.said);
  };

  // Candidates: accumulate the weights of the query terms each claim's postings show, rarest
  // terms first; very common terms only when nothing rarer exists.
  std::vector<uint32_t> order = q_ids;
  std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    if (postings_[a].size() != postings_[b].size()) {
      return postings_[a].size() < postings_[b].size();
    }
    return term_text_[a] < term_text_[b];
  });
  const size_t common = std::max<size_t>(5000, static_cast<size_t>(live_docs_ / 50));
  thread_local std::vector<float> partial;
  thread_local std::vector<uint32_t> touched;
  if (partial.size() < docs_.size()) partial.resize(docs_.size(), 0.0f);
  touched.clear();
  for (size_t i = 0; i < order.size(); ++i) {
    const uint32_t t = order[i];
    if (postings_[t].size() > common && i > 0) break;
    const float w = static_cast<float>(Weight(t));
    for (uint32_t d : postings_[t]) {
      if (partial[d] == 0.0f) touched.push_back(d);
      partial[d] += w;
    }
  }
  std::vector<std::pair<float, uint32_t>> ranked;
  ranked.reserve(touched.size());
  for (uint32_t d : touched) {
    if (passes(docs_[d])) ranked.emplace_back(partial[d], d);
    partial[d] = 0.0f;
  }
  if (ranked.size() > kCandidates) {
    // Ties go to the earliest asserted claim, whatever the index's internal order.
    std::nth_element(ranked.begin(), ranked.begin() + kCandidates, ranked.end(),
                     [this](const auto& a, const auto& b) {
                       if (a.first != b.first) return a.first > b.first;
                       return docs_[a.second].asserted_sequence < docs_[b.second].asserted_sequence;
                     });
    ranked.resize(kCandidates);
  }
  result.candidates = ranked.size();

  // Exact scores.
  for (const auto& [unused, d] : ranked) {
    const Doc& doc = docs_[d];
    std::vector<std::string> matched;
    std::vector<double> doc_weights, common_weights;
    for (uint32_t t : doc.terms()) doc_weights.push_back(Weight(t));
    for (uint32_t t : q_ids) {
      const bool in_statement = SortedHas(doc.terms(), t);
      if (in_statement || SortedHas(doc.names(), t)) {
        common_weights.push_back(Weight(t));
        if (!in_statement) doc_weights.push_back(Weight(t));
        matched.push_back(term_text_[t]);
      }
    }
    const double common_weight = sum(&common_weights);
    const double doc_weight = sum(&doc_weights);
    const double score =
        common_weight / (common_weight + kQueryMissWeight * (q_weight - common_weight) +
                         kClaimExtraWeight * (doc_weight - common_weight));
    if (score < query.min_score || matched.empty()) continue;
    result.hits.push_back(MatchHit{doc.claim_id, doc.asserted_sequence, score, std::move(matched)});
  }
  std::sort(result.hits.begin(), result.hits.end(), [](const MatchHit& a, const MatchHit& b) {
    return a.score != b.score ? a.score > b.score : a.asserted_sequence < b.asserted_sequence;
  });
  result.above_threshold = result.hits.size();
  if (result.hits.size() > query.limit) result.hits.resize(query.limit);
  for (MatchHit& h : result.hits) std::sort(h.matched_terms.begin(), h.matched_terms.end());
  return result;
}

absl::StatusOr<std::unique_ptr<MatchIndex>> AttachMatchIndex(ViewEngine* engine,
                                                             bool in_background) {
  auto index = std::make_unique<MatchIndex>();
  MatchIndex* raw = index.get();
  const int thread_nice = engine->thread_nice();
  LEDGER_RETURN_IF_ERROR(engine->AddListener(raw, [raw, in_background,
                                                   thread_nice](const ViewStore& store) {
    if (!in_background) return raw->Load(store);
    raw->StartLoadInBackground(&store, thread_nice);
    return absl::OkStatus();
  }));
  return index;
}

}  // namespace ledger::views
