// The damage matrix (docs/reliability.md, "Damage matrix"): a closed data directory with a few hundred entries
// and a fresh anchor; the newest WAL, the MANIFEST, CURRENT, the newest SST and the largest SST
// (the one holding the entries) are each truncated, bit-flipped, zeroed (one 4 KiB block) or
// deleted, at several offsets. Opening the log must then either refuse (any error), or recover
// to at least the anchor with the same root at the anchor's size -- and it must never serve
// less: when it opens, the audit must pass and every acknowledged append must be there. The
// outcome table is printed (docs/reliability.md keeps a copy).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit/auditor.h"
#include "ledger/base/error.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/store/schema.h"
#include "rocksdb/db.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/test_data_dir.h"
#include "tests/testing/test_dir.h"

namespace ledger::reliability {
namespace {

namespace fs = std::filesystem;
using ::ledger::testing::FreshDir;

constexpr int kEntriesInSst = 200;  // appended, then flushed to SST files
constexpr int kEntriesInWal = 100;  // appended after, still only in the newest WAL
constexpr uint64_t kBlock = 4096;

// The file named `prefix`NNNNNN`suffix` with the largest number in `db`.
std::string Newest(const std::string& db, const std::string& prefix, const std::string& suffix) {
  std::string best;
  uint64_t best_number = 0;
  for (const auto& entry : fs::directory_iterator(db)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, prefix) || !absl::EndsWith(name, suffix)) continue;
    uint64_t number = 0;
    if (!absl::SimpleAtoi(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()),
                          &number)) {
      continue;
    }
    if (best.empty() || number > best_number) best = name, best_number = number;
  }
  return best;
}

// The largest *.sst in `db` (the one holding most entries).
std::string Largest(const std::string& db, const std::string& suffix) {
  std::string best;
  uint64_t best_size = 0;
  for (const auto& entry : fs::directory_iterator(db)) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, suffix)) continue;
    if (best.empty() || entry.file_size() > best_size) best = name, best_size = entry.file_size();
  }
  return best;
}

std::string CurrentManifest(const std::string& db) {
  std::ifstream in(db + "/CURRENT");
  std::string name;
  std::getline(in, name);
  return name;
}

struct Damage {
  std::string name;  // e.g. "flip bit @middle"
  enum Kind { kTruncateHalf, kTruncateLastByte, kFlip, kZeroBlock, kDelete } kind;
  enum Where { kStart, kMiddle, kEnd } where = kStart;
};

std::vector<Damage> Damages() {
  return {
      {"truncate to half", Damage::kTruncateHalf},
      {"truncate last byte", Damage::kTruncateLastByte},
      {"flip a bit @start", Damage::kFlip, Damage::kStart},
      {"flip a bit @middle", Damage::kFlip, Damage::kMiddle},
      {"flip a bit @end", Damage::kFlip, Damage::kEnd},
      {"zero 4 KiB @start", Damage::kZeroBlock, Damage::kStart},
      {"zero 4 KiB @middle", Damage::kZeroBlock, Damage::kMiddle},
      {"zero 4 KiB @end", Damage::kZeroBlock, Damage::kEnd},
      {"delete", Damage::kDelete},
  };
}

// Applies `d` to `path`; returns a description of the bytes touched.
std::string Apply(const Damage& d, const std::string& path) {
  const uint64_t size = fs::file_size(path);
  switch (d.kind) {
    case Damage::kDelete:
      fs::remove(path);
      return "deleted";
    case Damage::kTruncateHalf:
      fs::resize_file(path, size / 2);
      return absl::StrCat(size, " -> ", size / 2, " bytes");
    case Damage::kTruncateLastByte:
      fs::resize_file(path, size == 0 ? 0 : size - 1);
      return absl::StrCat(size, " -> ", size == 0 ? 0 : size - 1, " bytes");
    case Damage::kFlip:
    case Damage::kZeroBlock:
      break;
  }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (d.kind == Damage::kFlip) {
    // 10 bytes in from either end, or the middle (clamped to the file).
    uint64_t at = d.where == Damage::kStart ? 10 : d.where == Damage::kMiddle ? size / 2
                                                                               : size - 10;
    at = std::min<uint64_t>(at, size == 0 ? 0 : size - 1);
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    c ^= 0x10;
    f.seekp(at);
    f.write(&c, 1);
    return absl::StrCat("bit 4 of byte ", at, " of ", size);
  }
  uint64_t at = d.where == Damage::kStart    ? 0
                : d.where == Damage::kMiddle ? (size / 2) / kBlock * kBlock
                                             : (size > kBlock ? (size - 1) / kBlock * kBlock : 0);
  const uint64_t n = std::min<uint64_t>(kBlock, size - std::min(at, size));
  const std::string zeros(n, '\0');
  f.seekp(at);
  f.write(zeros.data(), zeros.size());
  return absl::StrCat("bytes ", at, "..", at + n, " of ", size);
}

