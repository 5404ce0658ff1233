#include "config/config.h"

#include <cctype>
#include <exception>

#include "base/file.h"
#include "base/strings.h"
#include "compose/yaml_tree.h"
#include "config/images.h"
#include "config/reader.h"
#include "config/secret.h"
#include "config/values.h"

namespace ecsync::config {

namespace {

using compose::YamlNode;

constexpr std::string_view kTopKeys[] = {
    "concurrency", "poll_concurrency", "cache_dir",   "drift_interval", "server", "webhooks",
    "aws",         "images",           "repositories"};
constexpr std::string_view kServerKeys[] = {"listen",
                                            "admin_listen",
                                            "metrics_listen",
                                            "request_timeout",
                                            "idle_timeout",
                                            "max_connections",
                                            "max_connections_per_client"};
constexpr std::string_view kWebhookKeys[] = {"secret",
                                             "max_body_bytes",
                                             "requests_per_second",
                                             "burst",
                                             "source_requests_per_second",
                                             "source_burst",
                                             "refused_requests_per_second",
                                             "refused_burst"};
constexpr std::string_view kAwsKeys[] = {
    "region", "profile",    "role_arn",        "endpoint_url",        "stack_dir",
    "vpc_id", "subnet_ids", "template_bucket", "requests_per_second", "burst"};
constexpr std::string_view kRepositoryKeys[] = {"name",
                                                "url",
                                                "branch",
                                                "tag",
                                                "commit",
                                                "poll_interval",
                                                "timeout",
                                                "auth",
                                                "allow_prune_all",
                                                "webhook_secret",
                                                "projects"};
constexpr std::string_view kAuthKeys[] = {"token", "username", "basic", "ssh"};
constexpr std::string_view kBasicKeys[] = {"username", "password"};
constexpr std::string_view kSshKeys[] = {"private_key", "public_key", "passphrase", "known_hosts",
                                         "username"};
constexpr std::string_view kProjectKeys[] = {"name",     "files",     "glob",      "stack_name",
                                             "profiles", "variables", "env_file",  "prune",
                                             "suspend",  "timeout",   "self_heal", "images"};

constexpr int kMaxConcurrency = 64;
constexpr int kMaxBurst = 1'000'000;
const char kNameRule[] = "use only lower-case letters, digits, _ and -";

// Where secrets come from.
struct Sources {
  const base::EnvLookup& env;
  const ReadFileFn& read_file;
};

std::string Indexed(const std::string& key, size_t index) {
  return key + "[" + std::to_string(index) + "]";
}

// The location of list item `index` under `key`, or of the value itself when it is not a list.
compose::SourceLocation ItemLocation(const ConfigMapping& map, const std::string& key,
                                     size_t index) {
  const YamlNode* value = map.Find(key);
  if (value == nullptr) return map.location();
  if (value->IsSequence() && index < value->items.size()) return value->items[index].location;
  return value->location;
}

std::string ItemPath(const ConfigMapping& map, const std::string& key, size_t index) {
  const YamlNode* value = map.Find(key);
  return value != nullptr && value->IsSequence() ? Indexed(map.KeyPath(key), index)
                                                 : map.KeyPath(key);
}

bool HasBlankOrControl(const std::string& text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) || std::iscntrl(u)) return true;
  }
  return false;
}

// A CloudFormation stack name: a letter, then letters, digits and '-', at most 128.
bool IsStackName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// Whether two listen addresses would need the same socket: equal, or the same port with a
// wildcard host on either side.
bool SameSocket(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const std::string port_a = a.substr(a.rfind(':') + 1);
  const std::string port_b = b.substr(b.rfind(':') + 1);
  if (port_a != port_b || port_a == "0") return false;
  auto wildcard = [](const std::string& address) {
    const std::string host = address.substr(0, address.rfind(':'));
    return host == "0.0.0.0" || host == "[::]" || host == "*";
  };
  return wildcard(a) || wildcard(b);
}

constexpr int kMaxConnections = 1'000'000;

