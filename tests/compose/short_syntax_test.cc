#include "compose/short_syntax.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecsync::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Words(const std::string& text) {
  auto result = SplitShellWords(text);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : std::vector<std::string>{"<error>"};
}

TEST(SplitShellWords, SplitsOnBlanks) {
  EXPECT_THAT(Words("  nginx -g  'daemon off;'\t"), ElementsAre("nginx", "-g", "daemon off;"));
  EXPECT_THAT(Words(""), ElementsAre());
}

TEST(SplitShellWords, QuotesJoinAndEscape) {
  EXPECT_THAT(Words(R"(sh -c "echo \"hi\" \$HOME")"),
              ElementsAre("sh", "-c", R"(echo "hi" $HOME)"));
  EXPECT_THAT(Words(R"("a"'b'c)"), ElementsAre("abc"));
  EXPECT_THAT(Words(R"('a\b')"), ElementsAre(R"(a\b)"));
  EXPECT_THAT(Words(R"("a\b")"), ElementsAre(R"(a\b)"));
  EXPECT_THAT(Words(R"(a\ b c)"), ElementsAre("a b", "c"));
}

TEST(SplitShellWords, EmptyQuotesMakeAnEmptyWord) {
  EXPECT_THAT(Words(R"(cmd "" '')"), ElementsAre("cmd", "", ""));
}

TEST(SplitShellWords, UnterminatedQuoteIsAnError) {
  EXPECT_FALSE(SplitShellWords("echo 'oops").ok());
  EXPECT_FALSE(SplitShellWords("echo \"oops").ok());
}

struct Port {
  std::string host_ip;
  uint32_t target;
  std::optional<uint32_t> published;
  std::string protocol;
};

void ExpectPorts(const std::string& spec, const std::vector<Port>& want) {
  SCOPED_TRACE(spec);
  auto result = ParsePortSpec(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*result)[i].host_ip, want[i].host_ip);
    EXPECT_EQ((*result)[i].target, want[i].target);
    EXPECT_EQ((*result)[i].published, want[i].published);
    EXPECT_EQ((*result)[i].protocol, want[i].protocol);
  }
}

TEST(ParsePortSpec, ShortForms) {
  ExpectPorts("80", {{"", 80, std::nullopt, "tcp"}});
  ExpectPorts("8080:80", {{"", 80, 8080, "tcp"}});
  ExpectPorts("127.0.0.1:8080:80", {{"127.0.0.1", 80, 8080, "tcp"}});
  ExpectPorts("80/udp", {{"", 80, std::nullopt, "udp"}});
  ExpectPorts("8080:80/tcp", {{"", 80, 8080, "tcp"}});
  ExpectPorts("53:53/UDP", {{"", 53, 53, "udp"}});
  ExpectPorts("127.0.0.1::80", {{"127.0.0.1", 80, std::nullopt, "tcp"}});
}

// "${HTTP_PORT}:8000" with HTTP_PORT unset interpolates to ":8000": Docker's parser reads an
// empty host part as "no fixed host port", the container port alone.
TEST(ParsePortSpec, AnEmptyHostPortIsTheContainerPortAlone) {
  ExpectPorts(":8000", {{"", 8000, std::nullopt, "tcp"}});
  ExpectPorts(":53/udp", {{"", 53, std::nullopt, "udp"}});
  ExpectPorts("[::1]::80", {{"::1", 80, std::nullopt, "tcp"}});
}

TEST(ParsePortSpec, Ipv6HostAddresses) {
  ExpectPorts("[::1]:8080:80", {{"::1", 80, 8080, "tcp"}});
  ExpectPorts("::1:8080:80", {{"::1", 80, 8080, "tcp"}});
}

TEST(ParsePortSpec, RangesExpandToOneMappingPerPort) {
  ExpectPorts("3000-3002", {{"", 3000, std::nullopt, "tcp"},
                            {"", 3001, std::nullopt, "tcp"},
                            {"", 3002, std::nullopt, "tcp"}});
  ExpectPorts("9090-9091:8080-8081/udp", {{"", 8080, 9090, "udp"}, {"", 8081, 9091, "udp"}});
}

TEST(ParsePortSpec, RejectsMalformedPorts) {
  for (const char* bad : {"", "80:abc", "abc", "0", "65536", "8080:", ":", "80/sctp", "80/",
                          "3005-3000", "9090-9092:8080-8081", "8000-8001:80", "-80", "[::1]80"}) {
    SCOPED_TRACE(bad);
    auto result = ParsePortSpec(bad);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_THAT(result.status().message(), HasSubstr("use [HOST:]CONTAINER[/PROTOCOL]"));
  }
}

TEST(ParsePortSpec, ErrorQuotesTheValue) {
  EXPECT_EQ(ParsePortSpec("80:abc").status().message(),
            "invalid port \"80:abc\"; use [HOST:]CONTAINER[/PROTOCOL]");
}

TEST(ParseBytes, Units) {
  const std::pair<const char*, int64_t> cases[] = {
      {"0", 0},
      {"1024", 1024},
      {"100b", 100},
      {"100B", 100},
      {"1k", 1024},
      {"1kb", 1024},
      {"1KB", 1024},
      {"1KiB", 1024},
      {"512m", 512LL << 20},
      {"512MB", 512LL << 20},
      {"2g", 2LL << 30},
      {"2Gb", 2LL << 30},
      {"1.5g", 3LL << 29},
      {"0.5m", 512LL << 10},
      {"1 g", 1LL << 30},
      {"1t", 1LL << 40},
  };
  for (const auto& [text, want] : cases) {
    auto result = ParseBytes(text);
    ASSERT_TRUE(result.ok()) << text << ": " << result.status().ToString();
    EXPECT_EQ(*result, want) << text;
  }
}

TEST(ParseBytes, RejectsMalformedSizes) {
  for (const char* bad : {"", "m", "-1m", "1.g", ".5g", "1x", "1gg", "1 2", "99999999999p"}) {
    EXPECT_FALSE(ParseBytes(bad).ok()) << bad;
  }
}

TEST(ParseCpus, AcceptsDecimals) {
  EXPECT_EQ(*ParseCpus("0.5"), 0.5);
  EXPECT_EQ(*ParseCpus("2"), 2.0);
  EXPECT_EQ(*ParseCpus(" .25 "), 0.25);
  for (const char* bad : {"", "-1", "half", "inf", "nan", "1.5x"}) {
    EXPECT_FALSE(ParseCpus(bad).ok()) << bad;
  }
}

TEST(ParseNonNegativeInt, Range) {
  EXPECT_EQ(*ParseNonNegativeInt("0"), 0);
  EXPECT_EQ(*ParseNonNegativeInt("12"), 12);
  for (const char* bad : {"", "-1", "1.5", "3000000000", "two"}) {
    EXPECT_FALSE(ParseNonNegativeInt(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ecsync::compose
