#include "cli/explain.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/views/claim_state.h"
#include "nlohmann/json.hpp"

namespace ledger::cli {

namespace {

using Json = nlohmann::ordered_json;
using ledger::v1::Event;

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("explain bundle: ", what));
}

std::string Hex(const Hash& h) { return HexEncode(h); }

absl::StatusOr<Hash> HashMember(const Json& obj, const char* name) {
  if (!obj.contains(name) || !obj[name].is_string()) {
    return Bad(absl::StrCat("\"", name, "\" must be a string of 64 hex digits"));
  }
  std::string bytes;
  const std::string hex = obj[name].get<std::string>();
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Bad(absl::StrCat("\"", name, "\" must be 64 lowercase hex digits"));
  }
  bytes = absl::HexStringToBytes(hex);
  return HashFromBytes(bytes);
}

absl::StatusOr<uint64_t> UintMember(const Json& obj, const char* name) {
  if (!obj.contains(name) || !obj[name].is_number_unsigned()) {
    return Bad(absl::StrCat("\"", name, "\" must be an unsigned integer"));
  }
  return obj[name].get<uint64_t>();
}

absl::StatusOr<std::string> StringMember(const Json& obj, const char* name) {
  if (!obj.contains(name) || !obj[name].is_string()) {
    return Bad(absl::StrCat("\"", name, "\" must be a string"));
  }
  return obj[name].get<std::string>();
}

absl::StatusOr<std::vector<SequenceNumber>> SequenceList(const Json& obj, const char* name) {
  if (!obj.contains(name) || !obj[name].is_array()) {
    return Bad(absl::StrCat("\"", name, "\" must be an array of sequence numbers"));
  }
  std::vector<SequenceNumber> out;
  for (const Json& v : obj[name]) {
    if (!v.is_number_unsigned()) return Bad(absl::StrCat("\"", name, "\" must hold sequence numbers"));
    out.push_back(v.get<uint64_t>());
  }
  return out;
}

Json AnswerJson(const ClaimAnswer& a) {
  Json j = {{"exists", a.exists}};
  if (!a.exists) return j;
  j["status"] = a.status;
  j["asserted_sequence"] = a.asserted_sequence;
  j["version_sequence"] = a.version_sequence;
  j["history"] = a.history;
  j["verdicts"] = a.verdicts;
  j["appearances"] = a.appearances;
  j["relations"] = a.relations;
  std::string claim;
  a.claim.SerializeToString(&claim);
  j["claim"] = absl::Base64Escape(claim);
  return j;
}

absl::StatusOr<ClaimAnswer> AnswerOf(const Json& j) {
  if (!j.is_object() || !j.contains("exists") || !j["exists"].is_boolean()) {
    return Bad("\"stated\" must be an object with a boolean \"exists\"");
  }
  ClaimAnswer a;
  a.exists = j["exists"].get<bool>();
  if (!a.exists) return a;
  absl::StatusOr<std::string> s = StringMember(j, "status");
  if (!s.ok()) return s.status();
  a.status = *s;
  absl::StatusOr<uint64_t> n = UintMember(j, "asserted_sequence");
  if (!n.ok()) return n.status();
  a.asserted_sequence = *n;
  n = UintMember(j, "version_sequence");
  if (!n.ok()) return n.status();
  a.version_sequence = *n;
  for (auto [name, field] : {std::pair<const char*, std::vector<SequenceNumber>*>{"history", &a.history},
                             {"verdicts", &a.verdicts},
                             {"appearances", &a.appearances},
                             {"relations", &a.relations}}) {
    absl::StatusOr<std::vector<SequenceNumber>> list = SequenceList(j, name);
    if (!list.ok()) return list.status();
    *field = *std::move(list);
  }
  s = StringMember(j, "claim");
  if (!s.ok()) return s.status();
  std::string bytes;
  if (!absl::Base64Unescape(*s, &bytes) || !a.claim.ParseFromString(bytes)) {
    return Bad("\"stated.claim\" is not a base64 ledger.v1.Claim");
  }
  return a;
}

}  // namespace

