#include "ledger/client/event_signer.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/base/types.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"

namespace ledger::client {

std::string SerializeEvent(const ledger::v1::Event& event) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&out);
  }
  return bytes;
}

std::string ContentEventId(absl::string_view event_bytes) {
  Hash h = crypto::Sha256(event_bytes);
  return "ev-" + HexEncode(AsStringView(h).substr(0, 16));
}

ledger::v1::SignedEvent SignEventBytes(absl::string_view origin, absl::string_view event_id,
                                       std::string event_bytes,
                                       const crypto::Ed25519PrivateKey& key) {
  ledger::v1::SignedEvent signed_event;
  signed_event.set_version(format::kSignedEventVersion1);
  signed_event.set_event_id(std::string(event_id));
  signed_event.set_key_id(std::string(AsStringView(crypto::SignerKeyId(key.public_key()))));
  signed_event.set_signature(
      key.Sign(format::EventSigningInput(origin, event_id, event_bytes)));
  signed_event.set_event(std::move(event_bytes));
  return signed_event;
}

ledger::v1::SignedEvent SignEvent(absl::string_view origin, absl::string_view event_id,
                                  const ledger::v1::Event& event,
                                  const crypto::Ed25519PrivateKey& key) {
  std::string bytes = SerializeEvent(event);
  std::string id = event_id.empty() ? ContentEventId(bytes) : std::string(event_id);
  return SignEventBytes(origin, id, std::move(bytes), key);
}

ledger::v1::SignedBatch SignBatch(absl::string_view origin, absl::string_view batch_id,
                                  const std::vector<std::pair<std::string, std::string>>& events,
                                  const crypto::Ed25519PrivateKey& key) {
  ledger::v1::SignedBatch batch;
  batch.set_version(format::kSignedBatchVersion1);
  batch.set_batch_id(std::string(batch_id));
  merkle::Frontier tree;
  for (const auto& [event_id, bytes] : events) {
    auto* e = batch.add_events();
    e->set_event_id(event_id);
    e->set_event(bytes);
    tree.Append(merkle::HashLeaf(format::BatchItem(event_id, bytes)), nullptr);
  }
  batch.set_key_id(std::string(AsStringView(crypto::SignerKeyId(key.public_key()))));
  batch.set_signature(key.Sign(format::BatchSigningInput(
      origin, batch_id, static_cast<uint32_t>(events.size()), tree.Root())));
  return batch;
}

}  // namespace ledger::client
