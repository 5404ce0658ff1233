// Webhook parsing and authentication (webhook/webhook.h) and clone-URL keys
// (webhook/clone_url.h), with payloads shaped like the ones each host sends.

#include "webhook/webhook.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/hash.h"
#include "webhook/clone_url.h"

namespace ecsync::webhook {
namespace {

constexpr char kSha1[] = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
constexpr char kSha2[] = "bffeb74224043ba2feb48d137756c8a9331c449a";
constexpr char kTagObject[] = "28e1879d029cb852e4844d9c718537df08844e03";
constexpr char kZero[] = "0000000000000000000000000000000000000000";

std::string Sign(const std::string& secret, std::string_view body) {
  return base::HexEncode(base::HmacSha256(secret, body));
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

// ---------------------------------------------------------------- CloneUrlKey

TEST(CloneUrlKey, EveryFormOfOneRepositoryGivesOneKey) {
  for (const char* url : {"https://github.com/Acme/Shop.git", "http://github.com/acme/shop",
                          "git@github.com:acme/shop.git", "ssh://git@github.com:22/acme/shop",
                          "git://github.com/acme/shop/", "https://user:pw@github.com/acme/shop",
                          "https://GitHub.com/acme/shop.git/", "  https://github.com/acme/shop\n",
                          "https://github.com//acme//shop", "git+ssh://git@github.com/acme/shop",
                          "https://github.com/acme/shop?tab=readme#top",
                          "https://x-access-token:ghs_abc@github.com:443/acme/shop.git"}) {
    EXPECT_EQ(CloneUrlKey(url), "github.com/acme/shop") << url;
  }
}

TEST(CloneUrlKey, DifferentRepositoriesDiffer) {
  const std::string key = CloneUrlKey("https://github.com/acme/shop");
  EXPECT_NE(CloneUrlKey("https://github.com/acme/shop2"), key);
  EXPECT_NE(CloneUrlKey("https://github.com/other/shop"), key);
  EXPECT_NE(CloneUrlKey("https://gitlab.com/acme/shop"), key);
  EXPECT_NE(CloneUrlKey("https://github.com/acme/shop/wiki"), key);
  EXPECT_NE(CloneUrlKey("https://github.com/acme"), key);
}

TEST(CloneUrlKey, NestedGroupsKeepEveryLevel) {
  EXPECT_EQ(CloneUrlKey("https://gitlab.example.com/Group/Sub/Project.git"),
            "gitlab.example.com/group/sub/project");
  EXPECT_EQ(CloneUrlKey("git@gitlab.example.com:group/sub/project.git"),
            "gitlab.example.com/group/sub/project");
}

TEST(CloneUrlKey, PortsAreDroppedButBitbucketScmPrefixIsKept) {
  EXPECT_EQ(CloneUrlKey("ssh://git@bitbucket.example.com:7999/proj/repo.git"),
            "bitbucket.example.com/proj/repo");
  EXPECT_EQ(CloneUrlKey("https://bitbucket.example.com/scm/PROJ/repo.git"),
            "bitbucket.example.com/scm/proj/repo");
}

TEST(CloneUrlKey, Ipv6HostsKeepTheirBrackets) {
  EXPECT_EQ(CloneUrlKey("http://[::1]:8080/acme/shop.git"), "[::1]/acme/shop");
  EXPECT_EQ(CloneUrlKey("ssh://git@[2001:db8::1]:2222/acme/shop"), "[2001:db8::1]/acme/shop");
}

TEST(CloneUrlKey, LocalPathsAndFileUrlsKeepCase) {
  for (const char* url : {"file:///srv/Git/Shop.git", "/srv/Git/Shop", "/srv/Git/Shop/",
                          "/srv/Git/Shop.git", "file:///srv/Git/Shop", "FILE:///srv/Git/Shop",
                          "file://localhost/srv/Git/Shop.git", "/srv//Git/Shop"}) {
    EXPECT_EQ(CloneUrlKey(url), "file:///srv/Git/Shop") << url;
  }
  EXPECT_NE(CloneUrlKey("/srv/git/shop"), CloneUrlKey("/srv/Git/Shop"));
}

TEST(CloneUrlKey, OddInputsDoNotFail) {
  EXPECT_EQ(CloneUrlKey(""), "");
  EXPECT_EQ(CloneUrlKey("   "), "");
  EXPECT_EQ(CloneUrlKey("https://github.com"), "github.com");
  EXPECT_EQ(CloneUrlKey("https://github.com/"), "github.com");
  EXPECT_EQ(CloneUrlKey("relative/repo.git"), "relative/repo");
  EXPECT_EQ(CloneUrlKey("/"), "file:///");
  EXPECT_EQ(CloneUrlKey("file://"), "file:///");
}

// ---------------------------------------------------------------- paths and headers

TEST(Webhook, ProviderFromPath) {
  EXPECT_EQ(ProviderFromPath("/hooks/github"), Provider::kGitHub);
  EXPECT_EQ(ProviderFromPath("/hooks/gitlab"), Provider::kGitLab);
  EXPECT_EQ(ProviderFromPath("/hooks/gitea"), Provider::kGitea);
  EXPECT_EQ(ProviderFromPath("/hooks/bitbucket"), Provider::kBitbucket);
  EXPECT_EQ(ProviderFromPath("/hooks/generic/"), Provider::kGeneric);
  for (const char* path : {"/hooks/", "/hooks", "/hooks/gitbucket", "/hooks/GitHub",
                           "/hooks/github/x", "/hooks/github//", "/github", "hooks/github", ""}) {
    EXPECT_EQ(ProviderFromPath(path), std::nullopt) << path;
  }
  for (Provider p : {Provider::kGitHub, Provider::kGitLab, Provider::kGitea, Provider::kBitbucket,
                     Provider::kGeneric}) {
    EXPECT_EQ(ProviderFromPath(std::string("/hooks/") + ProviderName(p)), p);
  }
}

TEST(Webhook, HeaderNamesAreCaseInsensitive) {
  Headers headers{{"x-github-event", "push"}};
  EXPECT_EQ(headers.count("X-GitHub-Event"), 1u);
  EXPECT_EQ(headers.count("X-GITHUB-EVENT"), 1u);
  headers["X-GitHub-EVENT"] = "ping";
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.at("x-github-event"), "ping");
  EXPECT_EQ(headers.count("X-GitHub-Events"), 0u);
}

// ---------------------------------------------------------------- signatures

constexpr char kSecret[] = "It's a Secret to Everybody";
constexpr char kBody[] = R"({"ref":"refs/heads/main"})";

TEST(VerifyWebhook, GitHubAcceptsTheRightSignatureOnly) {
  const std::string good = "sha256=" + Sign(kSecret, kBody);
  EXPECT_TRUE(VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature-256", good}}, kBody, kSecret));
  EXPECT_TRUE(VerifyWebhook(Provider::kGitHub, {{"x-hub-signature-256", good}}, kBody, kSecret));
  // Upper-case hex digits (and prefix) are still the same digest.
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature-256", upper}}, kBody, kSecret));

  EXPECT_FALSE(VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature-256", good}}, kBody, "wrong"));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature-256", good}},
                             R"({"ref":"refs/heads/evil"})", kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitHub, {}, kBody, kSecret));
  // The SHA-1 header GitHub also sends is not enough.
  EXPECT_FALSE(VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature", good}}, kBody, kSecret));
}

TEST(VerifyWebhook, MalformedSignaturesAreRejected) {
  const std::string hex = Sign(kSecret, kBody);
  for (const std::string& value :
       {hex, "sha1=" + hex, "sha256:" + hex, "sha256= " + hex, "sha256=" + hex.substr(0, 63),
        "sha256=" + hex.substr(0, 62), "sha256=" + hex + "0", "sha256=" + hex + "00",
        "sha256=" + Replace(hex, hex.substr(0, 2), "zz"), std::string("sha256="), std::string(""),
        "sha256=" + hex.substr(0, 32)}) {
    EXPECT_FALSE(VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature-256", value}}, kBody, kSecret))
        << value;
  }
}

TEST(VerifyWebhook, EmptySecretNeverVerifies) {
  const std::string signed_empty = "sha256=" + Sign("", kBody);
  EXPECT_FALSE(
      VerifyWebhook(Provider::kGitHub, {{"X-Hub-Signature-256", signed_empty}}, kBody, ""));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitLab, {{"X-Gitlab-Token", ""}}, kBody, ""));
  EXPECT_FALSE(VerifyWebhook(Provider::kGeneric, {{"X-Signature", signed_empty}}, kBody, ""));
}