absl::StatusOr<ClaimAnswer> ReplayClaimEntries(const std::string& claim_id,
                                               const std::vector<VerifiedBundle>& entries) {
  ClaimAnswer a;
  for (const VerifiedBundle& v : entries) {
    const SequenceNumber seq = v.bundle.sequence;
    const Event& e = v.event;
    if (!a.exists && !(e.has_claim_asserted() && v.bundle.event_id == claim_id)) {
      return Bad(absl::StrCat("entry ", seq, " comes before the claim's assert"));
    }
    a.history.push_back(seq);
    switch (e.body_case()) {
      case Event::kClaimAsserted:
        if (a.exists) return Bad(absl::StrCat("entry ", seq, " asserts the claim a second time"));
        a.exists = true;
        a.status = "ACTIVE";
        a.asserted_sequence = a.version_sequence = seq;
        a.claim = e.claim_asserted().claim();
        break;
      case Event::kClaimCorrected:
        if (a.status == "RETRACTED") return Bad(absl::StrCat("entry ", seq, " corrects a retracted claim"));
        a.status = "CORRECTED";
        a.version_sequence = seq;
        a.claim = e.claim_corrected().claim();
        break;
      case Event::kClaimRetracted:
        if (a.status == "RETRACTED") return Bad(absl::StrCat("entry ", seq, " retracts it again"));
        a.status = "RETRACTED";
        break;
      case Event::kClaimReviewed:
        a.verdicts.push_back(seq);
        break;
      case Event::kClaimAppeared:
        a.appearances.push_back(seq);
        break;
      case Event::kClaimRelated:
        a.relations.push_back(seq);
        break;
      default:
        return Bad(absl::StrCat("entry ", seq, " does not concern a claim"));
    }
  }
  return a;
}

namespace {

std::string SequencesText(const std::vector<SequenceNumber>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) absl::StrAppend(&out, i ? ", " : "", s[i]);
  return out + "]";
}

// The first difference between what the server stated and what the entries say.
absl::Status CompareStated(const ClaimAnswer& stated, const ClaimAnswer& replayed) {
  auto differ = [](absl::string_view what, const std::string& said, const std::string& real) {
    return absl::DataLossError(absl::StrCat("the server stated ", what, " ", said,
                                            " but the signed entries say ", real));
  };
  if (stated.exists != replayed.exists) {
    return differ("that the claim", stated.exists ? "exists" : "does not exist",
                  replayed.exists ? "it exists" : "it does not");
  }
  if (!stated.exists) return absl::OkStatus();
  if (stated.status != replayed.status) return differ("status", stated.status, replayed.status);
  if (stated.asserted_sequence != replayed.asserted_sequence) {
    return differ("asserted sequence", absl::StrCat(stated.asserted_sequence),
                  absl::StrCat(replayed.asserted_sequence));
  }
  if (stated.version_sequence != replayed.version_sequence) {
    return differ("current version at sequence", absl::StrCat(stated.version_sequence),
                  absl::StrCat(replayed.version_sequence));
  }
  for (auto [what, s, r] : {std::tuple<const char*, const std::vector<SequenceNumber>*,
                                       const std::vector<SequenceNumber>*>{
                                "history", &stated.history, &replayed.history},
                            {"verdicts at", &stated.verdicts, &replayed.verdicts},
                            {"appearances at", &stated.appearances, &replayed.appearances},
                            {"relations at", &stated.relations, &replayed.relations}}) {
    if (*s != *r) return differ(what, SequencesText(*s), SequencesText(*r));
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(stated.claim, replayed.claim)) {
    return differ("the current version's content", "other than", "the current version's event");
  }
  return absl::OkStatus();
}

}  // namespace

bool ClaimAnswer::operator==(const ClaimAnswer& o) const { return CompareStated(*this, o).ok(); }

ClaimAnswer StatedAnswer(const ledger::v1::ClaimDetails& d) {
  ClaimAnswer a;
  a.exists = true;
  a.status = ledger::v1::ClaimStatus_Name(d.status());
  a.asserted_sequence = d.asserted_sequence();
  a.version_sequence = d.version_sequence();
  for (const auto& h : d.history()) a.history.push_back(h.sequence());
  for (const auto& v : d.verdicts()) a.verdicts.push_back(v.sequence());
  for (const auto& p : d.appearances()) a.appearances.push_back(p.sequence());
  for (const auto& r : d.relations()) a.relations.push_back(r.sequence());
  a.claim = d.claim();
  return a;
}

absl::StatusOr<merkle::MapProof> MapProofOf(const ledger::v1::StateProof& p) {
  merkle::MapProof proof;
  if (p.siblings_size() > static_cast<int>(merkle::kMaxMapProofSiblings)) {
    return Bad(absl::StrCat("map proof has ", p.siblings_size(), " siblings; the limit is ",
                            merkle::kMaxMapProofSiblings));
  }
  for (const std::string& s : p.siblings()) {
    if (s.size() != 32) return Bad("a map proof sibling is not 32 bytes");
    proof.siblings.push_back(HashFromBytes(s));
  }
  if (!p.terminal_key().empty() || !p.terminal_value().empty()) {
    if (p.terminal_key().size() != 32 || p.terminal_value().size() != 32) {
      return Bad("the map proof's terminal leaf must have a 32-byte key and value");
    }
    proof.terminal = merkle::MapLeaf{HashFromBytes(p.terminal_key()), HashFromBytes(p.terminal_value())};
  }
  return proof;
}

