#pragma once

// Webhook deliveries as the hosts send them (headers and bodies), for the webhook tests.

#include <string>

#include "base/hash.h"
#include "webhook/webhook.h"

namespace ecsync::webhook::payloads {

inline constexpr char kSecret[] = "It's a Secret to Everybody";
inline constexpr char kOldCommit[] = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
inline constexpr char kNewCommit[] = "bffeb74224043ba2feb48d137756c8a9331c449a";

inline std::string Sign(const std::string& secret, std::string_view body) {
  return base::HexEncode(base::HmacSha256(secret, body));
}

// application/x-www-form-urlencoded value encoding as Go's url.QueryEscape (GitHub, Gitea).
inline std::string FormEncode(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

inline Headers GitHubHeaders(const std::string& event) {
  return {{"X-GitHub-Event", event},
          {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
          {"X-GitHub-Hook-ID", "473098123"},
          {"X-GitHub-Hook-Installation-Target-Type", "organization"},
          {"Content-Type", "application/json"},
          {"User-Agent", "GitHub-Hookshot/044aadd"}};
}

// A push to Acme/Shop's main with `commits` commits listed, as GitHub sends it.
inline std::string GitHubPushWithCommits(int commits) {
  std::string list;
  for (int i = 0; i < commits; ++i) {
    if (i > 0) list += ",";
    list += R"({"id": ")" + std::string(kNewCommit) + R"(", "tree_id": ")" + kOldCommit +
            R"(", "distinct": true, "message": "Change )" + std::to_string(i) +
            R"( of the web service", "timestamp": "2024-05-02T11:14:11+02:00",
      "url": "https://github.com/Acme/Shop/commit/bffeb74224043ba2feb48d137756c8a9331c449a",
      "author": {"name": "Dev", "email": "dev@example.com", "username": "dev"},
      "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
      "added": [], "removed": [], "modified": ["compose.yaml"]})";
  }
  return R"({"ref": "refs/heads/main", "before": ")" + std::string(kOldCommit) +
         R"(", "after": ")" + kNewCommit + R"(",
  "repository": {"id": 186853002, "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
    "name": "Shop", "full_name": "Acme/Shop", "private": true,
    "owner": {"name": "Acme", "login": "Acme", "id": 21031067, "type": "Organization"},
    "html_url": "https://github.com/Acme/Shop", "url": "https://github.com/Acme/Shop",
    "git_url": "git://github.com/Acme/Shop.git", "ssh_url": "git@github.com:Acme/Shop.git",
    "clone_url": "https://github.com/Acme/Shop.git", "default_branch": "main",
    "master_branch": "main", "organization": "Acme"},
  "pusher": {"name": "dev", "email": "dev@example.com"},
  "organization": {"login": "Acme", "id": 21031067},
  "sender": {"login": "dev", "id": 1, "type": "User"},
  "created": false, "deleted": false, "forced": false, "base_ref": null,
  "compare": "https://github.com/Acme/Shop/compare/6113728f27ae...bffeb7422404",
  "commits": [)" +
         list + R"(],
  "head_commit": {"id": ")" +
         kNewCommit + R"("}})";
}

// The ping an organization's hook gets when it is created: no repository at all.
inline constexpr char kGitHubOrganizationPing[] = R"({
  "zen": "Keep it logically awesome.",
  "hook_id": 473098123,
  "hook": {
    "type": "Organization", "id": 473098123, "name": "web", "active": true,
    "events": ["push"],
    "config": {"content_type": "form", "insecure_ssl": "0",
               "url": "https://ecsync.example.com/hooks/github"},
    "updated_at": "2024-05-02T09:14:11Z", "created_at": "2024-05-02T09:14:11Z",
    "url": "https://api.github.com/orgs/Acme/hooks/473098123",
    "ping_url": "https://api.github.com/orgs/Acme/hooks/473098123/pings",
    "deliveries_url": "https://api.github.com/orgs/Acme/hooks/473098123/deliveries"
  },
  "organization": {"login": "Acme", "id": 21031067, "node_id": "MDEyOk9yZ2FuaXphdGlvbjIxMDMxMDY3",
                   "url": "https://api.github.com/orgs/Acme",
                   "repos_url": "https://api.github.com/orgs/Acme/repos",
                   "description": "Acme Corporation"},
  "sender": {"login": "dev", "id": 1, "type": "User", "site_admin": false}
})";