TEST(VerifyWebhook, GiteaAcceptsEitherHeader) {
  const std::string hex = Sign(kSecret, kBody);
  EXPECT_TRUE(VerifyWebhook(Provider::kGitea, {{"X-Gitea-Signature", hex}}, kBody, kSecret));
  EXPECT_TRUE(
      VerifyWebhook(Provider::kGitea, {{"X-Hub-Signature-256", "sha256=" + hex}}, kBody, kSecret));
  EXPECT_TRUE(VerifyWebhook(Provider::kGitea,
                            {{"X-Gitea-Signature", hex}, {"X-Hub-Signature-256", "sha256=" + hex}},
                            kBody, kSecret));
  EXPECT_FALSE(
      VerifyWebhook(Provider::kGitea, {{"X-Gitea-Signature", "sha256=" + hex}}, kBody, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitea, {{"X-Gitea-Signature", Sign("other", kBody)}}, kBody,
                             kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitea, {{"X-Gogs-Signature", hex}}, kBody, kSecret));
}

TEST(VerifyWebhook, GitLabComparesTheToken) {
  EXPECT_TRUE(VerifyWebhook(Provider::kGitLab, {{"X-Gitlab-Token", kSecret}}, kBody, kSecret));
  EXPECT_FALSE(
      VerifyWebhook(Provider::kGitLab, {{"X-Gitlab-Token", "It's a Secret"}}, kBody, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitLab, {{"X-Gitlab-Token", std::string(kSecret) + " "}},
                             kBody, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitLab, {}, kBody, kSecret));
  // A GitLab hook is not signed: an HMAC header is no substitute for the token.
  EXPECT_FALSE(VerifyWebhook(Provider::kGitLab,
                             {{"X-Hub-Signature-256", "sha256=" + Sign(kSecret, kBody)}}, kBody,
                             kSecret));
}

