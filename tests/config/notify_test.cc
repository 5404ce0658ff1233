// `notify.commit_status` of repositories and projects, and `external_url`: the host's API,
// the repository's path on it (from every URL form), tokens, contexts, and refusals that name
// the file, line and key.

#include "config/notify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "config/config.h"

namespace ecsync::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::map<std::string, std::string> kEnv = {{"HOME", "/home/ci"}, {"HOST_TOKEN", "s3cr3t"}};

base::Result<Config> ParseNotify(const std::string& text) {
  return ParseConfig(text, "ecsync.yaml", base::EnvFromMap(kEnv),
                     [](const std::string& path) -> base::Result<std::optional<std::string>> {
                       if (path == "/run/token") return std::optional<std::string>("filed\n");
                       return std::optional<std::string>();
                     });
}

// One repository at `url` whose notify.commit_status holds `keys` (indented by 8), with a
// `files` project named web and `project_extra` after it (indented by 8).
std::string WithStatus(const std::string& url, const std::string& keys,
                       const std::string& project_extra = "") {
  return "repositories:\n"  // 1
         "  - url: " +
         url +
         "\n"                      // 2
         "    notify:\n"           // 3
         "      commit_status:\n"  // 4
         + keys +                  // 5...
         "    projects:\n"
         "      - name: web\n"
         "        files: compose.yaml\n" +
         project_extra;
}

std::string NotifyErrorOf(const std::string& text) {
  const base::Result<Config> config = ParseNotify(text);
  if (config.ok()) {
    ADD_FAILURE() << "parsed:\n" << text;
    return "";
  }
  EXPECT_EQ(config.status().kind(), base::ErrorKind::kInvalid);
  return config.status().message();
}

const CommitStatusConfig& StatusOf(const base::Result<Config>& config) {
  static const CommitStatusConfig kNone;
  if (!config.ok() || !config->repositories[0].notify.commit_status.has_value()) {
    ADD_FAILURE() << config.status().ToString();
    return kNone;
  }
  return *config->repositories[0].notify.commit_status;
}

TEST(NotifyConfig, GitHubDefaultsFromTheUrl) {
  const auto config = ParseNotify(WithStatus("git@github.com:Acme/Shop.git",
                                             "        provider: github\n"
                                             "        token: {env: HOST_TOKEN}\n"));
  const CommitStatusConfig& status = StatusOf(config);
  EXPECT_EQ(status.api, GitHostApi::kGitHub);
  EXPECT_EQ(status.api_url, "https://api.github.com");
  EXPECT_EQ(status.repository, "Acme/Shop");
  EXPECT_EQ(status.token, "s3cr3t");
  EXPECT_EQ(status.context, "");
  EXPECT_TRUE(status.deployments);
  EXPECT_EQ(status.line, 5);
  EXPECT_EQ(config->external_url, "");
  EXPECT_FALSE(config->repositories[0].projects[0].notify.commit_status_context.size());
}

TEST(NotifyConfig, EnterpriseGitLabGiteaAndBitbucketResolveTheirApis) {
  auto status = StatusOf(ParseNotify(WithStatus("https://ghe.example.com/acme/shop.git",
                                                "        provider: github\n"
                                                "        api_url: https://ghe.example.com/api/v3/\n"
                                                "        deployments: false\n"
                                                "        token: {file: /run/token}\n")));
  EXPECT_EQ(status.api_url, "https://ghe.example.com/api/v3");
  EXPECT_EQ(status.repository, "acme/shop");
  EXPECT_EQ(status.token, "filed");
  EXPECT_FALSE(status.deployments);

  status =
      StatusOf(ParseNotify(WithStatus("https://git.example.com/gitlab/group/sub/shop.git",
                                      "        provider: gitlab\n"
                                      "        api_url: https://git.example.com/gitlab/api/v4\n"
                                      "        token: {env: HOST_TOKEN}\n")));
  EXPECT_EQ(status.api, GitHostApi::kGitLab);
  EXPECT_EQ(status.api_url, "https://git.example.com/gitlab");
  EXPECT_EQ(status.repository, "group/sub/shop");  // the context path is not the group
  EXPECT_FALSE(status.deployments);

  status = StatusOf(ParseNotify(WithStatus("ssh://git@gitea.example.com:2222/acme/shop.git",
                                           "        provider: gitea\n"
                                           "        api_url: https://gitea.example.com\n"
                                           "        token: {env: HOST_TOKEN}\n")));
  EXPECT_EQ(status.api, GitHostApi::kGitea);
  EXPECT_EQ(status.repository, "acme/shop");

  status = StatusOf(ParseNotify(WithStatus("git@bitbucket.org:team/shop.git",
                                           "        provider: bitbucket\n"
                                           "        username: ci-bot\n"
                                           "        token: {env: HOST_TOKEN}\n")));
  EXPECT_EQ(status.api, GitHostApi::kBitbucketCloud);
  EXPECT_EQ(status.api_url, "https://api.bitbucket.org");
  EXPECT_EQ(status.repository, "team/shop");
  EXPECT_EQ(status.username, "ci-bot");

  status = StatusOf(ParseNotify(WithStatus("https://bb.example.com/scm/PROJ/shop.git",
                                           "        provider: bitbucket\n"
                                           "        api_url: https://bb.example.com\n"
                                           "        token: {env: HOST_TOKEN}\n")));
  EXPECT_EQ(status.api, GitHostApi::kBitbucketServer);
  EXPECT_EQ(status.repository, "PROJ/shop");

  // An empty repository picks Bitbucket Server's commit-only endpoint.
  status = StatusOf(ParseNotify(WithStatus("https://bb.example.com/scm/PROJ/shop.git",
                                           "        provider: bitbucket\n"
                                           "        api_url: https://bb.example.com\n"
                                           "        repository: \"\"\n"
                                           "        token: {env: HOST_TOKEN}\n")));
  EXPECT_EQ(status.repository, "");
}

