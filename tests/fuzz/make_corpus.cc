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

#include "absl/strings/str_cat.h"
#include "tests/fuzz/fuzz_support.h"

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

}  // namespace
}  // namespace ledger::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus DIR   (DIR/<target>/<seed> files are written)\n";
    return 2;
  }
  ledger::fuzz::g_root = argv[1];
  ledger::fuzz::MerkleSeeds();
  std::cout << "wrote " << ledger::fuzz::g_written << " seed files under " << argv[1] << "\n";
  return 0;
}