std::string EncodeExplainBundle(const ExplainBundle& b) {
  Json proof = {{"siblings", Json::array()}};
  for (const Hash& h : b.map_proof.siblings) proof["siblings"].push_back(Hex(h));
  if (b.map_proof.terminal.has_value()) {
    proof["terminal_key"] = Hex(b.map_proof.terminal->key);
    proof["terminal_value"] = Hex(b.map_proof.terminal->value);
  }
  Json entries = Json::array();
  for (const ProofBundle& e : b.entries) entries.push_back(Json::parse(EncodeBundle(e)));
  Json doc = {{"format", std::string(kExplainFormat)},
              {"origin", b.origin},
              {"claim_id", b.claim_id},
              {"tree_size", b.tree_size},
              {"map_checkpoint", b.map_checkpoint},
              {"state_hash", b.state_hash.has_value() ? Json(Hex(*b.state_hash)) : Json(nullptr)},
              {"map_proof", proof},
              {"entries", entries},
              {"stated", AnswerJson(b.stated)}};
  return doc.dump(2) + "\n";
}

bool IsExplainBundle(absl::string_view document) {
  Json doc = Json::parse(document.begin(), document.end(), nullptr, false);
  return !doc.is_discarded() && doc.is_object() && doc.contains("format") &&
         doc["format"] == std::string(kExplainFormat);
}

