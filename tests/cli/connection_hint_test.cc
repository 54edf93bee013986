// ConnectionHint (cli/client.h): gRPC's own connection failures get a sentence naming the
// address and what to check; a server's answers never do.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "cli/client.h"

namespace ledger::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

ServerOptions Plain() {
  ServerOptions o;
  o.address = "127.0.0.1:7";
  o.timeout_seconds = 5;
  return o;
}

ServerOptions Tls() {
  ServerOptions o = Plain();
  o.tls_ca = "ca.pem";
  return o;
}

grpc::Status Unavailable(const std::string& message) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, message);
}

TEST(ConnectionHintTest, NothingListeningNamesTheAddressAndTheFlag) {
  const std::string hint = ConnectionHint(
      Unavailable("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:7: "
                  "Failed to connect to remote host: Connection refused"),
      Plain());
  EXPECT_THAT(hint, HasSubstr("cannot reach ledgerd at 127.0.0.1:7: nothing is listening there"));
  EXPECT_THAT(hint, HasSubstr("--server"));
}

TEST(ConnectionHintTest, TlsToAPlaintextServerSaysPlaintext) {
  const std::string hint = ConnectionHint(
      Unavailable("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:7: "
                  "Ssl handshake failed: SSL_ERROR_SSL: error:0A00010B:SSL routines::wrong "
                  "version number"),
      Tls());
  EXPECT_THAT(hint, HasSubstr("TLS handshake with 127.0.0.1:7 failed: the server answers in "
                              "plaintext; drop --tls-ca"));
}

TEST(ConnectionHintTest, PlaintextToATlsServerSuggestsTlsCa) {
  const std::string hint = ConnectionHint(
      Unavailable("failed to connect to all addresses; last error: UNAVAILABLE: "
                  "ipv4:127.0.0.1:7: Socket closed"),
      Plain());
  EXPECT_THAT(hint, HasSubstr("ledgerd at 127.0.0.1:7 closed the connection at once"));
  EXPECT_THAT(hint, HasSubstr("give --tls-ca"));
}

TEST(ConnectionHintTest, DeadlineNamesTheTimeout) {
  EXPECT_THAT(ConnectionHint(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"),
                             Plain()),
              HasSubstr("no answer from ledgerd at 127.0.0.1:7 within --timeout 5 s"));
}

TEST(ConnectionHintTest, TheServersOwnAnswersGetNone) {
  EXPECT_THAT(ConnectionHint(Unavailable("this follower holds no checkpoint yet"), Plain()),
              IsEmpty());
  EXPECT_THAT(ConnectionHint(Unavailable("the log stopped accepting writes"), Plain()), IsEmpty());
  EXPECT_THAT(ConnectionHint(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "views lag"),
                             Plain()),
              IsEmpty());
  EXPECT_THAT(ConnectionHint(grpc::Status(grpc::StatusCode::NOT_FOUND, "Connection refused"),
                             Plain()),
              IsEmpty());
}

}  // namespace
}  // namespace ledger::cli