TEST(NotifyConfig, ContextsRepositoryOverrideAndExternalUrl) {
  const auto config =
      ParseNotify("external_url: https://ecsync.example.com/\n" +
                  WithStatus("https://github.com/acme/shop",
                             "        provider: github\n"
                             "        repository: acme/shop-mirror\n"
                             "        context: prod/{project}\n"
                             "        token: {env: HOST_TOKEN}\n",
                             "        notify: {commit_status: {context: ecsync/web-eu}}\n"));
  const CommitStatusConfig& status = StatusOf(config);
  EXPECT_EQ(config->external_url, "https://ecsync.example.com");
  EXPECT_EQ(status.repository, "acme/shop-mirror");
  EXPECT_EQ(status.context, "prod/{project}");
  EXPECT_EQ(config->repositories[0].projects[0].notify.commit_status_context, "ecsync/web-eu");
}

TEST(NotifyConfig, RefusalsNameTheLineAndKey) {
  const std::string token = "        token: {env: HOST_TOKEN}\n";
  const std::string github = "https://github.com/acme/shop.git";
  EXPECT_THAT(NotifyErrorOf(WithStatus(github, "        provider: gogs\n" + token)),
              AllOf(HasSubstr("ecsync.yaml:5: repositories[0].notify.commit_status.provider"),
                    HasSubstr("github, gitlab, gitea or bitbucket")));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github, "        provider: github\n")),
              HasSubstr("commit_status.token: is required"));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github, "        provider: github\n        token: ghp_x\n")),
              AllOf(HasSubstr("ecsync.yaml:6: repositories[0].notify.commit_status.token"),
                    Not(HasSubstr("ghp_x"))));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github, "        provider: gitea\n" + token)),
              HasSubstr("commit_status.api_url: is required for gitea"));
  // The token would go to api.github.com for a repository on another host.
  EXPECT_THAT(NotifyErrorOf(
                  WithStatus("https://ghe.example.com/a/b", "        provider: github\n" + token)),
              HasSubstr("api_url: is required: the repository is on ghe.example.com"));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github,
                                       "        provider: github\n"
                                       "        api_url: ftp://x\n" +
                                           token)),
              HasSubstr("ecsync.yaml:6: repositories[0].notify.commit_status.api_url"));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github,
                                       "        provider: github\n"
                                       "        username: me\n" +
                                           token)),
              HasSubstr("username: is for Bitbucket app passwords only"));
  EXPECT_THAT(NotifyErrorOf(WithStatus("https://gitlab.com/g/p",
                                       "        provider: gitlab\n"
                                       "        deployments: true\n" +
                                           token)),
              HasSubstr("deployments: is for GitHub only"));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github,
                                       "        provider: github\n"
                                       "        context: ecsync/{branch}\n" +
                                           token)),
              HasSubstr("context: \"{branch}\" is not a placeholder"));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github,
                                       "        provider: github\n"
                                       "        repository: just-one\n" +
                                           token)),
              HasSubstr("repository: \"just-one\" is not owner/repository"));
  EXPECT_THAT(NotifyErrorOf(WithStatus("/srv/git/shop", "        provider: github\n" + token)),
              HasSubstr("repository: cannot be derived"));
  EXPECT_THAT(NotifyErrorOf("external_url: ecsync.example.com\n" +
                            WithStatus(github, "        provider: github\n" + token)),
              HasSubstr("ecsync.yaml:1: external_url: \"ecsync.example.com\" is not an http"));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github, "        provider: github\n" + token,
                                       "      - glob: services/*/compose.yaml\n"
                                       "        notify: {commit_status: {context: x}}\n")),
              AllOf(HasSubstr("projects[1].notify.commit_status.context"), HasSubstr("set name")));
  EXPECT_THAT(NotifyErrorOf(WithStatus(github, "        provider: github\n" + token,
                                       "        notify: {commit_status: {provider: github}}\n")),
              HasSubstr("projects[0].notify.commit_status.provider: unknown key"));
}