// Bitbucket Cloud (bitbucket.org): a push that moved main, added a tag and closed a branch.
inline constexpr char kBitbucketCloudPush[] = R"({
  "push": {"changes": [
    {"old": {"name": "main", "type": "branch",
             "target": {"type": "commit", "hash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246"},
             "links": {"html": {"href": "https://bitbucket.org/acme/shop/branch/main"}}},
     "new": {"name": "main", "type": "branch",
             "target": {"type": "commit", "hash": "bffeb74224043ba2feb48d137756c8a9331c449a",
                        "date": "2024-05-02T09:14:11+00:00", "message": "Scale web to 3\n",
                        "author": {"type": "author", "raw": "Dev <dev@example.com>"},
                        "parents": [{"type": "commit",
                                     "hash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246"}]},
             "links": {"html": {"href": "https://bitbucket.org/acme/shop/branch/main"}},
             "default_merge_strategy": "merge_commit",
             "merge_strategies": ["merge_commit", "squash", "fast_forward"]},
     "truncated": false, "created": false, "forced": false, "closed": false,
     "links": {"html": {
       "href": "https://bitbucket.org/acme/shop/branches/compare/bffeb742..6113728f"}},
     "commits": [{"type": "commit", "hash": "bffeb74224043ba2feb48d137756c8a9331c449a",
                  "message": "Scale web to 3\n"}]},
    {"old": null,
     "new": {"name": "v1.4.0", "type": "tag", "message": "Release 1.4.0\n",
             "target": {"type": "commit", "hash": "bffeb74224043ba2feb48d137756c8a9331c449a"}},
     "truncated": false, "created": true, "forced": false, "closed": false},
    {"old": {"name": "old-feature", "type": "branch",
             "target": {"type": "commit", "hash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246"}},
     "new": null,
     "truncated": false, "created": false, "forced": false, "closed": true}
  ]},
  "repository": {
    "type": "repository", "full_name": "acme/shop", "name": "shop",
    "uuid": "{b2f5d1a2-6a1e-4e7e-9c6c-1f0a2b3c4d5e}",
    "links": {"self": {"href": "https://api.bitbucket.org/2.0/repositories/acme/shop"},
              "html": {"href": "https://bitbucket.org/acme/shop"},
              "avatar": {"href": "https://bytebucket.org/ravatar/%7Bb2f5d1a2%7D?ts=default"}},
    "workspace": {"type": "workspace", "slug": "acme", "name": "Acme",
                  "uuid": "{0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7}"},
    "project": {"type": "project", "key": "ACME", "name": "Acme",
                "uuid": "{1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809}"},
    "is_private": true, "scm": "git", "website": null, "parent": null
  },
  "actor": {"display_name": "Dev", "type": "user", "nickname": "dev",
            "uuid": "{c3d4e5f6-a7b8-49c0-8d1e-2f3a4b5c6d7e}",
            "account_id": "557058:2f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b"}
})";

inline Headers BitbucketCloudHeaders(const std::string& event) {
  return {{"X-Event-Key", event},
          {"X-Hook-UUID", "5c3a4e3c-1e2f-4a5b-8c9d-0e1f2a3b4c5d"},
          {"X-Request-UUID", "9a8f4b5a-2c6e-4b0e-8f45-5d7c3b1e2a90"},
          {"X-Attempt-Number", "1"},
          {"User-Agent", "Bitbucket-Webhooks/2.0"},
          {"Content-Type", "application/json"}};
}

// Bitbucket Server / Data Center: a push whose repository carries no links (older servers,
// and payloads relayed by plugins), only its project key and slug.
inline constexpr char kBitbucketServerPushWithoutLinks[] = R"({
  "eventKey": "repo:refs_changed",
  "date": "2024-06-17T19:37:57+1000",
  "actor": {"name": "dev", "emailAddress": "dev@example.com", "id": 500, "slug": "dev",
            "type": "NORMAL"},
  "repository": {
    "slug": "shop", "id": 656, "name": "Shop", "scmId": "git", "state": "AVAILABLE",
    "statusMessage": "Available", "forkable": true,
    "project": {"key": "ACME", "id": 389, "name": "Acme", "public": false, "type": "NORMAL"},
    "public": false
  },
  "changes": [
    {"ref": {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH"},
     "refId": "refs/heads/main",
     "fromHash": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
     "toHash": "bffeb74224043ba2feb48d137756c8a9331c449a", "type": "UPDATE"}
  ]
})";

inline Headers BitbucketServerHeaders(const std::string& event) {
  return {{"X-Event-Key", event},
          {"X-Request-Id", "f3e6a1c0-0b1c-4b57-9b59-4f8a4b4a1f00"},
          {"Content-Type", "application/json; charset=utf-8"}};
}

inline constexpr char kGiteaPushJson[] = R"({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "bffeb74224043ba2feb48d137756c8a9331c449a",
  "compare_url": "https://gitea.example.com/acme/shop/compare/6113728f...bffeb742",
  "commits": [{"id": "bffeb74224043ba2feb48d137756c8a9331c449a", "message": "Scale web\n",
               "url": "https://gitea.example.com/acme/shop/commit/bffeb742",
               "author": {"name": "Dev", "email": "dev@example.com", "username": "dev"}}],
  "total_commits": 1,
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

// Gitea with "POST content type: application/x-www-form-urlencoded": the body is
// payload=<the JSON>, and both signature headers are over the JSON, not the form.
inline Headers GiteaFormHeaders(const std::string& json) {
  const std::string signature = Sign(kSecret, json);
  return {{"X-Gitea-Event", "push"},
          {"X-Gitea-Event-Type", "push"},
          {"X-Gitea-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473"},
          {"X-Gitea-Signature", signature},
          {"X-Gogs-Event", "push"},
          {"X-GitHub-Event", "push"},
          {"X-Hub-Signature-256", "sha256=" + signature},
          {"Content-Type", "application/x-www-form-urlencoded"}};
}

}  // namespace ecsync::webhook::payloads
