// Deliveries shaped as the hosts send them that ecsync did not understand before: Bitbucket
// Cloud pushes, GitHub organization-hook pings, Bitbucket Server pushes without clone links,
// form-encoded deliveries (GitHub signs the form, Gitea the JSON inside it), and bytes that
// are not UTF-8 in the fields quoted by error messages.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "base/utf8.h"
#include "tests/webhook/webhook_payloads.h"
#include "webhook/clone_url.h"
#include "webhook/webhook.h"

namespace ecsync::webhook::payloads {
namespace {

TEST(BitbucketCloud, RepoPushNamesTheRepositoryAndEveryChangedRef) {
  auto event =
      ParseWebhook(Provider::kBitbucket, BitbucketCloudHeaders("repo:push"), kBitbucketCloudPush);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_FALSE(event->ignored);
  EXPECT_EQ(event->delivery_id, "9a8f4b5a-2c6e-4b0e-8f45-5d7c3b1e2a90");
  ASSERT_FALSE(event->clone_urls.empty());
  EXPECT_TRUE(NamesRepository(*event, "https://dev@bitbucket.org/acme/shop.git"));
  EXPECT_TRUE(NamesRepository(*event, "git@bitbucket.org:acme/shop.git"));
  EXPECT_FALSE(NamesRepository(*event, "git@bitbucket.org:acme/shop-api.git"));
  ASSERT_EQ(event->refs.size(), 3u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
  EXPECT_EQ(event->refs[0].commit, kNewCommit);
  EXPECT_FALSE(event->refs[0].deleted);
  EXPECT_EQ(event->refs[1].ref, "refs/tags/v1.4.0");
  EXPECT_EQ(event->refs[1].commit, kNewCommit);
  EXPECT_EQ(event->refs[2].ref, "refs/heads/old-feature");  // "new": null
  EXPECT_TRUE(event->refs[2].deleted);
  EXPECT_EQ(event->refs[2].commit, "");
}

TEST(BitbucketCloud, OtherEventsAreIgnoredButNameTheirRepository) {
  auto event = ParseWebhook(Provider::kBitbucket, BitbucketCloudHeaders("pullrequest:created"),
                            R"({"pullrequest": {"id": 3}, "repository": {"type": "repository",
                                "full_name": "acme/shop",
                                "links": {"html": {"href": "https://bitbucket.org/acme/shop"}}}})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_TRUE(event->ignored);
  EXPECT_TRUE(NamesRepository(*event, "https://bitbucket.org/acme/shop.git"));
}

TEST(BitbucketCloud, PushWithoutChangesIsInvalid) {
  auto event = ParseWebhook(Provider::kBitbucket, BitbucketCloudHeaders("repo:push"),
                            R"({"push": {"changes": []}, "repository": {"type": "repository",
                                "links": {"html": {"href": "https://bitbucket.org/a/b"}}}})");
  ASSERT_FALSE(event.ok());
  EXPECT_NE(event.status().message().find("push.changes"), std::string::npos);
}

TEST(BitbucketServer, PushWithoutCloneLinksIsMatchedByProjectKeyAndSlug) {
  auto event = ParseWebhook(Provider::kBitbucket, BitbucketServerHeaders("repo:refs_changed"),
                            kBitbucketServerPushWithoutLinks);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_TRUE(event->clone_urls.empty());
  EXPECT_EQ(event->repository_path, "ACME/shop");
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].commit, kNewCommit);
  EXPECT_TRUE(NamesRepository(*event, "https://bitbucket.example.com/scm/acme/shop.git"));
  EXPECT_TRUE(NamesRepository(*event, "ssh://git@bitbucket.example.com:7999/ACME/shop.git"));
  EXPECT_FALSE(NamesRepository(*event, "https://bitbucket.example.com/scm/acme/shop-api.git"));
  EXPECT_FALSE(NamesRepository(*event, "https://bitbucket.example.com/scm/other/shop.git"));
  EXPECT_FALSE(NamesRepository(*event, "https://bitbucket.example.com/x/acme/shop.git"));
  EXPECT_FALSE(NamesRepository(*event, "/srv/git/acme/shop"));
}