TEST(NotifyConfig, RepositoryPathFromEveryUrlForm) {
  const auto path = [](GitHostApi api, const std::string& url, const std::string& api_path = "") {
    return RepositoryPathFromUrl(api, url, api_path).value_or("<none>");
  };
  EXPECT_EQ(path(GitHostApi::kGitHub, "https://github.com/acme/shop.git"), "acme/shop");
  EXPECT_EQ(path(GitHostApi::kGitHub, "https://user@github.com/acme/shop/"), "acme/shop");
  EXPECT_EQ(path(GitHostApi::kGitHub, "git@github.com:acme/shop.git"), "acme/shop");
  EXPECT_EQ(path(GitHostApi::kGitHub, "github.com:acme/shop"), "acme/shop");
  EXPECT_EQ(path(GitHostApi::kGitHub, "ssh://git@github.com:22/acme/shop.git"), "acme/shop");
  EXPECT_EQ(path(GitHostApi::kGitea, "http://gitea.local:3000/sub/acme/shop"), "acme/shop");
  EXPECT_EQ(path(GitHostApi::kGitLab, "https://gitlab.com/g/s/t/p.git"), "g/s/t/p");
  EXPECT_EQ(path(GitHostApi::kGitLab, "git@gitlab.com:g/p.git"), "g/p");
  EXPECT_EQ(path(GitHostApi::kGitLab, "https://h/gitlab/g/p.git", "gitlab"), "g/p");
  EXPECT_EQ(path(GitHostApi::kGitLab, "https://gitlab.com/p"), "<none>");
  EXPECT_EQ(path(GitHostApi::kBitbucketCloud, "https://me@bitbucket.org/ws/repo.git"), "ws/repo");
  EXPECT_EQ(path(GitHostApi::kBitbucketServer, "https://bb/scm/PROJ/repo.git"), "PROJ/repo");
  EXPECT_EQ(path(GitHostApi::kBitbucketServer, "https://bb/ctx/scm/proj/repo.git"), "proj/repo");
  EXPECT_EQ(path(GitHostApi::kBitbucketServer, "ssh://git@bb:7999/proj/repo.git"), "proj/repo");
  EXPECT_EQ(path(GitHostApi::kBitbucketServer, "https://bb/a/b/c"), "<none>");
  EXPECT_EQ(path(GitHostApi::kGitHub, "file:///srv/git/shop"), "<none>");
  EXPECT_EQ(path(GitHostApi::kGitHub, "/srv/git/shop"), "<none>");
  EXPECT_EQ(path(GitHostApi::kGitHub, "https://github.com/"), "<none>");

  const std::optional<HostAndPath> split = SplitRepositoryUrl("ssh://git@[::1]:22/a/b.git");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->host, "[::1]");
  EXPECT_EQ(split->path, "a/b");
  EXPECT_EQ(SplitRepositoryUrl("git@GitHub.com:a/b")->host, "github.com");
}

TEST(NotifyConfig, ContextCheck) {
  EXPECT_TRUE(CheckStatusContext("ecsync/{stack}-{project}@{repository}").ok());
  EXPECT_FALSE(CheckStatusContext("").ok());
  EXPECT_FALSE(CheckStatusContext("a\nb").ok());
  EXPECT_FALSE(CheckStatusContext("{stack").ok());
  EXPECT_FALSE(CheckStatusContext(std::string(256, 'x')).ok());
}

}  // namespace
}  // namespace ecsync::config
