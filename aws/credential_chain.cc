#include "aws/credential_chain.h"

#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aws/client.h"
#include "aws/encoding.h"
#include "aws/imds.h"
#include "aws/sts.h"
#include "base/file.h"
#include "base/strings.h"

namespace ecsync::aws {
namespace {

using ProviderPtr = std::shared_ptr<CredentialsProvider>;

constexpr char kContainerHost[] = "http://169.254.170.2";
constexpr char kDefaultImdsEndpoint[] = "http://169.254.169.254";

struct Context {
  CredentialChainOptions options;
  base::Clock* clock;
  std::shared_ptr<HttpClient> metadata_http;
  std::shared_ptr<HttpClient> container_http;
};

std::string Setting(const std::map<std::string, std::string>& section, const std::string& key) {
  auto it = section.find(key);
  return it == section.end() ? "" : it->second;
}

bool MetadataDisabled(const base::EnvLookup& env) {
  return base::AsciiLower(base::NonEmptyEnv(env, "AWS_EC2_METADATA_DISABLED").value_or("")) ==
         "true";
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  base::Result<std::string> text = base::ReadWholeFile(path);
  if (!text.ok()) return std::nullopt;
  return *std::move(text);
}

ProviderPtr Refreshing(CredentialsProvider::Fetch fetch, const Context& ctx) {
  return std::make_shared<CredentialsProvider>(std::move(fetch), ctx.clock,
                                               ctx.options.refresh_before);
}

ProviderPtr Fixed(Credentials credentials, const Context& ctx) {
  return Refreshing(
      [credentials = std::move(credentials)] { return base::Result<Credentials>(credentials); },
      ctx);
}

std::string DefaultSessionName(base::Clock* clock) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock->Now().time_since_epoch());
  return "ecsync-" + std::to_string(ms.count());
}

// An STS client signing with `source` (null: unsigned calls only).
std::shared_ptr<StsClient> MakeSts(const Context& ctx, ProviderPtr source) {
  AwsClientOptions sts;
  sts.credentials_provider = std::move(source);
  sts.region = ctx.options.region.empty() ? "us-east-1" : ctx.options.region;
  sts.endpoint_override = ctx.options.endpoint_override;
  sts.env = ctx.options.env;
  sts.http = ctx.options.http;
  sts.clock = ctx.clock;
  return std::make_shared<StsClient>(std::make_shared<AwsClient>(std::move(sts)));
}