TEST(VerifyWebhook, BitbucketAndGenericUseTheirOwnHeaders) {
  const std::string good = "sha256=" + Sign(kSecret, kBody);
  EXPECT_TRUE(VerifyWebhook(Provider::kBitbucket, {{"X-Hub-Signature", good}}, kBody, kSecret));
  EXPECT_FALSE(
      VerifyWebhook(Provider::kBitbucket, {{"X-Hub-Signature-256", good}}, kBody, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kBitbucket, {{"X-Hub-Signature", good}}, kBody, "x"));
  EXPECT_TRUE(VerifyWebhook(Provider::kGeneric, {{"X-Signature", good}}, kBody, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGeneric, {{"X-Hub-Signature-256", good}}, kBody, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGeneric, {{"X-Signature", good}}, "", kSecret));
}

TEST(VerifyWebhook, MatchesOpenSslsHmacOfTheRawBody) {
  // The digest a sender computes with `openssl dgst -sha256 -hmac` (docs/webhooks.md).
  // Known answer: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
  constexpr char kFox[] = "The quick brown fox jumps over the lazy dog";
  EXPECT_TRUE(VerifyWebhook(
      Provider::kGeneric,
      {{"X-Signature", "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"}},
      kFox, "key"));
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

// ---------------------------------------------------------------- GitHub

constexpr char kGitHubPush[] = R"({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
  "created": false, "deleted": false, "forced": false, "base_ref": null,
  "compare": "https://github.com/Acme/Shop/compare/6113728f27ae...bffeb7422404",
  "commits": [{"id": "bffeb74224043ba2feb48d137756c8a9331c449a", "message": "Scale web to 3",
               "author": {"name": "Dev", "email": "dev@example.com"}}],
  "head_commit": {"id": "bffeb74224043ba2feb48d137756c8a9331c449a"},
  "repository": {
    "id": 186853002, "name": "Shop", "full_name": "Acme/Shop", "private": true,
    "owner": {"login": "Acme", "id": 21031067},
    "html_url": "https://github.com/Acme/Shop",
    "url": "https://github.com/Acme/Shop",
    "git_url": "git://github.com/Acme/Shop.git",
    "ssh_url": "git@github.com:Acme/Shop.git",
    "clone_url": "https://github.com/Acme/Shop.git",
    "default_branch": "main"
  },
  "pusher": {"name": "dev", "email": "dev@example.com"},
  "sender": {"login": "dev", "id": 1}
})";

Headers GitHubHeaders(const std::string& event) {
  return {{"X-GitHub-Event", event},
          {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
          {"X-GitHub-Hook-ID", "292430182"},
          {"Content-Type", "application/json"},
          {"User-Agent", "GitHub-Hookshot/044aadd"}};
}

TEST(ParseWebhook, GitHubPush) {
  auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), kGitHubPush);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_FALSE(event->ping);
  EXPECT_FALSE(event->ignored);
  EXPECT_EQ(event->event, "push");
  EXPECT_EQ(event->delivery_id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  EXPECT_EQ(
      event->clone_urls,
      (std::vector<std::string>{"https://github.com/Acme/Shop.git", "git@github.com:Acme/Shop.git",
                                "git://github.com/Acme/Shop.git", "https://github.com/Acme/Shop"}));
  for (const auto& url : event->clone_urls) EXPECT_EQ(CloneUrlKey(url), "github.com/acme/shop");
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
  EXPECT_EQ(event->refs[0].commit, kSha2);
  EXPECT_FALSE(event->refs[0].deleted);
}

TEST(ParseWebhook, GitHubTagPush) {
  std::string body = Replace(kGitHubPush, "refs/heads/main", "refs/tags/v1.2.0");
  body = Replace(body, R"("before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246")",
                 std::string(R"("before": ")") + kZero + "\"");
  auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), body);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/tags/v1.2.0");
  EXPECT_EQ(event->refs[0].commit, kSha2);
}

TEST(ParseWebhook, GitHubBranchDeletion) {
  std::string body = Replace(kGitHubPush, std::string(R"("after": ")") + kSha2,
                             std::string(R"("after": ")") + kZero);
  body = Replace(body, R"("deleted": false)", R"("deleted": true)");
  body = Replace(body, R"("head_commit": {"id": "bffeb74224043ba2feb48d137756c8a9331c449a"})",
                 R"("head_commit": null)");
  auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), body);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_TRUE(event->refs[0].deleted);
  EXPECT_EQ(event->refs[0].commit, "");
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
}