base::Status ParseServer(const ConfigMapping& top, ServerConfig* server) {
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, top.Child("server", kServerKeys));
  const std::pair<const char*, std::string*> addresses[] = {
      {"listen", &server->listen},
      {"admin_listen", &server->admin_listen},
      {"metrics_listen", &server->metrics_listen}};
  for (const auto& [key, address] : addresses) {
    ECSYNC_RETURN_IF_ERROR(map.String(key, address));
    if (address == &server->metrics_listen && address->empty()) continue;  // optional
    if (base::Status status = CheckListenAddress(*address); !status.ok()) {
      return map.Error(key, status.message());
    }
  }
  if (SameSocket(server->admin_listen, server->listen)) {
    return map.Error("admin_listen",
                     "uses the same address as server.listen; the admin endpoints need their "
                     "own port (e.g. 127.0.0.1:8081)");
  }
  if (!server->metrics_listen.empty()) {
    if (SameSocket(server->metrics_listen, server->listen)) {
      return map.Error("metrics_listen",
                       "is the same address as server.listen; remove it (/metrics is on "
                       "server.admin_listen), or pick another port");
    }
    if (SameSocket(server->metrics_listen, server->admin_listen)) {
      return map.Error("metrics_listen",
                       "is the same address as server.admin_listen, which serves /metrics "
                       "already; remove it or pick another port");
    }
  }
  ECSYNC_RETURN_IF_ERROR(
      map.Duration("request_timeout", /*allow_zero=*/false, &server->request_timeout));
  ECSYNC_RETURN_IF_ERROR(map.Duration("idle_timeout", /*allow_zero=*/false, &server->idle_timeout));
  ECSYNC_RETURN_IF_ERROR(map.Int("max_connections", 1, kMaxConnections, &server->max_connections));
  ECSYNC_RETURN_IF_ERROR(map.Int("max_connections_per_client", 1, kMaxConnections,
                                 &server->max_connections_per_client));
  return base::Status::Ok();
}

base::Status ParseWebhooks(const ConfigMapping& top, const Sources& sources,
                           WebhookConfig* webhooks) {
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, top.Child("webhooks", kWebhookKeys));
  ECSYNC_RETURN_IF_ERROR(
      ReadSecret(map, "secret", sources.env, sources.read_file, &webhooks->secret));
  ECSYNC_RETURN_IF_ERROR(map.Bytes("max_body_bytes", &webhooks->max_body_bytes));
  ECSYNC_RETURN_IF_ERROR(map.Positive("requests_per_second", &webhooks->requests_per_second));
  ECSYNC_RETURN_IF_ERROR(map.Int("burst", 1, kMaxBurst, &webhooks->burst));
  ECSYNC_RETURN_IF_ERROR(
      map.Positive("source_requests_per_second", &webhooks->source_requests_per_second));
  ECSYNC_RETURN_IF_ERROR(map.Int("source_burst", 1, kMaxBurst, &webhooks->source_burst));
  ECSYNC_RETURN_IF_ERROR(
      map.Positive("refused_requests_per_second", &webhooks->refused_requests_per_second));
  ECSYNC_RETURN_IF_ERROR(map.Int("refused_burst", 1, kMaxBurst, &webhooks->refused_burst));
  return base::Status::Ok();
}

// S3's bucket naming rules, so that a typo fails at load and not at the first large
// template: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a
// letter or digit.
base::Status CheckBucketName(const std::string& bucket) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok =
      bucket.size() >= 3 && bucket.size() <= 63 && alnum(bucket.front()) && alnum(bucket.back());
  for (char c : bucket) ok = ok && (alnum(c) || c == '.' || c == '-');
  if (ok) return base::Status::Ok();
  return base::InvalidError("\"" + bucket +
                            "\" is not an S3 bucket name; write the bare name, such as "
                            "my-ecsync-templates (no s3:// and no key)");
}