class DamageMatrixTest : public ::testing::Test {
 protected:
  // The pristine data dir: kEntriesInSst entries flushed to SSTs, kEntriesInWal more in the
  // newest WAL, closed cleanly (so the anchor is at the head).
  static void SetUpTestSuite() {
    pristine_ = new std::string(FreshDir(".pristine"));
    record_ = new ClientRecord();
    ASSERT_TRUE(InitTestDataDir(*pristine_).ok());
    {
      auto log = datadir::OpenLog(*pristine_, core::LogOptions());
      ASSERT_TRUE(log.ok()) << log.status();
      ASSERT_TRUE(AppendMany(**log, "sst", kEntriesInSst, record_).ok());
    }
    ASSERT_TRUE(FlushDatabase(*pristine_, /*settle=*/false).ok());
    {
      auto log = datadir::OpenLog(*pristine_, core::LogOptions());
      ASSERT_TRUE(log.ok()) << log.status();
      ASSERT_TRUE(AppendMany(**log, "wal", kEntriesInWal, record_).ok());
    }
  }
  static void TearDownTestSuite() {
    delete pristine_;
    delete record_;
  }

  static std::string* pristine_;
  static ClientRecord* record_;
};
std::string* DamageMatrixTest::pristine_ = nullptr;
ClientRecord* DamageMatrixTest::record_ = nullptr;

TEST_F(DamageMatrixTest, EveryCaseRefusesOrRecoversToTheAnchorAndNeverServesLess) {
  const std::string db = datadir::LogDir(*pristine_);
  const TreeSize anchored = kEntriesInSst + kEntriesInWal;
  {
    InvariantReport report = CheckDataDir(*pristine_, *record_);
    ASSERT_TRUE(report.ok()) << report.ToString();
    ASSERT_EQ(report.anchored_size.value_or(0), anchored);
  }
  struct Target {
    std::string label;
    std::string file;
  };
  const std::vector<Target> targets = {
      {"newest WAL", Newest(db, "", ".log")},
      {"MANIFEST", CurrentManifest(db)},
      {"CURRENT", "CURRENT"},
      {"newest SST", Newest(db, "", ".sst")},
      {"largest SST", Largest(db, ".sst")},
  };
  for (const Target& t : targets) {
    ASSERT_FALSE(t.file.empty()) << "no " << t.label << " in " << db;
    ASSERT_TRUE(fs::exists(db + "/" + t.file)) << t.file;
  }

  std::string table =
      "| file | damage | bytes | outcome |\n|---|---|---|---|\n";
  int refused = 0, recovered = 0, case_number = 0;
  for (const Target& t : targets) {
    for (const Damage& d : Damages()) {
      SCOPED_TRACE(absl::StrCat(t.label, " (", t.file, "): ", d.name));
      const std::string dir = FreshDir(absl::StrCat(".case", ++case_number));
      CopyTree(*pristine_, dir);
      const std::string touched = Apply(d, datadir::LogDir(dir) + "/" + t.file);
      std::string outcome;
      absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir, core::LogOptions());
      if (!log.ok()) {
        ++refused;
        std::string reason = ErrorReason(log.status());
        std::string message =
            absl::StrReplaceAll(log.status().message(), {{dir, "DIR"}});
        if (message.size() > 110) message = message.substr(0, 110) + "…";
        outcome = absl::StrCat("refused: ", absl::StatusCodeToString(log.status().code()),
                               reason.empty() ? "" : " " + reason, " — ", message);
      } else {
        // It opened: it must hold at least the anchor with the same root (OpenLog checked), and
        // the audit and every invariant must pass; otherwise it would serve less.
        const store::LogHead head = (*log)->Head();
        EXPECT_GE(head.tree_size, anchored);
        CheckOptions options;
        options.trust = datadir::ReadIdentity(dir).value();
        InvariantReport report = CheckStore((*log)->store(),
                                            datadir::ReadAnchor(nullptr, dir).value(), *record_,
                                            options);
        EXPECT_TRUE(report.ok()) << "opened, but serves less: " << report.ToString();
        ++recovered;
        outcome = absl::StrCat(report.ok() ? "recovered: " : "OPENED BUT BAD: ", head.tree_size,
                               " entries, audit ", report.ok() ? "ok" : "FAILED");
      }
      absl::StrAppend(&table, "| ", t.label, " | ", d.name, " | ", touched, " | ", outcome,
                      " |\n");
      log = absl::UnknownError("closed");
      fs::remove_all(dir);
    }
  }
  std::cout << "damage matrix (" << anchored << " entries anchored; " << refused << " refused, "
            << recovered << " recovered):\n"
            << table << std::flush;
}

