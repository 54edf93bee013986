// Writes the seed corpus of every fuzz target: small valid examples of each format, made from
// the fixed keys of fuzz_support.h (so signatures and checkpoints verify), plus a few edge
// cases. Deterministic: running it again writes the same bytes.
//
//   bazel run //tests/fuzz:make_corpus -- "$PWD/tests/fuzz/corpus"
//
// Seeds named valid-* must be accepted by their target (the regression tests check it).
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/add_checkpoint.h"
#include "ledger/witness/cosignature.h"
#include "cli/bundle.h"
#include "cli/claimreview.h"
#include "cli/explain.h"
#include "ledger/merkle/state_map.h"
#include "ledger/views/claim_state.h"
#include "ledger/core/event_validation.h"
#include "cli/output.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/v1/claim_service.pb.h"
#include "service/ledger_service.h"
#include "ledger/core/claim_rules.h"
#include "ledger/core/key_registry.h"
#include "ledger/store/schema.h"
#include "ledger/views/view_schema.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

std::string g_root;
int g_written = 0;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const std::string dir = g_root + "/" + target;
  ::mkdir(g_root.c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out.flush()) {
    std::cerr << "cannot write " << dir << "/" << name << "\n";
    std::exit(1);
  }
  ++g_written;
}

// ---- merkle_proofs -------------------------------------------------------------------------

void MerkleSeeds() {
  // Tree mode: mode, u16 size, then checks (kind byte, then the values each kind reads).
  for (uint16_t n : {1, 2, 7, 64, 300}) {
    Output o;
    o.U8(0).U16(static_cast<uint16_t>(n - 1));
    for (uint8_t kind = 0; kind < 8; ++kind) {
      o.U8(kind).U16(static_cast<uint16_t>(n * 37 + kind)).U16(static_cast<uint16_t>(kind * 13));
      o.U8(kind).U8(1).U8(kind * 3).U8(5).U8(7);
    }
    Write("merkle_proofs", absl::StrCat("tree-", n), o.str());
  }
  {
    // Many equal leaves (one byte each, from the input).
    Output o;
    o.U8(2).U16(40);
    for (int i = 0; i < 41; ++i) o.U8(static_cast<uint8_t>(i % 3 == 0));
    for (uint8_t kind = 0; kind < 8; ++kind) o.U8(kind).U8(9).U8(3).U8(kind).U8(2).U8(1);
    Write("merkle_proofs", "tree-equal-leaves", o.str());
  }
  {
    // Free mode: huge sizes.
    Output o;
    o.U8(1);
    for (int i = 0; i < 4; ++i) {
      o.U8(static_cast<uint8_t>(i & 1));                      // inclusion / consistency
      o.U8(1 | (62 << 2)).U8(3);                                // 2^62
      o.U8(3).U8(5);                                            // UINT64_MAX - 5
      o.U8(1);                                                  // in range
      o.Bytes(std::string(32, static_cast<char>(0x11 * i)));    // leaf
      o.U8(static_cast<uint8_t>(60 + i));                       // proof length
      for (int k = 0; k < 60 + i; ++k) o.Bytes(std::string(32, static_cast<char>(k)));
      o.U8(static_cast<uint8_t>(i));                            // mutation
    }
    Write("merkle_proofs", "free-huge", o.str());
  }
}

// ---- store_records ------------------------------------------------------------------------