base::Result<std::optional<Credentials>> EnvCredentials(const base::EnvLookup& env) {
  std::optional<std::string> key = base::NonEmptyEnv(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = base::NonEmptyEnv(env, "AWS_SECRET_ACCESS_KEY");
  if (key && secret) {
    Credentials creds;
    creds.access_key_id = *key;
    creds.secret_access_key = *secret;
    creds.session_token = base::NonEmptyEnv(env, "AWS_SESSION_TOKEN").value_or("");
    creds.source = "environment";
    return std::optional<Credentials>(creds);
  }
  if (key || secret) {
    return base::InvalidError(
        std::string("AWS credentials in the environment are incomplete: ") +
        (key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
        " is not set; set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or unset both");
  }
  return std::optional<Credentials>();
}

ProviderPtr WebIdentity(const Context& ctx, const std::string& role_arn,
                        const std::string& token_file, std::string session_name) {
  if (session_name.empty()) session_name = DefaultSessionName(ctx.clock);
  auto sts = MakeSts(ctx, nullptr);
  return Refreshing(
      [sts, role_arn, token_file, session_name]() -> base::Result<Credentials> {
        std::optional<std::string> token = ReadWholeFile(token_file);
        if (!token) {
          return base::InvalidError("cannot read the web identity token file " + token_file +
                                    " (AWS_WEB_IDENTITY_TOKEN_FILE / web_identity_token_file)");
        }
        std::string trimmed(base::TrimAscii(*token));
        return sts->AssumeRoleWithWebIdentity(role_arn, session_name, trimmed,
                                              std::chrono::seconds(3600));
      },
      ctx);
}

bool AllowedContainerHost(const ParsedUrl& url) {
  if (url.scheme == "https") return true;
  std::string host = url.host;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23";
}

base::Result<ProviderPtr> Container(const Context& ctx) {
  const base::EnvLookup& env = ctx.options.env;
  std::string url;
  if (auto relative = base::NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = std::string(kContainerHost) + *relative;
  } else if (auto full = base::NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    ECSYNC_ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(*full));
    if (!AllowedContainerHost(parsed)) {
      return base::InvalidError(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a loopback "
          "or ECS/EKS link-local host, not " +
          parsed.host);
    }
    url = *full;
  } else {
    return ProviderPtr();
  }
  std::string token_file =
      base::NonEmptyEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or("");
  std::string token = base::NonEmptyEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  auto http = ctx.container_http;
  base::Clock* clock = ctx.clock;
  return Refreshing(
      [http, url, token_file, token, clock]() -> base::Result<Credentials> {
        HttpRequest request;
        request.url = url;
        std::string authorization = token;
        if (!token_file.empty()) {
          std::optional<std::string> text = ReadWholeFile(token_file);
          if (!text) {
            return base::InvalidError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " +
                                      token_file);
          }
          authorization = std::string(base::TrimAscii(*text));
        }
        if (authorization.find_first_of("\r\n") != std::string::npos) {
          return base::InvalidError("the container authorization token contains a line break");
        }
        if (!authorization.empty()) request.headers = {{"Authorization", authorization}};
        base::Status last = base::TransientError("no attempt");
        for (int attempt = 0; attempt < 3; ++attempt) {
          if (attempt > 0) clock->SleepFor(std::chrono::milliseconds(100 * attempt));
          auto response = http->Send(request);
          if (!response.ok()) {
            last = response.status();
            continue;
          }
          if (response->status == 200) {
            return ParseCredentialJson(response->body, "the ECS container credentials endpoint");
          }
          std::string what = "the ECS container credentials endpoint answered HTTP " +
                             std::to_string(response->status);
          if (response->status < 500) return base::InvalidError(what);
          last = base::TransientError(what);
        }
        return last;
      },
      ctx);
}

