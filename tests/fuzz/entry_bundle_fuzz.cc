// Entry bundles (tiles::ParseEntryBundle) and checkpoint size lines (CheckpointNoteSize) as a
// tiles-reading follower (service/tiles_entry_source.h) receives them from an untrusted server.
//
// Input: one byte w (the bundle's width is w + 1), then the bundle's bytes; the whole input is
// also read as a /checkpoint body.
// Invariants: a bundle that parses has exactly `width` items and re-encodes (u16be length ||
// item) to exactly the input, so no two bodies parse to the same items; a refusal is DataLoss.
// A size that parses is the note's second line written back in decimal; a refusal is DataLoss.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/tiles/tiles.h"
#include "service/tiles_entry_source.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger;
  if (size < 1) return 0;
  const uint32_t width = static_cast<uint32_t>(data[0]) + 1;
  const absl::string_view bundle(reinterpret_cast<const char*>(data) + 1, size - 1);
  absl::StatusOr<std::vector<std::string>> items =
      tiles::ParseEntryBundle(bundle, width, "fuzz bundle");
  FUZZ_EXPECT_VALID(items.status());
  if (!items.ok()) {
    FUZZ_CHECK_MSG(absl::IsDataLoss(items.status()), items.status().ToString());
  } else {
    FUZZ_CHECK(items->size() == width);
    std::string again;
    for (size_t i = 0; i < items->size(); ++i) {
      FUZZ_CHECK(tiles::AppendBundleEntry(i, (*items)[i], &again).ok());
    }
    FUZZ_CHECK_MSG(again == bundle, "a bundle that parses does not re-encode to itself");
  }

  const absl::string_view note(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TreeSize> tree_size = service::CheckpointNoteSize(note, "/checkpoint");
  if (!tree_size.ok()) {
    FUZZ_CHECK_MSG(absl::IsDataLoss(tree_size.status()), tree_size.status().ToString());
  } else {
    std::vector<absl::string_view> lines = absl::StrSplit(note, absl::MaxSplits('\n', 2));
    FUZZ_CHECK(lines.size() == 3);
    FUZZ_CHECK_MSG(lines[1] == absl::StrCat(*tree_size), "the size is not the second line");
  }
  return 0;
}