void StoreRecordSeeds() {
  namespace ss = store::schema;
  namespace vs = views::schema;
  Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i * 7);
  const std::string key_id = KeyIdOf(SignerKey(1).public_key());
  std::map<uint8_t, std::string> records;
  records[0] = ss::EntryKey(11);
  records[1] = ss::NodeKey({3, 9});
  records[2] = ss::EncodeNodeValue(h);
  records[3] = ss::EncodeLeafIndexValue(5);
  records[4] = ss::EncodeEventIdValue({5, h});
  records[5] = ss::CheckpointKey(12);
  records[6] = ss::EncodeHead({12, h, kNowMicros});
  core::KeyRecord kr;
  kr.public_key = SignerKey(1).public_key();
  kr.role = core::KeyRole::kAdmin;
  kr.revoked = true;
  kr.registered_sequence = 1;
  kr.revoked_sequence = 10;
  records[7] = core::EncodeKeyRecord(kr);
  records[8] = core::EncodeClaimRecord({key_id, 2, true, 6});
  records[9] = vs::EncodeFingerprint({10, h});
  vs::IndexEntry entry;
  entry.claim_id = "claim-1";
  entry.ranges = {{2, 4}, {4, vs::kOpenSequence}};
  records[10] = vs::EncodeIndexEntry(entry);
  records[12] = vs::IndexEntryKey(
      vs::ClaimIndexSpace(vs::ViewPrefix(vs::ViewTag::kClaims, vs::kClaimsView),
                          vs::ClaimIndex::kClaimant),
      "name:alexander novak", vs::SaidKeyOf(2015, 8, 24), 2);
  records[13] = vs::IndexEntryKey(
      vs::StatusIndexSpace(vs::ViewPrefix(vs::ViewTag::kClaims, vs::kClaimsView)),
      vs::StatusTerm(vs::ClaimStatus::kCorrected), vs::SaidKeyOf(2015, 0, 0), 2);
  records[14] = vs::ClaimHistoryKey(vs::ViewPrefix(vs::ViewTag::kClaims, vs::kClaimsView),
                                    "claim-1", 4);
  vs::ClaimState state;
  state.asserted_sequence = 2;
  state.submitter_key_id = key_id;
  state.version_sequence = 4;
  state.status = vs::ClaimStatus::kCorrected;
  state.status_sequence = 4;
  state.said = vs::SaidKeyOf(2015, 8, 24);
  state.index_terms[static_cast<size_t>(vs::ClaimIndex::kTopic)] = {
      "energy", std::string("nul\0byte", 8)};
  state.index_terms[static_cast<size_t>(vs::ClaimIndex::kTimeline)] = {""};
  state.name_terms = {"alexand", "novak"};
  state.statement_terms = {"#2015", "gas", "pipelin"};
  records[15] = vs::EncodeClaimState(state);
  for (size_t i = 0; i < vs::kClaimIndexCount; ++i) state.index_terms[i] = {"t", "u"};
  records[11] = vs::EncodeClaimState(state);
  records[16] = vs::EncodeKindAndId(vs::EventKind::kClaimCorrected, "corr-1");
  vs::KeyState ks;
  ks.has_public_key = true;
  ks.public_key = std::string(crypto::AsStringView(SignerKey(1).public_key()));
  ks.role = 1;
  ks.registered_sequence = 0;
  ks.revoked = true;
  ks.revoked_sequence = 10;
  records[17] = vs::EncodeKeyState(ks);
  {
    std::string suffix;
    vs::AppendOrderedString(&suffix, "Example Fact Desk");
    vs::AppendOrderedString(&suffix, "Unproven");
    records[18] = suffix;
  }
  {
    std::string ordered;
    vs::AppendOrderedString(&ordered, std::string("a\0b", 3));
    vs::AppendOrderedString(&ordered, "a");
    records[19] = ordered;
  }
  for (const auto& [selector, bytes] : records) {
    Write("store_records", absl::StrCat("valid-", static_cast<int>(selector)),
          std::string(1, static_cast<char>(selector)) + bytes);
  }
}

// ---- stored_entries -------------------------------------------------------------------------

void StoredEntrySeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const std::vector<std::string> leaves = LeafDatas(*sample->log);
  for (size_t i = 0; i < leaves.size(); ++i) {
    Write("stored_entries", absl::StrCat("valid-leaf-", i), std::string(1, '\0') + leaves[i]);
  }
  // The whole log, and its first entries, as stored (no re-signing).
  for (size_t n : {size_t{2}, size_t{7}, leaves.size()}) {
    Output o;
    o.U8(1).U8(static_cast<uint8_t>(n - 1));
    for (size_t i = 0; i < n; ++i) o.U8(0).Blob(leaves[i]);
    Write("stored_entries", absl::StrCat("valid-log-", n), o.str());
  }
  // Re-signed by the entry's own signer: the same bytes, so still valid.
  {
    const int signer[] = {0, 0, 1, 0, 1, 2, 0, 1, 1, 1, 2};
    Output o;
    o.U8(1).U8(static_cast<uint8_t>(leaves.size() - 1));
    for (size_t i = 0; i < leaves.size(); ++i) {
      o.U8(static_cast<uint8_t>(1 | (signer[i] << 1))).Blob(leaves[i]);
    }
    Write("stored_entries", "valid-log-resigned", o.str());
    // The same, with each claim's event mutated field by field before re-signing.
    Output m;
    m.U8(1).U8(static_cast<uint8_t>(leaves.size() - 1));
    for (size_t i = 0; i < leaves.size(); ++i) {
      const bool mutate = i >= 2;
      m.U8(static_cast<uint8_t>((mutate ? 0x80 : 0) | 1 | (signer[i] << 1))).Blob(leaves[i]);
      if (mutate) {
        std::string bytes;
        for (int k = 0; k < 12; ++k) bytes.push_back(static_cast<char>(i * 17 + k * 29));
        m.Blob(bytes);
      }
    }
    Write("stored_entries", "edge-log-mutated-events", m.str());
  }
}