ProviderPtr Imds(const Context& ctx) {
  std::string endpoint = base::NonEmptyEnv(ctx.options.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
                             .value_or(kDefaultImdsEndpoint);
  int attempts = std::atoi(base::NonEmptyEnv(ctx.options.env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS")
                               .value_or("1")
                               .c_str());
  auto imds = std::make_shared<ImdsClient>(ctx.metadata_http, endpoint, ctx.clock, attempts);
  return Refreshing([imds] { return imds->RoleCredentials(); }, ctx);
}

// The provider `name` configures; null when it configures no credentials.
base::Result<ProviderPtr> Profile(const Context& ctx, const std::string& name,
                                  std::set<std::string>* visited) {
  std::string where;
  auto section = LoadProfile(ctx.options.env, name, &where);
  if (!section) return ProviderPtr();
  if (!visited->insert(name).second) {
    return base::InvalidError("source_profile of " + where + " forms a cycle");
  }
  const std::string key = Setting(*section, "aws_access_key_id");
  const std::string secret = Setting(*section, "aws_secret_access_key");
  if (key.empty() != secret.empty()) {
    return base::InvalidError(where + " sets only " +
                              (key.empty() ? "aws_secret_access_key" : "aws_access_key_id") +
                              "; add both aws_access_key_id and aws_secret_access_key");
  }
  auto static_keys = [&]() {
    Credentials creds;
    creds.access_key_id = key;
    creds.secret_access_key = secret;
    creds.session_token = Setting(*section, "aws_session_token");
    creds.source = where;
    return creds;
  };

  const std::string role_arn = Setting(*section, "role_arn");
  if (!role_arn.empty()) {
    if (!Setting(*section, "mfa_serial").empty()) {
      return base::InvalidError(where +
                                " sets mfa_serial; ecsync cannot prompt for an MFA code. "
                                "Export temporary credentials instead");
    }
    const std::string source_profile = Setting(*section, "source_profile");
    const std::string credential_source = Setting(*section, "credential_source");
    const std::string token_file = Setting(*section, "web_identity_token_file");
    if (!source_profile.empty() && !credential_source.empty()) {
      return base::InvalidError(where +
                                " sets both source_profile and credential_source; "
                                "keep one");
    }
    ProviderPtr source;
    if (!source_profile.empty()) {
      if (source_profile == name) {
        if (key.empty()) {
          return base::InvalidError(where + " names itself as source_profile but has no keys");
        }
        source = Fixed(static_keys(), ctx);
      } else {
        ECSYNC_ASSIGN_OR_RETURN(source, Profile(ctx, source_profile, visited));
        if (!source) {
          return base::InvalidError("source_profile '" + source_profile + "' of " + where +
                                    " has no credentials or does not exist");
        }
      }
    } else if (credential_source == "Environment") {
      ECSYNC_ASSIGN_OR_RETURN(std::optional<Credentials> env, EnvCredentials(ctx.options.env));
      if (!env) {
        return base::InvalidError(where +
                                  " has credential_source = Environment but "
                                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set");
      }
      source = Fixed(*env, ctx);
    } else if (credential_source == "Ec2InstanceMetadata") {
      source = Imds(ctx);
    } else if (credential_source == "EcsContainer") {
      ECSYNC_ASSIGN_OR_RETURN(source, Container(ctx));
      if (!source) {
        return base::InvalidError(where +
                                  " has credential_source = EcsContainer but "
                                  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI are not set");
      }
    } else if (!credential_source.empty()) {
      return base::InvalidError(where + " has unknown credential_source '" + credential_source +
                                "'; use Environment, Ec2InstanceMetadata or EcsContainer");
    } else if (!token_file.empty()) {
      return WebIdentity(ctx, role_arn, token_file, Setting(*section, "role_session_name"));
    } else {
      return base::InvalidError(where +
                                " sets role_arn without source_profile, "
                                "credential_source or web_identity_token_file");
    }
    AssumeRoleRequest request;
    request.role_arn = role_arn;
    request.session_name = Setting(*section, "role_session_name");
    if (request.session_name.empty()) request.session_name = DefaultSessionName(ctx.clock);
    request.external_id = Setting(*section, "external_id");
    const std::string duration = Setting(*section, "duration_seconds");
    if (!duration.empty()) {
      int seconds = std::atoi(duration.c_str());
      if (seconds < 900 || seconds > 43'200) {
        return base::InvalidError(where + " has duration_seconds = " + duration +
                                  "; use 900 to 43200");
      }
      request.duration = std::chrono::seconds(seconds);
    }
    auto sts = MakeSts(ctx, source);
    return Refreshing([sts, request] { return sts->AssumeRole(request); }, ctx);
  }

  const std::string process = Setting(*section, "credential_process");
  if (!process.empty()) {
    return Refreshing([process] { return RunCredentialProcess(process); }, ctx);
  }
  if (!key.empty()) return Fixed(static_keys(), ctx);
  if (!Setting(*section, "sso_start_url").empty() || !Setting(*section, "sso_session").empty()) {
    return base::InvalidError(where +
                              " uses AWS IAM Identity Center (SSO), which ecsync does "
                              "not support; run `aws configure export-credentials --profile " +
                              name + " --format env` and use the environment variables");
  }
  return ProviderPtr();
}

}  // namespace

namespace {

// The chain without CredentialChainOptions::assume_role_arn.
base::Result<std::shared_ptr<CredentialsProvider>> BaseChain(
    const CredentialChainOptions& options) {
  Context ctx{options, options.clock != nullptr ? options.clock : base::SystemClock::Get(),
              options.metadata_http, options.metadata_http};
  if (!ctx.metadata_http) {
    double seconds = std::atof(
        base::NonEmptyEnv(options.env, "AWS_METADATA_SERVICE_TIMEOUT").value_or("1").c_str());
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(std::max(seconds, 0.1) * 1000));
    ctx.metadata_http = std::make_shared<CurlHttpClient>(CurlOptions{timeout, timeout, ""});
    ctx.container_http = std::make_shared<CurlHttpClient>(
        CurlOptions{std::chrono::milliseconds(2'000), std::chrono::milliseconds(5'000), ""});
  }
  const base::EnvLookup& env = options.env;
  if (options.profile.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(std::optional<Credentials> from_env, EnvCredentials(env));
    if (from_env) return Fixed(*from_env, ctx);
    auto token_file = base::NonEmptyEnv(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = base::NonEmptyEnv(env, "AWS_ROLE_ARN");
    if (token_file && role_arn) {
      return WebIdentity(ctx, *role_arn, *token_file,
                         base::NonEmptyEnv(env, "AWS_ROLE_SESSION_NAME").value_or(""));
    }
  }
  const std::string profile = SelectedProfile(CredentialOptions{env, options.profile});
  std::set<std::string> visited;
  ECSYNC_ASSIGN_OR_RETURN(ProviderPtr from_profile, Profile(ctx, profile, &visited));
  if (from_profile) return from_profile;
  const bool profile_named = !options.profile.empty() || base::NonEmptyEnv(env, "AWS_PROFILE");
  if (profile_named && !LoadProfile(env, profile, nullptr)) {
    return base::InvalidError("AWS profile '" + profile +
                              "' not found in the credentials or "
                              "config file; create it (aws configure --profile " +
                              profile + ") or choose another profile");
  }
  if (!options.profile.empty()) {
    return base::InvalidError("AWS profile '" + profile +
                              "' has no credentials: add "
                              "aws_access_key_id/aws_secret_access_key, role_arn or "
                              "credential_process");
  }
  ECSYNC_ASSIGN_OR_RETURN(ProviderPtr container, Container(ctx));
  if (container) return container;
  if (!MetadataDisabled(env)) {
    // Last resort: an EC2 instance role. Its errors say what else could be set.
    ProviderPtr imds = Imds(ctx);
    return ProviderPtr(std::make_shared<CredentialsProvider>(
        [imds]() -> base::Result<Credentials> {
          auto credentials = imds->Get();
          if (credentials.ok()) return credentials;
          return base::InvalidError(
              "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
              "configure a profile (AWS_PROFILE, ~/.aws/credentials), web identity "
              "(AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN) or run with an ECS task role or EC2 "
              "instance role (EC2 instance metadata: " +
              credentials.status().message() + ")");
        },
        ctx.clock, options.refresh_before));
  }
  return base::InvalidError(
      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure a "
      "profile (AWS_PROFILE, ~/.aws/credentials), web identity (AWS_WEB_IDENTITY_TOKEN_FILE, "
      "AWS_ROLE_ARN) or run with an ECS task role (EC2 instance metadata is disabled)");
}

}  // namespace

base::Result<std::shared_ptr<CredentialsProvider>> MakeCredentialChain(
    const CredentialChainOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(ProviderPtr source, BaseChain(options));
  if (options.assume_role_arn.empty()) return source;
  Context ctx{options, options.clock != nullptr ? options.clock : base::SystemClock::Get(),
              options.metadata_http, options.metadata_http};
  AssumeRoleRequest request;
  request.role_arn = options.assume_role_arn;
  request.session_name = DefaultSessionName(ctx.clock);
  auto sts = MakeSts(ctx, source);
  return Refreshing([sts, request] { return sts->AssumeRole(request); }, ctx);
}

base::Result<std::string> ResolveRegionWithMetadata(const CredentialChainOptions& options) {
  auto region = ResolveRegion(CredentialOptions{options.env, options.profile});
  if (region.ok() || MetadataDisabled(options.env)) return region;
  std::shared_ptr<HttpClient> http = options.metadata_http;
  if (!http) {
    auto timeout = std::chrono::milliseconds(1'000);
    http = std::make_shared<CurlHttpClient>(CurlOptions{timeout, timeout, ""});
  }
  ImdsClient imds(http,
                  base::NonEmptyEnv(options.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
                      .value_or(kDefaultImdsEndpoint),
                  options.clock);
  auto from_imds = imds.Region();
  if (from_imds.ok() && !from_imds->empty()) return *from_imds;
  return region;
}

base::Result<Credentials> RunCredentialProcess(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return base::InvalidError("cannot run credential_process");
  std::string output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    int code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return base::InvalidError("credential_process failed (exit status " + std::to_string(code) +
                              ")");
  }
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("Version", 0) != 1) {
    return base::InvalidError("credential_process did not print a JSON object with Version 1");
  }
  return ParseCredentialJson(output, "credential_process");
}

}  // namespace ecsync::aws