TEST(ParseWebhook, GitHubPing) {
  constexpr char kPing[] = R"({
    "zen": "Design for failure.", "hook_id": 292430182,
    "hook": {"type": "Repository", "id": 292430182, "active": true, "events": ["push"],
             "config": {"content_type": "json", "insecure_ssl": "0",
                        "url": "https://ecsync.example.com/hooks/github"}},
    "repository": {"full_name": "Acme/Shop", "clone_url": "https://github.com/Acme/Shop.git"},
    "sender": {"login": "dev"}
  })";
  auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("ping"), kPing);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_TRUE(event->ping);
  EXPECT_FALSE(event->ignored);
  EXPECT_TRUE(event->refs.empty());
  EXPECT_EQ(event->clone_urls, std::vector<std::string>{"https://github.com/Acme/Shop.git"});

  // An organization hook's ping names no repository.
  auto org = ParseWebhook(Provider::kGitHub, GitHubHeaders("ping"), R"({"zen":"x","hook_id":1})");
  ASSERT_TRUE(org.ok()) << org.status().ToString();
  EXPECT_TRUE(org->ping);
  EXPECT_TRUE(org->clone_urls.empty());
}

TEST(ParseWebhook, GitHubOtherEventsAreIgnoredEvenWithOddBodies) {
  for (const char* name : {"pull_request", "issues", "create", "delete", "release", "star"}) {
    auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders(name), "not even JSON");
    ASSERT_TRUE(event.ok()) << name << ": " << event.status().ToString();
    EXPECT_TRUE(event->ignored) << name;
    EXPECT_FALSE(event->ping);
    EXPECT_EQ(event->event, name);
    EXPECT_EQ(event->delivery_id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    EXPECT_TRUE(event->refs.empty());
  }
}

TEST(ParseWebhook, GitHubWithoutEventHeaderIsInvalid) {
  Headers headers = GitHubHeaders("push");
  headers.erase("x-github-event");
  auto event = ParseWebhook(Provider::kGitHub, headers, kGitHubPush);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(event.status().message().find("X-GitHub-Event"), std::string::npos);
}

TEST(ParseWebhook, GitHubFormEncodedPayload) {
  std::string encoded;
  for (unsigned char c : std::string(kGitHubPush)) {
    if (std::isalnum(c)) {
      encoded.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      encoded.push_back('+');
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      encoded += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  Headers headers = GitHubHeaders("push");
  headers["Content-Type"] = "application/x-www-form-urlencoded";
  auto event = ParseWebhook(Provider::kGitHub, headers, "payload=" + encoded);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].commit, kSha2);
  EXPECT_EQ(event->clone_urls.size(), 4u);

  auto empty = ParseWebhook(Provider::kGitHub, headers, "other=1");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("payload"), std::string::npos);
}

TEST(ParseWebhook, MalformedBodiesAreInvalid) {
  for (const char* body :
       {"", "{", "{\"ref\": }", "[1,2]", "\"push\"", "null", "{\"ref\":\"x\"}x"}) {
    auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), body);
    ASSERT_FALSE(event.ok()) << body;
    EXPECT_EQ(event.status().kind(), base::ErrorKind::kInvalid) << body;
    EXPECT_NE(event.status().message().find("GitHub push"), std::string::npos)
        << event.status().message();
  }
}

TEST(ParseWebhook, DeeplyNestedBodiesAreRejectedWithoutCrashing) {
  // Bodies are parsed before the signature is checked, so they are attacker-controlled.
  const std::string unclosed(1 << 20, '[');
  const std::string closed = std::string(200'000, '[') + std::string(200'000, ']');
  const std::string in_object = R"({"ref": )" + closed + "}";
  for (const std::string* body : {&unclosed, &closed, &in_object}) {
    auto event = ParseWebhook(Provider::kGeneric, {}, *body);
    ASSERT_FALSE(event.ok());
    EXPECT_EQ(event.status().kind(), base::ErrorKind::kInvalid);
  }
}

TEST(ParseWebhook, PushWithoutTheNeededFieldsIsInvalid) {
  struct Case {
    std::string body;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {Replace(kGitHubPush, R"("ref": "refs/heads/main",)", ""), "'ref'"},
      {Replace(kGitHubPush, R"("ref": "refs/heads/main")", R"("ref": 7)"), "'ref'"},
      {Replace(kGitHubPush, R"("ref": "refs/heads/main")", R"("ref": "refs/heads/a b")"), "'ref'"},
      {Replace(kGitHubPush, std::string(R"("after": ")") + kSha2 + "\",", ""), "'after'"},
      {Replace(kGitHubPush, std::string(R"("after": ")") + kSha2, R"("after": "HEAD)"), "'after'"},
      {Replace(kGitHubPush, std::string(R"("after": ")") + kSha2,
               std::string(R"("after": ")") + std::string(kSha2).substr(0, 12)),
       "'after'"},
      {R"({"ref":"refs/heads/main","after":")" + std::string(kSha2) + R"("})", "repository URL"},
  };
  for (const auto& c : cases) {
    auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), c.body);
    ASSERT_FALSE(event.ok()) << c.mentions;
    EXPECT_EQ(event.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(event.status().message().find(c.mentions), std::string::npos)
        << event.status().message();
  }
}

TEST(ParseWebhook, CommitIdsAreLowerCasedAndSha256IdsAccepted) {
  std::string upper = kSha2;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto event =
      ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), Replace(kGitHubPush, kSha2, upper));
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->refs[0].commit, kSha2);

  const std::string sha256(64, 'a');
  auto long_id =
      ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), Replace(kGitHubPush, kSha2, sha256));
  ASSERT_TRUE(long_id.ok()) << long_id.status().ToString();
  EXPECT_EQ(long_id->refs[0].commit, sha256);
}