// ---- checkpoint -----------------------------------------------------------------------------

// A signed note over `text` with one signature line per (name, key).
std::string Note(const std::string& text,
                 const std::vector<std::pair<std::string, const crypto::Ed25519PrivateKey*>>& sigs) {
  std::string note = text + "\n";
  for (const auto& [name, key] : sigs) {
    const std::string sig = format::NoteKeyHash(name, key->public_key()) + key->Sign(text);
    absl::StrAppend(&note, "\xe2\x80\x94 ", name, " ", absl::Base64Escape(sig), "\n");
  }
  return note;
}

void CheckpointSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const TreeSize n = sample->log->Head().tree_size;
  for (TreeSize size = 0; size <= n; ++size) {
    absl::StatusOr<std::string> note = sample->log->CheckpointAt(size);
    if (!note.ok()) continue;
    Write("checkpoint", absl::StrCat("valid-anchor-", size), std::string(1, '\3') + *note);
  }
  const crypto::Ed25519PrivateKey cosigner = KeyFromFill(0x77);
  const std::string text = format::CheckpointText(
      {std::string(kOrigin), n, sample->log->Head().root_hash});
  const std::string origin(kOrigin);
  Write("checkpoint", "valid-cosigned-log-key",
        std::string(1, '\0') + Note(text, {{origin, &cosigner}, {origin, &LogKey()}}));
  Write("checkpoint", "valid-cosigned-cosigner",
        std::string(1, '\1') + Note(text, {{origin, &LogKey()}, {origin, &cosigner}}));
  Write("checkpoint", "valid-other-names-ignored",
        std::string(1, '\3') +
            Note(text, {{"witness.example/w1", &cosigner}, {origin, &LogKey()}}));
  Write("checkpoint", "valid-extension-lines",
        std::string(1, '\0') +
            Note(text + "extension one\nsecond extension\n", {{origin, &LogKey()}}));
  Write("checkpoint", "valid-verifier-key",
        std::string(1, '\2') + format::NoteVerifierKey(kOrigin, LogKey().public_key()));
  Write("checkpoint", "edge-other-origin",
        std::string(1, '\3') +
            format::SignCheckpoint({"other.example/log", 3, sample->log->Head().root_hash},
                                   LogKey()));
  Write("checkpoint", "edge-forked-root",
        std::string(1, '\3') +
            format::SignCheckpoint({origin, 5, sample->log->Head().root_hash}, LogKey()));
  Write("checkpoint", "edge-beyond-head",
        std::string(1, '\3') +
            format::SignCheckpoint({origin, n + 1, sample->log->Head().root_hash}, LogKey()));
}

// ---- bundle ---------------------------------------------------------------------------------

// The proof bundle of entry `seq` of the sample log in its tree of `size` (signed note `note`).
cli::ProofBundle SampleBundle(const core::Log& log, SequenceNumber seq, TreeSize size,
                              const std::string& note) {
  const core::LogEntry e = *log.GetEntry(seq);
  cli::ProofBundle b;
  b.origin = std::string(kOrigin);
  b.sequence = seq;
  b.event_id = e.event_id;
  b.leaf_data = e.leaf_data;
  b.leaf_hash = e.leaf_hash;
  b.key_id = e.key_id;
  for (int k = 0; k <= kExtraKeys; ++k) {
    if (KeyIdOf(SignerKey(k).public_key()) == e.key_id) b.public_key = SignerKey(k).public_key();
  }
  b.tree_size = size;
  b.inclusion_proof = log.ProveInclusion(seq, size)->hashes;
  b.checkpoint = note;
  return b;
}

void BundleSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const core::Log& log = *sample->log;
  const TreeSize size = log.Head().tree_size;
  const std::string note = log.LatestCheckpoint();
  for (SequenceNumber seq = 0; seq < size; ++seq) {
    Write("bundle", absl::StrCat("valid-bundle-", seq),
          std::string(1, '\0') + cli::EncodeBundle(SampleBundle(log, seq, size, note)));
  }
  const char* const docs[] = {
      "{}",
      "[]",
      " {\"a\": [1, -2.5e+10, 0, -0, 1E-3, true, false, null], \"b\": {\"c\": \"d\"}} ",
      "\"esc: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 \\u00e9 \\ud83d\\ude00\"",
      "\"utf-8: \xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80\"",
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      "{\"format\":\"factledger-proof-bundle/v1\",\"inclusion_proof\":[\"00\"],\"n\":123456789012345678901234567890}",
  };
  int i = 0;
  for (const char* doc : docs) Write("bundle", absl::StrCat("valid-json-", i++), std::string(1, '\1') + doc);
  Write("bundle", "edge-json-duplicate-member", std::string(1, '\1') + "{\"a\":1,\"a\":2}");
}

