// The proof bundle of one entry of a TestLog, in the tree of its latest checkpoint, as
// `ledgerctl bundle` builds it (the tests of cli/bundle.h and cli/claimreview.h share it).
#ifndef TESTS_CLI_BUNDLE_TESTING_H_
#define TESTS_CLI_BUNDLE_TESTING_H_

#include "cli/bundle.h"
#include "ledger/crypto/ed25519.h"
#include "tests/testing/test_log.h"

namespace ledger::testing {

// The bundle of entry `sequence`, signed by `signer` (AdminKey() by default).
cli::ProofBundle TestBundle(TestLog& log, SequenceNumber sequence,
                            const crypto::PublicKey& signer = AdminKey().public_key());

// The log key the tests trust: kTestOrigin and LogKey().
format::NoteVerifier TrustedLogKey();

}  // namespace ledger::testing

#endif  // TESTS_CLI_BUNDLE_TESTING_H_