// ---------------------------------------------------------------- GitLab

constexpr char kGitLabPush[] = R"({
  "object_kind": "push", "event_name": "push",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
  "ref": "refs/heads/main", "ref_protected": true,
  "checkout_sha": "bffeb74224043ba2feb48d137756c8a9331c449a",
  "user_id": 4, "user_name": "Dev", "user_username": "dev",
  "project_id": 15,
  "project": {
    "id": 15, "name": "Shop", "namespace": "Acme",
    "web_url": "https://gitlab.example.com/acme/platform/shop",
    "git_ssh_url": "git@gitlab.example.com:acme/platform/shop.git",
    "git_http_url": "https://gitlab.example.com/acme/platform/shop.git",
    "path_with_namespace": "acme/platform/shop", "default_branch": "main",
    "homepage": "https://gitlab.example.com/acme/platform/shop",
    "url": "git@gitlab.example.com:acme/platform/shop.git",
    "ssh_url": "git@gitlab.example.com:acme/platform/shop.git",
    "http_url": "https://gitlab.example.com/acme/platform/shop.git"
  },
  "commits": [{"id": "bffeb74224043ba2feb48d137756c8a9331c449a", "message": "Scale web"}],
  "total_commits_count": 1,
  "repository": {
    "name": "Shop", "url": "git@gitlab.example.com:acme/platform/shop.git",
    "homepage": "https://gitlab.example.com/acme/platform/shop",
    "git_http_url": "https://gitlab.example.com/acme/platform/shop.git",
    "git_ssh_url": "git@gitlab.example.com:acme/platform/shop.git",
    "visibility_level": 0
  }
})";

Headers GitLabHeaders(const std::string& event) {
  return {{"X-Gitlab-Event", event},
          {"X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e"},
          {"X-Gitlab-Webhook-UUID", "9c2b7d1e-2c11-4c4b-9b7a-0a1b2c3d4e5f"},
          {"X-Gitlab-Token", kSecret},
          {"Content-Type", "application/json"}};
}

TEST(ParseWebhook, GitLabPushHook) {
  auto event = ParseWebhook(Provider::kGitLab, GitLabHeaders("Push Hook"), kGitLabPush);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->delivery_id, "13792a34-cac6-4fda-95a8-c58e00a3954e");
  EXPECT_EQ(event->clone_urls,
            (std::vector<std::string>{"https://gitlab.example.com/acme/platform/shop.git",
                                      "git@gitlab.example.com:acme/platform/shop.git",
                                      "https://gitlab.example.com/acme/platform/shop"}));
  for (const auto& url : event->clone_urls) {
    EXPECT_EQ(CloneUrlKey(url), "gitlab.example.com/acme/platform/shop");
  }
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
  EXPECT_EQ(event->refs[0].commit, kSha2);
}