// ---- claimreview ----------------------------------------------------------------------------

// Every verdict of the sample log as a ClaimReview item (one file each), all of them as JSON
// Lines and as a DataFeed, and an item whose rating was edited.
void ClaimReviewSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const core::Log& log = *sample->log;
  const TreeSize size = log.Head().tree_size;
  const std::string note = log.LatestCheckpoint();
  std::map<std::string, SequenceNumber> version;
  std::vector<nlohmann::ordered_json> items;
  for (SequenceNumber seq = 0; seq < size; ++seq) {
    const core::LogEntry e = *log.GetEntry(seq);
    const ledger::v1::Event event = *core::ParseStoredEvent(e.event);
    if (event.has_claim_asserted()) version[e.event_id] = seq;
    if (event.has_claim_corrected()) version[event.claim_corrected().corrects_claim_id()] = seq;
    if (!event.has_claim_reviewed()) continue;
    const SequenceNumber claim_seq = version.at(event.claim_reviewed().claim_id());
    const ledger::v1::Event claim = *core::ParseStoredEvent(log.GetEntry(claim_seq)->event);
    cli::ClaimReviewSource s;
    s.claim_id = event.claim_reviewed().claim_id();
    s.claim = claim.has_claim_asserted() ? claim.claim_asserted().claim()
                                         : claim.claim_corrected().claim();
    s.review = event.claim_reviewed();
    s.review_recorded_micros = e.recorded_time_micros;
    s.review_proof = SampleBundle(log, seq, size, note);
    s.claim_proof = SampleBundle(log, claim_seq, size, note);
    items.push_back(cli::ClaimReviewJson(s));
    Write("claimreview", absl::StrCat("valid-item-", seq), items.back().dump());
  }
  std::string lines;
  for (const auto& item : items) lines += item.dump() + "\n";
  Write("claimreview", "valid-lines", lines);
  Write("claimreview", "valid-feed", cli::ClaimReviewFeed(items).dump(1));
  nlohmann::ordered_json edited = items.front();
  edited["reviewRating"]["alternateName"] = "Pants on Fire";
  Write("claimreview", "edge-edited-rating", edited.dump());
}

// ---- explain --------------------------------------------------------------------------------

// Explain bundles of the sample log's claims (and of an unknown id) against a map checkpoint
// signed with the sample log key, the map checkpoint itself, and edited copies.
void ExplainSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const core::Log& log = *sample->log;
  const TreeSize size = log.Head().tree_size;
  merkle::StateMap map;
  std::map<std::string, std::vector<SequenceNumber>> history;
  for (SequenceNumber seq = 0; seq < size; ++seq) {
    const core::LogEntry e = *log.GetEntry(seq);
    const ledger::v1::Event event = *core::ParseStoredEvent(e.event);
    for (const views::StateSubject& s : views::SubjectsOf(e.event_id, event)) {
      const Hash key = views::StateMapKey(s.kind, s.id);
      map.Set(key, views::NextStateHash(map.Get(key).value_or(Hash{}), seq, e.leaf_hash));
      if (s.kind == views::StateSubjectKind::kClaim) history[s.id].push_back(seq);
    }
  }
  const Hash root = map.Commit();
  const format::Checkpoint cp = *format::ParseCheckpointUnverified(log.LatestCheckpoint());
  const std::string note = format::SignMapCheckpoint({cp, root}, LogKey());
  Write("explain", "valid-map-checkpoint", std::string(1, '\1') + note);
  Write("explain", "edge-plain-checkpoint", std::string(1, '\1') + log.LatestCheckpoint());
  int written = 0;
  history["absent-claim"];
  for (const auto& [claim_id, seqs] : history) {
    if (written++ >= 4 && claim_id != "absent-claim") continue;
    cli::ExplainBundle b;
    b.origin = std::string(kOrigin);
    b.claim_id = claim_id;
    b.tree_size = size;
    b.map_checkpoint = note;
    const Hash key = views::StateMapKey(views::StateSubjectKind::kClaim, claim_id);
    b.state_hash = map.Get(key);
    b.map_proof = map.Prove(key);
    std::vector<cli::VerifiedBundle> verified;
    for (SequenceNumber seq : seqs) {
      b.entries.push_back(SampleBundle(log, seq, size, note));
      verified.push_back(*cli::VerifyBundleContent(b.entries.back(), Verifier()));
    }
    b.stated = *cli::ReplayClaimEntries(claim_id, verified);
    if (!cli::VerifyExplainBundle(cli::EncodeExplainBundle(b), Verifier()).ok()) {
      std::cerr << "make_corpus: the explain seed of " << claim_id << " does not verify\n";
      std::exit(1);
    }
    Write("explain", absl::StrCat("valid-", claim_id), std::string(1, '\0') + cli::EncodeExplainBundle(b));
    if (b.stated.exists) {
      cli::ExplainBundle lie = b;
      lie.stated.status = lie.stated.status == "RETRACTED" ? "ACTIVE" : "RETRACTED";
      Write("explain", absl::StrCat("edge-stated-", claim_id),
            std::string(1, '\0') + cli::EncodeExplainBundle(lie));
    }
  }
}

