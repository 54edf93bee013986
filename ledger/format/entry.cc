#include "ledger/format/entry.h"

#include "absl/strings/str_cat.h"
#include <vector>

#include "ledger/base/byte_reader.h"
#include "ledger/crypto/sha256.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"

namespace ledger::format {
namespace {

// Part of the signed format: DO NOT CHANGE. 20 bytes each, including the trailing 0x00.
constexpr absl::string_view kEventSignatureDomain("factledger/v1/event\x00", 20);
constexpr absl::string_view kBatchSignatureDomain("factledger/v1/batch\x00", 20);

using Reader = ByteReader;

}  // namespace

std::string EventSigningInput(absl::string_view origin, absl::string_view event_id,
                              absl::string_view event_bytes) {
  std::string out;
  out.reserve(kEventSignatureDomain.size() + 4 + origin.size() + event_id.size() + 32);
  out.append(kEventSignatureDomain.data(), kEventSignatureDomain.size());
  PutFixed16BE(&out, static_cast<uint16_t>(origin.size()));
  out.append(origin.data(), origin.size());
  PutFixed16BE(&out, static_cast<uint16_t>(event_id.size()));
  out.append(event_id.data(), event_id.size());
  Hash event_hash = crypto::Sha256(event_bytes);
  out.append(AsStringView(event_hash).data(), event_hash.size());
  return out;
}

std::string EncodeLeafData(int64_t recorded_time_micros, absl::string_view event_id,
                           absl::string_view key_id, absl::string_view signature,
                           absl::string_view event) {
  std::string out;
  out.reserve(2 + 8 + 2 + event_id.size() + key_id.size() + signature.size() + 4 +
              event.size());
  out.push_back(static_cast<char>(kEntryFormatV1));
  out.push_back(static_cast<char>(kEnvelopeSingleSignature));
  PutFixed64BE(&out, static_cast<uint64_t>(recorded_time_micros));
  PutFixed16BE(&out, static_cast<uint16_t>(event_id.size()));
  out.append(event_id.data(), event_id.size());
  out.append(key_id.data(), key_id.size());
  out.append(signature.data(), signature.size());
  PutFixed32BE(&out, static_cast<uint32_t>(event.size()));
  out.append(event.data(), event.size());
  return out;
}

absl::StatusOr<EntryView> DecodeLeafData(absl::string_view leaf_data) {
  Reader r(leaf_data);
  uint8_t version = 0, envelope = 0;
  if (!r.U8(&version) || !r.U8(&envelope)) {
    return absl::DataLossError(
        absl::StrCat("entry is ", leaf_data.size(), " bytes; shorter than its 2-byte header"));
  }
  if (version != kEntryFormatV1) {
    return absl::DataLossError(absl::StrCat("entry format version is ", int{version},
                                            "; this build reads version 1"));
  }
  if (envelope != kEnvelopeSingleSignature && envelope != kEnvelopeBatchSignature) {
    return absl::DataLossError(absl::StrCat("entry envelope kind is ", int{envelope},
                                            "; this build reads kinds 1 and 2"));
  }
  EntryView view;
  view.envelope = envelope;
  uint64_t recorded = 0;
  uint16_t id_len = 0;
  uint32_t event_len = 0;
  bool ok = r.U64(&recorded) && r.U16(&id_len) && r.Bytes(id_len, &view.event_id) &&
            r.Bytes(kKeyIdSize, &view.key_id);
  if (ok && envelope == kEnvelopeBatchSignature) {
    uint16_t batch_id_len = 0;
    uint8_t proof_len = 0;
    ok = r.U16(&batch_id_len) && r.Bytes(batch_id_len, &view.batch.batch_id) &&
         r.U32(&view.batch.batch_size) && r.U32(&view.batch.index) && r.U8(&proof_len) &&
         r.Bytes(size_t{proof_len} * 32, &view.batch.proof);
  }
  ok = ok && r.Bytes(kSignatureSize, &view.signature) && r.U32(&event_len) &&
       r.Bytes(event_len, &view.event);
  if (!ok) {
    return absl::DataLossError(
        absl::StrCat("entry of ", leaf_data.size(), " bytes is truncated"));
  }
  if (r.remaining() != 0) {
    return absl::DataLossError(
        absl::StrCat("entry has ", r.remaining(), " trailing bytes after the event"));
  }
  view.recorded_time_micros = static_cast<int64_t>(recorded);
  return view;
}

std::string BatchItem(absl::string_view event_id, absl::string_view event) {
  std::string item;
  item.reserve(2 + event_id.size() + 32);
  PutFixed16BE(&item, static_cast<uint16_t>(event_id.size()));
  item.append(event_id.data(), event_id.size());
  Hash h = crypto::Sha256(event);
  item.append(AsStringView(h).data(), h.size());
  return item;
}

std::string BatchSigningInput(absl::string_view origin, absl::string_view batch_id,
                              uint32_t batch_size, const Hash& batch_root) {
  std::string out;
  out.reserve(kBatchSignatureDomain.size() + 8 + origin.size() + batch_id.size() + 32);
  out.append(kBatchSignatureDomain.data(), kBatchSignatureDomain.size());
  PutFixed16BE(&out, static_cast<uint16_t>(origin.size()));
  out.append(origin.data(), origin.size());
  PutFixed16BE(&out, static_cast<uint16_t>(batch_id.size()));
  out.append(batch_id.data(), batch_id.size());
  PutFixed32BE(&out, batch_size);
  out.append(AsStringView(batch_root).data(), batch_root.size());
  return out;
}

absl::StatusOr<std::string> EntrySigningInput(absl::string_view origin, const EntryView& entry) {
  if (entry.envelope == kEnvelopeSingleSignature) {
    return EventSigningInput(origin, entry.event_id, entry.event);
  }
  std::vector<Hash> proof;
  for (size_t i = 0; i + 32 <= entry.batch.proof.size(); i += 32) {
    proof.push_back(HashFromBytes(entry.batch.proof.substr(i, 32)));
  }
  absl::StatusOr<Hash> root = merkle::RootFromInclusionProof(
      entry.batch.index, entry.batch.batch_size,
      merkle::HashLeaf(BatchItem(entry.event_id, entry.event)), proof);
  if (!root.ok()) {
    return absl::DataLossError(absl::StrCat("batch membership proof of item ", entry.batch.index,
                                            " of ", entry.batch.batch_size, ": ",
                                            root.status().message()));
  }
  return BatchSigningInput(origin, entry.batch.batch_id, entry.batch.batch_size, *root);
}

std::string EncodeBatchLeafData(int64_t recorded_time_micros, absl::string_view event_id,
                                absl::string_view key_id, absl::string_view batch_id,
                                uint32_t batch_size, uint32_t index, absl::string_view proof,
                                absl::string_view signature, absl::string_view event) {
  std::string out;
  out.reserve(2 + 8 + 2 + event_id.size() + 32 + 2 + batch_id.size() + 9 + proof.size() + 64 +
              4 + event.size());
  out.push_back(static_cast<char>(kEntryFormatV1));
  out.push_back(static_cast<char>(kEnvelopeBatchSignature));
  PutFixed64BE(&out, static_cast<uint64_t>(recorded_time_micros));
  PutFixed16BE(&out, static_cast<uint16_t>(event_id.size()));
  out.append(event_id.data(), event_id.size());
  out.append(key_id.data(), key_id.size());
  PutFixed16BE(&out, static_cast<uint16_t>(batch_id.size()));
  out.append(batch_id.data(), batch_id.size());
  PutFixed32BE(&out, batch_size);
  PutFixed32BE(&out, index);
  out.push_back(static_cast<char>(proof.size() / 32));
  out.append(proof.data(), proof.size());
  out.append(signature.data(), signature.size());
  PutFixed32BE(&out, static_cast<uint32_t>(event.size()));
  out.append(event.data(), event.size());
  return out;
}

}  // namespace ledger::format