base::Status ParseAws(const ConfigMapping& top, AwsConfig* aws) {
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, top.Child("aws", kAwsKeys));
  ECSYNC_RETURN_IF_ERROR(map.String("region", &aws->region));
  for (char c : aws->region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return map.Error("region",
                       "\"" + aws->region + "\" is not a region name; write one such as eu-west-1");
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.String("profile", &aws->profile));
  ECSYNC_RETURN_IF_ERROR(map.String("role_arn", &aws->role_arn));
  if (!aws->role_arn.empty()) {
    if (base::Status status = CheckRoleArn(aws->role_arn); !status.ok()) {
      return map.Error("role_arn", status.message());
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.String("endpoint_url", &aws->endpoint_url));
  if (!aws->endpoint_url.empty() && !aws->endpoint_url.starts_with("http://") &&
      !aws->endpoint_url.starts_with("https://")) {
    return map.Error("endpoint_url", "\"" + aws->endpoint_url +
                                         "\" is not an http:// or https:// URL; write one such "
                                         "as http://127.0.0.1:5000");
  }
  ECSYNC_RETURN_IF_ERROR(map.String("stack_dir", &aws->stack_dir));
  ECSYNC_RETURN_IF_ERROR(map.String("vpc_id", &aws->vpc_id));
  if (!aws->vpc_id.empty() && !aws->vpc_id.starts_with("vpc-")) {
    return map.Error("vpc_id", "\"" + aws->vpc_id + "\" is not a VPC id; write vpc-<hex>");
  }
  ECSYNC_RETURN_IF_ERROR(map.StringList("subnet_ids", /*allow_single=*/false, &aws->subnet_ids));
  for (const std::string& subnet : aws->subnet_ids) {
    if (!subnet.starts_with("subnet-")) {
      return map.Error("subnet_ids", "\"" + subnet + "\" is not a subnet id; write subnet-<hex>");
    }
  }
  if (aws->vpc_id.empty() != aws->subnet_ids.empty()) {
    return map.Error(aws->vpc_id.empty() ? "subnet_ids" : "vpc_id",
                     "set both vpc_id and subnet_ids, or neither (the default VPC is used)");
  }
  if (!aws->stack_dir.empty() && aws->vpc_id.empty()) {
    return map.Error("stack_dir",
                     "stack files cannot look up the default VPC; set vpc_id and "
                     "subnet_ids too");
  }
  ECSYNC_RETURN_IF_ERROR(map.String("template_bucket", &aws->template_bucket));
  if (!aws->template_bucket.empty()) {
    if (base::Status status = CheckBucketName(aws->template_bucket); !status.ok()) {
      return map.Error("template_bucket", status.message());
    }
    if (!aws->stack_dir.empty()) {
      return map.Error("template_bucket",
                       "stack files take templates of any size inline; remove template_bucket");
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.Positive("requests_per_second", &aws->requests_per_second));
  ECSYNC_RETURN_IF_ERROR(map.Int("burst", 1, kMaxBurst, &aws->burst));
  return base::Status::Ok();
}

base::Status ParseAuth(const ConfigMapping& repo_map, const Sources& sources,
                       const std::string& url, git::Credentials* auth) {
  if (!repo_map.Has("auth")) return base::Status::Ok();
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, repo_map.Child("auth", kAuthKeys));
  const int kinds = map.Has("token") + map.Has("basic") + map.Has("ssh");
  if (kinds != 1) {
    return repo_map.Error("auth", kinds == 0 ? "needs one of token, basic and ssh; remove auth "
                                               "for anonymous access"
                                             : "give only one of token, basic and ssh");
  }
  if (map.Has("username") && !map.Has("token")) {
    return map.Error("username",
                     "goes with token only; write the user name under basic or ssh instead");
  }
  const Transport transport = TransportOf(url);
  if (map.Has("token") || map.Has("basic")) {
    const std::string kind = map.Has("token") ? "token" : "basic";
    if (transport != Transport::kHttp) {
      return map.Error(kind, kind +
                                 " authentication needs an https:// (or http://) URL; use ssh "
                                 "for ssh URLs, or remove auth");
    }
  } else if (transport != Transport::kSsh) {
    return map.Error("ssh",
                     "ssh authentication needs an ssh:// or user@host:path URL; use token or "
                     "basic for https URLs, or remove auth");
  }
  if (map.Has("token")) {
    auth->username = "x-access-token";
    ECSYNC_RETURN_IF_ERROR(map.String("username", &auth->username));
    return ReadSecret(map, "token", sources.env, sources.read_file, &auth->password);
  }
  if (map.Has("basic")) {
    ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping basic, map.Child("basic", kBasicKeys));
    ECSYNC_RETURN_IF_ERROR(basic.String("username", &auth->username));
    if (auth->username.empty()) return basic.Error("username", "is required; write the user name");
    if (!basic.Has("password")) {
      return map.Error("basic", "needs a password: password: {env: NAME} or {file: PATH}");
    }
    return ReadSecret(basic, "password", sources.env, sources.read_file, &auth->password);
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping ssh, map.Child("ssh", kSshKeys));
  ECSYNC_RETURN_IF_ERROR(ssh.String("private_key", &auth->ssh_private_key_path));
  if (auth->ssh_private_key_path.empty()) {
    return map.Error("ssh", "needs private_key: the path of the private key file");
  }
  ECSYNC_RETURN_IF_ERROR(ssh.String("public_key", &auth->ssh_public_key_path));
  ECSYNC_RETURN_IF_ERROR(ssh.String("known_hosts", &auth->known_hosts_path));
  ECSYNC_RETURN_IF_ERROR(ssh.String("username", &auth->username));
  return ReadSecret(ssh, "passphrase", sources.env, sources.read_file, &auth->ssh_passphrase);
}