// ---- import_formats -------------------------------------------------------------------------

void ImportSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  // JSON Lines: the sample's events as drafts (claims, corrections, reviews, retractions; the
  // key events need an admin signer, which the fuzz target's importer key is).
  std::string jsonl;
  for (const ledger::v1::AppendRequest& r : SampleRequests()) {
    if (!r.has_event()) continue;
    ledger::v1::EventDraft draft;
    draft.set_event_id(r.event().event_id());
    draft.mutable_event()->ParseFromString(r.event().event());
    if (draft.event().has_key_revoked()) continue;  // would revoke the importer's key
    std::string line;
    if (!google::protobuf::util::MessageToJsonString(draft, &line).ok()) std::exit(1);
    absl::StrAppend(&jsonl, line, "\n");
  }
  Write("import_formats", "valid-jsonl", std::string(1, '\0') + std::string(1, '\3') + jsonl);
  Write("import_formats", "valid-jsonl-batch-signature",
        std::string(1, '\0') + std::string(1, '\x0c') + jsonl);
  // Export lines, as `ledgerctl export` prints them.
  service::LedgerServiceImpl service(sample->log.get());
  std::string exported;
  for (SequenceNumber seq : {2, 3, 4, 5, 6, 7}) {
    ledger::v1::GetEntryRequest req;
    req.set_sequence(seq);
    ledger::v1::GetEntryResponse resp;
    if (!service.GetEntry(nullptr, &req, &resp).ok()) std::exit(1);
    absl::StrAppend(&exported, cli::EntryJson(resp.entry()), "\n");
  }
  Write("import_formats", "valid-export", std::string(1, '\1') + std::string(1, '\2') + exported);
  // LIAR rows (14 tab-separated columns), written for these seeds.
  const std::string liar =
      "1001.json\thalf-true\tThe pipeline will be ready in 2017.\tenergy,pipelines\t"
      "alexander-novak\tEnergy Minister\tRussia\tnone\t0\t1\t2\t0\t0\ta press conference\n"
      "1002.json\tpants-fire\tThe bridge opened in 1832.\thistory\tada-example\t\t\t\t"
      "0\t0\t0\t0\t1\tan interview\r\n"
      "\n"
      "1003\ttrue\tTaxes went up.\ttaxes, economy ,\tsome-speaker\tSenator\tOhio\t"
      "republican\t1\t1\t1\t1\t1\ta speech\n";
  Write("import_formats", "valid-liar", std::string(1, '\2') + std::string(1, '\4') + liar);
  Write("import_formats", "edge-liar-bad-rows",
        std::string(1, '\2') + std::string(1, '\0') +
            "x\tunknown-label\ta\tb\tc\td\te\tf\tg\t1\t2\t3\t4\t5\tv\n"
            "bad id!\ttrue\ta\tb\tc\td\te\tf\tg\t1\t2\t3\t4\t5\tv\n"
            "too\tfew\tcolumns\n");
}

// ---- data_dir_files ------------------------------------------------------------------------

void DataDirFileSeeds() {
  const std::string seed_hex = HexEncode(SignerKey(1).seed());
  const std::string pub_hex = HexEncode(crypto::AsStringView(SignerKey(1).public_key()));
  Write("data_dir_files", "valid-private-key",
        std::string(1, '\0') + "factledger-ed25519-private-key " + seed_hex + "\n");
  Write("data_dir_files", "valid-private-key-uppercase",
        std::string("\0  factledger-ed25519-private-key ", 34) + absl::AsciiStrToUpper(seed_hex) +
            "\r\n\n");
  Write("data_dir_files", "valid-public-key", "\1" + crypto::FormatPublicKey(SignerKey(1).public_key()) + "\n");
  Write("data_dir_files", "valid-public-key-bare", "\1" + pub_hex);
  const std::string log_hex = HexEncode(crypto::AsStringView(LogKey().public_key()));
  const std::string admin_hex = HexEncode(crypto::AsStringView(AdminKey().public_key()));
  const std::string identity = absl::StrCat("factledger-data-dir v1\norigin ", kOrigin,
                                            "\nlog-key ", log_hex, "\nadmin-key ", admin_hex,
                                            "\nadmin-key ", pub_hex, "\n");
  Write("data_dir_files", "valid-identity", "\2" + identity);
  Write("data_dir_files", "valid-identity-follower", "\2" + identity + "role follower\n");
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  for (TreeSize size : {0, 5, 11}) {
    Write("data_dir_files", absl::StrCat("valid-anchor-", size), "\3" + *sample->log->CheckpointAt(size));
  }
}