TEST(ParseWebhook, GitLabAnnotatedTagUsesTheCommitNotTheTagObject) {
  std::string body = Replace(kGitLabPush, R"("object_kind": "push", "event_name": "push")",
                             R"("object_kind": "tag_push", "event_name": "tag_push")");
  body = Replace(body, "refs/heads/main", "refs/tags/v2.0.0");
  body = Replace(body, std::string(R"("after": ")") + kSha2,
                 std::string(R"("after": ")") + kTagObject);
  auto event = ParseWebhook(Provider::kGitLab, GitLabHeaders("Tag Push Hook"), body);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/tags/v2.0.0");
  EXPECT_EQ(event->refs[0].commit, kSha2);  // checkout_sha
}

TEST(ParseWebhook, GitLabBranchDeletion) {
  std::string body = Replace(kGitLabPush, std::string(R"("after": ")") + kSha2,
                             std::string(R"("after": ")") + kZero);
  body =
      Replace(body, std::string(R"("checkout_sha": ")") + kSha2 + "\"", R"("checkout_sha": null)");
  auto event = ParseWebhook(Provider::kGitLab, GitLabHeaders("Push Hook"), body);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_TRUE(event->refs[0].deleted);
  EXPECT_EQ(event->refs[0].commit, "");
}

TEST(ParseWebhook, GitLabSystemHookDependsOnObjectKind) {
  auto push = ParseWebhook(Provider::kGitLab, GitLabHeaders("System Hook"), kGitLabPush);
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_FALSE(push->ignored);
  ASSERT_EQ(push->refs.size(), 1u);

  auto other = ParseWebhook(Provider::kGitLab, GitLabHeaders("System Hook"),
                            R"({"object_kind":"merge_request","event_type":"merge_request"})");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_TRUE(other->ignored);
}

TEST(ParseWebhook, GitLabOtherHooksAreIgnored) {
  for (const char* name : {"Merge Request Hook", "Pipeline Hook", "Note Hook", "Job Hook"}) {
    auto event = ParseWebhook(Provider::kGitLab, GitLabHeaders(name), "{}");
    ASSERT_TRUE(event.ok()) << name;
    EXPECT_TRUE(event->ignored) << name;
  }
}

// ---------------------------------------------------------------- Gitea

constexpr char kGiteaPush[] = R"({
  "ref": "refs/heads/develop",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
  "compare_url": "https://gitea.example.com/acme/shop/compare/6113728f...bffeb742",
  "commits": [{"id": "bffeb74224043ba2feb48d137756c8a9331c449a", "message": "Webhooks"}],
  "repository": {
    "id": 140, "owner": {"id": 1, "login": "acme", "username": "acme"},
    "name": "shop", "full_name": "acme/shop", "private": false, "fork": false,
    "html_url": "https://gitea.example.com/acme/shop",
    "ssh_url": "ssh://git@gitea.example.com:2222/acme/shop.git",
    "clone_url": "https://gitea.example.com/acme/shop.git",
    "default_branch": "main"
  },
  "pusher": {"id": 1, "login": "dev"},
  "sender": {"id": 1, "login": "dev"}
})";

Headers GiteaHeaders(const std::string& event) {
  return {{"X-Gitea-Event", event},
          {"X-Gitea-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473"},
          {"X-Gogs-Event", event},
          {"X-Gogs-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473"},
          {"X-GitHub-Event", event},
          {"X-GitHub-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473"},
          {"Content-Type", "application/json"}};
}

TEST(ParseWebhook, GiteaPush) {
  auto event = ParseWebhook(Provider::kGitea, GiteaHeaders("push"), kGiteaPush);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->delivery_id, "f6266f16-1bf3-46a5-9ea4-602e06ead473");
  EXPECT_EQ(event->clone_urls,
            (std::vector<std::string>{"https://gitea.example.com/acme/shop.git",
                                      "ssh://git@gitea.example.com:2222/acme/shop.git",
                                      "https://gitea.example.com/acme/shop"}));
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/develop");
  EXPECT_EQ(event->refs[0].commit, kSha2);
}

TEST(ParseWebhook, GiteaFallsBackToItsCompatibilityHeaders) {
  Headers headers{{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-1"}};
  auto event = ParseWebhook(Provider::kGitea, headers, kGiteaPush);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->delivery_id, "d-1");
  EXPECT_EQ(event->refs.size(), 1u);
  auto none = ParseWebhook(Provider::kGitea, {{"Content-Type", "application/json"}}, kGiteaPush);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("X-Gitea-Event"), std::string::npos);
}

TEST(ParseWebhook, GiteaCreateAndDeleteEventsAreIgnored) {
  // Gitea sends these next to the push that carries the same change.
  for (const char* name : {"create", "delete", "pull_request", "release"}) {
    auto event = ParseWebhook(Provider::kGitea, GiteaHeaders(name),
                              R"({"ref":"develop","ref_type":"branch"})");
    ASSERT_TRUE(event.ok()) << name;
    EXPECT_TRUE(event->ignored) << name;
  }
}

// ---------------------------------------------------------------- Bitbucket Server

constexpr char kBitbucketPush[] = R"({
  "eventKey": "repo:refs_changed",
  "date": "2024-06-17T19:37:57+1000",
  "actor": {"name": "dev", "emailAddress": "dev@example.com", "id": 500, "slug": "dev",
            "type": "NORMAL"},
  "repository": {
    "slug": "shop", "id": 656, "name": "Shop", "scmId": "git", "state": "AVAILABLE",
    "forkable": true,
    "project": {"key": "ACME", "id": 389, "name": "Acme", "type": "NORMAL"},
    "public": false,
    "links": {
      "clone": [
        {"href": "ssh://git@bitbucket.example.com:7999/acme/shop.git", "name": "ssh"},
        {"href": "https://bitbucket.example.com/scm/acme/shop.git", "name": "http"}
      ],
      "self": [{"href": "https://bitbucket.example.com/projects/ACME/repos/shop/browse"}]
    }
  },
  "changes": [
    {"ref": {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH"},
     "refId": "refs/heads/main",
     "fromHash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
     "toHash": "bffeb74224043ba2feb48d137756c8a9331c449a", "type": "UPDATE"},
    {"ref": {"id": "refs/heads/old", "displayId": "old", "type": "BRANCH"},
     "refId": "refs/heads/old",
     "fromHash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
     "toHash": "0000000000000000000000000000000000000000", "type": "DELETE"},
    {"ref": {"id": "refs/tags/v3", "displayId": "v3", "type": "TAG"},
     "refId": "refs/tags/v3",
     "fromHash": "0000000000000000000000000000000000000000",
     "toHash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "type": "ADD"}
  ]
})";

