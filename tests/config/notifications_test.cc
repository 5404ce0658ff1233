// The `notifications:` section (config/notifications.h).

#include "config/notifications.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "config/config.h"

namespace ecsync::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Vars = std::map<std::string, std::string>;

constexpr char kSlackUrl[] = "https://hooks.slack.com/services/T0/B0/sekrit-slack-path";

base::Result<Config> ParseNotifications(const std::string& notifications, Vars env = {},
                                        const Vars& files = {}) {
  env.emplace("HOME", "/home/tester");
  const std::string text =
      "repositories:\n"                               // 1
      "  - url: https://example.com/acme/shop.git\n"  // 2
      "    projects:\n"                               // 3
      "      - files: compose.yaml\n"                 // 4
      + notifications;                                // 5...
  ReadFileFn read_file =
      [files](const std::string& path) -> base::Result<std::optional<std::string>> {
    auto it = files.find(path);
    if (it == files.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
  return ParseConfig(text, "ecsync.yaml", base::EnvFromMap(std::move(env)), read_file);
}

std::string NotificationsErrorOf(const std::string& notifications, Vars env = {}) {
  base::Result<Config> config = ParseNotifications(notifications, std::move(env));
  if (config.ok()) {
    ADD_FAILURE() << "parsed without error:\n" << notifications;
    return "";
  }
  EXPECT_EQ(config.status().kind(), base::ErrorKind::kInvalid);
  return config.status().message();
}

TEST(ConfigNotifications, EveryTypeWithSecretsEventsAndFilters) {
  auto config = ParseNotifications(
      "notification_queue: 50\n"
      "notifications:\n"
      "  - name: ops\n"
      "    type: slack\n"
      "    url: {env: SLACK_URL}\n"
      "    events: [deploy_failed, stalled]\n"
      "    repositories: [shop]\n"
      "  - type: teams\n"
      "    url: {file: /run/teams-url}\n"
      "    projects: [compose, shop/api]\n"
      "  - name: audit\n"
      "    type: webhook\n"
      "    url: {env: HOOK_URL}\n"
      "    secret: {env: HOOK_SECRET}\n"
      "    events: [deploy_started, deploy_succeeded, deploy_failed, deploy_error, "
      "drift_detected, stalled, pruned, signature_refused, held, approval_pending, approved, "
      "rejected, superseded]\n",
      {{"SLACK_URL", kSlackUrl},
       {"HOOK_URL", "http://127.0.0.1:9/hook"},
       {"HOOK_SECRET", "hmac-key"}},
      {{"/run/teams-url", "https://example.webhook.office.com/workflows/abc\n"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const NotificationsConfig& n = config->notifications;
  EXPECT_EQ(n.queue, 50);
  ASSERT_EQ(n.sinks.size(), 3u);
  EXPECT_EQ(n.sinks[0].name, "ops");
  EXPECT_EQ(n.sinks[0].type, NotificationType::kSlack);
  EXPECT_EQ(n.sinks[0].url, kSlackUrl);
  EXPECT_THAT(n.sinks[0].events, ElementsAre("deploy_failed", "stalled"));
  EXPECT_THAT(n.sinks[0].repositories, ElementsAre("shop"));
  EXPECT_EQ(n.sinks[0].line, 7);
  EXPECT_EQ(n.sinks[1].name, "teams");  // the type when no name is given
  EXPECT_EQ(n.sinks[1].type, NotificationType::kTeams);
  EXPECT_EQ(n.sinks[1].url, "https://example.webhook.office.com/workflows/abc");
  EXPECT_THAT(n.sinks[1].projects, ElementsAre("compose", "shop/api"));
  // The default: failures, stalled, drift and refused signatures.
  EXPECT_THAT(n.sinks[1].events, ElementsAre("deploy_failed", "deploy_error", "stalled",
                                             "drift_detected", "signature_refused"));
  EXPECT_EQ(n.sinks[2].type, NotificationType::kWebhook);
  EXPECT_EQ(n.sinks[2].secret, "hmac-key");
  EXPECT_EQ(n.sinks[2].events.size(), NotificationEventNames().size());
}

TEST(ConfigNotifications, NoneByDefault) {
  auto config = ParseNotifications("");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->notifications.sinks.empty());
  EXPECT_EQ(config->notifications.queue, 1000);
}

TEST(ConfigNotifications, ErrorsNameFileLineAndKey) {
  const Vars env = {{"URL", kSlackUrl}, {"PLAIN", "ftp://example.com/x-secret-value"}};
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: discord\n"
                                   "    url: {env: URL}\n",
                                   env),
              AllOf(HasSubstr("ecsync.yaml:6: notifications[0].type"), HasSubstr("discord"),
                    HasSubstr("slack, teams or webhook")));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: slack\n"
                                   "    url: {env: URL}\n"
                                   "    events:\n"
                                   "      - stalled\n"
                                   "      - deploy_exploded\n",
                                   env),
              AllOf(HasSubstr("ecsync.yaml:10: notifications[0].events[1]"),
                    HasSubstr("deploy_exploded"), HasSubstr("deploy_started")));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: slack\n"
                                   "    url: {env: URL}\n"
                                   "    events: []\n",
                                   env),
              HasSubstr("notifications[0].events: lists no events"));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: webhook\n"
                                   "    url: {env: URL}\n",
                                   env),
              AllOf(HasSubstr("ecsync.yaml:6: notifications[0].secret"), HasSubstr("required")));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: teams\n"
                                   "    url: {env: URL}\n"
                                   "    secret: {env: URL}\n",
                                   env),
              AllOf(HasSubstr("notifications[0].secret"), HasSubstr("webhook only")));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: slack\n",
                                   env),
              AllOf(HasSubstr("notifications[0].url"), HasSubstr("required")));
  EXPECT_THAT(
      NotificationsErrorOf("notifications:\n"
                           "  - type: slack\n"
                           "    url: {env: URL}\n"
                           "    repositories: [shop, shoop]\n",
                           env),
      AllOf(HasSubstr("ecsync.yaml:8: notifications[0].repositories[1]"), HasSubstr("\"shoop\"")));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: slack\n"
                                   "    url: {env: URL}\n"
                                   "    projects: [Web!]\n",
                                   env),
              HasSubstr("notifications[0].projects[0]: \"Web!\" is not a project"));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: slack\n"
                                   "    url: {env: URL}\n"
                                   "  - type: slack\n"
                                   "    url: {env: URL}\n",
                                   env),
              AllOf(HasSubstr("ecsync.yaml:8: notifications[1].name"),
                    HasSubstr("already used by notifications[0]")));
  EXPECT_THAT(NotificationsErrorOf("notifications:\n"
                                   "  - type: slack\n"
                                   "    url: {env: URL}\n"
                                   "    event: [stalled]\n",
                                   env),
              AllOf(HasSubstr("event"), HasSubstr("did you mean")));
  EXPECT_THAT(NotificationsErrorOf("notification_queue: 0\n", env),
              HasSubstr("notification_queue"));
  EXPECT_THAT(NotificationsErrorOf("notifications: {type: slack}\n", env),
              HasSubstr("notifications: must be a list"));
}

TEST(ConfigNotifications, UrlsAreSecretsAndNeverQuoted) {
  // Written in the file: refused, and the value not repeated.
  const std::string plain = NotificationsErrorOf(
      "notifications:\n"
      "  - type: slack\n"
      "    url: https://hooks.slack.com/services/T0/B0/sekrit-slack-path\n");
  EXPECT_THAT(plain, AllOf(HasSubstr("notifications[0].url"), HasSubstr("{env: NAME}"),
                           Not(HasSubstr("sekrit"))));
  // Not http(s): refused without quoting what the variable holds.
  const std::string scheme = NotificationsErrorOf(
      "notifications:\n"
      "  - type: slack\n"
      "    url: {env: PLAIN}\n",
      {{"PLAIN", "ftp://example.com/x-secret-value"}});
  EXPECT_THAT(scheme, AllOf(HasSubstr("ecsync.yaml:7: notifications[0].url"), HasSubstr("https://"),
                            Not(HasSubstr("x-secret-value"))));
}

}  // namespace
}  // namespace ecsync::config