// ---- append_request -------------------------------------------------------------------------

void AppendRequestSeeds() {
  const std::vector<ledger::v1::AppendRequest> requests = SampleRequests();
  const int signer[] = {0, 0, 1, 0, 1, 2, 0, 1, 2};
  for (bool resign : {false, true}) {
    Output o;
    for (size_t i = 0; i < requests.size(); ++i) {
      const uint8_t bits = static_cast<uint8_t>(resign ? 0x10 | (signer[i] << 5) : 0);
      if (requests[i].has_batch()) {
        ledger::v1::AppendSignedBatchRequest b;
        *b.mutable_batch() = requests[i].batch();
        o.U8(2 | bits).Blob(b.SerializeAsString());
      } else {
        o.U8(0 | bits).Blob(requests[i].SerializeAsString());
      }
    }
    Output reads;
    reads.U64(3).U64(1).U16(5);
    o.U8(4).Blob(reads.str());
    ledger::v1::GetInclusionProofRequest incl;
    incl.set_sequence(8);
    o.U8(5).Blob(incl.SerializeAsString());
    ledger::v1::GetConsistencyProofRequest cons;
    cons.set_from_tree_size(3);
    o.U8(6).Blob(cons.SerializeAsString());
    Write("append_request", resign ? "valid-sample-resigned" : "valid-sample", o.str());
  }
  {
    // The single events as one atomic AppendBatch (a key registered and used in the same
    // request), then the same again through AppendEach (all duplicates).
    ledger::v1::AppendBatchRequest batch;
    for (const auto& r : requests) {
      if (r.has_event()) *batch.add_events() = r.event();
    }
    Output o;
    o.U8(1).Blob(batch.SerializeAsString());
    o.U8(3).Blob(batch.SerializeAsString());
    ledger::v1::GetInclusionProofRequest incl;
    incl.set_leaf_hash(std::string(32, 'x'));
    o.U8(5).Blob(incl.SerializeAsString());
    Write("append_request", "valid-batch-then-each", o.str());
  }
  {
    // Refusals: a bad signature, a submitter revoking a key, an unknown claim, a wrong version.
    ledger::v1::AppendRequest bad_sig = requests[0];
    bad_sig.mutable_event()->mutable_signature()->at(5) ^= 1;
    ledger::v1::AppendRequest wrong_version = requests[0];
    wrong_version.mutable_event()->set_version(2);
    Output o;
    o.U8(0).Blob(bad_sig.SerializeAsString());
    o.U8(0).Blob(wrong_version.SerializeAsString());
    o.U8(0).Blob(requests[0].SerializeAsString());
    o.U8(0).Blob(requests[4].SerializeAsString());  // corrects claim-1, which is not there
    o.U8(0 | 0x10 | (1 << 5)).Blob(requests[8].SerializeAsString());  // revoke by a submitter
    o.U8(7).Blob(std::string("\x08\x05\x12\x03" "abc", 7)).U8(9);
    Write("append_request", "edge-refusals", o.str());
  }
  {
    // Structured: claims mutated field by field (op 8), after the sample's key registrations.
    Output o;
    o.U8(0).Blob(requests[0].SerializeAsString());
    o.U8(0).Blob(requests[1].SerializeAsString());
    for (int i = 0; i < 8; ++i) {
      Output p;
      p.U8(static_cast<uint8_t>(i % 3)).U8(static_cast<uint8_t>(i % 3));
      for (int e = 0; e < 3; ++e) {
        p.U8(static_cast<uint8_t>(2 + (i + e) % 5)).U8(static_cast<uint8_t>(i));
        for (int k = 0; k < 8; ++k) p.U8(static_cast<uint8_t>(i * 31 + e * 7 + k * 13));
        p.U8(static_cast<uint8_t>(i & 1)).U8(static_cast<uint8_t>(e));
      }
      p.U8(static_cast<uint8_t>(i & 1));
      o.U8(8).Blob(p.str());
    }
    Write("append_request", "edge-structured", o.str());
  }
}

// ---- replication ----------------------------------------------------------------------------