Headers BitbucketHeaders(const std::string& event) {
  return {{"X-Event-Key", event},
          {"X-Request-Id", "f3e6a1c0-0b1c-4b57-9b59-4f8a4b4a1f00"},
          {"Content-Type", "application/json; charset=utf-8"}};
}

TEST(ParseWebhook, BitbucketRefsChangedListsEveryRef) {
  auto event =
      ParseWebhook(Provider::kBitbucket, BitbucketHeaders("repo:refs_changed"), kBitbucketPush);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->delivery_id, "f3e6a1c0-0b1c-4b57-9b59-4f8a4b4a1f00");
  EXPECT_EQ(event->clone_urls,
            (std::vector<std::string>{"ssh://git@bitbucket.example.com:7999/acme/shop.git",
                                      "https://bitbucket.example.com/scm/acme/shop.git"}));
  ASSERT_EQ(event->refs.size(), 3u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
  EXPECT_EQ(event->refs[0].commit, kSha2);
  EXPECT_FALSE(event->refs[0].deleted);
  EXPECT_EQ(event->refs[1].ref, "refs/heads/old");
  EXPECT_TRUE(event->refs[1].deleted);
  EXPECT_EQ(event->refs[1].commit, "");
  EXPECT_EQ(event->refs[2].ref, "refs/tags/v3");
  EXPECT_EQ(event->refs[2].commit, kSha1);
}

TEST(ParseWebhook, BitbucketPingAndOtherEvents) {
  auto ping =
      ParseWebhook(Provider::kBitbucket, BitbucketHeaders("diagnostics:ping"), R"({"test": true})");
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  EXPECT_TRUE(ping->ping);
  EXPECT_TRUE(ping->refs.empty());

  auto pr = ParseWebhook(Provider::kBitbucket, BitbucketHeaders("pr:opened"), "{}");
  ASSERT_TRUE(pr.ok());
  EXPECT_TRUE(pr->ignored);
}

TEST(ParseWebhook, BitbucketWithoutAnyRepositoryOrChangesIsInvalid) {
  std::string no_links = Replace(kBitbucketPush, R"("clone": [)", R"("mirror": [)");
  no_links = Replace(no_links, R"("key": "ACME")", R"("name_only": "ACME")");
  auto event = ParseWebhook(Provider::kBitbucket, BitbucketHeaders("repo:refs_changed"), no_links);
  ASSERT_FALSE(event.ok());
  EXPECT_NE(event.status().message().find("links.clone"), std::string::npos);

  auto no_changes =
      ParseWebhook(Provider::kBitbucket, BitbucketHeaders("repo:refs_changed"),
                   Replace(kBitbucketPush, R"("changes": [)", R"("changes": [], "x": [)"));
  ASSERT_FALSE(no_changes.ok());
  EXPECT_NE(no_changes.status().message().find("changes"), std::string::npos);
}

TEST(ParseWebhook, IgnoredEventsStillNameTheirRepository) {
  // So that the server can authenticate them against that repository's secret.
  auto pr = ParseWebhook(Provider::kGitHub, GitHubHeaders("pull_request"),
                         R"({"action": "opened", "number": 2,
                             "pull_request": {"head": {"ref": "feature"}},
                             "repository": {"full_name": "Acme/Shop",
                                            "clone_url": "https://github.com/Acme/Shop.git",
                                            "ssh_url": "git@github.com:Acme/Shop.git"}})");
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  EXPECT_TRUE(pr->ignored);
  EXPECT_TRUE(pr->refs.empty());
  EXPECT_EQ(pr->clone_urls, (std::vector<std::string>{"https://github.com/Acme/Shop.git",
                                                      "git@github.com:Acme/Shop.git"}));

  auto mr = ParseWebhook(Provider::kGitLab, GitLabHeaders("Merge Request Hook"),
                         R"({"object_kind": "merge_request",
                             "project": {"git_http_url": "https://gitlab.example.com/a/b.git"}})");
  ASSERT_TRUE(mr.ok()) << mr.status().ToString();
  EXPECT_TRUE(mr->ignored);
  EXPECT_EQ(mr->clone_urls, std::vector<std::string>{"https://gitlab.example.com/a/b.git"});

  auto bb = ParseWebhook(Provider::kBitbucket, BitbucketHeaders("pr:opened"),
                         R"({"eventKey": "pr:opened", "pullRequest": {"id": 1, "toRef": {
                               "id": "refs/heads/main", "repository": {"slug": "shop", "links": {
                               "clone": [{"href": "https://bb.example.com/scm/acme/shop.git",
                                          "name": "http"}]}}}}})");
  ASSERT_TRUE(bb.ok()) << bb.status().ToString();
  EXPECT_TRUE(bb->ignored);
  EXPECT_EQ(bb->clone_urls, std::vector<std::string>{"https://bb.example.com/scm/acme/shop.git"});
}

