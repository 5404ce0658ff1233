#include "git/url.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "git/libgit2_source.h"

namespace ecsync::git {
namespace {

TEST(ParseRemoteUrl, FileUrlAndPlainPathShareOneNormalizedForm) {
  auto file = ParseRemoteUrl("file:///srv/git/app/");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->normalized, "file:///srv/git/app");
  EXPECT_TRUE(file->local);
  auto path = ParseRemoteUrl("/srv/git/./x/../app");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->normalized, "file:///srv/git/app");
  auto localhost = ParseRemoteUrl("file://localhost/srv/git/app");
  ASSERT_TRUE(localhost.ok());
  EXPECT_EQ(localhost->normalized, "file:///srv/git/app");
}

TEST(ParseRemoteUrl, RelativePathBecomesAbsolute) {
  auto url = ParseRemoteUrl("some/repo");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(
      url->normalized,
      "file://" + (std::filesystem::current_path() / "some/repo").lexically_normal().string());
}

TEST(ParseRemoteUrl, NetworkUrlsKeptWithoutTrailingSlash) {
  EXPECT_EQ(ParseRemoteUrl("https://example.com/org/app.git/")->normalized,
            "https://example.com/org/app.git");
  EXPECT_EQ(ParseRemoteUrl("ssh://git@example.com:2222/org/app")->normalized,
            "ssh://git@example.com:2222/org/app");
  EXPECT_EQ(ParseRemoteUrl("git://127.0.0.1:9418/app")->normalized, "git://127.0.0.1:9418/app");
  auto scp = ParseRemoteUrl("git@example.com:org/app.git");
  ASSERT_TRUE(scp.ok());
  EXPECT_EQ(scp->normalized, "git@example.com:org/app.git");
  EXPECT_FALSE(scp->local);
}

TEST(ParseRemoteUrl, RejectsMalformedUrls) {
  for (const char* bad :
       {"", "ftp://example.com/app", "https://", "https:///path", "file://relative",
        "file://host/srv/app", "has space", "line\nbreak", ":path", "host:"}) {
    auto url = ParseRemoteUrl(bad);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_EQ(url.status().kind(), base::ErrorKind::kInvalid) << bad;
  }
}

TEST(RedactUrl, HidesPasswordOnly) {
  EXPECT_EQ(RedactUrl("https://user:s3cret@example.com/app"), "https://user:***@example.com/app");
  EXPECT_EQ(RedactUrl("https://token@example.com/app"), "https://token@example.com/app");
  EXPECT_EQ(RedactUrl("https://example.com/a:b@c"), "https://example.com/a:b@c");
  EXPECT_EQ(RedactUrl("/plain/path"), "/plain/path");
  auto parsed = ParseRemoteUrl("https://user:s3cret@example.com/app");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->display.find("s3cret"), std::string::npos);
}

TEST(DefaultCacheDir, PrefersXdgCacheHomeThenHome) {
  std::map<std::string, std::string> env = {{"XDG_CACHE_HOME", "/xdg"}, {"HOME", "/home/u"}};
  auto lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(*DefaultCacheDir(lookup), "/xdg/ecsync/git");
  env["XDG_CACHE_HOME"] = "relative";  // the XDG spec says to ignore relative paths
  EXPECT_EQ(*DefaultCacheDir(lookup), "/home/u/.cache/ecsync/git");
  env.erase("XDG_CACHE_HOME");
  EXPECT_EQ(*DefaultCacheDir(lookup), "/home/u/.cache/ecsync/git");
  env.clear();
  auto none = DefaultCacheDir(lookup);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().kind(), base::ErrorKind::kInvalid);
}

TEST(SshEndpointOf, HostAndPortOfSshUrls) {
  auto ssh = SshEndpointOf("ssh://git@Example.COM:2222/acme/deploy.git");
  ASSERT_TRUE(ssh.has_value());
  EXPECT_EQ(ssh->host, "example.com");
  EXPECT_EQ(ssh->port, 2222);
  auto plain = SshEndpointOf("git+ssh://example.com/acme/deploy.git");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "example.com");
  EXPECT_EQ(plain->port, 22);
  auto v6 = SshEndpointOf("ssh://git@[::1]:2200/repo");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 2200);
  auto scp = SshEndpointOf("git@github.com:acme/deploy.git");
  ASSERT_TRUE(scp.has_value());
  EXPECT_EQ(scp->host, "github.com");
  EXPECT_EQ(scp->port, 22);
  auto scp_v6 = SshEndpointOf("git@[fe80::1]:repo");
  ASSERT_TRUE(scp_v6.has_value());
  EXPECT_EQ(scp_v6->host, "fe80::1");
}

TEST(SshEndpointOf, OtherSchemesHaveNone) {
  EXPECT_FALSE(SshEndpointOf("https://github.com/acme/deploy.git").has_value());
  EXPECT_FALSE(SshEndpointOf("git://127.0.0.1:9418/repo").has_value());
  EXPECT_FALSE(SshEndpointOf("file:///srv/git/app").has_value());
  EXPECT_FALSE(SshEndpointOf("/srv/git/app").has_value());
  EXPECT_FALSE(SshEndpointOf("ssh://host:99999/repo").has_value());
  EXPECT_FALSE(SshEndpointOf("ssh://host:x/repo").has_value());
}

}  // namespace
}  // namespace ecsync::git
