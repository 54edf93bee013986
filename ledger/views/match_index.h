// MatchIndex: claim matching ("has this been checked?") over the claims view, in memory.
//
// The claims view's state record of each claim (view_schema.h, ClaimState) holds the terms of
// its current version's statement and claimant's name (match_text.h), its claimant and topic
// terms and said date. The view is the truth -- replayed, digested and rebuilt like every
// other; this index is only a faster way to read it: an inverted index (term -> claims) built
// from those records when ledgerd opens
// (one scan, O(claims)) and kept current by the engine's listener call after each written
// batch. Nothing here is stored, so nothing here can disagree with the log for longer than a
// restart.
//
// Scoring (docs/api.md, "Claim matching"): each term weighs its inverse document frequency
// over the statements indexed, w(t) = max(0.1, ln((N + 1) / (df(t) + 0.5))), so rare words
// decide and common ones barely count. A claim's score against a query is a weighted Tversky
// index of their term sets Q and D':
//
//   C = sum(w, Q ∩ D');  score = C / (C + 0.5 * (sum(w, Q) - C) + 0.25 * (sum(w, D') - C))
//
// where D' is the claim's statement terms plus those words of its claimant's name the query
// also has ("Novak said ..." matches a claim by Alexander Novak). 1 means the same terms; 0
// none in common. Words of the query the claim lacks count as in the Dice coefficient (0.5);
// words the claim adds count half as much, so that one sentence pasted from a longer claim
// still matches it (tests/views/match_quality_test.cc: excerpts found 0.52 -> 0.92 at the
// same false-listing rate). Why not BM25: a fact-checker needs a threshold with one meaning
// for every query ("no match" must be an answer); a bounded ratio is comparable across
// queries, BM25's raw sums are not. Word order, stop words and frames are already gone.
//
// A query word found in no statement and no name (a typo: "pipline") is replaced by the known
// word one edit away (deletion, insertion, substitution or transposition) with the highest
// document frequency, if any; the answer lists the replacements.
//
// Candidates come from the posting lists of the query's terms, rarest first; a term in more
// than max(5000, N / 50) statements only scores candidates the rarer terms found (unless every
// term is that common). Filters (claimant, topic, said date) are applied to candidates before
// they are ranked, so a filtered query is never answered from a cut of the unfiltered one.
//
// Thread-safe: queries share a reader lock; the listener takes the writer lock per batch.
#ifndef LEDGER_VIEWS_MATCH_INDEX_H_
#define LEDGER_VIEWS_MATCH_INDEX_H_

#include <cstdint>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/types.h"
#include "ledger/views/queries.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_schema.h"
#include "ledger/views/view_store.h"

namespace ledger::views {

struct MatchQuery {
  std::string text;
  // Filters (empty: none). Claimant: every term must be among the claim's claimant terms
  // (schema::ClaimantTerms of the filter: "name:..." and/or "id:..."). Topic: schema::TopicTerm.
  std::vector<std::string> claimant_terms;
  std::string topic_term;
  SaidBounds said;
  // Only claims scoring at least this are listed.
  double min_score = 0;
  // At most this many, best first.
  size_t limit = 10;
};

struct MatchHit {
  std::string claim_id;
  SequenceNumber asserted_sequence = 0;
  double score = 0;
  std::vector<std::string> matched_terms;  // the query terms the claim has, sorted
};

struct MatchResult {
  std::vector<MatchHit> hits;       // score descending, then asserted sequence ascending
  std::vector<std::string> terms;   // the query's terms after corrections (sorted)
  std::vector<std::pair<std::string, std::string>> corrections;  // (typed, known) terms
  uint64_t claims_indexed = 0;
  uint64_t candidates = 0;          // claims scored
  uint64_t above_threshold = 0;     // hits before the limit cut them
};

class MatchIndex : public ViewListener {
 public:
  // The default min_score (docs/api.md states the precision and recall it gives on the
  // labelled LIAR set, tests/views/match_quality_test.cc).
  static constexpr double kDefaultMinScore = 0.70;

  MatchIndex();
  ~MatchIndex() override;  // stops a background load (StartLoadInBackground) first

  // Reads every claim state record of the claims view in `store` (replacing what the index
  // holds).
  // DataLoss when a record does not decode.
  absl::Status Load(const ViewStore& store);

  MatchResult Match(const MatchQuery& query) const;

  uint64_t size() const;
  // OK when the index answers. UNAVAILABLE while a background load runs (the message says how
  // far it is); DataLoss when a record did not decode (the view is damaged: rebuild).
  absl::Status status() const;
  // Approximate heap bytes held.
  uint64_t MemoryBytes() const;

  // Loads from `store` on a thread of its own. Meant to be called from the `load` callback of
  // ViewEngine::AddListener, so that the listener is registered first: batches written while
  // the scan runs are kept (claim state records only) and applied after it, in order, so the index
  // ends exactly as new as the view. status() is UNAVAILABLE until then. The thread runs at
  // the process's nice value plus `thread_nice` (ViewEngineOptions::thread_nice).
  void StartLoadInBackground(const ViewStore* store, int thread_nice = 0);
  // Waits for a background load to end; its outcome (status()).
  absl::Status WaitForLoad();