// ---------------------------------------------------------------- generic

TEST(ParseWebhook, GenericBranchNamesBecomeFullRefs) {
  const std::string body = R"({"repository": "git@github.com:acme/shop.git", "ref": "main",
                               "commit": ")" +
                           std::string(kSha2) + "\"}";
  auto event = ParseWebhook(Provider::kGeneric, {{"X-Request-Id", "ci-run-17"}}, body);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->event, "push");
  EXPECT_EQ(event->delivery_id, "ci-run-17");
  EXPECT_EQ(event->clone_urls, std::vector<std::string>{"git@github.com:acme/shop.git"});
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
  EXPECT_EQ(event->refs[0].commit, kSha2);
}

TEST(ParseWebhook, GenericFullRefsAndOptionalCommit) {
  auto tag = ParseWebhook(Provider::kGeneric, {},
                          R"({"repository": "https://git.example.com/shop",
                              "ref": "refs/tags/v1"})");
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(tag->refs[0].ref, "refs/tags/v1");
  EXPECT_EQ(tag->refs[0].commit, "");
  EXPECT_EQ(tag->delivery_id, "");

  auto null_commit = ParseWebhook(
      Provider::kGeneric, {}, R"({"repository": "/srv/git/shop", "ref": "main", "commit": null})");
  ASSERT_TRUE(null_commit.ok()) << null_commit.status().ToString();
  EXPECT_EQ(null_commit->refs[0].commit, "");
}

TEST(ParseWebhook, GenericRejectsMissingOrBadFields) {
  struct Case {
    const char* body;
    const char* mentions;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"ref": "main"})", "repository"},
           {R"({"repository": 5, "ref": "main"})", "repository"},
           {R"({"repository": "https://h/r"})", "'ref'"},
           {R"({"repository": "https://h/r", "ref": ""})", "'ref'"},
           {R"({"repository": "https://h/r", "ref": "ma in"})", "'ref'"},
           {R"({"repository": "https://h/r", "ref": "main", "commit": "abc"})", "'commit'"},
           {R"({"repository": "https://h/r", "ref": "main", "commit": 12})", "'commit'"},
           {R"(repository=https://h/r&ref=main)", "JSON"},
       }) {
    auto event = ParseWebhook(Provider::kGeneric, {}, c.body);
    ASSERT_FALSE(event.ok()) << c.body;
    EXPECT_EQ(event.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(event.status().message().find(c.mentions), std::string::npos)
        << c.body << " -> " << event.status().message();
  }
}

// ---------------------------------------------------------------- DeliveryLog

TEST(DeliveryLog, RemembersIds) {
  DeliveryLog log(10);
  EXPECT_FALSE(log.SeenBefore("a"));
  EXPECT_TRUE(log.SeenBefore("a"));
  EXPECT_TRUE(log.SeenBefore("a"));
  EXPECT_FALSE(log.SeenBefore("b"));
}

TEST(DeliveryLog, EmptyIdIsNeverADuplicate) {
  DeliveryLog log(10);
  EXPECT_FALSE(log.SeenBefore(""));
  EXPECT_FALSE(log.SeenBefore(""));
}

TEST(DeliveryLog, ForgetsTheOldestBeyondCapacity) {
  DeliveryLog log(3);
  for (const char* id : {"a", "b", "c", "d"}) EXPECT_FALSE(log.SeenBefore(id));
  EXPECT_TRUE(log.SeenBefore("d"));
  EXPECT_TRUE(log.SeenBefore("b"));   // still there: a repeat does not re-record
  EXPECT_FALSE(log.SeenBefore("a"));  // evicted by "d"; recording it again evicts "b"
  EXPECT_FALSE(log.SeenBefore("b"));
  EXPECT_TRUE(log.SeenBefore("a"));
}

TEST(DeliveryLog, CapacityBelowOneKeepsOne) {
  DeliveryLog log(0);
  EXPECT_FALSE(log.SeenBefore("a"));
  EXPECT_TRUE(log.SeenBefore("a"));
  EXPECT_FALSE(log.SeenBefore("b"));
  EXPECT_FALSE(log.SeenBefore("a"));
}

TEST(DeliveryLog, ConcurrentRedeliveriesAreAcceptedOnce) {
  DeliveryLog log(1000);
  std::atomic<int> fresh{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!log.SeenBefore("delivery-" + std::to_string(i))) fresh.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(fresh.load(), 200);
}

}  // namespace
}  // namespace ecsync::webhook