// Issue 15's cases: what a restore or an operator does to a whole data directory, with an
// external anchor (--anchor-dir). A directory holding an older log than was signed must be
// refused (LOG_BEHIND_ANCHOR); a directory that only lost or has an older anchor file must open
// with every acknowledged entry and bring the anchor back to the head.
TEST(DamageMatrixExternalAnchorTest, RestoresAndAnchorLossRefuseOrRecoverToTheHead) {
  constexpr int kOld = 20, kNew = 10;
  const std::string base = FreshDir(".base");
  const std::string anchors = FreshDir(".anchors");
  fs::create_directories(anchors);
  ClientRecord record;
  ASSERT_TRUE(InitTestDataDir(base, nullptr, anchors).ok());
  datadir::OpenLogOptions options;
  options.external_anchor_dir = anchors;
  auto append = [&](absl::string_view prefix, int n) {
    auto log = datadir::OpenLog(base, options);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE(AppendMany(**log, prefix, n, &record).ok());
  };
  append("old", kOld);
  const std::string old_copy = FreshDir(".old-copy");
  CopyTree(base, old_copy);
  append("new", kNew);
  const std::string external_note = datadir::ReadAnchor(nullptr, anchors).value().value();
  const std::string older_genuine = datadir::ReadAnchor(nullptr, old_copy).value().value();

  struct Case {
    std::string name;
    bool must_refuse;
    std::function<void(const std::string& dir)> apply;
  };
  const std::vector<Case> cases = {
      {"whole directory restored from an older copy", true,
       [&](const std::string& dir) { fs::remove_all(dir); CopyTree(old_copy, dir); }},
      {"db/ restored from an older copy, in-dir anchor deleted", true,
       [&](const std::string& dir) {
         fs::remove_all(datadir::LogDir(dir));
         CopyTree(datadir::LogDir(old_copy), datadir::LogDir(dir));
         fs::remove(datadir::AnchorFile(dir));
       }},
      {"db/ restored from an older copy, older genuine in-dir anchor", true,
       [&](const std::string& dir) {
         fs::remove_all(datadir::LogDir(dir));
         CopyTree(datadir::LogDir(old_copy), datadir::LogDir(dir));
         ASSERT_TRUE(datadir::WriteAnchor(nullptr, dir, older_genuine).ok());
       }},
      {"in-dir anchor deleted", false,
       [&](const std::string& dir) { fs::remove(datadir::AnchorFile(dir)); }},
      {"older genuine in-dir anchor", false,
       [&](const std::string& dir) {
         ASSERT_TRUE(datadir::WriteAnchor(nullptr, dir, older_genuine).ok());
       }},
      {"external anchor deleted", false,
       [&](const std::string&) { fs::remove(datadir::AnchorFile(anchors)); }},
      {"older genuine external anchor", false,
       [&](const std::string&) {
         ASSERT_TRUE(datadir::WriteAnchor(nullptr, anchors, older_genuine).ok());
       }},
  };
  std::string table = "| case | outcome |\n|---|---|\n";
  int case_number = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string dir = FreshDir(absl::StrCat(".restore", ++case_number));
    CopyTree(base, dir);
    ASSERT_TRUE(datadir::WriteAnchor(nullptr, anchors, external_note).ok());
    c.apply(dir);
    absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir, options);
    std::string outcome;
    if (c.must_refuse) {
      EXPECT_FALSE(log.ok()) << "served " << (*log)->Head().tree_size << " entries";
      EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogBehindAnchor) << log.status();
      EXPECT_THAT(std::string(log.status().message()),
                  ::testing::HasSubstr(datadir::AnchorFile(anchors)));
      outcome = absl::StrCat("refused: ", ErrorReason(log.status()), " (external anchor)");
    } else {
      ASSERT_TRUE(log.ok()) << log.status();
      EXPECT_EQ((*log)->Head().tree_size, static_cast<TreeSize>(kOld + kNew));
      log = absl::UnknownError("closed");
      CheckOptions check;
      check.require_anchor_at_head = true;
      InvariantReport report = CheckDataDir(dir, record, check);
      EXPECT_TRUE(report.ok()) << report.ToString();
      EXPECT_EQ(datadir::ReadAnchor(nullptr, anchors).value().value_or(""), external_note);
      outcome = absl::StrCat("recovered: ", kOld + kNew, " entries, anchors at the head");
    }
    absl::StrAppend(&table, "| ", c.name, " | ", outcome, " |\n");
    log = absl::UnknownError("closed");
    fs::remove_all(dir);
  }
  std::cout << "damage matrix, external anchor (" << kOld + kNew << " entries signed):\n"
            << table << std::flush;
}

}  // namespace
}  // namespace ledger::reliability