base::Status ParseRef(const ConfigMapping& map, RepositoryConfig* repo) {
  std::string given;
  for (const char* key : {"branch", "tag", "commit"}) {
    if (!map.Has(key)) continue;
    if (!given.empty()) {
      return map.Error(
          key, "is given together with " + given + "; keep exactly one of branch, tag and commit");
    }
    given = key;
  }
  if (given.empty()) {
    repo->ref_kind = RefKind::kBranch;
    repo->ref = "main";
    return base::Status::Ok();
  }
  std::string ref;
  ECSYNC_RETURN_IF_ERROR(map.String(given, &ref));
  if (ref.empty() || HasBlankOrControl(ref)) {
    return map.Error(given, "must be a " + given + " name without blanks");
  }
  if (given == "branch") {
    repo->ref_kind = RefKind::kBranch;
  } else if (given == "tag") {
    repo->ref_kind = RefKind::kTag;
  } else {
    if (!IsFullCommit(ref)) {
      return map.Error("commit", "\"" + ref +
                                     "\" is not a full commit hash; write all 40 hexadecimal "
                                     "digits (git rev-parse HEAD prints it)");
    }
    ref = base::AsciiLower(ref);
    repo->ref_kind = RefKind::kCommit;
  }
  repo->ref = ref;
  return base::Status::Ok();
}