  // ViewListener.
  void OnWritten(const ViewBatch& batch) override;
  void OnCleared() override;

 private:
  struct Pending {
    bool cleared = false;  // a Clear between batches
    std::string key;
    std::optional<std::string> value;  // nullopt: deleted
  };
  void ApplyWrite(absl::string_view key, const absl::string_view* value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // One claim. Its four id lists share one allocation (`ids`: terms, names, claimants,
  // topics, each sorted), so a claim costs one heap block besides its id: at a million claims
  // the index's memory is mostly these (bench/REPORT.md §7e).
  struct Doc {
    std::string claim_id;  // doc_of_claim_'s key views it: set once, never changed
    SequenceNumber asserted_sequence = 0;
    uint32_t said = 0;
    bool live = false;
    uint32_t names_begin = 0, claimants_begin = 0, topics_begin = 0;  // offsets into ids
    std::vector<uint32_t> ids;

    absl::Span<const uint32_t> terms() const {  // statement term ids
      return absl::MakeConstSpan(ids.data(), names_begin);
    }
    absl::Span<const uint32_t> names() const {  // claimant name term ids
      return absl::MakeConstSpan(ids.data() + names_begin, claimants_begin - names_begin);
    }
    absl::Span<const uint32_t> claimants() const {  // attribute ids (claimant terms)
      return absl::MakeConstSpan(ids.data() + claimants_begin, topics_begin - claimants_begin);
    }
    absl::Span<const uint32_t> topics() const {  // attribute ids (topic terms)
      return absl::MakeConstSpan(ids.data() + topics_begin, ids.size() - topics_begin);
    }
  };

  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Put(absl::string_view key, absl::string_view value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t TermId(absl::string_view term) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t AttrId(absl::string_view attr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double Weight(uint32_t term) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The known term one edit from `term` with the highest df; "" when none.
  std::string Correct(const std::string& term) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const std::string prefix_;  // the claims view's
  const std::string begin_;   // its claim state records: [begin_, end_)
  const std::string end_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> term_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> term_text_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> df_ ABSL_GUARDED_BY(mu_);                   // statements with the term
  std::vector<std::vector<uint32_t>> postings_ ABSL_GUARDED_BY(mu_);  // doc ids (statement or name)
  absl::flat_hash_map<std::string, uint32_t> attr_ids_ ABSL_GUARDED_BY(mu_);
  // The docs by id, in chunks of 4,096 that never move: a new claim never moves the others
  // (their ids stay valid as the keys of doc_of_claim_, and growing never copies a million
  // claims), and indexing is one shift and one mask (a std::deque of 88-byte docs holds five
  // per block: queries touching thousands of docs paid for it).
  class DocTable {
   public:
    size_t size() const { return size_; }
    Doc& operator[](size_t i) { return chunks_[i >> kShift][i & kMask]; }
    const Doc& operator[](size_t i) const { return chunks_[i >> kShift][i & kMask]; }
    Doc& emplace_back() {
      if ((size_ & kMask) == 0) chunks_.push_back(std::make_unique<Doc[]>(kMask + 1));
      return (*this)[size_++];
    }
    void clear() {
      chunks_.clear();
      size_ = 0;
    }

   private:
    static constexpr size_t kShift = 12;
    static constexpr size_t kMask = (size_t{1} << kShift) - 1;
    std::vector<std::unique_ptr<Doc[]>> chunks_;
    size_t size_ = 0;
  };
  DocTable docs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, uint32_t> doc_of_claim_ ABSL_GUARDED_BY(mu_);
  uint64_t live_docs_ ABSL_GUARDED_BY(mu_) = 0;
  schema::MatchFields scratch_ ABSL_GUARDED_BY(mu_);  // Put's decoding buffers, reused
  std::vector<uint32_t> term_scratch_ ABSL_GUARDED_BY(mu_), name_scratch_ ABSL_GUARDED_BY(mu_),
      claimant_scratch_ ABSL_GUARDED_BY(mu_), topic_scratch_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);  // the first record the listener could not decode
  bool loading_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t loaded_ ABSL_GUARDED_BY(mu_) = 0;     // records read by the background load so far
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);  // written while loading
  std::atomic<bool> stop_loading_{false};
  std::thread loader_;
};

// Creates a MatchIndex, loads it from `engine`'s store and registers it as a listener: from
// then on it follows every batch the engine writes. The index must outlive the engine's
// catch-ups (destroy the engine first, or stop catching up). With `in_background`, it returns
// at once and loads on its own thread (ledgerd: start-up does not wait for a scan of every
// claim; MatchClaims is UNAVAILABLE until the load ends).
absl::StatusOr<std::unique_ptr<MatchIndex>> AttachMatchIndex(ViewEngine* engine,
                                                             bool in_background = false);

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_MATCH_INDEX_H_
