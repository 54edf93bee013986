// Every decoder of stored records: the log store's keys and values (ledger/store/schema.h), the
// key registry and claim records (ledger/core), and the view database's keys and values
// (ledger/views/view_schema.h). The input is a selector byte and the record.
//
// Invariants (abort on violation):
//   - log store and core records (part of the on-disk format): a record that decodes is the
//     exact encoding of what it decodes to (decode -> encode gives the same bytes);
//   - view records (derived data, rebuilt from the log when in doubt): decoding the
//     re-encoding gives the same value (decode -> encode -> decode is stable).
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/core/claim_rules.h"
#include "ledger/core/key_registry.h"
#include "ledger/store/schema.h"
#include "ledger/views/view_schema.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

namespace ss = store::schema;
namespace vs = views::schema;

#define ROUND_TRIP(decoded, encode_expr, bytes)                                         \
  do {                                                                                  \
    FUZZ_EXPECT_VALID((decoded).status());                                              \
    if ((decoded).ok()) {                                                               \
      const auto& value = *(decoded);                                                   \
      (void)value;                                                                      \
      FUZZ_CHECK_MSG((encode_expr) == (bytes), "re-encoding differs for " #decoded);    \
    }                                                                                   \
  } while (0)

bool SameKeyState(const vs::KeyState& a, const vs::KeyState& b) {
  return a.has_public_key == b.has_public_key && a.public_key == b.public_key &&
         a.role == b.role && a.registered_sequence == b.registered_sequence &&
         a.revoked == b.revoked && a.revoked_sequence == b.revoked_sequence;
}

void Run(uint8_t selector, const std::string& bytes) {
  const std::string key = "k";
  switch (selector % 20) {
    case 0: {
      auto d = ss::DecodeEntryKey(bytes);
      ROUND_TRIP(d, ss::EntryKey(value), bytes);
      break;
    }
    case 1: {
      auto d = ss::DecodeNodeKey(bytes);
      if (d.ok()) FUZZ_CHECK(d->level <= ss::kMaxNodeLevel);
      ROUND_TRIP(d, ss::NodeKey(value), bytes);
      break;
    }
    case 2: {
      auto d = ss::DecodeNodeValue(key, bytes);
      ROUND_TRIP(d, ss::EncodeNodeValue(value), bytes);
      break;
    }
    case 3: {
      auto d = ss::DecodeLeafIndexValue(key, bytes);
      ROUND_TRIP(d, ss::EncodeLeafIndexValue(value), bytes);
      break;
    }
    case 4: {
      auto d = ss::DecodeEventIdValue(bytes, bytes);  // the key is only used in messages
      ROUND_TRIP(d, ss::EncodeEventIdValue(value), bytes);
      break;
    }
    case 5: {
      auto d = ss::DecodeCheckpointKey(bytes);
      ROUND_TRIP(d, ss::CheckpointKey(value), bytes);
      break;
    }
    case 6: {
      auto d = ss::DecodeHead(bytes);
      ROUND_TRIP(d, ss::EncodeHead(value), bytes);
      break;
    }
    case 7: {
      auto d = core::DecodeKeyRecord(bytes);
      ROUND_TRIP(d, core::EncodeKeyRecord(value), bytes);
      break;
    }
    case 8: {
      auto d = core::DecodeClaimRecord(bytes);
      if (d.ok()) FUZZ_CHECK(d->submitter_key_id.size() == 32);
      ROUND_TRIP(d, core::EncodeClaimRecord(value), bytes);
      break;
    }
    case 9: {
      auto d = vs::DecodeFingerprint(bytes);
      ROUND_TRIP(d, vs::EncodeFingerprint(value), bytes);
      break;
    }
    case 10: {
      auto d = vs::DecodeIndexEntry(bytes);
      FUZZ_EXPECT_VALID(d.status());
      if (d.ok()) {
        auto again = vs::DecodeIndexEntry(vs::EncodeIndexEntry(*d));
        FUZZ_CHECK(again.ok() && again->claim_id == d->claim_id && again->ranges == d->ranges);
        for (TreeSize s : {TreeSize{0}, TreeSize{1}, ~TreeSize{0}}) d->VisibleAt(s);
      }
      break;
    }
    case 12:
    case 13: {
      const vs::IndexSpace space =
          selector % 20 == 12
              ? vs::ClaimIndexSpace(vs::ViewPrefix(vs::ViewTag::kClaims, vs::kClaimsView),
                                    vs::ClaimIndex::kClaimant)
              : vs::StatusIndexSpace(vs::ViewPrefix(vs::ViewTag::kClaims, vs::kClaimsView));
      auto d = vs::DecodeIndexEntryKey(space, bytes);
      ROUND_TRIP(d, vs::IndexEntryKey(space, value.term, value.said, value.asserted_sequence),
                 bytes);
      break;
    }
    case 14: {
      auto d = vs::DecodeHistoryKeySequence(bytes);
      FUZZ_EXPECT_VALID(d.status());
      if (d.ok()) FUZZ_CHECK(bytes.size() >= 8);
      break;
    }
    case 11:  // was the index views' reverse record (schema version <= 5)
    case 15: {
      auto d = vs::DecodeClaimState(bytes);
      // The match index's copy-free decoding accepts exactly what DecodeClaimState does, and
      // reads the same fields.
      vs::MatchFields m;
      const absl::Status fields = vs::DecodeMatchFields(bytes, &m);
      FUZZ_CHECK(fields.ok() == d.ok());
      if (d.ok()) {
        auto same = [](const std::vector<absl::string_view>& a,
                       const std::vector<std::string>& b) {
          return std::equal(a.begin(), a.end(), b.begin(), b.end());
        };
        FUZZ_CHECK(m.asserted_sequence == d->asserted_sequence && m.said == d->said);
        FUZZ_CHECK(same(m.claimant_terms,
                        d->index_terms[static_cast<size_t>(vs::ClaimIndex::kClaimant)]));
        FUZZ_CHECK(same(m.topic_terms, d->index_terms[static_cast<size_t>(vs::ClaimIndex::kTopic)]));
        FUZZ_CHECK(same(m.name_terms, d->name_terms));
        FUZZ_CHECK(same(m.statement_terms, d->statement_terms));
      }
      ROUND_TRIP(d, vs::EncodeClaimState(value), bytes);
      break;
    }
    case 16: {
      auto d = vs::DecodeKindAndId(bytes);
      ROUND_TRIP(d, vs::EncodeKindAndId(value.first, value.second), bytes);
      if (d.ok()) vs::EventKindName(d->first);
      break;
    }
    case 17: {
      auto d = vs::DecodeKeyState(bytes);
      FUZZ_EXPECT_VALID(d.status());
      if (d.ok()) {
        auto again = vs::DecodeKeyState(vs::EncodeKeyState(*d));
        FUZZ_CHECK(again.ok() && SameKeyState(*again, *d));
      }
      break;
    }
    case 18: {
      auto d = vs::DecodeTallyKeySuffix(bytes);
      FUZZ_EXPECT_VALID(d.status());
      if (d.ok()) {
        std::string encoded;
        vs::AppendOrderedString(&encoded, d->first);
        vs::AppendOrderedString(&encoded, d->second);
        FUZZ_CHECK(encoded == bytes);
      }
      break;
    }
    default: {
      // Ordered strings: what is consumed re-encodes to exactly the bytes consumed, and the
      // encoding keeps the order of the strings.
      absl::string_view in = bytes;
      std::string s;
      const bool consumed = vs::ConsumeOrderedString(&in, &s);
      FUZZ_EXPECT_VALID(consumed ? absl::OkStatus() : absl::DataLossError("ordered string"));
      if (consumed) {
        std::string encoded;
        vs::AppendOrderedString(&encoded, s);
        FUZZ_CHECK(encoded == absl::string_view(bytes).substr(0, bytes.size() - in.size()));
        std::string t;
        if (vs::ConsumeOrderedString(&in, &t)) {
          std::string et;
          vs::AppendOrderedString(&et, t);
          FUZZ_CHECK((s < t) == (encoded < et));
        }
      }
      auto u32 = vs::DecodeU32(bytes, "u32");
      if (u32.ok()) FUZZ_CHECK(vs::EncodeU32(*u32) == bytes);
      auto u64 = vs::DecodeU64(bytes, "u64");
      if (u64.ok()) FUZZ_CHECK(vs::EncodeU64(*u64) == bytes);
      break;
    }
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  const uint8_t selector = in.U8();
  ledger::fuzz::Run(selector, in.Rest());
  return 0;
}
