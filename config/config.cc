// Loading the configuration file: its top-level settings (server, webhooks, aws, ...).
#include "config/config.h"

#include <exception>

#include "base/file.h"
#include "compose/yaml_tree.h"
#include "config/api.h"
#include "config/images.h"
#include "config/notifications.h"
#include "config/notify.h"
#include "config/projects.h"
#include "config/reader.h"
#include "config/secret.h"
#include "config/values.h"

namespace ecsync::config {

namespace {

using compose::YamlNode;

constexpr std::string_view kTopKeys[] = {"concurrency",
                                         "poll_concurrency",
                                         "cache_dir",
                                         "drift_interval",
                                         "server",
                                         "webhooks",
                                         "aws",
                                         "images",
                                         "repositories",
                                         "notifications",
                                         "notification_queue",
                                         "external_url",
                                         "api",
                                         "coordination"};
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

constexpr int kMaxConcurrency = 64;
constexpr int kMaxBurst = 1'000'000;

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
  ECSYNC_RETURN_IF_ERROR(ParseExternalUrl(top, &config->external_url));
  ECSYNC_RETURN_IF_ERROR(ParseCoordination(top, &config->coordination));
  ECSYNC_RETURN_IF_ERROR(ParseApi(top, sources, &config->api));
  ECSYNC_RETURN_IF_ERROR(ParseRepositories(top, sources, config));
  // After the repositories: a notification's filter names them.
  return ParseNotifications(top, sources, config);
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