void ReplicationSeeds() {
  const std::string honest(48, '\0');  // leader A answers every call, no prefetch
  // start: 0 empty, 1 a prefix of A (next byte: length - 1), 2 a prefix of B; then options.
  Write("replication", "valid-empty-page-1", std::string("\0\0", 2) + honest);
  Write("replication", "valid-empty-pages-of-4-chunks-of-3",
        std::string("\0", 1) + std::string(1, static_cast<char>(3 | (2 << 3))) + honest);
  Write("replication", "valid-prefix-5-of-a", std::string("\1\4\7", 3) + honest);
  Write("replication", "valid-prefix-3-of-b", std::string("\2\2\7", 3) + honest);
  {
    // Prefetch: the long poll brings 8 entries, the rest comes page by page.
    Output o;
    o.U8(0).U8(7).U8(0).U8(8);
    o.Bytes(std::string(40, '\0'));
    Write("replication", "valid-prefetch", o.str());
  }
  // Leader B answers a follower holding 8 entries of A: its checkpoint is not consistent.
  Write("replication", "edge-fork-b", std::string("\1\7\7", 3) + std::string(24, '\1'));
  // Leader B (9 entries) answers a follower holding all 11 of A: a rollback or a fork.
  Write("replication", "edge-rollback", std::string("\1\12\7", 3) + std::string(24, '\1'));
  // Mutated answers from A.
  {
    Output o;
    o.U8(0).U8(0);
    for (int i = 0; i < 12; ++i) o.U8(2).U8(0).U8(1).U16(static_cast<uint16_t>(i * 37)).U8(0x40);
    Write("replication", "edge-mutated", o.str());
  }
}

// ---- claim_queries ---------------------------------------------------------------------------

void ClaimQuerySeeds() {
  namespace v1 = ledger::v1;
  Output o;
  {
    v1::GetClaimRequest r;
    r.set_claim_id("claim-1");
    o.U8(0).Blob(r.SerializeAsString());
    r.mutable_as_of()->set_sequence(3);
    o.U8(0).Blob(r.SerializeAsString());
  }
  {
    v1::ListClaimsRequest r;
    r.set_topic("energy");
    r.set_page_size(2);
    o.U8(1).Blob(r.SerializeAsString());
    v1::ListClaimsRequest by_claimant;
    by_claimant.set_claimant("Alexander Novak");
    by_claimant.set_page_size(1);
    by_claimant.mutable_said_from()->set_year(2015);
    by_claimant.mutable_said_to()->set_year(2015);
    by_claimant.mutable_said_to()->set_month(8);
    o.U8(1).Blob(by_claimant.SerializeAsString());
    v1::ListClaimsRequest by_status;
    by_status.set_status(v1::ACTIVE);
    by_status.set_page_size(1);
    by_status.mutable_as_of()->set_sequence(6);
    o.U8(1).Blob(by_status.SerializeAsString());
    r.set_page_size(1);
    o.U8(2).Blob(r.SerializeAsString()).U8(2).U8(20).U8(1).U8(30).U8(0x80);
  }
  {
    v1::GetVerdictTallyRequest r;
    r.set_claimant("Alexander Novak");
    o.U8(3).Blob(r.SerializeAsString());
    v1::GetKeyRequest k;
    k.set_key_id(KeyIdOf(SignerKey(1).public_key()));
    o.U8(4).Blob(k.SerializeAsString());
    v1::GetViewStatusRequest st;
    st.set_with_digests(true);
    o.U8(5).Blob(st.SerializeAsString());
  }
  Write("claim_queries", "valid-queries", o.str());
  Output edge;
  v1::ListClaimsRequest bad;
  bad.set_topic("energy");
  bad.set_page_token(std::string("\x01not a token at all, but long enough", 38));
  edge.U8(1).Blob(bad.SerializeAsString());
  bad.set_page_size(-1);
  edge.U8(1).Blob(bad.SerializeAsString());
  Write("claim_queries", "edge-bad-token", edge.str());
}

// ---- client_output ---------------------------------------------------------------------------

void ClientOutputSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  service::LedgerServiceImpl service(sample->log.get());
  ledger::v1::ListEntriesRequest req;
  ledger::v1::ListEntriesResponse resp;
  if (!service.ListEntries(nullptr, &req, &resp).ok()) std::exit(1);
  for (int i = 0; i < resp.entries_size(); ++i) {
    Write("client_output", absl::StrCat("valid-entry-", i),
          std::string(1, '\0') + resp.entries(i).SerializeAsString());
  }
  for (int i = 0; i < 4; ++i) {
    Output o;
    o.U8(1).U8(static_cast<uint8_t>(2 + i)).U8(4);
    for (int k = 0; k < 24; ++k) o.U8(static_cast<uint8_t>(i * 41 + k * 23));
    Write("client_output", absl::StrCat("edge-mutated-", i), o.str());
  }
}

}  // namespace
// ---- tlog_proof -----------------------------------------------------------------------------

void TlogProofSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const core::Log& log = *sample->log;
  const TreeSize size = log.Head().tree_size;
  const std::string note = log.LatestCheckpoint();
  for (SequenceNumber seq = 0; seq < size; seq += 3) {
    Write("tlog_proof", absl::StrCat("valid-proof-", seq),
          cli::EncodeTlogProof(SampleBundle(log, seq, size, note)));
  }
  // The spec's example shape without extra: a generic proof, which ours refuses.
  Write("tlog_proof", "edge-no-extra",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n" + note);
}

// witness_request (bodies a fresh witness of the sample log cosigns, and refusals) and
// cosignature (selector byte, then a reply, a cosigned note or a cosigner verifier key).
void WitnessSeeds() {
  const std::unique_ptr<LogUnderTest> sample = BuildSampleLog();
  const core::Log& log = *sample->log;
  const TreeSize size = log.Head().tree_size;
  witness::AddCheckpointRequest r;
  r.checkpoint = log.LatestCheckpoint();
  Write("witness_request", "valid-old-0", witness::EncodeAddCheckpointRequest(r));
  r.old_size = 5;
  r.proof = log.ProveConsistency(5, size)->hashes;
  Write("witness_request", "edge-old-5-proof", witness::EncodeAddCheckpointRequest(r));
  r.old_size = size + 1;
  r.proof.clear();
  Write("witness_request", "edge-old-over-size", witness::EncodeAddCheckpointRequest(r));
  format::Checkpoint cp{std::string(kOrigin), 3, HashFromBytes(std::string(32, '\3'))};
  r.old_size = 0;
  r.checkpoint = format::SignCheckpoint(cp, KeyFromFill(0x01));
  Write("witness_request", "edge-other-key", witness::EncodeAddCheckpointRequest(r));
  cp.origin = "other.example/log";
  r.checkpoint = format::SignCheckpoint(cp, LogKey());
  Write("witness_request", "edge-unknown-origin", witness::EncodeAddCheckpointRequest(r));
  Write("witness_request", "edge-409-body", witness::EncodeTlogSize(12345));

  format::Checkpoint seed{std::string(kOrigin), 11, HashFromBytes(std::string(32, '\x11'))};
  const std::string text = format::CheckpointText(seed);
  const std::string l1 = witness::CosignatureLine("fuzz.example/w1", KeyFromFill(0x71), text, 1);
  const std::string l2 =
      witness::CosignatureLine("fuzz.example/w2", KeyFromFill(0x72), text, 1767225600);
  Write("cosignature", "valid-reply", std::string(1, '\0') + l1 + l2);
  Write("cosignature", "edge-reply-other-text",
        std::string(1, '\0') +
            witness::CosignatureLine("fuzz.example/w1", KeyFromFill(0x71), "x\n", 1));
  const std::string note = format::SignCheckpoint(seed, LogKey());
  Write("cosignature", "valid-note-2-of-2", std::string(1, '\1') + note + l1 + l2);
  Write("cosignature", "edge-note-1-of-2", std::string(1, '\1') + note + l2);
  Write("cosignature", "valid-verifier-key",
        std::string(1, '\2') +
            witness::CosignerVerifierKey({"fuzz.example/w1", KeyFromFill(0x71).public_key()}));
  Write("cosignature", "edge-note-verifier-key",
        std::string(1, '\2') + format::NoteVerifierKey("fuzz.example/w1", LogKey().public_key()));
}

}  // namespace ledger::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus DIR   (DIR/<target>/<seed> files are written)\n";
    return 2;
  }
  ledger::fuzz::g_root = argv[1];
  ledger::fuzz::MerkleSeeds();
  ledger::fuzz::StoreRecordSeeds();
  ledger::fuzz::StoredEntrySeeds();
  ledger::fuzz::CheckpointSeeds();
  ledger::fuzz::BundleSeeds();
  ledger::fuzz::ClaimReviewSeeds();
  ledger::fuzz::ExplainSeeds();
  ledger::fuzz::ImportSeeds();
  ledger::fuzz::DataDirFileSeeds();
  ledger::fuzz::AppendRequestSeeds();
  ledger::fuzz::ReplicationSeeds();
  ledger::fuzz::ClaimQuerySeeds();
  ledger::fuzz::ClientOutputSeeds();
  ledger::fuzz::TlogProofSeeds();
  ledger::fuzz::WitnessSeeds();
  std::cout << "wrote " << ledger::fuzz::g_written << " seed files under " << argv[1] << "\n";
  return 0;
}
