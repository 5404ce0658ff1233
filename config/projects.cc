// Reading the `repositories:` section: repositories (URL, ref, auth) and their projects.
#include "config/projects.h"

#include <cctype>
#include <map>

#include "base/strings.h"
#include "compose/yaml_tree.h"
#include "config/images.h"
#include "config/notify.h"
#include "config/secret.h"
#include "config/values.h"
#include "config/verify.h"
#include "config/windows.h"

namespace ecsync::config {

namespace {

using compose::YamlNode;

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
                                                "notify",
                                                "verify",
                                                "windows",
                                                "projects"};
constexpr std::string_view kAuthKeys[] = {"token", "username", "basic", "ssh"};
constexpr std::string_view kBasicKeys[] = {"username", "password"};
constexpr std::string_view kSshKeys[] = {"private_key", "public_key", "passphrase", "known_hosts",
                                         "username"};
constexpr std::string_view kProjectKeys[] = {
    "name",    "files",   "glob",      "stack_name", "profiles", "variables", "env_file", "prune",
    "suspend", "timeout", "self_heal", "images",     "notify",   "windows",   "approval"};

const char kNameRule[] = "use only lower-case letters, digits, _ and -";

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
  return value != nullptr && value->IsSequence() ? IndexedKey(map.KeyPath(key), index)
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
  std::string approval = "auto";
  ECSYNC_RETURN_IF_ERROR(map.String("approval", &approval));
  if (approval != "auto" && approval != "manual") {
    return map.Error("approval", "must be auto or manual, not '" + approval + "'");
  }
  project->manual_approval = approval == "manual";
  ECSYNC_RETURN_IF_ERROR(map.Duration("timeout", /*allow_zero=*/false, &project->timeout));
  ECSYNC_RETURN_IF_ERROR(ParseProjectNotify(map, &project->notify));
  ECSYNC_RETURN_IF_ERROR(ParseWindows(map, sources.env, &project->windows));
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
    const std::string path = IndexedKey(map.KeyPath("projects"), i);
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
                               IndexedKey(map.KeyPath("projects"), it->second) + " (line " +
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
  ECSYNC_RETURN_IF_ERROR(ParseWindows(map, sources.env, &repo->windows));
  ECSYNC_RETURN_IF_ERROR(
      ReadSecret(map, "webhook_secret", sources.env, sources.read_file, &repo->webhook_secret));
  ECSYNC_RETURN_IF_ERROR(ParseAuth(map, sources, repo->url, &repo->auth));
  ECSYNC_RETURN_IF_ERROR(ParseRepositoryNotify(map, sources, repo->url, &repo->notify));
  ECSYNC_RETURN_IF_ERROR(ParseVerify(map, sources.read_file, &repo->verify));
  return ParseProjects(map, sources, images, repo);
}

}  // namespace

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
    const std::string path = IndexedKey("repositories", i);
    RepositoryConfig repo;
    ECSYNC_RETURN_IF_ERROR(ParseRepository(item, path, sources, config->images, &repo));
    const auto [it, added] = names.emplace(repo.name, i);
    if (!added) {
      const YamlNode* name = item.Find("name");
      return ConfigError(name != nullptr ? name->location : item.location, path + ".name",
                         "repository name \"" + repo.name + "\"" +
                             (name != nullptr ? "" : " (derived from the URL)") +
                             " is already used by " + IndexedKey("repositories", it->second) +
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

}  // namespace ecsync::config