TEST(GitHub, OrganizationHookPingIsAPingWithoutRepository) {
  auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("ping"), kGitHubOrganizationPing);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_TRUE(event->ping);
  EXPECT_TRUE(event->clone_urls.empty());
}

TEST(GitHub, FormDeliveryLargerThan8KiBIsParsedAndVerifiedOverTheRawForm) {
  const std::string json = GitHubPushWithCommits(60);
  const std::string form = "payload=" + FormEncode(json);
  ASSERT_GT(form.size(), 10'000u);
  Headers headers = GitHubHeaders("push");
  headers["Content-Type"] = "application/x-www-form-urlencoded";
  headers["X-Hub-Signature-256"] = "sha256=" + Sign(kSecret, form);
  EXPECT_TRUE(VerifyWebhook(Provider::kGitHub, headers, form, kSecret));
  headers["X-Hub-Signature-256"] = "sha256=" + Sign(kSecret, json);  // not what GitHub signs
  EXPECT_FALSE(VerifyWebhook(Provider::kGitHub, headers, form, kSecret));
  auto event = ParseWebhook(Provider::kGitHub, headers, form);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].commit, kNewCommit);
}

TEST(Gitea, FormDeliveryIsVerifiedOverTheJsonPayload) {
  const std::string json = kGiteaPushJson;
  const std::string form = "payload=" + FormEncode(json);
  Headers headers = GiteaFormHeaders(json);
  EXPECT_TRUE(VerifyWebhook(Provider::kGitea, headers, form, kSecret));
  EXPECT_FALSE(VerifyWebhook(Provider::kGitea, headers, form, "other"));
  // Only the X-Gitea-Signature header (older Gitea), still over the JSON.
  headers.erase("X-Hub-Signature-256");
  EXPECT_TRUE(VerifyWebhook(Provider::kGitea, headers, form, kSecret));
  auto event = ParseWebhook(Provider::kGitea, headers, form);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_EQ(event->refs.size(), 1u);
  EXPECT_EQ(event->refs[0].ref, "refs/heads/main");
}

TEST(WebhookProof, PresenceNeedsAWellFormedHeader) {
  EXPECT_FALSE(WebhookProof(Provider::kGitHub, {}, "{}").present());
  EXPECT_FALSE(
      WebhookProof(Provider::kGitHub, {{"X-Hub-Signature-256", "sha256=zz"}}, "{}").present());
  EXPECT_TRUE(WebhookProof(Provider::kGitHub,
                           {{"X-Hub-Signature-256", "sha256=" + std::string(64, 'a')}}, "{}")
                  .present());
  EXPECT_FALSE(WebhookProof(Provider::kGitLab, {{"X-Gitlab-Token", ""}}, "{}").present());
  EXPECT_TRUE(WebhookProof(Provider::kGitLab, {{"X-Gitlab-Token", "t"}}, "{}").present());
}

TEST(ParseWebhook, ErrorMessagesAreUtf8WhateverTheBytes) {
  // A multi-byte character straddling the point where the message cuts its quote, and bytes
  // that are not UTF-8 at all.
  const std::string cut = std::string(79, 'a') + "\xC3\xA9" + std::string(40, 'b');
  for (const std::string& after : {cut, std::string("\xFF\xFE", 2) + std::string(38, 'c')}) {
    const std::string body = R"({"ref": "refs/heads/main", "after": ")" + after +
                             R"(", "repository": {"clone_url": "https://github.com/a/b"}})";
    auto event = ParseWebhook(Provider::kGitHub, GitHubHeaders("push"), body);
    ASSERT_FALSE(event.ok());
    EXPECT_TRUE(base::IsValidUtf8(event.status().message())) << event.status().message();
    EXPECT_NO_THROW(nlohmann::json(event.status().message()).dump());
  }
  const std::string bad_ref = "{\"repository\": \"https://h/r\", \"ref\": \"ma in\xC3\"}";
  auto generic = ParseWebhook(Provider::kGeneric, {}, bad_ref);
  ASSERT_FALSE(generic.ok());
  EXPECT_TRUE(base::IsValidUtf8(generic.status().message()));
}

}  // namespace
}  // namespace ecsync::webhook::payloads