absl::StatusOr<ExplainBundle> DecodeExplainBundle(absl::string_view document) {
  constexpr size_t kMaxDocument = 64 << 20;
  if (document.size() > kMaxDocument) {
    return Bad(absl::StrCat("the document is ", document.size(), " bytes; the limit is ", kMaxDocument));
  }
  Json doc = Json::parse(document.begin(), document.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("not a JSON object");
  static const char* kMembers[] = {"format",     "origin",    "claim_id", "tree_size", "map_checkpoint",
                                   "state_hash", "map_proof", "entries",  "stated"};
  for (const auto& [key, value] : doc.items()) {
    bool known = false;
    for (const char* m : kMembers) known = known || key == m;
    if (!known) return Bad(absl::StrCat("unknown member \"", key, "\""));
  }
  ExplainBundle b;
  absl::StatusOr<std::string> s = StringMember(doc, "format");
  if (!s.ok()) return s.status();
  if (*s != kExplainFormat) return Bad(absl::StrCat("format is \"", *s, "\", want \"", kExplainFormat, "\""));
  if (s = StringMember(doc, "origin"); !s.ok()) return s.status();
  b.origin = *s;
  if (s = StringMember(doc, "claim_id"); !s.ok()) return s.status();
  b.claim_id = *s;
  absl::StatusOr<uint64_t> n = UintMember(doc, "tree_size");
  if (!n.ok()) return n.status();
  b.tree_size = *n;
  if (s = StringMember(doc, "map_checkpoint"); !s.ok()) return s.status();
  b.map_checkpoint = *s;
  if (!doc.contains("state_hash")) return Bad("\"state_hash\" is missing");
  if (!doc["state_hash"].is_null()) {
    absl::StatusOr<Hash> h = HashMember(doc, "state_hash");
    if (!h.ok()) return h.status();
    b.state_hash = *h;
  }
  if (!doc.contains("map_proof") || !doc["map_proof"].is_object()) return Bad("\"map_proof\" must be an object");
  const Json& proof = doc["map_proof"];
  if (!proof.contains("siblings") || !proof["siblings"].is_array()) {
    return Bad("\"map_proof.siblings\" must be an array");
  }
  if (proof["siblings"].size() > merkle::kMaxMapProofSiblings) {
    return Bad(absl::StrCat("\"map_proof.siblings\" holds ", proof["siblings"].size(),
                            " hashes; the limit is ", merkle::kMaxMapProofSiblings));
  }
  for (const Json& h : proof["siblings"]) {
    Json wrap = {{"h", h}};
    absl::StatusOr<Hash> hash = HashMember(wrap, "h");
    if (!hash.ok()) return Bad("\"map_proof.siblings\" must hold 64 hex digits each");
    b.map_proof.siblings.push_back(*hash);
  }
  if (proof.contains("terminal_key") || proof.contains("terminal_value")) {
    absl::StatusOr<Hash> k = HashMember(proof, "terminal_key");
    if (!k.ok()) return k.status();
    absl::StatusOr<Hash> v = HashMember(proof, "terminal_value");
    if (!v.ok()) return v.status();
    b.map_proof.terminal = merkle::MapLeaf{*k, *v};
  }
  if (!doc.contains("entries") || !doc["entries"].is_array()) return Bad("\"entries\" must be an array");
  for (const Json& e : doc["entries"]) {
    absl::StatusOr<ProofBundle> pb = DecodeBundle(e.dump() + "\n");
    if (!pb.ok()) return Bad(absl::StrCat("an entry: ", pb.status().message()));
    b.entries.push_back(*std::move(pb));
  }
  if (!doc.contains("stated")) return Bad("\"stated\" is missing");
  absl::StatusOr<ClaimAnswer> stated = AnswerOf(doc["stated"]);
  if (!stated.ok()) return stated.status();
  b.stated = *std::move(stated);
  return b;
}

absl::StatusOr<VerifiedExplain> VerifyExplainBundle(absl::string_view document,
                                                    const format::NoteVerifier& log_key) {
  absl::StatusOr<ExplainBundle> decoded = DecodeExplainBundle(document);
  if (!decoded.ok()) return decoded.status();
  VerifiedExplain out;
  out.bundle = *std::move(decoded);
  const ExplainBundle& b = out.bundle;
  if (b.origin != log_key.name) {
    return Bad(absl::StrCat("origin is \"", b.origin, "\", the trusted log key's is \"", log_key.name, "\""));
  }
  absl::StatusOr<format::MapCheckpoint> mc = format::VerifyMapCheckpoint(b.map_checkpoint, log_key);
  if (!mc.ok()) return Bad(absl::StrCat("map checkpoint: ", mc.status().message()));
  out.map_checkpoint = *mc;
  if (mc->checkpoint.tree_size != b.tree_size) {
    return Bad(absl::StrCat("the map checkpoint is for tree size ", mc->checkpoint.tree_size,
                            ", the bundle says ", b.tree_size));
  }
  // The map: the claim's state hash, or its absence.
  const Hash key = views::StateMapKey(views::StateSubjectKind::kClaim, b.claim_id);
  absl::StatusOr<std::optional<Hash>> proven = merkle::VerifyMapProof(mc->map_root, key, b.map_proof);
  if (!proven.ok()) return Bad(proven.status().message());
  if (*proven != b.state_hash) {
    return Bad(*proven ? "the map proves a state hash other than the bundle's"
                       : "the map proves the claim absent, but the bundle states a hash");
  }
  // The entries: each in the log at that size, each about the claim, in order; their chain.
  std::vector<VerifiedBundle> verified;
  Hash chain{};
  for (const ProofBundle& e : b.entries) {
    if (e.checkpoint != b.map_checkpoint || e.tree_size != b.tree_size) {
      return Bad(absl::StrCat("entry ", e.sequence, " is proven against another checkpoint"));
    }
    if (!verified.empty() && e.sequence <= verified.back().bundle.sequence) {
      return Bad(absl::StrCat("entry ", e.sequence, " is out of log order"));
    }
    absl::StatusOr<VerifiedBundle> v = VerifyBundleContent(e, log_key);
    if (!v.ok()) return Bad(absl::StrCat("entry ", e.sequence, ": ", v.status().message()));
    bool concerns = false;
    for (const views::StateSubject& s : views::SubjectsOf(e.event_id, v->event)) {
      concerns = concerns || (s.kind == views::StateSubjectKind::kClaim && s.id == b.claim_id);
    }
    if (!concerns) return Bad(absl::StrCat("entry ", e.sequence, " does not concern claim ", b.claim_id));
    chain = views::NextStateHash(chain, e.sequence, e.leaf_hash);
    verified.push_back(*std::move(v));
  }
  if (!b.state_hash.has_value()) {
    if (!verified.empty()) return Bad("the map proves the claim absent, but the bundle lists entries");
  } else if (chain != *b.state_hash) {
    return Bad(absl::StrCat("the entries do not produce the committed state hash (",
                            verified.size(),
                            " entries given): an entry about the claim is missing, added or "
                            "out of order"));
  }
  absl::StatusOr<ClaimAnswer> replayed = ReplayClaimEntries(b.claim_id, verified);
  if (!replayed.ok()) return replayed.status();
  out.replayed = *std::move(replayed);
  if (absl::Status s = CompareStated(b.stated, out.replayed); !s.ok()) return s;
  return out;
}

}  // namespace ledger::cli