base::Status ParseProject(const YamlNode& node, const std::string& path,
                          const RepositoryConfig& repo, const Sources& sources,
                          const reconcile::ImageSettings& images, ProjectConfig* project) {
  project->line = node.location.line;
  if (!node.IsMapping()) {
    return ConfigError(node.location, path,
                       "must be a mapping with files or glob, found " + DescribeValue(node));
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map, ConfigMapping::Open(node, path, kProjectKeys));
  if (map.Has("files") == map.Has("glob")) {
    return ConfigError(node.location, path,
                       map.Has("files") ? "give only one of files and glob"
                                        : "needs files (a list of compose files) or glob (a "
                                          "pattern such as services/*/compose.yaml)");
  }
  ECSYNC_RETURN_IF_ERROR(map.StringList("files", /*allow_single=*/true, &project->files));
  if (map.Has("files") && project->files.empty()) {
    return map.Error("files", "is empty; list at least one compose file");
  }
  for (size_t i = 0; i < project->files.size(); ++i) {
    if (base::Status status = CheckRepositoryPath(project->files[i]); !status.ok()) {
      return ConfigError(ItemLocation(map, "files", i), ItemPath(map, "files", i),
                         status.message());
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.String("glob", &project->glob));
  if (map.Has("glob")) {
    if (base::Status status = CheckRepositoryPath(project->glob); !status.ok()) {
      return map.Error("glob", status.message());
    }
  }
  if (map.Has("name")) {
    ECSYNC_RETURN_IF_ERROR(map.String("name", &project->name));
    if (!IsValidName(project->name)) {
      return map.Error("name",
                       "\"" + project->name + "\" is not a valid project name; " + kNameRule);
    }
  } else if (!project->files.empty()) {
    project->name = ProjectNameForFile("", project->files[0], repo.name);
  }
  ECSYNC_RETURN_IF_ERROR(map.String("stack_name", &project->stack_name));
  if (map.Has("stack_name") && !IsStackName(project->stack_name)) {
    return map.Error("stack_name", "\"" + project->stack_name +
                                       "\" is not a CloudFormation stack name; start with a "
                                       "letter and use only letters, digits and - (at most 128)");
  }
  if (map.Has("stack_name") && map.Has("glob")) {
    return map.Error("stack_name",
                     "cannot be set for a glob: every matching file is its own stack");
  }
  ECSYNC_RETURN_IF_ERROR(map.StringList("profiles", /*allow_single=*/true, &project->profiles));
  for (size_t i = 0; i < project->profiles.size(); ++i) {
    if (project->profiles[i].empty() || HasBlankOrControl(project->profiles[i])) {
      return ConfigError(ItemLocation(map, "profiles", i), ItemPath(map, "profiles", i),
                         "must be a profile name without blanks");
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.StringMap("variables", &project->variables));
  for (const auto& [name, value] : project->variables) {
    if (!IsVariableName(name)) {
      return ConfigError(map.Find("variables")->location, map.KeyPath("variables") + "." + name,
                         "is not a variable name; use letters, digits and _ (not first)");
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.String("env_file", &project->env_file));
  if (!project->env_file.empty()) {
    if (base::Status status = CheckRepositoryPath(project->env_file); !status.ok()) {
      return map.Error("env_file", status.message());
    }
  }
  ECSYNC_RETURN_IF_ERROR(map.Bool("prune", &project->prune));
  ECSYNC_RETURN_IF_ERROR(map.Bool("suspend", &project->suspend));
  ECSYNC_RETURN_IF_ERROR(map.Bool("self_heal", &project->self_heal));
  ECSYNC_RETURN_IF_ERROR(map.Duration("timeout", /*allow_zero=*/false, &project->timeout));
  project->images = images;
  return ParseImages(map, sources.env, sources.read_file, &project->images);
}

base::Status ParseProjects(const ConfigMapping& map, const Sources& sources,
                           const reconcile::ImageSettings& images, RepositoryConfig* repo) {
  const YamlNode* list = map.Find("projects");
  if (list == nullptr || (list->IsSequence() && list->items.empty())) {
    return map.Error("projects",
                     "no projects; list at least one, e.g. projects: [{files: [compose.yaml]}]");
  }
  if (!list->IsSequence()) {
    return map.Error("projects", "must be a list of projects, found " + DescribeValue(*list));
  }
  std::map<std::string, size_t> names;  // files projects: name -> index
  for (size_t i = 0; i < list->items.size(); ++i) {
    const YamlNode& item = list->items[i];
    const std::string path = Indexed(map.KeyPath("projects"), i);
    ProjectConfig project;
    ECSYNC_RETURN_IF_ERROR(ParseProject(item, path, *repo, sources, images, &project));
    if (project.glob.empty()) {
      const auto [it, added] = names.emplace(project.name, i);
      if (!added) {
        const YamlNode* name = item.Find("name");
        return ConfigError(name != nullptr ? name->location : item.location, path + ".name",
                           "project name \"" + project.name + "\"" +
                               (name != nullptr ? "" : " (derived from its first file)") +
                               " is already used by " +
                               Indexed(map.KeyPath("projects"), it->second) + " (line " +
                               std::to_string(repo->projects[it->second].line) +
                               "); give one of them another name");
      }
    }
    repo->projects.push_back(std::move(project));
  }
  return base::Status::Ok();
}

base::Status ParseRepository(const YamlNode& node, const std::string& path, const Sources& sources,
                             const reconcile::ImageSettings& images, RepositoryConfig* repo) {
  repo->line = node.location.line;
  if (!node.IsMapping()) {
    return ConfigError(
        node.location, path,
        "must be a mapping with at least url and projects, found " + DescribeValue(node));
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping map,
                          ConfigMapping::Open(node, path, kRepositoryKeys));
  ECSYNC_RETURN_IF_ERROR(map.String("url", &repo->url));
  if (repo->url.empty()) {
    return map.Error("url",
                     "is required; write the clone URL, e.g. https://github.com/acme/shop.git");
  }
  if (HasBlankOrControl(repo->url)) {
    return map.Error("url", "contains blanks or control characters; write the clone URL alone");
  }
  if (UrlHasPassword(repo->url)) {
    // The URL is not repeated: it holds a secret.
    return map.Error("url",
                     "contains a password; remove it from the URL and use auth (token or basic "
                     "with {env: NAME} or {file: PATH})");
  }
  if (map.Has("name")) {
    ECSYNC_RETURN_IF_ERROR(map.String("name", &repo->name));
    if (!IsValidName(repo->name)) {
      return map.Error("name",
                       "\"" + repo->name + "\" is not a valid repository name; " + kNameRule);
    }
  } else {
    repo->name = NameFromUrl(repo->url);
    if (repo->name.empty()) {
      return map.Error("url", "no repository name can be derived from this URL; set name");
    }
  }
  ECSYNC_RETURN_IF_ERROR(ParseRef(map, repo));
  ECSYNC_RETURN_IF_ERROR(map.Duration("poll_interval", /*allow_zero=*/true, &repo->poll_interval));
  ECSYNC_RETURN_IF_ERROR(map.Duration("timeout", /*allow_zero=*/false, &repo->timeout));
  ECSYNC_RETURN_IF_ERROR(map.Bool("allow_prune_all", &repo->allow_prune_all));
  ECSYNC_RETURN_IF_ERROR(
      ReadSecret(map, "webhook_secret", sources.env, sources.read_file, &repo->webhook_secret));
  ECSYNC_RETURN_IF_ERROR(ParseAuth(map, sources, repo->url, &repo->auth));
  return ParseProjects(map, sources, images, repo);
}

base::Status ParseRepositories(const ConfigMapping& top, const Sources& sources, Config* config) {
  constexpr char kNone[] =
      "no repositories; add at least one under repositories: with a url and projects (see "
      "docs/configuration.md)";
  const YamlNode* list = top.Find("repositories");
  if (list == nullptr) return ConfigError(top.location(), "repositories", kNone);
  if (!list->IsSequence()) {
    return top.Error("repositories",
                     "must be a list of repositories, found " + DescribeValue(*list));
  }
  if (list->items.empty()) return top.Error("repositories", kNone);
  std::map<std::string, size_t> names;
  std::map<std::string, std::string> stacks;  // explicit stack_name -> its key path
  for (size_t i = 0; i < list->items.size(); ++i) {
    const YamlNode& item = list->items[i];
    const std::string path = Indexed("repositories", i);
    RepositoryConfig repo;
    ECSYNC_RETURN_IF_ERROR(ParseRepository(item, path, sources, config->images, &repo));
    const auto [it, added] = names.emplace(repo.name, i);
    if (!added) {
      const YamlNode* name = item.Find("name");
      return ConfigError(name != nullptr ? name->location : item.location, path + ".name",
                         "repository name \"" + repo.name + "\"" +
                             (name != nullptr ? "" : " (derived from the URL)") +
                             " is already used by " + Indexed("repositories", it->second) +
                             " (line " + std::to_string(config->repositories[it->second].line) +
                             "); give one of them another name");
    }
    for (size_t j = 0; j < repo.projects.size(); ++j) {
      const ProjectConfig& project = repo.projects[j];
      if (project.stack_name.empty()) continue;
      const std::string project_path = path + ".projects[" + std::to_string(j) + "].stack_name";
      const auto [other, fresh] = stacks.emplace(project.stack_name, project_path);
      if (!fresh) {
        // Parsing succeeded, so projects is a list with this item and its stack_name.
        const YamlNode* written = item.Find("projects")->items[j].Find("stack_name");
        return ConfigError(written->location, project_path,
                           "stack \"" + project.stack_name + "\" is already used by " +
                               other->second + "; give each project its own stack");
      }
    }
    if (repo.poll_interval.count() == 0 && repo.webhook_secret.empty() &&
        config->webhooks.secret.empty()) {
      const YamlNode* poll = item.Find("poll_interval");
      return ConfigError(poll != nullptr ? poll->location : item.location, path + ".poll_interval",
                         "is 0 (webhooks only) but no webhook secret is set, so this "
                         "repository would never be fetched again; set webhook_secret or "
                         "webhooks.secret, or a poll interval above 0");
    }
    config->repositories.push_back(std::move(repo));
  }
  return base::Status::Ok();
}

base::Status ParseTop(const YamlNode& root, const Sources& sources, Config* config) {
  if (root.IsNull()) {
    return ConfigError(compose::SourceLocation{config->path, 1, 0}, "repositories",
                       "no repositories: the file is empty; add at least one under "
                       "repositories: with a url and projects (see docs/configuration.md)");
  }
  if (!root.IsMapping()) {
    return ConfigError(root.location, "",
                       "the file must be a mapping of settings (repositories, aws, server, ...), "
                       "found " +
                           DescribeValue(root));
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping top, ConfigMapping::Open(root, "", kTopKeys));
  ECSYNC_RETURN_IF_ERROR(top.Int("concurrency", 1, kMaxConcurrency, &config->concurrency));
  ECSYNC_RETURN_IF_ERROR(
      top.Int("poll_concurrency", 1, kMaxConcurrency, &config->poll_concurrency));
  ECSYNC_RETURN_IF_ERROR(top.String("cache_dir", &config->cache_dir));
  if (config->cache_dir.empty()) {
    if (auto xdg = base::NonEmptyEnv(sources.env, "XDG_CACHE_HOME")) {
      config->cache_dir = *xdg + "/ecsync/git";
    } else if (auto home = base::NonEmptyEnv(sources.env, "HOME")) {
      config->cache_dir = *home + "/.cache/ecsync/git";
    } else {
      return top.Error("cache_dir",
                       "is not set and neither XDG_CACHE_HOME nor HOME is; set cache_dir");
    }
  }
  ECSYNC_RETURN_IF_ERROR(
      top.Duration("drift_interval", /*allow_zero=*/true, &config->drift_interval));
  ECSYNC_RETURN_IF_ERROR(ParseServer(top, &config->server));
  ECSYNC_RETURN_IF_ERROR(ParseWebhooks(top, sources, &config->webhooks));
  ECSYNC_RETURN_IF_ERROR(ParseAws(top, &config->aws));
  ECSYNC_RETURN_IF_ERROR(ParseImages(top, sources.env, sources.read_file, &config->images));
  return ParseRepositories(top, sources, config);
}

ReadFileFn DiskReader() {
  return [](const std::string& path) -> base::Result<std::optional<std::string>> {
    base::Result<std::string> content = base::ReadWholeFile(path);
    if (content.ok()) return std::optional<std::string>(std::move(*content));
    if (content.status().kind() == base::ErrorKind::kNotFound) return std::optional<std::string>();
    return base::InvalidError(content.status().message());
  };
}

}  // namespace

base::Result<Config> ParseConfig(const std::string& text, const std::string& path,
                                 const base::EnvLookup& env, const ReadFileFn& read_file) {
  // ParseYaml turns yaml-cpp's exceptions into a Status; this catches anything else (such as
  // an allocation failure) so no exception leaves the controller's config code.
  try {
    ECSYNC_ASSIGN_OR_RETURN(const YamlNode root, compose::ParseYaml(text, path));
    Config config;
    config.path = path;
    ECSYNC_RETURN_IF_ERROR(ParseTop(root, Sources{env, read_file}, &config));
    return config;
  } catch (const std::exception& e) {
    return base::InvalidError(path + ": cannot read the configuration: " + e.what());
  }
}

base::Result<Config> LoadConfig(const std::string& path, const base::EnvLookup& env) {
  const ReadFileFn read_file = DiskReader();
  const base::Result<std::optional<std::string>> text = read_file(path);
  if (!text.ok()) {
    return base::InvalidError(path +
                              ": cannot read the configuration file: " + text.status().message());
  }
  if (!text->has_value()) {
    return base::InvalidError(path +
                              ": no such configuration file; pass the path of ecsync's "
                              "configuration (see docs/configuration.md)");
  }
  return ParseConfig(**text, path, env, read_file);
}

}  // namespace ecsync::config
